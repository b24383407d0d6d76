from celery import shared_task

from catalog import alerts, price_changes, reference, search_index, stock_sync
from catalog.imports import services


@shared_task(acks_late=True)
def preview_stock_import(import_id: int) -> None:
    services.stock_import_preview(import_id=import_id)


@shared_task(acks_late=True)
def apply_stock_import(import_id: int) -> None:
    services.stock_import_run(import_id=import_id)


# From beat: imports whose task was lost (services.stock_imports_watch).
@shared_task
def watch_stock_imports() -> int:
    return services.stock_imports_watch()


@shared_task
def refresh_search_index() -> int:
    return search_index.search_index_refresh()


@shared_task
def refresh_search_vocabulary() -> int:
    return search_index.search_vocabulary_refresh()


# From beat (settings.CELERY_BEAT_SCHEDULE); safe to run twice at once.
@shared_task
def expire_stock_sync_sessions() -> int:
    return stock_sync.sync_sessions_expire()


@shared_task(acks_late=True)
def load_catalogue_feed(feed_id: int) -> None:
    reference.catalogue_feed_load(feed_id=feed_id)


# From beat: feeds whose loading task was lost (reference.catalogue_feeds_watch).
@shared_task
def watch_catalogue_feeds() -> int:
    return reference.catalogue_feeds_watch()


# From beat: dated publisher's prices that came into force, then the listings whose
# price review is over (catalog/price_changes.py). Idempotent, safe twice at once.
@shared_task
def follow_publisher_prices() -> int:
    changed = reference.book_prices_refresh()
    return len(changed) + price_changes.price_reviews_expire()


# From beat ("tell me when it is here", catalog/alerts.py): both safe to run twice at once.
@shared_task
def send_stock_alerts() -> int:
    return alerts.alerts_send().sent


@shared_task
def expire_stock_alerts() -> int:
    return alerts.alerts_expire()
