"""The domains the platform is made of, found by name (core never imports them by statement:
they stand above it), and wired together once: their events subscribed (core.events).

Each domain package exports `router` and optionally NAV, JOBS, SWEEP_STEPS, SUBSCRIPTIONS,
load_demo and finish_demo; a package not installed is skipped."""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

from core import events

# The demo's load order: later domains build on the earlier ones' data (the review's demo
# appraises last year's cases and the pool's refusals, so it loads last). The floors they stand
# on are in docs/architecture.md.
DOMAINS = ("roster", "training", "training.exams", "certification", "expert_pool", "roster.review")


@cache
def modules() -> tuple[ModuleType, ...]:
    found = []
    for name in DOMAINS:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as missing:
            if missing.name != name:
                raise
    return tuple(found)


def wire() -> tuple[ModuleType, ...]:
    """Every domain's subscriptions, made once (idempotent); answers the domain packages."""
    found = modules()
    for module in found:
        for kind, handler in getattr(module, "SUBSCRIPTIONS", ()):
            events.subscribe(kind, handler)
    events.mark_wired()
    return found
