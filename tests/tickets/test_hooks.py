"""Ticket lifecycle hooks: after commit, once per ticket for plain listeners, once per batch for
batch listeners, and a failing batch never costs the other tickets their side effects."""

from collections import defaultdict

import pytest

from tests.factories import DepartmentFactory, StaffFactory, priority, status
from tickets import hooks
from tickets.models import Notification, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def listeners(monkeypatch):
    monkeypatch.setattr(hooks, "_listeners", defaultdict(list))


def test_emit_many_calls_batch_listeners_once_and_plain_listeners_per_ticket(
    listeners, django_capture_on_commit_callbacks
):
    """A batch listener sees the whole batch in one call, a plain one each ticket; both after commit."""
    plain: list[dict] = []
    batches: list[list[dict]] = []
    hooks.subscribe("ticket_created", lambda event, **payload: plain.append(payload))
    hooks.subscribe_batch("ticket_created", lambda event, payloads: batches.append(payloads))
    with django_capture_on_commit_callbacks(execute=True):
        hooks.emit_many("ticket_created", [{"ticket_id": 1}, {"ticket_id": 2}])
        hooks.emit("ticket_created", ticket_id=3)
        assert plain == [] and batches == []
    assert plain == [{"ticket_id": 1}, {"ticket_id": 2}, {"ticket_id": 3}]
    assert batches == [[{"ticket_id": 1}, {"ticket_id": 2}], [{"ticket_id": 3}]]


def test_a_failing_batch_is_undone_and_retried_per_ticket(listeners, django_capture_on_commit_callbacks):
    """When a batch listener fails on one ticket, its writes for the batch are undone and every
    other ticket still gets its side effect, once."""
    department = DepartmentFactory()
    tickets = [Ticket.objects.create(subject=f"T{i}", department=department, status=status("new"),
                                     priority=priority("Medium")) for i in range(3)]
    user = StaffFactory()

    def note_each(event, payloads):
        for payload in payloads:
            Notification.objects.create(recipient=user, kind="new_ticket", ticket_id=payload["ticket_id"], text="x")
            if payload["ticket_id"] == tickets[1].pk:
                raise RuntimeError("this ticket breaks the listener")

    hooks.subscribe_batch("ticket_created", note_each)
    with django_capture_on_commit_callbacks(execute=True):
        hooks.emit_many("ticket_created", [{"ticket_id": t.pk} for t in tickets])
    assert sorted(Notification.objects.values_list("ticket_id", flat=True)) == [tickets[0].pk, tickets[2].pk]


def test_muted_emits_nothing(listeners, django_capture_on_commit_callbacks):
    """Inside muted() (demo data, history imports) no listener runs."""
    seen: list = []
    hooks.subscribe_batch("ticket_created", lambda event, payloads: seen.append(payloads))
    with django_capture_on_commit_callbacks(execute=True), hooks.muted():
        hooks.emit_many("ticket_created", [{"ticket_id": 1}])
    assert seen == []
