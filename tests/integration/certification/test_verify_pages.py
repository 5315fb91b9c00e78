"""Public verification through HTTP: token page and API, number + name lookup, file check,
404s for altered tokens, no personal data, no caching, rate limits."""

from __future__ import annotations

from datetime import datetime

import pytest

from certification import files, issuing, lifecycle, tokens, verification
from core import clock
from tests.helpers import csrf_token
from tests.unit.certification.conftest import new_mediator


def _issue(run, name="林晓梅", grade="junior", **kwargs):
    mediator = run(new_mediator(name))
    row = run(issuing.issue_certificate_unchecked(mediator, grade, **kwargs))
    return row, tokens.make_token(row.id, row.version)


def test_verify_api_answers_the_public_contract_fields(client, run):
    row, token = _issue(run)
    answer = client.get(f"/api/v1/verify/{token}")
    assert answer.status_code == 200
    body = answer.json()
    for key in ("status", "certificate_no", "holder_name", "grade", "issuer", "issued_on", "expires_on",
                "roster_status"):
        assert key in body
    assert body["status"] == "valid" and body["certificate_no"] == row.certificate_no
    assert body["roster_status"] == "appointed"
    assert "no-store" in answer.headers["cache-control"]


def test_verify_page_shows_status_and_facts_without_personal_data(client, run):
    from roster.tables import Mediator

    mediator = run(new_mediator())
    run(Mediator.update({Mediator.id_number_masked: "3505**********1234"}).where(Mediator.id == mediator))
    row = run(issuing.issue_certificate_unchecked(mediator, "junior"))
    token = tokens.make_token(row.id, row.version)
    page = client.get(f"/verify/{token}")
    assert page.status_code == 200
    assert row.certificate_no in page.text and "林晓梅" in page.text and "有效" in page.text
    assert "1234" not in page.text.replace(row.certificate_no, "")
    assert "no-store" in page.headers["cache-control"]
    english = client.get(f"/lang/en?next=/verify/{token}", follow_redirects=True)
    assert "Valid" in english.text and "Certificate verification" in english.text


@pytest.mark.parametrize("mutate", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
    lambda t: t + "=",
    lambda t: t[:-2],
    lambda t: t[:10] + "*" + t[11:],
    lambda t: t.upper() if t.upper() != t else t.lower(),
])
def test_altered_token_gets_404_page_that_says_how_to_check_by_number(client, run, mutate):
    _row, token = _issue(run)
    answer = client.get(f"/verify/{mutate(token)}")
    assert answer.status_code == 404
    assert "/verify" in answer.text and "证书编号" in answer.text
    api = client.get(f"/api/v1/verify/{mutate(token)}")
    assert api.status_code == 404 and api.json()["status_code"] == 404


def test_token_of_another_site_gets_404(client, run):
    row, _token = _issue(run)
    foreign = tokens.make_token(row.id, row.version, key="another-site-" + "q" * 40)
    assert client.get(f"/api/v1/verify/{foreign}").status_code == 404


def test_revocation_shows_on_the_very_next_request(client, run):
    row, token = _issue(run)
    assert client.get(f"/api/v1/verify/{token}").json()["status"] == "valid"
    run(lifecycle.revoke(None, row.certificate_no, "disciplinary"))
    body = client.get(f"/api/v1/verify/{token}").json()
    assert body["status"] == "revoked" and body["status_reason"] == "disciplinary"
    assert "吊销" in client.get(f"/verify/{token}").text or "撤销" in client.get(f"/verify/{token}").text


def test_lookup_by_number_and_name_and_mismatched_name_says_not_found_like_unknown_number(client, run):
    row, _token = _issue(run)
    token = csrf_token(client, "/verify")
    ok = client.post("/verify/lookup", data={"certificate_no": row.certificate_no, "holder_name": "林晓梅",
                                             "_csrf_token": token})
    assert ok.status_code == 200 and row.certificate_no in ok.text
    wrong = client.post("/verify/lookup", data={"certificate_no": row.certificate_no, "holder_name": "王五",
                                                "_csrf_token": token})
    unknown = client.post("/verify/lookup", data={"certificate_no": "3505042026J999999", "holder_name": "王五",
                                                  "_csrf_token": token})
    assert wrong.status_code == unknown.status_code == 404
    strip = lambda text: text.replace(row.certificate_no, "").replace("3505042026J999999", "")  # noqa: E731
    import re

    csrf = re.compile(r'value="[^"]{20,}"')
    assert csrf.sub("", strip(wrong.text)) == csrf.sub("", strip(unknown.text))


def test_uploaded_genuine_file_verifies_and_an_edited_one_does_not(client, run):
    row, _token = _issue(run, render=True)
    png, pdf = run(files.rendered_files(row))
    token = csrf_token(client, "/verify")
    genuine = client.post("/verify/file", files={"file": ("c.pdf", pdf, "application/pdf")},
                          data={"_csrf_token": token})
    assert genuine.status_code == 200 and row.certificate_no in genuine.text
    middle = len(pdf) // 2
    edited = pdf[:middle] + bytes([pdf[middle] ^ 0x20]) + pdf[middle + 1:]
    forged = client.post("/verify/file", files={"file": ("c.pdf", edited, "application/pdf")},
                         data={"_csrf_token": token})
    assert forged.status_code == 200 and row.certificate_no not in forged.text


def test_every_verification_is_logged_without_verifier_data(client, run):
    from certification.tables import Verification

    _row, token = _issue(run)
    client.get(f"/verify/{token}")
    client.get(f"/api/v1/verify/{token}")
    client.get("/api/v1/verify/AAAAAAAAAAAAAAAAAAAAAA")
    assert run(Verification.count()) == 0  # written in batches, at most a second later
    assert run(verification.flush_verification_log()) == 3
    rows = run(Verification.select())
    assert [r["result"] for r in rows] == ["valid", "valid", "not_found"]
    assert set(rows[0]) == {"id", "at", "via", "result", "certificate_id", "token_hash"}


def test_verification_is_rate_limited_per_client_with_retry_after(client, run):
    from core.settings import get_settings

    limit = get_settings().rate_limits.verify_per_minute
    with clock.frozen(datetime.fromisoformat("2026-12-05T10:00:30+08:00")):  # inside one minute's window
        _row, token = _issue(run)
        answers = [client.get(f"/api/v1/verify/{token}").status_code for _ in range(limit + 1)]
        last = client.get(f"/verify/{token}")
    assert answers[:limit] == [200] * limit and answers[-1] == 429
    assert last.status_code == 429 and "retry-after" in last.headers


def test_verification_log_rows_are_written_within_the_flush_interval(client, run, monkeypatch):
    import time

    from certification.tables import Verification

    monkeypatch.setattr(verification, "VERIFY_LOG_FLUSH_SECONDS", 0.05)
    _row, token = _issue(run)
    client.get(f"/api/v1/verify/{token}")
    deadline = time.monotonic() + 3
    while run(Verification.count()) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run(Verification.count()) == 1
