"""A producer run in a second process: a CPU-bound generator (the demo's synthetic companies)
runs in a forked worker while this process writes what it made, so that both cores work instead
of one making rows and then writing them.

Items travel in chunks through a `multiprocessing` queue (pickled by the producer, unpickled
here); the worker may run `ahead` chunks in front of the reader. Order is kept; an error
in the worker is raised here with its traceback; closing the iterator early stops the worker.
Where `fork` is not the platform's way (only Linux is used), the producer runs in this process."""

from __future__ import annotations

import multiprocessing
import pickle
import queue
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")

CHUNK = 5_000  # items per message
AHEAD = 40  # messages the worker may make before the reader takes them
POLL_S = 1.0  # how often a waiting reader checks that the worker is still alive
_ITEMS, _DONE, _ERROR = "items", "done", "error"


class WorkerFailed(RuntimeError):
    """The producer process raised, or ended before it finished."""


def _produce(out: Any, producer: Callable[..., Iterable[Any]], args: tuple[Any, ...], chunk: int) -> None:
    try:
        items = iter(producer(*args))
        while batch := list(islice(items, chunk)):
            # pickled here, not by the queue's feeder thread: an item that cannot be pickled then
            # fails the producer (reported below) instead of being dropped with a printed error
            out.put((_ITEMS, pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)))
        out.put((_DONE, None))
    except BaseException:  # reported to the reader, which raises it
        out.put((_ERROR, traceback.format_exc()))


def can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def iter_in_worker(
    producer: Callable[..., Iterable[T]], *args: Any, chunk: int = CHUNK, ahead: int = AHEAD
) -> Iterator[T]:
    """The items of `producer(*args)`, in order, made in a forked worker process."""
    if not can_fork():
        yield from producer(*args)
        return
    ctx = multiprocessing.get_context("fork")
    channel = ctx.Queue(maxsize=ahead)
    worker = ctx.Process(
        target=_produce, args=(channel, producer, args, chunk), name="poolcrm-producer", daemon=True
    )
    worker.start()
    try:
        while True:
            try:
                kind, payload = channel.get(timeout=POLL_S)
            except queue.Empty:
                if worker.is_alive():
                    continue
                try:  # it ended: what it sent before is already in the pipe
                    kind, payload = channel.get(timeout=POLL_S)
                except queue.Empty:
                    raise WorkerFailed(
                        f"the producer process ended (exit code {worker.exitcode}) before it finished"
                    ) from None
            if kind == _DONE:
                return
            if kind == _ERROR:
                raise WorkerFailed(f"the producer process failed:\n{payload}")
            yield from pickle.loads(payload)
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
        channel.close()
