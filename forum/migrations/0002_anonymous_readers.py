"""Anonymous visitors may see and read public forums (answers to party-affairs questions are
public knowledge); posting still needs an account. Private forums deny them per forum
(forum.services.policies.forum_policy_set)."""

from django.db import migrations

CODENAMES = ("can_see_forum", "can_read_forum")


def grant(apps, schema_editor):
    ForumPermission = apps.get_model("forum_permission", "ForumPermission")
    UserForumPermission = apps.get_model("forum_permission", "UserForumPermission")
    for codename in CODENAMES:
        permission, _ = ForumPermission.objects.get_or_create(codename=codename)
        UserForumPermission.objects.get_or_create(
            permission=permission, forum=None, user=None, anonymous_user=True, defaults={"has_perm": True}
        )


def revoke(apps, schema_editor):
    UserForumPermission = apps.get_model("forum_permission", "UserForumPermission")
    UserForumPermission.objects.filter(
        permission__codename__in=CODENAMES, forum=None, user=None, anonymous_user=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("qa_forum", "0001_initial"),
        ("forum_permission", "0005_userforumpermission_authenticated_user"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
