"""The README's moved-clock check as typed (libfaketime moving the monotonic clock as well) runs the suite with the
system date moved and every timed wait working: tests/conftest.py starts such a run again with the wall clock moved
alone, as on a computer whose date is set."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

LIBFAKETIME = next((p for p in (Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"),
                                Path("/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1"),
                                Path("/usr/lib/faketime/libfaketime.so.1")) if p.is_file()), None)


def test_a_timed_wait_returns_and_the_day_is_the_one_set():
    """Alone, a plain check; under libfaketime (the test below), the proof: the day is the moved one, and a timed
    wait of a thread returns instead of hanging."""
    moved = os.environ.get("FAKETIME", "")
    if "faketime" in os.environ.get("LD_PRELOAD", "") and moved.startswith("@"):  # the clock runs on from there
        day = dt.date.fromisoformat(moved[1:11])
        assert day <= dt.date.today() <= day + dt.timedelta(days=1)
    assert threading.Event().wait(0.05) is False


@pytest.mark.slow
@pytest.mark.skipif(LIBFAKETIME is None, reason="需要 libfaketime（Debian 软件包 faketime），本机未安装")
def test_the_check_as_typed_reruns_with_the_wall_clock_moved_alone():
    env = {name: value for name, value in os.environ.items()  # none of libfaketime's settings of this run, if any
           if not name.startswith(("FAKETIME", "DONT_FAKE_MONOTONIC"))}
    env.update(FAKETIME_FORCE_MONOTONIC_FIX="0", LD_PRELOAD=str(LIBFAKETIME), FAKETIME="@2031-01-02 09:00:00")
    test = f"{Path(__file__).relative_to(Path.cwd()) if Path(__file__).is_relative_to(Path.cwd()) else __file__}"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0",
                           f"{test}::test_a_timed_wait_returns_and_the_day_is_the_one_set"],
                          env=env, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
    assert "改为只移动系统日期重新运行测试" in proc.stderr
