from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = _("Callback appointments")

    def ready(self) -> None:
        """Plug callbacks into the ticket page, the queue and the client's Activity tab through
        their registries (tickets imports nothing of ours; crm imports no other app)."""
        from appointments import queries, tasks  # noqa: F401  (task registry)
        from crm import activity
        from tickets.workspace import extensions

        activity.register_kind("callback", _("Callback"))
        extensions.register_ticket_action(
            key="schedule-callback", label=_("Schedule callback"), url_name="appointments:schedule"
        )
        extensions.register_ticket_panel(
            key="callbacks", template="appointments/_ticket_panel.html", context=queries.ticket_panel
        )
        extensions.register_queue_panel(
            key="callbacks-today", template="appointments/_queue_panel.html", context=queries.queue_panel
        )
