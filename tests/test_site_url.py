"""Links in emails follow the served address: SITE_URL, or http://HOST:PORT when unset."""

import os
import subprocess
import sys
from pathlib import Path

from helpdesk import env


def test_site_url_defaults_to_the_served_host_and_port(monkeypatch):
    """`make run PORT=8101` serves on 8101, so links say 8101 (a wildcard bind becomes loopback)."""
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "8101")
    assert env.site_url() == "http://127.0.0.1:8101"
    monkeypatch.setenv("HOST", "0.0.0.0")
    assert env.site_url() == "http://127.0.0.1:8101"
    monkeypatch.setenv("SITE_URL", "https://help.example.com/")
    assert env.site_url() == "https://help.example.com"


def test_settings_read_port_when_the_app_starts():
    """A process started as `make run PORT=8101` starts it (settings loaded fresh) links to :8101."""
    root = Path(__file__).resolve().parents[1]
    environ = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    environ.update(HOST="127.0.0.1", PORT="8101", DJANGO_SETTINGS_MODULE="helpdesk.settings")
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        cwd=root, env=environ, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()
    assert out == "http://127.0.0.1:8101"
