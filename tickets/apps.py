from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_save


def _client_sla_changed(sender: type, instance: object, **kwargs: object) -> None:
    """A client's tier or a contract changed: recompute the dues of its open tickets.

    crm may not import tickets, so tickets listens to crm's model signals instead; the work runs
    in a task after commit, and only tickets whose dues moved are saved.
    """
    from celery import current_app

    client_id = getattr(instance, "client_id", None) if sender.__name__ == "Contract" else instance.pk
    if client_id is None or kwargs.get("raw"):
        return
    if sender.__name__ == "Client" and kwargs.get("created"):
        return  # a new client has no tickets yet
    transaction.on_commit(lambda: current_app.tasks["tickets.recompute_client_sla"].delay(client_id))


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from kb.metrics import register_ticket_source
        from tickets import channels, tasks  # noqa: F401  (task registry)
        from tickets.automation import actions, engine, schema
        from tickets.intake import webhooks as inbound_webhooks
        from tickets.models.automation import RULE_VALIDATORS
        from tickets.notifications import services as notifications
        from tickets.reports.kb import answered_tickets_since

        register_ticket_source(answered_tickets_since)
        inbound_webhooks.connect()
        from tickets import hooks
        from tickets.intake import receipts

        hooks.subscribe_batch("ticket_created", receipts.on_tickets_created)
        actions.register_builtin_actions()
        if schema.validate_rule not in RULE_VALIDATORS:
            RULE_VALIDATORS.append(schema.validate_rule)
        engine.subscribe()
        # Escalations reach the new department through notifications (in-app, and email by preference).
        notifications.subscribe()
        from tickets.notifications import topbar

        topbar.connect()  # the top bar's cached announcements follow the admin's changes
        # Hand-offs: a done dispute task clears its invoice's flag; the client's timeline.
        from tickets import hooks, timeline
        from tickets.services import handoffs

        hooks.subscribe("task_status_changed", handoffs.on_task_status_changed)
        # A ticket waiting for a delivery return stays open until the warehouse receives it.
        from crm.signals import return_status_changed
        from tickets.services import close_guards

        close_guards.register_close_guard(handoffs.pending_return_blockers)
        return_status_changed.connect(handoffs.on_return_status_changed, dispatch_uid="tickets-return-status")
        timeline.subscribe()
        for model_name in ("crm.Client", "crm.Contract"):
            post_save.connect(_client_sla_changed, sender=model_name, dispatch_uid=f"sla-{model_name}-save")
        post_delete.connect(_client_sla_changed, sender="crm.Contract", dispatch_uid="sla-contract-delete")


class PipeTicketsConfig(TicketsConfig):
    """The tickets app as `manage.py pipe_email`'s fast path loads it (tickets/intake/pipe.py):
    its models only. Storing an email needs none of the listeners, tasks or registries that
    ready() connects, and importing them would cost more than the storing."""

    default = False  # never picked for "tickets" in INSTALLED_APPS

    def ready(self) -> None:
        pass
