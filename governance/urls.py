from django.urls import path

from governance import views

app_name = "governance"

urlpatterns = [
    path("grids/", views.grid_list, name="grid_list"),
    path("grids/<int:grid_id>/", views.grid_detail, name="grid_detail"),
    path("grids/<int:grid_id>/residents/new/", views.resident_edit, name="resident_create"),
    path("grids/<int:grid_id>/residents/<int:resident_id>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:resident_id>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:resident_id>/reveal/", views.resident_reveal_view, name="resident_reveal"),
]
