"""Benchmark: the main pages as a phone gets them — weight, Lighthouse, axe — their
screenshots, and the server time of the bookseller space (issue 19).

Targets (issue 19), on the demo's data:
- every public page ≤ 30 KB transferred on first load (HTML + CSS + JS, gzip);
- Lighthouse (mobile) ≥ 95 performance and 100 accessibility;
- axe-core: 0 violations, whatever their impact;
- the bookseller space's pages < 300 ms server time.

    npm ci --prefix bench            # Lighthouse and axe-core, into bench/node_modules (git-ignored);
                                     # the script runs it itself when they are missing
    .venv/bin/python bench/pages.py  # about 3 minutes; --lighthouse-runs 3 (the median of three): 8

It needs PostgreSQL (DATABASE_URL's server) and Redis (BENCH_REDIS_URL, by default
redis://127.0.0.1:6379/3), as CI starts them.

The run creates and drops its own database (bench/own_database.py) on DATABASE_URL's
server, loads the demo into it (`seed_demo`: the demo's shops, the generated shops and
stock around them, three orders), and serves it with gunicorn and production settings
(DEBUG off, static files from the manifest with whitenoise) on a free port of 127.0.0.1:
nothing leaves the machine. Chromium is Debian's, driven by Playwright (for the clicks,
the weights, axe and the screenshots) and by Lighthouse.

A customer chooses the Lorient drive and puts a book in their reservation; another
reserves one through the real checkout (its confirmation and order pages); the demo
bookseller logs in (the counter, the bookseller space). Each page is then loaded in a
fresh browser context holding only the cookies of whoever sees it: an empty cache, a
first load. Screenshots go to docs/screens/ (phone 390 × 844, desktop 1366 × 900, the
first screen only); Lighthouse's reports to var/bench-pages/.

The bookseller space's server time is measured in-process with Django's test client, as
bench/search.py does: the whole request, middleware and templates included, for the
demo bookseller (one shop) and for head office (every shop).
"""

import argparse
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from own_database import own_database  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# No calls home from the browser: the machine has no internet, and the only traffic
# allowed is to our own server on 127.0.0.1.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
LIGHTHOUSE = BENCH / "node_modules" / "lighthouse" / "cli" / "index.js"
AXE = BENCH / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = ROOT / "docs" / "screens"
REPORTS = ROOT / "var" / "bench-pages"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
WEIGHT_TARGET_KB = 30
PERFORMANCE_TARGET, ACCESSIBILITY_TARGET = 95, 100
SERVER_TIME_TARGET_MS = 300
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")

DRIVE = "drive-lorient-keryado"
BOOKSHOP = "Librairie du Port"  # the demo bookseller's shop
HEAD_OFFICE = "head office"


@dataclass
class Page:
    name: str
    path: str
    seen_by: str | None  # whose cookies: None for a first visit
    public: bool = True  # the targets apply; else measured for information
    phone_screen: bool = False
    desktop_screen: bool = False
    results: dict = field(default_factory=dict)


# --- Set-up: the database, the demo, the server --------------------------------------


def settings_environment(port: int, cache_prefix: str) -> dict:
    """Production settings, on 127.0.0.1 over plain HTTP. The in-process test client asks
    for "testserver"; gunicorn only answers 127.0.0.1."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "benchmark-only-" + "x" * 40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        # Emails' links point to this server, as the demo's do.
        "SITE_URL": f"http://127.0.0.1:{port}",
        # Without a broker, tasks (the emails of an order) run in-process after the commit.
        "CELERY_BROKER_URL": "",
        # Shared by gunicorn's workers, as in production: sessions are read from the cache
        # first, and a cache of each worker's own serves one worker's old copy of a cart
        # another worker has just changed. The run's keys carry its name and are deleted.
        "CACHE_URL": f"{REDIS}?key_prefix={cache_prefix}",
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def redis_keys_delete(cache_prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        for key in client.scan_iter(f"{cache_prefix}:*", count=1000):
            client.delete(key)
    except redis.ConnectionError as error:  # the site ran without a cache: nothing to delete
        print(f"Redis unreachable at {REDIS} ({error})")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_the_demo() -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    # The demo's accounts have published passwords: seed_demo refuses them under
    # production settings unless told; this database is dropped at the end of the run.
    call_command("seed_demo", allow_without_debug=True, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest production serves
    print(f"demo loaded in {time.perf_counter() - started:.0f} s")


def start_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--timeout", "60", "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}, start_new_session=True,
    )  # fmt: skip
    for _ in range(150):
        try:
            urlopen(f"http://127.0.0.1:{port}/ping", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not answer within 30 s")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def demo_facts() -> dict:
    """What the pages are about, read from the demo's data: a book of the demo bookshop
    that the most shops around the drive offer (its page shows the most), a board game of
    the games shop, a word of the book's title to search for, the order waiting at the
    counter."""
    from django.db.models import Count, F, OuterRef, Subquery

    from catalog.models import Book, Listing
    from devtools.demo import BOOKSELLER_EMAIL, BOOKSELLER_PASSWORD, demo_product_ean, demo_shop
    from orders.models import Order
    from shops.models import Drive
    from shops.selectors import shops_near

    drive = Drive.objects.get(slug=DRIVE)
    around = [
        shop.id for shop in shops_near(latitude=drive.latitude, longitude=drive.longitude, radius_km=30)
    ]
    in_stock = Listing.objects.filter(status=Listing.Status.PUBLISHED, quantity__gt=F("reserved"))
    offers_around = (
        in_stock.filter(book=OuterRef("book"), shop__in=around).values("book").annotate(count=Count("pk"))
    )
    listing = (
        in_stock.filter(shop=demo_shop(BOOKSHOP), book__kind_id="book", quantity__gt=F("reserved") + 1)
        .annotate(offers=Subquery(offers_around.values("count")))
        .select_related("book")
        .order_by("-offers", "pk")
        .first()
    )
    book: Book = listing.book
    query = max((word.strip(",:;.!?'") for word in book.title.split()), key=len).lower()
    waiting = Order.objects.filter(shop=listing.shop, status=Order.Status.READY).order_by("pk").first()
    return {
        "book": book.ean,
        "book_title": book.title,
        "game": demo_product_ean(0),  # Dixit, at La Boîte à Jeux (and in the demo bookshop)
        "query": query,
        "pickup_code": waiting.pickup_code,
        "bookseller": (BOOKSELLER_EMAIL, BOOKSELLER_PASSWORD),
    }


# --- In the browser: the people, the pages --------------------------------------------


def new_context(browser, viewport: dict, state: dict | None = None):
    return browser.new_context(viewport=viewport, device_scale_factor=1, locale="fr-FR", storage_state=state)


def reserve_the_book(page, base: str, facts: dict) -> None:
    """The customer's way in: the drive found by its town, the book put in the reservation."""
    page.goto(f"{base}/")
    page.get_by_label("Ville ou code postal").fill("Lorient")
    page.get_by_role("button", name="Trouver mon drive").click()
    page.get_by_role("button", name="Choisir Drive Lorient Keryado").click()
    page.goto(f"{base}/books/{facts['book']}/?drive={DRIVE}")
    page.locator(".offer").filter(has_text=BOOKSHOP).get_by_role("link", name="Réserver").first.click()
    page.get_by_label("Exemplaires").select_option("1")
    page.get_by_role("button", name="Ajouter à ma réservation").click()
    page.get_by_text("est dans votre réservation").wait_for()


def the_people(browser, base: str, facts: dict) -> tuple[dict, dict]:
    """The cookies of each person whose pages are measured, and the addresses of the order
    placed through the checkout."""
    states, addresses = {}, {}
    with_a_book, buyer, bookseller = (new_context(browser, PHONE) for _ in range(3))
    try:
        reserve_the_book(with_a_book.new_page(), base, facts)
        states["customer"] = with_a_book.storage_state()

        page = buyer.new_page()
        reserve_the_book(page, base, facts)
        page.goto(f"{base}/reservation/confirm/")
        page.get_by_label("Votre nom").fill("Annick Le Goff")
        page.get_by_label("E-mail", exact=True).fill("annick@example.fr")
        page.get_by_label("Téléphone").fill("06 12 34 56 78")
        page.get_by_label("J’accepte les conditions de réservation.").check()
        page.get_by_role("button", name="Réserver, payer en boutique").click()
        page.get_by_role("heading", name="Vos articles sont réservés").wait_for()
        addresses["confirmation"] = page.url.removeprefix(base)
        page.get_by_role("link", name="Suivre ou annuler cette commande").first.click()
        page.wait_for_url("**/orders/**")
        addresses["order"] = page.url.removeprefix(base)
        states["buyer"] = buyer.storage_state()

        page = bookseller.new_page()
        page.goto(f"{base}/admin/")
        email, password = facts["bookseller"]
        page.get_by_label("Adresse e-mail").fill(email)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_role("button", name="Se déconnecter").wait_for()
        states["bookseller"] = bookseller.storage_state()
    finally:
        for context in (with_a_book, buyer, bookseller):
            context.close()
    return states, addresses


def the_pages(facts: dict, addresses: dict) -> list[Page]:
    search = urlencode({"drive": DRIVE, "q": facts["query"]})
    return [
        Page("home", "/", None, phone_screen=True, desktop_screen=True),
        Page("search", f"/search/?{search}", None, phone_screen=True, desktop_screen=True),
        Page("book", f"/books/{facts['book']}/?drive={DRIVE}", None, phone_screen=True, desktop_screen=True),
        Page("board game", f"/books/{facts['game']}/?drive={DRIVE}", None),
        Page("cart", "/reservation/", "customer", phone_screen=True),
        Page("checkout", "/reservation/confirm/", "customer"),
        Page("confirmation", addresses["confirmation"], "buyer"),
        Page("order", addresses["order"], "buyer", phone_screen=True),
        Page("counter", "/counter/", "bookseller", phone_screen=True),
        Page("bookseller space", "/admin/", "bookseller", public=False, desktop_screen=True),
        Page("stock list", "/admin/catalog/listing/", "bookseller", public=False, desktop_screen=True),
    ]


def first_load(browser, base: str, page_spec: Page, state: dict | None) -> dict:
    """Bytes received for the page and everything it loads, by kind, from an empty cache;
    body sizes as sent (compressed), headers left out."""
    context = new_context(browser, PHONE, state)
    try:
        finished = []
        page = context.new_page()
        page.on("requestfinished", lambda request: finished.append(request))
        response = page.goto(base + page_spec.path, wait_until="networkidle")
        assert response.ok, (page_spec.path, response.status)
        by_kind = {"html": 0, "css": 0, "js": 0, "other": 0}
        encodings = set()
        for request in finished:
            kind = {"document": "html", "stylesheet": "css", "script": "js"}.get(
                request.resource_type, "other"
            )
            by_kind[kind] += request.sizes()["responseBodySize"]
            if kind != "other":
                encodings.add(request.response().header_value("content-encoding") or "none")
        return {**by_kind, "encodings": sorted(encodings), "files": len(finished)}
    finally:
        context.close()


def axe_violations(browser, base: str, page_spec: Page, state: dict | None) -> list[dict]:
    """axe-core's violations on the page, every impact (its default rules: WCAG 2 A and
    AA, and best practices), each with the elements it found.

    The site's Content-Security-Policy refuses inline scripts, which is what
    add_script_tag() inserts: axe's source is evaluated through the DevTools protocol
    instead (page.evaluate), which the policy does not govern — the page itself is
    analysed under its real policy, not with bypass_csp."""
    context = new_context(browser, PHONE, state)
    try:
        page = context.new_page()
        page.goto(base + page_spec.path, wait_until="networkidle")
        page.evaluate(AXE.read_text())
        result = page.evaluate("axe.run()")
        return [
            {"rule": v["id"], "impact": v["impact"], "help": v["help"],
             "where": [" ".join(node["target"]) for node in v["nodes"]]}
            for v in result["violations"]
        ]  # fmt: skip
    finally:
        context.close()


def screenshots(browser, base: str, pages: list[Page], states: dict, facts: dict) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    for size_name, viewport, wanted in (
        ("phone", PHONE, "phone_screen"),
        ("desktop", DESKTOP, "desktop_screen"),
    ):
        for page_spec in (p for p in pages if getattr(p, wanted)):
            context = new_context(browser, viewport, states.get(page_spec.seen_by))
            try:
                page = context.new_page()
                page.goto(base + page_spec.path, wait_until="networkidle")
                if page_spec.name == "counter":  # what the counter is for: a code typed, its order found
                    page.get_by_label("Code de retrait").fill(facts["pickup_code"])
                    page.get_by_role("button", name="Trouver la commande").click()
                    page.locator(".counter-order").wait_for()
                name = page_spec.name.replace(" ", "-")
                page.screenshot(path=SCREENS / f"{size_name}-{name}.png")
            finally:
                context.close()


def browse(base: str, facts: dict, *, with_axe: bool) -> tuple[list[Page], dict]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            states, addresses = the_people(browser, base, facts)
            pages = the_pages(facts, addresses)
            for page_spec in pages:
                state = states.get(page_spec.seen_by)
                page_spec.results["weight"] = first_load(browser, base, page_spec, state)
                if with_axe:
                    page_spec.results["axe"] = axe_violations(browser, base, page_spec, state)
            screenshots(browser, base, pages, states, facts)
        finally:
            browser.close()
    return pages, states


# --- Lighthouse -----------------------------------------------------------------------


def lighthouse(base: str, page_spec: Page, state: dict | None, runs: int) -> dict:
    """Median scores of `runs` Lighthouse runs (mobile: a mid-range phone on a slow 4G,
    simulated); the bookseller space as on a desk (the desktop preset). The person's
    cookies go along as a header: Lighthouse starts its own browser."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in (state or {}).get("cookies", []))
    reports = []
    for run in range(runs):
        output = REPORTS / f"{page_spec.name.replace(' ', '-')}-{run + 1}.json"
        command = ["node", str(LIGHTHOUSE), base + page_spec.path, "--output=json", f"--output-path={output}",
                   "--only-categories=performance,accessibility", "--quiet",
                   f"--chrome-flags=--headless=new {' '.join(CHROMIUM_FLAGS)}"]  # fmt: skip
        if not page_spec.public:
            command.append("--preset=desktop")
        if cookies:
            command.append(f"--extra-headers={json.dumps({'Cookie': cookies})}")
        # Lighthouse now and then loses the trace of a page load (NO_NAVSTART, a known
        # flake of its trace recording): such a run is tried again, once.
        for attempt in (1, 2):
            finished = subprocess.run(command, timeout=180, env={**os.environ, "CHROME_PATH": CHROMIUM})
            if finished.returncode == 0:
                break
            if attempt == 2:
                raise SystemExit(f"Lighthouse failed twice on {page_spec.path}")
        reports.append(json.loads(output.read_text()))
    performance = [round(100 * r["categories"]["performance"]["score"]) for r in reports]
    accessibility = [round(100 * r["categories"]["accessibility"]["score"]) for r in reports]
    last = reports[-1]
    failing = sorted(
        audit_id
        for audit_id in (ref["id"] for ref in last["categories"]["accessibility"]["auditRefs"])
        if last["audits"][audit_id]["score"] == 0
    )
    return {
        "performance": statistics.median(performance),
        "performance_runs": performance,
        "accessibility": statistics.median(accessibility),
        "failing_accessibility": failing,
        "largest_paint_ms": statistics.median(
            r["audits"]["largest-contentful-paint"]["numericValue"] for r in reports
        ),
    }


# --- The bookseller space's server time (in-process) -----------------------------------


def back_office_timings(requests: int) -> list[tuple[str, str, list[float], int]]:
    """(page, who, timings in seconds, queries) for the bookseller space's main pages, as
    the demo bookseller (one shop) and as head office (every shop's rows)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from devtools.demo import BOOKSELLER_EMAIL, STAFF_EMAIL, demo_shop
    from orders.models import Order

    order = Order.objects.filter(shop=demo_shop(BOOKSHOP)).order_by("pk").first()
    pages = {
        "home": "/admin/",
        "stock list": "/admin/catalog/listing/",
        "orders list": "/admin/orders/order/",
        "an order": f"/admin/orders/order/{order.pk}/change/",
    }
    # The counter is on the site but is the bookseller's (head office belongs to no shop).
    counter = {"counter": "/counter/"}
    measured = []
    for who, email, their_pages in (
        (BOOKSHOP, BOOKSELLER_EMAIL, pages | counter),
        (HEAD_OFFICE, STAFF_EMAIL, pages),
    ):
        client = Client()
        client.force_login(get_user_model().objects.get(email=email))
        for name, path in their_pages.items():
            for _ in range(3):  # warm: Python's imports, templates, PostgreSQL's caches
                assert client.get(path).status_code == 200, (who, path)
            timings = []
            for _ in range(requests):
                started = time.perf_counter()
                client.get(path)
                timings.append(time.perf_counter() - started)
            with CaptureQueriesContext(connection) as queries:
                client.get(path)
            measured.append((name, who, timings, len(queries)))
    return measured


# --- The report -----------------------------------------------------------------------


def percentile(timings: list[float], share: float) -> float:
    """In milliseconds, by nearest rank: the p95 of 20 requests is the 19th fastest."""
    ordered = sorted(timings)
    return 1000 * ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def kilobytes(size: int) -> str:
    return f"{size / 1024:.1f}"


def missed(ok: bool, page: Page) -> str:
    """✗ after a figure of a public page that misses its target."""
    return "" if ok or not page.public else " ✗"


def pages_table(pages: list[Page], *, lighthouse_runs: int) -> list[str]:
    """One row per page; ✗ marks a public page's missed target (the bookseller space's
    pages have none but server time: they are shown for information)."""
    lines = [
        f"Pages: first load from an empty cache, KB of 1,024 bytes as sent (compressed), headers left out; "
        f"Lighthouse: median of {lighthouse_runs} run(s), mobile for the site, desktop for the bookseller space",
        "",
        "| page | HTML | CSS | JS | HTML+CSS+JS | all files (count) | Lighthouse performance | accessibility | axe |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for page in pages:
        weight, light, axe = page.results["weight"], page.results.get("lighthouse"), page.results.get("axe")
        essential = weight["html"] + weight["css"] + weight["js"]
        cells = [page.name if page.public else f"{page.name} (info)"]
        cells += [kilobytes(weight[kind]) for kind in ("html", "css", "js")]
        cells.append(f"**{kilobytes(essential)}**{missed(essential <= WEIGHT_TARGET_KB * 1024, page)}")
        cells.append(f"{kilobytes(essential + weight['other'])} ({weight['files']})")
        if light:
            runs = light["performance_runs"]
            cells.append(
                f"{light['performance']:.0f}{missed(light['performance'] >= PERFORMANCE_TARGET, page)}"
                + (f" ({'/'.join(map(str, runs))})" if len(runs) > 1 else "")
                + f", LCP {light['largest_paint_ms'] / 1000:.1f} s"
            )
            failing = light["failing_accessibility"]
            cells.append(
                f"{light['accessibility']:.0f}{missed(light['accessibility'] >= ACCESSIBILITY_TARGET, page)}"
                + (f" ({', '.join(failing)})" if failing else "")
            )
        else:
            cells += ["—", "—"]
        if axe is None:
            cells.append("—")
        else:
            found = ", ".join(f"{v['rule']} ({v['impact']}, {len(v['where'])})" for v in axe)
            cells.append(f"{found}{missed(False, page)}" if axe else "0")
        lines.append("| " + " | ".join(cells) + " |")
    encodings = sorted({encoding for page in pages for encoding in page.results["weight"]["encodings"]})
    lines += ["", f"Content-Encoding of the HTML, CSS and JS received: {', '.join(encodings)}"]
    findings = [(page.name, violation) for page in pages for violation in page.results.get("axe") or []]
    if findings:
        lines += ["", "What axe found:"]
        for name, violation in findings:
            where = ", ".join(violation["where"][:3]) + (" …" if len(violation["where"]) > 3 else "")
            lines.append(f"- {name}: {violation['rule']} ({violation['help']}): {where}")
    return lines


def timings_table(timings) -> list[str]:
    lines = [
        f"Bookseller space, server time: Django test client in-process, {len(timings[0][2])} requests "
        "a page after 3 to warm up",
        "",
        "| page | who | p50 | p95 | max | queries |",
        "|---|---|---|---|---|---|",
    ]
    for name, who, measured, queries in timings:
        p95 = percentile(measured, 0.95)
        lines.append(
            f"| {name} | {who} | {percentile(measured, 0.5):.0f} ms | {p95:.0f} ms"
            f"{'' if p95 < SERVER_TIME_TARGET_MS else ' ✗'} | {max(measured) * 1000:.0f} ms | {queries} |"
        )
    return lines


# --- The run --------------------------------------------------------------------------


class TimeLimitReached(Exception):
    pass


def _time_limit_reached(signum, frame):
    raise TimeLimitReached


def install_node_tools() -> None:
    if LIGHTHOUSE.is_file() and AXE.is_file():
        return
    print("installing Lighthouse and axe-core into bench/node_modules (npm ci)")
    subprocess.run(["npm", "ci", "--prefix", str(BENCH), "--no-audit", "--no-fund"], check=True, timeout=600)


def measure(base: str, port: int, args) -> None:
    """Everything, in the run's database; each table is printed as soon as it is known."""
    import django

    django.setup()
    from django.db import connections

    load_the_demo()
    facts = demo_facts()
    connections.close_all()  # the server's workers have their own; Playwright's thread none
    server = start_server(port)
    try:
        pages, states = browse(base, facts, with_axe=not args.no_axe)
        if not args.no_lighthouse:
            for page in pages:
                page.results["lighthouse"] = lighthouse(
                    base, page, states.get(page.seen_by), args.lighthouse_runs
                )
    finally:
        stop_server(server)

    print()
    print(f"{date.today().isoformat()}: .venv/bin/python bench/pages.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"search: “{facts['query']}” near {DRIVE}; book: {facts['book_title']} ({facts['book']})")
    print(f"screenshots: {SCREENS.relative_to(ROOT)}/; Lighthouse's reports: {REPORTS.relative_to(ROOT)}/")
    print()
    print("\n".join(pages_table(pages, lighthouse_runs=0 if args.no_lighthouse else args.lighthouse_runs)))
    print()
    print("\n".join(timings_table(back_office_timings(args.requests))))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--lighthouse-runs", type=int, default=1, help="runs per page; the median is reported"
    )
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--no-axe", action="store_true")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per back-office page")
    parser.add_argument("--time-limit", type=int, default=1800, help="seconds; the run stops and cleans up")
    args = parser.parse_args()
    install_node_tools()
    REPORTS.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGALRM, _time_limit_reached)
    signal.alarm(args.time_limit)

    port = free_port()
    with own_database("bench_pages") as database:
        print(f"database {database}, server http://127.0.0.1:{port}")
        os.environ.update(settings_environment(port, cache_prefix=database))
        try:
            measure(f"http://127.0.0.1:{port}", port, args)
        finally:
            redis_keys_delete(database)
    signal.alarm(0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
