"""Test set-up shared by the whole suite.

Unit tests run Celery tasks eagerly and capture mail in memory; the integration tests (marked
`integration`) start a real worker on Redis and a loopback SMTP server themselves.
"""

import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    yield
