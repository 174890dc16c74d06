"""One contract, run against every store implementation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.store import MemoryStore, SqliteStore, Store, pages


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s: Store = MemoryStore() if request.param == "memory" else SqliteStore(str(tmp_path / "s.sqlite"))
    yield s
    s.close()


def test_put_then_get_returns_an_equal_document(store: Store) -> None:
    store.put("t", "messages", "a", {"x": 1, "nested": {"é": ["ü", None, True]}})
    assert store.get("t", "messages", "a") == {"x": 1, "nested": {"é": ["ü", None, True]}}


def test_put_encoded_is_a_put_of_the_document_its_bytes_encode(store: Store) -> None:
    store.put("t", "k", "a", {"v": 0})
    store.put_encoded("t", "k", "b", b'{"v":1,"s":["x"]}')
    store.put_encoded("t", "k", "a", b'{"v":2}')
    assert store.items("t", "k") == [{"v": 2}, {"v": 1, "s": ["x"]}]
    assert store.get("t", "k", "b") == {"v": 1, "s": ["x"]}


def test_get_of_a_missing_key_is_none(store: Store) -> None:
    assert store.get("t", "messages", "nope") is None


def test_items_are_in_insertion_order_and_updates_keep_their_place(store: Store) -> None:
    for key in ("c", "a", "b"):
        store.put("t", "k", key, {"key": key, "v": 0})
    store.put("t", "k", "c", {"key": "c", "v": 1})
    assert [d["key"] for d in store.items("t", "k")] == ["c", "a", "b"]
    assert store.get("t", "k", "c") == {"key": "c", "v": 1}


def test_items_after_a_key_returns_only_later_documents(store: Store) -> None:
    for key in ("a", "b", "c"):
        store.put("t", "k", key, {"key": key})
    assert [d["key"] for d in store.items("t", "k", after="a")] == ["b", "c"]
    assert store.items("t", "k", after="c") == []
    assert store.items("t", "k", after="unknown") == []


def test_items_can_be_read_a_page_at_a_time(store: Store) -> None:
    for key in "abcde":
        store.put("t", "k", key, {"key": key})
    assert [d["key"] for d in store.items("t", "k", limit=2)] == ["a", "b"]
    assert [d["key"] for d in store.items("t", "k", after="b", limit=2)] == ["c", "d"]
    assert [d["key"] for d in store.items("t", "k", after="d", limit=2)] == ["e"]
    read = [[d["key"] for d in page] for page in pages(store, "t", "k", lambda d: str(d["key"]), size=2)]
    assert read == [["a", "b"], ["c", "d"], ["e"]]
    assert list(pages(store, "t", "k", lambda d: str(d["key"]), after="b", size=3)) == [
        [{"key": "c"}, {"key": "d"}, {"key": "e"}]
    ]


def test_tenants_and_kinds_do_not_see_each_other(store: Store) -> None:
    store.put("t1", "k", "a", {"n": 1})
    store.put("t2", "k", "a", {"n": 2})
    store.put("t1", "other", "a", {"n": 3})
    assert store.get("t1", "k", "a") == {"n": 1}
    assert store.get("t2", "k", "a") == {"n": 2}
    assert store.count("t1", "k") == 1


def test_delete_reports_whether_the_document_existed(store: Store) -> None:
    store.put("t", "k", "a", {})
    assert store.delete("t", "k", "a") is True
    assert store.delete("t", "k", "a") is False
    assert store.get("t", "k", "a") is None


def test_blobs_round_trip_bytes_and_type(store: Store) -> None:
    store.put_blob("t", "m1", "image/png", b"\x89PNG\x00\x01")
    assert store.get_blob("t", "m1") == ("image/png", b"\x89PNG\x00\x01")
    assert store.delete_blob("t", "m1") is True
    assert store.get_blob("t", "m1") is None
    assert store.delete_blob("t", "m1") is False


def test_clear_removes_only_the_named_kinds_of_one_tenant(store: Store) -> None:
    store.put("t", "messages", "a", {})
    store.put("t", "tokens", "a", {})
    store.put("u", "messages", "a", {})
    store.put_blob("t", "m", "image/png", b"x")
    store.put_blob("u", "m", "image/png", b"y")
    store.clear("t", ["messages"], blobs=True)
    assert store.count("t", "messages") == 0
    assert store.count("t", "tokens") == 1
    assert store.count("u", "messages") == 1
    assert store.get_blob("t", "m") is None
    assert store.get_blob("u", "m") == ("image/png", b"y")


def test_drop_removes_every_document_and_blob_of_one_tenant(store: Store) -> None:
    store.put("t", "messages", "a", {})
    store.put("t", "tokens", "a", {})
    store.put("u", "messages", "a", {})
    store.put_blob("t", "m", "image/png", b"x")
    store.put_blob("u", "m", "image/png", b"y")
    store.drop("t")
    assert store.count("t", "messages") == 0 and store.count("t", "tokens") == 0
    assert store.get_blob("t", "m") is None
    assert store.count("u", "messages") == 1
    assert store.get_blob("u", "m") == ("image/png", b"y")


def test_reset_removes_everything(store: Store) -> None:
    store.put("t", "k", "a", {})
    store.put_blob("t", "m", "image/png", b"x")
    store.reset()
    assert store.count("t", "k") == 0
    assert store.get_blob("t", "m") is None


def test_sqlite_store_keeps_documents_across_reopen(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    first = SqliteStore(path)
    first.put("t", "k", "a", {"v": 1})
    first.put_blob("t", "m", "audio/aac", b"abc")
    first.close()
    second = SqliteStore(path)
    assert second.get("t", "k", "a") == {"v": 1}
    assert second.get_blob("t", "m") == ("audio/aac", b"abc")
    second.close()


def test_items_take_a_limit_and_page_with_after(store: Store) -> None:
    for key in "abcde":
        store.put("t", "k", key, {"key": key})
    assert [d["key"] for d in store.items("t", "k", limit=2)] == ["a", "b"]
    assert [d["key"] for d in store.items("t", "k", after="b", limit=2)] == ["c", "d"]
    assert [d["key"] for d in store.items("t", "k", after="d", limit=2)] == ["e"]


def test_latest_gives_the_newest_documents_newest_first(store: Store) -> None:
    for key in "abc":
        store.put("t", "k", key, {"key": key})
    store.put("t", "k", "a", {"key": "a", "v": 1})  # an update keeps its (oldest) place
    assert [d["key"] for d in store.latest("t", "k", 2)] == ["c", "b"]
    assert store.latest("t", "other", 5) == []


def test_trim_removes_the_oldest_documents_and_names_them(store: Store) -> None:
    for key in "abcde":
        store.put("t", "k", key, {"key": key})
    store.put("t", "x", "a", {})
    assert store.trim("t", "k", 2) == ["a", "b", "c"]
    assert [d["key"] for d in store.items("t", "k")] == ["d", "e"]
    assert store.get("t", "k", "a") is None and store.count("t", "k") == 2
    assert store.trim("t", "k", 5) == []
    assert store.count("t", "x") == 1


def test_a_flushed_sqlite_store_is_readable_by_another_connection(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    writer = SqliteStore(path)
    writer.put("t", "k", "a", {"v": 1})
    writer.flush()
    reader = SqliteStore(path)
    assert reader.get("t", "k", "a") == {"v": 1}
    reader.close()
    writer.close()


def test_sqlite_writes_buffered_past_a_batch_are_committed_at_once(tmp_path: Path) -> None:
    from emulator.store.sqlite import BATCH

    path = str(tmp_path / "db.sqlite")
    writer = SqliteStore(path)
    for n in range(BATCH):
        writer.put("t", "k", str(n), {"n": n})
    reader = SqliteStore(path)  # no flush, no close: what a kill -9 would leave
    assert reader.count("t", "k") == BATCH
    reader.close()
    writer.close()


@pytest.mark.parametrize("change", ["put new", "update", "delete", "trim", "clear", "re-put", "other walk"])
def test_a_walk_sees_the_kind_as_it_is_whatever_changed_between_pages(store: Store, change: str) -> None:
    """Paging with ``after`` answers what a fresh read answers, whatever happened since the last page."""

    def keys(after: str | None = None, limit: int | None = None) -> list[str]:
        return [d["key"] for d in store.items("t", "k", after=after, limit=limit)]

    for n in range(10):
        store.put("t", "k", f"k{n}", {"key": f"k{n}"})
    assert keys(after="k1", limit=3) == ["k2", "k3", "k4"]
    if change == "put new":
        store.put("t", "k", "new", {"key": "new"})
    elif change == "update":
        store.put("t", "k", "k5", {"key": "k5", "v": 1})
    elif change == "delete":
        store.delete("t", "k", "k5")
    elif change == "trim":
        store.trim("t", "k", 7)
    elif change == "clear":
        store.clear("t", ["k"])
        for n in (9, 4, 7, 5):
            store.put("t", "k", f"k{n}", {"key": f"k{n}"})
    elif change == "re-put":
        store.delete("t", "k", "k2")
        store.put("t", "k", "k2", {"key": "k2"})
    else:
        assert keys(after="k6", limit=2) == ["k7", "k8"]
    expected = keys()[keys().index("k4") + 1 :][:3]
    assert keys(after="k4", limit=3) == expected
    assert keys(after=expected[-1]) == keys()[keys().index(expected[-1]) + 1 :]
