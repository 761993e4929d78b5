"""The trainer's prefetch thread: same items in the same order, errors surface, early exits stop it."""

from __future__ import annotations

import threading

import pytest

from aecomp.data.prefetch import prefetched


def test_items_and_order_are_unchanged():
    assert list(prefetched(iter(range(100)), depth=3)) == list(range(100))
    assert list(prefetched([])) == []


def test_an_error_in_the_thread_is_raised_at_its_item():
    def items():
        yield 1
        yield 2
        raise ValueError("bad clip")

    got = []
    with pytest.raises(ValueError, match="bad clip"):
        for x in prefetched(items()):
            got.append(x)
    assert got == [1, 2]


def test_leaving_early_stops_the_thread():
    made = []

    def endless():
        i = 0
        while True:
            made.append(i)
            yield i
            i += 1

    gen = prefetched(endless(), depth=2)
    assert [next(gen) for _ in range(3)] == [0, 1, 2]
    (worker,) = [t for t in threading.enumerate() if t.name == "aecomp-prefetch"]
    closer = threading.Thread(target=gen.close, daemon=True)  # close() joins the worker: guard against a hang
    closer.start()
    closer.join(timeout=60)
    assert not closer.is_alive(), "closing the generator hangs: the prefetch thread does not stop"
    assert not worker.is_alive()
    assert len(made) <= 3 + 2 + 1  # at most `depth` (+ the one in hand) made ahead
