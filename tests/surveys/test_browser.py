"""Surveys and reports in a real browser (Debian's Chromium through Playwright)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from surveys import services
from surveys.models import Response
from tests.factories import ContactFactory, DepartmentFactory, ManagerFactory, StaffFactory
from tests.tickets.reports.builder import build_month
from tickets import services as ticket_services
from tickets.models import Department, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }])


def test_customer_answers_the_survey_from_the_email_link(page, live_server, settings):
    """The invitation email's link opens the survey without login; the answers are recorded on submit."""
    settings.SITE_URL = live_server.url
    dept = DepartmentFactory(name="General Support", email="support@company.com")
    agent = StaffFactory(departments=[dept])
    contact = ContactFactory()
    ticket = ticket_services.open_ticket(subject="Printer jams", body_text="It jams.", department=dept,
                                         contact=contact, client=contact.client)
    ticket_services.add_reply(ticket=ticket, body_text="Fixed.", kind="staff", author=agent)
    ticket_services.close_ticket(ticket=ticket, actor=agent)
    mail.outbox.clear()
    later = timezone.now() + timedelta(hours=1)
    outcome = services.invite_for_ticket(ticket=Ticket.objects.get(pk=ticket.pk), now=later)
    assert outcome.reason == "invited"
    sent = [m for m in mail.outbox if "How was your experience" in m.subject]
    assert len(sent) == 1
    link = re.search(r"http\S+/survey/\S+/", sent[0].body).group(0)
    page.goto(link)
    assert not Response.objects.exists()  # opening the link records nothing
    page.locator("fieldset.question").nth(0).get_by_label("4").check()
    page.locator("fieldset.question").nth(1).locator("textarea").fill("Answer a little faster")
    page.locator("fieldset.question").nth(2).get_by_label("9", exact=True).check()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url("**/thanks/")
    assert "Thank you for your feedback" in page.inner_text("main")
    response = Response.objects.get()
    assert (response.rating, response.nps, response.comment) == (4, 9, "Answer a little faster")


def test_manager_reads_reports_changes_period_and_department_and_downloads_csv(page, live_server, tmp_path):
    """A manager opens the reports, picks November and a department, and downloads the department CSV."""
    month = build_month(count=60)
    _log_in(page, live_server, ManagerFactory(email="browser-manager@company.com"))
    page.goto(f"{live_server.url}/staff/reports/")
    assert page.locator("#kpis tr[data-kpi='frt']").is_visible()
    page.select_option("#id_period", "custom")
    page.fill("#id_start", "2026-11-01")
    page.fill("#id_end", "2026-11-30")
    department = Department.objects.get(pk=month.ids["departments"][0])
    page.select_option("#id_department", str(department.pk))
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(rf".*department={department.pk}.*"))
    want = month.by["department"][department.pk].created
    assert page.locator(f"#by-department tr[data-key='{department.pk}'] .n-created").inner_text() == str(want)
    with page.expect_download() as download_info:
        page.locator("a[data-csv='department']").click()
    path = Path(tmp_path) / "department.csv"
    download_info.value.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0].startswith("department,created,")
    assert lines[1].startswith(f"{department.name},{want},")
