from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    """Expose the product name and public site URL to every template."""
    return {"SITE_NAME": "Helpdesk", "SITE_URL": settings.SITE_URL}
