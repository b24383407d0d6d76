"""Kinds of product and their attributes (catalog.models.ProductKind, ProductAttribute):
the kinds the product starts with, and how a product's attribute values are read and
checked, whatever the kind — by hand, from a stock file or from the till API alike.

Values are written as people type them: text, a whole number ("45"), a range ("8-12",
"8 à 12", "2–4", or one number "10" for 10-10), or one of the attribute's choices (case
and accents as the list has them, matched without regard to case)."""

import re

from django.apps import apps as django_apps
from django.utils.translation import gettext as _

# (code, French name, English name, shop kinds, book rules, attributes); an attribute is
# (code, French name, English name, type, French unit, English unit, required, filterable).
STARTING_PRODUCT_KINDS = [
    ("book", "Livre", "Book", ["bookshop"], True, []),
    ("board-game", "Jeu de société", "Board game", ["games-toys", "bookshop"], False, [
        ("brand", "Marque", "Brand", "text", "", "", True, False),
        ("age-range", "Âge", "Age", "range", "ans", "years", True, True),
        ("players", "Nombre de joueurs", "Number of players", "range", "", "", False, True),
        ("playing-time", "Durée d’une partie", "Playing time", "integer", "min", "min", False, False),
    ]),
    ("toy", "Jouet", "Toy", ["games-toys"], False, [
        ("brand", "Marque", "Brand", "text", "", "", True, False),
        ("age-range", "Âge", "Age", "range", "ans", "years", True, True),
    ]),
]  # fmt: skip

RANGE = re.compile(r"^\s*(\d{1,4})\s*(?:(?:-|–|—|à|to)\s*(\d{1,4}))?\s*$", re.IGNORECASE)
INTEGER = re.compile(r"^\s*\d{1,6}\s*$")
MAX_TEXT = 200


def ensure_product_kinds(apps=None, **kwargs) -> None:
    """After every migrate: the starting kinds and their attributes, created once (head
    office may rename or extend them; they are never overwritten)."""
    apps = apps or django_apps
    try:
        ProductKind = apps.get_model("catalog", "ProductKind")
        ProductAttribute = apps.get_model("catalog", "ProductAttribute")
        ShopKind = apps.get_model("shops", "ShopKind")
    except LookupError:
        return  # migrations taken back before the kinds existed
    for position, (code, name_fr, name_en, shop_kinds, book_rules, attributes) in enumerate(
        STARTING_PRODUCT_KINDS
    ):
        kind, created = ProductKind.objects.get_or_create(
            code=code,
            defaults={
                "name_fr": name_fr,
                "name_en": name_en,
                "book_rules": book_rules,
                "position": 10 * (position + 1),
            },
        )
        if not created:
            continue
        kind.shop_kinds.set(ShopKind.objects.filter(code__in=shop_kinds))
        ProductAttribute.objects.bulk_create(
            ProductAttribute(kind=kind, code=a_code, name_fr=a_fr, name_en=a_en, type=a_type, unit_fr=unit_fr,
                             unit_en=unit_en, required=required, filterable=filterable, position=10 * (number + 1))
            for number, (a_code, a_fr, a_en, a_type, unit_fr, unit_en, required, filterable) in enumerate(attributes)
        )  # fmt: skip


def attribute_values_clean(kind, raw: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """Read `raw` ({attribute code: text as typed}) against the kind's attributes.
    Returns (values, problems): values as stored (text, int, [low, high] or the choice as
    listed); problems {attribute code: what to fix, in the person's language}. Codes the
    kind does not have are problems too: a column meant for another kind is not dropped
    silently."""
    attributes = {attribute.code: attribute for attribute in kind.attributes.all()}
    values, problems = {}, {}
    for code in raw.keys() - attributes.keys():
        problems[code] = _("“%(kind)s” has no “%(code)s”.") % {"kind": kind.name, "code": code}
    for code, attribute in attributes.items():
        text = (raw.get(code) or "").strip()
        if not text:
            if attribute.required:
                problems[code] = _("%(name)s is required for “%(kind)s”.") % {
                    "name": attribute.name,
                    "kind": kind.name,
                }
            continue
        value, problem = _read(attribute, text)
        if problem:
            problems[code] = _("%(name)s: %(problem)s") % {"name": attribute.name, "problem": problem}
        else:
            values[code] = value
    return values, problems


def _read(attribute, text: str):
    Type = attribute.Type
    if attribute.type == Type.INTEGER:
        if not INTEGER.match(text):
            return None, _("write a whole number, e.g. 45 (you wrote “%(text)s”).") % {"text": text}
        return int(text), None
    if attribute.type == Type.RANGE:
        match = RANGE.match(text)
        if not match:
            return None, _("write a number or a range, e.g. 8-12 (you wrote “%(text)s”).") % {"text": text}
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else low
        if high < low:
            return None, _("the range goes from the smaller number to the larger, e.g. 8-12.")
        return [low, high], None
    if attribute.type == Type.CHOICE:
        by_folded = {choice.casefold(): choice for choice in attribute.choice_list}
        if text.casefold() not in by_folded:
            return None, _("choose one of: %(choices)s.") % {"choices": ", ".join(attribute.choice_list)}
        return by_folded[text.casefold()], None
    if len(text) > MAX_TEXT:
        return None, _("at most %(count)d characters.") % {"count": MAX_TEXT}
    return text, None
