from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from tickets import channels, hooks, notify_escalation, tasks  # noqa: F401  (channels, task registry)

        hooks.subscribe("escalated", notify_escalation.on_escalated)
