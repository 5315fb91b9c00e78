"""Control characters and hidden direction marks in a name are refused through the pages and
the API too, with the error beside (or naming) the field, and nothing is stored."""

from __future__ import annotations

import re

from core.auth.roles import Role
from tests.helpers import api_token, login, make_user, post_form
from tests.integration.expert_pool.test_expert_pool_routes import REQUEST, seed_pool

MESSAGE = "请删除其中的控制字符或隐藏的文字方向标记。"


def test_an_organisation_form_with_a_direction_override_in_the_name_is_refused_beside_the_name(client, run):
    from roster.tables import Organisation

    run(make_user("qz", Role.ADMIN, "350500"))
    assert login(client, "qz").status_code == 303
    answer = post_form(client, "/admin/organisations/", {"name": "洛江\u202e心中解调", "type": "township",
                                                         "region_code": "350504"}, form_page="/admin/organisations/")
    assert answer.status_code == 400
    beside = re.search(r'<div class="field has-error">(.*?)</div>', answer.text, re.S).group(1)
    assert 'name="name"' in beside and MESSAGE in beside
    assert run(Organisation.count()) == 0


def test_a_courts_selection_with_a_control_character_in_a_party_name_answers_400_naming_it(client, run):
    from expert_pool.tables import Selection

    seed_pool(run)
    headers = api_token(client, "court")
    answer = client.post("/api/v1/selections", headers=headers,
                         json={**REQUEST, "workers": [{"name": "张三"}, {"name": "李\x1b[8m四"}]})
    assert answer.status_code == 400 and answer.json()["field"] == "workers[1].name"
    assert answer.json()["detail"] == MESSAGE
    assert run(Selection.count()) == 0
