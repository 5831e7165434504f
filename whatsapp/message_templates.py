"""Sync message templates from Meta (GET /{waba}/message_templates, following paging.next)."""

import re

from django.db import transaction
from django.utils import timezone

from whatsapp.graph import Client
from whatsapp.models import MessageTemplate
from whatsapp.queries import get_account

_VAR = re.compile(r"\{\{\s*([\w]+)\s*\}\}")


def _variables(components: list[dict]) -> int:
    for component in components or []:
        if str(component.get("type", "")).upper() == "BODY":
            return len(set(_VAR.findall(str(component.get("text", "")))))
    return 0


def sync_templates() -> int:
    """Store every template Meta lists (name, language, status, category, components); return the count.
    Templates Meta no longer lists are marked DELETED, never removed (old messages point at them)."""
    account = get_account()
    if account is None or not account.waba_id:
        return 0
    rows = list(Client(account).templates())
    now = timezone.now()
    seen = []
    with transaction.atomic():
        for row in rows:
            template, _created = MessageTemplate.objects.update_or_create(
                name=str(row.get("name", ""))[:512], language=str(row.get("language", ""))[:20],
                defaults={"template_id": str(row.get("id", ""))[:40], "status": str(row.get("status", ""))[:30],
                          "category": str(row.get("category", ""))[:30], "components": row.get("components") or [],
                          "variable_count": _variables(row.get("components") or []), "synced_at": now})
            seen.append(template.pk)
        MessageTemplate.objects.exclude(pk__in=seen).update(status="DELETED", synced_at=now)
    return len(rows)
