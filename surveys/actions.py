"""The `send_survey` automation action, registered with tickets from SurveysConfig.ready()."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from surveys import services
from tickets.automation.registry import ActionContext


def validate_send_survey(params: dict[str, Any]) -> None:
    unknown = set(params) - {"action"}
    if unknown:
        raise ValidationError(_("“send_survey” takes no parameters (got %(k)s).") % {"k": ", ".join(sorted(unknown))})


def run_send_survey(ctx: ActionContext) -> str:
    """Invite the ticket's customer; the run log says why when no survey was sent."""
    return services.invite_for_ticket(ticket=ctx.ticket).reason
