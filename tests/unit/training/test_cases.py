"""The typical-case library (DOMAIN.md "Training"): searchable by words and dispute type once
published."""

from __future__ import annotations

import pytest

from core.errors import FieldErrors
from tests.unit.training.helpers import ADMIN
from training import cases


def test_typical_cases_are_searchable_by_words_and_dispute_type_once_published(run):
    one = run(cases.create_case(ADMIN, {"title": "外卖骑手劳动关系确认案", "dispute_type": "new_employment_forms",
                                        "summary": "平台用工", "region_code": "350500", "full_text": "…", "lessons": "…"}))
    two = run(cases.create_case(ADMIN, {"title": "拖欠工资案", "dispute_type": "wage_arrears",
                                        "summary": "工资支付", "region_code": "350500"}))
    assert run(cases.search_cases())[1] == 0
    run(cases.publish_case(ADMIN, one))
    run(cases.publish_case(ADMIN, two))
    assert [r.id for r in run(cases.search_cases("骑手"))[0]] == [one]
    assert [r.id for r in run(cases.search_cases("", "wage_arrears"))[0]] == [two]
    assert [r.id for r in run(cases.search_cases("工资"))[0]] == [two]
    with pytest.raises(FieldErrors):
        run(cases.create_case(ADMIN, {"title": "", "dispute_type": "nope", "summary": "", "region_code": ""}))
