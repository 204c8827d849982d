"""machina's latest-topics feed, answering 404 for a forum the reader cannot see and bounded in size."""

from __future__ import annotations

from machina.apps.forum_feeds.feeds import LastTopicsFeed as MachinaLastTopicsFeed

from forum.access import Forum, Topic, access_forum_by_id, permission_handler, readable_forum_ids

FEED_ITEMS = 30


class LastTopicsFeed(MachinaLastTopicsFeed):
    def get_object(self, request, *args, **kwargs):
        handler = permission_handler(request)
        readable = readable_forum_ids(request.user, handler=handler)
        forum_pk = kwargs.get("forum_pk")
        if forum_pk is None:
            self.forum_ids = readable
        else:
            forum = access_forum_by_id(request.user, forum_pk, handler=handler)
            scope = forum.get_descendants(include_self=True) if kwargs.get("descendants") else [forum]
            self.forum_ids = {f.pk for f in scope if f.pk in readable}
        self.forums = Forum.objects.filter(pk__in=self.forum_ids)

    def items(self):
        return (
            Topic.objects.filter(forum_id__in=self.forum_ids, approved=True)
            .select_related("forum", "poster", "last_post")
            .order_by("-last_post_on")[:FEED_ITEMS]
        )
