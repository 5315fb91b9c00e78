"""Core journeys: signing in as an administrator in Chinese and in English, a wrong
password, the audit log; accessibility of the public and sign-in pages."""

import pytest

from tests.e2e.conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_administrator_signs_in_and_reads_the_audit_log_in_chinese(page):
    sign_in(page, "admin")
    assert page.locator(".who").inner_text() == "省人社厅管理员"
    page.click("text=审计日志")
    assert page.locator("h1").inner_text() == "审计日志"
    assert page.locator("td", has_text="sign_in").count() >= 1
    screenshot(page, "core-audit-zh")


def test_administrator_journey_in_english(page):
    page.goto("/")
    page.click("text=English")
    sign_in(page, "admin")
    page.click("text=Audit log")
    assert page.locator("h1").inner_text() == "Audit log"
    screenshot(page, "core-audit-en")


def test_wrong_password_is_explained_next_to_the_form(page):
    sign_in(page, "admin", "not-the-password")
    assert "用户名或密码错误" in page.locator("[role=alert]").inner_text()


@pytest.mark.parametrize("path", ["/", "/login"])
def test_public_pages_have_no_serious_accessibility_violations(axe_page, axe_source, path):
    axe_page.goto(path)
    assert axe_violations(axe_page, axe_source) == []
