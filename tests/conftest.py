"""Shared test fixtures: a fresh workspace, the CLI (in this process or as a subprocess), filled-form factories."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import chdir, contextmanager
from pathlib import Path
from unittest import mock

import pytest

# Python's bytecode cache for what the tests import next (lzdocs' modules, pytest's rewritten test modules) even
# where PYTHONDONTWRITEBYTECODE is set, as in the sandbox this project is built in: without it every run and every
# worker compiles them all again, and every ``lzdocs`` subprocess compiles the package (a user's install has .pyc).
sys.dont_write_bytecode = False

REPO = Path(__file__).resolve().parent.parent


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto`` (pyproject.toml): two workers per core. Most tests compute, but many wait — for lzdocs
    subprocesses (signals, permissions, crash safety, one end-to-end path per command), a watcher's stability window,
    LibreOffice, PostgreSQL — and another worker computes meanwhile: with one worker per core the quick loop
    (``-m "not slow"``) kept the two cores of the development machine busy only 1.2 of its 57 s; with two per core it
    took 47–49 s."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return 2 * cores


def pytest_collection_finish(session):
    """What collection loaded (lzdocs, its libraries, the test modules: some 300,000 objects per worker) lives to
    the end of the run, so the garbage collector's full passes need not scan it again and again (``gc.freeze``, as
    ``lzdocs`` itself does after start-up), and young objects are collected in larger batches. The collector's share
    of a quick-loop worker fell from about 7.5 s to 2.8 s; an object still goes when nothing refers to it."""
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    _move_the_wall_clock_alone(config)
    _let_ctrl_c_through()


_OLD_TEMP: list = []  # the thread removing the temporary folders of earlier runs (``pytest_sessionstart``)


def pytest_sessionstart(session):
    """The temporary folders of earlier runs that pytest removes as this run ends (it keeps the newest three:
    ``tmp_path_retention_count``) go while the tests run instead, in a thread of the process that hands the tests
    to the workers and otherwise waits. A run leaves some 27,000 files; removing them after the last test took
    3–12 s of the quick loop's time to the prompt, on this project's machine. Removed as pytest removes them: first
    renamed ``garbage-…`` (which pytest's own clean-up at exit also removes), never one with a lock (a run still
    going), nothing when ``--basetemp`` names the folder, nothing in a worker."""
    import getpass
    import tempfile
    import threading
    import uuid

    if os.environ.get("PYTEST_XDIST_WORKER") or session.config.option.basetemp:
        return
    try:
        root = Path(os.environ.get("PYTEST_DEBUG_TEMPROOT") or tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}"
        numbered = {int(p.name[7:]): p for p in root.glob("pytest-*")
                    if p.name[7:].isascii() and p.name[7:].isdigit() and not p.is_symlink()}
    except (OSError, KeyError):
        return
    keep = int(session.config.getini("tmp_path_retention_count"))
    if not numbered or session.config.getini("tmp_path_retention_policy") == "none" or keep < 1:
        return
    this_run = max(numbered) + 1  # the number pytest gives this run's folder, made when a test first asks
    old = []
    for number, path in numbered.items():
        if number > this_run - keep:
            continue
        try:  # locked first, as pytest locks one it removes: a run's own lock (made now or before) wins, atomically
            os.close(os.open(path / ".lock", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except OSError:
            continue
        try:
            old.append(path.rename(root / f"garbage-{uuid.uuid4()}"))
        except OSError:
            (path / ".lock").unlink(missing_ok=True)
    if old:
        thread = threading.Thread(target=lambda: [shutil.rmtree(p, ignore_errors=True) for p in old], daemon=True)
        thread.start()
        _OLD_TEMP.append(thread)


def pytest_unconfigure(config):
    for thread in _OLD_TEMP:
        thread.join()


def _let_ctrl_c_through() -> None:
    """A run started in the background by a shell without job control (``sh -c 'pytest &'``, a CI step in a
    subshell) inherits SIGINT ignored, and Python then never raises KeyboardInterrupt, in this process or in the
    lzdocs processes the tests start: the Ctrl-C tests would test ``nohup``, not a clerk's Ctrl-C. Put Python's
    own handler back; children then start with the signal's default, as from a terminal."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _move_the_wall_clock_alone(config) -> None:
    """Under libfaketime with the monotonic clock faked too (``FAKETIME=… python -m pytest`` as the README's
    moved-clock check is often typed), start this run again with the wall clock moved alone.

    A computer whose date is set to 2031 keeps its monotonic clock (time since boot). libfaketime also moves that
    one unless told not to, and then no timed wait of a Python thread ever returns: CPython waits with sem_clockwait
    on the real monotonic clock, which libfaketime 0.9.10 does not wrap (``threading.Event().wait(0.5)`` hangs).
    That tests the tool, not the dates, so the run is done again as the machine with its date set would be: the
    same wall clock (``FAKETIME``), the monotonic clock real, one clock for every child process, and
    tests/faketime/sitecustomize.py for time.sleep (see there). Nothing changes outside libfaketime."""
    env = os.environ
    if "faketime" not in env.get("LD_PRELOAD", "") or env.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
        return
    try:
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    if abs(time.monotonic() - uptime) < 86_400:  # the monotonic clock is the real one: nothing to do
        return
    if sys.argv[:1] == ["-"]:  # a program read from stdin cannot be started again: say what to set instead
        sys.stderr.write("libfaketime 也改动了单调时钟，线程的限时等待将永不返回；"
                         "请加上 FAKETIME_DONT_FAKE_MONOTONIC=1 再运行\n")
        return
    path = os.pathsep.join(p for p in (str(REPO / "tests" / "faketime"), env.get("PYTHONPATH")) if p)
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None:  # the terminal back from pytest's capture, for this message and the new run
        capture.suspend_global_capture(in_=True)
    sys.stderr.write("libfaketime 也改动了单调时钟（线程的限时等待因此永不返回）；改为只移动系统日期重新运行测试"
                     "（FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_DONT_RESET=1）\n")
    sys.stderr.flush()
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]],
              {**env, "FAKETIME_DONT_FAKE_MONOTONIC": "1", "DONT_FAKE_MONOTONIC": "1",  # (the older spelling)
               "FAKETIME_DONT_RESET": "1", "PYTHONPATH": path})


FIXTURES = Path(__file__).resolve().parent / "fixtures"
TODAY = dt.date(2026, 11, 28)  # "today" of every CLI run here: the sample forms are from November 2026

SAMPLE_SCHOOL = ("--school", "内蒙古工业大学", "--short", "内工大")  # lzdocs init's answers for the sample school
needs_soffice = pytest.mark.soffice  # skipped without LibreOffice, and slow: see pytest_collection_modifyitems

SAMPLE_ROWS = [
    {"seq": "1", "post": "出纳", "duties": "现金收付", "risk": "利用职务便利挪用公款", "category": "岗位职责",
     "level": "一级", "measures": "钱账分管，每日盘点", "owner": "王丽"},
    {"seq": "2", "post": "会计", "duties": "报销审核", "risk": "审核不严，违规报销", "category": "制度机制",
     "level": "二级", "measures": "报销双签，大额集体审批", "owner": "赵强"},
    {"seq": "3", "post": "处长", "duties": "资金审批", "risk": "违规审批资金", "category": "岗位职责",
     "level": "三级", "measures": "重大资金集体研究", "owner": "刘建国"},
]


@pytest.fixture(autouse=True)
def _the_day_is_pinned(request, monkeypatch):
    """A test pins the day it means (``Office(..., today=TODAY)``, ``LZDOCS_TODAY``, ``run_cli``'s environment).
    ``Office()`` and the command line fall back to the system date through ``Clock.from_environment``: reached in
    a test without ``LZDOCS_TODAY``, that fails at once, on any day, instead of only on the days (December of a
    later year) when the system's year differs from the test data's. A test about that fallback itself is marked
    ``system_date``."""
    if request.node.get_closest_marker("system_date") is not None:
        return
    from lzdocs.clock import ENV, Clock

    original = Clock.from_environment.__func__

    def pinned_only(cls):
        if not os.environ.get(ENV, "").strip():
            raise AssertionError("the test reads the system date: pass today=TODAY (or a Clock), or set "
                                 f"{ENV}; mark it system_date if the system date is what it tests")
        return original(cls)

    monkeypatch.setattr(Clock, "from_environment", classmethod(pinned_only))


@pytest.hookimpl(tryfirst=True)  # before -m selects: a soffice test is deselected by "not slow"
def pytest_collection_modifyitems(items):
    """A test that needs LibreOffice is also slow (``-m "not slow"`` is the quick loop without it) and is skipped
    where LibreOffice is not installed; so is a test on PostgreSQL (its SQLite twin stays in the quick loop)."""
    missing = shutil.which("soffice") is None
    for item in items:
        if item.get_closest_marker("soffice") is not None:
            item.add_marker(pytest.mark.slow)
            if missing:
                item.add_marker(pytest.mark.skip(reason="需要 LibreOffice (soffice)，本机未安装"))
        if item.get_closest_marker("postgres") is not None:  # a server of its own, started once per test process
            item.add_marker(pytest.mark.slow)


def cli_env(**extra) -> dict:
    """The environment of an ``lzdocs`` run: the test day (``LZDOCS_TODAY``), no workspace, debug or crash settings
    of the caller's shell; ``extra`` adds or replaces variables."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)  # keeps tests/faketime
    env = {**os.environ, "PYTHONPATH": path, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200",
           "LZDOCS_TODAY": TODAY.isoformat()}
    for name in ("LZDOCS_WORKSPACE", "LZDOCS_DEBUG", "LZDOCS_CRASH_AT"):
        env.pop(name, None)
    env.update(extra)
    return env


def run_process(*args, cwd=None, env=None, timeout=300, check=None) -> subprocess.CompletedProcess:
    """The real ``lzdocs`` command in a subprocess (signals, permissions, crashes, the watcher, end-to-end paths);
    ``check`` = expected exit code."""
    proc = subprocess.run([sys.executable, "-m", "lzdocs", *map(str, args)], cwd=cwd, env=env or cli_env(),
                          capture_output=True, text=True, timeout=timeout, encoding="utf-8")
    if check is not None:
        assert proc.returncode == check, f"exit {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
    return proc


def run_cli(*args, cwd=None, env=None, check=None, input=None, timeout=None) -> subprocess.CompletedProcess:
    """``lzdocs`` in this process (click's CliRunner), returned like a subprocess's result; ``check`` = expected exit.

    ``env`` is a whole environment as for a subprocess (default ``cli_env()``), applied for the run only; ``cwd``
    is entered for the run; ``timeout`` is accepted for ``run_process``'s signature and not enforced. Bugs raise
    here with their traceback (``LZDOCS_DEBUG``) instead of becoming exit 3; the exit-3 path itself is tested with
    ``run_process``.
    """
    from click.testing import CliRunner

    from lzdocs.cli import cli

    argv = [str(a) for a in args]
    wanted = {**(env or cli_env()), "LZDOCS_DEBUG": "1"}
    changes = {k: v for k, v in wanted.items() if os.environ.get(k) != v}
    changes.update({k: None for k in os.environ if k not in wanted})
    with chdir(cwd or os.getcwd()):
        result = CliRunner().invoke(cli, argv, input=input, env=changes, prog_name="lzdocs")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        result.exception.add_note(f"lzdocs {' '.join(argv)}\nstdout:{result.stdout}\nstderr:{result.stderr}")
        raise result.exception.with_traceback(result.exc_info[2])
    proc = subprocess.CompletedProcess(["lzdocs", *argv], result.exit_code, result.stdout, result.stderr)
    if check is not None:
        assert proc.returncode == check, f"exit {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
    return proc


@contextmanager
def at_commit(action, *, once: bool = False):
    """``action(connection)`` just before each COMMIT of a write transaction on a SQLite archive in this process
    (``once``: the next one only): it may raise, as a failing disk does, or send the COMMIT itself and then raise,
    as a connection that drops before the answer comes."""
    from lzdocs.store import Store

    original, fired = Store._commit, []

    def commit(raw):
        if not (once and fired):
            fired.append(raw)
            action(raw)
        original(raw)

    with mock.patch.object(Store, "_commit", staticmethod(commit)):
        yield fired


def run_json(*args, check=0, **kw):
    proc = run_cli(*args, "--json", check=check, **kw)
    return json.loads(proc.stdout)


def pytest_generate_tests(metafunc):
    """A test marked ``both_backends`` that uses a workspace runs on SQLite and on PostgreSQL (unless it is about
    the SQLite file itself: ``sqlite_only``)."""
    both = metafunc.definition.get_closest_marker("both_backends")
    if "backend" in metafunc.fixturenames and both and not metafunc.definition.get_closest_marker("sqlite_only"):
        metafunc.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
                             indirect=True)


@pytest.fixture
def opened_zips(monkeypatch) -> list:
    """Every ``zipfile.ZipFile`` opened during the test, in order (``zf.fp is None`` once it is closed)."""
    import zipfile

    opened = []
    init = zipfile.ZipFile.__init__

    def spied(self, *args, **kw):
        init(self, *args, **kw)
        opened.append(self)

    monkeypatch.setattr(zipfile.ZipFile, "__init__", spied)
    return opened


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for the session (tests/pgserver.py); skips where none is installed."""
    import tempfile

    from tests.pgserver import MISSING, ThrowawayPostgres, find_bindir

    bindir = find_bindir()
    if bindir is None:
        pytest.skip(MISSING)
    folder = Path(tempfile.mkdtemp(prefix="lzdocs-pg-"))
    folder.chmod(0o755)  # the server runs as the postgres account when the tests run as root
    server = ThrowawayPostgres(folder / "pg", bindir).start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def backend(request) -> str:
    """The archive's database: ``sqlite`` (the workspace's lzdocs.db) unless parametrised by ``both_backends``."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def workspace(tmp_path, backend, request):
    """A new workspace with the default roster and settings (its archive on PostgreSQL for that backend)."""
    from lzdocs.workspace import SAMPLE, Workspace

    ws, _ = Workspace.init(tmp_path / "ws", SAMPLE)
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_server").new_schema()
        use_database(ws.root, url)
        ws = Workspace.open(ws.root)
    return ws


def use_database(root: Path, url: str) -> None:
    """Point the workspace at ``url`` (``[database] url`` in its lzdocs.toml)."""
    config = root / "lzdocs.toml"
    text = config.read_text(encoding="utf-8")
    assert '\nurl = ""' in text
    config.write_text(text.replace('\nurl = ""', f'\nurl = "{url}"', 1), encoding="utf-8")


def use_inbox(root: Path, path: str | Path) -> None:
    """Point the workspace's inbox at ``path`` (``[inbox] path`` in its lzdocs.toml; a Path with forward slashes,
    a string as written)."""
    config = root / "lzdocs.toml"
    text = config.read_text(encoding="utf-8")
    assert '\npath = "inbox"' in text
    value = path.as_posix() if isinstance(path, Path) else path
    config.write_text(text.replace('\npath = "inbox"', f'\npath = "{value}"', 1), encoding="utf-8")


def use_readers(root: Path, readers: int):
    """``[limits] readers`` in the workspace's lzdocs.toml (0: the ingest reads every form itself); the workspace
    opened again, with that setting."""
    from lzdocs.workspace import Workspace

    config = root / "lzdocs.toml"
    text = config.read_text(encoding="utf-8")
    assert "\n[limits]\n" in text
    config.write_text(text.replace("\n[limits]\n", f"\n[limits]\nreaders = {readers}\n", 1), encoding="utf-8")
    return Workspace.open(root)


@pytest.fixture
def store(workspace):
    from lzdocs.store import Store

    s = Store.for_workspace(workspace)
    yield s
    s.close()


def make_form_file(path: Path, *, unit="计划财务处", rows=None, date=dt.date(2026, 11, 10), **kw) -> Path:
    """A filled form written with the product's own writer (.docx/.xlsx); what the ``make_form`` fixture gives."""
    from lzdocs.documents.blankform import write_docx, write_xlsx
    from lzdocs.forms.schema import risk_kind

    path, rows = Path(path), SAMPLE_ROWS if rows is None else rows
    writer = write_docx if path.suffix == ".docx" else write_xlsx
    key = (writer.__name__, unit, date, repr(rows), repr(sorted(kw.items())))
    if key in _MADE_FORMS:  # the same form again: its bytes, not a second run of the writer (0.1–0.2 s)
        path.parent.mkdir(parents=True, exist_ok=True)  # as the writers do
        path.write_bytes(_MADE_FORMS[key])
        return path
    writer(risk_kind(), path, unit=unit, rows=rows, date=date, **kw)
    _MADE_FORMS[key] = path.read_bytes()
    return path


@pytest.fixture
def make_form():
    """make_form(path, unit=, rows=, date=) writes a filled form with the product's own writer (.docx/.xlsx)."""
    return make_form_file


@pytest.fixture(scope="session")
def _summarised_year_built(tmp_path_factory) -> tuple[Path, Path]:
    """(the folder holding the workspace ``ws``, its 总结 relative to the workspace), made once per test process:
    a summary takes a chart and a Word document, some 0.2 s a test."""
    from lzdocs import Office
    from lzdocs.workspace import SAMPLE, Workspace

    base = tmp_path_factory.mktemp("summarised")
    ws, _ = Workspace.init(base / "ws", SAMPLE)
    make_form_file(ws.inbox / "计财处.docx", unit="计划财务处", rows=SAMPLE_ROWS)
    with Office(ws, today=TODAY) as office:
        office.ingest()
        summary = office.summary(2026).file
    return base, summary.relative_to(ws.root)


@pytest.fixture
def summarised_year(_summarised_year_built, tmp_path):
    """(workspace, its 总结): one unit's form of 2026 taken and the year-end summary lzdocs wrote for it, on TODAY —
    a copy of its own for each test, at ``tmp_path / "ws"`` as the ``workspace`` fixture's."""
    from lzdocs.workspace import Workspace

    base, summary = _summarised_year_built
    ws = Workspace.open(copy_of(base, tmp_path) / "ws")
    return ws, ws.root / summary


def copy_of(built: Path, into: Path) -> Path:
    """Everything in ``built`` (a folder a module fixture made once: a workspace, its backups…) copied into
    ``into``, for one test to change as it likes; returns ``into``. The copy keeps names, times and links."""
    assert not list(built.rglob("*.db-wal")), "an archive is still open in the folder built once"
    for child in built.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.copytree(child, into / child.name, symlinks=True)
        else:
            shutil.copy2(child, into / child.name, follow_symlinks=False)
    return into


_MADE_FORMS: dict[tuple, bytes] = {}  # the forms make_form wrote in this test process, by what they hold
