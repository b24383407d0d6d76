"""Every waiting state of a stock import has a deadline: a lost task is handed over again,
a bounded number of times, then the import fails with a message, and can be started again."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from catalog.imports import services
from catalog.models import Listing, StockImport
from tests.factories import BookFactory

pytestmark = pytest.mark.django_db


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def lost_tasks(monkeypatch):
    """Tasks queued, as (task name, import id), but never run: the broker lost them."""
    queued = []
    monkeypatch.setattr(
        services,
        "_publish_on_commit",
        lambda task, import_id: queued.append((task.name.rpartition(".")[2], import_id)),
    )
    return queued


@pytest.fixture
def stuck_preview(shop_a, lost_tasks):
    BookFactory(ean="9782070368228", list_price=Decimal("7.50"))
    stock_import = services.stock_import_start(
        shop=shop_a,
        upload=SimpleUploadedFile("stock.csv", b"ean;quantite;prix\n9782070368228;3;7,50\n"),
        full_sync=False,
        by=None,
    )
    lost_tasks.clear()
    StockImport.objects.filter(pk=stock_import.pk).update(language="en")  # its messages, in English
    stock_import.refresh_from_db()
    return stock_import


def an_hour_later():
    return timezone.now() + timedelta(hours=1)


def test_a_preview_whose_task_was_lost_is_queued_again_then_fails_with_a_message(stuck_preview, lost_tasks):
    assert services.stock_imports_watch() == 0  # just queued: not stuck

    assert services.stock_imports_watch(now=an_hour_later()) == 1
    assert lost_tasks == [("preview_stock_import", stuck_preview.pk)]
    assert services.stock_imports_watch(now=timezone.now() + timedelta(minutes=5)) == 0  # it moved just now
    StockImport.objects.filter(pk=stuck_preview.pk).update(moved_at=timezone.now() - timedelta(hours=1))
    assert services.stock_imports_watch() == 1
    StockImport.objects.filter(pk=stuck_preview.pk).update(moved_at=timezone.now() - timedelta(hours=1))
    assert services.stock_imports_watch() == 1  # third time: failed

    stuck_preview.refresh_from_db()
    assert stuck_preview.status == StockImport.Status.FAILED
    assert stuck_preview.attempts == 3
    assert "interrupted 3 times" in stuck_preview.error
    assert "Start again" in stuck_preview.error
    assert len(lost_tasks) == 2


def test_an_apply_whose_task_was_lost_is_queued_again_and_applies_once(stuck_preview, lost_tasks):
    services.stock_import_preview(import_id=stuck_preview.pk)
    stuck_preview.refresh_from_db()
    services.stock_import_confirm(stock_import=stuck_preview)
    lost_tasks.clear()

    assert services.stock_imports_watch(now=an_hour_later()) == 1
    assert lost_tasks == [("apply_stock_import", stuck_preview.pk)]
    services.stock_import_run(import_id=stuck_preview.pk)  # the task queued again runs
    services.stock_import_run(import_id=stuck_preview.pk)  # and the lost one, found later

    stuck_preview.refresh_from_db()
    assert stuck_preview.status == StockImport.Status.APPLIED
    assert Listing.objects.get().quantity == 3
    assert services.stock_imports_watch(now=an_hour_later()) == 0


def test_a_failed_import_starts_again_from_its_page(client, owner_a, shop_a, stuck_preview, lost_tasks):
    StockImport.objects.filter(pk=stuck_preview.pk).update(status=StockImport.Status.FAILED, error="Coupure.")
    client.force_login(owner_a)

    page = client.get(en("admin:catalog_stockimport_change", stuck_preview.pk)).content.decode()
    assert "Start again" in page
    response = client.post(en("admin:catalog_stockimport_retry", stuck_preview.pk))

    assert response.status_code == 302
    stuck_preview.refresh_from_db()
    assert (stuck_preview.status, stuck_preview.error, stuck_preview.attempts) == (
        StockImport.Status.PREVIEWING,
        "",
        1,
    )
    assert lost_tasks == [("preview_stock_import", stuck_preview.pk)]
    services.stock_import_preview(import_id=stuck_preview.pk)
    stuck_preview.refresh_from_db()
    assert stuck_preview.status == StockImport.Status.PREVIEWED


def test_only_a_failed_import_can_be_started_again(stuck_preview):
    with pytest.raises(services.ImportStateError):
        services.stock_import_retry(stock_import=stuck_preview)
