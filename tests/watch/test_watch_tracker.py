"""The stability tracker decides from observations on the local monotonic clock alone."""

import os

from lzdocs.watch.tracker import DEFERRED, StabilityTracker

A, B = os.path.join("inbox", "a.docx"), os.path.join("inbox", "sub", "b.xlsx")


def test_a_new_file_is_ready_only_after_holding_still_for_the_window():
    t = StabilityTracker(5)
    assert t.observe(A, (100, 1), now=10.0) is False
    assert t.observe(A, (100, 1), now=14.9) is False
    assert t.observe(A, (100, 1), now=15.0) is True


def test_a_growing_file_starts_its_window_again_at_every_change():
    t = StabilityTracker(5)
    t.observe(A, (100, 1), now=0.0)
    t.observe(A, (200, 2), now=4.0)
    assert t.observe(A, (200, 2), now=8.0) is False
    assert t.observe(A, (300, 3), now=9.5) is False
    assert t.observe(A, (300, 3), now=14.5) is True


def test_mtime_far_from_our_clock_does_not_matter():
    """A file server whose clock is years off: only changes between observations count."""
    t = StabilityTracker(2)
    future = 4_102_444_800 * 10**9  # 2100-01-01 in ns
    t.observe(A, (10, future), now=0.0)
    assert t.observe(A, (10, future), now=2.0) is True
    t.observe(B, (10, 0), now=0.0)  # 1970
    assert t.observe(B, (10, 0), now=1.0) is False


def test_due_lists_files_whose_window_has_come_and_next_check_says_when():
    t = StabilityTracker(5)
    t.observe(A, (1, 1), now=0.0)
    t.observe(B, (1, 1), now=2.0)
    assert t.next_check() == 5.0
    assert t.due(4.9) == []
    assert t.due(6.0) == [A]
    assert t.due(8.0) == [B]
    assert t.due(100.0) == []  # nothing more is due until something is observed again


def test_a_queued_file_is_not_offered_again_until_the_worker_is_done():
    t = StabilityTracker(1)
    t.observe(A, (1, 1), now=0.0)
    assert t.observe(A, (1, 1), now=1.0)
    t.queued(A)
    assert t.observe(A, (1, 1), now=5.0) is False
    assert t.reconcile([]) == []  # a listing without it does not drop what the worker holds
    t.finished(A)
    assert A not in t
    assert t.observe(A, (1, 1), now=6.0) is False  # the same name again is a new file: a new window


def test_a_listing_forgets_missing_files_except_below_folders_it_could_not_read():
    t = StabilityTracker(1)
    t.observe(A, (1, 1), now=0.0)
    t.observe(B, (1, 1), now=0.0)
    gone = t.reconcile(seen=[], unreadable=[os.path.join("inbox", "sub")])
    assert gone == [A]
    assert B in t


def test_a_failed_take_is_retried_later_with_a_growing_delay():
    t = StabilityTracker(1, retry_first=30, retry_max=100)
    t.observe(A, (1, 1), now=0.0)
    t.observe(A, (1, 1), now=1.0)
    t.queued(A)
    assert t.failed(A, now=2.0) == 30
    assert t.entries[A].state == DEFERRED
    assert t.observe(A, (1, 1), now=20.0) is False
    assert t.due(31.0) == []
    assert t.due(32.0) == [A]
    assert t.observe(A, (1, 1), now=32.0) is True
    t.queued(A)
    assert t.failed(A, now=33.0) == 60
    t.queued(A)
    assert t.failed(A, now=94.0) == 100


def test_a_stable_but_incomplete_file_is_waited_for_then_handed_over():
    t = StabilityTracker(1, incomplete_timeout=10)
    t.observe(A, (5, 1), now=0.0)
    assert t.observe(A, (5, 1), now=1.0)
    assert t.incomplete(A, now=1.0) is False
    assert t.next_check() == 11.0
    assert t.observe(A, (5, 1), now=5.0) is False
    assert t.due(11.0) == [A]
    assert t.observe(A, (5, 1), now=11.0) is True
    assert t.incomplete(A, now=11.0) is True


def test_a_change_while_queued_is_left_for_the_worker_to_notice():
    t = StabilityTracker(1)
    t.observe(A, (1, 1), now=0.0)
    t.observe(A, (1, 1), now=1.0)
    t.queued(A)
    assert t.observe(A, (2, 2), now=1.5) is False
    assert t.entries[A].state == "queued"
