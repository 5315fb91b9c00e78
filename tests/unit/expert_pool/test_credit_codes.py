"""Unified social credit codes (GB 32100-2015): the 18th character is the check digit."""

from __future__ import annotations

from expert_pool.credit_codes import credit_code_check, valid_credit_code

CODE = "91350500MA2XYN123" + credit_code_check("91350500MA2XYN123")


def test_unified_social_credit_code_is_checked():
    assert valid_credit_code(CODE) and not valid_credit_code(CODE[:-1] + ("0" if CODE[-1] != "0" else "1"))
    assert not valid_credit_code("123")
