"""The `async+file://` rate-limit storage that the gateway's worker processes share."""

import asyncio
import multiprocessing
from pathlib import Path

import pytest
from limits.storage import storage_from_string

from kam_gateway.sharedcount import SharedFileStorage, TableFull

NOW = 1_800_000_010.0


def storage(path: Path, **options: object) -> SharedFileStorage:
    found = storage_from_string(f"async+file://{path}", **options)  # as the gateway opens it
    assert isinstance(found, SharedFileStorage)
    return found


def incr(store: SharedFileStorage, key: str, expiry: int = 60, amount: int = 1) -> int:
    return asyncio.run(store.incr(key, expiry, amount))


def count_in_child(path: Path, hits: int, results: "multiprocessing.Queue[list[int]]") -> None:
    store = storage(path, clock=lambda: NOW)
    results.put([incr(store, "kam-gateway:key-1:120/60") for _ in range(hits)])


def test_processes_counting_the_same_key_at_once_lose_no_count(tmp_path: Path) -> None:
    path = tmp_path / "counts"
    storage(path, clock=lambda: NOW)  # made once, as the first worker would
    spawn = multiprocessing.get_context("spawn")  # fresh processes, each opening the file
    results = spawn.Queue()
    workers = [spawn.Process(target=count_in_child, args=(path, 250, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    seen = [count for _ in workers for count in results.get(timeout=60)]
    for worker in workers:
        worker.join(10)

    assert sorted(seen) == list(range(1, 1001))


def test_a_forked_worker_counts_on_the_same_file_as_its_parent(tmp_path: Path) -> None:
    store = storage(tmp_path / "counts", clock=lambda: NOW)
    incr(store, "k")
    fork = multiprocessing.get_context("fork")
    results = fork.Queue()
    child = fork.Process(target=lambda: results.put(incr(store, "k")))
    child.start()
    child.join(10)

    assert results.get(timeout=10) == 2
    assert incr(store, "k") == 3


def test_counts_expire_and_keys_count_apart(tmp_path: Path) -> None:
    now = [NOW]
    store = storage(tmp_path / "counts", clock=lambda: now[0])

    assert incr(store, "a", amount=2) == 2
    assert incr(store, "a") == 3
    assert incr(store, "b") == 1
    assert asyncio.run(store.get("a")) == 3
    assert asyncio.run(store.get_expiry("a")) == NOW + 60
    now[0] += 60  # expired
    assert asyncio.run(store.get("a")) == 0
    assert incr(store, "a") == 1
    asyncio.run(store.clear("a"))
    assert asyncio.run(store.get("a")) == 0


def test_a_full_table_refuses_to_count_until_counts_expire(tmp_path: Path) -> None:
    now = [NOW]
    store = storage(tmp_path / "counts", slots=4, clock=lambda: now[0])
    for key in "abcd":
        incr(store, key)

    with pytest.raises(TableFull):
        incr(store, "e")
    now[0] += 60
    assert incr(store, "e") == 1  # an expired slot is free again


def test_a_file_of_another_layout_or_size_starts_over(tmp_path: Path) -> None:
    path = tmp_path / "counts"
    path.write_bytes(b"not a table" * 100)
    store = storage(path, slots=8, clock=lambda: NOW)
    incr(store, "a")

    assert incr(store, "a") == 2
    assert incr(storage(path, slots=16, clock=lambda: NOW), "a") == 1
