from django.contrib import admin

from governance.models import Resident


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    # The Django admin shows masked values only; full values are read through the audited page.
    list_display = ["display_name", "grid", "address", "masked_phone"]
    raw_id_fields = ["grid", "created_by"]
    search_fields = ["address"]
    exclude = ["phone", "id_number"]
