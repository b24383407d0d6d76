"""The search page's result lines, written in Python: {% load result_lines %}.

The search page is the busiest page of the site, and its result lines were most of its
template time: 20 of them, each an `{% include %}` with its own `{% url %}`, three
translated phrases and three number formats, ~0.15 ms a line through Django's template
engine (issue 22). These write the same markup (the same classes, `aria-hidden` and
`tabindex` on the cover link, the same words in the same language) in a few string
operations: what the page needs once (the book page's address, the phrases that do not
depend on the line, the decimal separator) is worked out once per page.

Every value that comes from the catalogue is escaped (`escape`); translated phrases are
trusted as `{% blocktranslate %}` trusts them, their values escaped.
"""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.urls import reverse
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from catalog.product_kinds import described, kind_name

register = template.Library()

_PLACES = {0: Decimal(1), 1: Decimal("0.1"), 2: Decimal("0.01")}


def amount(value, places: int, decimal_separator: str) -> str:
    """`value|floatformat:places`, as Django writes it in the page's language (rounded half
    up, the language's decimal separator, no thousands separator: the site does not set
    USE_THOUSAND_SEPARATOR), without its generic path (~15 µs a number)."""
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    text = f"{number.quantize(_PLACES[places], rounding=ROUND_HALF_UP):f}"
    if text.startswith("-") and not text.strip("-0."):
        text = text[1:]  # floatformat writes no "-0"
    return text.replace(".", decimal_separator) if places else text


class _Page:
    """What every line of one page shares, worked out once."""

    def __init__(self, results, chosen_drive):
        self.separator = formats.get_format("DECIMAL_SEPARATOR")
        self.drive_query = f"?drive={escape(chosen_drive.slug)}" if chosen_drive else ""
        self.untitled = escape(gettext("(untitled)"))
        self.new = escape(gettext("New"))
        self.used = escape(gettext("Used"))
        self.price_range = gettext("<strong>%(low)s&nbsp;€</strong> to %(high)s&nbsp;€")
        self.from_distance = gettext("from %(distance)s km")
        # The book page's address around a placeholder EAN: reverse() once, not per line.
        self._prefix = self._suffix = None
        sample = next((result.ean for result in results if result.ean.isdigit()), None)
        if sample is not None:
            self._prefix, _, self._suffix = reverse("book", args=[sample]).partition(sample)

    def book_url(self, ean: str) -> str:
        if self._prefix is not None and ean.isdigit():  # digits need no quoting in a path
            return f"{self._prefix}{ean}{self._suffix}"
        return reverse("book", args=[ean])

    def in_shops(self, count: int) -> str:
        return ngettext("in %(counter)s shop", "in %(counter)s shops", count) % {"counter": count}


def _line(book, page: _Page) -> str:
    href = escape(page.book_url(book.ean)) + page.drive_query
    if book.cover_thumbnail:
        cover = f'<img src="{escape(book.cover_thumbnail_url)}" alt="" width="60" loading="lazy">'
    else:
        cover = '<span class="cover-placeholder"></span>'
    title = escape(book.title) if book.title else page.untitled
    if book.kind == "book":
        authors = book.authors
        byline = f'<p class="book-result__authors">{escape(authors)}</p>' if authors else ""
        byline += "\n    "
    else:
        kind_code = getattr(book, "kind_id", None) or book.kind
        details = "".join(
            f" · {escape(value)}"
            for _name, value in (described(kind_code, book.attributes) if book.attributes else [])
        )
        byline = f'<p class="book-result__authors">{escape(kind_name(kind_code))}{details}</p>'
    low = amount(book.min_price, 2, page.separator)
    if book.min_price == book.max_price:
        price = f"\n        <strong>{low}&nbsp;€</strong>\n      "
    else:
        high = amount(book.max_price, 2, page.separator)
        price = "\n        " + page.price_range % {"low": low, "high": high} + "\n      "
    distance = page.from_distance % {"distance": amount(book.nearest_km, 0, page.separator)}
    badges = (f'<span class="badge">{page.new}</span>' if book.has_new else "") + (
        f'<span class="badge badge--used">{page.used}</span>' if book.has_used else ""
    )
    return (
        '\n<li class="book-result">\n'
        f'  <a class="book-result__cover" href="{href}" tabindex="-1" aria-hidden="true">\n'
        f"    {cover}\n"
        "  </a>\n"
        '  <div class="book-result__body">\n'
        f'    <h2 class="book-result__title"><a href="{href}">{title}</a></h2>\n'
        f"    {byline}\n"
        '    <p class="book-result__offer">\n      '
        f"{price}\n"
        f"      · {page.in_shops(book.shop_count)}\n"
        f"      · {distance}\n"
        "    </p>\n"
        f'    <p class="badges">{badges}</p>\n'
        "  </div>\n"
        "</li>\n"
    )


@register.simple_tag(takes_context=True)
def result_lines(context, results) -> SafeString:
    """Every result line of a page of search results (`SearchResults.results`), linking to
    the book pages for the page's drive (`chosen_drive`)."""
    page = _Page(results, context.get("chosen_drive"))
    return mark_safe("".join(_line(book, page) for book in results))


@register.simple_tag(takes_context=True)
def result_line(context, book) -> SafeString:
    """One result line (catalog/_book_result.html, for pages that loop themselves)."""
    return mark_safe(_line(book, _Page([book], context.get("chosen_drive"))))
