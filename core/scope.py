"""What Litestar's scope types don't say.

Litestar types a scope as TypedDicts of the ASGI keys. `extras` is the same scope as the plain
mapping it is at run time, for the keys this app's middleware add (the principal,
core/middleware.py; the session's ids, core/sessions.py). `http_scope` tells an HTTP request's
scope from a websocket's, which a type checker cannot do by its `type` key (not a literal per
scope in Litestar's types)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, cast

from litestar.types import HTTPScope, Scope


def extras(scope: Scope) -> MutableMapping[str, Any]:
    return cast("MutableMapping[str, Any]", scope)


def http_scope(scope: Scope) -> HTTPScope | None:
    """The scope of an HTTP request, or None for anything else."""
    return cast("HTTPScope", scope) if scope["type"] == "http" else None
