from django.apps import AppConfig


class WhatsappConfig(AppConfig):
    name = "whatsapp"
    verbose_name = "WhatsApp"

    def ready(self) -> None:
        """Plug into tickets through its registries (tickets never imports whatsapp): staff replies
        on a WhatsApp ticket go out on WhatsApp; automation rules may send mapped templates.
        Invoice events of crm (crm.events) and the survey invitation of a WhatsApp ticket
        (surveys.delivery) send their mapped templates; conversations write on the client's
        Activity tab (crm.activity)."""
        from django.utils.translation import gettext_lazy

        from crm import activity
        from crm import events as crm_events
        from surveys import delivery as survey_delivery
        from tickets import channels
        from tickets.automation.registry import register_action
        from whatsapp import (  # noqa: F401 (tasks registers the Celery tasks by name)
            event_templates,
            invoice_events,
            sending,
            survey_invitations,
            tasks,
        )

        channels.register("whatsapp", sending.send_ticket_reply)
        from tickets.notifications import topbar
        from whatsapp.queries import unread_conversations

        topbar.register_counter(key="whatsapp_unread", rows=unread_conversations, sum_field="unread_count")
        # A conversation saved (a message in, an admin edit) or deleted may move the agents' badges.
        from django.db.models.signals import post_delete, post_save

        from whatsapp import conversations
        from whatsapp.models import Conversation

        post_save.connect(conversations.badges_changed, sender=Conversation, dispatch_uid="topbar-wa-save")
        post_delete.connect(conversations.badges_changed, sender=Conversation, dispatch_uid="topbar-wa-delete")
        register_action("send_whatsapp_template", gettext_lazy("Send a WhatsApp template (event mapping)"),
                        run=event_templates.run_action, validate=event_templates.validate_action,
                        params=event_templates.ACTION_PARAMS)
        activity.register_kind("whatsapp", gettext_lazy("WhatsApp"))
        crm_events.invoice_issued.connect(invoice_events.on_invoice_event, dispatch_uid="whatsapp.invoice_issued")
        crm_events.payment_confirmed.connect(invoice_events.on_invoice_event, dispatch_uid="whatsapp.payment_confirmed")
        survey_delivery.register_sender("whatsapp", survey_invitations.send_invitation)
