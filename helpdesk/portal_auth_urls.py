from django.urls import path

from helpdesk import password_views, views

app_name = "portal_auth"

urlpatterns = [
    path("login/", views.portal_login, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password-reset/", password_views.password_reset, name="password_reset"),
    path("password-reset/sent/", password_views.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/", password_views.password_reset_confirm, name="password_reset_confirm"
    ),
    path("password-reset/done/", password_views.password_reset_complete, name="password_reset_complete"),
]
