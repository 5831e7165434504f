"""Run automation rules: find what triggers them, claim a run per (rule, ticket, occurrence),
execute the claimed runs.

- Event triggers (created, replies, status and priority changes) come from tickets.hooks after
  commit; each rule's conditions are checked with one query and a run is claimed.
- SLA triggers come in bulk from the SLA sweep (`sla_breached` with a list of ticket ids).
- Time triggers (no staff reply for X hours, no customer reply for X days in a status, closed
  + delay) are found by one indexed query per rule, every minute from beat.
- Claiming is an INSERT ... ON CONFLICT DO NOTHING RETURNING on the unique (rule, ticket,
  occurrence): overlapping sweeps, retried tasks and repeated events act once per occurrence.
- A time rule whose close a close guard refuses (a delivery return on its way) is held, not
  dropped: when the guard lifts (the return is received or cancelled, announced as the hook
  `close_guard_lifted`, and checked again by every sweep) the held run runs once more, at once,
  re-checking that the ticket is still due. The sweep never claims the same occurrence twice, so
  the ticket closes exactly once, when it may.
- Runs execute in Celery tasks, in rule order. While a rule's actions run, tickets.hooks marks
  the events they cause with the chain of rules that caused them; a rule already in the chain
  is not triggered again, so rules never loop, not even two rules that undo each other.
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import current_app
from django.db import connection, transaction
from django.db.models import DateTimeField, Exists, F, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from tickets import hooks
from tickets.automation.conditions import filter_tickets
from tickets.automation.registry import ActionContext, get_action
from tickets.batch_memo import memoized
from tickets.exceptions import CloseRefused
from tickets.models import AutomationRule, AutomationRun, Ticket, TicketEvent
from tickets.models.automation import TIME_TRIGGERS, Trigger
from tickets.services.close_guards import close_blockers

logger = logging.getLogger(__name__)

MAX_CHAIN = 8  # a change caused through more rules than this is not automated further
RUNS_PER_TASK = 50
SWEEP_LIMIT = 20_000  # tickets claimed per rule per sweep; the rest come next minute
CLOSED_LOOKBACK = timedelta(days=1)  # a "closed + delay" rule looks this far back

EVENT_TRIGGERS = {
    "ticket_created": Trigger.TICKET_CREATED,
    "customer_replied": Trigger.CUSTOMER_REPLIED,
    "staff_replied": Trigger.STAFF_REPLIED,
    "status_changed": Trigger.STATUS_CHANGED,
    "priority_changed": Trigger.PRIORITY_CHANGED,
}
EVENT_KINDS = {
    "status_changed": [TicketEvent.Kind.STATUS, TicketEvent.Kind.CLOSED, TicketEvent.Kind.REOPENED],
    "priority_changed": [TicketEvent.Kind.PRIORITY],
}
BREACH_TRIGGERS = {"first_response": Trigger.FIRST_RESPONSE_BREACHED, "resolution": Trigger.RESOLUTION_BREACHED}


def active_rules(trigger: str) -> list[AutomationRule]:
    return memoized(
        ("automation-rules", trigger),
        lambda: list(AutomationRule.objects.filter(is_active=True, trigger=trigger).order_by("order", "id")),
    )


# --- claiming and dispatching --------------------------------------------------------------


def claim(rule: AutomationRule, items: Iterable[tuple[int, str]], *, now: datetime) -> list[int]:
    """Record a pending run for each (ticket id, occurrence) not yet run; return the new run ids."""
    return [run_id for run_id, _ticket_id, _occurrence in claim_items(rule, items, now=now)]


def claim_items(rule: AutomationRule, items: Iterable[tuple[int, str]], *, now: datetime) -> list[tuple[int, int, str]]:
    """Like claim(), returning (run id, ticket id, occurrence) for each run that was new."""
    items = list(items)
    if not items:
        return []
    table = AutomationRun._meta.db_table
    created = connection.ops.adapt_datetimefield_value(now)
    new: list[tuple[int, int, str]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Two array parameters per batch instead of thousands of scalars.
            for start in range(0, len(items), 10_000):
                chunk = items[start:start + 10_000]
                cursor.execute(
                    f"INSERT INTO {table} (rule_id, ticket_id, occurrence, state, result, error, created_at) "
                    f"SELECT %s, t.ticket_id, t.occurrence, %s, '[]'::jsonb, '', %s "
                    f"FROM unnest(%s::bigint[], %s::text[]) AS t(ticket_id, occurrence) "
                    f"ON CONFLICT (rule_id, ticket_id, occurrence) DO NOTHING RETURNING id, ticket_id, occurrence",
                    [rule.pk, AutomationRun.State.PENDING, created,
                     [i for i, _ in chunk], [o[:80] for _, o in chunk]],
                )
                new += [tuple(row) for row in cursor.fetchall()]
            return new
        for start in range(0, len(items), 500):
            chunk = items[start:start + 500]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for ticket_id, occurrence in chunk:
                params += [rule.pk, ticket_id, occurrence[:80], AutomationRun.State.PENDING, "[]", "", created]
            cursor.execute(
                f"INSERT INTO {table} (rule_id, ticket_id, occurrence, state, result, error, created_at) "
                f"VALUES {values} ON CONFLICT (rule_id, ticket_id, occurrence) DO NOTHING "
                f"RETURNING id, ticket_id, occurrence",
                params,
            )
            new += [tuple(row) for row in cursor.fetchall()]
    return new


def _send_to_worker(run_ids: list[int], chain: list[int]) -> None:
    current_app.tasks["tickets.execute_automation_runs"].delay(run_ids, chain)


# Replaced in the benchmark to time the sweep without a broker.
send_runs: Callable[[list[int], list[int]], None] = _send_to_worker


def dispatch(run_ids: Sequence[int], chain: Iterable[int] = ()) -> None:
    """Queue the claimed runs for execution after the current transaction commits."""
    run_ids = list(run_ids)
    chain_list = sorted(chain)
    for start in range(0, len(run_ids), RUNS_PER_TASK):
        chunk = run_ids[start:start + RUNS_PER_TASK]
        transaction.on_commit(lambda chunk=chunk: send_runs(chunk, chain_list))


# --- event triggers ------------------------------------------------------------------------


def _occurrences(event: str, payloads: Sequence[dict[str, Any]]) -> list[str]:
    """Return the occurrence of each payload: what makes two announcements the same event."""
    kinds = EVENT_KINDS.get(event)
    latest: dict[int, int] = {}
    if kinds and any(not p.get("message_id") for p in payloads):
        latest = dict(
            TicketEvent.objects.filter(ticket_id__in={p["ticket_id"] for p in payloads}, kind__in=kinds)
            .order_by().values("ticket_id").annotate(last=Max("id")).values_list("ticket_id", "last")
        )
    occurrences: list[str] = []
    for payload in payloads:
        if event == "ticket_created":
            occurrences.append("created")
        elif payload.get("message_id"):
            occurrences.append(f"message:{payload['message_id']}")
        elif kinds:
            occurrences.append(f"event:{latest.get(payload['ticket_id'])}")
        else:
            occurrences.append(f"{event}:{timezone.now():%Y%m%d%H%M%S%f}")
    return [o[:80] for o in occurrences]


def on_ticket_events(*, event: str, payloads: Sequence[dict[str, Any]], **_kwargs: Any) -> None:
    """A hooks batch listener: claim and queue a run of every matching rule for each announcement.

    One condition query and one claiming insert per rule for the whole batch.
    """
    trigger = EVENT_TRIGGERS.get(event)
    if trigger is None:
        return
    rules = active_rules(trigger)
    chain = hooks.source_rules()
    if not rules or len(chain) >= MAX_CHAIN:
        return
    now = timezone.now()
    all_items = list(zip([p["ticket_id"] for p in payloads], _occurrences(event, payloads), strict=True))
    items = list(dict.fromkeys(all_items))  # the same announcement twice is one occurrence
    responding: dict[tuple[int, str], set[int]] = {item: set() for item in items}
    runs: dict[tuple[int, str], list[int]] = {item: [] for item in items}
    for rule in rules:
        if rule.pk in chain:
            continue
        wanted = list(dict.fromkeys(
            item for item, payload in zip(all_items, payloads, strict=True)
            if not (trigger == Trigger.STATUS_CHANGED and rule.trigger_status_id
                    and payload.get("after_id") != rule.trigger_status_id)
        ))
        if not wanted:
            continue
        matching = set(
            filter_tickets(Ticket.objects.filter(pk__in={t for t, _o in wanted}), rule.conditions, now=now)
            .values_list("pk", flat=True)
        )
        for run_id, ticket_id, occurrence in claim_items(
            rule, [item for item in wanted if item[0] in matching], now=now
        ):
            runs[(ticket_id, occurrence)].append(run_id)
            responding[(ticket_id, occurrence)].add(rule.pk)
    # Rules answering the same event join the chain together, so one's change cannot
    # re-trigger another that already answered it (two rules undoing each other run once each).
    by_chain: dict[frozenset[int], list[int]] = {}
    for item in items:
        if runs[item]:
            by_chain.setdefault(frozenset(chain | responding[item]), []).extend(runs[item])
    for rules_chain, run_ids in by_chain.items():
        dispatch(run_ids, rules_chain)


def on_sla_breached(*, event: str, ticket_ids: Sequence[int], metric: str, **payload: Any) -> None:
    """A hooks listener for the SLA sweep: claim runs of the breach rules for these tickets."""
    trigger = BREACH_TRIGGERS.get(metric)
    if trigger is None or not ticket_ids:
        return
    chain = hooks.source_rules()
    now = timezone.now()
    run_ids: list[int] = []
    for rule in active_rules(trigger):
        if rule.pk in chain:
            continue
        for start in range(0, len(ticket_ids), 5000):
            chunk = list(ticket_ids[start:start + 5000])
            matching = filter_tickets(Ticket.objects.filter(pk__in=chunk), rule.conditions, now=now)
            run_ids += claim(rule, [(pk, metric) for pk in matching.values_list("pk", flat=True)], now=now)
    dispatch(run_ids, chain)


def on_close_guard_lifted(*, event: str, ticket_id: int, **_payload: Any) -> None:
    """A hooks listener: something that kept this ticket open is finished; release its held runs."""
    release_held_runs(ticket_ids=[ticket_id])


def subscribe() -> None:
    for event in EVENT_TRIGGERS:
        hooks.subscribe_batch(event, on_ticket_events)
    hooks.subscribe("sla_breached", on_sla_breached)
    hooks.subscribe("close_guard_lifted", on_close_guard_lifted)


# --- time triggers -------------------------------------------------------------------------


def _stamp(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%f") if value else "-"


def due_tickets(rule: AutomationRule, now: datetime, *, exclude_done: bool = True) -> tuple[QuerySet[Ticket], str]:
    """Return the queryset of tickets this time rule is due for and the name of its baseline."""
    runs = AutomationRun.objects.filter(rule=rule, ticket=OuterRef("pk"))
    qs = Ticket.objects.filter(is_spam=False)
    if rule.trigger == Trigger.NO_STAFF_REPLY:
        cutoff = now - timedelta(hours=rule.hours or 0)
        qs = qs.filter(
            closed_at__isnull=True, last_reply_by_staff=False, last_customer_reply_at__lte=cutoff
        ).annotate(baseline=F("last_customer_reply_at"))
    elif rule.trigger == Trigger.NO_CUSTOMER_REPLY:
        cutoff = now - timedelta(days=rule.days or 0)
        qs = (
            qs.filter(closed_at__isnull=True, status_id=rule.trigger_status_id, status_changed_at__lte=cutoff)
            .filter(Q(last_customer_reply_at__isnull=True) | Q(last_customer_reply_at__lte=cutoff))
            .annotate(
                baseline=Greatest(
                    "status_changed_at",
                    Coalesce("last_customer_reply_at", "status_changed_at"),
                    output_field=DateTimeField(),
                )
            )
        )
    elif rule.trigger == Trigger.CLOSED:
        cutoff = now - timedelta(minutes=rule.delay_minutes or 0)
        qs = qs.filter(
            closed_at__lte=cutoff, closed_at__gt=cutoff - CLOSED_LOOKBACK, merged_into__isnull=True
        ).annotate(baseline=F("closed_at"))
    else:
        raise ValueError(f"{rule.trigger} is not a time trigger")
    if exclude_done:
        qs = qs.exclude(Exists(runs.filter(created_at__gte=OuterRef("baseline"))))
    return qs, "baseline"


def due_items(rule: AutomationRule, *, now: datetime) -> list[tuple[int, str]]:
    """Return (ticket id, occurrence) for every ticket this time rule is due for (one query)."""
    qs, baseline = due_tickets(rule, now)
    qs = filter_tickets(qs, rule.conditions, now=now)
    rows = qs.order_by().values_list("pk", baseline)[:SWEEP_LIMIT]
    prefix = {Trigger.NO_STAFF_REPLY: "waiting", Trigger.NO_CUSTOMER_REPLY: "silent", Trigger.CLOSED: "closed"}
    return [(pk, f"{prefix[rule.trigger]}:{_stamp(at)}") for pk, at in rows]


def sweep_rule(rule: AutomationRule, *, now: datetime) -> int:
    """Claim and queue runs for every ticket this time rule is due for; return how many."""
    run_ids = claim(rule, due_items(rule, now=now), now=now)
    dispatch(run_ids)
    return len(run_ids)


def sweep_time_rules(*, now: datetime | None = None) -> dict[str, int]:
    """Run every active time rule's sweep; return {rule name: runs claimed}."""
    now = now or timezone.now()
    claimed = {}
    for rule in AutomationRule.objects.filter(is_active=True, trigger__in=TIME_TRIGGERS).order_by("order", "id"):
        claimed[rule.name] = sweep_rule(rule, now=now)
    released = release_held_runs()
    if released:
        logger.info("automation sweep released held runs", extra={"count": released})
    return claimed


HELD_PER_SWEEP = 5_000


def release_held_runs(*, ticket_ids: Iterable[int] | None = None) -> int:
    """Queue again the held runs (of these tickets, or all) whose tickets no guard keeps open now;
    return how many. A run moves from held to pending under a row lock (locked rows are left to
    whoever holds them), so two releases at the same moment queue it once; executing it
    re-checks that the ticket is still due."""
    held = AutomationRun.objects.filter(state=AutomationRun.State.HELD)
    if ticket_ids is not None:
        held = held.filter(ticket_id__in=list(ticket_ids))
    rows = list(held.order_by("ticket_id").values_list("pk", "ticket_id")[:HELD_PER_SWEEP])
    if not rows:
        return 0
    blocked = close_blockers({ticket_id for _pk, ticket_id in rows})
    free = [pk for pk, ticket_id in rows if ticket_id not in blocked]
    if not free:
        return 0
    with transaction.atomic():
        released = list(
            AutomationRun.objects.select_for_update(skip_locked=True)
            .filter(pk__in=free, state=AutomationRun.State.HELD).order_by("pk").values_list("pk", flat=True)
        )
        AutomationRun.objects.filter(pk__in=released).update(state=AutomationRun.State.PENDING, finished_at=None)
        dispatch(released)
    return len(released)


def _still_due(rule: AutomationRule, ticket_id: int, now: datetime) -> bool:
    if rule.trigger not in TIME_TRIGGERS:
        return True
    qs, _ = due_tickets(rule, now, exclude_done=False)
    return qs.filter(pk=ticket_id).exists()


# --- execution -----------------------------------------------------------------------------


def execute_runs(run_ids: Sequence[int], chain: Iterable[int] = ()) -> None:
    """Execute claimed runs in rule order (a task calls this)."""
    ordered = list(
        AutomationRun.objects.filter(pk__in=list(run_ids)).order_by("rule__order", "rule_id", "id").values_list(
            "pk", flat=True
        )
    )
    for run_id in ordered:
        execute_run(run_id, chain=chain)


def execute_run(run_id: int, *, chain: Iterable[int] = ()) -> AutomationRun | None:
    """Execute one pending run: every action of its rule, all or nothing, with the outcome logged.

    A time rule whose ticket is no longer due (the customer replied meanwhile) is skipped.
    """
    chain = frozenset(chain)
    now = timezone.now()
    with transaction.atomic():
        run = (
            AutomationRun.objects.select_for_update()
            .select_related("rule")
            .filter(pk=run_id, state=AutomationRun.State.PENDING)
            .first()
        )
        if run is None:
            return None
        rule = run.rule
        results: list[str] = []
        if not rule.is_active:
            run.state, results = AutomationRun.State.SKIPPED, ["rule inactive"]
        elif rule.trigger in TIME_TRIGGERS and not _still_due(rule, run.ticket_id, now):
            run.state, results = AutomationRun.State.SKIPPED, ["no longer due"]
        else:
            run.state = AutomationRun.State.DONE
            try:
                with hooks.acting_rules(chain | {rule.pk}), transaction.atomic():
                    for params in rule.actions:
                        action = get_action(params.get("action", ""))
                        if action is None:
                            raise LookupError(f"action {params.get('action')!r} is not registered")
                        ticket = Ticket.objects.select_related(
                            "status", "priority", "department", "client", "contact", "assignee"
                        ).get(pk=run.ticket_id)
                        outcome = action.run(ActionContext(ticket=ticket, params=params, rule=rule, run=run))
                        results.append(f"{action.name}: {outcome}")
            except CloseRefused as exc:  # the ticket must stay open (a return on its way): undone, said why
                # A time rule is held and runs again when the guard lifts; an event has passed.
                held = rule.trigger in TIME_TRIGGERS
                run.state = AutomationRun.State.HELD if held else AutomationRun.State.SKIPPED
                results = [str(exc)]
            except Exception as exc:  # the rule's changes are undone; the log says why
                logger.exception("automation run failed", extra={"rule": rule.pk, "ticket": run.ticket_id})
                run.state = AutomationRun.State.FAILED
                run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.result = results
        run.finished_at = timezone.now()
        run.save(update_fields=["state", "result", "error", "finished_at"])
    return run

