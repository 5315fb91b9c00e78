"""Signed verification tokens: round trip, length, alterations, foreign and retired keys."""

import pytest

from certification import tokens


def test_token_round_trips_and_is_short():
    token = tokens.make_token(123, 2)
    assert len(token) == 22 and "=" not in token
    assert tokens.read_token(token) == (123, 2)


def test_changing_any_character_of_a_token_makes_it_unknown():
    token = tokens.make_token(42, 1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for position in range(len(token)):
        for replacement in (alphabet[(alphabet.index(token[position]) + 1) % 64], alphabet[(alphabet.index(token[position]) + 17) % 64]):
            altered = token[:position] + replacement + token[position + 1:]
            assert tokens.read_token(altered) is None, (position, replacement)


@pytest.mark.parametrize("bad", ["", "abc", "A" * 21, "A" * 23, "A" * 20 + "==", "A" * 21 + "=", "A" * 21 + "+",
                                 "A" * 21 + "/", "../../etc/passwd", "A" * 21 + "\u00e9", "%00" * 8, "A" * 2000])
def test_token_with_padding_wrong_length_or_bad_characters_is_unknown(bad):
    assert tokens.read_token(bad) is None


def test_token_signed_with_another_sites_key_is_unknown():
    foreign = tokens.make_token(5, 1, key="another-site-secret-" + "y" * 32)
    assert tokens.read_token(foreign) is None


def test_token_signed_with_a_retired_key_keeps_verifying_while_the_key_is_listed(monkeypatch):
    old_key = "the-previous-secret-key-" + "z" * 32
    old_token = tokens.make_token(9, 1, key=old_key)
    assert tokens.read_token(old_token) is None
    monkeypatch.setattr(tokens, "RETIRED_KEYS", [old_key])
    assert tokens.read_token(old_token) == (9, 1)
    monkeypatch.setattr(tokens, "RETIRED_KEYS", [])
    assert tokens.read_token(old_token) is None
