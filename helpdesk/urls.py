from django.contrib import admin
from django.urls import include, path

from helpdesk import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("health/", views.health, name="health"),
    path("language/", views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("staff/whatsapp/", include("whatsapp.staff_urls")),
    path("staff/reports/", include("tickets.reports.urls")),
    path("staff/appointments/", include("appointments.urls")),
    path("staff/", include("tickets.workspace.urls")),
    path("authentication/", include("helpdesk.portal_auth_urls")),
    path("portal/", include("tickets.portal.urls")),
    path("knowledge-base/", include("kb.urls")),
    path("whatsapp/", include("whatsapp.urls")),
    path("", include("surveys.urls")),  # /survey/<token>/ and /staff/surveys/
    # Inbound email from providers: /anymail/<provider>/inbound/ (see README, "Email pipe").
    path("anymail/", include("tickets.intake.urls")),
]
