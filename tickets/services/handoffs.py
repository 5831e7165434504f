"""Cross-department hand-offs from a ticket or the client file (the agent guide's "Cross-department
integrations", the manager guide's "Frequent cross-department flows"): forward an invoice to
accounts receivable, create a delivery return, notify order management, create an opportunity
for sales, and a task for IT. Any staff member (L1 included) may make them.

Each one writes its records in one transaction: a task for the receiving department (linked to
the ticket), an internal note on the ticket, the CRM record (crm.services) and an entry on the
client's Activity tab; the receiving department or owner is told through the `handoff` hook
(notifications listen). The receiving department is found by name (HELPDESK_HANDOFF_DEPARTMENTS).
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from crm import services as crm_services
from crm.models import Client, DeliveryReturn, Invoice, Opportunity, Order, OrderLine
from tickets import hooks
from tickets.exceptions import TicketError
from tickets.models import Attachment, Department, Task, TaskAttachment, Ticket, TicketEvent, TicketMessage
from tickets.services.common import _actor_id, _record
from tickets.services.conversation import add_reply
from tickets.services.tasks import create_task

DEFAULT_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "accounts_receivable": ("Accounts Receivable", "Billing / Finance", "Billing", "Finance"),
    "warehouse": ("Warehouse", "Delivery Returns", "Orders"),
    "order_management": ("Order Management", "Orders", "OMS"),
    "sales": ("Sales",),
    "it": ("IT", "IT / Admin", "Technical Support"),
}


def handoff_department(role: str) -> Department | None:
    """Return the department that receives hand-offs of `role` (the first configured name that
    exists), or None when none is configured."""
    names = getattr(settings, "HELPDESK_HANDOFF_DEPARTMENTS", {}).get(role) or DEFAULT_DEPARTMENTS.get(role, ())
    if isinstance(names, str):
        names = (names,)
    found = {d.name.lower(): d for d in Department.objects.filter(is_active=True)}
    return next((found[n.lower()] for n in names if n.lower() in found), None)


def _department(role: str, label: str) -> Department:
    department = handoff_department(role)
    if department is None:
        raise TicketError(_("No %(who)s department is configured.") % {"who": label})
    return department


def _announce(*, text: str, actor: Any, ticket: Ticket | None, department: Department | None = None,
              user_ids: Sequence[int] = ()) -> None:
    hooks.emit("handoff", ticket_id=getattr(ticket, "pk", None), actor_id=_actor_id(actor), text=text,
               department_id=getattr(department, "pk", None), user_ids=list(user_ids))


def _note(ticket: Ticket | None, actor: Any, text: str) -> None:
    if ticket is not None:
        add_reply(ticket=ticket, kind=TicketMessage.Kind.NOTE, author=actor, body_text=text)
        _record(ticket, TicketEvent.Kind.HANDOFF, actor=actor, after=text.splitlines()[0][:255])


def _link(ticket: Ticket | None) -> str:
    return reverse("staff:ticket_detail", args=[ticket.pk]) if ticket is not None else ""


@transaction.atomic
def forward_invoice(*, invoice: Invoice, actor: Any, note: str, ticket: Ticket | None = None) -> Task:
    """Forward a disputed invoice to accounts receivable: a task for that department (with the
    invoice and ticket), an internal note, the invoice flagged disputed until the task is done."""
    if not (note or "").strip():
        raise TicketError(_("Say what is wrong with the invoice."))
    if ticket is not None and ticket.client_id != invoice.client_id:
        raise TicketError(_("This invoice belongs to another client."))
    department = _department("accounts_receivable", _("accounts receivable"))
    title = _("Invoice %(n)s disputed by %(c)s") % {"n": invoice.number, "c": invoice.client.name}
    description = "\n".join([
        _("Invoice: %(n)s, %(a)s %(cur)s, issued %(d)s") % {
            "n": invoice.number, "a": invoice.amount, "cur": invoice.currency, "d": invoice.issued_on},
        _("Ticket: #%(n)s") % {"n": ticket.pk} if ticket else "",
        "", note.strip(),
    ]).strip()
    task = create_task(title=title, description=description, ticket=ticket, department=department, actor=actor)
    crm_services.mark_invoice_disputed(invoice=invoice, task_id=task.pk, actor=actor)
    _note(ticket, actor, _("Invoice %(n)s forwarded to %(d)s.\n\n%(note)s") % {
        "n": invoice.number, "d": department.name, "note": note.strip()})
    crm_services.record_activity(client_id=invoice.client_id, kind="invoice", actor=actor, link=_link(ticket),
                                 description=_("Invoice %(n)s disputed, forwarded to %(d)s") % {
                                     "n": invoice.number, "d": department.name})
    _announce(text=title, actor=actor, ticket=ticket, department=department)
    return task


def on_task_status_changed(*, task_id: int, status: str, actor_id: int | None = None, **_payload: Any) -> None:
    """A done dispute task clears its invoice's disputed flag (tickets.hooks listener)."""
    if status == Task.Status.DONE:
        crm_services.resolve_invoice_dispute(task_id=task_id)


@transaction.atomic
def create_delivery_return(
    *, order: Order, items: Sequence[tuple[OrderLine, int]], reason: str, actor: Any, ticket: Ticket | None = None,
) -> DeliveryReturn:
    """Record goods coming back and hand the return to the warehouse (a task); the ticket stays
    open until the warehouse marks the return received."""
    if ticket is not None and ticket.client_id != order.client_id:
        raise TicketError(_("This order belongs to another client."))
    department = _department("warehouse", _("warehouse"))
    try:
        delivery_return = crm_services.create_delivery_return(
            order=order, lines=[(line, line.description, qty) for line, qty in items], reason=reason, actor=actor,
            ticket_number=getattr(ticket, "pk", None))
    except crm_services.CrmError as exc:
        raise TicketError(str(exc))
    items_text = "\n".join(f"- {qty} × {line.description}" for line, qty in items if qty)
    title = _("Delivery return %(r)s for order %(o)s") % {"r": delivery_return.pk, "o": order.number}
    create_task(title=title, description=f"{items_text}\n\n{reason.strip()}", ticket=ticket, department=department,
                actor=actor)
    _note(ticket, actor, _("Delivery return created for order %(o)s, sent to %(d)s:\n%(items)s\n\n%(reason)s") % {
        "o": order.number, "d": department.name, "items": items_text, "reason": reason.strip()})
    crm_services.record_activity(client_id=order.client_id, kind="delivery_return", actor=actor, link=_link(ticket),
                                 description=_("Delivery return for order %(o)s: %(items)s") % {
                                     "o": order.number, "items": items_text.replace("\n", " ")})
    _announce(text=title, actor=actor, ticket=ticket, department=department)
    return delivery_return


# --- a ticket with a delivery return stays open until the warehouse receives it ---------------


def pending_return_blockers(ticket_ids: list[int]) -> dict[int, str]:
    """Close guard (tickets.services.close_guards): the tickets waiting for a delivery return
    that is neither received nor cancelled, with the oldest such return named. One query."""
    rows = (DeliveryReturn.objects.filter(ticket_number__in=ticket_ids, status=DeliveryReturn.Status.REQUESTED)
            .order_by("pk").values_list("ticket_number", "pk"))
    blocked: dict[int, str] = {}
    for ticket_number, return_id in rows:
        blocked.setdefault(ticket_number, _("Waiting for delivery return #%(n)s to be received.") % {"n": return_id})
    return blocked


def may_handle_returns(user: Any) -> bool:
    """Who may mark a delivery return received or cancelled: managers, the warehouse department's
    staff, and anyone given the "change delivery return" permission."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return False
    if getattr(user, "is_manager", False) or user.has_perm("crm.change_deliveryreturn"):
        return True
    department = handoff_department("warehouse")
    return department is not None and department.members.filter(pk=user.pk).exists()


def set_delivery_return_status(*, delivery_return: DeliveryReturn, status: str, actor: Any) -> DeliveryReturn:
    """Mark a return received (or cancelled); the ticket's history and the client's timeline
    record it (through `on_return_status_changed`) and the ticket may close again."""
    try:
        return crm_services.set_return_status(delivery_return=delivery_return, status=status, actor=actor)
    except crm_services.CrmError as exc:
        raise TicketError(str(exc))


def on_return_status_changed(*, delivery_return: DeliveryReturn, status: str, actor: Any = None,
                             **_kwargs: Any) -> None:
    """crm.signals listener: write the return's new status into its ticket's history (from the
    workspace button or the admin action alike), in the same transaction."""
    ticket = Ticket.objects.filter(pk=delivery_return.ticket_number).first() if delivery_return.ticket_number else None
    if ticket is None:
        return
    if status == DeliveryReturn.Status.RECEIVED:
        text = _("Delivery return #%(r)s received by the warehouse; the ticket may be closed.")
    else:
        text = _("Delivery return #%(r)s cancelled; the ticket may be closed.")
    _record(ticket, TicketEvent.Kind.HANDOFF, actor=actor, after=text % {"r": delivery_return.pk},
            note=_("Order %(o)s") % {"o": delivery_return.order.number})
    if ticket.closed_at is None:  # tell whoever handles the ticket (its assignee, else its department)
        # An auto-close held for this return may now run (tickets.automation.engine, after commit).
        hooks.emit("close_guard_lifted", ticket_id=ticket.pk)
        _announce(text=_("Ticket #%(t)s: ") % {"t": ticket.pk} + text % {"r": delivery_return.pk}, actor=actor,
                  ticket=ticket, department=None if ticket.assignee_id else ticket.department,
                  user_ids=[ticket.assignee_id] if ticket.assignee_id else [])


@transaction.atomic
def notify_order_management(*, order: Order, note: str, actor: Any, ticket: Ticket | None = None) -> Task:
    """Tell order management about a problem with an order: a task for that department."""
    if not (note or "").strip():
        raise TicketError(_("Describe the problem with the order."))
    department = _department("order_management", _("order management"))
    title = _("Order %(o)s: issue reported by %(c)s") % {"o": order.number, "c": order.client.name}
    task = create_task(title=title, description=note.strip(), ticket=ticket, department=department, actor=actor)
    _note(ticket, actor, _("Order management notified about order %(o)s.\n\n%(note)s") % {
        "o": order.number, "note": note.strip()})
    _announce(text=title, actor=actor, ticket=ticket, department=department)
    return task


def sales_staff() -> list[Any]:
    """Return who may own an opportunity: the sales department's staff (all staff without one)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("full_name", "email")
    department = handoff_department("sales")
    return list(users.filter(departments=department) if department else users)


@transaction.atomic
def create_opportunity(
    *, ticket: Ticket, name: str, value: Decimal, stage: str, owner: Any, actor: Any, notes: str = "",
) -> Opportunity:
    """Pass a sales opportunity found in support to its owner in sales (linked to the ticket)."""
    if not ticket.client_id:
        raise TicketError(_("The ticket has no client."))
    try:
        opportunity = crm_services.create_opportunity(
            client=Client.objects.get(pk=ticket.client_id), name=name, value=value, stage=stage, owner=owner,
            actor=actor, notes=notes, ticket_number=ticket.pk)
    except crm_services.CrmError as exc:
        raise TicketError(str(exc))
    _note(ticket, actor, _("Opportunity \"%(n)s\" (%(v)s) passed to %(o)s.") % {
        "n": opportunity.name, "v": opportunity.value, "o": owner or "-"})
    crm_services.record_activity(client_id=ticket.client_id, kind="opportunity", actor=actor, link=_link(ticket),
                                 description=_("Opportunity \"%(n)s\" (%(v)s %(c)s) from ticket #%(t)s") % {
                                     "n": opportunity.name, "v": opportunity.value, "c": opportunity.currency,
                                     "t": ticket.pk})
    if owner is not None:
        _announce(text=_("Opportunity for you from ticket #%(t)s: %(n)s") % {"t": ticket.pk, "n": opportunity.name},
                  actor=actor, ticket=ticket, user_ids=[owner.pk])
    return opportunity


@transaction.atomic
def task_for_it(
    *, ticket: Ticket, steps: str, browser: str, error: str, actor: Any, title: str = "", assignee: Any = None,
) -> Task:
    """Hand a confirmed bug to IT: a task with the reproduction steps, browser and exact error,
    and the ticket's attachments (screenshots) copied onto it."""
    if not (steps or "").strip():
        raise TicketError(_("Write the steps that reproduce the bug."))
    department = _department("it", _("IT"))
    description = "\n\n".join([
        _("Steps to reproduce:") + "\n" + steps.strip(),
        _("Browser / device:") + " " + (browser.strip() or "-"),
        _("Exact error:") + "\n" + (error.strip() or "-"),
    ])
    title = title.strip() or _("Bug from ticket #%(n)s: %(s)s") % {"n": ticket.pk, "s": ticket.subject}
    task = create_task(title=title, description=description, ticket=ticket, department=department,
                       assignee=assignee, actor=actor)
    files = Attachment.objects.filter(message__ticket=ticket, is_inline=False).order_by("pk")
    TaskAttachment.objects.bulk_create([
        TaskAttachment(task=task, file=a.file.name, original_name=a.original_name, content_type=a.content_type,
                       size=a.size) for a in files
    ])
    _note(ticket, actor, _("Task for IT created: %(t)s") % {"t": task.title})
    _announce(text=task.title, actor=actor, ticket=ticket, department=department,
              user_ids=[assignee.pk] if assignee is not None else [])
    return task
