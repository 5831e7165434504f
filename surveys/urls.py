"""Survey pages: /survey/<token>/ for customers (no login), /staff/surveys/ for managers."""

from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("survey/<str:token>/", views.answer, name="answer"),
    path("survey/<str:token>/thanks/", views.thanks, name="thanks"),
    path("staff/surveys/", views.results, name="results"),
]
