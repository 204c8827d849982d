"""The Q&A forum's pages. Thin: parse, reach rows through forum.access, call one service, render.

These views take over machina's URLs for the index, forum and topic pages, posting, editing,
deleting, the moderation queue, search and feeds (forum/urls.py is included before machina's), so
machina's own links land here and every write goes through forum.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from machina.apps.forum_conversation.signals import topic_viewed

from forum import selectors
from forum.access import (
    access_forum_by_id,
    access_post_by_id,
    access_report_by_id,
    access_topic_by_id,
    can_moderate,
    may_accept,
    permission_handler,
    readable_forum_ids,
)
from forum.forms import AskForm, EditForm, ReplyForm, ReportForm, SearchForm
from forum.models import PostReport, PostRole
from forum.search import highlighted, search_topics, topic_snippets
from forum.services import moderation, posts


def _status(request: HttpRequest) -> str | None:
    status = request.GET.get("status")
    return status if status in selectors.STATUS_FILTERS else None


def _post_redirect(post) -> HttpResponse:
    return redirect(reverse("qa:post", args=[post.pk]))


def _after_posting(request: HttpRequest, post) -> None:
    if post.approved:
        messages.success(request, _("Your post is published."))
    else:
        messages.info(request, _("Thank you. Your post will appear once a moderator has approved it."))


def _form_error(form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


# --- Reading ------------------------------------------------------------------------------------


def index(request: HttpRequest) -> HttpResponse:
    handler = permission_handler(request)
    rows = selectors.forum_rows(request.user, handler=handler)
    forum_ids = readable_forum_ids(request.user, handler=handler)
    status = _status(request)
    page = selectors.topics_page(selectors.topics_in(forum_ids, status=status), request.GET.get("page"))
    return render(
        request,
        "qa/index.html",
        {
            "rows": rows,
            "page": page,
            "status": status,
            "counts": selectors.status_counts(forum_ids),
            "can_ask": bool(selectors.postable_forums(request.user, handler=handler)),
            "search_form": SearchForm(),
            "moderator": bool(selectors.moderation_forums(request.user, handler=handler)),
        },
    )


def forum_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    handler = permission_handler(request)
    forum = access_forum_by_id(request.user, pk, handler=handler)
    readable = readable_forum_ids(request.user, handler=handler)
    subtree = [f.pk for f in forum.get_descendants(include_self=True) if f.pk in readable]
    status = _status(request)
    page = selectors.topics_page(selectors.topics_in(subtree, status=status), request.GET.get("page"))
    return render(
        request,
        "qa/forum.html",
        {
            "forum": forum,
            "ancestors": forum.get_ancestors(),
            "private_org": selectors.forum_private_org(forum),
            "children": [f for f in forum.get_children() if f.pk in readable],
            "page": page,
            "status": status,
            "counts": selectors.status_counts(subtree),
            "announcements": selectors.announcements_in(forum) if forum.is_forum else [],
            "can_ask": forum.is_forum and request.user.is_authenticated and handler.can_add_topic(forum, request.user),
            "show_forum": len(subtree) > 1,
        },
    )


def topic_detail(request: HttpRequest, forum_slug: str, forum_pk: int, slug: str, pk: int) -> HttpResponse:
    handler = permission_handler(request)
    topic = access_topic_by_id(request.user, pk, handler=handler)
    if topic.forum_id != forum_pk:
        return redirect(selectors.topic_url(topic), permanent=True)
    page = selectors.topic_page(topic, request.user, page_number=request.GET.get("page"), handler=handler)
    user = request.user
    can_reply = user.is_authenticated and topic.approved and handler.can_add_post(topic, user)
    context = {
        "topic": topic,
        "forum": topic.forum,
        "ancestors": topic.forum.get_ancestors(),
        "page": page,
        "question": getattr(topic, "qa", None),
        "can_reply": can_reply,
        "can_accept": may_accept(user, topic, handler=handler),
        "reply_form": ReplyForm(),
        "handler": handler,
    }
    response = render(request, "qa/topic.html", context)
    # machina's receivers count the view and mark the topic read for the member.
    topic_viewed.send(sender=topic_detail, topic=topic, user=user, request=request, response=response)
    return response


def post_permalink(request: HttpRequest, pk: int) -> HttpResponse:
    handler = permission_handler(request)
    post = access_post_by_id(request.user, pk, handler=handler)
    moderator = can_moderate(request.user, post.topic.forum, handler=handler)
    number = selectors.post_page_number(post, request.user, moderator=moderator)
    query = f"?page={number}" if number > 1 else ""
    return redirect(f"{selectors.topic_url(post.topic)}{query}#post-{post.pk}")


def search(request: HttpRequest) -> HttpResponse:
    handler = permission_handler(request)
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    results = None
    if query:
        page = Paginator(search_topics(request.user, query, handler=handler), selectors.TOPICS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        results = page
        snippets = topic_snippets(page.object_list, query)
        for topic in page.object_list:
            topic.title_spans = highlighted(topic.subject, query)
            topic.snippet_spans = highlighted(snippets[topic.pk], query)
    return render(request, "qa/search.html", {"form": form, "query": query, "page": results})


# --- Posting ------------------------------------------------------------------------------------


@login_required
def ask(request: HttpRequest, forum_slug: str | None = None, forum_pk: int | None = None) -> HttpResponse:
    handler = permission_handler(request)
    forums = selectors.postable_forums(request.user, handler=handler)
    if forum_pk is not None:
        forum = access_forum_by_id(request.user, forum_pk, handler=handler)
        if forum not in forums:
            raise Http404
    initial = {"forum": forum_pk} if forum_pk else {}
    form = AskForm(request.POST or None, forums=forums, initial=initial)
    if request.method == "POST" and form.is_valid():
        forum = access_forum_by_id(request.user, form.cleaned_data["forum"], handler=handler)
        try:
            post = posts.question_ask(
                user=request.user,
                forum=forum,
                subject=form.cleaned_data["subject"],
                content=form.cleaned_data["content"],
                handler=handler,
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            _after_posting(request, post)
            if post.approved:
                return redirect(selectors.topic_url(post.topic))
            return redirect(selectors.forum_url(forum))
    return render(request, "qa/ask.html", {"form": form, "forums": forums})


def _reply_view(request: HttpRequest, *, target, kind: str, write) -> HttpResponse:
    """GET shows the reply form; POST posts it. Errors come back with the text kept."""
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            post = write(form.cleaned_data["content"])
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            _after_posting(request, post)
            return _post_redirect(post)
    return render(
        request,
        "qa/reply.html",
        {"form": form, "target": target, "kind": kind, "topic": target.topic, "action": request.path},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def answer(request: HttpRequest, forum_slug: str, forum_pk: int, topic_slug: str, topic_pk: int) -> HttpResponse:
    handler = permission_handler(request)
    topic = access_topic_by_id(request.user, topic_pk, handler=handler)
    return _reply_view(
        request,
        target=topic.first_post,
        kind=PostRole.Kind.ANSWER,
        write=lambda content: posts.answer_post(user=request.user, topic=topic, content=content, handler=handler),
    )


# The replies hung under a post: a follow-up (on the question or an answer), a supplement (on an answer).
_POST_REPLIES = {
    PostRole.Kind.FOLLOW_UP: lambda user, post, content, handler: posts.follow_up_post(
        user=user, target=post, content=content, handler=handler
    ),
    PostRole.Kind.SUPPLEMENT: lambda user, post, content, handler: posts.supplement_post(
        user=user, answer=post, content=content, handler=handler
    ),
}


@login_required
def reply_to_post(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    handler = permission_handler(request)
    target = access_post_by_id(request.user, pk, handler=handler)
    write = _POST_REPLIES[kind]
    return _reply_view(
        request,
        target=target,
        kind=kind,
        write=lambda content: write(request.user, target, content, handler),
    )


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    handler = permission_handler(request)
    answer_post = access_post_by_id(request.user, pk, handler=handler)
    try:
        posts.answer_accept(user=request.user, answer=answer_post, handler=handler)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Answer accepted. The question is marked as solved."))
    return _post_redirect(answer_post)


@login_required
@require_POST
def unaccept(request: HttpRequest, pk: int) -> HttpResponse:
    handler = permission_handler(request)
    topic = access_topic_by_id(request.user, pk, handler=handler)
    posts.answer_unaccept(user=request.user, topic=topic, handler=handler)
    messages.success(request, _("The accepted answer was withdrawn."))
    return redirect(selectors.topic_url(topic))


@login_required
def post_edit(
    request: HttpRequest, forum_slug: str, forum_pk: int, topic_slug: str, topic_pk: int, pk: int
) -> HttpResponse:
    handler = permission_handler(request)
    post = access_post_by_id(request.user, pk, handler=handler)
    if not handler.can_edit_post(post, request.user):
        raise Http404
    is_question = post.pk == post.topic.first_post_id
    initial = {"content": post.content.raw, "subject": post.topic.subject}
    form = EditForm(request.POST or None, initial=initial, with_subject=is_question)
    if request.method == "POST" and form.is_valid():
        try:
            posts.post_edit(
                user=request.user,
                post=post,
                content=form.cleaned_data["content"],
                subject=form.cleaned_data.get("subject"),
                handler=handler,
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your changes are saved."))
            return _post_redirect(post)
    return render(request, "qa/edit.html", {"form": form, "post": post, "topic": post.topic})


@login_required
def topic_edit(request: HttpRequest, forum_slug: str, forum_pk: int, slug: str, pk: int) -> HttpResponse:
    topic = access_topic_by_id(request.user, pk, handler=permission_handler(request))
    return redirect(
        "forum_conversation:post_update",
        forum_slug=topic.forum.slug,
        forum_pk=topic.forum_id,
        topic_slug=topic.slug,
        topic_pk=topic.pk,
        pk=topic.first_post_id,
    )


@login_required
def post_delete(
    request: HttpRequest, forum_slug: str, forum_pk: int, topic_slug: str, topic_pk: int, pk: int
) -> HttpResponse:
    handler = permission_handler(request)
    post = access_post_by_id(request.user, pk, handler=handler)
    if not handler.can_delete_post(post, request.user):
        raise Http404
    if request.method == "POST":
        forum = post.topic.forum
        topic = posts.post_delete(user=request.user, post=post, handler=handler)
        messages.success(request, _("The post was deleted."))
        return redirect(selectors.topic_url(topic) if topic else selectors.forum_url(forum))
    return render(request, "qa/delete.html", {"post": post, "topic": post.topic})


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    handler = permission_handler(request)
    post = access_post_by_id(request.user, pk, handler=handler)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            moderation.report_create(
                user=request.user,
                post=post,
                reason=form.cleaned_data["reason"],
                detail=form.cleaned_data["detail"],
                handler=handler,
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Thank you. The moderators will look at this post."))
            return _post_redirect(post)
    return render(request, "qa/report.html", {"form": form, "post": post, "topic": post.topic})


# --- Moderation ---------------------------------------------------------------------------------


def _moderation_forums(request: HttpRequest) -> list:
    forums = selectors.moderation_forums(request.user, handler=permission_handler(request))
    if not forums:
        raise Http404
    return forums


@login_required
def moderation_queue(request: HttpRequest) -> HttpResponse:
    forums = _moderation_forums(request)
    queued = Paginator(selectors.queued_posts(forums), selectors.TOPICS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "qa/moderation.html",
        {"queued": queued, "reports": list(selectors.open_reports(forums)[:100]), "reasons": PostReport.Reason},
    )


@login_required
def queued_post(request: HttpRequest, pk: int) -> HttpResponse:
    handler = permission_handler(request)
    post = access_post_by_id(request.user, pk, handler=handler)
    if post.approved or not can_moderate(request.user, post.topic.forum, handler=handler):
        raise Http404
    return render(request, "qa/queued_post.html", {"post": post, "topic": post.topic})


@login_required
@require_POST
def queued_post_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    handler = permission_handler(request)
    post = access_post_by_id(request.user, pk, handler=handler)
    if not can_moderate(request.user, post.topic.forum, handler=handler):
        raise Http404
    if decision == "approve":
        moderation.post_approve(user=request.user, post=post, handler=handler)
        messages.success(request, _("The post is approved and published."))
    else:
        try:
            moderation.post_disapprove(user=request.user, post=post, handler=handler)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The post was refused and removed."))
    return redirect("forum_moderation:queue")


@login_required
@require_POST
def report_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    handler = permission_handler(request)
    report_row = access_report_by_id(request.user, pk, handler=handler)
    remove = request.POST.get("action") == "remove"
    moderation.report_resolve(user=request.user, report=report_row, remove_post=remove, handler=handler)
    messages.success(request, _("The post was removed.") if remove else _("The report was dismissed."))
    return redirect("forum_moderation:queue")
