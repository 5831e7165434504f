"""KPI reports under /staff/reports/."""

from django.urls import path

from tickets.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.reports, name="index"),
    path("my-day/", views.my_day, name="my_day"),
]
