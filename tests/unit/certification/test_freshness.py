"""The verification cache: a change anywhere shows on the next verification."""

from __future__ import annotations

from certification import freshness, issuing, tokens, verification
from certification.tables import Certificate
from tests.unit.certification.conftest import new_mediator


def test_a_change_made_by_another_worker_shows_on_the_next_verification(run):
    """Workers share the generation stamp on disk: a change anywhere invalidates every cache."""
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior"))
    token = tokens.make_token(row.id, 1)
    assert run(verification.verify_token(token)).status == "valid"
    # Another worker revokes: its database write and its stamp, not this process's cache.
    run(Certificate.update({Certificate.status: "revoked", Certificate.status_reason: "fraud"}).where(
        Certificate.id == row.id))
    assert run(verification.verify_token(token)).status == "valid"  # the cache answered...
    freshness._row_cache.clear()
    freshness._row_cache[row.id] = (freshness.generation(), __import__("time").monotonic(), row, None)
    import os
    import time

    path = freshness._generation_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    stamp = time.time_ns() + 1_000_000
    os.utime(path, ns=(stamp, stamp))  # ...until the other worker's stamp arrives
    assert run(verification.verify_token(token)).status == "revoked"
