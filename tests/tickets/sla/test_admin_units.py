"""Priority and SLA policy targets use one unit in the admin: hours (up to two decimals) in the
lists and the forms alike, stored in minutes as before."""

import re

import pytest

from tests.factories import ManagerFactory, priority
from tickets.models import SLAPolicy, SLATarget
from tickets.sla.units import format_hours, hours_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    client.force_login(ManagerFactory(email="manager@company.com", is_superuser=True))


def _input_value(html: str, name: str) -> str:
    return re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html).group(1)


@pytest.mark.parametrize(("minutes", "text"), [(60, "1"), (90, "1.5"), (30, "0.5"), (25, "0.42"), (1440, "24"),
                                                (6000, "100")])
def test_minutes_read_as_hours(minutes, text):
    assert hours_text(minutes) == text
    assert format_hours(minutes) == f"{text} h"


def test_priority_list_and_form_show_the_same_hours(client, manager):
    """The list column and the form field say the same number, in hours; 1.5 h saves 90 minutes."""
    urgent = priority("Urgent")
    urgent.first_response_minutes, urgent.resolution_minutes = 25, 90
    urgent.save()
    listing = client.get("/admin/tickets/priority/").content.decode()
    assert "first response target (hours)" in listing.lower()
    row = listing.split(">Urgent<")[1].split("</tr>")[0]
    assert "0.42 h" in row and "1.5 h" in row
    form = client.get(f"/admin/tickets/priority/{urgent.pk}/change/").content.decode()
    assert _input_value(form, "first_response_hours") == "0.42"
    assert _input_value(form, "resolution_hours") == "1.5"
    assert "first response target (hours)" in form.lower()

    # Saved unchanged, 0.42 h is still 25 minutes; 1.5 h is 90 minutes.
    response = client.post(f"/admin/tickets/priority/{urgent.pk}/change/", {
        "name": "Urgent", "level": urgent.level, "colour": urgent.colour, "first_response_hours": "0.42",
        "resolution_hours": "1.5", "is_default": ""})
    assert response.status_code == 302
    urgent.refresh_from_db()
    assert (urgent.first_response_minutes, urgent.resolution_minutes) == (25, 90)


def _policy_post(policy, rows):
    data = {"name": policy.name, "tier": policy.tier, "is_active": "on",
            "targets-TOTAL_FORMS": str(len(rows)), "targets-INITIAL_FORMS": str(policy.targets.count()),
            "targets-MIN_NUM_FORMS": "0", "targets-MAX_NUM_FORMS": "1000"}
    for i, (target_id, prio, first, resolution) in enumerate(rows):
        data.update({f"targets-{i}-id": target_id or "", f"targets-{i}-policy": policy.pk,
                     f"targets-{i}-priority": prio.pk, f"targets-{i}-first_response_hours": first,
                     f"targets-{i}-resolution_hours": resolution})
    return data


def test_sla_policy_targets_in_hours_in_list_and_form(client, manager):
    """An SLA policy's targets: hours in the list and in the inline form; typed hours are stored
    as the same minutes as before; a resolution shorter than the first response is refused."""
    policy = SLAPolicy.objects.create(name="Enterprise SLA", tier="enterprise")
    target = SLATarget.objects.create(policy=policy, priority=priority("Urgent"), first_response_minutes=30,
                                      resolution_minutes=240)
    listing = client.get("/admin/tickets/slapolicy/").content.decode()
    assert "Urgent 0.5 h / 4 h" in listing
    form = client.get(f"/admin/tickets/slapolicy/{policy.pk}/change/").content.decode()
    assert _input_value(form, "targets-0-first_response_hours") == "0.5"
    assert _input_value(form, "targets-0-resolution_hours") == "4"
    assert "first_response_minutes" not in form

    url = f"/admin/tickets/slapolicy/{policy.pk}/change/"
    response = client.post(url, _policy_post(policy, [(target.pk, priority("Urgent"), "1.5", "8"),
                                                      (None, priority("High"), "2", "24")]))
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = {t.priority.name: (t.first_response_minutes, t.resolution_minutes) for t in policy.targets.all()}
    assert stored == {"Urgent": (90, 480), "High": (120, 1440)}
    assert "Urgent 1.5 h / 8 h · High 2 h / 24 h" in client.get("/admin/tickets/slapolicy/").content.decode()

    response = client.post(url, _policy_post(policy, [(target.pk, priority("Urgent"), "5", "2")]))
    assert response.status_code == 200
    assert "The resolution target cannot be shorter than the first response." in response.content.decode()
    target.refresh_from_db()
    assert (target.first_response_minutes, target.resolution_minutes) == (90, 480)


def test_sla_policy_list_reads_targets_in_a_constant_number_of_queries(client, manager,
                                                                     django_assert_max_num_queries):
    """The policy list shows every policy's targets in hours without a query per policy."""
    for tier in ("basic", "pro", "enterprise"):
        policy = SLAPolicy.objects.create(name=f"{tier} SLA", tier=tier)
        for name in ("Urgent", "High", "Low"):
            SLATarget.objects.create(policy=policy, priority=priority(name), first_response_minutes=60,
                                     resolution_minutes=480)
    with django_assert_max_num_queries(6):
        html = client.get("/admin/tickets/slapolicy/").content.decode()
    assert html.count("Urgent 1 h / 8 h · High 1 h / 8 h · Low 1 h / 8 h") == 3
