"""The Q&A forum's URLs, included at /forum/ before machina's.

The first block repeats machina's own paths (and so takes them over): machina's links and
`reverse("forum_conversation:topic", …)` land on our pages. The second block is ours.
"""

from django.urls import path

from forum import feeds, views
from forum.models import PostRole

app_name = "qa"

topic = "forum/<str:forum_slug>-<int:forum_pk>/topic/"

urlpatterns = [
    # machina's paths
    path("", views.index, name="index"),
    path("forum/<str:slug>-<int:pk>/", views.forum_detail, name="forum"),
    path(f"{topic}create/", views.ask, name="ask_in_forum"),
    path(f"{topic}<str:slug>-<int:pk>/", views.topic_detail, name="topic"),
    path(f"{topic}<str:slug>-<int:pk>/update/", views.topic_edit, name="topic_edit"),
    path(f"{topic}<str:topic_slug>-<int:topic_pk>/post/create/", views.answer, name="answer"),
    path(f"{topic}<str:topic_slug>-<int:topic_pk>/<int:pk>/post/update/", views.post_edit, name="post_edit"),
    path(f"{topic}<str:topic_slug>-<int:topic_pk>/<int:pk>/post/delete/", views.post_delete, name="post_delete"),
    path("moderation/queue/", views.moderation_queue, name="moderation_queue"),
    path("moderation/queue/<int:pk>/", views.queued_post, name="queued_post"),
    path("moderation/queue/<int:pk>/approve/", views.queued_post_decide, {"decision": "approve"}, name="approve"),
    path(
        "moderation/queue/<int:pk>/disapprove/", views.queued_post_decide, {"decision": "disapprove"}, name="disapprove"
    ),
    path("search/", views.search, name="search"),
    path("feeds/topics/", feeds.LastTopicsFeed(), name="feed"),
    path("feeds/forum/<str:forum_slug>-<int:forum_pk>/topics/", feeds.LastTopicsFeed(), name="forum_feed"),
    path(
        "feeds/forum/<str:forum_slug>-<int:forum_pk>/topics/all/",
        feeds.LastTopicsFeed(),
        {"descendants": True},
        name="forum_feed_all",
    ),
    # ours
    path("ask/", views.ask, name="ask"),
    path("post/<int:pk>/", views.post_permalink, name="post"),
    path("post/<int:pk>/follow-up/", views.reply_to_post, {"kind": PostRole.Kind.FOLLOW_UP}, name="follow_up"),
    path("post/<int:pk>/supplement/", views.reply_to_post, {"kind": PostRole.Kind.SUPPLEMENT}, name="supplement"),
    path("post/<int:pk>/accept/", views.accept, name="accept"),
    path("post/<int:pk>/report/", views.report, name="report"),
    path("topic/<int:pk>/unaccept/", views.unaccept, name="unaccept"),
    path("moderation/reports/<int:pk>/resolve/", views.report_resolve, name="report_resolve"),
]
