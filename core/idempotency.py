"""The same request sent twice does one thing.

- API: every `POST` under /api/ honours an `Idempotency-Key` header (IETF draft "The
  Idempotency-Key HTTP Header Field"): the first request with a key runs and its answer is kept;
  the same key with the same request gets that answer back (same status and body, header
  `Idempotent-Replayed: true`) and runs nothing; the same key with another request answers 422;
  while the first is still running, a repeat answers 409 (retry after a second).
- Pages: every form carries a one-time key beside its CSRF token (`form_key_input`, added by
  `core.web.render`). A form sent twice — a double click, a resubmission from history — runs
  once: the repeat waits for the first to finish and gets the same redirect.

One app-level middleware does both, so no route can forget it. Keys belong to an account and
are forgotten after `rules.idempotency_key_hours`. The operations themselves are idempotent in
the database too where it matters (one live selection per case, one appointment per
application...); this layer answers a repeat with the first answer instead of a refusal.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import re
import secrets
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from litestar.openapi.spec import OpenAPIResponse, OpenAPIType, Operation, Parameter, Schema
from litestar.types import (
    ASGIApp,
    HTTPReceiveMessage,
    HTTPRequestEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    Scope,
    Send,
    WebSocketReceiveMessage,
)

from core import clock
from core.db import write_transaction
from core.errors import Conflict
from core.i18n import _
from core.scope import extras, http_scope
from core.settings import get_settings
from core.tables import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
FORM_FIELD = "_form_key"
REPEAT_SAFE = "repeat_safe"
# API POSTs that keep no answer: naming them here is the only way out of the mechanism.
EXEMPT = {
    "/api/v1/auth/token": "its answer is a new bearer token, which the platform stores only hashed",
}
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as an sf-string holds
_FORM_KEY = re.compile(rb'name="' + FORM_FIELD.encode() + rb'"\r\n\r\n([A-Za-z0-9_-]{16,64})\r\n')
# Bodies are read whole to be fingerprinted; a larger one goes through unkeyed (the route's
# own body limit refuses it anyway).
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_KEPT_ANSWER_BYTES = 8 * 1024 * 1024
# A request that died with its process leaves its claim "running"; after this long a repeat
# may run again (no request of the platform takes nearly as long).
ABANDONED_AFTER = timedelta(minutes=10)
# How long a repeated form waits for the first submission before giving up with a 409 page.
FORM_WAIT_SECONDS = 30.0
KEPT_HEADERS = ("content-type", "location")


def form_key_input() -> str:
    """The hidden field a page's forms carry (one fresh key per rendered page; the path a form
    posts to is part of what the key protects, so several forms may share it)."""
    return f'<input type="hidden" name="{FORM_FIELD}" value="{secrets.token_urlsafe(24)}" />'


def _repeat_safe(scope: Scope) -> bool:
    """A page route whose operation is idempotent in the database by itself and must stay cheap
    (a paper's submission at the deadline, 2,000 at once) opts out of form keys, visibly:
    `opt={REPEAT_SAFE: True}`."""
    handler = scope.get("route_handler")
    return bool(handler is not None and handler.opt.get(REPEAT_SAFE))


def covers(path: str) -> bool:
    """Whether an API POST route keeps answers under Idempotency-Key."""
    return path.startswith("/api/") and path not in EXEMPT


def _now() -> datetime:
    return clock.now()


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


@dataclass
class _Request:
    """What identifies one request under a key."""

    scope_key: str
    user_id: int
    method: str
    path: str
    request_hash: str
    is_api: bool


@dataclass(slots=True)
class _Answer:
    """The app's answer, gathered as it goes out to the client."""

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)  # the KEPT_HEADERS it has
    body: list[bytes] = field(default_factory=list)
    size: int = 0
    encoding: str = ""


@dataclass(frozen=True, slots=True)
class _Holder:
    """The record holding a key: the request that claimed it and, once done, its answer."""

    id: int
    request_hash: str
    state: str  # running | done
    status_code: int  # 0 while it runs
    response_headers: dict[str, str]
    response_body: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> _Holder:
        kept = row["response_headers"]
        return cls(id=row["id"], request_hash=row["request_hash"], state=row["state"], status_code=row["status_code"] or 0,
                   response_headers=json.loads(kept) if isinstance(kept, str) else (kept or {}),
                   response_body=row["response_body"] or "")


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = extras(scope).get("principal")
        user_id = getattr(principal, "user_id", None)
        path = scope.get("path", "")
        http = http_scope(scope)
        if http is None or http.get("method") != "POST" or user_id is None or path in EXEMPT:
            await self.app(scope, receive, send)
            return
        is_api = path.startswith("/api/")
        key = _header(scope, b"idempotency-key").strip() if is_api else ""
        if is_api and not key:
            await self.app(scope, receive, send)
            return
        if is_api and not _KEY.match(key.strip('"')):
            await _json(send, 400, _("The Idempotency-Key header must be 1 to 255 visible ASCII characters."))
            return
        body, complete = await _read_body(receive)
        receive = _replaying(body, receive)
        if not is_api:
            key = _form_key(scope, body) if complete and not _repeat_safe(scope) else ""
        if not key or not complete:
            await self.app(scope, receive, send)
            return
        request = _request(http, user_id, key.strip('"'), body, is_api)
        await self._once(request, scope, receive, send)

    async def _once(self, request: _Request, scope: Scope, receive: Receive, send: Send) -> None:
        deadline = time.monotonic() + FORM_WAIT_SECONDS
        while True:
            claimed, found = await _claim(request)
            if claimed is not None:
                await self._run(claimed, scope, receive, send, request.is_api)
                return
            if found is None:  # the holder let go between our two statements: claim again
                continue
            if found.request_hash != request.request_hash:
                if request.is_api:
                    await _json(send, 422, _("This Idempotency-Key was already used for a different request."))
                else:  # the same page's form sent again with other values: a new submission
                    await self.app(scope, receive, send)
                return
            if found.state == "done":
                await _replay(found, send)
                return
            if request.is_api:
                await _json(send, 409, _("A request with this Idempotency-Key is still being processed."),
                            [(b"retry-after", b"1")])
                return
            if time.monotonic() > deadline:
                raise Conflict(_("This form is still being processed; reload the page in a moment."))
            await _wait_for_change(found)

    async def _run(self, record_id: int, scope: Scope, receive: Receive, send: Send, is_api: bool) -> None:
        answer = _Answer()

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", [])}
                answer.status = message["status"]
                answer.headers = {k: v for k, v in headers.items() if k in KEPT_HEADERS}
                answer.encoding = headers.get("content-encoding", "")
            elif message["type"] == "http.response.body":
                answer.body.append(message.get("body", b""))
                answer.size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, keep)
        except asyncio.CancelledError:
            raise  # the claim stays "running": the work may have committed (see ABANDONED_AFTER)
        except BaseException:
            await _release(record_id)
            raise
        if _worth_keeping(answer, is_api):
            await _finish(record_id, answer)
        else:
            await _release(record_id)


def _worth_keeping(answer: _Answer, is_api: bool) -> bool:
    """API: every final answer (not a server failure, an expired token or a rate limit, after
    which a retry should run). Pages: redirects only; a page re-rendered with errors keeps
    nothing (it may show personal data typed into the form) and created nothing."""
    status = answer.status
    if not is_api:
        return 300 <= status < 400 and "location" in answer.headers
    if status >= 500 or status in (401, 429) or answer.size > MAX_KEPT_ANSWER_BYTES:
        return False
    try:
        _plain_body(answer)
    except (UnicodeDecodeError, OSError, zlib.error):
        return False
    return True


def _plain_body(answer: _Answer) -> str:
    """The answer's text as the handler wrote it: a compressed answer is kept uncompressed, so
    a repeat is answered whatever encodings its client accepts."""
    body = b"".join(answer.body)
    if answer.encoding == "gzip":
        body = gzip.decompress(body)
    elif answer.encoding:
        raise OSError(f"unexpected content encoding {answer.encoding}")
    return body.decode("utf-8")


def _request(scope: HTTPScope, user_id: int, key: str, body: bytes, is_api: bool) -> _Request:
    path = scope.get("path", "")
    method = scope.get("method", "POST")
    content_type = _header(scope, b"content-type")
    boundary = re.search(r"boundary=\"?([^\";]+)", content_type)
    if boundary:  # a browser draws a new multipart boundary for every submission of the same form
        body = body.replace(boundary.group(1).encode("latin-1"), b"")
    query = scope.get("query_string", b"")
    fingerprint = hashlib.sha256(b"\0".join([method.encode(), path.encode(), query, body])).hexdigest()
    # a page's key protects each form of the page separately: the path is part of its scope
    scope_text = f"{user_id}\0{key}" if is_api else f"{user_id}\0{key}\0{path}"
    return _Request(hashlib.sha256(scope_text.encode()).hexdigest(), user_id, method, path, fingerprint, is_api)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body, and False when it is larger than MAX_BODY_BYTES (read that far) or the
    client left."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY_BYTES:
            return b"".join(chunks), False


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then whatever follows."""
    given = False

    async def replay() -> HTTPReceiveMessage | WebSocketReceiveMessage:
        nonlocal given
        if not given:
            given = True
            whole: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
            return whole
        return await receive()

    return replay


def _form_key(scope: Scope, body: bytes) -> str:
    content_type = _header(scope, b"content-type").lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1")).get(FORM_FIELD) or [""]
        return values[-1] if re.fullmatch(r"[A-Za-z0-9_-]{16,64}", values[-1]) else ""
    if content_type.startswith("multipart/form-data"):
        match = _FORM_KEY.search(body)
        return match.group(1).decode() if match else ""
    return ""


# ----------------------------------------------------------------------------- the records
_last_purge = 0.0


async def _claim(request: _Request) -> tuple[int | None, _Holder | None]:
    """(record id, None) when this request now holds the key and must run; else (None, the
    record that holds it).
    Two requests claiming at once: the unique scope key lets one insert; the other's insert
    waits for it to commit and then finds its record."""
    now = _now()
    forget_before = now - timedelta(hours=get_settings().rules.idempotency_key_hours)
    await _purge(forget_before)
    async with write_transaction():
        await IdempotencyRecord.delete().where(
            (IdempotencyRecord.scope_key == request.scope_key) & (IdempotencyRecord.created_at < forget_before))
        inserted = await IdempotencyRecord.insert(IdempotencyRecord(
            scope_key=request.scope_key, user_id=request.user_id, method=request.method, path=request.path,
            request_hash=request.request_hash, state="running", created_at=now,
        )).on_conflict(target=IdempotencyRecord.scope_key, action="DO NOTHING").returning(IdempotencyRecord.id)
        if inserted:
            return inserted[0]["id"], None
        found = await IdempotencyRecord.select().where(IdempotencyRecord.scope_key == request.scope_key).first()
        if found and found["state"] == "running" and found["created_at"] < now - ABANDONED_AFTER \
                and found["request_hash"] == request.request_hash:
            taken = await IdempotencyRecord.update({IdempotencyRecord.created_at: now}).where(
                (IdempotencyRecord.id == found["id"]) & (IdempotencyRecord.state == "running")
                & (IdempotencyRecord.created_at == found["created_at"])).returning(IdempotencyRecord.id)
            if taken:
                return found["id"], None
        return None, _Holder.of(found) if found else None


async def _purge(forget_before: datetime) -> None:
    """Forget expired keys, at most once a minute per process."""
    global _last_purge
    if time.monotonic() - _last_purge < 60:
        return
    _last_purge = time.monotonic()
    await IdempotencyRecord.delete().where(IdempotencyRecord.created_at < forget_before)


async def _finish(record_id: int, answer: _Answer) -> None:
    await IdempotencyRecord.update({
        IdempotencyRecord.state: "done", IdempotencyRecord.status_code: answer.status,
        IdempotencyRecord.response_headers: json.dumps(answer.headers),
        IdempotencyRecord.response_body: _plain_body(answer),
        IdempotencyRecord.finished_at: _now(),
    }).where(IdempotencyRecord.id == record_id)


async def _release(record_id: int) -> None:
    """The request kept no answer: the key is free for a retry."""
    await IdempotencyRecord.delete().where(
        (IdempotencyRecord.id == record_id) & (IdempotencyRecord.state == "running"))


async def _wait_for_change(found: _Holder) -> None:
    """Until the running request finishes or lets go of the key (polled: the first request may
    run in another process or on another node)."""
    delay = 0.02
    while True:
        await asyncio.sleep(delay)
        row = await IdempotencyRecord.select(IdempotencyRecord.state).where(
            IdempotencyRecord.id == found.id).first()
        if row is None or row["state"] != "running" or delay >= 1.0:
            return
        delay = min(delay * 2, 1.0)


# ----------------------------------------------------------------------------- answers
async def _replay(found: _Holder, send: Send) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in found.response_headers.items()]
    body = found.response_body.encode("utf-8")
    headers += [(REPLAYED.lower().encode(), b"true"), (b"content-length", str(len(body)).encode())]
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": found.status_code, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _json(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"status_code": status, "detail": detail, "field": HEADER}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body, "more_body": False})


# ----------------------------------------------------------------------------- OpenAPI
IDEMPOTENCY_PARAMETER = Parameter(
    name=HEADER, param_in="header", required=False,
    schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=255),
    description=("Optional. The same key with the same request gives the first answer again (header "
                 f"`{REPLAYED}: true`) and runs nothing; with a different request: 422; while the first "
                 f"is still running: 409. Keys are the account's own and kept for "
                 "`MEDIATION_IDEMPOTENCY_KEY_HOURS` (24 by default)."),
)


@dataclass
class IdempotentOperation(Operation):
    """An API POST's schema: the Idempotency-Key header and its 422."""

    def __post_init__(self) -> None:
        self.parameters = [*(self.parameters or []), IDEMPOTENCY_PARAMETER]
        self.responses = {**(self.responses or {}), "422": OpenAPIResponse(
            description="The Idempotency-Key was already used for a different request; `field` names the header")}


def document(app: Any) -> None:
    """Declare the header on every API POST the middleware covers."""
    from litestar.routes import HTTPRoute

    for route in app.routes:
        if isinstance(route, HTTPRoute) and covers(route.path):
            for handler in route.route_handlers:
                if "POST" in handler.http_methods:
                    handler.operation_class = IdempotentOperation
