from django.apps import AppConfig


class WhatsappConfig(AppConfig):
    name = "whatsapp"
    verbose_name = "WhatsApp"

    def ready(self) -> None:
        """Plug into tickets through its registries (tickets never imports whatsapp): staff replies
        on a WhatsApp ticket go out on WhatsApp; automation rules may send mapped templates."""
        from django.utils.translation import gettext_lazy

        from tickets import channels
        from tickets.automation.registry import register_action
        from whatsapp import event_templates, sending, tasks  # noqa: F401 (registers the Celery tasks by name)

        channels.register("whatsapp", sending.send_ticket_reply)
        register_action("send_whatsapp_template", gettext_lazy("Send a WhatsApp template (event mapping)"),
                        run=event_templates.run_action, validate=event_templates.validate_action,
                        params=event_templates.ACTION_PARAMS)
