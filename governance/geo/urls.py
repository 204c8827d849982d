"""Included by governance/urls.py under map/: names join the `governance` namespace."""

from django.urls import path

from governance.geo import views

urlpatterns = [
    path("", views.map_page, name="map"),
    path("areas/", views.map_areas_json, name="map_areas"),
    path("areas/<int:area_id>/", views.map_area_json, name="map_area"),
    path("areas/<int:area_id>/boundary/", views.map_boundary_save, name="map_boundary"),
    path("areas/<int:area_id>/buildings/", views.map_buildings_json, name="map_buildings"),
    path("search/", views.map_search_json, name="map_search"),
]
urlpatterns += [path("import/", views.map_import, name="map_import")]
