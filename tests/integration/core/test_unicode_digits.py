"""Unicode digits that are not 0-9 ("²", "３", "٣") in a region code or an id never make a 500.
`str.isdigit()` says yes to "²" and `int("²")` then fails: the API fuzzer found
GET /api/v1/roster/organisations?region=² answering 500. Input is checked with `isdecimal()`
(whatever it accepts, `int()` reads) and a region code must also be ASCII."""

from __future__ import annotations

import pytest

from core.auth.roles import Role
from tests.helpers import login, make_user

ODD = ["²", "３５０５", "٣٥٠٥"]


@pytest.mark.parametrize("odd", ODD)
@pytest.mark.parametrize("path", ["/api/v1/roster/organisations", "/api/v1/roster/mediators", "/roster/organisations",
                                  "/roster/mediators", "/invited/"])
def test_a_region_in_odd_digits_finds_nothing_and_never_fails(client, path, odd):
    answer = client.get(path, params={"region": odd})
    assert answer.status_code in (200, 400), answer.text[:300]


def test_ids_in_odd_digits_are_not_taken_for_numbers(client, run):
    run(make_user("province", Role.ADMIN, "350000"))
    login(client, "province")
    for odd in ODD:
        answer = client.get("/admin/certificates/batch", params={"mediators": f"{odd},1", "grade": "junior"})
        assert answer.status_code in (200, 400), answer.text[:300]
