from django.urls import include, path

from governance import views, views_excel

app_name = "governance"

urlpatterns = [
    path("grids/", views.grid_list, name="grid_list"),
    path("grids/<int:grid_id>/", views.grid_detail, name="grid_detail"),
    path("grids/<int:grid_id>/buildings/new/", views.building_edit, name="building_create"),
    path("buildings/<int:building_id>/", views.building_detail, name="building_detail"),
    path("buildings/<int:building_id>/edit/", views.building_edit, name="building_edit"),
    path("households/<int:household_id>/", views.household_detail, name="household_detail"),
    path("households/<int:household_id>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:household_id>/residents/new/", views.resident_edit, name="resident_create"),
    path("residents/<int:resident_id>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:resident_id>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:resident_id>/reveal/", views.resident_reveal_view, name="resident_reveal"),
    path("residents/<int:resident_id>/move-out/", views.resident_move_out_view, name="resident_move_out"),
    path("residents/<int:resident_id>/visits/new/", views.visit_create, name="visit_create"),
    path("visits/", views.visits_mine, name="visits_mine"),
    path("visits/areas/", views.visits_overview, name="visits_overview"),
    path("visits/areas/<int:area_id>/", views.visits_area, name="visits_area"),
    path("visits/<int:visit_id>/photo/", views.visit_photo, name="visit_photo"),
    path("visits/<int:visit_id>/report/", views.visit_report_create, name="visit_report"),
    path("my-household/", views.my_household, name="my_household"),
    path("imports/", views_excel.import_start, name="import_start"),
    path("imports/template.xlsx", views_excel.import_template_download, name="import_template"),
    path("imports/<int:job_id>/", views_excel.import_job_detail, name="import_job"),
    path("imports/<int:job_id>/status/", views_excel.import_job_status, name="import_job_status"),
    path("export/", views_excel.export_start, name="export"),
    path("map/", include("governance.geo.urls")),
    path("reports/", include("governance.reports.urls")),
]
