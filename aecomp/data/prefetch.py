"""Batches made in a background thread while the previous training step computes.

With ``num_workers: 0`` (the recipes' default on small machines, where worker
processes would compete with the training threads) a DataLoader makes each batch
between steps, and the step waits. :func:`prefetched` moves that work to a thread:
reading, mixing and collating release the GIL in numpy and torch kernels, so it
overlaps the step. Items and their order are exactly those of the iterable (the
random choices of :class:`~aecomp.data.dataset.AudioDataset` depend only on
``(seed, epoch, index)``), so training stays deterministic and resumable.
"""

from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")
_END = object()


def prefetched(iterable: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Yield the items of ``iterable``, produced by a thread up to ``depth`` items ahead.

    An exception in the thread is raised here, at the item where it happened. Closing the
    generator early (a ``break``, an exception in the consumer) stops the thread.
    """
    q: "queue.Queue[tuple]" = queue.Queue(depth)
    stop = threading.Event()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fill() -> None:
        try:
            for item in iterable:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            put((_END, e))

    thread = threading.Thread(target=fill, name="aecomp-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = q.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join()
