from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from devtools import demo


class Command(BaseCommand):
    help = "Fill the database with the demo's drives, shops and accounts (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="the demo accounts have published passwords: refused in production unless forced",
        )

    def handle(self, *args, allow_without_debug=False, **options):
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(
                "Refusing to create demo accounts with known passwords while DJANGO_DEBUG is false."
            )
        call_command("import_postcodes", builtin=True, stdout=self.stdout)
        summary = demo.seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data: {summary}"))
        self.stdout.write("")
        self.stdout.write(f"Demo logins ({settings.SITE_URL}/admin/):")
        for role, email, password in demo.LOGINS:
            self.stdout.write(f"  {role:<12} {email}  /  {password}")
