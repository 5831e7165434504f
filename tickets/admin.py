"""Admin registrations: the manager's configuration console."""
from tickets import admin_automation  # noqa: E402, F401  (SLA, automation, notification preferences)
