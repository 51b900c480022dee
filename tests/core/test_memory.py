"""core.memory: the collector paused for a block, and only for it."""

from __future__ import annotations

import gc

import pytest

from core.memory import gc_paused


@pytest.fixture(autouse=True)
def collector_on():
    assert gc.isenabled()
    yield
    gc.enable()  # whatever a failing test left


def test_the_collector_is_paused_in_the_block_and_running_after_it():
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_in_the_block_leaves_the_collector_running():
    with pytest.raises(ValueError), gc_paused():
        raise ValueError
    assert gc.isenabled()


def test_nested_blocks_keep_it_paused_until_the_outermost_ends_and_a_paused_one_stays_paused():
    with gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()
