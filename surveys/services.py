"""Every write of the surveys app: inviting a customer after a ticket closes, sending the link,
recording (and editing) a response, and the guide's alarms.

- invite_for_ticket(): what the `send_survey` automation action runs. It refuses spam, merged
  and (setting) auto-closed-without-reply tickets, tickets without an address, and customers
  invited within the cool-down; otherwise it creates the invitation and queues the sending.
- send_invitation(): a task calls it after commit. The link's secret is made here and stored
  hashed, so it never travels through the broker.
- submit_response(): only a POST calls it (mail scanners GET links); one response per
  invitation, replaced while the invitation is valid.
- check_alarms(): after each response: average rating under 3.5 over the window notifies the
  managers; a client's NPS under 20 notifies the client's account manager. Once a day each.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import services as crm_services
from crm.models import StaffProfile
from helpdesk.languages import all_languages, in_language, in_language_of
from surveys import delivery, tokens
from surveys.models import Answer, Invitation, Question, Response, Survey, survey_setting
from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent
from tickets.models.notifications import Notification, NotificationKind
from tickets.notifications import services as notifications

logger = logging.getLogger(__name__)


class SurveyError(Exception):
    """A survey answer that cannot be recorded (expired link, missing required answer)."""


@dataclass(frozen=True)
class InviteOutcome:
    invitation: Invitation | None
    reason: str


def default_survey() -> Survey | None:
    return Survey.objects.filter(is_active=True, is_default=True).first() or (
        Survey.objects.filter(is_active=True).order_by("pk").first()
    )


def _closed_by_system_without_reply(ticket: Ticket) -> bool:
    """True when the last close had no human actor and the customer never answered our last reply."""
    last_close = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.CLOSED).order_by("-created_at", "-id")
    closed_by = last_close.values_list("actor_id", flat=True).first()
    return last_close.exists() and closed_by is None and ticket.last_reply_by_staff


def _in_cooldown(ticket: Ticket, email: str, now: datetime) -> bool:
    days = int(survey_setting("SURVEY_COOLDOWN_DAYS"))
    if days <= 0:
        return False
    recent = Invitation.objects.filter(sent_at__gt=now - timedelta(days=days))
    who = Q(email__iexact=email) if email else Q(pk__in=[])
    if ticket.contact_id:
        who |= Q(contact_id=ticket.contact_id)
    return recent.filter(who).exists()


@transaction.atomic
def invite_for_ticket(*, ticket: Ticket, now: datetime | None = None) -> InviteOutcome:
    """Invite the ticket's customer to the default survey, unless a rule of the guide says not to.

    Side effect: the invitation is sent by a task after commit.
    """
    now = now or timezone.now()
    survey = default_survey()
    email = ticket.reply_email
    if survey is None:
        return InviteOutcome(None, "no active survey")
    if ticket.is_spam:
        return InviteOutcome(None, "spam: no survey")
    if ticket.merged_into_id:
        return InviteOutcome(None, "merged: no survey")
    if ticket.closed_at is None:
        return InviteOutcome(None, "ticket reopened: no survey")
    if not email and delivery.sender_for(ticket.channel) is None:
        return InviteOutcome(None, "no address")
    if Invitation.objects.filter(ticket=ticket).exists():
        return InviteOutcome(None, "already invited")
    if survey_setting("SURVEY_SKIP_AUTO_CLOSED") and _closed_by_system_without_reply(ticket):
        return InviteOutcome(None, "auto-closed without reply: no survey")
    if _in_cooldown(ticket, email, now):
        return InviteOutcome(None, "customer surveyed recently (cool-down)")
    _raw, placeholder = tokens.new_token()  # replaced when sent; the column stays unique
    invitation = Invitation.objects.create(
        survey=survey,
        ticket=ticket,
        contact_id=ticket.contact_id,
        email=(email or "").lower(),
        channel=ticket.channel,
        token_hash=placeholder,
        sent_at=now,
        expires_at=now + timedelta(days=int(survey_setting("SURVEY_VALID_DAYS"))),
    )
    transaction.on_commit(lambda: current_app.tasks["surveys.send_invitation"].delay(invitation.pk))
    return InviteOutcome(invitation, "invited")


def survey_link(token: str) -> str:
    return settings.SITE_URL + reverse("surveys:answer", args=[token])


@transaction.atomic
def send_invitation(*, invitation_id: int) -> bool:
    """Make the invitation's link and send it (WhatsApp template when registered, else email)."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("survey", "ticket__department", "contact")
        .filter(pk=invitation_id, answered_at__isnull=True)
        .first()
    )
    if invitation is None:
        return False
    token, digest = tokens.new_token()
    invitation.token_hash = digest
    invitation.save(update_fields=["token_hash"])
    link = survey_link(token)
    sender = delivery.sender_for(invitation.channel)
    if sender is not None and sender(invitation, link):
        return True
    ticket = invitation.ticket
    if not invitation.email:  # a WhatsApp-only customer whose template could not go: nothing to send
        ticket_services.note_history(ticket=ticket, note=_("Survey invitation not sent: no email address to "
                                                           "fall back to."))
        return False
    department = ticket.department
    context = {"invitation": invitation, "ticket": ticket, "link": link,
               "first_name": invitation.contact.first_name if invitation.contact else ""}
    # In the customer's language (their contact's, else the site's), whoever closed the ticket.
    with in_language_of(invitation.contact):
        subject = render_to_string("surveys/email_subject.txt", context).strip()
        body = render_to_string("surveys/email_body.txt", context)
        html = render_to_string("surveys/email_body.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=f"{department.name} <{department.email}>" if department.email else settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
        headers={"Auto-Submitted": "auto-generated", "X-Helpdesk-Ticket": str(ticket.pk)},
    )
    message.attach_alternative(html, "text/html")
    message.send()
    return True


def invitation_for_token(token: str) -> Invitation | None:
    """Return the invitation of a link (None when tampered or unknown; expiry is checked apart)."""
    digest = tokens.hash_from_link(token)
    if digest is None:
        return None
    return (
        Invitation.objects.select_related("survey", "ticket", "response")
        .filter(token_hash=digest)
        .first()
    )


def _clean_answer(question: Question, raw: str) -> tuple[int | None, str]:
    raw = (raw or "").strip()
    if not raw:
        if question.required:
            raise SurveyError(_("Please answer “%(q)s”.") % {"q": question.text})
        return None, ""
    if question.kind in (Question.Kind.RATING, Question.Kind.NPS):
        low, high = (1, 5) if question.kind == Question.Kind.RATING else (0, 10)
        try:
            value = int(raw)
        except ValueError:
            raise SurveyError(_("“%(q)s” needs a number.") % {"q": question.text}) from None
        if not low <= value <= high:
            raise SurveyError(_("“%(q)s” goes from %(a)s to %(b)s.") % {"q": question.text, "a": low, "b": high})
        return value, ""
    if question.kind == Question.Kind.CHOICE and raw not in question.choice_list:
        raise SurveyError(_("Choose one of the options for “%(q)s”.") % {"q": question.text})
    return None, raw[:5000]


@transaction.atomic
def submit_response(*, invitation: Invitation, answers: dict[int, str], now: datetime | None = None) -> Response:
    """Record the customer's answers (replacing earlier ones) while the invitation is valid.

    The response keeps its first rating, NPS and comment copied for the reports; alarms are
    checked after commit.
    """
    now = now or timezone.now()
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.expires_at <= now:
        raise SurveyError(_("This survey link has expired."))
    questions = list(invitation.survey.questions.filter(is_active=True).order_by("order", "id"))
    cleaned = {q.pk: _clean_answer(q, answers.get(q.pk, "")) for q in questions}
    rating = next((cleaned[q.pk][0] for q in questions if q.kind == Question.Kind.RATING), None)
    nps = next((cleaned[q.pk][0] for q in questions if q.kind == Question.Kind.NPS), None)
    comment = "\n\n".join(cleaned[q.pk][1] for q in questions if q.kind == Question.Kind.TEXT and cleaned[q.pk][1])
    response, created = Response.objects.get_or_create(
        invitation=invitation,
        defaults={"rating": rating, "nps": nps, "comment": comment, "submitted_at": now, "updated_at": now},
    )
    if not created:
        Response.objects.filter(pk=response.pk).update(rating=rating, nps=nps, comment=comment, updated_at=now)
        response.refresh_from_db()
        response.answers.all().delete()
    Answer.objects.bulk_create(
        [Answer(response=response, question_id=qid, number=num, text=text) for qid, (num, text) in cleaned.items()
         if num is not None or text]
    )
    if invitation.answered_at is None:
        Invitation.objects.filter(pk=invitation.pk).update(answered_at=now)
    _record_on_timeline(invitation, response, changed=not created, now=now)
    transaction.on_commit(lambda: check_alarms(response_id=response.pk))
    return response


ACTIVITY_KIND = "survey"


def _record_on_timeline(invitation: Invitation, response: Response, *, changed: bool, now: datetime) -> None:
    """Write the answer on the client's Activity tab (crm's timeline registry), linked to the ticket."""
    ticket = Ticket.objects.filter(pk=invitation.ticket_id).only("pk", "client_id", "subject").first()
    if ticket is None or not ticket.client_id:
        return
    scores = [_("rating %(r)s/5") % {"r": response.rating} if response.rating is not None else "",
              _("NPS %(n)s/10") % {"n": response.nps} if response.nps is not None else ""]
    text = (_("Survey answer changed on ticket #%(n)s") if changed else _("Survey answered on ticket #%(n)s")) % {
        "n": ticket.pk}
    details = ", ".join(filter(None, scores))
    if details:
        text += f": {details}"
    if response.comment:
        text += f" — “{response.comment[:200]}”"
    crm_services.record_activity(client_id=ticket.client_id, kind=ACTIVITY_KIND, description=text,
                                 link=reverse("staff:ticket_detail", args=[ticket.pk]), at=now)


# --- alarms --------------------------------------------------------------------------------


def _alarmed_today(user_ids: list[int], marker: Any, now: datetime) -> set[int]:
    """Return who got this alarm in the last day: `marker()` gives its first words in the active
    language; each recipient's copy is in their own language, so every language's is looked for."""
    starts = Q()
    for lang in all_languages():
        with in_language(lang):
            starts |= Q(text__startswith=marker())
    return set(
        Notification.objects.filter(starts, recipient_id__in=user_ids, created_at__gte=now - timedelta(days=1))
        .values_list("recipient_id", flat=True)
    )


def _managers() -> list[Any]:
    users = get_user_model().objects.filter(is_active=True, is_staff=True)
    return list(users.filter(Q(is_superuser=True) | Q(staff_profile__role=StaffProfile.Role.MANAGER)))


def check_alarms(*, response_id: int, now: datetime | None = None) -> list[str]:
    """Raise the guide's alarms the response may have set off; return which ones fired."""
    now = now or timezone.now()
    response = Response.objects.select_related("invitation__ticket__client__account_manager").filter(
        pk=response_id
    ).first()
    if response is None:
        return []
    since = now - timedelta(days=int(survey_setting("SURVEY_ALARM_WINDOW_DAYS")))
    ticket = response.invitation.ticket
    fired: list[str] = []
    average = Response.objects.filter(submitted_at__gte=since, rating__isnull=False).aggregate(a=Avg("rating"))["a"]
    if average is not None and average < float(survey_setting("SURVEY_ALARM_AVERAGE")):
        managers = _managers()
        already = _alarmed_today([m.pk for m in managers], lambda: _("CSAT alarm"), now)
        window, threshold = survey_setting("SURVEY_ALARM_WINDOW_DAYS"), survey_setting("SURVEY_ALARM_AVERAGE")

        def csat_text() -> str:
            return _("%(m)s: average rating %(a).2f over %(d)s days is under %(t)s. Investigate.") % {
                "m": _("CSAT alarm"), "a": average, "d": window, "t": threshold}

        notifications.notify(recipients=[m for m in managers if m.pk not in already],
                             kind=NotificationKind.AUTOMATION, text=csat_text, ticket=ticket, force_email=True,
                             email_subject=lambda: _("CSAT alarm"), email_body=csat_text)
        fired.append("average")
    client = ticket.client
    owner = client.account_manager if client else None
    if response.nps is not None and owner is not None and owner.is_active:
        counts = Response.objects.filter(
            invitation__ticket__client=client, submitted_at__gte=since, nps__isnull=False
        ).aggregate(n=Count("pk"), p=Count("pk", filter=Q(nps__gte=9)), d=Count("pk", filter=Q(nps__lte=6)))
        score = round(100 * (counts["p"] - counts["d"]) / counts["n"])
        if score < int(survey_setting("SURVEY_ALARM_NPS")):
            def nps_text() -> str:
                return _("%(m)s: %(c)s has an NPS of %(s)s (%(n)s answers): churn risk.") % {
                    "m": _("NPS alarm"), "c": client.name, "s": score, "n": counts["n"]}

            if owner.pk not in _alarmed_today([owner.pk], lambda: f"{_('NPS alarm')}: {client.name}", now):
                notifications.notify(recipients=[owner], kind=NotificationKind.AUTOMATION, text=nps_text,
                                     ticket=ticket, force_email=True, email_subject=lambda: _("NPS alarm"),
                                     email_body=nps_text)
            fired.append("nps")
    return fired
