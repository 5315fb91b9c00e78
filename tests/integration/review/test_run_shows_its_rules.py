"""An appraisal run keeps the rules it was made under: the run stores every appraisal threshold,
and its page and the mediator's own page show those stored thresholds after the settings change."""

from __future__ import annotations

from datetime import date, datetime

from core import clock
from core.auth.roles import Grant, Principal, Role
from roster import services as roster
from roster.review import records
from roster.review.tables import AppraisalRun
from tests.helpers import login, make_user, post_form

ADMIN = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))
MARCH_2026 = datetime.fromisoformat("2026-03-02T10:00:00+08:00")


def test_appraisal_run_shows_the_thresholds_it_was_made_under_after_the_settings_change(client, run, settings_of):
    settings_of(INCOMPETENT_SUBSTANTIATED_COMPLAINTS="3", EXCELLENT_CAP_RATIO="0.35", YEARLY_TRAINING_HOURS="30",
                EXCELLENT_MIN_CASES="12")
    with clock.frozen(MARCH_2026):
        user = run(make_user("med", Role.MEDIATOR, "350504"))
        mediator_id = run(roster.create_mediator_record(name="甲调解员", region_code="350504", user_id=user,
                                                        appointed_on=date(2024, 1, 1)))
        for day in ("2025-03-01", "2025-06-01", "2025-09-01"):
            run(records.record_complaint(ADMIN, mediator_id, {"received_on": day, "finding": "查实",
                                                              "substantiated": "1"}))
        run(make_user("qz", Role.ADMIN, "350500"))
        login(client, "qz")
        made = post_form(client, "/admin/review/", {"year": "2025", "region_code": "350500"}, form_page="/admin/review/")
        assert made.status_code == 303
        page_url = made.headers["location"]
        confirmed = post_form(client, page_url + "/confirm", {}, form_page=page_url)
        assert confirmed.status_code == 303

        stored = run(AppraisalRun.select().where(AppraisalRun.region_code == "350500").output(load_json=True).first())
        assert stored["rules"] == {
            "incompetent_substantiated_complaints": 3, "basic_substantiated_complaints": 1,
            "min_cases_for_agreement_rate": 5, "basic_below_agreement_rate": 0.4, "basic_below_satisfaction": 3.0,
            "excellent_min_cases": 12, "excellent_min_agreement_rate": 0.7, "excellent_min_satisfaction": 4.5,
            "excellent_cap_ratio": 0.35, "yearly_training_hours": 30}

        settings_of(INCOMPETENT_SUBSTANTIATED_COMPLAINTS="5", EXCELLENT_CAP_RATIO="0.5", YEARLY_TRAINING_HOURS="40",
                    EXCELLENT_MIN_CASES="20")
        page = client.get(page_url).text
        assert "年度内经查实的投诉达3件及以上：不称职" in page  # the mediator's grade and the rule that decided it
        assert "本地区35%比例之外" in page and "调解案件不少于12件" in page  # the run's rules, listed
        assert "30 / 30" not in page and "/ 30" in page  # the hours required that year
        assert "达5件" not in page and "50%比例" not in page and "不少于20件" not in page

        client.cookies.clear()
        login(client, "med")
        mine = client.get("/my/review/").text
        assert "年度内经查实的投诉达3件及以上：不称职" in mine and "达5件" not in mine
