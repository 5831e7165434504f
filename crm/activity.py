"""The kinds of entry on a client's Activity tab: a small registry other apps add to.

crm imports no other app, so the apps that do things (tickets, appointments, WhatsApp, surveys)
register their kind here from their AppConfig.ready() and write entries with
crm.services.record_activity. Typed-in kinds (call, meeting, note) are built in.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

TYPED_IN = ("call", "meeting", "note")

_kinds: dict[str, Promise | str] = {
    "call": _("Call"),
    "meeting": _("Meeting"),
    "note": _("Note"),
    "email": _("Email"),
    "invoice": _("Invoice"),
    "opportunity": _("Opportunity"),
    "delivery_return": _("Delivery return"),
}


def register_kind(key: str, label: Promise | str) -> None:
    """Declare an activity kind (idempotent; the last label wins)."""
    _kinds[key] = label


def kind_choices() -> list[tuple[str, Promise | str]]:
    """Return (key, label) of every known kind, in registration order."""
    return list(_kinds.items())


def typed_in_choices() -> list[tuple[str, Promise | str]]:
    """Return the kinds staff may type in by hand on the client file."""
    return [(key, _kinds[key]) for key in TYPED_IN]


def label(key: str) -> str:
    """Return the label of a kind (the key itself for a kind nobody registered)."""
    return str(_kinds.get(key, key))
