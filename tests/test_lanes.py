"""Lanes.extend: a send's statuses queued at once, in the order ``add`` one at a time would give."""

from __future__ import annotations

from emulator.webhooks.lanes import Lanes


def _order(lanes: Lanes) -> list[str]:
    return list(lanes.ids())


def test_extend_starts_a_ready_lane_in_order() -> None:
    lanes = Lanes()
    lanes.extend("15550001", ["1", "2", "3"])
    assert lanes.size == 3 and lanes.ready == 1
    assert _order(lanes) == ["1", "2", "3"]
    assert lanes.take() == ("15550001", "1")


def test_extend_appends_behind_a_lane_and_ignores_nothing() -> None:
    lanes = Lanes()
    lanes.add("15550001", "1")
    lanes.extend("15550001", [])
    lanes.extend("15550001", ["2", "3"])
    assert _order(lanes) == ["1", "2", "3"] and lanes.size == 3 and lanes.ready == 1


def test_extend_puts_a_held_delivery_after_the_first_added() -> None:
    one, many = Lanes(), Lanes()
    for lanes in (one, many):
        lanes.add("15550001", "h", hold=True)
    for delivery_id in ("1", "2", "3"):
        one.add("15550001", delivery_id)
    many.extend("15550001", ["1", "2", "3"])
    assert _order(many) == _order(one) == ["1", "h", "2", "3"]
    assert many.held == 0 and many.size == 4
