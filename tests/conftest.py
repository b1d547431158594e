"""Shared test fixtures: a fresh workspace, the real CLI as a subprocess, filled-form factories."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="需要 LibreOffice (soffice)，本机未安装")

SAMPLE_ROWS = [
    {"seq": "1", "post": "出纳", "duties": "现金收付", "risk": "利用职务便利挪用公款", "category": "岗位职责",
     "level": "一级", "measures": "钱账分管，每日盘点", "owner": "王丽"},
    {"seq": "2", "post": "会计", "duties": "报销审核", "risk": "审核不严，违规报销", "category": "制度机制",
     "level": "二级", "measures": "报销双签，大额集体审批", "owner": "赵强"},
    {"seq": "3", "post": "处长", "duties": "资金审批", "risk": "违规审批资金", "category": "岗位职责",
     "level": "三级", "measures": "重大资金集体研究", "owner": "刘建国"},
]


def cli_env(**extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    env.pop("LZDOCS_WORKSPACE", None)
    env.update(extra)
    return env


def run_cli(*args, cwd=None, env=None, timeout=300, check=None) -> subprocess.CompletedProcess:
    """The real ``lzdocs`` command in a subprocess; ``check`` = expected exit code."""
    proc = subprocess.run([sys.executable, "-m", "lzdocs", *map(str, args)], cwd=cwd, env=env or cli_env(),
                          capture_output=True, text=True, timeout=timeout, encoding="utf-8")
    if check is not None:
        assert proc.returncode == check, f"exit {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
    return proc


def run_json(*args, check=0, **kw):
    proc = run_cli(*args, "--json", check=check, **kw)
    return json.loads(proc.stdout)


@pytest.fixture
def workspace(tmp_path):
    """A new workspace with the default roster and settings."""
    from lzdocs.workspace import Workspace

    ws, _ = Workspace.init(tmp_path / "ws")
    return ws


@pytest.fixture
def store(workspace):
    from lzdocs.store import Store

    s = Store.for_workspace(workspace)
    yield s
    s.close()


@pytest.fixture
def make_form():
    """make_form(path, unit=, rows=, date=) writes a filled form with the product's own writer (.docx/.xlsx)."""
    from lzdocs.documents.blankform import write_docx, write_xlsx
    from lzdocs.forms.schema import risk_kind

    def make(path: Path, *, unit="计划财务处", rows=None, date=dt.date(2026, 11, 10), **kw) -> Path:
        writer = write_docx if Path(path).suffix == ".docx" else write_xlsx
        return writer(risk_kind(), Path(path), unit=unit, rows=SAMPLE_ROWS if rows is None else rows, date=date, **kw)

    return make
