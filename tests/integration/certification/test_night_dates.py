"""Certificates are dated by the platform's calendar (Beijing), not the server's UTC clock: at
23:30 UTC and at 00:30 Beijing time (`night`) it is already 5 December 2026 in Beijing and
still the 4th in UTC. Issue date, expiry, number, the PDF's dates, verification and the
registry's status all follow Beijing's date."""

from __future__ import annotations

import shutil
from datetime import date, datetime

from certification import files, issuing, registry, tokens
from certification.tables import EarlierFile
from core import clock
from core.auth.roles import Role
from core.settings import get_settings
from tests.helpers import api_token, login, make_user, post_form
from tests.unit.certification.conftest import new_mediator


def test_a_certificate_issued_at_night_carries_beijings_date_everywhere(client, run, records, night):
    mediator = run(new_mediator("林晓梅"))
    records.qualify(mediator)
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    issued = post_form(client, "/admin/certificates/issue", {"mediator_id": str(mediator), "grade": "junior"},
                       form_page="/admin/certificates/issue")
    assert issued.status_code == 303
    row = run(registry.certificates_of_mediator(mediator))[0]
    number = row.certificate_no
    assert number == "3505042026J000001"

    item = client.get(f"/api/v1/certificates/{number}", headers=api_token(client, "qz")).json()
    assert (item["issued_on"], item["expires_on"], item["status"]) == ("2026-12-05", "2029-12-04", "valid")
    token = item["verify_url"].rsplit("/", 1)[1]
    verified = client.get(f"/api/v1/verify/{token}").json()
    assert (verified["issued_on"], verified["expires_on"], verified["status"]) == ("2026-12-05", "2029-12-04", "valid")
    page = client.get(f"/verify/{token}").text
    assert "2026-12-05" in page and "2029-12-04" in page

    pdf = client.get(f"/admin/certificates/{number}/document.pdf").content
    assert b"D:20261205000000Z" in pdf  # the document's dates are the issue date, never the clock


def test_re_rendering_an_issued_certificate_later_gives_the_same_files(run, night):
    """The printed dates come from the stored certificate: rendered again on another day (the
    cache emptied), the files are byte-identical and no earlier fingerprint is filed."""
    row = run(issuing.issue_certificate_unchecked(run(new_mediator()), "junior"))
    first = run(files.rendered_files(row))
    shutil.rmtree(get_settings().var_dir / "certificates", ignore_errors=True)
    with clock.frozen(datetime.fromisoformat("2027-06-01T10:00:00+08:00")):
        again = run(files.rendered_files(run(registry.by_number(row.certificate_no))))
    assert again == first
    assert run(EarlierFile.count()) == 0


def test_a_certificate_whose_last_day_was_yesterday_in_beijing_verifies_as_expired_at_night(client, run, night):
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior", issued_on=date(2023, 12, 5)))
    assert row.expires_on == date(2026, 12, 4)  # its last valid day: yesterday in Beijing, today in UTC
    token = tokens.make_token(row.id, row.version)
    assert client.get(f"/api/v1/verify/{token}").json()["status"] == "expired"
    run(make_user("qz", Role.ADMIN, "350500"))
    headers = api_token(client, "qz")
    expired = client.get("/api/v1/certificates", params={"status": "expired"}, headers=headers).json()
    assert [i["certificate_no"] for i in expired["items"]] == [row.certificate_no]
    assert client.get("/api/v1/certificates", params={"status": "valid"}, headers=headers).json()["total"] == 0
