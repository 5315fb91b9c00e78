"""Walks the app's whole route table: every route is either public by an explicit marker
(opt public) or has a guard. A new route without either fails here."""

from litestar.handlers.http_handlers import HTTPRouteHandler

from core.app import create_app

# Litestar's own OpenAPI routes are public documentation.
FRAMEWORK_PUBLIC_PREFIXES = ("/schema",)


def _handlers(app):
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            yield route.path, handler


def test_every_route_is_public_by_marker_or_guarded(db):
    app = create_app()
    unguarded = []
    for path, handler in _handlers(app):
        if path.startswith(FRAMEWORK_PUBLIC_PREFIXES) or handler.handler_name == "options_handler":
            continue  # framework docs, and the automatic OPTIONS answer (no data)
        public = bool(handler.opt.get("public"))
        guarded = bool(handler.resolve_guards())
        if public == guarded:  # neither, or marked public while also guarded (confusing)
            unguarded.append((path, handler.handler_name, "public+guard" if public else "no guard"))
    assert unguarded == []


def test_every_state_changing_page_route_is_csrf_protected(db):
    """The session-bound CSRF middleware covers every non-API route; only /api/ (bearer tokens)
    is exempt, and no page route opts out."""
    from core.csrf import EXEMPT_PREFIXES, SessionBoundCSRFMiddleware

    app = create_app()
    assert any(getattr(m, "middleware", None) is SessionBoundCSRFMiddleware for m in app.middleware)
    assert EXEMPT_PREFIXES == ("/api/",)
    unsafe = [
        path
        for path, handler in _handlers(app)
        if isinstance(handler, HTTPRouteHandler)
        and set(handler.http_methods) & {"POST", "PUT", "PATCH", "DELETE"}
        and not path.startswith("/api/")
        and handler.opt.get("exclude_from_csrf")
    ]
    assert unsafe == []
