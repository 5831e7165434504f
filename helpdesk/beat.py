"""The Celery beat schedule, one commented entry per periodic task.

Each sweep is set-based and guarded by a lock, so an overrunning run never starts twice.
HELPDESK_SWEEP_SECONDS (default 60) sets their interval; tests use a few seconds.
"""

from celery.schedules import crontab

from helpdesk import env

SWEEP_SECONDS = float(env.integer("HELPDESK_SWEEP_SECONDS", 60))
OUTBOUND_SWEEP_SECONDS = float(env.integer("HELPDESK_OUTBOUND_SWEEP_SECONDS", 300))

SCHEDULE: dict[str, dict] = {
    # Mark first-response / resolution breaches and warnings; fires the breach rules and
    # notifies assignees and departments (tickets.sla_sweep).
    "sla-sweep": {
        "task": "tickets.sla_sweep",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": max(SWEEP_SECONDS - 5, 1)},
    },
    # Time-triggered automation rules: no staff reply for X hours, no customer reply for X days,
    # closed + delay (tickets.automation.engine.sweep_time_rules).
    "automation-sweep": {
        "task": "tickets.automation_sweep",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": max(SWEEP_SECONDS - 5, 1)},
    },
    # Fetch new mail from department IMAP mailboxes (UID-based; a cache lock keeps one run at a time).
    "poll-department-mailboxes": {"task": "tickets.poll_mailboxes", "schedule": 60.0},
    # Fetch WhatsApp message templates from Meta (whatsapp.message_templates; paged GET message_templates).
    "whatsapp-sync-templates": {"task": "whatsapp.sync_templates", "schedule": 3600.0},
    # Queue stored WhatsApp webhook events no task picked up (broker down, worker killed).
    "whatsapp-requeue-events": {"task": "whatsapp.requeue_events", "schedule": 300.0},
    # Callback reminders due now: claimed with SKIP LOCKED, sent once (appointments.services).
    "callback-reminders": {
        "task": "appointments.send_callback_reminders",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": max(SWEEP_SECONDS - 5, 1)},
    },
    # Queue stored emails no task picked up (broker down when the pipe ran, a worker killed mid-task).
    # HELPDESK_REQUEUE_SECONDS (default 300) sets its interval.
    "requeue-inbound-emails": {"task": "tickets.requeue_inbound_emails",
                               "schedule": float(env.integer("HELPDESK_REQUEUE_SECONDS", 300))},
    # Queue again outbound messages (staff replies, receipts, notices) still pending well after they
    # should have gone: their task was lost with a killed worker (tickets.outbound.sweep).
    # HELPDESK_OUTBOUND_SWEEP_SECONDS (default 300) sets its interval.
    "requeue-outbound-messages": {"task": "tickets.requeue_outbound_messages",
                                  "schedule": OUTBOUND_SWEEP_SECONDS,
                                  "options": {"expires": max(OUTBOUND_SWEEP_SECONDS - 5, 1)}},
    # Beat's heartbeat: a worker runs it and records the time; /health/ reports its age, so a
    # dead beat (or no worker) shows (helpdesk/health.py).
    "beat-heartbeat": {
        "task": "helpdesk.beat_heartbeat",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": max(SWEEP_SECONDS - 5, 1)},
    },
    # KPI reports' daily rollup: the last days and every day a changed ticket touches, every
    # 10 minutes; a full rebuild nightly (a client's tier change) (tickets.reports.rollup).
    "report-rollup-refresh": {"task": "tickets.refresh_report_rollup", "schedule": 600.0,
                              "options": {"expires": 590}},
    "report-rollup-rebuild": {"task": "tickets.rebuild_report_rollup", "schedule": crontab(hour=3, minute=17)},
}
