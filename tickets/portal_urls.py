"""The client portal under /portal/."""

from django.urls import path

from tickets.views import portal

app_name = "portal"

urlpatterns = [
    path("", portal.dashboard, name="dashboard"),
]
