import pytest

from core import i18n
from core.i18n_tools import extract, missing
from core.settings import load_settings


def test_secret_key_is_generated_once_for_demos(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("MEDIATION_SECRET_KEY", raising=False)
    first = load_settings().secret_key
    assert len(first) >= 32
    assert load_settings().secret_key == first
    assert (tmp_path / "secret_key").exists()


def test_production_refuses_to_start_without_a_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIATION_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("MEDIATION_ENV", "production")
    monkeypatch.delenv("MEDIATION_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_settings()


# That every field of Rules and RateLimits is read from its MEDIATION_ variable, and that a bad value
# stops the start naming the variable: tests/unit/core/test_every_rule_is_a_setting.py.


def test_every_message_is_translated_into_chinese():
    assert len(extract()) > 50
    assert missing() == []


def test_gettext_follows_the_current_language():
    token = i18n.current_language.set("zh_CN")
    try:
        assert i18n._("Sign in") == "登录"
    finally:
        i18n.current_language.reset(token)
    token = i18n.current_language.set("en")
    try:
        assert i18n._("Sign in") == "Sign in"
    finally:
        i18n.current_language.reset(token)
