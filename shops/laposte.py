"""Reading La Poste's official postcode file ("base officielle des codes postaux").

La Poste has published it with several headers over the years (Code_commune_INSEE or
code_commune_insee, coordonnees_geographiques or _geopoint or latitude/longitude),
with ';' or ',' and usually a BOM: columns are recognised by name, not position.
"""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _


class PostcodeFileError(Exception):
    """The file is not La Poste's postcode table; the message says what is missing."""


@dataclass(frozen=True)
class LocalityRecord:
    postcode: str
    insee_code: str
    name: str
    place: str
    latitude: float
    longitude: float


def _header_key(header: str) -> str:
    return "".join(char for char in header.lower() if char.isalnum())


COLUMN_ALIASES = {
    "insee_code": {"codecommuneinsee", "codeinsee", "insee"},
    "name": {"nomcommune", "nomdelacommune", "nom"},
    "postcode": {"codepostal"},
    "place": {"ligne5"},
    "coordinates": {"coordonneesgeographiques", "coordonneesgps", "geopoint"},
    "latitude": {"latitude", "lat"},
    "longitude": {"longitude", "lon", "lng"},
}


def read_postcode_file(path: Path) -> tuple[list[LocalityRecord], int]:
    """Parse the file; returns the records and the number of rows skipped because
    they have no usable coordinates."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        text = handle.read()
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,")
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if header is None:
        raise PostcodeFileError(_("The file is empty."))
    columns = _locate_columns(header)

    records, skipped = [], 0
    for row in reader:
        if not any(row):
            continue
        coordinates = _coordinates(row, columns)
        if coordinates is None:
            skipped += 1
            continue
        records.append(
            LocalityRecord(
                postcode=row[columns["postcode"]].strip().zfill(5),
                insee_code=row[columns["insee_code"]].strip().zfill(5),
                name=row[columns["name"]].strip(),
                place=row[columns["place"]].strip() if "place" in columns else "",
                latitude=coordinates[0],
                longitude=coordinates[1],
            )
        )
    return records, skipped


def _locate_columns(header: list[str]) -> dict[str, int]:
    keys = [_header_key(name) for name in header]
    columns = {}
    for field, aliases in COLUMN_ALIASES.items():
        for index, key in enumerate(keys):
            if key in aliases:
                columns[field] = index
                break
    missing = [field for field in ("postcode", "insee_code", "name") if field not in columns]
    if "coordinates" not in columns and not {"latitude", "longitude"} <= columns.keys():
        missing.append("coordinates")
    if missing:
        raise PostcodeFileError(
            _("This is not La Poste's postcode file: no column for %(missing)s (columns found: %(found)s).")
            % {"missing": ", ".join(missing), "found": ", ".join(header)}
        )
    return columns


def _coordinates(row: list[str], columns: dict[str, int]) -> tuple[float, float] | None:
    try:
        if "coordinates" in columns:
            latitude, longitude = (float(part) for part in row[columns["coordinates"]].split(","))
        else:
            latitude, longitude = float(row[columns["latitude"]]), float(row[columns["longitude"]])
    except (ValueError, IndexError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude
