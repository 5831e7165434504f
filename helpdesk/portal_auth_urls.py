from django.urls import path

from helpdesk import views

app_name = "portal_auth"

urlpatterns = [
    path("login/", views.portal_login, name="login"),
    path("logout/", views.logout_view, name="logout"),
]
