"""Fill locale/<lang>/LC_MESSAGES/django.po from a Python dict of translations.

    .venv/bin/python scripts/translate.py fr /path/to/translations.py

The dict (named FR, EN, ...) maps each msgid (a tuple for plural forms;
"context\x04msgid" for a message with a context) to its translation. Entries already
translated keep their translation unless the dict gives a new one; fuzzy guesses by
gettext are emptied and reported as missing.
"""

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def main(language: str, translations_file: str) -> int:
    translations = runpy.run_path(translations_file)[language.upper()]
    po_path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    with open(po_path, "rb") as handle:
        catalog = read_po(handle, locale=language)
    catalog.fuzzy = False  # a fuzzy header would make the whole catalogue ignored
    catalog.project, catalog.version = "Drive Solidaire", "1"
    catalog.header_comment = f"# {language} translations of Drive Solidaire."
    missing = []
    for message in catalog:
        if not message.id:
            continue
        # A message with a context (pgettext) is keyed "context\x04msgid", as gettext does.
        key = f"{message.context}\x04{message.id}" if message.context else message.id
        if key in translations:
            message.string = translations[key]
            message.flags.discard("fuzzy")
        elif "fuzzy" in message.flags:
            # gettext's guess from a similar string: often wrong (placeholders differ).
            message.string = "" if isinstance(message.string, str) else ("",) * len(message.string)
            message.flags.discard("fuzzy")
            missing.append(message.id)
        elif not (message.string if isinstance(message.string, str) else all(message.string)):
            missing.append(message.id)
    with open(po_path, "wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, include_previous=False)
    for message_id in missing:
        print(f"untranslated: {message_id!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
