"""Editing rights and the approval workflow: editors submit, reviewers approve or ask for changes,
department editors touch only their own department's section, scheduled publishing works."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Page, TaskState, WorkflowState

from cms.models import NewsIndexPage, NewsPage, UpdatePage
from cms.tests.factories import make_department_editor, make_member_of, make_news, make_update
from core.tests.factories import DEFAULT_PASSWORD, make_department

pytestmark = pytest.mark.django_db


@pytest.fixture
def departments(tree):
    return make_department(tree["city"], "农业农村局"), make_department(tree["city"], "卫生健康局")


def draft_news(title: str, user) -> NewsPage:
    index = NewsIndexPage.objects.get()
    page = NewsPage(title=title, slug=f"draft-{abs(hash(title)) % 10**6}", live=False, owner=user)
    index.add_child(instance=page)
    page.save_revision(user=user)
    return page


def submit(page: Page, user) -> WorkflowState:
    workflow = page.get_workflow()
    assert workflow is not None, "the default approval workflow should cover every page"
    return workflow.start(page, user)


def current_task(page: Page) -> TaskState:
    return page.current_workflow_task_state.specific


def test_editor_can_edit_but_not_publish(groups):
    editor = make_member_of(groups["editor"])
    reviewer = make_member_of(groups["reviewer"])
    page = make_news("稿件")
    assert page.permissions_for_user(editor).can_edit()
    assert not page.permissions_for_user(editor).can_publish()
    assert page.permissions_for_user(reviewer).can_publish()


def test_reviewer_approves_an_editors_submission(groups):
    editor = make_member_of(groups["editor"])
    reviewer = make_member_of(groups["reviewer"])
    page = draft_news("推进乡村振兴工作会议召开", editor)
    submit(page, editor)
    task_state = current_task(page)
    task = task_state.task.specific
    assert "approve" not in [name for name, *_ in task.get_actions(page, editor)]
    assert "approve" in [name for name, *_ in task.get_actions(page, reviewer)]

    task.on_action(task_state, reviewer, "approve", comment="同意发布")
    page.refresh_from_db()
    assert page.live and page.workflow_states.get().status == WorkflowState.STATUS_APPROVED


def test_reviewer_requests_changes_with_a_comment(groups):
    editor = make_member_of(groups["editor"])
    reviewer = make_member_of(groups["reviewer"])
    page = draft_news("需要修改的稿件", editor)
    submit(page, editor)
    task_state = current_task(page)
    task_state.task.specific.on_action(task_state, reviewer, "reject", comment="标题请写明时间地点")
    page.refresh_from_db()
    task_state.refresh_from_db()
    assert not page.live
    assert task_state.status == TaskState.STATUS_REJECTED
    assert task_state.get_comment() == "标题请写明时间地点"


def edit_form(page: Page, **changes) -> dict:
    """What the page editor posts for a news page with an empty body."""
    return {
        "title": page.title,
        "slug": page.slug,
        "date": "2026-05-04",
        "summary": "",
        "source": "",
        "author": "",
        "body-count": "0",
        "tags": "",
        "comments-TOTAL_FORMS": "0",
        "comments-INITIAL_FORMS": "0",
        "comments-MIN_NUM_FORMS": "0",
        "comments-MAX_NUM_FORMS": "1000",
        **changes,
    }


def test_submitting_through_the_admin_as_an_editor(groups, client):
    editor = make_member_of(groups["editor"])
    page = draft_news("从后台提交的稿件", editor)
    assert client.login(username=editor.username, password=DEFAULT_PASSWORD)
    response = client.post(f"/admin/pages/{page.pk}/edit/", edit_form(page, **{"action-submit": "1"}))
    assert response.status_code == 302, response.content.decode()[:2000]
    page.refresh_from_db()
    assert not page.live
    assert page.current_workflow_state is not None and page.current_workflow_state.status == "in_progress"


def test_department_editor_edits_only_their_own_section(groups, departments, client):
    own, other = departments
    editor = make_department_editor(own)
    own_update = make_update(own, "农业农村局召开春耕工作会")
    other_update = make_update(other, "卫生健康局开展义诊")

    assert own_update.permissions_for_user(editor).can_edit()
    assert not other_update.permissions_for_user(editor).can_edit()
    assert own.updates_section.permissions_for_user(editor).can_add_subpage()
    assert not other.updates_section.permissions_for_user(editor).can_add_subpage()
    assert not own_update.permissions_for_user(editor).can_publish()  # their work goes through review
    assert not NewsIndexPage.objects.get().permissions_for_user(editor).can_add_subpage()

    assert client.login(username=editor.username, password=DEFAULT_PASSWORD)
    assert client.get(f"/admin/pages/{own_update.pk}/edit/").status_code == 200
    assert client.get(f"/admin/pages/{other_update.pk}/edit/").status_code in (302, 403)
    assert client.get(f"/admin/pages/add/cms/updatepage/{own.updates_section.pk}/").status_code == 200
    assert client.get(f"/admin/pages/add/cms/updatepage/{other.updates_section.pk}/").status_code in (302, 403)


def test_update_takes_its_department_name_from_its_section(departments):
    own, _ = departments
    update = make_update(own, "农业农村局工作例会")
    assert UpdatePage.objects.get(pk=update.pk).department_name == "农业农村局"


def test_scheduled_go_live_and_expiry(groups):
    page = draft_news("定时发布的通知", None)
    page.go_live_at = timezone.now() + datetime.timedelta(hours=1)
    revision = page.save_revision()
    revision.publish()
    page.refresh_from_db()
    assert not page.live
    revision.refresh_from_db()
    assert revision.approved_go_live_at is not None

    # An hour later (as far as the revision can tell):
    past = timezone.now() - datetime.timedelta(minutes=1)
    revision.approved_go_live_at = past
    revision.content["go_live_at"] = past.isoformat()
    revision.save(update_fields=["approved_go_live_at", "content"])
    call_command("publish_scheduled", verbosity=0)
    page.refresh_from_db()
    assert page.live

    NewsPage.objects.filter(pk=page.pk).update(expire_at=timezone.now() - datetime.timedelta(minutes=1))
    call_command("publish_scheduled", verbosity=0)
    page.refresh_from_db()
    assert not page.live and page.expired


def test_revisions_are_kept_and_the_previous_one_can_be_restored(groups):
    page = make_news("第一版标题")
    first = page.latest_revision
    page.title = "第二版标题"
    page.save_revision().publish()
    assert page.revisions.count() == 2
    first.as_object().save_revision().publish()
    page.refresh_from_db()
    assert page.title == "第一版标题"


def test_editor_previews_unsaved_changes(groups, client):
    editor = make_member_of(groups["editor"])
    page = draft_news("预览前的标题", editor)
    assert client.login(username=editor.username, password=DEFAULT_PASSWORD)
    url = f"/admin/pages/{page.pk}/edit/preview/"
    response = client.post(url, edit_form(page, title="预览中的新标题", summary="只在预览里看到"))
    assert response.json()["is_valid"] is True
    html = client.get(url).content.decode()
    assert "预览中的新标题" in html and "只在预览里看到" in html
    page.refresh_from_db()
    assert page.title == "预览前的标题" and not page.live  # nothing saved or published
