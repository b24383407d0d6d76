"""The QR code of a pickup code: the counter page's address with the code filled in.

The bookseller scans it with the phone's camera app, which opens the counter page (after
logging in if needed) showing the order; handing it over still takes a click (a POST).
The code alone opens nothing for anyone else: the counter only answers members of the
order's shop.
"""

import io
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import translation

# Pixels per module of the PNG (emails show it 200 px wide; phones' screens are denser).
PNG_SCALE = 8


def counter_url(code: str) -> str:
    """`<SITE_URL>/counter/?code=…`: the counter page in the site's default language (the
    address without a language prefix), whoever's order it is."""
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("counter")
    return f"{settings.SITE_URL}{path}?{urlencode({'code': code})}"


def _qr(code: str) -> segno.QRCode:
    # Error correction M: still readable with a scratched screen or a crumpled printout.
    # Never a Micro QR code: phones' camera apps do not read them.
    return segno.make(counter_url(code), error="m", micro=False)


def pickup_qr_svg(code: str, *, title: str) -> str:
    """Inline SVG markup (no size: CSS decides), with `title` for screen readers. Black
    on white whatever the page's colours: scanners want contrast and a quiet zone."""
    return _qr(code).svg_inline(
        scale=4, omitsize=True, title=title, svgclass="pickup-qr__image", dark="#000", light="#fff"
    )


def pickup_qr_png(code: str) -> bytes:
    buffer = io.BytesIO()
    _qr(code).save(buffer, kind="png", scale=PNG_SCALE, border=4, dark="#000", light="#fff")
    return buffer.getvalue()
