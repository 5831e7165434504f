"""Celery tasks of the project package (tickets' tasks live in tickets/tasks.py)."""

from celery import shared_task

from helpdesk.health import record_beat_heartbeat


@shared_task(name="helpdesk.beat_heartbeat", time_limit=30, soft_time_limit=20, ignore_result=True)
def beat_heartbeat() -> float:
    """Record that beat scheduled this and a worker ran it (the health check's "beat")."""
    return record_beat_heartbeat()
