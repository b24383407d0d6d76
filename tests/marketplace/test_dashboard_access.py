"""Who may open which dashboard: head office the whole network; a drive's staff their
drives and the shops attached to them; booksellers their own shop's report; everyone
else "not found". The CSV files follow the pages' rules."""

import pytest
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.urls import reverse
from django.utils import translation

from tests.factories import ChainStaffFactory, DriveFactory, DriveStaffFactory, UserFactory

pytestmark = pytest.mark.django_db

CSV = {"format": "csv", "table": "shops"}


def en(name, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def drive_x(shop_a):
    drive = DriveFactory(name="Drive Nord", slug="drive-nord")
    shop_a.drives.add(drive)
    return drive


@pytest.fixture
def drive_y(shop_b):
    drive = DriveFactory(name="Drive Sud", slug="drive-sud")
    shop_b.drives.add(drive)
    return drive


@pytest.fixture
def staff_x(drive_x):
    return DriveStaffFactory(drives=[drive_x])


@pytest.fixture
def pages(drive_x, drive_y, shop_a, shop_b):
    return {
        "network": en("dashboard_network"),
        "drive X": en("dashboard_drive", drive_x.slug),
        "drive Y": en("dashboard_drive", drive_y.slug),
        "shop A": en("dashboard_shop", shop_a.pk),
        "shop B": en("dashboard_shop", shop_b.pk),
    }


def statuses(client, pages, *, query=None) -> dict[str, int]:
    return {name: client.get(url, query or {}).status_code for name, url in pages.items()}


# --- Head office ------------------------------------------------------------------------


@pytest.mark.parametrize("query", [None, CSV], ids=["page", "csv"])
def test_head_office_sees_the_whole_network_s_dashboard(client, pages, query):
    client.force_login(ChainStaffFactory())

    assert statuses(client, pages, query=query) == {
        "network": 200, "drive X": 200, "drive Y": 200, "shop A": 200, "shop B": 200,
    }  # fmt: skip


def test_head_office_s_network_page_links_every_drive_and_its_csv_lists_every_shop(
    client, pages, shop_a, shop_b
):
    client.force_login(ChainStaffFactory())

    response = client.get(pages["network"])
    csv = client.get(pages["network"], {"format": "csv", "table": "shops"})

    assert response.context["shop_rows"] is None  # thousands of rows: in the CSV only
    assert "Librairie Alpha" in csv.content.decode("utf-8-sig")
    assert "Librairie Bravo" in csv.content.decode("utf-8-sig")
    assert pages["drive X"] in response.text
    assert pages["drive Y"] in response.text


def test_head_office_opening_the_dashboard_lands_on_the_network(client, pages):
    client.force_login(ChainStaffFactory())

    response = client.get(en("dashboard"))

    assert response.status_code == 302
    assert response["Location"] == pages["network"]


# --- Drive staff ------------------------------------------------------------------------


@pytest.mark.parametrize("query", [None, CSV], ids=["page", "csv"])
def test_drive_staff_see_their_drive_and_its_shops_only(client, pages, staff_x, query):
    client.force_login(staff_x)

    assert statuses(client, pages, query=query) == {
        "network": 404, "drive X": 200, "drive Y": 404, "shop A": 200, "shop B": 404,
    }  # fmt: skip


def test_drive_staff_s_page_counts_only_the_shops_of_their_drive(client, pages, staff_x):
    client.force_login(staff_x)

    response = client.get(pages["drive X"])

    assert [row["trade_name"] for row in response.context["shop_rows"]] == ["Librairie Alpha"]
    assert "Librairie Bravo" not in response.text


def test_drive_staff_opening_the_dashboard_land_on_their_drive(client, pages, staff_x):
    client.force_login(staff_x)

    response = client.get(en("dashboard"))

    assert response.status_code == 302
    assert response["Location"] == pages["drive X"]


def test_staff_of_several_drives_choose_one(client, pages, drive_x, drive_y):
    client.force_login(DriveStaffFactory(drives=[drive_x, drive_y]))

    response = client.get(en("dashboard"))

    assert response.status_code == 200
    assert [drive.name for drive in response.context["drives"]] == ["Drive Nord", "Drive Sud"]
    assert response.context["shops"] == []
    assert pages["drive X"] in response.text
    assert pages["drive Y"] in response.text


# --- Booksellers ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner_a", "colleague_a"])
@pytest.mark.parametrize("query", [None, CSV], ids=["page", "csv"])
def test_booksellers_see_their_own_shop_s_report_only(client, request, pages, who, query):
    client.force_login(request.getfixturevalue(who))

    assert statuses(client, pages, query=query) == {
        "network": 404, "drive X": 404, "drive Y": 404, "shop A": 200, "shop B": 404,
    }  # fmt: skip


def test_a_bookseller_of_another_shop_cannot_see_this_one(client, pages, outsider):
    client.force_login(outsider)

    assert client.get(pages["shop A"]).status_code == 404
    assert client.get(pages["shop B"]).status_code == 200


def test_booksellers_opening_the_dashboard_land_on_their_shop_s_report(client, pages, owner_a):
    client.force_login(owner_a)

    response = client.get(en("dashboard"))

    assert response.status_code == 302
    assert response["Location"] == pages["shop A"]


# --- Everyone else ------------------------------------------------------------------------


@pytest.mark.parametrize("query", [None, CSV], ids=["page", "csv"])
def test_anonymous_visitors_are_sent_to_the_admin_login(client, pages, query):
    for url in [en("dashboard"), *pages.values()]:
        response = client.get(url, query or {})

        assert response.status_code == 302
        assert response["Location"].startswith(f"{en('admin:login')}?{REDIRECT_FIELD_NAME}=")


def test_a_customer_account_is_refused(client, pages):
    client.force_login(UserFactory())  # not staff: the back office is not theirs

    for url in [en("dashboard"), *pages.values()]:
        response = client.get(url, CSV)

        assert response.status_code == 302
        assert response["Location"].startswith(en("admin:login"))


def test_staff_with_no_shop_and_no_drive_find_nothing(client, pages):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(en("dashboard")).status_code == 404
    assert set(statuses(client, pages).values()) == {404}
