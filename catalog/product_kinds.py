"""Kinds of product and their attributes (catalog.models.ProductKind, ProductAttribute):
the kinds the product starts with, and how a product's attribute values are read and
checked, whatever the kind — by hand, from a stock file or from the till API alike.

Values are written as people type them: text, a whole number ("45"), a range ("8-12",
"8 à 12", "2–4", or one number "10" for 10-10), or one of the attribute's choices (case
and accents as the list has them, matched without regard to case)."""

import re

from django.apps import apps as django_apps
from django.core.cache import cache
from django.utils.translation import gettext as _

from marketplace.bilingual import in_page_language
from marketplace.cache import cached_with_local_copy, forget_local_copies
from marketplace.text import comparison_key

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

# Kind code -> whether the book rules apply. A kind's book rules are fixed once it exists
# (the admin never changes them), so what was read stays true: read again only for a code
# not seen yet (a kind head office just added).
_BOOK_RULES: dict[str, bool] = {}


def follows_book_rules(kind_code: str) -> bool:
    """Whether ISBN, ONIX, the publisher's price and the loi Lang apply to products of
    this kind; read without a query per product."""
    if kind_code == "book":
        return True  # the starting kind's rules are the law's: fixed (the admin never changes them)
    if kind_code not in _BOOK_RULES:
        ProductKind = django_apps.get_model("catalog", "ProductKind")
        _BOOK_RULES.update(ProductKind.objects.values_list("code", "book_rules"))
    return _BOOK_RULES.get(kind_code, False)


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


def lacks_required_details(kind, attributes: dict) -> bool:
    """A value its kind requires is missing (head office may require one after products
    were listed): the moderation rules hold the product's listings. Books have none."""
    return not kind.book_rules and any(
        attribute.required and attribute.code not in attributes for attribute in kind.attributes.all()
    )


def attribute_as_typed(value) -> str:
    """An attribute's value as people type it (and as a stock file writes it): [8, 12]
    is "8-12"; the till API may send it either way."""
    if isinstance(value, list) and len(value) == 2:
        return f"{value[0]}-{value[1]}"
    return "" if value is None else str(value)


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


class ShopProductKinds:
    """The kinds of product one shop may list (those of its kinds of shop), the one its
    stock files and till mean when they name none (the first of them, books for a
    bookshop), and how a kind or an attribute written in a file is recognised: by its code
    or its name in French or English, without regard to case or accents."""

    def __init__(self, shop):
        ProductKind = django_apps.get_model("catalog", "ProductKind")
        self.every = list(ProductKind.objects.prefetch_related("attributes"))
        allowed = set(ProductKind.objects.filter(shop_kinds__shops=shop).values_list("code", flat=True))
        self.allowed = {kind.code: kind for kind in self.every if kind.code in allowed}
        self._by_code = {kind.code: kind for kind in self.every}
        # A shop with no kind yet (never asked) lists books, as every shop did before kinds.
        self.usual = next(iter(self.allowed.values()), None) or self._by_code.get(ProductKind.BOOK)
        self._by_word = {}
        for kind in self.every:
            for word in (kind.code, kind.name_fr, kind.name_en):
                self._by_word.setdefault(comparison_key(word), kind)
        self._attribute_codes = {
            kind.code: {
                comparison_key(word): attribute.code
                for attribute in kind.attributes.all()
                for word in (attribute.code, attribute.name_fr, attribute.name_en)
            }
            for kind in self.every
        }

    def by_code(self, code: str):
        return self._by_code.get(code)

    def named(self, text: str | None):
        """The kind a file or the till names (the shop's usual kind when it names none).
        Raises ValueError with what to fix when the name is unknown or the shop may not
        list that kind."""
        if text is None or not text.strip():
            return self.usual
        kind = self._by_word.get(comparison_key(text))
        if kind is None:
            raise ValueError(
                _("Unknown kind of product “%(text)s”: write one of %(kinds)s.")
                % {"text": text.strip(), "kinds": self.allowed_names()}
            )
        self.check_allowed(kind)
        return kind

    def check_allowed(self, kind) -> None:
        if kind.code not in self.allowed:
            raise ValueError(
                _("Your shop may not list “%(kind)s”; its kinds of shop allow %(kinds)s.")
                % {"kind": kind.name, "kinds": self.allowed_names()}
            )

    def allowed_names(self) -> str:
        return ", ".join(f"“{kind.name}”" for kind in self.allowed.values()) or "—"

    def attribute_named(self, header: str):
        """The attribute a file's column stands for, among the kinds the shop may list
        ("Marque" → the brand of board games), or None."""
        for kind in self.allowed.values():
            code = self._attribute_codes.get(kind.code, {}).get(comparison_key(header))
            if code is not None:
                return next(attribute for attribute in kind.attributes.all() if attribute.code == code)
        return None

    def attribute_values(self, kind, written: dict[str, str]) -> dict[str, str]:
        """{attribute code: text} from what a file or the till wrote ({column or code:
        text}); what is not one of the kind's attributes is left out (other columns)."""
        codes = self._attribute_codes.get(kind.code, {})
        values = {}
        for name, text in written.items():
            code = codes.get(comparison_key(name))
            if code is not None and code not in values:
                values[code] = text
        return values


KIND_CACHE_KEYS = ("product-attribute-definitions", "product-kind-names", "search-kinds-and-filters")


# What this process keeps of them, a few seconds: a search page shows twenty products,
# each with its kind's attributes; one trip to the shared cache per page, not per product.
LOCAL_SECONDS = 10


def forget_cached_kinds() -> None:
    """Head office changed a kind or an attribute: pages show the change at once (this
    process), or within LOCAL_SECONDS (the others)."""
    cache.delete_many(KIND_CACHE_KEYS)
    forget_local_copies(KIND_CACHE_KEYS)


def cached_kind_data(key: str, read):
    """One of KIND_CACHE_KEYS, from the shared cache (a minute) and this process's copy."""
    return cached_with_local_copy(key, read, timeout=60, local_seconds=LOCAL_SECONDS)


def kind_name(kind_code: str) -> str:
    return in_page_language(*_kind_names().get(kind_code, (kind_code, kind_code)))


def _kind_names() -> dict[str, tuple[str, str]]:
    return cached_kind_data(
        "product-kind-names",
        lambda: {
            code: (name_fr, name_en)
            for code, name_fr, name_en in django_apps.get_model("catalog", "ProductKind").objects.values_list(
                "code", "name_fr", "name_en"
            )
        },
    )


def _attribute_definitions() -> dict[str, list[tuple]]:
    """{kind code: [(code, type, French name, English name, French unit, English unit)]}
    for every kind, read once a minute (pages show them on every product)."""

    def read():
        ProductAttribute = django_apps.get_model("catalog", "ProductAttribute")
        definitions: dict[str, list[tuple]] = {}
        for row in ProductAttribute.objects.order_by("kind__position", "position").values_list(
            "kind__code", "code", "type", "name_fr", "name_en", "unit_fr", "unit_en"
        ):
            definitions.setdefault(row[0], []).append(row[1:])
        return definitions

    return cached_kind_data("product-attribute-definitions", read)


def described(kind_code: str, values: dict) -> list[tuple[str, str]]:
    """A product's attribute values as people read them, in the kind's order and the
    page's language: [("Âge", "10 à 99 ans"), ("Marque", "Libellud")]."""
    shown = []
    for code, attribute_type, name_fr, name_en, unit_fr, unit_en in _attribute_definitions().get(
        kind_code, []
    ):
        value = values.get(code)
        if value in (None, "", []):
            continue
        unit = in_page_language(unit_fr, unit_en)
        if attribute_type == "range" and isinstance(value, list) and len(value) == 2:
            low, high = value
            text = str(low) if low == high else _("%(low)s to %(high)s") % {"low": low, "high": high}
        else:
            text = str(value)
        shown.append((in_page_language(name_fr, name_en), f"{text}\u00a0{unit}" if unit else text))
    return shown
