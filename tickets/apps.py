from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from kb.metrics import register_ticket_source
        from tickets import channels, inbound_webhooks, tasks  # noqa: F401  (reply channels, task registry)
        from tickets.kb_reports import answered_tickets_since

        register_ticket_source(answered_tickets_since)
        inbound_webhooks.connect()
