"""Rollups: the figures every dashboard reads, kept per metric, tree node, day and key.

A row holds one metric (what is counted) for one node of one tree (a party organisation, an
area, a department) on one day — and again for its month —, optionally split by a key (a course
topic, a report category).
Every change is added to the node it happened at *and to every ancestor*, so a page reads a node's
total from its own rows and a drill-down from its children's rows (`parent_node_id`), never from
the records. The records stay the source of truth: `rollup_rebuild` recomputes the rows from them
(at the end of seeding, and as the periodic reconcile).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tree(models.TextChoices):
    PARTY = "party", _("Party organisations")
    AREA = "area", _("Areas")
    DEPARTMENT = "department", _("Departments")


class Grain(models.TextChoices):
    DAY = "d", _("Day")
    MONTH = "m", _("Month")


class Rollup(models.Model):
    metric = models.CharField(max_length=40)
    tree = models.CharField(max_length=12, choices=Tree.choices)
    # Ids of the tree's own model (core.PartyOrg, core.Area, core.Department); 0 = no parent.
    node_id = models.BigIntegerField()
    parent_node_id = models.BigIntegerField(default=0)
    # Every change is kept twice: on its day, and on its month (day = the first) for period views.
    grain = models.CharField(max_length=1, choices=Grain.choices, default=Grain.DAY)
    day = models.DateField()
    key = models.CharField(max_length=40, blank=True, default="")
    value = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rollup")
        verbose_name_plural = _("rollups")
        constraints = [
            models.UniqueConstraint(fields=["metric", "tree", "grain", "node_id", "day", "key"], name="rollup_unique"),
        ]
        indexes = [models.Index(fields=["metric", "tree", "grain", "parent_node_id", "day"], name="rollup_children")]

    def __str__(self) -> str:
        return f"{self.metric} {self.tree}:{self.node_id} {self.grain}{self.day} {self.key} = {self.value}"


class RollupSource(models.Model):
    """What one record (a live event, a report) last added to the rollups, so that a change to it
    can be applied as the difference between its old and its new contribution."""

    source = models.CharField(max_length=80, unique=True)
    # [[metric, tree, node_id, parent_node_id, "YYYY-MM-DD", key, value], …]
    facts = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rollup source")
        verbose_name_plural = _("rollup sources")

    def __str__(self) -> str:
        return self.source


class RollupRun(models.Model):
    """One rebuild or reconcile: when, for what, how many rows it had to correct."""

    dashboard = models.CharField(max_length=30)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    corrected = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rollup run")
        verbose_name_plural = _("rollup runs")
        ordering = ["-started_at", "-id"]


class RollupReconcileDay(models.Model):
    """The day's scheduled reconcile: the row is its claim (unique per day), so that of several
    processes running the minute jobs only one rebuilds, and only once a day."""

    day = models.DateField(unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    corrected = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("scheduled reconcile")
        verbose_name_plural = _("scheduled reconciles")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}"


class ScreenItem(models.Model):
    """Something the command screen shows as it happens (a report filed, a venue checking in),
    numbered, so a screen that reconnects asks for what it missed after the last id it saw."""

    kind = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("command-screen item")
        verbose_name_plural = _("command-screen items")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"
