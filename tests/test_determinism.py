"""One seed, one sequence: ids and Faker names are reproducible."""

from __future__ import annotations

from emulator.ids import IdFactory


def test_the_same_seed_gives_the_same_ids() -> None:
    a, b = IdFactory(42), IdFactory(42)
    assert [a.message_id() for _ in range(3)] == [b.message_id() for _ in range(3)]
    assert a.media_id() == b.media_id()
    assert IdFactory(43).message_id() != IdFactory(42).message_id()


def test_ids_look_like_the_real_clients() -> None:
    ids = IdFactory(1)
    assert ids.message_id().startswith("gBEG") and len(ids.message_id()) == 27
    assert ids.inbound_message_id().startswith("ABGG") and len(ids.inbound_message_id()) == 28
    media = ids.media_id()
    assert [len(p) for p in media.split("-")] == [8, 4, 4, 4, 12]


def test_a_new_generation_does_not_repeat_ids() -> None:
    assert IdFactory(42, generation=1).message_id() != IdFactory(42, generation=0).message_id()


def test_restart_replays_the_sequence() -> None:
    ids = IdFactory(5)
    first = ids.message_id()
    ids.restart()
    assert ids.message_id() == first


def test_profile_names_depend_on_seed_and_number_not_on_order() -> None:
    a, b = IdFactory(3), IdFactory(3)
    names_a = [a.profile_name(n) for n in ("4915123456789", "16315551000")]
    names_b = [b.profile_name(n) for n in ("16315551000", "4915123456789")]
    assert names_a == names_b[::-1]
    assert all(names_a)
