"""Collector pauses, freezing and gradual release of large containers."""

import asyncio
import gc
import weakref

from floridify_gui.heap import RELEASE_SLICE, collection_paused, empty_in_slices, frozen_until_run_ends, release


class Node:
    """A container object the collector tracks."""

    def __init__(self, value):
        self.value = value


def test_collection_paused_disables_collector_inside():
    with collection_paused():
        enabled_inside = gc.isenabled()
    enabled_after = gc.isenabled()
    gc.unfreeze()

    assert not enabled_inside
    assert enabled_after


def test_collection_paused_freezes_survivors():
    with frozen_until_run_ends():
        with collection_paused():
            survivors = [Node(number) for number in range(1000)]
        frozen_during_run = gc.get_freeze_count()
    frozen_after_run = gc.get_freeze_count()

    assert len(survivors) == 1000
    assert frozen_during_run >= 1000
    assert frozen_after_run == 0


def test_nested_runs_unfreeze_when_last_ends():
    with frozen_until_run_ends():
        with frozen_until_run_ends():
            with collection_paused():
                pass
        frozen_after_inner = gc.get_freeze_count()
    frozen_after_outer = gc.get_freeze_count()

    assert frozen_after_inner > 0
    assert frozen_after_outer == 0


def test_empty_in_slices_empties_list():
    values = [Node(number) for number in range(RELEASE_SLICE * 3 + 7)]

    empty_in_slices(values)

    assert values == []


def test_empty_in_slices_empties_dict():
    values = {number: Node(number) for number in range(RELEASE_SLICE * 2 + 1)}

    empty_in_slices(values)

    assert values == {}


def test_release_frees_elements():
    values = [Node(number) for number in range(RELEASE_SLICE + 1)]
    first = weakref.ref(values[0])
    last = weakref.ref(values[-1])

    asyncio.run(release(values))

    assert values == []
    assert first() is None
    assert last() is None
