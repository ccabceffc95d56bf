"""Tokens made in bulk (eventhub.tokens.new_tokens, used for a batch's messages) have new_token's layout:
prefix, 10 digits of millisecond stamp, 16 of uniformly random digits; unique and sortable by time."""

from __future__ import annotations

from eventhub import tokens


def test_bulk_tokens_share_the_single_tokens_layout_and_stamp(monkeypatch):
    monkeypatch.setattr(tokens.time, "time", lambda: 1_764_590_400.123)
    single = tokens.new_token("msg")
    many = tokens.new_tokens("msg", 50)
    assert all(len(t) == len(single) and t.startswith("msg_") for t in many)
    assert {t[:14] for t in many} == {single[:14]}  # "msg_" + the stamp's 10 digits
    assert all(set(t[4:]) <= set(tokens._CROCKFORD) for t in many)


def test_bulk_tokens_sort_by_the_millisecond_they_were_made(monkeypatch):
    monkeypatch.setattr(tokens.time, "time", lambda: 1_764_590_400.123)
    earlier = tokens.new_tokens("evt", 20)
    monkeypatch.setattr(tokens.time, "time", lambda: 1_764_590_400.124)
    later = tokens.new_tokens("evt", 20)
    assert max(earlier) < min(later)


def test_every_random_digit_takes_all_32_values_and_tokens_are_unique():
    many = tokens.new_tokens("msg", 4000)
    assert len(set(many)) == len(many)
    for position in range(14, 30):  # P(a digit never drawn in 4,000 tries) < 32 * (31/32)**4000 ≈ 1e-53
        assert {t[position] for t in many} == set(tokens._CROCKFORD)
