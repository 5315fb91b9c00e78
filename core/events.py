"""Named events between domains (docs/architecture.md).

The domains stand on floors and a lower one never imports a higher one. Where a lower domain must
tell a higher one that something happened (an exit was carried out), or ask it for what it owns
(the certificate standing shown on the published roster), it defines an event, a frozen
dataclass named for what happened or what is wanted, and publishes it here. The higher domain
subscribes at start-up (its package's `SUBSCRIPTIONS`, wired by `core.domains.wire`).

`publish` awaits every subscriber in the order they subscribed, inside the caller's transaction,
and answers their answers: a question's publisher merges them, a notice's publisher ignores them.
An event published before the domains are wired is refused: a missing subscriber would otherwise
read as "nobody holds a certificate"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

Handler = Callable[[Any], Awaitable[Any]]
E = TypeVar("E", bound="Event")


@dataclass(frozen=True)
class Event:
    """The base of every event; a subclass names what happened or what is wanted."""


class NotWired(RuntimeError):
    """An event was published before `core.domains.wire()` subscribed the domains."""


_subscribers: dict[type[Event], list[Handler]] = {}
_wired = False


def subscribe(kind: type[E], handler: Callable[[E], Awaitable[Any]]) -> None:
    """`handler` hears every `kind` published from now on (once, however often it subscribes)."""
    handlers = _subscribers.setdefault(kind, [])
    if handler not in handlers:
        handlers.append(handler)


def mark_wired() -> None:
    global _wired
    _wired = True


def subscribers(kind: type[Event]) -> list[Handler]:
    return list(_subscribers.get(kind, []))


async def publish(event: Event) -> list[Any]:
    """Every subscriber's answer to `event`, in subscription order."""
    if not _wired:
        raise NotWired(f"{type(event).__name__} published before core.domains.wire()")
    return [await handler(event) for handler in _subscribers.get(type(event), [])]


def merged(answers: list[dict[Any, Any] | None]) -> dict[Any, Any]:
    """The answers of a question whose subscribers each answer a part of one mapping."""
    out: dict[Any, Any] = {}
    for answer in answers:
        out.update(answer or {})
    return out
