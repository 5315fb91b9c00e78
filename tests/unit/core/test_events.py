"""core.events: the one way a lower domain tells or asks a higher one (docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core import domains, events


@dataclass(frozen=True)
class Asked(events.Event):
    n: int


@pytest.fixture
def fresh(monkeypatch):
    """A registry of its own for the test (the real one keeps the domains' subscriptions)."""
    monkeypatch.setattr(events, "_subscribers", {})
    monkeypatch.setattr(events, "_wired", True)


def test_every_subscriber_answers_in_the_order_it_subscribed_and_once(fresh, run):
    async def double(event: Asked) -> dict[str, int]:
        return {"double": event.n * 2}

    async def square(event: Asked) -> dict[str, int]:
        return {"square": event.n ** 2}

    events.subscribe(Asked, double)
    events.subscribe(Asked, square)
    events.subscribe(Asked, double)  # wired twice (a second app in one process): heard once
    assert run(events.publish(Asked(3))) == [{"double": 6}, {"square": 9}]
    assert events.merged(run(events.publish(Asked(4)))) == {"double": 8, "square": 16}


def test_an_event_nobody_subscribed_to_is_answered_by_nobody(fresh, run):
    assert run(events.publish(Asked(1))) == []


def test_an_event_published_before_the_domains_are_wired_is_refused(fresh, run, monkeypatch):
    """Else the roster would publish "no certificates" because certification never heard it."""
    monkeypatch.setattr(events, "_wired", False)
    with pytest.raises(events.NotWired):
        run(events.publish(Asked(1)))


def test_every_event_a_domain_defines_has_a_subscriber_once_wired():
    from roster import events as roster_events
    from roster.review import events as review_events

    domains.wire()
    defined = [value for module in (roster_events, review_events) for value in vars(module).values()
               if isinstance(value, type) and issubclass(value, events.Event) and value is not events.Event]
    assert sorted(kind.__name__ for kind in defined) == [
        "CertificateStandingWanted", "MediatorExited", "RefusalsWanted", "ReportTablesWanted"]
    assert [kind.__name__ for kind in defined if not events.subscribers(kind)] == []
