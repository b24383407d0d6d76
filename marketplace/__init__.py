"""Drive Solidaire project package: settings, root URLs, the Celery app, and the
cross-app plumbing every app uses (user accounts, the email outbox)."""

# Importing the Celery app here makes @shared_task bind to it in every process.
from marketplace.celery import app as celery_app

__all__ = ["celery_app"]
