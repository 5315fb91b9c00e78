"""create_app(): the one composition root. Domains register here and nowhere else."""

from __future__ import annotations

import logging
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    TooManyRequestsException,
    ValidationException,
)
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.stores.file import FileStore
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig

from core import clock, counters, db, domains, idempotency, nav
from core.audit import request_id
from core.calendar_pages import CalendarPageController
from core.controllers import (
    AccountsController,
    AuthApiController,
    HealthController,
    LoginController,
    SiteController,
)
from core.csrf import CSRFRefused, SessionBoundCSRFMiddleware
from core.errors import DomainError, FieldErrors
from core.i18n import _, package_of_module
from core.jobs_api import JobsApiController
from core.jobs_pages import JobsPageController
from core.logging_setup import configure_logging
from core.middleware import PrincipalMiddleware, RequestContextMiddleware
from core.notifications_controllers import NotificationsController, OutboxApiController
from core.sessions import LazySessionConfig
from core.settings import ROOT, Settings, get_settings
from core.templating import make_environment
from core.web import PlatformResponse

log = logging.getLogger("mediation.app")

def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in ("/healthz", "/livez")


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    if _wants_json(request):
        return Response({"status_code": status, "detail": message}, status_code=status)
    return Template(
        template_name="errors/error.html",
        context={"title": title, "message": message, "request_id": request_id.get()},
        status_code=status,
    )


def handle_domain_error(request: Request, exc: DomainError) -> Response:
    if _wants_json(request):
        body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.message, "field": exc.field,
                                **exc.params}  # facts a client acts on, e.g. the existing record's id
        if isinstance(exc, FieldErrors):
            body["errors"] = exc.errors
        return Response(body, status_code=exc.status_code)
    titles = {403: _("Not allowed"), 404: _("Not found"), 409: _("Conflict")}
    return _error_page(request, exc.status_code, titles.get(exc.status_code, _("Request refused")), exc.message)


def _field_of(error: dict[str, Any]) -> str | None:
    """The body field msgspec complains about ("... required field `x`", "... at `$.x`")."""
    message = str(error.get("message", ""))
    match = re.search(r"required field `([^`]+)`", message) or re.search(r"at `\$\.([^`]+)`", message)
    if match:
        return match.group(1)
    return error.get("key")


def handle_validation(request: Request, exc: ValidationException) -> Response:
    extra = exc.extra if isinstance(exc.extra, list) else []
    fields = [_field_of(e) for e in extra if isinstance(e, dict) and _field_of(e)]
    if _wants_json(request):
        message = "; ".join(f"{e.get('key')}: {e.get('message')}" for e in extra if isinstance(e, dict)) or str(exc.detail)
        return Response(
            {"status_code": 400, "detail": message, "field": fields[0] if fields else None, "extra": extra},
            status_code=400,
        )
    return _error_page(request, 400, _("Request refused"), _("Some of the values sent are not valid."))


def handle_unauthorised(request: Request, exc: NotAuthorizedException) -> Response:
    if _wants_json(request):
        return Response({"status_code": 401, "detail": exc.detail or "Not authenticated"}, status_code=401,
                        headers={"WWW-Authenticate": "Bearer"})
    return Redirect(path=f"/login?next={request.url.path}", status_code=303)


def handle_forbidden(request: Request, _exc: PermissionDeniedException) -> Response:
    return _error_page(request, 403, _("Not allowed"), _("Your account may not open this page."))


def handle_not_found(request: Request, _exc: NotFoundException) -> Response:
    return _error_page(request, 404, _("Not found"), _("The page you asked for does not exist."))


def handle_too_many(request: Request, exc: TooManyRequestsException) -> Response:
    retry = (exc.headers or {}).get("RateLimit-Reset", "60")
    response = _error_page(request, 429, _("Too many requests"), _("Too many requests; please wait a minute and try again."))
    response.headers["Retry-After"] = str(retry)
    return response


def handle_http(request: Request, exc: HTTPException) -> Response:
    response = _error_page(request, exc.status_code, _("Request refused"), str(exc.detail))
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


def handle_csrf_refused(request: Request, _exc: CSRFRefused) -> Response:
    return _error_page(request, 403, _("Request refused"),
                       _("This form has expired or did not come from this site. Please reload the page and try again."))


def handle_os_error(request: Request, exc: OSError) -> Response:
    """Only a lost database connection is 'unavailable' (503, retry); a disk or permission
    error elsewhere (storing an upload, say) is a fault of ours: 500, with the traceback logged."""
    if db.raised_by_database(exc):
        return handle_database_unavailable(request, exc)
    return handle_server_error(request, exc)


def handle_database_unavailable(request: Request, exc: Exception) -> Response:
    """The database went away mid-request: 503 (retry later), not 500; the pool reconnects."""
    log.warning("database unavailable", extra={"request_id": request_id.get(), "error": type(exc).__name__})
    response = _error_page(request, 503, _("Service temporarily unavailable"),
                           _("The database is not answering at the moment. Please try again shortly."))
    response.headers["Retry-After"] = "5"
    return response


def handle_out_of_range(request: Request, exc: Exception) -> Response:
    """A number too large for the database (e.g. an id of 30 digits): bad input, not a crash."""
    return _error_page(request, 400, _("Bad request"), _("A number in the request is out of range."))


def handle_server_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc, extra={"request_id": request_id.get(), "path": request.url.path})
    return _error_page(request, 500, _("Something went wrong"), _("The server could not finish this request. It has been logged; please try again later."))


def make_stores(settings: Settings) -> StoreRegistry:
    """Sessions and rate-limit counters in files under var/, shared by every worker on
    the machine (a multi-machine deployment points these at Redis; see docs)."""
    base = settings.var_dir / "stores"

    def factory(name: str) -> FileStore:
        (base / name).mkdir(parents=True, exist_ok=True)
        return FileStore(path=base / name)

    return StoreRegistry(default_factory=factory)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    counters.configure(settings.redis_url, settings.var_dir, settings.redis_prefix)
    clock.freeze_from_environment()
    modules = domains.wire()
    for module in modules:
        nav.register(getattr(module, "NAV", []), package_of_module(module.__name__) or "core")
    from core.scheduler import collect_jobs

    collect_jobs(modules)

    env = make_environment()
    env.globals.update(nav_items=nav.nav_items, flashes=nav.flashes)

    @asynccontextmanager
    async def lifespan(app: Litestar):
        await db.start_pool()
        scheduler = None
        if settings.scheduler_enabled:
            from core.scheduler import start_scheduler

            scheduler = await start_scheduler(modules)
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            for module in modules:  # e.g. buffered verification-log rows
                flush = getattr(module, "on_shutdown", None)
                if flush is not None:
                    await flush()
            await db.close_pool()
            await counters.counters().close()

    session_config = LazySessionConfig(
        store="sessions",
        key="mediation_session",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.rules.session_days * 86400,
        renew_on_access=True,
    )
    route_handlers: list[Any] = [
        SiteController,
        LoginController,
        AccountsController,
        HealthController,
        AuthApiController,
        JobsApiController,
        JobsPageController,
        CalendarPageController,
        NotificationsController,
        OutboxApiController,
        create_static_files_router(path="/static", directories=[ROOT / "static"], opt={"public": True},
                                   include_in_schema=False),
    ]
    route_handlers += [module.router for module in modules if hasattr(module, "router")]

    app = Litestar(
        route_handlers=route_handlers,
        lifespan=[lifespan],
        middleware=[
            DefineMiddleware(RequestContextMiddleware, default_language=settings.default_language,
                             trusted_proxies=settings.trusted_proxies),
            session_config.middleware,
            DefineMiddleware(PrincipalMiddleware),
            # Before anything reads the body: a repeated request is answered, not run (core/idempotency.py).
            DefineMiddleware(idempotency.IdempotencyMiddleware),
            # After the session: form tokens are bound to the session id (core/csrf.py).
            DefineMiddleware(SessionBoundCSRFMiddleware, secret=settings.secret_key,
                             secure=settings.secure_cookies),
        ],
        stores=make_stores(settings),
        response_class=PlatformResponse,
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(env)),
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024),
        openapi_config=OpenAPIConfig(
            title="Labour Dispute Mediator Roster API",
            version="1.0.0",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
        ),
        exception_handlers={
            DomainError: handle_domain_error,
            ValidationException: handle_validation,
            NotAuthorizedException: handle_unauthorised,
            PermissionDeniedException: handle_forbidden,
            NotFoundException: handle_not_found,
            TooManyRequestsException: handle_too_many,
            HTTPException: handle_http,
            OverflowError: handle_out_of_range,
            asyncpg.DataError: handle_out_of_range,
            CSRFRefused: handle_csrf_refused,
            OSError: handle_os_error,
            asyncpg.PostgresConnectionError: handle_database_unavailable,
            asyncpg.InterfaceError: handle_database_unavailable,
            asyncpg.CannotConnectNowError: handle_database_unavailable,
            Exception: handle_server_error,
        },
        debug=False,
    )
    document_api_errors(app)
    idempotency.document(app)
    return app


@dataclass
class ApiError:
    """Every API error: the status, a message, and the field at fault (if any)."""

    status_code: int
    detail: str
    field: str | None = None


def document_api_errors(app: Litestar) -> None:
    """Declare in the OpenAPI schema the error answers every API route can give (bad input,
    not signed in, not allowed, not found, conflict, rate limit), so clients and fuzzers
    know them."""
    from litestar.openapi.datastructures import ResponseSpec
    from litestar.routes import HTTPRoute

    specs = {code: ResponseSpec(data_container=ApiError, description=text) for code, text in (
        (400, "Bad input; `field` names the field"), (401, "Not signed in or token expired"),
        (403, "Not allowed for this account or region"), (404, "No such record"),
        (409, "Conflicts with the record's current state"), (429, "Rate limit reached"))}
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith("/api/"):
            for handler in route.route_handlers:
                handler.responses = {**specs, **(handler.responses or {})}


def app_factory() -> Litestar:
    """Entry point for uvicorn --factory."""
    return create_app()
