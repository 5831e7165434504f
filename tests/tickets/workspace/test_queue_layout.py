"""The queue's look, per agent: filters folded into a line of chips, the result count ("50 of
1,234", capped), compact rows and the columns each agent chose."""

import re

import pytest

from tests.factories import ClientFactory, StaffFactory, TicketFactory, status
from tickets.models import QueuePreference
from tickets.workspace import queries

pytestmark = pytest.mark.django_db


def headers(html: str) -> list[str]:
    return re.findall(r'data-column="([a-z_]+)"', html)


def row_cells(html: str) -> list[str]:
    """The optional cells of the first row (their class names), in order."""
    row = html.split('class="queue-row', 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<td class="([a-z_-]+)"', row)[3:]


def test_density_and_columns_are_saved_per_agent_and_change_the_rows(client, agent, support):
    """Lina picks compact rows without the department and with "Updated": her rows are one line
    with those cells; a colleague still sees the comfortable default."""
    ticket = TicketFactory(department=support, client=ClientFactory(name="Acme Corp"))
    client.force_login(agent)
    before = client.get("/staff/tickets/").content.decode()
    assert 'class="table queue comfortable"' in before
    assert headers(before) == ["department", "status", "priority", "assignee", "last_reply", "sla"]
    assert f'<div class="sub">{ticket.requester_display} · ' in before  # requester and client under the subject

    columns = ["requester", "client", "status", "priority", "assignee", "sla", "updated"]
    r = client.post("/staff/tickets/layout/", {"density": "compact", "columns": columns,
                                               "next": "/staff/tickets/?view=all"})
    assert r.status_code == 302 and r.url == "/staff/tickets/?view=all"
    pref = QueuePreference.objects.get(user=agent)
    assert pref.density == "compact" and pref.columns == columns

    after = client.get("/staff/tickets/").content.decode()
    assert 'class="table queue compact"' in after
    assert headers(after) == columns
    assert row_cells(after) == columns
    assert '<div class="sub">' not in after and "Acme Corp</a></td>" in after
    assert "Customer Support" not in after.split('id="queue-rows"', 1)[1]  # no department cell

    colleague = StaffFactory(departments=[support])
    client.force_login(colleague)
    theirs = client.get("/staff/tickets/").content.decode()
    assert 'class="table queue comfortable"' in theirs and "department" in headers(theirs)


def test_saving_the_layout_keeps_the_default_view_and_ignores_unknown_values(agent_client, agent):
    """The layout and the saved default filter live side by side; nonsense falls back to defaults."""
    agent_client.post("/staff/tickets/save-view/", {"query": "assignee=me"})
    agent_client.post("/staff/tickets/layout/", {"density": "tiny", "columns": ["sla", "bogus", "status"]})
    pref = QueuePreference.objects.get(user=agent)
    assert pref.default_query == "assignee=me"
    assert pref.density == "comfortable" and pref.columns == ["status", "sla"]
    assert headers(agent_client.get("/staff/tickets/").content.decode()) == ["status", "sla"]


def test_result_count_says_how_many_match(agent_client, support, monkeypatch):
    """"3 of 3" for the morning view; other statuses and departments are not counted."""
    for _ in range(3):
        TicketFactory(department=support)
    TicketFactory(department=support, status=status("answered"))
    TicketFactory()  # another department
    html = agent_client.get("/staff/tickets/").content.decode()
    assert re.search(r'id="result-count"[^>]*>3 of 3<', html)
    html = agent_client.get("/staff/tickets/?status=closed").content.decode()
    assert re.search(r'id="result-count"[^>]*>0 of 0<', html)
    html = agent_client.get("/staff/tickets/?q=zzzz-nothing").content.decode()
    assert re.search(r'id="result-count"[^>]*>0 of 0<', html)


def test_result_count_is_capped_like_the_status_counts(agent_client, support, monkeypatch):
    """Past the cap the count stops and says "cap+" (one bounded query, whatever the table's size)."""
    monkeypatch.setattr(queries, "QUEUE_PAGE_SIZE", 5)
    monkeypatch.setattr(queries, "RESULT_COUNT_CAP", 10)
    for _ in range(8):
        TicketFactory(department=support)
    html = agent_client.get("/staff/tickets/").content.decode()
    assert re.search(r'id="result-count"[^>]*>5 of 8<', html)
    for _ in range(4):
        TicketFactory(department=support)
    html = agent_client.get("/staff/tickets/").content.decode()
    assert re.search(r'id="result-count"[^>]*>5 of 10\+<', html)
    # The 20-second refresh updates the count with the rows.
    partial = agent_client.get("/staff/tickets/", headers={"HX-Request": "true"}).content.decode()
    assert re.search(r'id="result-count"[^>]*hx-swap-oob="true">5 of 10\+<', partial)


def test_filters_fold_into_one_line_of_chips(agent_client, support):
    """The morning view shows its four statuses as chips, each with a link that drops it; the full
    form is folded (a closed <details>) until asked for."""
    html = agent_client.get("/staff/tickets/").content.decode()
    chips = re.findall(r'<li class="chip-active" data-chip="([a-z_]+)">', html)
    assert chips == ["status"] * 4
    assert '<details class="filter-more" id="filter-more">' in html  # closed
    assert "Filters (4)" in html
    assert 'href="?status=new&amp;status=in-progress&amp;status=on-hold"' in html  # "Escalated" dropped
    html = agent_client.get("/staff/tickets/?assignee=me&breached=1").content.decode()
    assert "Assignee: Me" in html and "SLA breached" in html
    assert 'href="?breached=1"' in html and 'href="?assignee=me"' in html
    html = agent_client.get("/staff/tickets/?view=all").content.decode()
    assert "No filters: every ticket you may see." in html
    # An ignored filter opens the form so the agent sees why.
    html = agent_client.get("/staff/tickets/?department=99999").content.decode()
    assert '<details class="filter-more" id="filter-more" open>' in html
