"""The forum topic page's link to 拍一拍: a moderator turns a question into a report; everyone who
may see the report gets a link to it (the report links back to the topic)."""

from __future__ import annotations

from django import template

from governance.reports.access import reports_visible_to
from governance.reports.models import Report

register = template.Library()


@register.inclusion_tag("reports/_forum_topic.html", takes_context=True)
def report_link_for_topic(context, topic) -> dict:
    from forum.access import can_moderate, permission_handler

    request = context["request"]
    user = request.user
    report = (
        reports_visible_to(user).filter(forum_topic_id=topic.pk).order_by("id").first()
        if user.is_authenticated
        else None
    )
    # Readers who are not moderators cost no second query: only a moderator is offered the button,
    # and only when no report (visible to them or not) was made from the topic yet.
    can_create = (
        report is None
        and can_moderate(user, topic.forum, handler=permission_handler(request))
        and not Report.objects.filter(forum_topic_id=topic.pk).exists()
    )
    return {"topic": topic, "report": report, "can_create": can_create}
