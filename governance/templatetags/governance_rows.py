"""The rows of the two longest grid pages, written in Python instead of template loops.

A grid's resident list (50 rows) and a building's plan view (a 33-floor tower has hundreds of cells)
spent most of their time in the template engine, resolving and escaping a dozen variables per row or
cell. These tags write the same markup at a fraction of the cost (bench/governance.py). Every value
goes through `html.escape` (what django.utils.html.escape calls, without its check for lazy
arguments, which was most of format_html's cost here); the page-wide strings through conditional_escape.
The markup stays beside the templates that use it: change both together.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from governance.selectors import PlanFloor, ResidentRow

register = template.Library()


@register.simple_tag
def resident_rows(rows: Iterable[ResidentRow], *, separator: str, overdue: str, due: str) -> SafeString:
    """`<tr>`s of governance/grid_detail.html's resident table (masked values only, see ResidentRow)."""
    pills = {
        "overdue": f'<span class="pill overdue">{conditional_escape(overdue)}</span>',
        "due": f'<span class="pill due">{conditional_escape(due)}</span>',
    }
    sep = conditional_escape(separator)
    out = []
    for r in rows:
        home = f'<a href="{escape(r.household_url)}">{escape(r.household_label)}</a>' if r.household_url else ""
        tags = sep.join(escape(t) for t in r.tags)
        out.append(
            f'<tr><td><a href="{escape(r.url)}">{escape(r.name)}</a></td><td>{home}</td>'
            f"<td>{pills.get(r.visit, '')}</td><td>{escape(r.masked_phone)}</td><td>{tags}</td></tr>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above


@register.simple_tag
def plan_floor_cells(floor: PlanFloor, *, shops: str) -> SafeString:
    """The `<td>`s of one floor of governance/building_detail.html's plan: rooms, shop floors, gaps."""
    out = []
    for seg in floor.units:
        if seg.kind == "none":
            out.append(f'<td class="none" colspan="{int(seg.width)}"></td>')
        elif seg.kind == "shop":
            out.append(f'<td class="shop" colspan="{int(seg.width)}">{conditional_escape(shops)}</td>')
        else:
            for c in seg.cells:
                icons = ""
                if c.tags:
                    spans = "".join(
                        f'<span class="care" title="{escape(t.name)}">{escape(t.icon)}</span>' for t in c.tags
                    )
                    icons = f'<span class="icons">{spans}</span>'
                out.append(
                    f'<td class="cell {escape(c.status)}"><a href="{escape(c.url)}" title="{escape(c.label)}">'
                    f"{escape(c.room_number)}{icons}</a></td>"
                )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above
