"""The menu reads the same on every page: each entry is translated by the catalog of the domain
that declares it, and the layout's own links by core's, not by the catalog of the page they are
shown on (the reports page showed "核验证书" and the calendar page "证书核验" for one link)."""

from __future__ import annotations

import re

from core.auth.roles import Role
from tests.helpers import login, make_user


def _menu(html: str) -> list[str]:
    nav = html.split('class="wrap main-nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<li><a href="[^"]+">([^<]+)</a></li>', nav)


def test_the_menu_is_the_same_on_a_core_page_a_roster_page_and_a_review_page(client, run):
    run(make_user("province", Role.ADMIN, "350000"))
    login(client, "province")
    menus = [_menu(client.get(path).text) for path in ("/admin/calendar/", "/admin/mediators", "/admin/reports/")]
    assert menus[0] == menus[1] == menus[2]
    assert "选聘" in menus[0] and "证书核验" in menus[0]  # the roster's word; the layout's own
