from django.urls import path

from cms import views

app_name = "cms"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("feeds/news.xml", views.NewsFeed(), name="news_feed"),
    # The section pages are Wagtail pages made by migration 0004; named so that links can reverse them.
    path("news/", views.section, {"path": "news/"}, name="news_index"),
    path("updates/", views.section, {"path": "updates/"}, name="updates_index"),
    path("guides/", views.section, {"path": "guides/"}, name="guides_index"),
    path("services/", views.section, {"path": "services/"}, name="services_index"),
]
