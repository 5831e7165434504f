import hashlib
import hmac
import json
from pathlib import Path

import pytest

from tests.factories import DepartmentFactory
from tests.whatsapp.fake_graph import TOKEN, FakeGraph
from whatsapp.models import Account, PhoneNumber

FIXTURES = Path(__file__).parent / "fixtures"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "verify-me"
PHONE_NUMBER_ID = "106540352242922"


def fixture_body(name: str, **replace: str) -> bytes:
    """The captured payload as bytes (placeholders replaced), exactly as Meta would post it."""
    text = (FIXTURES / f"{name}.json").read_text()
    for key, value in replace.items():
        text = text.replace(key, value)
    return text.encode()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def fake_graph():
    graph = FakeGraph().start()
    yield graph
    graph.stop()


@pytest.fixture(autouse=True)
def _fresh_webhook_secrets():
    from whatsapp.queries import forget_webhook_secrets

    forget_webhook_secrets()
    yield
    forget_webhook_secrets()


@pytest.fixture
def account(db, fake_graph):
    account = Account.objects.create(waba_id="102290129340398", app_id="1234", app_secret=APP_SECRET,
                                     access_token=TOKEN, verify_token=VERIFY_TOKEN,
                                     graph_base_url=fake_graph.url, graph_version="v21.0")
    PhoneNumber.objects.create(account=account, phone_number_id=PHONE_NUMBER_ID, display_number="+1 555 078 3881",
                               default_department=DepartmentFactory(name="General Support"))
    return account


@pytest.fixture
def post_webhook(client, django_capture_on_commit_callbacks):
    """POST a body to the webhook and run what it queued on commit (processing, media)."""

    def post(body: bytes, signature: str | None = "valid"):
        headers = {}
        if signature == "valid":
            headers["HTTP_X_HUB_SIGNATURE_256"] = sign(body)
        elif signature:
            headers["HTTP_X_HUB_SIGNATURE_256"] = signature
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/whatsapp/webhook/getdata", data=body, content_type="application/json", **headers)

    return post


def load(name: str) -> dict:
    return json.loads(fixture_body(name))
