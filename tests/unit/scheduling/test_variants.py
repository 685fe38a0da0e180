"""Which variant each (chat, round) shows, and how a test starts, keeps and ends."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from herald.scheduling.variants import Variant, VariantError, VariantTest, assign, next_test

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
AB = (Variant("first"), Variant("second", ("Join now",)))


@pytest.mark.parametrize("count", [2, 3, 4])
def test_every_chat_sees_every_variant_equally_often_over_the_rounds(count: int) -> None:
    chats = [f"-100{n}:0" for n in range(500)]
    for chat in chats:
        shown = Counter(assign(chat, r, count) for r in range(count * 25))
        assert shown == dict.fromkeys(range(count), 25)


@pytest.mark.parametrize("count", [2, 3, 4])
def test_one_round_spreads_the_variants_over_the_chats(count: int) -> None:
    chats = [f"-100{n}:0" for n in range(2000)]
    for round_ in range(10):
        shown = Counter(assign(chat, round_, count) for chat in chats)
        expected = len(chats) / count
        # a binomial share: five standard deviations apart only once in millions
        spread = 5 * (len(chats) * (1 / count) * (1 - 1 / count)) ** 0.5
        assert all(abs(shown[v] - expected) < spread for v in range(count)), shown


def test_a_chat_and_round_always_get_the_same_variant() -> None:
    # a stable hash: the same in another process, unlike Python's salted hash()
    assert [assign("-1001234:0", r, 2) for r in range(4)] == [
        assign("-1001234:0", r, 2) for r in range(4)
    ]
    assert {assign("-1001234:0", r, 4) for r in range(4)} == {0, 1, 2, 3}
    with pytest.raises(ValueError):
        assign("-1", 0, 0)


def test_writing_the_same_variants_keeps_the_test_and_other_ones_start_a_new_one() -> None:
    test = next_test(None, AB, T0)
    assert test == VariantTest(AB, T0)
    later = T0 + timedelta(days=1)
    assert next_test(test, AB, later) is test
    changed = next_test(test, (AB[0], Variant("third")), later)
    assert changed is not None and changed.started_at == later
    assert next_test(test, (), later) is None


def test_ending_keeps_a_variant_and_the_record_and_refuses_what_cannot_be() -> None:
    test = VariantTest(AB, T0)
    ended = test.ended("B", T0 + timedelta(days=2))
    assert (ended.running, ended.kept) == (False, "B")
    assert next_test(ended, (), T0) is ended  # the ended test's record stays
    with pytest.raises(VariantError, match="ended already"):
        ended.ended("A", T0)
    with pytest.raises(VariantError, match="no variant 'C'"):
        test.ended("C", T0)
    assert VariantTest.from_json(ended.to_json()) == ended
    assert AB[1].label(0, "Join") == "Join now" and AB[1].label(1, "More") == "More"


def test_a_variants_media_are_the_promos_unless_it_names_its_own() -> None:
    own, photo, bare = Variant("own"), Variant("photo", (), (7,)), Variant("bare", (), ())
    assert [v.shown_media((1, 2)) for v in (own, photo, bare)] == [(1, 2), (7,), ()]
    for variant in (own, photo, bare):
        assert Variant.from_json(variant.to_json()) == variant
    assert "media" not in own.to_json() and bare.to_json()["media"] == []
