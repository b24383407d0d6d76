"""The kinds of shop the product starts with (shops.ShopKind: data head office manages)."""

from django.apps import apps as django_apps


def ensure_shop_kinds(apps=None, **kwargs) -> None:
    """The kinds of shop the product starts with (shops migration 0008 makes them too; a
    test's flush of the database empties the table, and the next migrate signal brings
    them back). Head office may rename them; they are never overwritten. Nothing to do
    when the migrations were taken back before the kinds existed."""
    try:
        ShopKind = (apps or django_apps).get_model("shops", "ShopKind")
    except LookupError:
        return
    for code, name_fr, name_en, position in STARTING_SHOP_KINDS:
        ShopKind.objects.get_or_create(
            code=code, defaults={"name_fr": name_fr, "name_en": name_en, "position": position}
        )


STARTING_SHOP_KINDS = [
    ("bookshop", "Librairie", "Bookshop", 10),
    ("games-toys", "Jeux et jouets", "Games and toys", 20),
]
