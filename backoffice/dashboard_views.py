"""The dashboard's pages in the back office (wrapped in admin.site.admin_view in
config/urls.py: staff only, never cached).

The network's page is head office's; a drive's page is for that drive's staff and head
office; a shop's report is for its booksellers, its drives' staff and head office. Who
sees which drive and shop is decided by shops.selectors, never here: anything else is
"not found". Each page has CSV exports of its tables (?format=csv&table=shops|weeks).
"""

import csv
from datetime import timedelta
from decimal import Decimal

from django.contrib import admin
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from backoffice.dashboard import (
    Dashboard,
    Period,
    ShopFigures,
    Week,
    alerts_waiting_by_drive,
    dashboard_for_shops,
    sales_by_kind,
    shop_figures,
    weekly_activity,
)
from backoffice.dashboard_charts import BarChart, bar_chart
from shops.models import Shop
from shops.selectors import drives_for_user, shops_for_user, user_sees_all_shops

CSV_TABLES = ("shops", "weeks", "kinds")


def dashboard_home(request):
    """Where the back office's "Dashboard" link leads: head office to the network, a
    drive's staff to their drive, a bookseller to their shop; a list when there are
    several."""
    user = request.user
    if user_sees_all_shops(user):
        return redirect("dashboard_network")
    drives = list(drives_for_user(user).order_by("name"))
    # Their own shops outside their drives (a bookseller's): those of their drives are
    # on the drives' pages.
    shops = list(shops_for_user(user).exclude(drives__in=drives).order_by("trade_name"))
    if not drives and not shops:
        raise Http404
    if len(drives) + len(shops) == 1:
        if drives:
            return redirect("dashboard_drive", drives[0].slug)
        return redirect("dashboard_shop", shops[0].pk)
    context = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "drives": drives,
        "shops": shops,
    }
    return TemplateResponse(request, "admin/dashboard/choose.html", context)


def network_dashboard(request):
    if not user_sees_all_shops(request.user):
        raise Http404
    return _dashboard_page(
        request,
        shops=shops_for_user(request.user),
        title=_("Dashboard — whole network"),
        file_name="network",
        extra={
            "drives": drives_for_user(request.user).order_by("name"),
            "alerts_by_drive": alerts_waiting_by_drive(),
        },
        # Thousands of rows (0.1 s to compute at 3,000 shops since the listing counts are
        # kept, bench/dashboard.py): the page links each drive's page instead; the CSV has
        # the whole table.
        shop_table=False,
    )


def drive_dashboard(request, slug):
    drive = drives_for_user(request.user).filter(slug=slug).first()
    if drive is None:
        raise Http404
    return _dashboard_page(
        request,
        shops=shops_for_user(request.user).filter(drives=drive),
        title=_("Dashboard — %(drive)s") % {"drive": drive.name},
        file_name=f"drive-{drive.slug}",
        extra={"drive": drive},
    )


def shop_dashboard(request, pk):
    shop = shops_for_user(request.user).filter(pk=pk).first()
    if shop is None:
        raise Http404
    return _dashboard_page(
        request,
        shops=Shop.objects.filter(pk=shop.pk),
        title=_("Report — %(shop)s") % {"shop": shop.trade_name},
        file_name=f"shop-{shop.slug}",
        extra={"shop": shop},
        shop_table=False,  # a table of one row: the report says it all already
    )


def _dashboard_page(request, *, shops, title: str, file_name: str, extra: dict, shop_table: bool = True):
    period = Period.recent()
    if request.GET.get("format") == "csv":
        table = request.GET.get("table", "shops")
        if table not in CSV_TABLES:
            raise Http404
        return _csv_response(table, shops=shops, period=period, file_name=f"{file_name}-{table}")
    dashboard = dashboard_for_shops(shops=shops, period=period)
    shop_rows = [_shop_row(row) for row in shop_figures(shops=shops, period=period)] if shop_table else None
    context = {
        **admin.site.each_context(request),
        **extra,
        "title": title,
        "dashboard": dashboard,
        "period": period,
        "shop_rows": shop_rows,
        "figures": _key_figures(dashboard),
        "charts": _charts(dashboard),
        "weeks": [_week_row(week) for week in dashboard.weeks],
        "csv_links": [
            (_("Shops (CSV)"), "?format=csv&table=shops"),
            (_("Weeks (CSV)"), "?format=csv&table=weeks"),
            (_("Kinds of product (CSV)"), "?format=csv&table=kinds"),
        ],
        "kinds": [
            {
                "name": row.name,
                "items": number_format(row.items, force_grouping=True),
                "value": money(row.value),
            }
            for row in dashboard.sales_by_kind
        ],
        "dashboard_home": reverse("dashboard"),
    }
    return TemplateResponse(request, "admin/dashboard/dashboard.html", context)


# --- What the page shows --------------------------------------------------------------


def _key_figures(dashboard: Dashboard) -> list[tuple[str, str, str]]:
    """(label, value, explanation) of the figures over the whole period."""
    return [
        (_("Reservations"), number_format(dashboard.reservations, force_grouping=True),
         _("Orders placed by customers.")),
        (_("Orders collected"), number_format(dashboard.collected, force_grouping=True),
         _("Paid for and taken away in the shop.")),
        (_("Sales kept local"), money(dashboard.collected_value),
         _("Value of what was collected (lines the shop could serve), by kind of product below.")),
        (_("No-show rate"), percent(dashboard.no_show_rate),
         _("Orders nobody came for, among the collected and expired ones.")),
        (_("Late answers"), number_format(dashboard.unanswered, force_grouping=True),
         _("Orders the shop neither accepted nor refused in time: cancelled, the customer told.")),
        (_("Median time to accept"), duration(dashboard.median_time_to_accept),
         _("From the reservation to the shop's acceptance.")),
        (_("Median time to ready"), duration(dashboard.median_time_to_ready),
         _("From the reservation to the books waiting at the counter.")),
        *_second_chance_figures(dashboard.second_chances),
    ]  # fmt: skip


def _second_chance_figures(chances) -> list[tuple[str, str, str]]:
    """When the shelf said no: another shop, "order it for me", "tell me when it is here"."""
    if chances is None:
        return []
    count = lambda number: number_format(number, force_grouping=True)  # noqa: E731
    return [
        (_("Reserved elsewhere after a no"), count(chances.reserved_elsewhere),
         _("Orders not served (refused, unavailable, expired, not answered) whose customer reserved the same "
           "item at another shop nearby, from the order's page or email.")),
        (_("Ordered for customers"), count(chances.ordered_for_customers),
         _("Books no shop around had, asked from a shop that ordered them from its distributor.")),
        (_("Stock alerts sent"), count(chances.alerts_sent),
         _("“Tell me when it is here” emails sent when these shops listed the product.")),
        (_("Alerts turned into reservations"), count(chances.alerts_reserved),
         _("Of those, how many readers reserved the product within two weeks.")),
        (_("Alerts waiting"), count(chances.alerts_waiting),
         _("Confirmed alerts still waiting for their product around these shops' drives.")),
    ]  # fmt: skip


def _charts(dashboard: Dashboard) -> list[BarChart]:
    labels = [date_format(week.monday, "j b") for week in dashboard.weeks]
    return [
        bar_chart(
            chart_id="chart-reservations",
            title=_("Reservations per week"),
            labels=labels,
            values=[week.reservations for week in dashboard.weeks],
            value_text=lambda value: number_format(value, force_grouping=True),
        ),
        bar_chart(
            chart_id="chart-sales",
            title=_("Sales kept local per week (collected orders, €)"),
            labels=labels,
            values=[week.collected_value for week in dashboard.weeks],
            value_text=lambda value: money(value, decimals=0),
        ),
    ]


def _week_row(week: Week) -> dict:
    return {
        "monday": week.monday,
        "reservations": week.reservations,
        "collected": week.collected,
        "collected_value": money(week.collected_value),
        "expired": week.expired,
        "no_show_rate": percent(week.no_show_rate),
        "unanswered": week.unanswered,
    }


def _shop_row(row: ShopFigures) -> dict:
    return {
        "shop_id": row.shop_id,
        "trade_name": row.trade_name,
        "town": row.town,
        "status": row.status_label,
        "published_listings": row.published_listings,
        "reservations": row.reservations,
        "collected": row.collected,
        "collected_value": money(row.collected_value),
        "no_show_rate": percent(row.no_show_rate),
        "unanswered": row.unanswered,
    }


def money(amount: Decimal, *, decimals: int = 2) -> str:
    return f"{number_format(amount, decimals, force_grouping=True)}\u00a0€"


def percent(rate: float | None) -> str:
    if rate is None:
        return "—"
    return f"{number_format(rate * 100, 1)}\u00a0%"


def duration(value: timedelta | None) -> str:
    """A median delay as people say it: minutes, hours, or days past two days."""
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    if hours < 1:
        return _("%(minutes)s min") % {"minutes": number_format(round(hours * 60))}
    if hours < 48:
        return _("%(hours)s h") % {"hours": number_format(hours, 1)}
    return _("%(days)s days") % {"days": number_format(hours / 24, 1)}


# --- CSV ----------------------------------------------------------------------------------


def _csv_response(table: str, *, shops, period: Period, file_name: str) -> HttpResponse:
    """A spreadsheet-friendly file: UTF-8 with a byte-order mark (Excel then reads the
    accents right), plain numbers with a dot (no currency sign, no grouping)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="dashboard-{file_name}-{day}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    if table == "shops":
        writer.writerow([
            _("Shop"), _("Town"), _("Status"), _("Published listings"), _("Reservations"),
            _("Orders collected"), _("Sales kept local (€)"), _("Orders expired"), _("No-show rate"),
            _("Late answers"), _("First day of the period"), _("Last day of the period"),
        ])  # fmt: skip
        for row in shop_figures(shops=shops, period=period):
            writer.writerow([
                _text_cell(row.trade_name), _text_cell(row.town), row.status_label, row.published_listings,
                row.reservations, row.collected, row.collected_value, row.expired, _csv_rate(row.no_show_rate),
                row.unanswered, period.first_monday.isoformat(), period.last_day.isoformat(),
            ])  # fmt: skip
    elif table == "kinds":
        writer.writerow([
            _("Kind of product"), _("Items collected"), _("Sales kept local (€)"), _("First day of the period"),
            _("Last day of the period"),
        ])  # fmt: skip
        for row in sales_by_kind(shops=shops, period=period):
            writer.writerow([_text_cell(row.name), row.items, row.value, period.first_monday.isoformat(),
                             period.last_day.isoformat()])  # fmt: skip
    else:
        writer.writerow([
            _("Week of"), _("Reservations"), _("Orders collected"), _("Sales kept local (€)"),
            _("Orders expired"), _("No-show rate"), _("Late answers"),
        ])  # fmt: skip
        for week in weekly_activity(shops=shops, period=period):
            writer.writerow([
                week.monday.isoformat(), week.reservations, week.collected, week.collected_value,
                week.expired, _csv_rate(week.no_show_rate), week.unanswered,
            ])  # fmt: skip
    return response


def _text_cell(text: str) -> str:
    """Names typed by applicants, made inert for spreadsheets: a cell starting with = + - @
    would be run as a formula when the file is opened (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_rate(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.4f}"
