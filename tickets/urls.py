"""The agent workspace under /staff/."""

from django.urls import path

from helpdesk.views import staff_login
from tickets.views import notifications, workspace

app_name = "staff"

urlpatterns = [
    path("login/", staff_login, name="login"),
    path("", workspace.home, name="home"),
    path("tickets/", workspace.ticket_list, name="ticket_list"),
    path("tickets/<int:number>/", workspace.ticket_detail, name="ticket_detail"),
    path("clients/<int:pk>/", workspace.client_detail, name="client_detail"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
    path("notifications/read-all/", notifications.notification_mark_all_read, name="notifications_read_all"),
    path("profile/", notifications.profile, name="profile"),
]
