"""Names kept in both languages as data (kinds of shop, kinds of product, their
attributes): head office writes both; a page shows the one of its language."""

from django.utils import translation


def in_page_language(french: str, english: str) -> str:
    """English on English pages, French everywhere else (the site's first language)."""
    return english if (translation.get_language() or "").startswith("en") else french
