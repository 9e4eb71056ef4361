"""The compact incremental state a cluster job carries: fingerprints, parts, limits."""

from __future__ import annotations

import random

import pytest
from factories import make_article
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.fingerprints import FingerprintSet
from crawler.state import (
    STATE_PARTS_SETTING,
    STATE_SETTING,
    IncrementalState,
    StateError,
)
from storage import articles

LINUX_MAX_ARG = 128 * 1024  # MAX_ARG_STRLEN: one argv string, terminator included


def urls(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [
        f"https://vnexpress.net/bai-{i}-{rng.getrandbits(40):x}-{'x' * rng.randint(10, 60)}.html"
        for i in range(n)
    ]


@given(st.sets(st.text(min_size=1, max_size=80), max_size=200), st.integers(8, 40))
@settings(max_examples=60, deadline=None)
def test_fingerprints_round_trip_and_hold_every_member(members: set[str], bits: int) -> None:
    encoded = FingerprintSet.from_urls(members, bits=bits).encode()
    decoded = FingerprintSet.decode(encoded)
    assert all(m in decoded for m in members)
    assert decoded.count == len(members) and decoded.bits == bits


def test_fingerprints_are_small_and_false_positives_rare() -> None:
    known = urls(20_000)
    encoded = FingerprintSet.from_urls(known).encode()
    assert len(encoded) / len(known) < 4.2  # ~31.5 bits a URL at 30 bits of precision
    decoded = FingerprintSet.decode(encoded)
    strangers = urls(50_000, seed=2)
    assert sum(u in decoded for u in strangers) == 0  # expected 50k / 2**30 ≈ 0.00005


@pytest.mark.parametrize(
    "data", [b"", b"GCS1", b"XXXX" + bytes(9), FingerprintSet.from_urls(urls(50)).encode()[:-5]]
)
def test_damaged_fingerprints_are_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        FingerprintSet.decode(data)


def test_compact_state_round_trips_through_settings() -> None:
    known = set(urls(300))
    validators = {
        "https://vnexpress.net/rss/tin-moi-nhat.rss": {"etag": '"abc"', "last_modified": None}
    }
    state = IncrementalState(known_urls=known, validators=validators)
    values = state.to_settings()
    assert list(values) == [STATE_SETTING]
    back = IncrementalState.from_settings(values)
    assert back is not None and back.validators == validators
    assert all(back.is_known(u) for u in known)
    assert not back.is_known("https://vnexpress.net/bai-moi-4950001.html")
    # Tracking parameters do not hide a known URL (the same rule as the local state).
    assert back.is_known(next(iter(known)) + "?utm_source=facebook")
    assert IncrementalState.from_settings({}) is None


def test_large_state_is_split_under_the_argument_limit() -> None:
    state = IncrementalState(known_urls=set(urls(60_000)))
    values = state.to_settings()
    assert int(values[STATE_PARTS_SETTING]) >= 3
    for key, value in values.items():
        assert len(f"{key}={value}".encode()) + 1 < LINUX_MAX_ARG
    back = IncrementalState.from_settings(values)
    assert back is not None and all(back.is_known(u) for u in state.known_urls)
    missing = dict(values)
    missing.pop(f"{STATE_SETTING}_2")
    with pytest.raises(StateError, match="missing"):
        IncrementalState.from_settings(missing)


def test_corrupted_inline_state_is_a_clear_error() -> None:
    with pytest.raises(StateError, match="cannot be read"):
        IncrementalState.from_settings({STATE_SETTING: "not-base64-zlib!"})


def test_job_state_keeps_the_newest_urls_when_too_large(db) -> None:
    for i in range(40):
        article = make_article(
            url=f"https://vnexpress.net/bai-{i:03d}-4950{i:03d}.html", title=f"Bài {i}"
        )
        articles.upsert_article(db, article, None)
    full, left_out = IncrementalState.for_job(db, "vnexpress", [])
    assert left_out == 0 and len(full.known_urls) == 40
    small, left_out = IncrementalState.for_job(db, "vnexpress", [], max_total_chars=200)
    assert left_out > 0 and len(small.to_compact()) <= 200
    newest = "https://vnexpress.net/bai-039-4950039.html"
    assert newest in small.known_urls and len(small.known_urls) == 40 - left_out
