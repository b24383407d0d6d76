"""What a web worker does once, before its first request: compile the templates, load the
translations and the URL resolvers, open its connections to PostgreSQL and Redis.

Django does each of these lazily, on the first request that needs it, which then takes
tens to hundreds of milliseconds instead of a few: with several workers, each restarted
now and then (a deployment, `max_requests`), the first visitors of each worker pay for
it. gunicorn.conf.py calls `warm_up()` in each worker once it has loaded the
application.

Every step fails soft: a database or a cache that does not answer yet must not keep a
worker from starting (it will serve what it can, and connect when it is asked to).
"""

import logging
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import get_resolver, reverse
from django.utils import translation

logger = logging.getLogger(__name__)


def warm_up() -> dict[str, bool]:
    """Run every step; return which ones succeeded (by name), and log those that failed."""
    started = time.perf_counter()
    done = {name: _soft(name, step) for name, step in STEPS.items()}
    logger.info(
        "Warm-up in %.0f ms: %s.",
        1000 * (time.perf_counter() - started),
        ", ".join(f"{name} {'ok' if ok else 'failed'}" for name, ok in done.items()),
    )
    return done


def _soft(name: str, step: Callable[[], None]) -> bool:
    try:
        step()
    except Exception:  # a warm-up step may fail in any way: the worker starts anyway
        logger.warning("Warm-up: %s failed; the first request that needs it will do it.", name, exc_info=True)
        return False
    return True


def compile_templates() -> None:
    """Every page template of the project's folder, with the engine that renders pages (its
    cached loader keeps them compiled for the life of the worker)."""
    engine = engines["django"]
    for folder in engine.engine.dirs:
        for path in sorted(Path(folder).rglob("*.html")):
            try:
                engine.get_template(path.relative_to(folder).as_posix())
            except (TemplateDoesNotExist, TemplateSyntaxError):
                continue  # not a page template (an email's text, a widget's of another engine)


def load_translations_and_urls() -> None:
    """Each language's catalogue, and the URL patterns of each (the site's addresses are
    translated: a resolver per language)."""
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Search")
            reverse("home")
            resolver.resolve(reverse("search"))


# Seconds a worker waits for PostgreSQL at start (libpq's minimum is 2): a server that
# does not answer must not hold the worker past gunicorn's boot timeout.
DATABASE_CONNECT_TIMEOUT = 2


def connect_database() -> None:
    """Open the worker's connection (kept CONN_MAX_AGE seconds, so its first requests
    reuse it), waiting at most DATABASE_CONNECT_TIMEOUT: only this first connection is
    given that limit."""
    connection = connections["default"]
    options = connection.settings_dict.setdefault("OPTIONS", {})
    saved = dict(options)
    options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    try:
        connection.ensure_connection()
    finally:
        options.clear()
        options.update(saved)


def connect_cache() -> None:
    cache.get("warm-up")  # opens the worker's connection to Redis (its pool is per process)


STEPS: dict[str, Callable[[], None]] = {
    "templates": compile_templates,
    "translations and URLs": load_translations_and_urls,
    "database": connect_database,
    "cache": connect_cache,
}
