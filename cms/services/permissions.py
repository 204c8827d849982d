"""Who may edit what in the Wagtail admin: editors and reviewers everywhere, department editors
only in their own department's work-update section.

Editors (编辑) can add and change pages but not publish: saving means "submit for review", and
Wagtail's approval workflow (on the root page) asks the reviewers (审核员), who may publish, to
approve or request changes with a comment. Department editors hold the same rights on their
department's DepartmentUpdatesPage subtree only (Wagtail GroupPagePermission), so their drafts go
through the same review.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.text import slugify
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

from cms.models import DepartmentUpdatesPage, UpdatesIndexPage
from core.demo.steps import EDITOR_GROUP, REVIEWER_GROUP
from core.models import Department

IMAGE_PERMISSIONS = ("add_image", "change_image", "choose_image")
DOCUMENT_PERMISSIONS = ("add_document", "change_document", "choose_document")
EDITOR_PAGE_PERMISSIONS = ("add_page", "change_page")


def department_editor_group_name(department: Department) -> str:
    return f"{department.name}·编辑"


def _admin_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")


def collection_permissions_grant(*, group: Group, collection: Collection | None = None) -> int:
    """Let `group` upload, edit and choose images and documents in `collection` (default: root)."""
    collection = collection or Collection.get_first_root_node()
    wanted = Permission.objects.filter(
        content_type__app_label="wagtailimages", codename__in=IMAGE_PERMISSIONS
    ) | Permission.objects.filter(content_type__app_label="wagtaildocs", codename__in=DOCUMENT_PERMISSIONS)
    held = set(
        GroupCollectionPermission.objects.filter(group=group, collection=collection).values_list(
            "permission_id", flat=True
        )
    )
    missing = [p for p in wanted if p.pk not in held]
    GroupCollectionPermission.objects.bulk_create(
        [GroupCollectionPermission(group=group, collection=collection, permission=p) for p in missing]
    )
    return len(missing)


def page_permissions_grant(*, group: Group, page: Page, codenames: tuple[str, ...]) -> int:
    page_type = ContentType.objects.get_for_model(Page)
    perms = Permission.objects.filter(content_type=page_type, codename__in=codenames)
    held = set(GroupPagePermission.objects.filter(group=group, page=page).values_list("permission_id", flat=True))
    missing = [p for p in perms if p.pk not in held]
    GroupPagePermission.objects.bulk_create(
        [GroupPagePermission(group=group, page=page, permission=p) for p in missing]
    )
    return len(missing)


def editorial_collections_ensure() -> int:
    """Editors and reviewers (made by core's seed) may use the media library."""
    granted = 0
    for name in (EDITOR_GROUP, REVIEWER_GROUP):
        group = Group.objects.filter(name=name).first()
        if group is not None:
            granted += collection_permissions_grant(group=group)
    return granted


def department_section_ensure(*, department: Department) -> DepartmentUpdatesPage:
    """The department's section under /updates/, made and published if missing."""
    section = DepartmentUpdatesPage.objects.filter(department=department).first()
    if section is not None:
        return section
    index = UpdatesIndexPage.objects.first()
    if index is None:
        raise RuntimeError("the /updates/ section page is missing (cms migration 0004 makes it)")
    section = DepartmentUpdatesPage(
        title=department.name,
        slug=slugify(department.code) or f"d{department.pk}",
        department=department,
        intro=f"{department.name}的工作动态",
    )
    with transaction.atomic():
        index.add_child(instance=section)
        section.save_revision().publish()
    return section


def department_editors_ensure(*, department: Department) -> Group:
    """The department's editor group, with admin access, page rights on its section only, and media."""
    section = department_section_ensure(department=department)
    group, _ = Group.objects.get_or_create(name=department_editor_group_name(department))
    group.permissions.add(_admin_permission())
    page_permissions_grant(group=group, page=section, codenames=EDITOR_PAGE_PERMISSIONS)
    collection_permissions_grant(group=group)
    return group
