from dataclasses import replace

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools import datagen

COUNTS = ("drives", "shops", "books", "listings", "products", "product_listings")


class Command(BaseCommand):
    help = (
        "Generate invented drives, shops, books, other products (board games, toys, records) and stock: "
        "--scale demo for the demo, bench (1,000,000 books, 5,000,000 listings, 200,000 other products and "
        "400,000 listings of them) for benchmarks. The same seed gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(datagen.SCALES), default="demo")
        parser.add_argument("--seed", type=int, default=1)
        for name in COUNTS:
            parser.add_argument(
                f"--{name.replace('_', '-')}",
                dest=name,
                type=int,
                metavar="N",
                help=f"number of {name.replace('_', ' ')} (overrides the scale's)",
            )
        parser.add_argument(
            "--reset", action="store_true", help="delete the generated rows first (never the hand-made ones)"
        )
        parser.add_argument("--delete", action="store_true", help="only delete the generated rows")
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="invented shops must not reach a production site: refused while DJANGO_DEBUG is false, unless forced",
        )

    def handle(self, *args, scale, seed, reset=False, delete=False, allow_without_debug=False, **options):
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError("Refusing to generate invented shops and books while DJANGO_DEBUG is false.")
        if reset or delete:
            self.stdout.write("Deleting the generated rows:")
            datagen.generated_data_delete(report=self._report)
            if delete:
                return
        counts = replace(
            datagen.SCALES[scale], **{name: options[name] for name in COUNTS if options[name] is not None}
        )
        self.stdout.write(
            f"Generating {counts.drives:,} drives, {counts.shops:,} shops, {counts.books:,} books, "
            f"{counts.listings:,} listings, {counts.products:,} other products and {counts.product_listings:,} "
            f"listings of them (seed {seed}):"
        )
        try:
            datagen.generate(scale=counts, seed=seed, report=self._report)
        except datagen.GeneratedDataPresent as error:
            raise CommandError("generated data already present; use --reset") from error
        except datagen.GenerationError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS("Done."))

    def _report(self, step: str, rows: int, seconds: float) -> None:
        self.stdout.write(f"  {step:<20} {rows:>12,} rows {seconds:>9.1f} s")
        self.stdout.flush()
