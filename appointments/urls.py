"""Callback pages, mounted at /staff/appointments/."""

from django.urls import path

from appointments import views

app_name = "appointments"

urlpatterns = [
    path("", views.agenda, name="agenda"),
    path("ticket/<int:number>/schedule/", views.schedule, name="schedule"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/finish/", views.finish, name="finish"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/no-show/", views.no_show, name="no_show"),
]
