"""Fixtures for the email intake tests: departments with addresses and a `deliver` helper that
pipes raw bytes through storing and processing, running after-commit work (receipts)."""

from pathlib import Path

import pytest

from tests.factories import DepartmentFactory
from tickets.intake.services import process_inbound_email, store_inbound_email
from tickets.models import InboundEmail

EMAILS = Path(__file__).parent / "fixtures" / "emails"


@pytest.fixture
def departments(db):
    general = DepartmentFactory(name="General Support", email="support@company.com", is_default=True)
    tech = DepartmentFactory(name="Technical Support", email="tech@company.com")
    billing = DepartmentFactory(name="Billing", email="billing@company.com")
    return {"general": general, "tech": tech, "billing": billing}


@pytest.fixture
def deliver(departments, django_capture_on_commit_callbacks):
    """Store and process one raw email the way pipe_email and the worker do; return the row."""

    def _deliver(raw: bytes | str, *, recipient: str = "") -> InboundEmail:
        if isinstance(raw, str):
            raw = raw.encode()
        with django_capture_on_commit_callbacks(execute=True):
            stored = store_inbound_email(raw=raw, recipient=recipient, queue=False)
        with django_capture_on_commit_callbacks(execute=True):
            row = process_inbound_email(inbound_id=stored.inbound.pk)
        return row

    return _deliver
