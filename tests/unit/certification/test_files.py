"""A certificate's files: the render cache and the fingerprints of files handed out."""

from __future__ import annotations

import dataclasses
import hashlib

from certification import files, issuing, registry, verification
from certification.tables import Certificate
from tests.unit.certification.conftest import new_mediator


def test_a_re_render_that_differs_keeps_the_file_already_handed_out_genuine(run):
    """Renderer upgrades change bytes: the earlier file's SHA-256 is kept, so it still verifies."""
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior", render=True))
    png, pdf = run(files.rendered_files(row))
    handed_out = b"%PDF-1.4 an earlier renderer's file\n%%EOF\n"
    run(Certificate.update({Certificate.pdf_sha256: hashlib.sha256(handed_out).hexdigest()}).where(
        Certificate.id == row.id))
    verification.reset_for_tests()  # a new process: the render cache is gone
    import shutil

    from core.settings import get_settings

    shutil.rmtree(get_settings().var_dir / "certificates", ignore_errors=True)
    fresh = run(registry.by_id(row.id))
    assert run(files.rendered_files(fresh))[1] == pdf
    assert run(verification.verify_file(handed_out)).certificate_no == row.certificate_no
    assert run(verification.verify_file(pdf)).certificate_no == row.certificate_no


def test_the_render_cache_is_keyed_by_what_is_printed_not_only_by_id(run):
    """A reset database reuses ids: the cache must not hand out another person's card."""
    first = run(issuing.issue_certificate_unchecked(run(new_mediator("甲某")), "junior", render=True))
    first_png, _pdf = run(files.rendered_files(first))
    run(Certificate.delete(force=True))
    second = run(issuing.issue_certificate_unchecked(run(new_mediator("乙某")), "junior", render=True))
    assert second.id != first.id or second.holder_name != first.holder_name
    other = dataclasses.replace(first, holder_name="乙某")
    assert run(files.rendered_files(other))[0] != first_png
