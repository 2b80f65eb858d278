"""Keeping Python's memory management out of the way of large rounds.

A round of 50,000 requests creates a few million objects in seconds. Every
full collection walks all of them while holding the GIL, which stalled the
desktop app's event loop for half a second at a time and cost the command
line about a tenth of its CPU time. Reference counting still frees these
objects; only reference cycles wait for the collector to run again.

Freeing those objects also holds the GIL for as long as it takes, so large
containers are emptied in slices on a worker thread (`release`).
"""

import asyncio
import contextlib
import gc

_pauses = 0
_runs = 0


@contextlib.contextmanager
def collection_paused():
    """Switch automatic collection off for a short CPU-bound phase (nesting allowed).

    Use it around building or merging, never around a wait: cycles made
    while it is off are only collected once it is back on. The objects that
    survive the phase are frozen (see `frozen_until_run_ends`) because the
    first young collection after the phase would otherwise walk all of them
    in one go, which stalled the app's event loop for 60 to 90 ms.
    """
    global _pauses
    was_enabled = gc.isenabled() if _pauses == 0 else True
    _pauses += 1
    gc.disable()
    try:
        yield
    finally:
        _pauses -= 1
        if _pauses == 0 and was_enabled:
            gc.freeze()
            gc.enable()


@contextlib.contextmanager
def frozen_until_run_ends():
    """Hand the objects frozen during the block back to the collector when it ends.

    Wrap a whole job run in it: the requests and results of its rounds are
    then freed by reference counting while they sit outside the collector's
    generations, and only what is still alive at the end is walked again.
    gc.freeze() is process-wide, so runs that overlap unfreeze only when the
    last of them ends.
    """
    global _runs
    _runs += 1
    try:
        yield
    finally:
        _runs -= 1
        if _runs == 0:
            gc.unfreeze()


# Elements freed between two chances for another thread to take the GIL.
RELEASE_SLICE = 100


def empty_in_slices(container: list | dict) -> None:
    """Empty `container` a slice at a time.

    Dropping the last reference to a large container frees everything only
    it refers to in one C call that holds the GIL: the requests of a
    50,000-item round took 30 to 60 ms, during which no other thread ran.
    Between two slices the interpreter can switch threads.
    """
    if isinstance(container, dict):
        while container:
            for _ in range(min(RELEASE_SLICE, len(container))):
                container.popitem()
        return

    while container:
        del container[-RELEASE_SLICE:]


async def release(*containers: list | dict) -> None:
    """Empty large containers on a worker thread, so that freeing them never holds up the event loop.

    Elements that the caller still refers to elsewhere survive and are
    freed later, where the last reference to them is dropped.
    """
    await asyncio.to_thread(_empty_all, containers)


def _empty_all(containers) -> None:
    for container in containers:
        empty_in_slices(container)
