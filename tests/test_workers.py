"""`workers.iter_in_worker`: a producer run in a forked process gives the same items in the same
order, reports its errors, and stops when the reader stops."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator

import pytest

from poolcrm import workers
from poolcrm.customers import synth

pytestmark = pytest.mark.skipif(not workers.can_fork(), reason="fork is used on Linux only")


def test_items_arrive_in_order_across_chunks():
    made = list(workers.iter_in_worker(synth.iter_companies, 1_234, 9, chunk=100, ahead=2))
    assert made == list(synth.iter_companies(1_234, 9))


def test_empty_producer_gives_nothing():
    assert list(workers.iter_in_worker(range, 0)) == []


def _fails_after(n: int) -> Iterator[int]:
    yield from range(n)
    raise ValueError("synthetic failure")


def test_an_error_in_the_worker_is_raised_with_its_traceback():
    seen: list[int] = []
    with pytest.raises(workers.WorkerFailed, match="ValueError: synthetic failure"):
        for item in workers.iter_in_worker(_fails_after, 250, chunk=100):
            seen.append(item)
    assert seen == list(range(200))  # the full chunks made before the failure


def _unpicklable() -> Iterator[object]:
    yield 1
    yield lambda: None


def test_an_item_that_cannot_be_pickled_fails_instead_of_vanishing():
    with pytest.raises(workers.WorkerFailed, match="pickle"):
        list(workers.iter_in_worker(_unpicklable, chunk=1))


def _dies() -> Iterator[int]:
    yield 1
    os._exit(3)


def test_a_worker_that_dies_is_reported(monkeypatch):
    monkeypatch.setattr(workers, "POLL_S", 0.05)
    with pytest.raises(workers.WorkerFailed, match="exit code 3"):
        list(workers.iter_in_worker(_dies, chunk=10))


def _forever() -> Iterator[int]:
    i = 0
    while True:
        yield i
        i += 1


def test_closing_early_stops_the_worker():
    items = workers.iter_in_worker(_forever, chunk=10, ahead=2)
    assert [next(items) for _ in range(25)] == list(range(25))
    items.close()
    # the worker was terminated and joined; no child of ours is left running
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in multiprocessing.active_children() if p.name == "poolcrm-producer"]


def test_without_fork_the_producer_runs_here(monkeypatch):
    monkeypatch.setattr(workers, "can_fork", lambda: False)
    assert list(workers.iter_in_worker(range, 5)) == [0, 1, 2, 3, 4]
