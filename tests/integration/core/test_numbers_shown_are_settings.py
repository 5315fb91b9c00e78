"""Numbers the pages state are the settings, not figures written into the templates: the ID
photo's size limit and the day and time of the annual appraisal."""

from __future__ import annotations

from core.auth.roles import Role
from roster import services as roster
from tests.helpers import login, make_user


def test_photo_limit_shown_is_the_max_photo_bytes_setting(client, run, settings_of):
    settings_of(MAX_PHOTO_BYTES=str(3 * 1024 * 1024))
    mediator_id = run(roster.create_mediator_record(name="照片", region_code="350504"))
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    page = client.get(f"/admin/mediators/{mediator_id}").text
    assert "不超过 3 MB" in page and "不超过 2 MB" not in page


def test_appraisal_day_shown_is_the_appraisal_setting(client, run, settings_of):
    settings_of(APPRAISAL_MONTH_DAY="02-20", APPRAISAL_TIME="03:45")
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    page = client.get("/admin/review/").text
    assert "每年2月20日 03:45对上一年度自动生成考评草稿" in page
