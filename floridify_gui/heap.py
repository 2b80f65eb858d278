"""Keeping Python's cyclic garbage collector out of the way of large rounds.

A round of 50,000 requests creates a few million objects in seconds. Every
full collection walks all of them while holding the GIL, which stalled the
desktop app's event loop for half a second at a time and cost the command
line about a tenth of its CPU time. Reference counting still frees these
objects; only reference cycles wait for the collector to run again.
"""

import contextlib
import gc

_pauses = 0


@contextlib.contextmanager
def collection_paused():
    """Switch automatic collection off for a short CPU-bound phase (nesting allowed).

    Use it around building or merging, never around a wait: cycles made
    while it is off are only collected once it is back on.
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
            gc.enable()


@contextlib.contextmanager
def long_lived_objects_frozen():
    """Exclude the objects alive now from full collections until the block ends.

    It covers the requests of a round while their batch is waited for and
    merged. gc.freeze() is process-wide, so overlapping rounds unfreeze early,
    which only costs speed.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
