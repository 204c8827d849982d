from django.apps import AppConfig


class ForumPermissionOverridesConfig(AppConfig):
    name = "forum.overrides.forum_permission"
    # machina.apps.forum_permission owns the label "forum_permission"; this app has no models.
    label = "qa_forum_permission"
    verbose_name = "Q&A forum permission overrides"
