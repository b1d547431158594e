"""A finished process ends at once (lzdocs/ending.py): its exit handlers run and its output is flushed first, and it
is left to Python whenever Python still has something to do (a thread to wait for, a message to print)."""

import json
import subprocess
import sys
import textwrap

from tests.conftest import SAMPLE_ROWS, cli_env, run_process
from tests.ingest.invariant import assert_each_input_exactly_once


def _python(code: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=cli_env(),
                          capture_output=True, text=True, timeout=60, encoding="utf-8")


def test_the_exit_handlers_run_and_the_output_is_flushed_before_the_process_ends(tmp_path):
    ended = _python("""
        import atexit, pathlib, sys, tempfile, weakref
        from lzdocs.ending import end_now

        atexit.register(lambda: pathlib.Path("handler-ran").write_text("yes"))
        kept = tempfile.mkdtemp(dir=".")  # removed as the ingest's private folder is: by a finalizer at exit
        weakref.finalize(object, lambda: __import__("shutil").rmtree(kept))
        print("输出未换行", end="")
        sys.stderr.write("警告未换行")
        end_now(3)
        print("never")
    """, tmp_path)
    assert (ended.returncode, ended.stdout, ended.stderr) == (3, "输出未换行", "警告未换行")
    assert (tmp_path / "handler-ran").read_text() == "yes"
    assert [p.name for p in tmp_path.iterdir()] == ["handler-ran"]


def test_a_thread_still_running_or_a_message_for_an_exit_code_is_left_to_python(tmp_path):
    waited = _python("""
        import threading, time
        from lzdocs.ending import end_now

        def late():
            time.sleep(0.3)
            print("线程结束")

        threading.Thread(target=late).start()
        end_now(0)
        print("仍在运行")
    """, tmp_path)
    assert (waited.returncode, waited.stdout) == (0, "仍在运行\n线程结束\n")
    said = _python("""
        from lzdocs.ending import end_now

        end_now("出错了")
        raise SystemExit("出错了")
    """, tmp_path)
    assert (said.returncode, said.stderr) == (1, "出错了\n")


def test_a_command_ends_with_its_own_code_and_its_whole_output(workspace, make_form, tmp_path):
    given = [make_form(workspace.inbox / "a.docx", unit="计划财务处").read_bytes(),
             make_form(workspace.inbox / "b.docx", rows=[dict(SAMPLE_ROWS[0], level="很高")]).read_bytes()]
    taken = run_process("-w", workspace.root, "ingest", "--json")
    assert taken.returncode == 1  # one returned
    assert sorted(o["status"] for o in json.loads(taken.stdout)) == ["accepted", "rejected"]
    assert list((workspace.state / "tmp").iterdir()) == []  # the run's private folder removed at its exit
    assert_each_input_exactly_once(workspace, given)
