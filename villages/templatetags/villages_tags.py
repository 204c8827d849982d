from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def wan(value) -> str:
    """Yuan shown in 万元 with two decimals (the unit village accounts are reported in)."""
    if value in (None, ""):
        return "—"
    return f"{Decimal(value) / Decimal(10000):,.2f}"
