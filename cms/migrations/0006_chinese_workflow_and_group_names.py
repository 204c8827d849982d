"""Wagtail's migrations create its default workflow, task and groups with English names ("Moderators
approval", "Moderators", "Editors", the root page "Root"), which editors then read in the Chinese admin ("提交给Moderators
approval"). Names are data, not translatable strings, so they are renamed here.

The groups take the names the demo's editor and reviewer groups use (core/demo/steps.py), so the demo
finds and extends them instead of making a second pair. Where such a group already exists (a database
seeded before this migration), the English group's members and permissions move into it.
"""

from django.db import migrations

WORKFLOWS = {"Moderators approval": "内容审核流程"}
TASKS = {"Moderators approval": "审核员审批"}
GROUPS = {"Moderators": "审核员", "Editors": "编辑"}


def _merge_group(apps, old, new):
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    new.permissions.add(*old.permissions.all())
    new.user_set.add(*old.user_set.all())
    for perm in GroupPagePermission.objects.filter(group=old):
        GroupPagePermission.objects.get_or_create(group=new, page_id=perm.page_id, permission_id=perm.permission_id)
    for perm in GroupCollectionPermission.objects.filter(group=old):
        GroupCollectionPermission.objects.get_or_create(
            group=new, collection_id=perm.collection_id, permission_id=perm.permission_id
        )
    for task in GroupApprovalTask.objects.filter(groups=old):
        task.groups.add(new)
    old.delete()


def rename(apps, schema_editor):
    # The tree's root is shown in every breadcrumb of the page explorer.
    apps.get_model("wagtailcore", "Page").objects.filter(depth=1, title="Root").update(
        title="全部站点", draft_title="全部站点"
    )
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")
    Group = apps.get_model("auth", "Group")
    for old, new in WORKFLOWS.items():
        Workflow.objects.filter(name=old).update(name=new)
    for old, new in TASKS.items():
        Task.objects.filter(name=old).update(name=new)
    for old_name, new_name in GROUPS.items():
        old = Group.objects.filter(name=old_name).first()
        if old is None:
            continue
        existing = Group.objects.filter(name=new_name).first()
        if existing is None:
            old.name = new_name
            old.save(update_fields=["name"])
        else:
            _merge_group(apps, old, existing)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0005_embedded_lesson_block"),
        ("wagtailcore", "0098_apitoken"),
        ("auth", "0012_alter_user_first_name_max_length"),
        # After every migration that looks these groups up by their English names.
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
