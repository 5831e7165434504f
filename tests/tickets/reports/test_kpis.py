"""The KPI reports against a generated month with known answers (tests/tickets/reports/builder.py):
every figure of the queries, the page and the CSV matches what the builder recorded."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest
import time_machine

from tests.factories import ManagerFactory
from tests.tickets.reports.builder import SINCE, UNTIL, build_month
from tickets.reports import cards, kpis
from tickets.reports.filters import ReportFilters

pytestmark = pytest.mark.django_db

NOVEMBER = {"period": "custom", "start": "2026-11-01", "end": "2026-11-30"}
DIMENSIONS = ["department", "agent", "service", "priority", "channel", "tier"]


@pytest.fixture
def month():
    return build_month()


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory(email="reports-manager@company.com"))
    return client


def close(a: float | None, b: float | None, tolerance: float = 1.0) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= tolerance)


def assert_same(got: kpis.TicketFigures, want) -> None:
    assert (got.created, got.answered, got.closed, got.fcr, got.sla_total, got.sla_met) == (
        want.created, want.answered, want.closed, want.fcr, want.sla_total, want.sla_met)
    assert close(got.frt_seconds, want.frt) and close(got.resolution_seconds, want.resolution)


def test_ticket_figures_match_the_month_overall_and_per_dimension(month):
    """Totals and every breakdown (department, agent, service, priority, channel, tier) match."""
    filters = ReportFilters(since=SINCE, until=UNTIL)
    assert_same(kpis.ticket_figures(filters)[None], month.total)
    for dimension in DIMENSIONS:
        got = kpis.ticket_figures(filters, dimension)
        want = {k: v for k, v in month.by[dimension].items() if v.created or v.closed}
        assert set(got) == set(want), dimension
        for key, figures in want.items():
            assert_same(got[key], figures)


def test_filters_narrow_every_figure(month):
    """A department filter gives that department's figures; agent filter the agent's."""
    department = month.ids["departments"][1]
    agent = month.ids["agents"][0].pk
    assert_same(kpis.ticket_figures(ReportFilters(since=SINCE, until=UNTIL, department_id=department))[None],
                month.by["department"][department])
    assert_same(kpis.ticket_figures(ReportFilters(since=SINCE, until=UNTIL, agent_id=agent))[None],
                month.by["agent"][agent])


def test_cards_match_known_answers(month):
    """Deflection, tickets per agent per day, predefined usage, open Urgent, CSAT and NPS are exact."""
    period = cards.read_period(ReportFilters(since=SINCE, until=UNTIL))
    created = month.total.created
    assert period.activity.kb_views == month.kb_views == 90
    assert period.deflection_pct == pytest.approx(100 * 90 / (90 + created))
    assert period.activity.working_days == 21  # November 2026 has 21 weekdays
    assert period.activity.active_agents == month.active_agents
    assert period.per_agent_day == pytest.approx(created / month.active_agents / 21)
    assert (period.activity.staff_replies, period.activity.predefined_replies) == (month.staff_replies,
                                                                                   month.predefined)
    assert (period.activity.open_at_end, period.activity.open_urgent_at_end) == (
        month.open_at_end, month.open_urgent_at_end)
    s = period.surveys
    assert (s.sent, s.rated, s.nps_answers) == (month.total.sent, month.total.rated, month.total.nps_answers)
    assert s.average == pytest.approx(month.total.csat) and s.nps == pytest.approx(month.total.nps)


def shown(text: str, value: float | None, tolerance: float = 0.051) -> bool:
    """The page shows `value` (rounded for display), or nothing when there is none."""
    return text == "" if value is None else abs(float(text) - value) <= tolerance


def _section(html: str, dimension: str) -> str:
    return html.split(f'id="by-{dimension}"')[1].split("</section>")[0]


def _page_rows(html: str, dimension: str) -> dict[str, dict[str, str]]:
    rows = {}
    for key, body in re.findall(r'<tr data-key="([^"]*)">(.*?)</tr>', _section(html, dimension), re.S):
        cells = dict(re.findall(r'<td class="n-([a-z]+)[^"]*">([^<]*)', body))
        rows[key] = {k: v.strip() for k, v in cells.items()}
    return rows


def test_page_shows_the_known_figures(manager_client, month, django_assert_max_num_queries):
    """Every breakdown row on the page shows the expected counts, averages, FCR and SLA; bounded queries."""
    with time_machine.travel(datetime(2026, 12, 2, 9, tzinfo=UTC), tick=False), \
            django_assert_max_num_queries(70):
        page = manager_client.get("/staff/reports/", NOVEMBER)
    assert page.status_code == 200
    html = page.content.decode()
    for key in ("frt", "resolution", "fcr", "csat", "nps", "deflection", "per_agent_day", "sla", "open_urgent",
                "predefined"):
        assert f'data-kpi="{key}"' in html
    assert "KB views ÷ (KB views + tickets)" in html
    for dimension in DIMENSIONS:
        rows = _page_rows(html, dimension)
        for key, want in month.by[dimension].items():
            if not (want.created or want.closed):
                continue
            got = rows[str(key)]
            assert int(got["created"]) == want.created
            assert shown(got["frt"], want.frt, 1)
            assert shown(got["resolution"], want.resolution, 1)
            assert shown(got["fcr"], want.fcr_pct)
            assert shown(got["sla"].split(" ")[0], want.sla_pct)


def test_csv_of_every_table_matches(manager_client, month):
    """Each table's CSV carries the same figures as the builder recorded."""
    for dimension in DIMENSIONS:
        response = manager_client.get("/staff/reports/", {**NOVEMBER, "table": dimension, "format": "csv"})
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        by_label = {r[dimension]: r for r in rows}
        assert sum(int(r["created"]) for r in rows) == month.total.created
        assert sum(int(r["fcr"]) for r in rows) == month.total.fcr
        assert sum(int(r["sla_met"]) for r in rows) == month.total.sla_met
        assert sum(int(r["survey_ratings"]) for r in rows) == month.total.rated
        assert len(by_label) == len([v for v in month.by[dimension].values() if v.created or v.closed or v.sent])
    kpis_csv = manager_client.get("/staff/reports/", {**NOVEMBER, "table": "kpis", "format": "csv"}).content.decode()
    assert len(list(csv.DictReader(io.StringIO(kpis_csv)))) == 10


def test_agent_sees_only_their_own_figures(client, month):
    """An agent's page is narrowed to their tickets, whatever agent they ask for."""
    me, other = month.ids["agents"][0], month.ids["agents"][1]
    client.force_login(me)
    html = client.get("/staff/reports/", {**NOVEMBER, "agent": other.pk}).content.decode()
    rows = _page_rows(html, "agent")
    assert list(rows) == [str(me.pk)]
    assert int(rows[str(me.pk)]["created"]) == month.by["agent"][me.pk].created
    assert 'id="my-day"' in html


def test_my_day_panel(client, month):
    """The agent's panel shows this week's figures and their open Urgent tickets."""
    me = month.ids["agents"][0]
    client.force_login(me)
    with time_machine.travel(datetime(2026, 11, 30, 18, tzinfo=UTC), tick=False):
        html = client.get("/staff/reports/my-day/").content.decode()
    assert 'data-kpi="my-frt"' in html and 'data-kpi="my-urgent"' in html


def test_my_day_counts_every_open_urgent_ticket(client):
    """With more open Urgent tickets than the panel lists (the 20 oldest), the figure is the
    real count; closed Urgent and open lower-priority tickets are not in it."""
    from django.utils import timezone

    from tests.factories import StaffFactory, TicketFactory, priority

    me = StaffFactory()
    start = timezone.now() - timezone.timedelta(days=3)
    for n in range(23):
        TicketFactory(assignee=me, priority=priority("Urgent"), subject=f"Urgent number {n:02d}",
                      created_at=start + timezone.timedelta(minutes=n))
    TicketFactory(assignee=me, priority=priority("Urgent"), closed_at=timezone.now())
    TicketFactory(assignee=me, priority=priority("Medium"))
    client.force_login(me)
    html = client.get("/staff/reports/my-day/").content.decode()
    panel = html.split('data-kpi="my-urgent"')[1]
    assert re.search(r'<p class="kpi-value">(\d+)</p>', panel).group(1) == "23"
    listed = re.findall(r"Urgent number (\d+)", html)
    assert listed == [f"{n:02d}" for n in range(20)]  # the 20 oldest, oldest first


def test_portal_deflections_are_counted_per_form_session():
    """Two articles opened in one form never submitted count once; a submitted form is not deflected."""
    from tests.factories import ContactFactory, TicketFactory
    from tickets.models import Deflection

    contact = ContactFactory()
    at = datetime(2026, 11, 10, tzinfo=UTC)
    ticket = TicketFactory(contact=contact)
    for session, ticket_or_none in (("a", None), ("a", None), ("b", ticket)):
        Deflection.objects.create(contact=contact, form_session=session, article_url="/kb/x/", opened_at=at,
                                  ticket=ticket_or_none)
    activity = kpis.activity(ReportFilters(since=SINCE, until=UNTIL))
    assert (activity.portal_sessions, activity.portal_deflected) == (2, 1)
