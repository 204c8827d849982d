"""Django admin for the forum's own models. machina's admin (forums, their permissions) stays as is.

A forum policy is saved through forum_policy_set, which also writes the machina rows that make a
forum private; saving the row alone would leave the forum open.
"""

from __future__ import annotations

from django.contrib import admin

from forum.models import ForumPolicy, PostReport, Question
from forum.services.policies import forum_policy_set


@admin.register(ForumPolicy)
class ForumPolicyAdmin(admin.ModelAdmin):
    list_display = ("forum", "party_org", "moderate_newcomers", "newcomer_threshold")
    list_filter = ("moderate_newcomers",)
    autocomplete_fields = ("party_org",)
    raw_id_fields = ("forum",)

    def save_model(self, request, obj, form, change):
        forum_policy_set(
            forum=obj.forum,
            party_org=obj.party_org,
            moderate_newcomers=obj.moderate_newcomers,
            newcomer_threshold=obj.newcomer_threshold,
        )

    def delete_model(self, request, obj):
        forum_policy_set(forum=obj.forum)  # public again: the machina denials go too
        obj.delete()

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(PostReport)
class PostReportAdmin(admin.ModelAdmin):
    list_display = ("created_at", "forum", "reason", "status", "reporter", "post_excerpt")
    list_filter = ("status", "reason")
    readonly_fields = (
        "post",
        "post_excerpt",
        "forum",
        "reporter",
        "reason",
        "detail",
        "created_at",
        "handled_by",
        "handled_at",
    )

    def has_add_permission(self, request):
        return False


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("topic", "status", "answers_count", "source")
    list_filter = ("status", "source")
    readonly_fields = (
        "topic",
        "status",
        "answers_count",
        "accepted_answer",
        "accepted_by",
        "accepted_at",
        "search_terms",
    )
    fields = readonly_fields + ("source", "source_title")

    def has_add_permission(self, request):
        return False
