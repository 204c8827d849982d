"""StreamField blocks shared by every CMS page type (and by other apps' pages that want them)."""

from __future__ import annotations

from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtail.rich_text import RichText, expand_db_html

from cms.sanitize import clean_rich_html

RICH_TEXT_FEATURES = ["h2", "h3", "h4", "bold", "italic", "ol", "ul", "hr", "link", "document-link", "image"]
SIMPLE_TEXT_FEATURES = ["bold", "italic", "ol", "ul", "link", "document-link"]


class SafeRichText(RichText):
    """Rich text whose rendering is sanitised after Wagtail expands its links and images."""

    def __html__(self) -> str:
        return mark_safe(clean_rich_html(expand_db_html(self.source)))  # noqa: S308 - sanitised just above

    def __str__(self) -> str:
        return self.__html__()


class SafeRichTextBlock(blocks.RichTextBlock):
    def __init__(self, *args, features: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, features=features or RICH_TEXT_FEATURES, **kwargs)

    def to_python(self, value):
        return SafeRichText(value)

    def value_from_form(self, value):
        return SafeRichText(value)

    def normalize(self, value):
        if isinstance(value, SafeRichText):
            return value
        return SafeRichText(value.source if isinstance(value, RichText) else (value or ""))

    def get_default(self):
        return SafeRichText(self.meta.default or "")

    def render_basic(self, value, context=None):
        return self.normalize(value).__html__()

    class Meta:
        icon = "pilcrow"
        label = _("Text")


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    caption = blocks.CharBlock(required=False, max_length=200, label=_("Caption"))
    alt = blocks.CharBlock(
        required=False,
        max_length=200,
        label=_("Alternative text"),
        help_text=_("Describe the picture for screen readers"),
    )

    class Meta:
        icon = "image"
        label = _("Image with caption")
        template = "cms/blocks/captioned_image.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quotation"))
    attribution = blocks.CharBlock(required=False, max_length=100, label=_("Source"))

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "cms/blocks/quote.html"


class DocumentListBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=100, label=_("Heading"))
    documents = blocks.ListBlock(DocumentChooserBlock(label=_("Document")), label=_("Documents"))

    class Meta:
        icon = "doc-full"
        label = _("Document list")
        template = "cms/blocks/document_list.html"


class EmbeddedLessonBlock(blocks.StructBlock):
    """A card linking to a lesson of the online classroom.

    News pages are public (and cached for anonymous readers), lessons may not be: the card names the
    lesson only to a reader who may open it. Rendered without a request (the API, feeds) it is
    rendered for an anonymous reader. A signed-out reader of a restricted lesson sees an invitation
    to sign in that names nothing; a signed-in reader who may not open it sees nothing.
    """

    lesson = blocks.PageChooserBlock(page_type="learning.LessonPage", label=_("Lesson"))
    note = blocks.CharBlock(required=False, max_length=120, label=_("Why watch it"))

    def get_context(self, value, parent_context=None):
        from django.contrib.auth.models import AnonymousUser

        from learning.access import lesson_visible_to

        context = super().get_context(value, parent_context=parent_context)
        request = (parent_context or {}).get("request")
        user = getattr(request, "user", None) or AnonymousUser()
        lesson = value.get("lesson")
        live = bool(lesson and lesson.live)
        context["lesson_visible"] = live and lesson_visible_to(user, lesson)
        context["lesson_hidden_sign_in"] = live and not context["lesson_visible"] and not user.is_authenticated
        context["next_path"] = request.get_full_path() if request else ""
        return context

    class Meta:
        icon = "media"
        label = _("Embedded lesson")
        template = "cms/blocks/embedded_lesson.html"


def base_blocks() -> list[tuple[str, blocks.Block]]:
    """The blocks every body StreamField offers. A function: block instances must not be shared."""
    return [
        ("paragraph", SafeRichTextBlock()),
        ("image", CaptionedImageBlock()),
        ("quote", QuoteBlock()),
        ("documents", DocumentListBlock()),
        ("lesson", EmbeddedLessonBlock()),
    ]


class StepBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=100, label=_("Step"))
    detail = SafeRichTextBlock(required=False, features=SIMPLE_TEXT_FEATURES, label=_("What to do"))

    class Meta:
        icon = "list-ol"
        label = _("Step")


class MaterialBlock(blocks.StructBlock):
    name = blocks.CharBlock(max_length=100, label=_("Material"))
    copies = blocks.CharBlock(required=False, max_length=60, label=_("Copies"))
    note = blocks.CharBlock(required=False, max_length=200, label=_("Note"))
    required = blocks.BooleanBlock(required=False, default=True, label=_("Required"))

    class Meta:
        icon = "clipboard-list"
        label = _("Required material")


class FAQBlock(blocks.StructBlock):
    question = blocks.CharBlock(max_length=200, label=_("Question"))
    answer = SafeRichTextBlock(features=SIMPLE_TEXT_FEATURES, label=_("Answer"))

    class Meta:
        icon = "help"
        label = _("Question and answer")


def stream_text(stream) -> str:
    """All the text a StreamField holds, for the search index (tags stripped by Wagtail)."""
    if not stream:
        return ""
    return " ".join(str(part) for part in stream.stream_block.get_searchable_content(stream))
