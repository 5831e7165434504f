from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM"

    def ready(self) -> None:
        """Send the invoice domain events (crm.events) when invoices change status."""
        from crm import events

        events.connect()
