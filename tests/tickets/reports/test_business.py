"""Business time in SQL (tickets/reports/business.py) equals the SLA engine's
business_seconds_between to the microsecond: random moments over a month with a clock change,
a holiday, a split working day, a department on 24/7 and one on the default calendar."""

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection

from tests.factories import DepartmentFactory
from tickets.models import BusinessCalendar, BusinessHours, Holiday
from tickets.reports.business import clock
from tickets.sla.calendar import business_seconds_between
from tickets.sla.policy import schedule_for

pytestmark = pytest.mark.django_db


def _calendar(name: str, **kwargs) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(name=name, **kwargs)
    for weekday in range(5):
        BusinessHours.objects.create(calendar=calendar, weekday=weekday, opens=time(9), closes=time(12, 30))
        BusinessHours.objects.create(calendar=calendar, weekday=weekday, opens=time(13, 15), closes=time(17))
    return calendar


def test_sql_business_time_equals_the_sla_engine():
    office = _calendar("Bucharest office", time_zone="Europe/Bucharest")
    Holiday.objects.create(calendar=office, date=date(2026, 10, 28), name="Holiday")
    _calendar("Default NY", time_zone="America/New_York", is_default=True)
    always = BusinessCalendar.objects.create(name="No hours")  # a calendar without hours: 24/7
    bucharest = DepartmentFactory(name="Bucharest", email="buc@company.com", business_calendar=office)
    default = DepartmentFactory(name="Defaulted", email="def@company.com")
    open_all_day = DepartmentFactory(name="24/7", email="all@company.com", business_calendar=always)
    rng = random.Random(7)
    start = datetime(2026, 10, 15, tzinfo=UTC)  # clocks go back on 25 October in both zones' season
    pairs = []
    for department in (bucharest, default, open_all_day, None):
        for _ in range(60):
            a = start + timedelta(seconds=rng.randrange(0, 30 * 86400), microseconds=rng.randrange(10**6))
            b = a + timedelta(seconds=rng.randrange(0, 9 * 86400))
            pairs.append((getattr(department, "pk", None), a, b))
    business = clock(first=date(2026, 10, 1), last=date(2026, 12, 1))
    values = ", ".join(["(%s::int, %s::timestamptz, %s::timestamptz)"] * len(pairs))
    sql = (f"WITH {business.cte()}, p(department_id, a, b) AS (VALUES {values}) "
           f"SELECT {business.between('p.a', 'p.b').replace('t.department_id', 'p.department_id')} FROM p CROSS JOIN k")
    params = business.params()
    for n, pair in enumerate(pairs):  # positional params cannot mix with named ones: name them
        sql = sql.replace("(%s::int, %s::timestamptz, %s::timestamptz)",
                          f"(%(d{n})s::int, %(a{n})s::timestamptz, %(b{n})s::timestamptz)", 1)
        params |= {f"d{n}": pair[0], f"a{n}": pair[1], f"b{n}": pair[2]}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        got = [row[0] for row in cursor.fetchall()]
    for (department, a, b), seconds in zip(pairs, got, strict=True):
        want = business_seconds_between(a, b, schedule_for(department))
        assert seconds.total_seconds() == pytest.approx(want, abs=1e-6), (department, a, b)
    assert any(s.total_seconds() != (b - a).total_seconds() for (_d, a, b), s in zip(pairs, got, strict=True))
