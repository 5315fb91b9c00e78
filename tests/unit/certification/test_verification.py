"""Public verification against the database: token, number and name, file check, the log."""

from __future__ import annotations

import hashlib

import pytest

from certification import files, issuing, lifecycle, tokens, verification
from certification.tables import Verification
from core.auth.roles import Grant, Principal, Role
from core.errors import NotFound
from tests.unit.certification.conftest import new_mediator

ADMIN = Principal(user_id=1, username="admin", grants=(Grant(Role.ADMIN, "350000"),))


def test_verify_token_shows_public_facts_only_and_logs_without_personal_data(run):
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior"))
    token = tokens.make_token(row.id, row.version)
    view = run(verification.verify_token(token))
    assert view.status == "valid" and view.certificate_no == row.certificate_no
    assert view.holder_name == "林晓梅" and view.roster_status == "appointed"
    for key in ("id_number", "phone", "photo_path", "mediator_id", "status_note"):
        assert not hasattr(view, key)
    run(verification.flush_verification_log())
    logged = run(Verification.select())
    assert len(logged) == 1 and logged[0]["result"] == "valid" and logged[0]["certificate_id"] == row.id
    assert logged[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()


def test_altered_or_unknown_token_is_not_found_and_logged(run):
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior"))
    token = tokens.make_token(row.id, row.version)
    altered = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    with pytest.raises(NotFound):
        run(verification.verify_token(altered))
    with pytest.raises(NotFound):
        run(verification.verify_token(tokens.make_token(row.id + 99, 1)))
    with pytest.raises(NotFound):  # a genuine signature of another version
        run(verification.verify_token(tokens.make_token(row.id, 2)))
    run(verification.flush_verification_log())
    assert {r["result"] for r in run(Verification.select())} == {"not_found"}


def test_lookup_by_number_needs_the_matching_holder_name(run):
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior"))
    assert run(verification.verify_by_number(row.certificate_no, "林晓梅")).status == "valid"
    assert run(verification.verify_by_number(row.certificate_no.lower(), " 林 晓梅 ")).status == "valid"
    with pytest.raises(NotFound) as wrong_name:
        run(verification.verify_by_number(row.certificate_no, "林小梅"))
    with pytest.raises(NotFound) as unknown:
        run(verification.verify_by_number("3505042026J999999", "林晓梅"))
    assert wrong_name.value.message == unknown.value.message and wrong_name.value.field == unknown.value.field


def test_free_text_reason_is_kept_private_and_shown_as_other(run):
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior"))
    run(lifecycle.revoke(ADMIN, row.certificate_no, "张三投诉，电话13800000000"))
    view = run(verification.verify_token(tokens.make_token(row.id, 1)))
    assert view.status == "revoked" and view.status_reason == "other"
    assert "13800000000" not in repr(view)


def test_file_check_accepts_the_genuine_file_and_refuses_an_edited_one(run):
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior", render=True))
    png, pdf = run(files.rendered_files(row))
    assert run(verification.verify_file(pdf)).certificate_no == row.certificate_no
    assert run(verification.verify_file(png)).status == "valid"
    middle = len(pdf) // 2
    edited = pdf[:middle] + bytes([pdf[middle] ^ 1]) + pdf[middle + 1:]
    assert run(verification.verify_file(edited)) is None
    assert run(verification.verify_file(png + b"\x00")) is None
