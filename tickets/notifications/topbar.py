"""What the staff top bar shows on every page: unread counts (the bell's, and the badges other
apps register, e.g. WhatsApp's) and the staff announcements, for as few queries as possible.

How it works:
- A user's counts come from ONE query (each registered counter is a scalar subquery of a
  one-row select) and are kept in the cache for CACHE_SECONDS under that user's key; the page's
  tags read them once per request (kept on the request).
- The writes that change a count forget it, at once and again after commit (a page that read
  the old value meanwhile cannot keep it): notifications forget their recipients' entries
  (`forget(user_ids=...)`); a change that may move many users' counts (a WhatsApp message in, a
  conversation read or closed) bumps a shared generation (`forget_everyone()`) that every entry
  is checked against, in the same cache round trip. Joining or leaving a department and a new
  role forget that person's counts too (what they may see changed). The time-to-live is the
  backstop for a write nobody hooked.
- The announcements are the same for all staff: one cached list, forgotten whenever an
  announcement is saved or deleted; each row keeps its start and end, so a scheduled one
  appears and goes on time.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, IntegerField, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest
from django.utils import timezone

from tickets.models import Department, Notification

CACHE_SECONDS = 30
ANNOUNCEMENTS_SHOWN = 3
_GENERATION_KEY = "topbar:generation"
_ANNOUNCEMENTS_KEY = "topbar:announcements"


@dataclass(frozen=True)
class Counter:
    key: str
    rows: Callable[[Any], QuerySet]  # the rows counted (or summed) for this staff member
    sum_field: str | None = None


_counters: dict[str, Counter] = {}


def register_counter(*, key: str, rows: Callable[[Any], QuerySet], sum_field: str | None = None) -> None:
    """Add (or replace) a count of the top bar: the number of `rows(user)`, or their sum of
    `sum_field`. It must be one indexed aggregate; it joins the others in one query."""
    _counters[key] = Counter(key=key, rows=rows, sum_field=sum_field)


def _unread_notifications(user: Any) -> QuerySet:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)


register_counter(key="notifications", rows=_unread_notifications)


def _user_key(user_id: int) -> str:
    return f"topbar:counts:{user_id}"


def _query_counts(user: Any) -> dict[str, int]:
    columns = {}
    for counter in _counters.values():
        total = Sum(counter.sum_field) if counter.sum_field else Count("pk")
        one = counter.rows(user).order_by().annotate(_all=Value(1)).values("_all").annotate(n=total).values("n")
        columns[f"topbar_{counter.key}"] = Coalesce(Subquery(one, output_field=IntegerField()), 0)
    row = get_user_model().objects.filter(pk=user.pk).values(**columns).first() or {}
    return {key: int(row.get(f"topbar_{key}") or 0) for key in _counters}


def counts_for(user: Any) -> dict[str, int]:
    """Return {counter key: value} for this staff member: cached, else one query."""
    key = _user_key(user.pk)
    got = cache.get_many([_GENERATION_KEY, key])
    generation = got.get(_GENERATION_KEY)
    entry = got.get(key)
    if entry is not None and entry[0] == generation and set(entry[1]) == set(_counters):
        return entry[1]
    counts = _query_counts(user)
    cache.set(key, (generation, counts), CACHE_SECONDS)
    return counts


def counts(request: HttpRequest) -> dict[str, int]:
    """Return the signed-in staff member's counts, read once per request; {} for anyone else."""
    cached = getattr(request, "_topbar_counts", None)
    if cached is None:
        user = getattr(request, "user", None)
        staff = user is not None and user.is_authenticated and user.is_staff
        cached = counts_for(user) if staff else {}
        request._topbar_counts = cached
    return cached


def _now_and_after_commit(action: Callable[[], None]) -> None:
    action()
    transaction.on_commit(action)


def forget(*, user_ids: Iterable[int]) -> None:
    """These users' counts changed (a notification for them, or read by them)."""
    keys = [_user_key(uid) for uid in {int(u) for u in user_ids if u}]
    if keys:
        _now_and_after_commit(lambda: cache.delete_many(keys))


def forget_everyone() -> None:
    """Counts of many users may have changed (e.g. a WhatsApp conversation's unread messages)."""
    _now_and_after_commit(lambda: cache.set(_GENERATION_KEY, uuid4().hex, None))


def staff_announcements() -> list[dict[str, Any]]:
    """Return the announcements for staff shown now, newest first (cached for everybody)."""
    from crm.models import Announcement

    rows = cache.get(_ANNOUNCEMENTS_KEY)
    if rows is None:
        now = timezone.now()
        # What starts before the entry expires is in it already, so it shows on time.
        horizon = now + timedelta(seconds=2 * CACHE_SECONDS)
        rows = list(
            Announcement.objects.filter(for_staff=True, starts_at__lte=horizon)
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
            .order_by("-starts_at").values("pk", "title", "body", "starts_at", "ends_at")[:20]
        )
        cache.set(_ANNOUNCEMENTS_KEY, rows, CACHE_SECONDS)
    now = timezone.now()
    shown = [r for r in rows if r["starts_at"] <= now and (r["ends_at"] is None or r["ends_at"] > now)]
    return shown[:ANNOUNCEMENTS_SHOWN]


def _announcements_changed(**_kwargs: Any) -> None:
    _now_and_after_commit(lambda: cache.delete(_ANNOUNCEMENTS_KEY))


def _membership_changed(*, action: str, instance: Any, reverse: bool, pk_set: set | None, **_kwargs: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # user.departments.add(...): one user
        forget(user_ids=[instance.pk])
    elif pk_set:  # department.members.add(...): these users
        forget(user_ids=pk_set)
    else:  # department.members.clear(): whoever they were
        forget_everyone()


def _role_changed(*, instance: Any, **_kwargs: Any) -> None:
    forget(user_ids=[instance.user_id])


def connect() -> None:
    """Forget cached values when what they depend on changes outside the services: announcements
    saved or deleted (the admin), department members, a staff member's role."""
    post_save.connect(_announcements_changed, sender="crm.Announcement", dispatch_uid="topbar-announcement-save")
    post_delete.connect(_announcements_changed, sender="crm.Announcement", dispatch_uid="topbar-announcement-delete")
    m2m_changed.connect(_membership_changed, sender=Department.members.through, dispatch_uid="topbar-members")
    post_save.connect(_role_changed, sender="crm.StaffProfile", dispatch_uid="topbar-staff-profile")
