"""Provider inbound webhooks: /anymail/<provider>/inbound/ (Mailgun also .../inbound_mime/).

Only inbound URLs exist (we use no delivery tracking); tickets.intake.webhooks decides per
request whether the provider is on."""

from django.urls import re_path

from tickets.intake.webhooks import inbound_webhook

app_name = "anymail"
urlpatterns = [
    re_path(r"^(?P<provider>[a-z_]+)/inbound(?P<mime>_mime)?/$", inbound_webhook, name="inbound_webhook"),
]
