from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from tickets import channels, inbound_webhooks, tasks  # noqa: F401  (reply channels, task registry)

        inbound_webhooks.connect()
