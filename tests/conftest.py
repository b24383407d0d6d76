import io
import os
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command

from config.celery import app as celery_app

REPO_DIR = Path(__file__).resolve().parent.parent
# Real third-party data for tests, kept outside the repository (licences); see README.
SHARED_DATA_DIR = Path(os.environ.get("SHARED_DATA_DIR", REPO_DIR.parent / "shared" / "data"))
LAPOSTE_FILE = SHARED_DATA_DIR / "laposte_hexasmal" / "laposte_hexasmal.csv"


def require(service: str, available: bool, how_to_fix: str) -> None:
    """Stop a test whose real service is missing: a failure on CI (CI=true), where
    everything must be there, a skip with instructions on a developer's machine."""
    if available:
        return
    message = f"{service} is not available: {how_to_fix}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    """Each test run gets its own database (test_<name>_<pid>): several runs started side
    by side against one PostgreSQL server (developers on a shared machine) would
    otherwise create and drop the same one under each other's feet."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    database.setdefault("TEST", {})["NAME"] = f"test_{database['NAME']}_{os.getpid()}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with France's postcodes: La Poste's real file when
    the shared data is there, the demo's built-in towns otherwise."""
    with django_db_blocker.unblock():
        load_localities()


def load_localities():
    source = {"file": LAPOSTE_FILE} if LAPOSTE_FILE.is_file() else {"builtin": True}
    call_command("import_postcodes", stdout=io.StringIO(), **source)


@pytest.fixture
def localities(transactional_db):
    """For tests that commit (browser, worker): the flush between them empties every
    table, so the postcodes are loaded again when missing."""
    from shops.models import Locality

    if not Locality.objects.exists():
        load_localities()


@pytest.fixture(autouse=True)
def _celery_runs_tasks_in_process():
    """Unit tests run tasks in-process (after commit, as the demo does); the worker
    test switches to the real broker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture
def capture_on_commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (tasks, emails) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- Real Chromium (Debian's package) driven by Playwright -----------------------------

CHROMIUM_PATH = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS_DIR = REPO_DIR / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    require(
        "Chromium",
        CHROMIUM_PATH.is_file(),
        f"no browser at {CHROMIUM_PATH}: install Debian's chromium package or set CHROMIUM_PATH",
    )
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # are still synchronous, so Django's async-safety guard does not apply.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH),
            # The machine has no internet: no background calls home, no sandbox as root.
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# Every page of every browser test reports what its Content-Security-Policy refused, as a
# console message: messages survive navigation, and Chromium logs its own there too.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = event.sourceFile ? ` at ${event.sourceFile}:${event.lineNumber}` : "";
  console.error(`Content Security Policy violation on ${event.documentURI}: ${event.effectiveDirective} `
    + `refused ${event.blockedURI || "inline code"}${where} ${event.sample}`);
});
"""


@pytest.fixture
def csp_violations():
    """What the Content-Security-Policy refused during the test, as the browser said it.
    Filled by `page`, which fails the test if anything is left in it."""
    return []


@pytest.fixture
def page(browser, request, csp_violations):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    context.on("console", lambda message: record_csp_violation(message, csp_violations))
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS_DIR / f"{request.node.name}.png", full_page=True)
    context.close()
    if csp_violations:
        pytest.fail("The Content-Security-Policy refused:\n" + "\n".join(csp_violations), pytrace=False)


def record_csp_violation(message, violations: list[str]) -> None:
    """Our listener's messages and Chromium's own ("… violates the following Content
    Security Policy directive …"), which also covers frames that run no script."""
    if "Content Security Policy" in message.text:
        source = message.location.get("url")
        violations.append(f"{message.text} [{source}]" if source else message.text)


# --- The three actors of every permission test: owner, colleague, outsider -------------


@pytest.fixture
def shop_a():
    from tests.factories import ShopFactory

    return ShopFactory(trade_name="Librairie Alpha", siret="73282932000074")


@pytest.fixture
def shop_b():
    from tests.factories import ShopFactory

    return ShopFactory(trade_name="Librairie Bravo")


@pytest.fixture
def owner_a(shop_a):
    from shops.models import Membership
    from tests.factories import MembershipFactory

    return MembershipFactory(shop=shop_a, role=Membership.Role.OWNER).user


@pytest.fixture
def colleague_a(shop_a):
    from shops.models import Membership
    from tests.factories import MembershipFactory

    return MembershipFactory(shop=shop_a, role=Membership.Role.STAFF).user


@pytest.fixture
def outsider(shop_b):
    """A bookseller of another shop."""
    from shops.models import Membership
    from tests.factories import MembershipFactory

    return MembershipFactory(shop=shop_b, role=Membership.Role.OWNER).user


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (pages, drives): nothing leaks between tests."""
    empty_caches()
    yield
    empty_caches()


def empty_caches() -> None:
    """The shared cache, and what this process keeps of it (page_cache.py)."""
    from django.core.cache import cache

    from catalog.product_kinds import forget_cached_kinds
    from marketplace.cache import forget_local_copies
    from marketplace.page_cache import forget_local_pages
    from shops.cache_version import forget_shops_version

    cache.clear()
    forget_local_copies()
    forget_local_pages()
    forget_shops_version()
    forget_cached_kinds()


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request to /en/… leaves English active in this thread: put French back so the
    next test starts in the site's default language."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _reservation_limits_out_of_the_way(request, settings):
    """Most tests place many orders as one customer (the factories' Annick): the limits
    on what one customer holds (orders/limits.py) would get in their way. Tests of the
    limits, and those proving a real customer never meets them, are marked
    `reservation_limits` and run with the production values."""
    if request.node.get_closest_marker("reservation_limits"):
        return
    for name in (
        "RESERVATION_MAX_HELD_PER_SHOP",
        "RESERVATION_MAX_HELD_IN_NETWORK",
        "RESERVATION_MAX_HELD_PER_SHOP_PER_ADDRESS",
        "RESERVATION_MAX_HELD_IN_NETWORK_PER_ADDRESS",
        "RESERVATION_MAX_CHECKOUTS_PER_ADDRESS_PER_HOUR",
    ):
        setattr(settings, name, 1_000_000)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Accounts are created in most tests; production's deliberately slow hasher would
    cost seconds per test. What is tested is who may do what, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api(client):
    """GET a public API address, in English unless the test asks otherwise (the throttle's
    counters live in the cache, which `_empty_cache` clears around every test)."""

    def get(url, params=None, **headers):
        headers.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
        return client.get(url, params or {}, **headers)

    return get


# --- The real Redis (broker of the worker tests, cache of production) -------------------


def redis_answers(url: str) -> bool:
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def broker_url():
    url = os.environ.get("CELERY_BROKER_URL", "")
    require(
        "Redis",
        bool(url) and redis_answers(url),
        f"CELERY_BROKER_URL={url!r} does not answer; start Redis and set CELERY_BROKER_URL=redis://127.0.0.1:6379/0",
    )
    return url


@pytest.fixture
def redis_cache(broker_url):
    """The project's cache backend on the real Redis, under keys of this test's own."""
    from django.core.cache import cache, caches
    from django.test import override_settings

    prefix = uuid.uuid4().hex
    settings = {"BACKEND": "marketplace.cache.RedisCache", "LOCATION": broker_url, "KEY_PREFIX": prefix}
    with override_settings(CACHES={"default": settings}):
        yield cache
        # Only this test's keys: clear() would empty the broker's whole database.
        client = caches["default"]._cache.get_client(write=True)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
