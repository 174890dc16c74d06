"""Finding a user by business-scoped user id (BSUID): a Cloud send may name every recipient so."""

from __future__ import annotations

import pytest

from emulator.domain.users import UsersService
from emulator.ids import IdFactory
from emulator.store import MemoryStore


@pytest.fixture
def users() -> UsersService:
    service = UsersService(MemoryStore(), "t", IdFactory(0), [{"wa_id": "15550001111"}])
    service.load_fixtures()
    return service


def test_a_user_is_found_by_its_bsuid(users: UsersService) -> None:
    users.get_or_create("15550002222")
    found = users.by_user_id(IdFactory.user_id("15550002222"))
    assert found is not None and found["wa_id"] == "15550002222"
    assert users.by_user_id("US.00000000000000000000") is None


def test_the_users_are_read_and_hashed_once_not_at_every_send(
    users: UsersService, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(50):
        users.get_or_create(f"1555000{n:04d}")
    bsuid = IdFactory.user_id("15550000042")
    assert users.by_user_id(bsuid) is not None
    listed = hashed = 0
    real_list, real_hash = users.list, IdFactory.user_id

    def counted_list() -> list[dict[str, object]]:
        nonlocal listed
        listed += 1
        return real_list()

    def counted_hash(wa_id: str) -> str:
        nonlocal hashed
        hashed += 1
        return real_hash(wa_id)

    monkeypatch.setattr(users, "list", counted_list)
    monkeypatch.setattr(IdFactory, "user_id", staticmethod(counted_hash))
    for _ in range(10):
        assert users.by_user_id(bsuid) is not None
    assert (listed, hashed) == (0, 0)
    users.get_or_create("15559990000")  # a new user: found, and only it is hashed
    assert users.by_user_id(real_hash("15559990000")) is not None
    assert (listed, hashed) == (1, 1)


def test_a_user_forgotten_by_a_reset_is_no_longer_found(users: UsersService) -> None:
    users.get_or_create("15550002222")
    bsuid = IdFactory.user_id("15550002222")
    assert users.by_user_id(bsuid) is not None
    users.load_fixtures()
    assert users.by_user_id(bsuid) is None
    assert users.by_user_id(IdFactory.user_id("15550001111")) is not None  # the fixture user is back
