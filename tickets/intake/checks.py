"""System checks of the email intake (`manage.py check --deploy`)."""

from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_inbound_webhooks(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Warn about each inbound webhook provider switched on without its secret or signing key
    (its URL then answers 404, so that provider's mail does not arrive)."""
    from tickets.intake.webhooks import enabled_providers, provider_problem

    warnings = []
    for name in enabled_providers():
        problem = provider_problem(name)
        if problem:
            warnings.append(Warning(
                f"Inbound webhook {name!r} is on (HELPDESK_INBOUND_WEBHOOKS) but {problem}; "
                "its URL answers 404 until it is configured.",
                hint="Set ANYMAIL_WEBHOOK_SECRET=user:password (or the provider's signing key), see the "
                     "README, \"Email pipe\".",
                id="helpdesk.W101",
            ))
    return warnings
