from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from core.access import is_member_audience
from learning.access import is_organiser, organiser_orgs

register = template.Library()


@register.inclusion_tag("learning/_nav.html", takes_context=True)
def learning_nav(context, active: str = ""):
    user = context["request"].user
    return {
        "active": active,
        "signed_in": user.is_authenticated,
        "member": is_member_audience(user),
        "organiser": is_organiser(user) and organiser_orgs(user).exists(),
    }


@register.filter
def clock(seconds) -> str:
    """12:05 or 1:02:05 for a duration in seconds."""
    try:
        total = max(0, round(float(seconds or 0)))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def minutes_text(seconds) -> str:
    try:
        minutes = max(0, round(float(seconds or 0) / 60))
    except (TypeError, ValueError):
        return ""
    if minutes >= 60:
        return _("%(h)d h %(m)d min") % {"h": minutes // 60, "m": minutes % 60}
    return _("%(m)d min") % {"m": minutes}


@register.filter
def class_hours_text(seconds) -> str:
    """ "2.5 学时": seconds as class hours (LEARNING_CLASS_HOUR_MINUTES each), with the unit."""
    from learning.selectors import class_hours

    try:
        value = class_hours(max(0.0, float(seconds or 0)))
    except (TypeError, ValueError):
        return ""
    return _("%(n)s class hours") % {"n": value}


@register.filter
def learning_time(seconds) -> str:
    """Minutes and class hours of learning, or a dash for none (never "0 min" beside a finished lesson)."""
    try:
        value = float(seconds or 0)
    except (TypeError, ValueError):
        return ""
    if value < 30:
        return "—"
    return f"{minutes_text(value)} · {class_hours_text(value)}"
