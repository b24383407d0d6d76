"""French is the default language: every string of the code must be translated."""

import shutil

import pytest
from babel.messages.pofile import read_po
from django.core.management import call_command

from tests.conftest import REPO_DIR, require

SOURCE_IGNORES = [".venv/*", "var/*", "staticfiles/*", "tests/*", "test-artifacts/*", "build/*"]


def untranslated(po_file) -> list[str]:
    with open(po_file, "rb") as handle:
        catalog = read_po(handle)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if message.fuzzy or not all(strings):
            problems.append(str(message.id))
    return problems


def test_the_french_catalogue_is_complete():
    assert untranslated(REPO_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.po") == []


def test_every_string_in_the_code_is_in_the_french_catalogue(tmp_path, settings, monkeypatch):
    require("GNU gettext", shutil.which("xgettext") is not None, "install Debian's gettext package")
    # makemessages writes into the `locale` folder next to the sources it reads: run it in
    # a copy of the tree whose sources are links to ours, or it rewrites our catalogue.
    shutil.copytree(REPO_DIR / "locale", tmp_path / "locale")
    for entry in REPO_DIR.iterdir():
        if entry.name != "locale" and not entry.name.startswith("."):
            (tmp_path / entry.name).symlink_to(entry)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)

    call_command(
        "makemessages",
        locale=["fr"],
        ignore_patterns=SOURCE_IGNORES,
        no_location=True,
        no_wrap=True,
        symlinks=True,
        verbosity=0,
    )

    missing = untranslated(tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po")
    assert missing == [], "run ./scripts/makemessages and translate: " + "; ".join(missing)


@pytest.mark.django_db
def test_the_site_speaks_french_by_default_and_english_on_request(client):
    french, english = client.get("/shops/apply/"), client.get("/en/shops/apply/")

    assert '<html lang="fr">' in french.text
    assert "Proposez votre boutique sur Drive Solidaire" in french.text
    assert '<html lang="en">' in english.text
    assert "Put your shop on Drive Solidaire" in english.text
