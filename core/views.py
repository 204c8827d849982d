"""Accounts, health, notifications and notices. Thin: parse, access, one service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET, require_POST

from core.access import AuthenticatedHttpRequest, access_area_by_id, areas_visible_to, memberships_of
from core.forms import LoginForm, NoticeForm
from core.health import health_report
from core.masking import mask_phone
from core.models import Area
from core.navigation import TABS, entries_for
from core.selectors import notifications_for
from core.services.notices import notice_broadcast, notice_may_send
from core.services.notifications import notifications_mark_read


@requires_csrf_token
def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """The site's 500 page. Like Django's, it runs no context processors (the database or cache may be
    what failed), so the frame gets only what needs neither."""
    try:
        html = loader.get_template(template_name).render(
            {"SITE_NAME": settings.WAGTAIL_SITE_NAME, "nav_tabs": TABS, "user": None}
        )
    except Exception:  # the page must never fail in turn
        return HttpResponseServerError("<h1>500 服务器错误 / Server Error</h1>", content_type="text/html")
    return HttpResponseServerError(html)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "core/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "core/password_change.html"
    success_url = reverse_lazy("core:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "core/password_change_done.html"


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["ok"] else 503, json_dumps_params={"ensure_ascii": False})


@login_required
def me(request: AuthenticatedHttpRequest) -> HttpResponse:
    """我的: the person's profile, latest notifications and every entry their roles give them."""
    user = request.user
    return render(
        request,
        "core/me.html",
        {
            "mobile": mask_phone(user.mobile or ""),
            "memberships": memberships_of(user),
            "latest_notifications": list(notifications_for(user)[:3]),
            "sections": entries_for(user),
        },
    )


@login_required
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page": page})


@login_required
@require_POST
def notification_mark_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    raw = request.POST.getlist("id")
    try:
        ids = [int(i) for i in raw] if raw else None
    except ValueError:
        messages.error(request, _("Invalid request."))
        return redirect("core:notifications")
    notifications_mark_read(user=request.user, ids=ids)
    return redirect("core:notifications")


@login_required
def notice_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not notice_may_send(request.user):
        raise Http404
    areas = areas_visible_to(request.user).filter(level__lt=Area.Level.GRID)
    form = NoticeForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        area = access_area_by_id(request.user, form.cleaned_data["area"].pk)
        rows = notice_broadcast(
            by=request.user, area=area, title=form.cleaned_data["title"], body=form.cleaned_data["body"]
        )
        messages.success(
            request,
            ngettext("Notice sent to %(count)d person.", "Notice sent to %(count)d people.", len(rows))
            % {"count": len(rows)},
        )
        return redirect("core:notice_create")
    return render(request, "core/notice_form.html", {"form": form})
