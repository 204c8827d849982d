"""The portal's tiles. A tile appears once the part of the platform behind it exists."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.access import areas_visible_to
from core.services.notices import notice_may_send


@dataclass(frozen=True)
class Tile:
    key: str
    label: str | Promise
    hint: str | Promise
    url_name: str
    icon: str


TILES = [
    Tile("news", _("新闻公告"), _("政策动态 通知公告"), "cms:news_index", "📰"),
    Tile("courses", _("云课堂"), _("课程学习 党课随身听"), "learning:course_index", "📚"),
    Tile("live", _("云直播"), _("正在直播 往期回放"), "streaming:event_list", "📺"),
    Tile("ask", _("我要提问"), _("党员问答论坛"), "forum:index", "💬"),
    Tile("report", _("拍一拍"), _("随手拍 反映问题"), "governance:report_create", "📷"),
    Tile("services", _("便民服务"), _("医疗 法律 惠企政策"), "cms:services_index", "🧭"),
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
    if user.is_authenticated and areas_visible_to(user).filter(level=4).exists():
        tiles.append({"key": "grids", "label": _("我的网格"), "hint": _("楼栋 住户 走访"),
                      "url": reverse("governance:grid_list"), "icon": "🗺️"})
    if user.is_authenticated and notice_may_send(user):
        tiles.append({"key": "notice", "label": _("发通知"), "hint": _("向辖区发送站内通知"),
                      "url": reverse("core:notice_create"), "icon": "📣"})
    return tiles
