"""The life of an uploaded stock file: checked (preview), then applied or cancelled.

    previewing → previewed → applying → applied
         └→ failed     └→ cancelled  └→ failed

Both long steps run in Celery tasks (in-process right after commit without a
broker); each task claims its import row with a lock so that a duplicate delivery
does nothing.
"""

import csv
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import PurePath

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Now
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.imports.apply import stock_import_apply
from catalog.imports.csv_reader import COLUMN_LABELS, read_csv, shown_text
from catalog.imports.onix import read_onix
from catalog.imports.pgcopy import copy_rows
from catalog.imports.plan import Action, StockPlan, cyclic_gc_paused, plan_stock
from catalog.imports.records import FileFacts, FileFormatError, StockRow
from catalog.models import Book, Listing, StockImport, StockImportLine
from catalog.product_kinds import ShopProductKinds
from marketplace.jobs import act_on_each_in_batches, publish_without_retry
from shops.models import Shop

logger = logging.getLogger(__name__)

ONIX_EXTENSIONS = {".xml", ".onx", ".onix"}


class ImportStateError(Exception):
    """The import is not in a state that allows this (already applied, cancelled...)."""


class _ReadingStopped(Exception):
    """An unexpected error stopped the reading of the file; the message, for the
    bookseller, says where."""


def detect_format(name: str, head: bytes) -> str:
    """ONIX if the file says it is XML (by name or by its first bytes), CSV otherwise."""
    if PurePath(name).suffix.lower() in ONIX_EXTENSIONS or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(
        b"<"
    ):
        return StockImport.Format.ONIX
    return StockImport.Format.CSV


def read_rows(file, file_format: str, facts: FileFacts | None = None) -> Iterator[StockRow]:
    """The file's rows; `facts` (if given) learns its encoding, columns and warnings."""
    if file_format == StockImport.Format.ONIX:
        return read_onix(file, facts)
    return read_csv(file, facts=facts)


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
        _preview_on_commit(stock_import.pk)
    return stock_import


def stock_import_preview(*, import_id: int) -> None:
    """Read the file and record, per line, what applying it would do."""
    stock_import = StockImport.objects.select_related("shop").get(pk=import_id)
    if stock_import.status != StockImport.Status.PREVIEWING:
        return  # a duplicate delivery of the task
    facts = FileFacts()
    with translation.override(stock_import.language), _failing_on_error(import_id):
        rows = _read(stock_import, facts)
        # The apply reads the file again, and keeps what the preview found out about it.
        StockImport.objects.filter(pk=import_id).update(
            rows_total=len(rows), file_facts=facts.as_json(), moved_at=Now()
        )
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
                claimed.update(
                    status=StockImport.Status.PREVIEWED,
                    counts=_summary(plan),
                    rows_done=len(rows),
                    moved_at=Now(),
                )


def stock_import_confirm(*, stock_import: StockImport) -> StockImport:
    """The bookseller read the preview and asks to apply it."""
    with transaction.atomic():
        moved = StockImport.objects.filter(pk=stock_import.pk, status=StockImport.Status.PREVIEWED).update(
            status=StockImport.Status.APPLYING, rows_done=0, moved_at=Now(), attempts=1
        )
        if not moved:
            raise ImportStateError(
                _("This import can no longer be applied (it was applied or cancelled already).")
            )
        _apply_on_commit(stock_import.pk)
    stock_import.refresh_from_db()
    return stock_import


def stock_import_cancel(*, stock_import: StockImport) -> StockImport:
    moved = StockImport.objects.filter(pk=stock_import.pk, status=StockImport.Status.PREVIEWED).update(
        status=StockImport.Status.CANCELLED, moved_at=Now()
    )
    if not moved:
        raise ImportStateError(_("Only an import waiting to be applied can be cancelled."))
    stock_import.refresh_from_db()
    return stock_import


def stock_import_retry(*, stock_import: StockImport) -> StockImport:
    """The bookseller starts a failed import again, from its file: it is checked anew and
    previewed (nothing is applied without them)."""
    moved = StockImport.objects.filter(pk=stock_import.pk, status=StockImport.Status.FAILED).update(
        status=StockImport.Status.PREVIEWING, error="", rows_done=0, attempts=1, moved_at=Now()
    )
    if not moved:
        raise ImportStateError(_("Only an import that failed can be started again."))
    _preview_on_commit(stock_import.pk)
    stock_import.refresh_from_db()
    return stock_import


# An import that has not moved for this long in "previewing" or "applying" lost its task
# (broker down when it was queued, worker killed): the watchdog queues it again, at most
# MAX_ATTEMPTS times in all, then marks it failed. A 300,000-line preview moves every
# 2,000 lines; an apply holds its row locked, and the watchdog passes over locked rows.
STUCK_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3


def stock_imports_watch(*, now=None) -> int:
    """Imports stuck in "previewing" or "applying": queued again, or failed with a message
    the bookseller can act on. Safe to run twice at once (SKIP LOCKED, and each import
    is acted on once per run)."""
    now = now or timezone.now()
    seen: set[int] = set()

    def due():
        return StockImport.objects.filter(
            status__in=list(QUEUE_AGAIN), moved_at__lt=now - STUCK_AFTER
        ).exclude(pk__in=seen)

    def act(stock_import: StockImport) -> None:
        seen.add(stock_import.pk)
        if stock_import.attempts >= MAX_ATTEMPTS:
            with translation.override(stock_import.language):
                _fail(
                    stock_import.pk,
                    _("This import was interrupted %(count)s times and could not finish; your stock was not "
                      "changed. Click “Start again”, or upload the file again.") % {"count": stock_import.attempts},
                )  # fmt: skip
            return
        StockImport.objects.filter(pk=stock_import.pk).update(attempts=F("attempts") + 1, moved_at=Now())
        QUEUE_AGAIN[stock_import.status](stock_import.pk)

    return act_on_each_in_batches(
        due, act, order_by=("moved_at", "pk"), batch_size=50, doing="requeue the import"
    )


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
            rows = _read(stock_import, FileFacts())
            plan = stock_import_apply(
                shop=stock_import.shop,
                rows=rows,
                full_sync=stock_import.full_sync,
                source=Book.Source.STOCK_FILE,
            )
            _write_report(stock_import, plan)
        stock_import.status = StockImport.Status.APPLIED
        stock_import.counts, stock_import.rows_done = _summary(plan), len(rows)
        stock_import.applied_at = timezone.now()
        stock_import.moved_at = stock_import.applied_at
        stock_import.save(update_fields=["status", "counts", "rows_done", "applied_at", "moved_at"])


def _summary(plan: StockPlan) -> dict:
    return {**plan.counts, "pending_reasons": plan.pending_reasons}


def _read(stock_import: StockImport, facts: FileFacts) -> list[StockRow]:
    """The file's rows. The readers explain what is wrong with a file (FileFormatError);
    whatever else stops them is told with the line where it happened (facts.last_line)."""
    with stock_import.file.open("rb") as file, cyclic_gc_paused():
        try:
            return list(read_rows(file, stock_import.format, facts))
        except FileFormatError:
            raise
        except (UnicodeError, csv.Error) as error:
            raise FileFormatError(
                _(
                    "This file cannot be read %(where)s: it is not plain text there (a damaged export, or "
                    "a mix of character encodings). Export it again as “CSV UTF-8” and import it again."
                )
                % {"where": _where(stock_import, facts)}
            ) from error
        except Exception as error:
            raise _ReadingStopped(
                _(
                    "An unexpected error stopped this import %(where)s; your stock was not changed. Check "
                    "the file there and import it again; if it looks right, send us the file so that we "
                    "can look into it."
                )
                % {"where": _where(stock_import, facts)}
            ) from error


def _where(stock_import: StockImport, facts: FileFacts) -> str:
    if not facts.last_line:
        return _("at its start")
    if stock_import.format == StockImport.Format.ONIX:
        return _("at product %(position)s") % {"position": facts.last_line}
    return _("at line %(line)s") % {"line": facts.last_line}


@contextmanager
def _failing_on_error(import_id: int):
    """Mark the import failed, with a message for the bookseller, when a step fails.
    The stock is untouched: the apply step runs in a single transaction."""
    try:
        yield
    except FileFormatError as error:  # the bookseller's file: explained, nothing to retry
        _fail(import_id, str(error))
    except Exception as error:
        logger.exception("Stock import %s failed", import_id)
        if isinstance(error, _ReadingStopped):
            _fail(import_id, str(error))
        else:
            with translation.override(_language(import_id)):
                message = _(
                    "An unexpected error stopped this import after its file was read, while checking or "
                    "applying it; your stock was not changed. Please try again; if it happens again, send "
                    "us the file so that we can look into it."
                )
            _fail(import_id, message)
        raise


def _language(import_id: int) -> str:
    language = StockImport.objects.filter(pk=import_id).values_list("language", flat=True).first()
    return language or settings.LANGUAGE_CODE


def _progress(import_id: int, done: int, total: int) -> None:
    # Outside any transaction, so the admin page sees it at once (and the watchdog, that
    # the preview is alive).
    StockImport.objects.filter(pk=import_id).update(rows_done=done, moved_at=Now())


def _fail(import_id: int, message: str) -> None:
    # A message may quote the file, and PostgreSQL refuses NUL: the import would stay
    # "previewing" for ever.
    StockImport.objects.filter(pk=import_id).update(
        status=StockImport.Status.FAILED, error=shown_text(message), moved_at=Now()
    )


@cyclic_gc_paused()
def _write_report(stock_import: StockImport, plan: StockPlan) -> None:
    """One report row per line of the file (COPY: a file may have 100,000 lines)."""
    StockImportLine.objects.filter(stock_import=stock_import).delete()
    zeroed_message = _("Not in the file: quantity set to 0 (full sync).")
    # The readers keep NUL and undecodable bytes out of their rows; one reaching COPY
    # would fail the whole report, so shown_text makes sure.
    rows = [
        (
            stock_import.pk,
            line.line,
            shown_text(line.ean)[:40],
            shown_text(line.title or "")[:500],
            line.action,
            shown_text(line.message),
        )
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


def stock_import_preview_details(stock_import: StockImport) -> dict:
    """What the import's page shows besides its counts: what reading the file found out,
    why listings will wait for moderation, and whether a full sync would empty most of
    the shop's stock."""
    facts, counts = stock_import.file_facts or {}, stock_import.counts or {}
    flag_labels = dict(Listing.Flag.choices)
    # Columns the reader did not know may be the attributes of the shop's kinds of
    # product ("Marque", "Âge"): the planner read them as such.
    kinds, ignored, attribute_columns = ShopProductKinds(stock_import.shop), [], []
    for name in facts.get("ignored", []):
        attribute = kinds.attribute_named(name)
        if attribute is None:
            ignored.append(name)
        else:
            attribute_columns.append((attribute.name.lower(), name))
    reasons = counts.get("pending_reasons") or {}
    in_stock, zeroed = counts.get("in_stock") or 0, counts.get("zeroed") or 0
    return {
        "file_encoding": facts.get("encoding", ""),
        "file_columns": [
            (COLUMN_LABELS.get(field, field), name) for field, name in facts.get("columns", {}).items()
        ]
        + attribute_columns,
        "file_ignored": ignored,
        "file_warnings": facts.get("warnings", []),
        "pending_reasons": sorted(
            ((flag_labels.get(flag, flag), count) for flag, count in reasons.items()),
            key=lambda item: -item[1],
        ),
        "zeroes_most_of_the_stock": stock_import.full_sync and zeroed * 2 > in_stock > 0,
    }


def _preview_on_commit(import_id: int) -> None:
    from catalog.tasks import preview_stock_import  # the tasks module imports this one

    _publish_on_commit(preview_stock_import, import_id)


def _apply_on_commit(import_id: int) -> None:
    from catalog.tasks import apply_stock_import

    _publish_on_commit(apply_stock_import, import_id)


def _publish_on_commit(task, import_id: int) -> None:
    def enqueue():
        publish_without_retry(task, import_id)  # else the imports' watchdog

    transaction.on_commit(enqueue, robust=True)


# What the watchdog queues again, by the status an import is stuck in.
QUEUE_AGAIN = {
    StockImport.Status.PREVIEWING: _preview_on_commit,
    StockImport.Status.APPLYING: _apply_on_commit,
}
