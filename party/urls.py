from django.urls import path

from party import views

app_name = "party"
urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.my_record, name="my_record"),
    path("register/", views.register, name="register"),
    path("registrations/", views.registration_list, name="registration_list"),
    path("registrations/<int:registration_id>/", views.registration_detail, name="registration_detail"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/<int:transfer_id>/", views.transfer_detail, name="transfer_detail"),
    path("import/", views.import_view, name="import"),
    path("import/template.xlsx", views.import_template_view, name="import_template"),
    path("orgs/<int:org_id>/export.xlsx", views.member_export, name="member_export"),
    path("orgs/<int:org_id>/", views.org_detail, name="org_detail"),
    path("orgs/<int:org_id>/profile/", views.org_profile_edit, name="org_profile_edit"),
    path("orgs/<int:org_id>/committee/", views.org_committee, name="org_committee"),
    path("orgs/<int:org_id>/members/", views.member_list, name="member_list"),
    path("orgs/<int:org_id>/members/new/", views.member_edit, name="member_create"),
    path("orgs/<int:org_id>/members/<int:member_id>/edit/", views.member_edit, name="member_edit"),
    path("orgs/<int:org_id>/life/", views.org_life, name="org_life"),
    path("orgs/<int:org_id>/life/new/", views.meeting_edit, name="meeting_create"),
    path("orgs/<int:org_id>/life/<int:meeting_id>/", views.meeting_edit, name="meeting_edit"),
    path("orgs/<int:org_id>/talent/", views.org_talent, name="org_talent"),
    path("members/<int:member_id>/", views.member_detail, name="member_detail"),
    path("members/<int:member_id>/reveal/", views.member_reveal, name="member_reveal"),
    path("members/<int:member_id>/transfer/", views.member_transfer, name="member_transfer"),
    path("members/<int:member_id>/transfer-out/", views.member_transfer_out, name="member_transfer_out"),
    path("members/<int:member_id>/deceased/", views.member_deceased, name="member_deceased"),
    path(
        "members/<int:member_id>/corrections/<int:correction_id>/",
        views.correction_decide,
        name="correction_decide",
    ),
]
