"""The portal's tiles. A tile appears once the part of the platform behind it exists."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.access import areas_visible_to
from core.models import Area
from core.services.notices import notice_may_send


@dataclass(frozen=True)
class Tile:
    key: str
    label: str | Promise
    hint: str | Promise
    url_name: str
    icon: str


TILES = [
    Tile("news", _("News and notices"), _("Policy updates, announcements"), "cms:news_index", "📰"),
    Tile("courses", _("Online classroom"), _("Courses, party lessons on the go"), "learning:course_index", "📚"),
    Tile("live", _("Live streaming"), _("Live now, past replays"), "streaming:event_list", "📺"),
    Tile("ask", _("Ask a question"), _("Party members' Q&A forum"), "forum:index", "💬"),
    Tile("report", _("Snap and report"), _("Photograph a problem and report it"), "governance:report_create", "📷"),
    Tile("services", _("Public services"), _("Healthcare, legal aid, business support"), "cms:services_index", "🧭"),
]


def _resolve(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def portal_tiles(user) -> list[dict]:
    tiles = []
    for tile in TILES:
        url = _resolve(tile.url_name)
        if url:
            tiles.append({"key": tile.key, "label": tile.label, "hint": tile.hint, "url": url, "icon": tile.icon})
    # Staff see the tools of their place in the organisation.
    if user.is_authenticated and areas_visible_to(user).filter(level=Area.Level.GRID).exists():
        tiles.append(
            {
                "key": "grids",
                "label": _("My grids"),
                "hint": _("Buildings, households, visits"),
                "url": reverse("governance:grid_list"),
                "icon": "🗺️",
            }
        )
    if user.is_authenticated and notice_may_send(user):
        tiles.append(
            {
                "key": "notice",
                "label": _("New notice"),
                "hint": _("Notify everyone in your area"),
                "url": reverse("core:notice_create"),
                "icon": "📣",
            }
        )
    return tiles
