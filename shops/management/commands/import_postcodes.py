from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shops.builtin_localities import BUILTIN_LOCALITIES
from shops.laposte import LocalityRecord, PostcodeFileError, read_postcode_file
from shops.services import localities_import


class Command(BaseCommand):
    help = (
        "Load La Poste's official postcode table (base officielle des codes postaux, CSV from "
        "data.gouv.fr), or with --builtin the handful of towns the demo needs. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", type=Path, help="La Poste's CSV file")
        parser.add_argument("--builtin", action="store_true", help="load the demo's built-in towns")

    def handle(self, *args, file=None, builtin=False, **options):
        if builtin == (file is not None):
            raise CommandError("Give either a file or --builtin.")
        if builtin:
            records = [
                LocalityRecord(postcode, insee, name, "", lat, lon)
                for postcode, insee, name, lat, lon in BUILTIN_LOCALITIES
            ]
            skipped = 0
        else:
            if not file.is_file():
                raise CommandError(f"No such file: {file}")
            try:
                records, skipped = read_postcode_file(file)
            except PostcodeFileError as error:
                raise CommandError(str(error)) from error
        counts = localities_import(records=records)
        self.stdout.write(
            self.style.SUCCESS(
                "Localities: {created} created, {updated} updated, {unchanged} unchanged".format(**counts)
                + (f", {skipped} rows without coordinates skipped." if skipped else ".")
            )
        )
