"""France's 18 regions, and which one a postcode belongs to (through its department)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    AUVERGNE_RHONE_ALPES = "ARA", "Auvergne-Rhône-Alpes"
    BOURGOGNE_FRANCHE_COMTE = "BFC", "Bourgogne-Franche-Comté"
    BRETAGNE = "BRE", "Bretagne"
    CENTRE_VAL_DE_LOIRE = "CVL", "Centre-Val de Loire"
    CORSE = "COR", "Corse"
    GRAND_EST = "GES", "Grand Est"
    HAUTS_DE_FRANCE = "HDF", "Hauts-de-France"
    ILE_DE_FRANCE = "IDF", "Île-de-France"
    NORMANDIE = "NOR", "Normandie"
    NOUVELLE_AQUITAINE = "NAQ", "Nouvelle-Aquitaine"
    OCCITANIE = "OCC", "Occitanie"
    PAYS_DE_LA_LOIRE = "PDL", "Pays de la Loire"
    PROVENCE_ALPES_COTE_D_AZUR = "PAC", "Provence-Alpes-Côte d’Azur"
    GUADELOUPE = "GUA", "Guadeloupe"
    MARTINIQUE = "MTQ", "Martinique"
    GUYANE = "GUF", "Guyane"
    LA_REUNION = "LRE", "La Réunion"
    MAYOTTE = "MAY", "Mayotte"
    OTHER = "OTH", _("Other territories")


# Departments (by the first digits of their postcodes) of each region.
_DEPARTMENTS = {
    Region.AUVERGNE_RHONE_ALPES: "01 03 07 15 26 38 42 43 63 69 73 74",
    Region.BOURGOGNE_FRANCHE_COMTE: "21 25 39 58 70 71 89 90",
    Region.BRETAGNE: "22 29 35 56",
    Region.CENTRE_VAL_DE_LOIRE: "18 28 36 37 41 45",
    Region.CORSE: "20",
    Region.GRAND_EST: "08 10 51 52 54 55 57 67 68 88",
    Region.HAUTS_DE_FRANCE: "02 59 60 62 80",
    Region.ILE_DE_FRANCE: "75 77 78 91 92 93 94 95",
    Region.NORMANDIE: "14 27 50 61 76",
    Region.NOUVELLE_AQUITAINE: "16 17 19 23 24 33 40 47 64 79 86 87",
    Region.OCCITANIE: "09 11 12 30 31 32 34 46 48 65 66 81 82",
    Region.PAYS_DE_LA_LOIRE: "44 49 53 72 85",
    Region.PROVENCE_ALPES_COTE_D_AZUR: "04 05 06 13 83 84",
    Region.GUADELOUPE: "971",
    Region.MARTINIQUE: "972",
    Region.GUYANE: "973",
    Region.LA_REUNION: "974",
    Region.MAYOTTE: "976",
}
REGION_OF_DEPARTMENT = {dept: region for region, depts in _DEPARTMENTS.items() for dept in depts.split()}


def region_for_postcode(postcode: str) -> str:
    """The region of a French postcode (overseas departments use 3 digits; 98xxx and
    Monaco fall in "other")."""
    return REGION_OF_DEPARTMENT.get(postcode[:3]) or REGION_OF_DEPARTMENT.get(postcode[:2]) or Region.OTHER
