"""The Celery application; the beat schedule lives in helpdesk/beat.py."""

import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task: object = None, **_kwargs: object) -> None:
    """What Django does around a request: drop a connection that is too old or broken (the
    worker reuses connections across tasks, CELERY_DB_REUSE_MAX). Not for eager tasks, which
    run inside the caller's transaction."""
    if getattr(getattr(task, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


class Scheduler(PersistentScheduler):
    """Celery's file-backed beat scheduler that creates the schedule file's folder first, so
    beat starts from a fresh var directory on any broker (CELERY_BEAT_SCHEDULER)."""

    def setup_schedule(self) -> None:
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
