"""Helpers every controller uses: rendering pages with the shared context, pagination,
form values, and the principal of the request."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from litestar import Request, Response
from litestar.response import Redirect, Template

from core.auth.guards import principal_of
from core.auth.roles import Principal
from core.errors import DomainError, FieldErrors, Forbidden, NotFound
from core.nav import flash

T = TypeVar("T")

MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    page_size: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    def as_json(self, items: list[Any] | None = None) -> dict[str, Any]:
        return {
            "items": self.items if items is None else items,
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
        }


def paging(page: int | None, page_size: int | None, default_size: int = 20) -> tuple[int, int]:
    """Clamp page numbers from the query string to sane bounds."""
    page = min(MAX_PAGE, max(1, page or 1))  # huge numbers would overflow the SQL offset
    page_size = min(MAX_PAGE_SIZE, max(1, page_size or default_size))
    return page, page_size


class PlatformResponse(Response):
    """Every JSON answer (the app's response class): instants on the platform's wall clock,
    ISO 8601 with its offset (core.clock.localise)."""

    def render(self, content: Any, media_type: str, enc_hook: Any = None) -> bytes:
        from core.clock import localise

        if not isinstance(content, bytes | str) and "json" in media_type:
            content = localise(content)
        return super().render(content, media_type, enc_hook) if enc_hook else super().render(content, media_type)


class FormTemplate(Template):
    """A page whose forms each send a one-time key beside the CSRF token, so a form sent twice
    (a double click, a resubmission) runs once (core/idempotency.py)."""

    def create_template_context(self, request: Request) -> dict[str, Any]:
        from core.idempotency import form_key_input

        context = super().create_template_context(request)
        context["csrf_input"] = context["csrf_input"] + form_key_input()
        return context


def render(template: str, status_code: int = 200, **context: Any) -> Template:
    return FormTemplate(template_name=template, context=context, status_code=status_code)


def who(request: Request) -> Principal:
    return principal_of(request)


def back_to(path: str) -> Redirect:
    return Redirect(path=path, status_code=303)


def field_errors(refused: DomainError, field: str = "form") -> dict[str, str]:
    """A refusal as {field: message} for the form that caused it."""
    if isinstance(refused, FieldErrors):
        return refused.errors
    return {refused.field or field: refused.message}


async def submitted(request: Request, action: Awaitable[T], *,
                    again: Callable[[dict[str, str]], Awaitable[Template]],
                    then: str | Callable[[T], str], said: str | None = None,
                    field: str = "form", status_code: int | None = 400) -> Template | Redirect:
    """How every form handler ends: run the service; when a rule refuses, the same page again
    with each message next to its field (400, or the refusal's own status when status_code is
    None); when it succeeds, a message saying what happened and a redirect (post/redirect/get).
    A record that is not there or not the user's (404, 403) is not a form error: it keeps its
    own error page."""
    try:
        result = await action
    except (NotFound, Forbidden):
        raise
    except DomainError as refused:
        page = await again(field_errors(refused, field))
        page.status_code = status_code or refused.status_code
        return page
    if said:
        flash(request, said, "ok")
    return back_to(then(result) if callable(then) else then)


async def form_data(request: Request) -> dict[str, str]:
    """Form fields as plain stripped strings (last value wins), files excluded."""
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def safe_next(target: str | None) -> str:
    """Only same-site relative redirects after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def uploaded_files(form: Any, key: str) -> list[tuple[str, bytes]]:
    """(file name, content) of the files actually chosen in a multi-file field (browsers send
    an empty part when none is chosen)."""
    from litestar.datastructures import UploadFile

    try:
        parts = form.getall(key)
    except KeyError:
        return []
    return [(p.filename, await p.read()) for p in parts if isinstance(p, UploadFile) and p.filename]


def form_list(form: Any, key: str) -> list[str]:
    """Every value of a repeated form field (checkboxes), [] when none was ticked."""
    try:
        return [v for v in form.getall(key) if isinstance(v, str) and v]
    except KeyError:
        return []
