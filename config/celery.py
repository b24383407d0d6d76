import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("drive_solidaire")
# Every CELERY_* Django setting configures the app (see settings.py).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# The audit trail (marketplace/audit.py) records who made each change: for a job, which
# job. pghistory's context is entered when a task starts and left when it ends.
_audit_contexts = {}


@task_prerun.connect
def _enter_audit_context(task_id=None, task=None, **kwargs):
    import pghistory  # needs the apps loaded, which they are by the time a task runs

    context = pghistory.context(job=task.name)
    context.__enter__()
    _audit_contexts[task_id] = context


@task_postrun.connect
def _leave_audit_context(task_id=None, **kwargs):
    context = _audit_contexts.pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)
