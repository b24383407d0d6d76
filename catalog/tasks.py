from celery import shared_task

from catalog import search_index
from catalog.imports import services


@shared_task(acks_late=True)
def preview_stock_import(import_id: int) -> None:
    services.stock_import_preview(import_id=import_id)


@shared_task(acks_late=True)
def apply_stock_import(import_id: int) -> None:
    services.stock_import_run(import_id=import_id)


@shared_task
def refresh_search_index() -> int:
    return search_index.search_index_refresh()


@shared_task
def refresh_search_vocabulary() -> int:
    return search_index.search_vocabulary_refresh()
