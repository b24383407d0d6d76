"""Celery beat's schedule without Celery: for the demo, which has no broker.

    manage.py run_periodic_jobs           # forever: each job at its interval
    manage.py run_periodic_jobs --once    # every job once, then stop

Production runs `celery beat` (docker-compose.yml); the jobs are the same tasks, run
here in-process. Every job is safe to run twice, so overlapping with a real beat does
no harm.
"""

import logging
import time

from celery import current_app as app  # the project's app (config/celery.py)
from django.conf import settings
from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)
TICK_SECONDS = 5


class Command(BaseCommand):
    help = "Run the periodic jobs of CELERY_BEAT_SCHEDULE in-process (the demo's Celery beat)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and stop")

    def handle(self, *args, once: bool, **options):
        app.loader.import_default_modules()  # the tasks' modules register them
        schedule = settings.CELERY_BEAT_SCHEDULE
        next_run = dict.fromkeys(schedule, 0.0)
        while True:
            for name, entry in schedule.items():
                if time.monotonic() >= next_run[name]:
                    self._run(name, entry["task"])
                    next_run[name] = time.monotonic() + _seconds_to_next_run(entry["schedule"])
            if once:
                return
            time.sleep(TICK_SECONDS)

    def _run(self, name: str, task_name: str) -> None:
        try:
            result = app.tasks[task_name].apply().get(propagate=True)
        except Exception:  # one failing job must not stop the others
            logger.exception("Periodic job %s failed", name)
            return
        if result:
            self.stdout.write(f"{name}: {result}")


def _seconds_to_next_run(schedule) -> float:
    """An interval in seconds, or a Celery schedule (the nightly jobs' crontab)."""
    if isinstance(schedule, int | float):
        return float(schedule)
    return max(schedule.remaining_estimate(schedule.now()).total_seconds(), TICK_SECONDS)
