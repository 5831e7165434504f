from django.urls import path

from kb import views

app_name = "kb"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("suggest/", views.suggest, name="suggest"),
    path("metrics/", views.metrics_page, name="metrics"),
    path("article/<slug:slug>/", views.article, name="article"),
    path("article/<slug:slug>/vote/", views.vote, name="vote"),
    path("<slug:slug>/", views.group, name="group"),
]
