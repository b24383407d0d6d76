from datetime import date
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from catalog.models import BookPrice, CatalogueFeed
from catalog.reference import catalogue_feed_load, catalogue_feed_store


class Command(BaseCommand):
    help = (
        "Load publishers' or distributors' ONIX 3.0 feeds (or head office's CSV of publisher's prices, "
        "--source staff) into the shared catalogue as its reference: titles, contributors, publishers and "
        "dated publisher's prices. Loading the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--source",
            choices=BookPrice.Source.values,
            default=BookPrice.Source.FEED,
            help="feed: a publisher's or distributor's feed (default); staff: head office's own file",
        )
        parser.add_argument(
            "--effective-from",
            type=date.fromisoformat,
            help="YYYY-MM-DD: when the file's undated prices take effect (default: the feed's date, else today)",
        )
        parser.add_argument("--show", type=int, default=20, help="how many refused products to print")

    def handle(self, *args, files, source, effective_from, show, **options):
        missing = [str(path) for path in files if not path.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}")
        failed = 0
        for path in files:
            with open(path, "rb") as handle:
                # Stored like an upload (the feed's page keeps its file), loaded here and now.
                feed = catalogue_feed_store(
                    upload=File(handle, name=path.name),
                    source=source,
                    effective_from=effective_from,
                    load=False,
                )
            catalogue_feed_load(feed_id=feed.pk)
            feed.refresh_from_db()
            failed += self._report(path, feed, show)
        if failed:
            raise CommandError(f"{failed} of {len(files)} files could not be loaded.")

    def _report(self, path: Path, feed: CatalogueFeed, show: int) -> int:
        if feed.status != CatalogueFeed.Status.LOADED:
            self.stderr.write(self.style.ERROR(f"{path.name}: {feed.error}"))
            return 1
        counts = feed.counts
        for refusal in counts["refusals"][:show]:
            self.stdout.write(f"  product {refusal['line']}: {refusal['ean']} — {refusal['message']}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {counts['products']} products, {counts['books']} books "
                f"({counts['created']} new, {counts['updated']} updated, {counts['kept']} kept from a better "
                f"source), {counts['prices']} prices ({counts['prices_changed']} books whose price in force "
                f"changed), {counts['refused']} refused."
            )
        )
        return 0
