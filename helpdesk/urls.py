from django.contrib import admin
from django.urls import include, path

from helpdesk import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("staff/appointments/", include("appointments.urls")),
    path("staff/", include("tickets.workspace.urls")),
    path("authentication/", include("helpdesk.portal_auth_urls")),
    path("portal/", include("tickets.portal.urls")),
    path("knowledge-base/", include("kb.urls")),
    path("whatsapp/", include("whatsapp.urls")),
    # Inbound email from providers: /anymail/<provider>/inbound/ (see README, "Email pipe").
    path("anymail/", include("anymail.urls")),
]
