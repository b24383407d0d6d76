import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.imports.apply import stock_import_apply
from catalog.imports.plan import Action, plan_stock
from catalog.imports.records import FileFormatError
from catalog.imports.services import detect_format, read_rows
from catalog.models import Book
from shops.models import Shop


class Command(BaseCommand):
    help = (
        "Load a shop's stock from a CSV or ONIX 3.0 file: prints what each line does (or why it is "
        "refused). --dry-run only previews. Re-running the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--shop", required=True, help="the shop's id or SIRET")
        parser.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
        parser.add_argument(
            "--full-sync", action="store_true", help="set to 0 the shop's listings absent from the file"
        )
        parser.add_argument("--format", choices=["csv", "onix"], help="default: guessed from the file")
        parser.add_argument(
            "--show", type=int, default=20, help="how many refused lines to print (default 20)"
        )

    def handle(self, *args, file, shop, dry_run, full_sync, format, show, **options):
        shop = self._shop(shop)
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        with open(file, "rb") as handle:
            file_format = format or detect_format(file.name, handle.read(512))
        started = time.perf_counter()
        try:
            with open(file, "rb") as handle:
                rows = list(read_rows(handle, file_format))
        except FileFormatError as error:
            raise CommandError(str(error)) from error
        if dry_run:
            plan = plan_stock(shop=shop, rows=rows, full_sync=full_sync)
        else:
            plan = stock_import_apply(
                shop=shop, rows=rows, full_sync=full_sync, source=Book.Source.STOCK_FILE
            )
        elapsed = time.perf_counter() - started

        for line in [line for line in plan.lines if line.action == Action.REFUSE][:show]:
            self.stdout.write(f"  line {line.line}: {line.ean} — {line.message}")
        counts = plan.counts
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            self.style.SUCCESS(
                f"{file.name} ({file_format}, {len(rows)} lines) for {shop.trade_name}: "
                f"{counts['create']} created, {counts['update']} updated, {counts['unchanged']} unchanged, "
                f"{counts['refuse']} refused, {counts['zeroed']} set to 0 — {verb} applied in {elapsed:.1f} s."
            )
        )

    def _shop(self, identifier: str) -> Shop:
        shop = Shop.objects.filter(siret=identifier).first()
        if shop is None and identifier.isdigit() and len(identifier) < 14:
            shop = Shop.objects.filter(pk=int(identifier)).first()
        if shop is None:
            raise CommandError(f"No shop with id or SIRET {identifier}")
        return shop
