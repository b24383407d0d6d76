"""The project's configuration, the top floor: settings, root URLs, the Celery app,
wsgi/asgi. Nothing imports it but the entry points (manage.py, gunicorn, celery -A)."""

# Importing the Celery app here makes @shared_task bind to it in every process.
from config.celery import app as celery_app

__all__ = ["celery_app"]
