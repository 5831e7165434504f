"""The admin's "test connection": ask the Graph API for the WABA's numbers and say what it found."""

from django.utils.translation import gettext as _

from whatsapp.graph import Client, GraphError
from whatsapp.models import Account


def test_connection(*, account: Account) -> tuple[bool, str]:
    """Return (ok, what Meta said) for this account's WABA and token."""
    if not account.waba_id or not account.access_token:
        return False, _("Enter the WABA ID and the access token first.")
    try:
        numbers = Client(account).phone_numbers()
    except GraphError as exc:
        return False, _("Meta refused: %(code)s %(error)s") % {"code": exc.code or "", "error": exc.title}
    found = ", ".join(f"{n.get('display_phone_number', '?')} (id {n.get('id', '?')})" for n in numbers)
    return True, _("Connected. Numbers on this WABA: %(found)s") % {"found": found or _("none")}
