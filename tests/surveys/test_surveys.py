"""Satisfaction surveys: sent 1 h after close by the seeded rule, cool-down, the signed link,
one response per invitation, results and alarms."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from surveys import queries, services
from surveys.models import Invitation, Question, Response, Survey
from tests.factories import ContactFactory, DepartmentFactory, ManagerFactory, StaffFactory
from tickets import services as ticket_services
from tickets.automation import engine
from tickets.models import AutomationRule, Notification, Ticket
from tickets.reports.filters import ReportFilters

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
RULE = "Send the satisfaction survey 1 hour after closing"


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def dept():
    return DepartmentFactory(name="General Support", email="support@company.com")


@pytest.fixture
def agent(dept):
    return StaffFactory(departments=[dept], email="agent@company.com")


def closed_ticket(dept, agent, commit, *, contact=None, at=T0, closer="agent") -> Ticket:
    """Open a ticket, answer it and close it by hand at `at`."""
    contact = contact or ContactFactory()
    with time_machine.travel(at - timedelta(hours=2), tick=False), commit():
        ticket = ticket_services.open_ticket(subject="Printer jams", body_text="It jams.", department=dept,
                                             contact=contact, client=contact.client)
    with time_machine.travel(at - timedelta(hours=1), tick=False), commit():
        ticket_services.add_reply(ticket=ticket, body_text="Fixed.", kind="staff", author=agent)
    with time_machine.travel(at, tick=False), commit():
        ticket_services.close_ticket(ticket=ticket, actor=agent if closer == "agent" else None)
    return Ticket.objects.get(pk=ticket.pk)


def sweep(at: datetime, commit) -> None:
    with time_machine.travel(at, tick=False), commit():
        engine.sweep_time_rules(now=at)


def survey_mails() -> list:
    return [m for m in mail.outbox if "How was your experience" in m.subject]


def link_token(message) -> str:
    return re.search(r"/survey/([^/\s]+)/", message.body).group(1)


def test_seeded_survey_and_rule_are_active():
    """The guide's survey is seeded (rating, improve, optional NPS) and the survey rule is on."""
    survey = Survey.objects.get(is_default=True)
    kinds = [(q.kind, q.required) for q in survey.questions.order_by("order")]
    assert kinds == [("rating", True), ("text", False), ("nps", False)]
    assert AutomationRule.objects.get(name=RULE).is_active


def test_survey_sent_one_hour_after_close_and_not_before(dept, agent, commit):
    """The rule sends nothing 59 minutes after closing and one email after 61 minutes, once."""
    ticket = closed_ticket(dept, agent, commit)
    mail.outbox.clear()
    sweep(T0 + timedelta(minutes=59), commit)
    assert not Invitation.objects.exists() and not survey_mails()
    sweep(T0 + timedelta(minutes=61), commit)
    invitation = Invitation.objects.get(ticket=ticket)
    assert invitation.sent_at == T0 + timedelta(minutes=61)
    sent = survey_mails()
    assert len(sent) == 1 and sent[0].to == [ticket.contact.email]
    assert "support@company.com" in sent[0].from_email
    sweep(T0 + timedelta(minutes=62), commit)
    assert len(survey_mails()) == 1


def test_cooldown_one_survey_per_customer(dept, agent, commit, settings):
    """A customer surveyed 3 days ago gets no second survey within the 7-day cool-down; after it, yes."""
    settings.HELPDESK_SURVEY_COOLDOWN_DAYS = 7
    contact = ContactFactory()
    first = closed_ticket(dept, agent, commit, contact=contact)
    sweep(T0 + timedelta(hours=2), commit)
    second = closed_ticket(dept, agent, commit, contact=contact, at=T0 + timedelta(days=3))
    sweep(T0 + timedelta(days=3, hours=2), commit)
    assert list(Invitation.objects.values_list("ticket_id", flat=True)) == [first.pk]
    third = closed_ticket(dept, agent, commit, contact=contact, at=T0 + timedelta(days=8))
    sweep(T0 + timedelta(days=8, hours=2), commit)
    assert set(Invitation.objects.values_list("ticket_id", flat=True)) == {first.pk, third.pk}
    assert second.pk not in set(Invitation.objects.values_list("ticket_id", flat=True))


def test_no_survey_for_spam_merged_or_auto_closed(dept, agent, commit):
    """Spam, merged and closed-by-automation-without-reply tickets get no survey."""
    spam = closed_ticket(dept, agent, commit)
    Ticket.objects.filter(pk=spam.pk).update(is_spam=True)
    assert services.invite_for_ticket(ticket=Ticket.objects.get(pk=spam.pk)).reason.startswith("spam")
    auto = closed_ticket(dept, agent, commit, at=T0 + timedelta(minutes=5), closer="automation")
    outcome = services.invite_for_ticket(ticket=Ticket.objects.get(pk=auto.pk))
    assert outcome.invitation is None and "auto-closed" in outcome.reason
    target = closed_ticket(dept, agent, commit, at=T0 + timedelta(minutes=10))
    source = closed_ticket(dept, agent, commit, at=T0 + timedelta(minutes=11))
    Ticket.objects.filter(pk=source.pk).update(merged_into=target)
    assert services.invite_for_ticket(ticket=Ticket.objects.get(pk=source.pk)).reason.startswith("merged")


@pytest.fixture
def invited(dept, agent, commit):
    ticket = closed_ticket(dept, agent, commit)
    mail.outbox.clear()
    sweep(T0 + timedelta(hours=1, minutes=1), commit)
    return Invitation.objects.get(ticket=ticket), link_token(survey_mails()[0])


def answers_for(invitation, rating="5", improve="Faster please", nps="9") -> dict:
    q = {q.kind: q.pk for q in invitation.survey.questions.all()}
    return {f"q{q['rating']}": rating, f"q{q['text']}": improve, f"q{q['nps']}": nps}


def test_get_records_nothing(client, invited):
    """Opening the link (as a mail scanner does) shows the form and records nothing."""
    invitation, token = invited
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        page = client.get(reverse("surveys:answer", args=[token]))
    assert page.status_code == 200 and b"What could we improve?" in page.content
    assert not Response.objects.exists()
    assert Invitation.objects.get(pk=invitation.pk).answered_at is None


def test_one_response_per_invitation_editable_until_expiry(client, invited):
    """A POST records the answers; a second POST edits the same response; after expiry, refused."""
    invitation, token = invited
    url = reverse("surveys:answer", args=[token])
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        done = client.post(url, answers_for(invitation, rating="2", nps="3"))
    assert done.status_code == 302 and done["Location"].endswith("/thanks/")
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        client.post(url, answers_for(invitation, rating="4", nps="10"))
    response = Response.objects.get()
    assert (response.rating, response.nps, response.comment) == (4, 10, "Faster please")
    assert response.answers.count() == 3
    with time_machine.travel(T0 + timedelta(days=29), tick=False):
        late = client.post(url, answers_for(invitation, rating="1"))
        assert late.status_code == 410
        assert client.get(url).status_code == 410
    assert Response.objects.get().rating == 4


def test_tampered_link_refused(client, invited):
    """A link whose token was changed, or an unsigned one, is refused and records nothing."""
    invitation, token = invited
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    raw = token.split(":")[0]
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        for bad in (tampered, raw, "x" + token):
            assert client.post(reverse("surveys:answer", args=[bad]), answers_for(invitation)).status_code == 404
    assert not Response.objects.exists()


def test_required_question_must_be_answered(client, invited):
    """Without the required rating the form comes back with a message."""
    invitation, token = invited
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        page = client.post(reverse("surveys:answer", args=[token]), answers_for(invitation, rating=""))
    assert page.status_code == 400 and not Response.objects.exists()


def respond(invitation, rating, nps=None, comment="", at=T0 + timedelta(hours=3)):
    q = {q.kind: q.pk for q in invitation.survey.questions.all()}
    answers = {q["rating"]: str(rating), q["text"]: comment, q["nps"]: "" if nps is None else str(nps)}
    return services.submit_response(invitation=invitation, answers=answers, now=at)


def test_results_figures(dept, agent, commit):
    """CSAT % counts 4-5 of 5; NPS = % 9-10 minus % 0-6; response rate over invitations sent."""
    survey = Survey.objects.get(is_default=True)
    tickets = [closed_ticket(dept, agent, commit, at=T0 + timedelta(minutes=i)) for i in range(5)]
    invitations = [services.invite_for_ticket(ticket=t, now=T0 + timedelta(hours=1)).invitation for t in tickets]
    assert all(invitations) and {i.survey_id for i in invitations} == {survey.pk}
    for invitation, (rating, nps) in zip(invitations, [(5, 10), (4, 9), (2, 3), (3, 7)], strict=False):
        respond(invitation, rating, nps)
    filters = ReportFilters(since=T0 - timedelta(days=1), until=T0 + timedelta(days=1))
    totals = queries.report_figures(filters)[None]
    assert (totals.sent, totals.responses, totals.rated, totals.good) == (5, 4, 4, 2)
    assert totals.response_rate == 80 and totals.average == 3.5 and totals.csat_pct == 50
    assert (totals.promoters, totals.passives, totals.detractors) == (2, 1, 1) and totals.nps == 25
    by_dept = queries.report_figures(filters, "department")
    assert by_dept[dept.pk].rated == 4
    assert [r["count"] for r in queries.rating_distribution(filters)] == [0, 1, 1, 1, 1]


def test_low_average_notifies_managers_and_low_nps_the_account_manager(dept, agent, commit):
    """An average under 3.5 notifies the managers; a client's NPS under 20 its account manager."""
    manager = ManagerFactory(email="boss@company.com")
    owner = StaffFactory(email="kam@company.com")
    contact = ContactFactory()
    contact.client.account_manager = owner
    contact.client.save()
    ticket = closed_ticket(dept, agent, commit, contact=contact)
    invitation = services.invite_for_ticket(ticket=ticket, now=T0 + timedelta(hours=1)).invitation
    with commit():
        response = respond(invitation, 2, nps=4)
    fired = services.check_alarms(response_id=response.pk, now=T0 + timedelta(hours=3))
    assert fired == ["average", "nps"]
    assert Notification.objects.filter(recipient=manager, text__startswith="CSAT alarm").count() == 1
    assert Notification.objects.filter(recipient=owner, text__startswith="NPS alarm").count() == 1


def test_results_page_for_managers_only(client, dept, agent, commit):
    """Managers read /staff/surveys/ with comments and their tickets; agents get 404."""
    ticket = closed_ticket(dept, agent, commit)
    invitation = services.invite_for_ticket(ticket=ticket, now=T0 + timedelta(hours=1)).invitation
    respond(invitation, 2, nps=5, comment="Too slow")
    client.force_login(agent)
    assert client.get("/staff/surveys/").status_code == 404
    client.force_login(ManagerFactory())
    page = client.get("/staff/surveys/", {"period": "custom", "start": "2026-11-01", "end": "2026-11-30"})
    assert page.status_code == 200
    assert b"Too slow" in page.content and f"#{ticket.pk}".encode() in page.content
    csv = client.get("/staff/surveys/", {"period": "custom", "start": "2026-11-01", "end": "2026-11-30",
                                         "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv") and b"General Support,1,1,100.0,2.00,0.0,-100.0" in csv.content


def test_question_kinds_choice():
    """A single-choice question accepts only one of its options."""
    survey = Survey.objects.create(name="Other", title="Other")
    question = Question.objects.create(survey=survey, kind="choice", text="Why?", choices="Speed\nQuality")
    assert services._clean_answer(question, "Speed") == (None, "Speed")
    with pytest.raises(services.SurveyError):
        services._clean_answer(question, "Price")


def test_an_answer_appears_on_the_clients_activity_tab_with_a_link(client, invited):
    """The customer answers: the client's Activity tab shows the rating and NPS by itself, linked
    to the ticket, and the type filter lists "Survey answer"; an edit is recorded as a change."""
    from crm.models import Activity

    invitation, token = invited
    ticket = invitation.ticket
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        client.post(reverse("surveys:answer", args=[token]), answers_for(invitation, rating="2", nps="3"))
    entry = Activity.objects.get(client=ticket.client, kind="survey")
    assert entry.description.startswith(f"Survey answered on ticket #{ticket.pk}: rating 2/5, NPS 3/10")
    assert "Faster please" in entry.description
    assert entry.link == reverse("staff:ticket_detail", args=[ticket.pk])
    agent = StaffFactory(departments=[ticket.department], email="reader@company.com")
    client.force_login(agent)
    page = client.get(reverse("staff:client_detail", args=[ticket.client_id]) + "?tab=activity&kind=survey")
    html = page.content.decode()
    assert "rating 2/5, NPS 3/10" in html and f'href="{entry.link}"' in html
    assert '<option value="survey" selected>Survey answer</option>' in html
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        services.submit_response(invitation=invitation, answers={
            int(k[1:]): v for k, v in answers_for(invitation, rating="5", nps="10").items()})
    assert Activity.objects.filter(client=ticket.client, kind="survey",
                                   description__startswith=f"Survey answer changed on ticket #{ticket.pk}").exists()
