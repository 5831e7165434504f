"""Writes of the CRM app. crm depends on no other app of ours."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from crm import activity, signals
from crm.models import (
    Activity,
    Client,
    Contact,
    DeliveryReturn,
    DeliveryReturnLine,
    Invoice,
    Opportunity,
    Order,
    OrderLine,
    User,
)


class InvitationError(Exception):
    """The contact cannot be invited; the message says why and is safe to show."""


def set_password_url(*, user: User) -> str:
    """Return the absolute one-time link where this user chooses a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("portal_auth:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{settings.SITE_URL}{path}"


def set_language(*, user: User, language: str) -> User:
    """Keep the language this person chose for their pages ("" follows the browser).

    A customer's choice is kept on their contact record (where staff see it and where the
    middleware looks first); staff keep it on their user.
    """
    if language and language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {language!r}")
    contact = None if user.is_staff else Contact.objects.filter(user=user).first()
    if contact is not None:
        contact.language = language
        contact.save(update_fields=["language"])
    user.language = language
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def invite_contact(*, contact: Contact, invited_by: User | None = None) -> User:
    """Give a contact a portal login and email them a link to choose their password.

    Creates the User (email = the contact's, no usable password) if the contact has none, links
    it, and turns portal access on. A contact who already has a login gets a fresh link (their
    current password keeps working until they choose a new one). Refused for inactive contacts
    and for an address that belongs to staff or to another contact. The email is sent after commit.
    """
    contact = Contact.objects.select_for_update(of=("self",)).select_related("client", "user").get(pk=contact.pk)
    if not contact.is_active:
        raise InvitationError(_("%(contact)s is inactive.") % {"contact": contact})
    user = contact.user
    if user is None:
        user = User.objects.filter(email__iexact=contact.email).first()
        if user is not None and (user.is_staff or hasattr(user, "contact")):
            raise InvitationError(
                _("The address %(email)s already belongs to another login.") % {"email": contact.email}
            )
        if user is None:
            user = User.objects.create_user(
                email=contact.email, password=None, full_name=contact.full_name, timezone=contact.timezone or "UTC"
            )
        contact.user = user
    if not user.is_active:
        raise InvitationError(_("The login of %(contact)s is disabled.") % {"contact": contact})
    contact.portal_access = True
    contact.save(update_fields=["user", "portal_access"])

    context = {
        "contact": contact,
        "client": contact.client,
        "invited_by": invited_by,
        "url": set_password_url(user=user),
        "login_url": f"{settings.SITE_URL}{reverse('portal_auth:login')}",
        "site_url": settings.SITE_URL,
    }
    # In the contact's language (or the site's), not in the inviting manager's.
    with translation.override(contact.language or settings.LANGUAGE_CODE):
        subject = render_to_string("crm/email/portal_invitation_subject.txt", context).strip()
        body = render_to_string("crm/email/portal_invitation.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [contact.email], fail_silently=False)
    )
    return user


# --- the client's activity timeline and cross-department records ------------------------------


def record_activity(
    *,
    client_id: int | None,
    kind: str,
    description: str,
    actor: User | None = None,
    link: str = "",
    at: datetime | None = None,
) -> Activity | None:
    """Write one entry on a client's Activity tab; return it (None when there is no client).

    Called by the services that do things (ticket opened or closed, email, callback, return,
    opportunity, invoice dispute) and by staff typing in a call or meeting. `link` is a path.
    """
    if not client_id:
        return None
    return Activity.objects.create(
        client_id=client_id,
        kind=kind[:40],
        description=(description or "").strip() or activity.label(kind),
        actor=actor if getattr(actor, "pk", None) else None,
        link=(link or "")[:300],
        created_at=at or timezone.now(),
    )


def record_activities(rows: list[dict]) -> int:
    """Write many activity entries at once (bulk intake); each row holds record_activity's
    arguments. Rows without a client are skipped. Return how many were written."""
    now = timezone.now()
    objs = [
        Activity(client_id=r["client_id"], kind=r["kind"][:40], description=r.get("description") or r["kind"],
                 actor_id=r.get("actor_id"), link=(r.get("link") or "")[:300], created_at=r.get("at") or now)
        for r in rows if r.get("client_id")
    ]
    return len(Activity.objects.bulk_create(objs))


class CrmError(Exception):
    """A CRM write was refused; the message says why and is safe to show."""


@transaction.atomic
def mark_invoice_disputed(*, invoice: Invoice, task_id: int | None, actor: User | None = None) -> Invoice:
    """Flag an invoice as disputed (forwarded to accounts receivable) until its task is done."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    invoice.disputed_at = invoice.disputed_at or timezone.now()
    invoice.dispute_task_id = task_id
    invoice.save(update_fields=["disputed_at", "dispute_task_id"])
    return invoice


@transaction.atomic
def resolve_invoice_dispute(*, task_id: int, actor: User | None = None) -> list[Invoice]:
    """Clear the dispute flag of the invoices whose dispute task `task_id` is done; record it."""
    invoices = list(Invoice.objects.select_for_update().filter(dispute_task_id=task_id, disputed_at__isnull=False))
    for invoice in invoices:
        invoice.disputed_at = None
        invoice.save(update_fields=["disputed_at"])
        text = _("Dispute of invoice %(n)s resolved by accounts receivable") % {"n": invoice.number}
        record_activity(client_id=invoice.client_id, kind="invoice", actor=actor, description=text)
    return invoices


@transaction.atomic
def create_delivery_return(
    *,
    order: Order,
    lines: list[tuple[OrderLine | None, str, int]],
    reason: str,
    actor: User | None = None,
    ticket_number: int | None = None,
) -> DeliveryReturn:
    """Record goods to be returned: (order line or None, description, quantity) per item.

    Quantities must be positive and no more than the order line's quantity.
    """
    if not (reason or "").strip():
        raise CrmError(_("Give the reason for the return."))
    items = [(line, desc, qty) for line, desc, qty in lines if qty]
    if not items:
        raise CrmError(_("Choose at least one item and its quantity."))
    for line, desc, qty in items:
        if qty < 0 or (line is not None and qty > line.quantity):
            raise CrmError(_("%(item)s: return between 1 and %(max)s.") % {
                "item": desc, "max": line.quantity if line else qty})
    delivery_return = DeliveryReturn.objects.create(
        order=order, reason=reason.strip(), created_by=actor if getattr(actor, "pk", None) else None,
        ticket_number=ticket_number,
    )
    DeliveryReturnLine.objects.bulk_create([
        DeliveryReturnLine(delivery_return=delivery_return, order_line=line, description=desc[:200], quantity=qty)
        for line, desc, qty in items
    ])
    return delivery_return


@transaction.atomic
def set_return_status(*, delivery_return: DeliveryReturn, status: str, actor: User | None = None) -> DeliveryReturn:
    """Move a requested return to received or cancelled (received records when); the ticket it
    came from follows through `crm.signals.return_status_changed` (its history; it may close)."""
    if status not in (DeliveryReturn.Status.RECEIVED, DeliveryReturn.Status.CANCELLED):
        raise CrmError(_("Unknown return status."))
    delivery_return = DeliveryReturn.objects.select_for_update().select_related("order").get(pk=delivery_return.pk)
    if delivery_return.status != DeliveryReturn.Status.REQUESTED:
        raise CrmError(_("Return %(r)s is already %(s)s.") % {
            "r": delivery_return.pk, "s": delivery_return.get_status_display().lower()})
    delivery_return.status = status
    delivery_return.received_at = timezone.now() if status == DeliveryReturn.Status.RECEIVED else None
    delivery_return.save(update_fields=["status", "received_at"])
    order = delivery_return.order
    record_activity(client_id=order.client_id, kind="delivery_return", actor=actor,
                    link=f"/staff/orders/{order.pk}/",
                    description=_("Return %(r)s of order %(o)s: %(s)s") % {
                        "r": delivery_return.pk, "o": order.number, "s": delivery_return.get_status_display()})
    signals.return_status_changed.send(sender=DeliveryReturn, delivery_return=delivery_return, status=status,
                                       actor=actor if getattr(actor, "pk", None) else None)
    return delivery_return


@transaction.atomic
def create_opportunity(
    *,
    client: Client,
    name: str,
    value: object,
    stage: str,
    owner: User | None,
    actor: User | None = None,
    notes: str = "",
    currency: str = "EUR",
    ticket_number: int | None = None,
) -> Opportunity:
    """Create a sales opportunity for a client (from a ticket: its number is kept)."""
    if not (name or "").strip():
        raise CrmError(_("Give the opportunity a name."))
    if stage not in Opportunity.Stage.values:
        raise CrmError(_("Unknown stage."))
    return Opportunity.objects.create(
        client=client, name=name.strip()[:200], value=value or 0, stage=stage, owner=owner, notes=notes,
        currency=currency, ticket_number=ticket_number,
    )


def _client_tab(client_id: int, tab: str) -> str:
    return f"{reverse('staff:client_detail', args=[client_id])}?tab={tab}"


def record_invoice_saved(*, invoice: Invoice, created: bool, old_status: str = "", actor: User | None = None) -> None:
    """Timeline entry for an invoice issued, or moved to paid / cancelled / unpaid (the admin)."""
    if created:
        text = _("Invoice %(n)s issued: %(a)s %(c)s, due %(d)s") % {
            "n": invoice.number, "a": invoice.amount, "c": invoice.currency, "d": invoice.due_on}
    elif old_status and old_status != invoice.status:
        text = _("Invoice %(n)s: %(s)s") % {"n": invoice.number, "s": invoice.get_status_display()}
    else:
        return
    record_activity(client_id=invoice.client_id, kind="invoice", actor=actor, description=text,
                    link=_client_tab(invoice.client_id, "invoices"))


def record_opportunity_saved(*, opportunity: Opportunity, created: bool, old_stage: str = "",
                             actor: User | None = None) -> None:
    """Timeline entry for an opportunity created, or moved to another stage (the admin)."""
    if created:
        text = _("Opportunity \"%(n)s\" (%(v)s %(c)s) created, %(s)s") % {
            "n": opportunity.name, "v": opportunity.value, "c": opportunity.currency,
            "s": opportunity.get_stage_display()}
    elif old_stage and old_stage != opportunity.stage:
        text = _("Opportunity \"%(n)s\": %(s)s") % {"n": opportunity.name, "s": opportunity.get_stage_display()}
    else:
        return
    record_activity(client_id=opportunity.client_id, kind="opportunity", actor=actor, description=text,
                    link=_client_tab(opportunity.client_id, "opportunities"))
