"""The Celery beat schedule, one commented entry per periodic task.

Each sweep is set-based and guarded by a lock, so an overrunning run never starts twice.
"""

SCHEDULE: dict[str, dict] = {
    # Fetch new mail from department IMAP mailboxes (UID-based; a cache lock keeps one run at a time).
    "poll-department-mailboxes": {"task": "tickets.poll_mailboxes", "schedule": 60.0},
    # Queue stored emails no task picked up (broker down when the pipe ran, a worker killed mid-task).
    "requeue-inbound-emails": {"task": "tickets.requeue_inbound_emails", "schedule": 300.0},
}
