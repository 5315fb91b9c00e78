"""Role × route matrix for the core routes: each role against each route it must not
reach (403), and its own routes (200). Domain issues add their rows."""

import pytest

from core.auth.roles import Role
from tests.helpers import login, make_user

ROUTES = {
    "/account": set(Role),
    "/admin/audit": {Role.ADMIN, Role.AUDITOR},
    "/admin/users": {Role.ADMIN},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", list(ROUTES))
def test_role_route_matrix(client, run, role, path):
    run(make_user("someone", role, "350500"))
    login(client, "someone")
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == (200 if role in ROUTES[path] else 403), (role, path)


@pytest.mark.parametrize("path", list(ROUTES))
def test_anonymous_is_sent_to_sign_in(client, path):
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


def test_audit_log_is_region_scoped(client, run):
    from core.audit import record
    from core.auth.roles import Principal

    run(record(Principal(), "create", "organisation", 1, region_code="350504"))
    run(record(Principal(), "create", "organisation", 2, region_code="350203"))
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    page = client.get("/admin/audit").text
    assert "organisation #1" in page and "organisation #2" not in page


def test_administrator_creates_accounts_only_in_own_region(client, run):
    from tests.helpers import post_form

    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    ok = post_form(client, "/admin/users", {"username": "luojiang_org", "display_name": "洛江", "password": "long-enough-pw",
                                            "role": "org_manager", "region_code": "350504"}, form_page="/admin/users")
    assert ok.status_code == 303
    refused = post_form(client, "/admin/users", {"username": "xm_org", "display_name": "厦门", "password": "long-enough-pw",
                                                 "role": "org_manager", "region_code": "350203"}, form_page="/admin/users")
    assert refused.status_code == 400 and "权限范围以外" in refused.text
    page = client.get("/admin/users").text
    assert "luojiang_org" in page and "xm_org" not in page


def test_administrator_cannot_deactivate_another_regions_account(client, run):
    from tests.helpers import post_form

    run(make_user("qz", Role.ADMIN, "350500"))
    xiamen_user = run(make_user("xm_staff", Role.EXAMINER, "350200"))
    login(client, "qz")
    answer = post_form(client, f"/admin/users/{xiamen_user}/deactivate", {}, form_page="/admin/users")
    assert answer.status_code == 403
