from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from core.forms import AreaAdminForm, PartyOrgAdminForm
from core.masking import mask_phone
from core.models import Area, AuditLog, Department, Membership, Notification, PartyOrg, TreeNode, User
from core.services.trees import area_create, area_update, party_org_create, party_org_update


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["area", "department", "party_org"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    # Masked in lists like everywhere else on the site; the edit form still shows it to change it.
    list_display = ["username", "name", "masked_mobile", "is_active", "is_staff"]
    search_fields = ["username", "name", "mobile"]

    @admin.display(description=_("mobile number"), ordering="mobile")
    def masked_mobile(self, user: User) -> str:
        return mask_phone(user.mobile or "")

    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (_("Personal details"), {"fields": ["name", "mobile"]}))
    inlines = [MembershipInline]


def _adopt(obj: TreeNode, saved: TreeNode) -> None:
    """The admin logs and redirects with the instance it built from the form: give it the saved row's identity."""
    obj.pk, obj.path, obj.depth = saved.pk, saved.path, saved.depth
    obj._state.adding, obj._state.db = False, saved._state.db


class TreeNodeAdmin(admin.ModelAdmin):
    """Areas and party organisations: the place in the tree (parent, code → path, depth) is written
    by core.services.trees only, which moves a node with its whole subtree; the form checks first."""

    readonly_fields = ["path", "depth"]
    tree_fields = ("code", "parent")

    def plain_fields(self, form) -> dict:
        return {k: v for k, v in form.cleaned_data.items() if k not in (*self.tree_fields, "level")}


@admin.register(Area)
class AreaAdmin(TreeNodeAdmin):
    form = AreaAdminForm
    list_display = ["name", "level", "code", "parent", "households", "population"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent"]
    fields = ["name", "code", "level", "parent", "path", "depth", "households", "population", "latitude", "longitude"]

    def get_readonly_fields(self, request, obj=None):
        # A node's level fixes its place between its parent's and its children's: it never changes.
        return [*self.readonly_fields, "level"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj: Area, form, change: bool) -> None:
        data, plain = form.cleaned_data, self.plain_fields(form)
        if change:
            area_update(area=obj, parent=data["parent"], code=data["code"], by=request.user, request=request, **plain)
        else:
            _adopt(obj, area_create(level=data["level"], parent=data["parent"], code=data["code"], **plain))


@admin.register(PartyOrg)
class PartyOrgAdmin(TreeNodeAdmin):
    form = PartyOrgAdminForm
    list_display = ["name", "kind", "code", "parent", "area"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent", "area"]
    fields = ["name", "code", "kind", "parent", "area", "path", "depth"]

    def save_model(self, request, obj: PartyOrg, form, change: bool) -> None:
        data, plain = form.cleaned_data, self.plain_fields(form)
        if change:
            party_org_update(
                org=obj, parent=data["parent"], code=data["code"], by=request.user, request=request, **plain
            )
        else:
            _adopt(obj, party_org_create(parent=data["parent"], code=data["code"], **plain))


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name"]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "object_repr", "ip"]
    list_filter = ["action"]
    search_fields = ["object_repr", "actor__username", "actor__name"]

    # The audit log is append-only, even for superusers.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    raw_id_fields = ["recipient"]
