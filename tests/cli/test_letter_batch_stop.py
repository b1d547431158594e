"""A letter batch stopped part-way (Ctrl-C) says what it sent, registers it, and run again sends only the rest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lzdocs import Office
from lzdocs.documents import letters as L
from lzdocs.store import Store
from lzdocs.store.schema import documents
from lzdocs.workspace import Workspace
from tests.conftest import SAMPLE_SCHOOL, TODAY, cli_env, run_cli, run_json

UNITS = ["计财处", "基建处", "后勤处", "图书馆", "资产处"]


def batch_file(path: Path, units=UNITS) -> Path:
    lines = ["单位,事由,问题,整改要求"] + [f"{u},在复查中,{u}的验收记录不全,建立台账" for u in units]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def in_force(root: Path) -> list[tuple[str, str]]:
    """(文号, 主送单位) of every letter recorded and not void."""
    with Store.for_workspace(Workspace.open(root)) as store, store.read() as conn:
        return [(r.number, r.recipient) for r in conn.execute(
            select(documents).where(documents.c.status == "issued").order_by(documents.c.id))]


def register_numbers(root: Path) -> list[str]:
    sheet = load_workbook(root / "outbox" / "2026" / "登记簿" / "发文登记簿.xlsx").worksheets[0]
    return [str(v) for (v,) in sheet.iter_rows(min_col=3, max_col=3, values_only=True) if v and "〔" in str(v)]


@pytest.fixture
def root(tmp_path) -> Path:
    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    return root


def ctrl_c_while_writing(monkeypatch, letter: int) -> None:
    """A real SIGINT to this process while the ``letter``-th letter is rendered (as a clerk's Ctrl-C lands)."""
    render, calls = L.LetterOffice.render, []

    def render_and_press(self, *args, **kw):
        calls.append(1)
        if len(calls) == letter:
            os.kill(os.getpid(), signal.SIGINT)
        return render(self, *args, **kw)

    monkeypatch.setattr(L.LetterOffice, "render", render_and_press)


@pytest.mark.parametrize("json_out", [False, True])
def test_ctrl_c_finishes_the_letter_in_hand_registers_what_was_sent_and_says_so(root, tmp_path, monkeypatch,
                                                                                json_out):
    batch = batch_file(tmp_path / "整改.csv")
    ctrl_c_while_writing(monkeypatch, 2)
    proc = run_cli("-w", root, "letter", "rectify", "--batch", batch, *(["--json"] if json_out else []))
    assert proc.returncode == 130
    sent = [("内工大纪改〔2026〕1号", "计划财务处"), ("内工大纪改〔2026〕2号", "基建处")]
    assert in_force(root) == sent  # the letter being written when Ctrl-C came is finished, nothing after it
    assert register_numbers(root) == [n for n, _ in sent]  # and registered before the command ends
    assert "已发出的 2 份都已编号、登记" in proc.stderr and "从第4行起的 3 行没有发文" in proc.stderr
    if json_out:
        rows = json.loads(proc.stdout)
        assert [(r["row"], r["status"], r["number"]) for r in rows] == [
            (2, "issued", "内工大纪改〔2026〕1号"), (3, "issued", "内工大纪改〔2026〕2号"),
            (4, "interrupted", None), (5, "interrupted", None), (6, "interrupted", None)]
    else:
        assert "第3行 基建处：责令检查整改通知书 内工大纪改〔2026〕2号" in proc.stdout
        assert "共 5 份：成功 2，失败 0，未处理 3。" in proc.stdout

    monkeypatch.undo()
    again = run_json("-w", root, "letter", "rectify", "--batch", batch)
    assert [(r["row"], r["status"], r["number"]) for r in again] == [
        (2, "skipped", "内工大纪改〔2026〕1号"), (3, "skipped", "内工大纪改〔2026〕2号"),
        (4, "issued", "内工大纪改〔2026〕3号"), (5, "issued", "内工大纪改〔2026〕4号"),
        (6, "issued", "内工大纪改〔2026〕5号")]
    assert sorted(u for _, u in in_force(root)) == sorted(
        ["计划财务处", "基建处", "后勤管理处", "图书馆", "国有资产管理处"])  # each unit one letter
    assert len(register_numbers(root)) == 5


def test_a_batch_run_again_on_another_day_sends_only_rows_not_sent_and_again_sends_all(root, tmp_path):
    batch = batch_file(tmp_path / "整改.csv", UNITS[:2])
    run_json("-w", root, "letter", "rectify", "--batch", batch, "--date", "2026-11-27")
    batch_file(batch, UNITS[:3])  # a row added; the first two unchanged
    text = run_cli("-w", root, "letter", "rectify", "--batch", batch, check=0).stdout
    assert "第2行 计划财务处：已发过（内工大纪改〔2026〕1号），没有重复发文" in text
    assert "第4行 后勤管理处：责令检查整改通知书 内工大纪改〔2026〕3号" in text
    assert "共 3 份：成功 1，失败 0，已发过 2。" in text
    changed = tmp_path / "改过.csv"  # the same unit with other 问题 is another letter
    changed.write_text("单位,事由,问题,整改要求\n计财处,在复查中,报销单据不全,建立台账\n", encoding="utf-8")
    assert run_json("-w", root, "letter", "rectify", "--batch", changed)[0]["status"] == "issued"
    forced = run_json("-w", root, "letter", "rectify", "--batch", batch, "--again")
    assert [r["status"] for r in forced] == ["issued"] * 3
    assert len(in_force(root)) == 7


def test_a_voided_letter_is_sent_again_by_its_row(root, tmp_path):
    batch = batch_file(tmp_path / "整改.csv", UNITS[:1])
    run_json("-w", root, "letter", "rectify", "--batch", batch)
    run_cli("-w", root, "void", "内工大纪改〔2026〕1号", "--reason", "单位名称写错", check=0)
    again = run_json("-w", root, "letter", "rectify", "--batch", batch)
    assert [(r["status"], r["number"]) for r in again] == [("issued", "内工大纪改〔2026〕2号")]


def test_the_rows_are_known_through_the_library_and_a_person_makes_another_letter(root):
    with Office(root, today=TODAY) as office:
        rows = [(2, {"单位": "基建处", "对象": "基建处处长", "事由": "在专项检查中", "谈话时间": "2026-12-03 09:00",
                     "谈话地点": "纪委办公室", "谈话人": "纪委副书记"})]
        first = office.letter_batch("talk", rows)
        assert first.rows[0].issued and not first.skipped
        second = office.letter_batch("talk", rows)
        assert second.skipped[0].already == str(first.rows[0].issued.number) and not second.failed
        to_person = office.letter_batch("talk", [(2, {**rows[0][1], "受文人": "王磊"})])
        assert to_person.rows[0].issued  # addressed to someone: not the same letter


def test_registers_left_behind_are_rewritten_by_the_next_command(root, tmp_path, monkeypatch):
    """Ctrl-C twice: the second lands while the registers are written; they stay marked and the next ingest
    (with nothing in the inbox) rewrites them."""
    from lzdocs.documents import registers as registers_module

    batch = batch_file(tmp_path / "整改.csv", UNITS[:2])
    write = registers_module.write_registers

    def pressed_again(*args, **kw):
        os.kill(os.getpid(), signal.SIGINT)
        return write(*args, **kw)

    ctrl_c_while_writing(monkeypatch, 1)
    monkeypatch.setattr(registers_module, "write_registers", pressed_again)
    proc = run_cli("-w", root, "letter", "rectify", "--batch", batch)
    assert proc.returncode == 130 and "登记簿没有更新（已中断）" in proc.stderr
    assert "已发出的 1 份都已编号、登记" in proc.stderr  # the batch's own message: the rows it did not send
    assert not (root / "outbox" / "2026" / "登记簿" / "发文登记簿.xlsx").exists()
    monkeypatch.undo()
    run_json("-w", root, "ingest")
    assert register_numbers(root) == ["内工大纪改〔2026〕1号"]


def ctrl_c_when_written(root: Path, tmp_path: Path, units: list[str], letters: int) -> tuple[int, str, str]:
    """A real ``letter rectify --batch --json`` to ``units``, sent SIGINT once ``letters`` files are in place:
    (exit, stdout, stderr); the batch file is 整改.csv in ``tmp_path``."""
    (root / "units.csv").write_text("单位,别名\n" + "".join(f"{u},\n" for u in units), encoding="utf-8")
    batch = batch_file(tmp_path / "整改.csv", units)
    folder = root / "outbox" / "2026" / "责令检查整改通知书"
    proc = subprocess.Popen([sys.executable, "-m", "lzdocs", "-w", str(root), "letter", "rectify", "--batch",
                             str(batch), "--json"], env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, encoding="utf-8")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (folder.is_dir() and len(list(folder.glob("*.docx"))) >= letters):
        time.sleep(0.002)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


@pytest.mark.slow
def test_ctrl_c_to_a_real_batch_leaves_every_row_sent_once_after_a_second_run(root, tmp_path):
    units = [f"单位{i:03d}" for i in range(120)]  # long enough that a busy machine still stops it mid-way
    code, out, err = ctrl_c_when_written(root, tmp_path, units, 3)
    batch = tmp_path / "整改.csv"
    assert code == 130, err
    rows = json.loads(out)
    issued = [r for r in rows if r["status"] == "issued"]
    assert 3 <= len(issued) < len(units) and len(rows) == len(units), "the Ctrl-C should land mid-way"
    assert all((root / r["files"][0]).is_file() for r in issued)
    assert [n for n, _ in in_force(root)] == [r["number"] for r in issued]
    assert register_numbers(root) == [r["number"] for r in issued]
    again = run_json("-w", root, "letter", "rectify", "--batch", batch)
    assert sum(r["status"] == "skipped" for r in again) == len(issued)
    assert sorted(u for _, u in in_force(root)) == sorted(units)  # each unit exactly one letter
    assert run_json("-w", root, "verify", check=None)["findings"] == []


@pytest.mark.slow
def test_a_real_ctrl_c_as_the_last_letters_are_put_in_place_still_prints_every_row(root, tmp_path):
    """The SIGINT lands as the last letter file appears: the letters are all saved and must all be said."""
    units = [f"单位{i:02d}" for i in range(40)]
    code, out, err = ctrl_c_when_written(root, tmp_path, units, len(units))
    assert code == 130, err
    rows = json.loads(out)
    assert [r["status"] for r in rows] == ["issued"] * len(units)
    assert err.endswith(f"已中断（Ctrl-C）：{len(units)} 份责令检查整改通知书都已发出、编号（见上）。\n")
    assert register_numbers(root) == [r["number"] for r in rows]
