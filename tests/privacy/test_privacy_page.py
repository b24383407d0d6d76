"""The privacy page states what is kept, why, for how long and whom to ask, in French at
the root and in English under /en/, generated from the register (privacy/register.py) and
the settings: a period changed in the environment is the period the page states.

French wording is not asserted: the translations may lag behind the register. Each
entry's text is compared with the register's own, rendered in the page's language."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from privacy.register import REGISTER, kept_elsewhere
from tests.marketplace.page_helpers import en, small_site
from tests.marketplace.test_content_security_policy import PAGE_TYPES

pytestmark = pytest.mark.django_db

LANGUAGES = ["fr", "en"]
WITH_A_PERIOD = [entry for entry in REGISTER if entry.period_setting]
# The customers' pages (they all extend base.html): no admin, no API, no bare 404.
CUSTOMER_PAGES = ["home", "drive list", "drive", "search results", "book", "shop", "cart", "checkout",
                  "order", "customer login", "customer sign-up", "shop application"]  # fmt: skip


def privacy_url(language: str) -> str:
    with translation.override(language):
        return reverse("privacy")


def privacy_page(client, language: str) -> str:
    response = client.get(privacy_url(language))
    assert response.status_code == 200
    return response.content.decode()


def in_language(language: str, text) -> str:
    """`text` (lazy) as the page in `language` shows it, escaped like the template does."""
    with translation.override(language):
        return escape(str(text))


def row_of(page: str, key: str) -> str:
    """The register table's row for the kind of data `key`, tags removed."""
    row = re.search(rf'<tr id="kept-{key}">(.*?)</tr>', page, re.S)
    assert row is not None, f"no row for {key}"
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", row.group(1)))  # not the non-breaking spaces


def what_shops_see(page: str) -> str:
    return re.search(r'<p id="what-shops-see">(.*?)</p>', page, re.S).group(1)


def footer_of(page: str) -> str:
    return re.search(r'<footer class="site-footer">(.*?)</footer>', page, re.S).group(1)


def test_the_page_is_french_at_the_root_and_english_under_en(client):
    assert privacy_url("fr") == "/privacy/"
    assert privacy_url("en") == "/en/privacy/"

    french, english = privacy_page(client, "fr"), privacy_page(client, "en")

    assert '<html lang="fr">' in french
    assert '<html lang="en">' in english
    # The same register in both: one row per kind, in the same order.
    row_ids = re.compile(r'<tr id="kept-([\w-]+)">')
    assert row_ids.findall(french) == row_ids.findall(english) == [entry.key for entry in REGISTER]
    # What is kept, on what grounds, the cookies, the rights: the same sections in both.
    section_ids = re.compile(r'<h2 id="([\w-]+)">')
    assert section_ids.findall(french) == section_ids.findall(english)
    assert section_ids.findall(english) == ["kept-title", "bases-title", "cookies-title", "rights-title"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_of_data_of_the_register_is_listed_with_why_it_is_kept(client, language):
    page = privacy_page(client, language)

    for entry in REGISTER:
        row = row_of(page, entry.key)
        assert in_language(language, entry.what) in row
        assert in_language(language, entry.why) in row
    with translation.override(language):
        elsewhere = [escape(str(text)) for row in kept_elsewhere() for text in row]
    for text in elsewhere:
        assert text in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_period_is_the_one_configured(client, settings, language):
    # Figures no default has, one per setting: each row must show its own.
    configured = {entry.key: 400 + number for number, entry in enumerate(WITH_A_PERIOD)}
    for entry in WITH_A_PERIOD:
        setattr(settings, entry.period_setting, configured[entry.key])

    page = privacy_page(client, language)

    for entry in WITH_A_PERIOD:
        row = row_of(page, entry.key)
        assert re.search(rf"\b{configured[entry.key]}\b", row), (entry.period_setting, row)
        assert in_language(language, entry.period_start) in row
    for entry in REGISTER:
        if not entry.period_setting:  # kept until the person erases it: no figure
            assert in_language(language, entry.period_start) in row_of(page, entry.key)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_default_periods_are_stated(client, settings, language):
    page = privacy_page(client, language)

    for entry in WITH_A_PERIOD:
        days = getattr(settings, entry.period_setting)
        assert re.search(rf"\b{days}\b", row_of(page, entry.key)), entry.period_setting


@pytest.mark.parametrize("language", LANGUAGES)
def test_how_long_shops_see_customer_details_is_the_one_configured(client, settings, language):
    settings.SHOPS_SEE_CUSTOMER_DETAILS_DAYS = 45

    page = privacy_page(client, language)

    assert re.search(r"\b45\b", what_shops_see(page))
    settings.SHOPS_SEE_CUSTOMER_DETAILS_DAYS = 1
    assert re.search(r"\b1\b", what_shops_see(privacy_page(client, language)))


@pytest.mark.parametrize("language", LANGUAGES)
def test_whom_to_ask_is_the_one_configured(client, settings, language):
    settings.PRIVACY_CONTACT_EMAIL = "dpo@reseau-librairies.example"
    settings.PRIVACY_POSTAL_ADDRESS = "Réseau des librairies, DPO, 29200 Brest"

    page = privacy_page(client, language)

    assert 'href="mailto:dpo@reseau-librairies.example"' in page
    assert "Réseau des librairies, DPO, 29200 Brest" in page
    with translation.override(language):
        assert f'href="{reverse("my_data")}"' in page  # an account holder's own page


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_privacy_page_itself_links_to_itself_from_its_footer(client, language):
    assert f'href="{privacy_url(language)}"' in footer_of(privacy_page(client, language))


@pytest.mark.parametrize("page_type", CUSTOMER_PAGES)
def test_the_footer_of_every_customer_page_links_to_the_privacy_page(client, page_type):
    site = small_site()
    page = PAGE_TYPES[page_type]
    if page.book_in_the_cart:
        client.post(en("cart_add", site.listing.pk), {"quantity": 1})

    response = client.get(page.address(site))

    assert response.status_code == 200
    assert f'href="{privacy_url("en")}"' in footer_of(response.content.decode())


def test_the_french_pages_link_to_the_french_privacy_page(client):
    small_site()

    home = client.get(reverse("home")).content.decode()

    assert f'href="{privacy_url("fr")}"' in footer_of(home)
