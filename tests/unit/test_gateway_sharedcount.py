"""The rate-limit counts that the gateway's worker processes share through a mapped file."""

import multiprocessing
from pathlib import Path

import pytest

from kam_gateway.sharedcount import SharedWindows, TableFull

NOW = 1_800_000_010.0  # ten seconds into a minute


def count_in_child(path: Path, hits: int, results: "multiprocessing.Queue[list[int]]") -> None:
    windows = SharedWindows(path, clock=lambda: NOW)
    results.put([windows.hit("kam-gateway:key-1:120/60", 60)[0] for _ in range(hits)])


def test_processes_counting_the_same_key_at_once_lose_no_count(tmp_path: Path) -> None:
    path = tmp_path / "counts"
    SharedWindows(path, clock=lambda: NOW)  # made once, as the first worker would
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
    windows = SharedWindows(tmp_path / "counts", clock=lambda: NOW)
    windows.hit("k", 60)
    fork = multiprocessing.get_context("fork")
    results = fork.Queue()
    child = fork.Process(target=lambda: results.put(windows.hit("k", 60)[0]))
    child.start()
    child.join(10)

    assert results.get(timeout=10) == 2
    assert windows.hit("k", 60)[0] == 3


def test_windows_follow_the_clock_and_keys_count_apart(tmp_path: Path) -> None:
    now = [NOW]
    windows = SharedWindows(tmp_path / "counts", clock=lambda: now[0])

    assert windows.hit("a", 60) == (1, 1_800_000_060.0)
    assert windows.hit("a", 60) == (2, 1_800_000_060.0)
    assert windows.hit("b", 60) == (1, 1_800_000_060.0)
    assert windows.hit("a", 1) == (1, 1_800_000_011.0)  # another limit of the key, its own count
    now[0] = 1_800_000_060.0  # the minute is over
    assert windows.hit("a", 60) == (1, 1_800_000_120.0)


def test_a_full_table_refuses_to_count_until_windows_end(tmp_path: Path) -> None:
    now = [NOW]
    windows = SharedWindows(tmp_path / "counts", slots=4, clock=lambda: now[0])
    for key in "abcd":
        windows.hit(key, 60)

    with pytest.raises(TableFull):
        windows.hit("e", 60)
    now[0] += 60
    assert windows.hit("e", 60)[0] == 1  # an ended window's slot is free again


def test_a_file_of_another_layout_or_size_starts_over(tmp_path: Path) -> None:
    path = tmp_path / "counts"
    path.write_bytes(b"not a table" * 100)
    windows = SharedWindows(path, slots=8, clock=lambda: NOW)
    windows.hit("a", 60)

    assert windows.hit("a", 60)[0] == 2
    bigger = SharedWindows(path, slots=16, clock=lambda: NOW)
    assert bigger.hit("a", 60)[0] == 1
