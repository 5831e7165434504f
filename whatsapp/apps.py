from django.apps import AppConfig


class WhatsappConfig(AppConfig):
    name = "whatsapp"
    verbose_name = "WhatsApp"

    def ready(self) -> None:
        """Plug into tickets through its registries (tickets never imports whatsapp): staff replies
        on a WhatsApp ticket go out on WhatsApp."""
        from tickets import channels
        from whatsapp import sending, tasks  # noqa: F401 (registers the Celery tasks by name)

        channels.register("whatsapp", sending.send_ticket_reply)
