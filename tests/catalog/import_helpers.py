"""A shop's CSV file applied straight to its stock (no preview, no report), in English."""

import io

from django.utils import translation

from catalog.imports.apply import stock_import_apply
from catalog.imports.csv_reader import read_csv
from catalog.models import Book


def apply_csv(shop, text: str, *, full_sync: bool = False):
    with translation.override("en"):
        return stock_import_apply(
            shop=shop,
            rows=read_csv(io.BytesIO(text.encode())),
            full_sync=full_sync,
            source=Book.Source.STOCK_FILE,
        )
