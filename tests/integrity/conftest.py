"""The checks' waits for a concurrent writer, shortened where no other process writes (every test not marked slow)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def short_waits(request, monkeypatch):
    """verify looks at a finding again after CONFIRM_AFTER (0.5 s), backup waits up to SETTLE_WAIT (3 s) for a
    file recorded a moment before to be renamed into place; with no writer running alongside they only cost time.
    The slow tests, which run ingests and letters alongside, keep the real waits; SETTLE_WAIT stays above the
    0.8 s rename of test_a_form_recorded_but_not_yet_renamed_into_place_is_waited_for."""
    if request.node.get_closest_marker("slow") is None:
        monkeypatch.setattr("lzdocs.integrity.verify.CONFIRM_AFTER", 0.05)
        monkeypatch.setattr("lzdocs.integrity.backup.SETTLE_WAIT", 1.5)
