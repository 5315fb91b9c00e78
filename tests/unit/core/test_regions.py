from core.data.fujian_regions import all_regions
from core.regions import is_within, region_name, region_prefix


def test_region_prefix_strips_trailing_levels():
    assert region_prefix("350000") == "35"
    assert region_prefix("350500") == "3505"
    assert region_prefix("350504") == "350504"
    assert region_prefix("350504001000") == "350504001"


def test_scope_rule_region_and_everything_below():
    # An administrator of Quanzhou reaches Quanzhou and Luojiang, not Xiamen.
    assert is_within("350504", "350500")
    assert is_within("350500", "350500")
    assert is_within("350504001000", "350500")
    assert not is_within("350203", "350500")
    assert not is_within("350000", "350500")
    assert is_within("350203", "350000")
    assert not is_within(None, "350000")


def test_fujian_has_all_nine_cities_with_real_codes():
    cities = {code: name for code, name, _parent, level in all_regions() if level == 2}
    assert cities["350500"] == "泉州市"
    assert cities["350200"] == "厦门市"
    assert len(cities) == 9
    assert region_name("350504") == "洛江区"


def test_every_region_has_its_parent_listed_first():
    seen = set()
    for code, _name, parent, _level in all_regions():
        assert parent is None or parent in seen, code
        seen.add(code)
