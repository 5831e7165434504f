"""The Celery beat schedule, one commented entry per periodic task.

Each sweep is set-based and guarded by a lock, so an overrunning run never starts twice.
"""

SCHEDULE: dict[str, dict] = {}
