"""Forms of the author area."""

from __future__ import annotations

from datetime import UTC

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from ..models import Post, PostStatus
from ..posts import services
from ..posts.services import PostInput

STATUS_CHOICES = [
    SelectChoice(PostStatus.DRAFT.value, "Draft: only you can see it"),
    SelectChoice(PostStatus.SCHEDULED.value, "Scheduled: appears by itself at its time"),
    SelectChoice(PostStatus.PUBLISHED.value, "Published: readers see it now"),
]
# The browser sends "YYYY-MM-DDTHH:MM" (seconds when a step is set); the first
# format is also the one the value is shown in.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class PostForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(), Length(max=services.TITLE_MAX)])
    slug = StringField(
        "Slug",
        validators=[Optional(), Length(max=services.SLUG_MAX)],
        description="The last part of the address. Leave it empty to make one from the title.",
    )
    body = TextAreaField(
        "Body",
        validators=[Length(max=services.BODY_MAX)],
        description="Markdown: **bold**, *italic*, [links](https://example.com), "
        "# headings, lists, tables, ``` code blocks and ![images](/uploads/…).",
    )
    excerpt = TextAreaField(
        "Excerpt",
        validators=[Optional(), Length(max=services.EXCERPT_MAX)],
        description="Shown in lists and feeds. Leave it empty to use the start of the body.",
    )
    tags = StringField(
        "Tags", validators=[Length(max=2_000)], description="Separate tags with commas."
    )
    status = RadioField("Status", choices=STATUS_CHOICES, default=PostStatus.DRAFT.value)
    published_at = DateTimeLocalField(
        "Publication time (UTC)",
        format=DATETIME_FORMATS,
        validators=[Optional()],
        description="In UTC. Needed for a scheduled post; empty means now when publishing.",
    )
    comments_enabled = BooleanField("Allow comments", default=True)
    preview = SubmitField("Preview")
    save = SubmitField("Save")

    def fill_from(self, post: Post) -> None:
        """Show ``post`` as it is now (its effective status: a scheduled post whose
        time has come reads as published)."""
        data = PostInput.from_post(post)
        self.title.data = data.title
        self.slug.data = data.slug
        self.body.data = data.body
        self.excerpt.data = data.excerpt
        self.tags.data = ", ".join(data.tags)
        self.status.data = data.status.value
        self.published_at.data = (
            data.published_at.astimezone(UTC).replace(tzinfo=None) if data.published_at else None
        )
        self.comments_enabled.data = data.comments_enabled

    def to_input(self) -> PostInput:
        when = self.published_at.data
        return PostInput(
            title=self.title.data or "",
            body=self.body.data or "",
            excerpt=self.excerpt.data or "",
            slug=self.slug.data or "",
            tags=services.parse_tags(self.tags.data or ""),
            status=PostStatus(self.status.data),
            published_at=when.replace(tzinfo=UTC) if when else None,
            comments_enabled=bool(self.comments_enabled.data),
        )

    def show_errors(self, fields: dict[str, str]) -> None:
        """Put a service's per-field messages under the matching inputs."""
        for name, message in fields.items():
            field = getattr(self, name, None) or self.title
            field.errors = [*field.errors, message]


class DeleteForm(FlaskForm):
    """An empty form: the CSRF token is all a delete button needs."""

    submit = SubmitField("Delete")


class UploadForm(FlaskForm):
    image = FileField("Image", validators=[FileRequired("Choose an image file to upload.")])
    alt = StringField(
        "Description (alt text)",
        validators=[Length(max=200)],
        description="Say what the image shows, for readers who cannot see it.",
    )
    submit = SubmitField("Upload")
