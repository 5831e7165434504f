"""A fake Meta Graph API: a real HTTP server on loopback (http.server in a thread).

It receives sends (POST /{v}/{phone_number_id}/messages), media uploads, media lookups and
downloads (bearer token required, as Meta does), template pages (paging.next) and the phone
number list, and answers with scripted Cloud API errors (131047, 131026, 130429, 190).
"""

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOKEN = "EAAG-test-token"

ERRORS = {
    131047: (400, "Re-engagement message", "More than 24 hours have passed since the recipient last replied."),
    131026: (400, "Message undeliverable", "Message Undeliverable."),
    130429: (400, "Rate limit hit", "Cloud API message throughput has been reached."),
    190: (401, "Error validating access token: Session has expired.", ""),
}


class FakeGraph:
    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.requests: list[tuple[str, str, dict]] = []
        self.uploads: list[bytes] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.digests: dict[str, str] = {}  # media id -> sha256 to announce instead of the true one
        self.templates: list[dict] = []
        self.page_size = 2
        self._fail: list[int] = []
        self._lock = threading.Lock()
        self._count = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- script -----------------------------------------------------------------------
    def fail_next(self, *codes: int) -> None:
        self._fail.extend(codes)

    def add_media(self, media_id: str, content: bytes, mime: str) -> str:
        self.media[media_id] = (content, mime)
        return hashlib.sha256(content).hexdigest()

    def start(self) -> "FakeGraph":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- server -----------------------------------------------------------------------
    def _handler(self) -> type:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: object, content_type: str = "application/json") -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {TOKEN}":
                    return True
                self._send(401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException",
                                           "code": 190, "fbtrace_id": "x"}})
                return False

            def _error(self, code: int) -> None:
                status, title, details = ERRORS[code]
                self._send(status, {"error": {"message": title, "type": "OAuthException", "code": code,
                                              "error_data": {"messaging_product": "whatsapp", "details": details},
                                              "fbtrace_id": "AbC"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                path = urlparse(self.path).path
                fake.requests.append(("POST", path, dict(self.headers)))
                if not self._authorised():
                    return
                with fake._lock:
                    failure = fake._fail.pop(0) if fake._fail else None
                if failure is not None:
                    self._error(failure)
                    return
                if path.endswith("/media"):
                    fake.uploads.append(raw)
                    self._send(200, {"id": f"upload-{len(fake.uploads)}"})
                    return
                if path.endswith("/messages"):
                    body = json.loads(raw)
                    with fake._lock:
                        fake._count += 1
                        wamid = f"wamid.FAKE{fake._count}"
                        fake.sent.append(body)
                    self._send(200, {"messaging_product": "whatsapp",
                                     "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                                     "messages": [{"id": wamid}]})
                    return
                self._send(404, {"error": {"message": "Unknown path", "code": 100}})

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                parts = [p for p in url.path.split("/") if p]
                fake.requests.append(("GET", url.path, dict(self.headers)))
                if not self._authorised():
                    return
                with fake._lock:
                    failure = fake._fail.pop(0) if fake._fail else None
                if failure is not None:
                    self._error(failure)
                    return
                if parts and parts[0] == "download":
                    content, mime = fake.media[parts[1]]
                    self._send(200, content, mime)
                    return
                if len(parts) == 3 and parts[2] == "message_templates":
                    after = int((parse_qs(url.query).get("after") or ["0"])[0])
                    page = fake.templates[after:after + fake.page_size]
                    body = {"data": page, "paging": {"cursors": {"before": str(after), "after": str(after + 1)}}}
                    if after + fake.page_size < len(fake.templates):
                        body["paging"]["next"] = (f"{fake.url}{url.path}?limit={fake.page_size}"
                                                  f"&after={after + fake.page_size}")
                    self._send(200, body)
                    return
                if len(parts) == 3 and parts[2] == "phone_numbers":
                    self._send(200, {"data": [{"id": "106540352242922", "display_phone_number": "+1 555-078-3881",
                                               "verified_name": "Acme Support"}]})
                    return
                if len(parts) == 2 and parts[1] in fake.media:
                    content, mime = fake.media[parts[1]]
                    self._send(200, {"messaging_product": "whatsapp", "url": f"{fake.url}/download/{parts[1]}",
                                     "mime_type": mime,
                                     "sha256": fake.digests.get(parts[1]) or hashlib.sha256(content).hexdigest(),
                                     "file_size": str(len(content)), "id": parts[1]})
                    return
                self._send(404, {"error": {"message": "Unsupported get request.", "code": 100}})

        return Handler
