"""The agent workspace under /staff/."""

from django.urls import path

from helpdesk.views import staff_login
from tickets.views import workspace

app_name = "staff"

urlpatterns = [
    path("login/", staff_login, name="login"),
    path("", workspace.home, name="home"),
    path("tickets/", workspace.ticket_list, name="ticket_list"),
    path("tickets/<int:number>/", workspace.ticket_detail, name="ticket_detail"),
    path("clients/<int:pk>/", workspace.client_detail, name="client_detail"),
]
