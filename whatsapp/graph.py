"""The Graph API client (requests): send messages, upload and download media, list templates.

Errors come back as GraphError with Meta's `code` (REFERENCE §1.11), classified so callers know
whether retrying helps: rate limits (130429, 131056, 80007, 80008) and connection failures
before the request reached Meta retry later; 131047 (window closed), 131026 (undeliverable),
190 (token) and everything else do not. A read timeout is ambiguous (Meta may have sent it), so
it is never retried: a customer must not get the same message twice.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from whatsapp.models import Account

TIMEOUT = (5, 20)
RETRY_CODES = {130429, 131056, 80007, 80008, 4, 2}
TOKEN_CODES = {190}


class GraphError(Exception):
    def __init__(self, message: str, *, code: int | None = None, status: int = 0, retry: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.retry = retry

    @property
    def title(self) -> str:
        return str(self)[:300]


@dataclass
class Client:
    account: Account

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.account.access_token}"}

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            response = requests.request(method, url, headers=self._headers(), timeout=TIMEOUT, **kwargs)
        except requests.ConnectTimeout as exc:
            raise GraphError(f"could not connect: {exc}", retry=True) from exc
        except requests.ConnectionError as exc:
            # Refused or reset before a response: the request may or may not have been read.
            retry = "refused" in str(exc).lower()
            raise GraphError(f"connection failed: {exc}", retry=retry) from exc
        except requests.Timeout as exc:
            raise GraphError(f"no answer from Meta in time; not retried: {exc}") from exc
        if response.status_code >= 400:
            raise _error(response)
        return response

    def _json(self, method: str, path_or_url: str, **kwargs: Any) -> dict[str, Any]:
        url = path_or_url if path_or_url.startswith("http") else f"{self.account.api_root}/{path_or_url}"
        response = self._call(method, url, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise GraphError("Meta answered with something that is not JSON", status=response.status_code) from exc

    def send(self, *, phone_number_id: str, payload: dict[str, Any]) -> str:
        """POST a message; return its wamid."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
        data = self._json("POST", f"{phone_number_id}/messages", json=body)
        try:
            return str(data["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise GraphError("Meta's answer has no message id") from exc

    def upload(self, *, phone_number_id: str, name: str, content: bytes, mime_type: str) -> str:
        """Upload media for sending; return its media id."""
        data = self._json("POST", f"{phone_number_id}/media", data={"messaging_product": "whatsapp"},
                          files={"file": (name, content, mime_type)})
        return str(data.get("id", ""))

    def media_info(self, *, media_id: str) -> dict[str, Any]:
        return self._json("GET", media_id)

    def download(self, *, url: str, max_bytes: int) -> bytes:
        """GET a media URL with the bearer token; stop past max_bytes."""
        response = self._call("GET", url, stream=True)
        chunks, total = [], 0
        for chunk in response.iter_content(64 * 1024):
            total += len(chunk)
            if total > max_bytes:
                raise GraphError(f"media larger than {max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def templates(self) -> Iterator[dict[str, Any]]:
        """Yield every template of the WABA, following paging.next."""
        url = (f"{self.account.api_root}/{self.account.waba_id}/message_templates"
               "?fields=id,name,status,category,language,components&limit=100")
        while url:
            data = self._json("GET", url)
            yield from data.get("data") or []
            url = (data.get("paging") or {}).get("next") or ""

    def phone_numbers(self) -> list[dict[str, Any]]:
        """Return the numbers of the WABA (the "test connection" check)."""
        return self._json("GET", f"{self.account.waba_id}/phone_numbers").get("data") or []


def _error(response: requests.Response) -> GraphError:
    try:
        err = response.json().get("error") or {}
    except ValueError:
        err = {}
    code = err.get("code")
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    details = (err.get("error_data") or {}).get("details") or ""
    message = str(err.get("message") or f"HTTP {response.status_code}")
    if details and details not in message:
        message = f"{message}: {details}"
    if response.status_code == 401 and code is None:
        code = 190
    retry = code in RETRY_CODES or (code is None and response.status_code >= 500)
    return GraphError(message, code=code, status=response.status_code, retry=retry)
