"""The published roster as its users meet it: a mediator appointed after the last publication
is not on the public roster until Quanzhou's administrator previews and publishes it; the
publications page keeps the history; the pages pass the accessibility check. In Chinese."""

from __future__ import annotations

import pytest

from core import clock
from tests.e2e.conftest import axe_violations, db_execute, db_rows, screenshot, sign_in

pytestmark = pytest.mark.e2e

NEWCOMER = "郑新聘"


def test_an_appointment_reaches_the_public_roster_when_the_administrator_publishes(page, browser, live_server):
    public = browser.new_context(base_url=live_server["base_url"], locale="zh-CN").new_page()
    public.goto("/roster/publications")
    before = db_rows(live_server, "SELECT count(*) FROM roster_publication")[0][0]
    assert before >= 2 and public.locator("tbody tr").count() == before  # the demo's history
    # Appointed today, after the demo's publications (the appointment itself is the recruitment journey's).
    today = clock.today().isoformat()
    db_execute(live_server, "INSERT INTO mediator (name, gender, id_number_enc, id_number_masked, phone_enc, "
                            "phone_masked, education, profession, source_category, employment, region_code, "
                            "roster_no, status, appointed_on, term_ends_on, exit_ground, created_at, updated_at) "
                            f"VALUES ('{NEWCOMER}', 'male', '', '', '', '', '', '', 'lawyer', 'part_time', '350503', "
                            f"'350503209900001', 'appointed', '{today}', '{today}', '', '{today} 08:00:00+00:00', "
                            f"'{today} 08:00:00+00:00')")
    public.goto(f"/roster/mediators?q={NEWCOMER}")
    assert NEWCOMER not in public.locator("main").inner_text()  # not published yet

    sign_in(page, "admin_quanzhou")
    page.goto("/admin/roster/publish/")
    preview = page.locator("tr", has_text="调解员").first.inner_text()
    assert int(preview.split()[2]) >= 1  # entries, added: at least the newcomer since the last publication
    screenshot(page, "roster-publish-preview")
    page.fill("#f-note", "泉州市名册（新聘调解员）")
    page.click("form[action='/admin/roster/publish'] button.primary")
    page.wait_for_load_state()
    assert "/roster/publications/" in page.url and "名册已公布" in page.content()

    public.goto(f"/roster/mediators?q={NEWCOMER}")
    text = public.locator("main").inner_text()
    assert NEWCOMER in text and f"最近公布日期：{today}" in text
    public.goto("/roster/publications")
    assert public.locator("tbody tr").count() == before + 1 and "泉州市名册（新聘调解员）" in public.content()
    screenshot(public, "roster-publications")
    public.context.close()


@pytest.mark.parametrize("path", ["/roster/publications", "/roster/publications/1"])
def test_publication_pages_have_no_serious_accessibility_violations(axe_page, axe_source, path):
    axe_page.goto(path)
    assert axe_violations(axe_page, axe_source) == []
