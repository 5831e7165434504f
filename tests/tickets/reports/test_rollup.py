"""The reports' daily rollup (tickets/reports/rollup.py) against the generated month
(tests/tickets/reports/builder.py): read through the rollup, every figure equals the live
computation and the known answers; a change to an old ticket shows after the next refresh; and
business-hours durations follow the SLA calendar."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.management import call_command

from tests.factories import DepartmentFactory, TicketFactory
from tests.tickets.reports import test_kpis
from tests.tickets.reports.builder import SINCE, UNTIL, build_month
from tests.tickets.reports.test_kpis import DIMENSIONS, assert_same, manager_client  # noqa: F401 (fixture)
from tickets.models import BusinessCalendar, BusinessHours, ReportDay, ReportRollupState, TicketEvent
from tickets.reports import kpis, rollup
from tickets.reports.filters import ReportFilters
from tickets.services import changes
from tickets.sla.calendar import business_seconds_between
from tickets.sla.policy import schedule_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)


def live(read):
    """Run `read` with the rollup switched off (everything computed from the tickets and events)."""
    through = ReportRollupState.objects.get(pk=1).built_through
    ReportRollupState.objects.filter(pk=1).update(built_through=None)
    try:
        return read()
    finally:
        ReportRollupState.objects.filter(pk=1).update(built_through=through)


def everything(filters: ReportFilters) -> tuple:
    """Every ticket figure, breakdown and activity figure the page shows, comparable with ==."""
    figures = kpis.figure_set(filters)
    activity = kpis.activity(filters)
    reusing = kpis.activity(filters, figures)  # the open count from the figures' live rows
    assert (reusing.open_at_end, reusing.open_urgent_at_end) == (activity.open_at_end, activity.open_urgent_at_end)
    return (figures.total, {d: figures.by[d] for d in DIMENSIONS},
            (activity.staff_replies, activity.predefined_replies, activity.active_agents, activity.open_at_end,
             activity.open_urgent_at_end))


@pytest.fixture
def month():
    expected = build_month()
    result = rollup.refresh(now=NOW)
    assert result["full"] and ReportDay.objects.exists()
    return expected


def test_rollup_path_equals_live_path_and_the_known_answers(month):
    """November read from the rollup: the known answers, and exactly what the live path computes."""
    filters = ReportFilters(since=SINCE, until=UNTIL)
    body, windows = rollup.plan(filters)
    assert body == (SINCE.date(), UNTIL.date()) and windows == []  # all of November from the rollup
    assert_same(kpis.ticket_figures(filters)[None], month.total)
    for dimension in DIMENSIONS:
        for key, figures in month.by[dimension].items():
            if figures.created or figures.closed:
                assert_same(kpis.ticket_figures(filters, dimension)[key], figures)
    activity = kpis.activity(filters)
    assert (activity.staff_replies, activity.predefined_replies, activity.active_agents) == (
        month.staff_replies, month.predefined, month.active_agents)
    assert (activity.open_at_end, activity.open_urgent_at_end) == (month.open_at_end, month.open_urgent_at_end)
    assert everything(filters) == live(lambda: everything(filters))


def test_the_known_answer_tests_pass_unchanged_through_the_rollup(month, manager_client, client,  # noqa: F811
                                                                   django_assert_max_num_queries):
    """test_kpis.py's tests, run as they are with November in the rollup (the page, the CSV, the
    cards, every breakdown and filter, the agent's view)."""
    assert rollup.plan(ReportFilters(since=SINCE, until=UNTIL))[0] == (SINCE.date(), UNTIL.date())
    test_kpis.test_ticket_figures_match_the_month_overall_and_per_dimension(month)
    test_kpis.test_filters_narrow_every_figure(month)
    test_kpis.test_cards_match_known_answers(month)
    test_kpis.test_page_shows_the_known_figures(manager_client, month, django_assert_max_num_queries)
    test_kpis.test_csv_of_every_table_matches(manager_client, month)
    test_kpis.test_agent_sees_only_their_own_figures(client, month)


@pytest.mark.parametrize("edges", [
    (datetime(2026, 11, 3, 10, 30, tzinfo=UTC), datetime(2026, 11, 27, 15, tzinfo=UTC)),  # ragged both ends
    (datetime(2026, 10, 12, 7, tzinfo=UTC), NOW),  # up to now: today read live
    (datetime(2026, 11, 5, 1, tzinfo=UTC), datetime(2026, 11, 5, 23, tzinfo=UTC)),  # inside one day
])
def test_ragged_periods_and_filters_equal_the_live_path(month, edges):
    """Partial first and last days are read live and added to the whole days of the rollup."""
    since, until = edges
    department = month.ids["departments"][1]
    for filters in (ReportFilters(since=since, until=until),
                    ReportFilters(since=since, until=until, department_id=department),
                    ReportFilters(since=since, until=until, department_id=department, tier="enterprise"),
                    ReportFilters(since=since, until=until, agent_id=month.ids["agents"][2].pk)):
        assert everything(filters) == live(lambda filters=filters: everything(filters))
    # The rollup answers the unfiltered, department-filtered and one-dimension-filtered periods;
    # two dimensions at once read live.
    for filters in (ReportFilters(since=since, until=until, department_id=department),
                    ReportFilters(since=since, until=until, tier="enterprise")):
        assert rollup.plan(filters)[0] or until - since < timedelta(days=2)
    assert rollup.plan(ReportFilters(since=since, until=until, tier="enterprise", channel="email"))[0] is None


def _one_filter_each(month) -> list[dict]:
    """A value of every filter the page offers (the Urgent priority and another), and a department with each."""
    service = next(k for k in month.by["service"] if k is not None)
    other_priority = next(k for k in month.by["priority"] if k not in (None, month.ids["urgent"]))
    department = month.ids["departments"][1]
    single = [{"agent_id": month.ids["agents"][0].pk}, {"service_id": service},
              {"priority_id": month.ids["urgent"]}, {"priority_id": other_priority}, {"channel": "email"},
              {"tier": "enterprise"}, {"tier": "basic"}]
    return single + [{**one, "department_id": department} for one in single]


@pytest.mark.parametrize("edges", [
    (SINCE, UNTIL),  # whole days only
    (datetime(2026, 11, 3, 10, 30, tzinfo=UTC), datetime(2026, 11, 27, 15, tzinfo=UTC)),  # ragged both ends
    (datetime(2026, 10, 12, 7, tzinfo=UTC), NOW),  # up to now: today read live
])
def test_each_filter_is_read_from_the_rollup_and_equals_the_live_path(month, edges):
    """Agent, service, priority, channel or tier (with or without a department): the whole days
    come from the rollup (its rows of that dimension and the pair rows) and every figure, every
    breakdown table, the replies and the open count equal the live computation; for November
    the totals are the known answers of that group."""
    since, until = edges
    names = {"agent_id": "agent", "service_id": "service", "priority_id": "priority", "channel": "channel",
             "tier": "tier"}
    for narrowing in _one_filter_each(month):
        filters = ReportFilters(since=since, until=until, **narrowing)
        assert rollup.plan(filters)[0] is not None, narrowing
        read = everything(filters)
        assert read == live(lambda filters=filters: everything(filters)), narrowing
        if (since, until) == (SINCE, UNTIL) and "department_id" not in narrowing:
            (field, value), = narrowing.items()
            key = value.pk if hasattr(value, "pk") else value
            assert_same(read[0], month.by[names[field]][key])
            assert set(read[1][names[field]]) == {key}


def test_pairs_missing_after_an_upgrade_read_live_until_filled(month):
    """A rollup built before the pair rows existed: filtered periods read live (still right); the
    next refresh, or `rebuild_report_rollup --pairs` alone, fills them and the rollup answers."""
    from tickets.models import ReportPairDay, ReportReplyPairDay

    agent = month.ids["agents"][1].pk
    filters = ReportFilters(since=SINCE, until=UNTIL, agent_id=agent)
    expected = everything(filters)
    rows = sorted(ReportPairDay.objects.values_list("day", "dimension", "value", "by_dimension", "by_value",
                                                    "created", "closed", "fcr"), key=str)
    replies = sorted(ReportReplyPairDay.objects.values_list("day", "dimension", "value", "actor_id", "replies",
                                                            "predefined"), key=str)
    november = [r for r in replies if SINCE.date() <= r[0] < UNTIL.date()]
    for dimension in ("agent", "service", "priority", "channel", "tier"):  # each reply once per dimension
        assert sum(r[4] for r in november if r[1] == dimension) == month.staff_replies
    day_rows = sorted(ReportDay.objects.values_list("day", "dimension", "value", "created"), key=str)
    for fill in (lambda: call_command("rebuild_report_rollup", "--pairs"),
                 lambda: rollup.refresh(days=1, now=NOW + timedelta(minutes=1))):
        ReportPairDay.objects.all().delete()
        ReportReplyPairDay.objects.all().delete()
        ReportRollupState.objects.filter(pk=1).update(pairs_through=None)
        assert rollup.plan(filters)[0] is None
        assert rollup.plan(ReportFilters(since=SINCE, until=UNTIL))[0] is not None  # the rest still answers
        assert everything(filters) == expected
        fill()
        assert rollup.plan(filters)[0] is not None
        assert everything(filters) == expected
        assert sorted(ReportPairDay.objects.values_list("day", "dimension", "value", "by_dimension", "by_value",
                                                        "created", "closed", "fcr"), key=str) == rows
        assert sorted(ReportDay.objects.values_list("day", "dimension", "value", "created"), key=str) == day_rows
        assert sorted(ReportReplyPairDay.objects.values_list("day", "dimension", "value", "actor_id", "replies",
                                                             "predefined"), key=str) == replies


def test_a_change_to_an_old_ticket_shows_after_the_refresh(month):
    """Reopening and reassigning a ticket closed weeks ago: the rollup keeps the old figures until
    the next refresh, which recomputes that ticket's days (not only the last N days)."""
    from tickets.models import Ticket

    filters = ReportFilters(since=SINCE, until=datetime(2026, 11, 20, tzinfo=UTC))
    ticket = (Ticket.objects.filter(closed_at__gte=SINCE, closed_at__lt=filters.until, created_at__gte=SINCE)
              .exclude(events__kind__in=[TicketEvent.Kind.ESCALATED, TicketEvent.Kind.REOPENED]).first())
    other_agent = next(a for a in month.ids["agents"] if a.pk != ticket.assignee_id)
    before_agent = ticket.assignee_id
    before = kpis.figure_set(filters)
    changes.assign(ticket=ticket, assignee=other_agent, created_at=NOW + timedelta(minutes=5))
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.REOPENED, created_at=NOW + timedelta(minutes=6))
    assert kpis.figure_set(filters).total == before.total  # not refreshed yet: the rollup's figures
    changed = live(lambda: everything(filters))
    assert changed[0].fcr == before.total.fcr - 1
    result = rollup.refresh(days=1, now=NOW + timedelta(minutes=10))
    assert not result["full"] and result["days"] < 10
    assert everything(filters) == changed
    assert kpis.figure_set(filters).by["agent"][other_agent.pk].created == (
        before.by["agent"].get(other_agent.pk, kpis.TicketFigures()).created + 1)
    for narrowed in (ReportFilters(since=filters.since, until=filters.until, agent_id=other_agent.pk),
                     ReportFilters(since=filters.since, until=filters.until, agent_id=before_agent)):
        assert rollup.plan(narrowed)[0] is not None
        assert everything(narrowed) == live(lambda narrowed=narrowed: everything(narrowed))


def test_a_breach_flagged_by_the_sla_sweep_shows_after_the_refresh(month):
    """The sweep sets first_response_breached in bulk, with no event and no updated_at: the
    refresh still finds the ticket by its deadline and recomputes its (old) created day."""
    from tickets.models import Ticket

    filters = ReportFilters(since=SINCE, until=UNTIL)
    ticket = Ticket.objects.filter(created_at__gte=SINCE, created_at__lt=datetime(2026, 11, 20, tzinfo=UTC),
                                   first_response_at__isnull=True, first_response_breached=False).first()
    before = kpis.figure_set(filters).total
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due_at=NOW + timedelta(minutes=3))
    Ticket.objects.filter(pk=ticket.pk).update(first_response_breached=True)  # what mark_breaches does
    assert kpis.figure_set(filters).total.sla_total == before.sla_total
    rollup.refresh(days=1, now=NOW + timedelta(minutes=10))
    after = kpis.figure_set(filters).total
    assert (after.sla_total, after.sla_met) == (before.sla_total + 1, before.sla_met)
    assert everything(filters) == live(lambda: everything(filters))


def test_refresh_is_idempotent_and_the_command_rebuilds(month):
    """Refreshing again and rebuilding from scratch leave exactly the same rows."""
    from tickets.models import ReportPairDay

    columns = ("day", "department_id", "dimension", "value", "created", "closed", "fcr", "frt_sum")
    pair_columns = (*columns, "by_dimension", "by_value")
    rows = sorted(ReportDay.objects.values_list(*columns), key=str)
    pairs = sorted(ReportPairDay.objects.values_list(*pair_columns), key=str)
    assert pairs
    rollup.refresh(days=40, now=NOW)
    call_command("rebuild_report_rollup")
    assert sorted(ReportDay.objects.values_list(*columns), key=str) == rows
    assert sorted(ReportPairDay.objects.values_list(*pair_columns), key=str) == pairs


def _office(department) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(name="Office hours", time_zone="Europe/Bucharest")
    for weekday in range(5):
        BusinessHours.objects.create(calendar=calendar, weekday=weekday, opens=time(9), closes=time(17))
    department.business_calendar = calendar
    department.save()
    return calendar


def test_business_hours_over_a_night_and_a_weekend():
    """Mon-Fri 9-17 (Bucharest, UTC+2 in November): created Friday 16:00 local, answered Monday
    10:00, closed Tuesday 9:30. Wall clock 66 h and 89.5 h; business hours 2 h and 9.5 h, the same
    as the SLA engine's business_seconds_between; rollup and live paths agree."""
    department = DepartmentFactory(name="Business hours dept", email="bh@company.com")
    _office(department)
    created = datetime(2026, 11, 13, 14, tzinfo=UTC)  # Friday 16:00 in Bucharest
    answered, closed = created + timedelta(hours=66), created + timedelta(hours=89, minutes=30)
    TicketFactory(department=department, created_at=created, first_response_at=answered, closed_at=closed)
    assert business_seconds_between(created, answered, schedule_for(department)) == 2 * 3600
    filters = ReportFilters(since=SINCE, until=UNTIL, department_id=department.pk)

    def figures() -> kpis.TicketFigures:
        return kpis.figure_set(filters).total

    now_live = figures()
    assert (now_live.frt_seconds, now_live.frt_business_seconds) == (66 * 3600, 2 * 3600)
    assert (now_live.resolution_seconds, now_live.resolution_business_seconds) == (89.5 * 3600, 9.5 * 3600)
    rollup.refresh(now=NOW)
    assert rollup.plan(filters)[0] is not None
    assert figures() == now_live


def test_business_hours_are_shown_beside_the_wall_clock(client):
    """The KPI table and the department breakdown (page and CSV) show both figures."""
    import csv
    import io

    from tests.factories import ManagerFactory

    department = DepartmentFactory(name="Night shift dept", email="night@company.com")
    _office(department)
    created = datetime(2026, 11, 13, 14, tzinfo=UTC)
    TicketFactory(department=department, created_at=created, first_response_at=created + timedelta(hours=66),
                  closed_at=created + timedelta(hours=89, minutes=30))
    client.force_login(ManagerFactory(email="bh-manager@company.com"))
    query = {"period": "custom", "start": "2026-11-01", "end": "2026-11-30", "department": department.pk}
    html = client.get("/staff/reports/", query).content.decode()
    assert 'data-business="frt">business hours: 2 h 00 min' in html
    assert 'data-business="resolution">business hours: 9 h 30 min' in html
    row = html.split(f'<tr data-key="{department.pk}">')[1].split("</tr>")[0]
    assert '<td class="n-frt">237600</td>' in row and '<td class="n-frtbusiness">7200</td>' in row
    assert '<td class="n-resolution">322200</td>' in row and '<td class="n-resbusiness">34200</td>' in row
    rows = list(csv.DictReader(io.StringIO(client.get("/staff/reports/", {
        **query, "table": "department", "format": "csv"}).content.decode())))
    assert (rows[0]["first_response_avg_hours"], rows[0]["first_response_avg_business_hours"]) == ("66.00", "2.00")
    assert (rows[0]["resolution_avg_hours"], rows[0]["resolution_avg_business_hours"]) == ("89.50", "9.50")
