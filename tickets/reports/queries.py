"""Labels for report groups (one query per dimension)."""

from typing import Any

from django.contrib.auth import get_user_model

from crm.models import Client
from tickets.models import Department, Priority, Service
from tickets.models.core import Channel


def dimension_labels(dimension: str, keys: list[Any]) -> dict[Any, str]:
    """Return {group key: label} for the keys of a breakdown by `dimension`."""
    ids = [k for k in keys if k is not None]
    if dimension == "department":
        labels = dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif dimension == "agent":
        labels = {u.pk: u.get_full_name() for u in get_user_model().objects.filter(pk__in=ids)
                  .only("full_name", "email")}
    elif dimension == "service":
        labels = dict(Service.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif dimension == "priority":
        labels = dict(Priority.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif dimension == "channel":
        labels = {k: str(Channel(k).label) for k in ids if k in Channel.values}
    else:
        labels = {k: str(Client.Tier(k).label) for k in ids if k in Client.Tier.values}
    return {k: labels.get(k, "—") for k in keys}
