from django.contrib import admin

from streaming.models import Invitation, LiveEvent, Venue


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "party_org", "area", "capacity"]
    list_filter = ["kind"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["party_org", "area"]


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    autocomplete_fields = ["venue"]


@admin.register(LiveEvent)
class LiveEventAdmin(admin.ModelAdmin):
    list_display = ["title", "state", "scheduled_start", "organiser", "audience"]
    list_filter = ["state", "audience"]
    search_fields = ["title"]
    date_hierarchy = "scheduled_start"
    # State changes go through the host console (services publish them to every screen).
    readonly_fields = ["state", "started_at", "ended_at", "last_seq", "cancel_reason"]
    raw_id_fields = ["organiser", "organiser_org", "main_venue"]
    inlines = [InvitationInline]
