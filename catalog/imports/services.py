"""The life of an uploaded stock file: checked (preview), then applied or cancelled.

    previewing → previewed → applying → applied
         └→ failed     └→ cancelled  └→ failed

Both long steps run in Celery tasks (in-process right after commit without a
broker); each task claims its import row with a lock so that a duplicate delivery
does nothing.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import PurePath

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.imports.apply import stock_import_apply
from catalog.imports.csv_reader import read_csv
from catalog.imports.onix import read_onix
from catalog.imports.pgcopy import copy_rows
from catalog.imports.plan import Action, StockPlan, plan_stock
from catalog.imports.records import FileFormatError, StockRow
from catalog.models import Book, StockImport, StockImportLine
from shops.models import Shop

logger = logging.getLogger(__name__)

ONIX_EXTENSIONS = {".xml", ".onx", ".onix"}


class ImportStateError(Exception):
    """The import is not in a state that allows this (already applied, cancelled...)."""


def detect_format(name: str, head: bytes) -> str:
    """ONIX if the file says it is XML (by name or by its first bytes), CSV otherwise."""
    if PurePath(name).suffix.lower() in ONIX_EXTENSIONS or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(
        b"<"
    ):
        return StockImport.Format.ONIX
    return StockImport.Format.CSV


def read_rows(file, file_format: str) -> Iterator[StockRow]:
    return read_onix(file) if file_format == StockImport.Format.ONIX else read_csv(file)


def stock_import_start(*, shop: Shop, upload, full_sync: bool, by) -> StockImport:
    """Store an uploaded file and have it checked (preview) in the background."""
    head = upload.read(512)
    upload.seek(0)
    with transaction.atomic():
        stock_import = StockImport(
            shop=shop,
            original_name=PurePath(upload.name).name[:255],
            format=detect_format(upload.name, head),
            full_sync=full_sync,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            created_by=by,
        )
        stock_import.file.save(upload.name, upload, save=False)
        stock_import.save()
        _enqueue_on_commit("preview_stock_import", stock_import.pk)
    return stock_import


def stock_import_preview(*, import_id: int) -> None:
    """Read the file and record, per line, what applying it would do."""
    stock_import = StockImport.objects.select_related("shop").get(pk=import_id)
    if stock_import.status != StockImport.Status.PREVIEWING:
        return  # a duplicate delivery of the task
    with _failing_on_error(import_id), translation.override(stock_import.language):
        rows = _read(stock_import)
        StockImport.objects.filter(pk=import_id).update(rows_total=len(rows))
        plan = plan_stock(
            shop=stock_import.shop,
            rows=rows,
            full_sync=stock_import.full_sync,
            progress=partial(_progress, import_id),
        )
        with transaction.atomic():
            claimed = StockImport.objects.select_for_update().filter(
                pk=import_id, status=StockImport.Status.PREVIEWING
            )
            if claimed.exists():
                _write_report(stock_import, plan)
                claimed.update(status=StockImport.Status.PREVIEWED, counts=plan.counts, rows_done=len(rows))


def stock_import_confirm(*, stock_import: StockImport) -> StockImport:
    """The bookseller read the preview and asks to apply it."""
    with transaction.atomic():
        moved = StockImport.objects.filter(pk=stock_import.pk, status=StockImport.Status.PREVIEWED).update(
            status=StockImport.Status.APPLYING, rows_done=0
        )
        if not moved:
            raise ImportStateError(
                _("This import can no longer be applied (it was applied or cancelled already).")
            )
        _enqueue_on_commit("apply_stock_import", stock_import.pk)
    stock_import.refresh_from_db()
    return stock_import


def stock_import_cancel(*, stock_import: StockImport) -> StockImport:
    moved = StockImport.objects.filter(pk=stock_import.pk, status=StockImport.Status.PREVIEWED).update(
        status=StockImport.Status.CANCELLED
    )
    if not moved:
        raise ImportStateError(_("Only an import waiting to be applied can be cancelled."))
    stock_import.refresh_from_db()
    return stock_import


def stock_import_run(*, import_id: int) -> None:
    """Apply a confirmed import. The import row stays locked for the whole transaction:
    a second delivery of the task skips it, then finds it applied."""
    with _failing_on_error(import_id), transaction.atomic():
        stock_import = (
            StockImport.objects.select_for_update(skip_locked=True)
            .select_related("shop")
            .filter(pk=import_id, status=StockImport.Status.APPLYING)
            .first()
        )
        if stock_import is None:
            return
        with translation.override(stock_import.language):
            rows = _read(stock_import)
            plan = stock_import_apply(
                shop=stock_import.shop,
                rows=rows,
                full_sync=stock_import.full_sync,
                source=Book.Source.STOCK_FILE,
            )
            _write_report(stock_import, plan)
        stock_import.status = StockImport.Status.APPLIED
        stock_import.counts, stock_import.rows_done = plan.counts, len(rows)
        stock_import.applied_at = timezone.now()
        stock_import.save(update_fields=["status", "counts", "rows_done", "applied_at"])


def _read(stock_import: StockImport) -> list[StockRow]:
    with stock_import.file.open("rb") as file:
        return list(read_rows(file, stock_import.format))


@contextmanager
def _failing_on_error(import_id: int):
    """Mark the import failed, with a message for the bookseller, when a step fails.
    The stock is untouched: the apply step runs in a single transaction."""
    try:
        yield
    except FileFormatError as error:  # the bookseller's file: explained, nothing to retry
        _fail(import_id, str(error))
    except Exception:
        logger.exception("Stock import %s failed", import_id)
        _fail(
            import_id,
            _("An unexpected error stopped this import; your stock was not changed. Please try again."),
        )
        raise


def _progress(import_id: int, done: int, total: int) -> None:
    # Outside any transaction, so the admin page sees it at once.
    StockImport.objects.filter(pk=import_id).update(rows_done=done)


def _fail(import_id: int, message: str) -> None:
    StockImport.objects.filter(pk=import_id).update(status=StockImport.Status.FAILED, error=message)


def _write_report(stock_import: StockImport, plan: StockPlan) -> None:
    """One report row per line of the file (COPY: a file may have 100,000 lines)."""
    StockImportLine.objects.filter(stock_import=stock_import).delete()
    zeroed_message = _("Not in the file: quantity set to 0 (full sync).")
    rows = [
        (stock_import.pk, line.line, line.ean[:40], (line.title or "")[:500], line.action, line.message)
        for line in plan.lines
    ]
    rows += [(stock_import.pk, 0, "", title[:500], ZEROED, zeroed_message) for _pk, title in plan.zeroed]
    with connection.cursor() as cursor:
        copy_rows(
            cursor.cursor,
            "catalog_stockimportline",
            ("stock_import_id", "line", "ean", "title", "action", "message"),
            rows,
            not_null=("ean", "title", "message"),
        )


ZEROED = "zeroed"
REPORT_ACTIONS = [*Action.choices, (ZEROED, gettext_lazy("Set to 0"))]


def _enqueue_on_commit(task_name: str, import_id: int) -> None:
    from catalog import tasks

    task = getattr(tasks, task_name)

    def enqueue():
        task.delay(import_id)

    transaction.on_commit(enqueue, robust=True)
