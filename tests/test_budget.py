"""The OS budget that the hostile-file tests run under (tests/conftest.py) bites."""

from __future__ import annotations

import time

import pytest


@pytest.mark.budget(seconds=5, megabytes=100)
def test_an_allocation_past_the_budget_fails() -> None:
    with pytest.raises(MemoryError):
        bytearray(300 * 2**20)
    assert len(bytearray(10 * 2**20)) == 10 * 2**20  # within it, all is well


@pytest.mark.budget(seconds=0.5)
def test_a_test_past_its_time_is_stopped() -> None:
    with pytest.raises(TimeoutError, match=r"budget of 0\.5 s"):
        time.sleep(3)
