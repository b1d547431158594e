"""A Ctrl-C once the work is saved (a letter numbered, the forms taken): the command still reports the work — the
文号 just issued, each form's outcome — then ends as interrupted (130), saying what was saved. A first Ctrl-C lets
the step under way finish (the registers are written) but starts no PDF and ends any wait; a second stops the
registers too, and what it skipped is done by the next command. Real SIGINTs to this process, at known points."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from lzdocs import Office
from lzdocs.documents import registers as registers_module
from lzdocs.workspace import Workspace
from tests.cli.test_letter_batch_stop import UNITS, batch_file, ctrl_c_while_writing, in_force, register_numbers
from tests.conftest import SAMPLE_SCHOOL, TODAY, make_form_file, run_cli, run_json
from tests.ingest.invariant import assert_each_input_exactly_once

SUGGESTION = ("--set", "事由=在专项检查中", "--set", "问题=报销单据不全", "--set", "建议=建立台账")
SKIPPED = "登记簿没有更新（已中断）；下次发文、收表或运行 lzdocs register 时会更新"


@pytest.fixture
def root(tmp_path) -> Path:
    root = tmp_path / "工作区"
    run_json("init", root, *SAMPLE_SCHOOL)
    return root


def ctrl_c_in(monkeypatch, module, name: str, presses: int = 1) -> list:
    """``presses`` SIGINTs to this process as ``module.name`` starts (a clerk's Ctrl-C); the calls it saw."""
    original, calls = getattr(module, name), []

    def pressed(*args, **kw):
        calls.append(args)
        for _ in range(presses):
            os.kill(os.getpid(), signal.SIGINT)
        return original(*args, **kw)

    monkeypatch.setattr(module, name, pressed)
    return calls


def ctrl_c_after(monkeypatch, module, name: str, presses: int = 1) -> list:
    """``presses`` SIGINTs to this process as ``module.name`` returns; what it returned."""
    original, returned = getattr(module, name), []

    def pressed(*args, **kw):
        returned.append(original(*args, **kw))
        for _ in range(presses):
            os.kill(os.getpid(), signal.SIGINT)
        return returned[-1]

    monkeypatch.setattr(module, name, pressed)
    return returned


def registers_written(root: Path) -> bool:
    return (root / "outbox" / "2026" / "登记簿" / "发文登记簿.xlsx").exists()


@pytest.mark.parametrize("json_out", [False, True])
def test_a_ctrl_c_as_a_letter_is_registered_lets_the_registers_finish_and_says_the_number(root, monkeypatch,
                                                                                          json_out):
    calls = ctrl_c_in(monkeypatch, registers_module, "write_registers")
    proc = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION,
                   *(["--json"] if json_out else []))
    assert calls and proc.returncode == 130, proc.stderr
    number = "内工大纪建〔2026〕1号"
    assert in_force(root) == [(number, "计划财务处")]
    if json_out:
        letter = json.loads(proc.stdout)
        assert letter["number"] == number and (root / letter["files"][0]).is_file()
    else:
        assert f"纪检监察建议书 {number}" in proc.stdout
    assert proc.stderr == f"已中断（Ctrl-C）：{number}（纪检监察建议书）已发出（见上）。\n"
    assert register_numbers(root) == [number]  # the step under way finished


def test_a_second_ctrl_c_stops_the_registers_which_the_next_command_writes(root, monkeypatch):
    ctrl_c_in(monkeypatch, registers_module, "write_registers", presses=2)
    proc = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION, "--json")
    assert proc.returncode == 130 and json.loads(proc.stdout)["number"] == "内工大纪建〔2026〕1号"
    assert SKIPPED in proc.stderr
    assert "已中断（Ctrl-C）：内工大纪建〔2026〕1号（纪检监察建议书）已发出（见上）。" in proc.stderr
    assert not registers_written(root)

    monkeypatch.undo()
    run_cli("-w", root, "register", check=0)
    assert register_numbers(root) == ["内工大纪建〔2026〕1号"]


@pytest.mark.parametrize("json_out", [False, True])
def test_a_ctrl_c_as_the_last_letter_of_a_batch_is_written_prints_every_row(root, tmp_path, monkeypatch, json_out):
    batch = batch_file(tmp_path / "整改.csv", ["没有这个单位", *UNITS[:3]])
    ctrl_c_while_writing(monkeypatch, 3)  # the last row's letter: no row is left to stop
    proc = run_cli("-w", root, "letter", "rectify", "--batch", batch, *(["--json"] if json_out else []))
    assert proc.returncode == 130, proc.stderr  # a Ctrl-C is said, also where a row failed (exit 1 otherwise)
    numbers = [f"内工大纪改〔2026〕{i}号" for i in (1, 2, 3)]
    if json_out:
        rows = json.loads(proc.stdout)
        assert [(r["status"], r["number"]) for r in rows] == [("failed", None), *(("issued", n) for n in numbers)]
    else:
        assert all(n in proc.stdout for n in numbers) and "共 4 份：成功 3，失败 1。" in proc.stdout
    assert proc.stderr.endswith("已中断（Ctrl-C）：3 份责令检查整改通知书都已发出、编号（见上）。\n")
    assert register_numbers(root) == numbers

    monkeypatch.undo()
    again = run_json("-w", root, "letter", "rectify", "--batch", batch, check=1)
    assert [r["status"] for r in again] == ["failed"] + ["skipped"] * 3  # none sent twice


def test_a_batch_ctrl_c_twice_in_its_registers_prints_every_row_and_leaves_them_marked(root, tmp_path, monkeypatch):
    batch = batch_file(tmp_path / "整改.csv", UNITS[:3])
    ctrl_c_in(monkeypatch, registers_module, "write_registers", presses=2)
    rows = json.loads(run_cli("-w", root, "letter", "rectify", "--batch", batch, "--json", check=130).stdout)
    assert [r["status"] for r in rows] == ["issued"] * 3
    assert not registers_written(root)
    monkeypatch.undo()  # the batch run again, as its message says: nothing sent twice, the registers caught up
    again = run_json("-w", root, "letter", "rectify", "--batch", batch)
    assert [r["status"] for r in again] == ["skipped"] * 3
    assert register_numbers(root) == [r["number"] for r in rows]


def test_after_a_ctrl_c_no_pdf_is_started_and_the_letters_are_registered(root, tmp_path, monkeypatch):
    from lzdocs.documents import pdf as pdf_module

    started = []
    monkeypatch.setattr(pdf_module, "to_pdf_many", lambda *a, **kw: started.append(a) or [])
    batch = batch_file(tmp_path / "整改.csv", UNITS[:2])
    ctrl_c_while_writing(monkeypatch, 2)
    proc = run_cli("-w", root, "letter", "rectify", "--batch", batch, "--pdf", "--json")
    assert proc.returncode == 130, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["status"] for r in rows] == ["issued", "issued"] and started == []
    assert all("已中断，没有生成 PDF：可用 WPS/Word 打开文书后另存为 PDF" in r["warnings"] for r in rows)
    assert register_numbers(root) == [r["number"] for r in rows]
    assert "已中断（Ctrl-C）：2 份责令检查整改通知书都已发出、编号（见上）。" in proc.stderr


def test_a_ctrl_c_while_libreoffice_converts_stops_it_at_once(root, tmp_path, monkeypatch):
    """LibreOffice runs in a session of its own, which Ctrl-C does not reach: it is stopped, not waited out."""
    from lzdocs import soffice
    from lzdocs.documents import pdf as pdf_module

    slow = tmp_path / "soffice"  # a conversion that would take a minute
    slow.write_text("#!/bin/sh\nsleep 60\n", encoding="utf-8")
    slow.chmod(0o755)
    monkeypatch.setattr(pdf_module, "find_soffice", lambda: str(slow))
    calls = ctrl_c_in(monkeypatch, soffice, "_wait")
    started = time.monotonic()
    proc = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION, "--pdf", "--json")
    assert calls and time.monotonic() - started < 30
    assert proc.returncode == 130, proc.stderr
    letter = json.loads(proc.stdout)
    assert "已中断，没有生成 PDF：可用 WPS/Word 打开文书后另存为 PDF" in letter["warnings"]
    assert [Path(f).suffix for f in letter["files"]] == [".docx"]
    assert register_numbers(root) == [letter["number"]]


def test_a_ctrl_c_does_not_wait_out_another_programs_register_rewrite(root, monkeypatch):
    with registers_module.writer_lock(Workspace.open(root)):  # another program rewriting the registers
        calls = ctrl_c_in(monkeypatch, registers_module, "hold_writer")
        started = time.monotonic()
        proc = run_cli("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION, "--json")
    assert calls and time.monotonic() - started < 30  # it would wait registers.WRITER_WAIT, five minutes
    assert proc.returncode == 130 and json.loads(proc.stdout)["number"] == "内工大纪建〔2026〕1号"
    assert SKIPPED in proc.stderr and not registers_written(root)


def test_a_reply_whose_registers_a_ctrl_c_comes_to_is_recorded_and_said(root, monkeypatch):
    number = run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION)["number"]
    ctrl_c_in(monkeypatch, registers_module, "write_registers")
    proc = run_cli("-w", root, "reply", number, "--date", "2026-11-28")
    assert proc.returncode == 130
    assert "已登记回复" in proc.stdout and f"已中断（Ctrl-C）：{number} 的回复已记录（见上）。" in proc.stderr
    monkeypatch.undo()
    assert run_json("-w", root, "unit", "计财处")["warnings"][0]["replied"] == "2026-11-28"


@pytest.mark.parametrize("presses", [1, 2])
def test_an_ingest_whose_registers_a_ctrl_c_comes_to_reports_each_form(root, monkeypatch, presses):
    ws = Workspace.open(root)
    forms = [make_form_file(ws.inbox / f"{unit}.docx", unit=unit) for unit in ("计划财务处", "基建处")]
    inputs = [f.read_bytes() for f in forms] + [b"not a form"]
    (ws.inbox / "坏文件.docx").write_bytes(inputs[-1])
    calls = ctrl_c_in(monkeypatch, registers_module, "write_registers", presses=presses)
    proc = run_cli("-w", root, "ingest", "--json")
    assert calls and proc.returncode == 130, proc.stderr  # 130, not the 1 of a form returned
    outcomes = json.loads(proc.stdout)
    assert sorted(o["status"] for o in outcomes) == ["accepted", "accepted", "rejected"]
    assert "已中断（Ctrl-C）：这次的表格都已处理完（见上）。" in proc.stderr
    assert_each_input_exactly_once(ws, inputs)
    summary = root / "outbox" / "2026" / "登记簿"
    assert bool(list(summary.glob("*.xlsx"))) == (presses == 1) and (SKIPPED in proc.stderr) == (presses == 2)

    monkeypatch.undo()
    run_cli("-w", root, "ingest", check=0)  # nothing left in the inbox: it writes what was marked
    assert list(summary.glob("*.xlsx"))
    assert_each_input_exactly_once(ws, inputs)


def test_ctrl_c_twice_as_a_batch_ends_still_prints_every_row(root, tmp_path, monkeypatch):
    from lzdocs.documents import letters as letters_module

    batch = batch_file(tmp_path / "整改.csv", UNITS[:3])
    ctrl_c_after(monkeypatch, letters_module, "run_batch", presses=2)
    proc = run_cli("-w", root, "letter", "rectify", "--batch", batch, "--json")
    assert proc.returncode == 130, proc.stderr
    assert [r["status"] for r in json.loads(proc.stdout)] == ["issued"] * 3
    assert proc.stderr.endswith("已中断（Ctrl-C）：3 份责令检查整改通知书都已发出、编号（见上）。\n")


REPLY = ("reply", "内工大纪建〔2026〕1号", "--date", "2026-11-28")


@pytest.mark.parametrize(("command", "module", "name", "said"), [
    (REPLY, "lzdocs.documents.letters", "record_reply", "内工大纪建〔2026〕1号 的回复已记录"),
    (("void", "内工大纪建〔2026〕1号", "--reason", "单位写错"), "lzdocs.documents.numbering", "void_document",
     "内工大纪建〔2026〕1号 已作废"),
    (("follow-up", "内工大纪建〔2026〕1号", "--result", "已整改", "--by", "张三"), "lzdocs.dynamics.warnings",
     "follow_up", "内工大纪建〔2026〕1号 的核查已记录"),
], ids=["reply", "void", "follow-up"])
def test_a_ctrl_c_as_a_step_is_recorded_is_said_after_its_report(root, monkeypatch, command, module, name, said):
    """The Ctrl-C lands as the step's record is made: it is said, then the command ends as interrupted."""
    import importlib

    run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION)
    if command[0] == "follow-up":  # a check follows the reply
        run_cli("-w", root, *REPLY, check=0)
    returned = ctrl_c_after(monkeypatch, importlib.import_module(module), name)
    proc = run_cli("-w", root, *command, "--json")
    assert returned and proc.returncode == 130, proc.stderr
    assert json.loads(proc.stdout)["number"] == "内工大纪建〔2026〕1号"
    assert proc.stderr.endswith(f"已中断（Ctrl-C）：{said}（见上）。\n")


@pytest.mark.parametrize("presses", [1, 2])
def test_a_ctrl_c_as_a_void_starts_lets_it_finish_and_a_second_stops_it(root, monkeypatch, presses):
    """One Ctrl-C while it is made (or waits for another program writing the archive): done and said; two: not
    done at all."""
    from lzdocs.documents import numbering

    run_json("-w", root, "letter", "suggestion", "--unit", "计财处", *SUGGESTION)
    ctrl_c_in(monkeypatch, numbering, "void_document", presses=presses)
    proc = run_cli("-w", root, "void", "内工大纪建〔2026〕1号", "--reason", "单位写错", "--json")
    assert proc.returncode == 130
    if presses == 1:
        assert json.loads(proc.stdout)["number"] == "内工大纪建〔2026〕1号" and in_force(root) == []
    else:
        assert proc.stdout == "" and in_force(root) == [("内工大纪建〔2026〕1号", "计划财务处")]  # not void
        assert (root / "outbox" / "2026" / "纪检监察建议书" / "内工大纪建〔2026〕1号-计划财务处.docx").is_file()
    assert run_json("-w", root, "verify", check=None)["findings"] == []


def test_a_notice_numbered_when_ctrl_c_comes_gets_no_pdf_and_is_reported(root, monkeypatch):
    from lzdocs.documents import notice as notice_module

    (root / "正文.md").write_text("为做好排查工作，现通知如下。\n", encoding="utf-8")
    ctrl_c_after(monkeypatch, notice_module, "issue_document")
    proc = run_cli("-w", root, "notice", "--title", "关于开展廉政风险点排查工作的通知", "--body", root / "正文.md",
                   "--pdf", "--json")
    assert proc.returncode == 130, proc.stderr
    notice = json.loads(proc.stdout)
    assert "已中断，没有生成 PDF：可用 WPS/Word 打开文书后另存为 PDF" in notice["warnings"]
    assert [Path(f).suffix for f in notice["files"]] == [".docx"]
    assert proc.stderr.endswith(f"已中断（Ctrl-C）：通知（{notice['number']}）已发出（见上）。\n")


def test_a_ctrl_c_after_the_demo_s_letters_stops_it_with_its_report(tmp_path, monkeypatch):
    import lzdocs.demo
    from lzdocs.demo import steps

    ctrl_c_after(monkeypatch, steps, "demo_letters")
    monkeypatch.setattr(lzdocs.demo, "STEPS", [steps.demo_letters if s.__name__ == "demo_letters" else s
                                               for s in steps.STEPS])
    proc = run_cli("demo", tmp_path / "演示", "--json")
    assert proc.returncode == 130, proc.stderr
    report = json.loads(proc.stdout)
    assert report["letters"] and "notices" not in report  # the steps after it not run
    assert proc.stderr.endswith("已中断（Ctrl-C）：演示没有做完（见上）。\n")


def test_the_library_lets_the_ctrl_c_go_on_up_with_the_letter_saved(root, monkeypatch):
    """No command line: Python's own Ctrl-C stops the script; the letter is saved, its registers marked."""
    ctrl_c_in(monkeypatch, registers_module, "write_registers")
    with Office(root, today=TODAY) as office, pytest.raises(KeyboardInterrupt):
        office.letter("suggestion", "计财处", {"事由": "在专项检查中", "问题": "报销单据不全", "建议": "建立台账"})
    assert in_force(root) == [("内工大纪建〔2026〕1号", "计划财务处")] and not registers_written(root)
    monkeypatch.undo()
    with Office(root, today=TODAY) as office:
        office.rebuild_registers([2026])
    assert register_numbers(root) == ["内工大纪建〔2026〕1号"]


# --- Ctrl-C while the forms are taken ----------------------------------------------------------------------------
FIVE = ["计划财务处", "基建处", "教务处", "图书馆", "人事处"]
TAKEN_TWO = ("已中断（Ctrl-C）：已处理的 {} 个文件都已保存，其余 {} 个留在收件文件夹，"
             "再次运行 lzdocs ingest 会接着处理（见上）。\n")


def five_forms(root: Path) -> tuple[Workspace, list[bytes]]:
    ws = Workspace.open(root)
    return ws, [make_form_file(ws.inbox / f"{i}-{unit}.docx", unit=unit).read_bytes() for i, unit in enumerate(FIVE)]


def left_in_inbox(ws: Workspace) -> list[str]:
    return sorted(p.name for p in ws.inbox.iterdir() if p.is_file())


def ctrl_c_on_call(monkeypatch, owner, name: str, n: int, presses: int = 1) -> list:
    """``presses`` SIGINTs to this process as the ``n``-th call of ``owner.name`` starts; the calls it saw."""
    original, calls = getattr(owner, name), []

    def pressed(*args, **kw):
        calls.append(args)
        if len(calls) == n:
            for _ in range(presses):
                os.kill(os.getpid(), signal.SIGINT)
        return original(*args, **kw)

    monkeypatch.setattr(owner, name, pressed)
    return calls


@pytest.mark.parametrize("json_out", [False, True])
def test_a_ctrl_c_while_forms_are_taken_finishes_that_form_and_reports_each_one_taken(root, monkeypatch, json_out):
    """The run stops after the form under way: each form taken is reported, the registers are written, and the
    rest wait in the inbox for the next run."""
    from lzdocs.ingest import pipeline

    ws, inputs = five_forms(root)
    calls = ctrl_c_on_call(monkeypatch, pipeline.Ingest, "take_inbox_file", 2)
    proc = run_cli("-w", root, "ingest", *(["--json"] if json_out else []))
    assert len(calls) == 2 and proc.returncode == 130, proc.stderr
    assert proc.stderr == TAKEN_TWO.format(2, 3)
    if json_out:
        assert [(o["file"], o["status"]) for o in json.loads(proc.stdout)] == [
            ("inbox/0-计划财务处.docx", "accepted"), ("inbox/1-基建处.docx", "accepted")]
    else:
        assert "[已收取] inbox/1-基建处.docx —— 基建处" in proc.stdout
        assert "共 5 个文件：已收取 2 个，已中断，未处理 3 个。" in proc.stdout
    assert left_in_inbox(ws) == ["2-教务处.docx", "3-图书馆.docx", "4-人事处.docx"]
    assert list((root / "outbox" / "2026" / "登记簿").glob("*.xlsx"))  # the registers of the two are written
    assert_each_input_exactly_once(ws, inputs)

    monkeypatch.undo()
    rest = run_json("-w", root, "ingest")
    assert [o["status"] for o in rest] == ["accepted"] * 3 and left_in_inbox(ws) == []
    assert_each_input_exactly_once(ws, inputs)


@pytest.mark.parametrize("paths", [False, True])
def test_a_ctrl_c_before_any_form_is_taken_prints_an_empty_list_for_json(root, monkeypatch, paths):
    """Pressed as the run is being set up: no file was taken, and ``--json`` says so with the list of the files
    taken before it — empty, not nothing, which no script can read."""
    from lzdocs.ingest import pipeline

    ws, inputs = five_forms(root)
    given = [str(p) for p in sorted(ws.inbox.iterdir())] if paths else []
    calls = ctrl_c_in(monkeypatch, pipeline.Ingest, "__init__")
    proc = run_cli("-w", root, "ingest", *given, "--json")
    assert len(calls) == 1 and proc.returncode == 130, proc.stderr
    assert json.loads(proc.stdout) == [] and "已中断" in proc.stderr
    assert len(left_in_inbox(ws)) == 5
    assert_each_input_exactly_once(ws, inputs)


def test_a_ctrl_c_twice_cuts_the_form_under_way_short_and_the_next_run_finishes_it(root, monkeypatch):
    """Pressed twice as the third form is being recorded: the run stops at once. The two before it are reported
    and saved; the third, claimed mid-way, is finished by the next run — each form exactly once."""
    from lzdocs.ingest import pipeline

    ws, inputs = five_forms(root)
    calls = ctrl_c_on_call(monkeypatch, pipeline.Ingest, "_settle", 3, presses=2)
    proc = run_cli("-w", root, "ingest", "--json")
    assert len(calls) == 3 and proc.returncode == 130, proc.stderr
    assert [o["status"] for o in json.loads(proc.stdout)] == ["accepted"] * 2
    assert proc.stderr == TAKEN_TWO.format(2, 3)
    assert left_in_inbox(ws) == ["3-图书馆.docx", "4-人事处.docx"]  # the third is claimed, not in the inbox

    monkeypatch.undo()
    run_json("-w", root, "ingest")
    assert left_in_inbox(ws) == []
    with Office(root, today=TODAY) as office:
        assert {r["unit"] for r in office.risks()} == set(FIVE)
    assert_each_input_exactly_once(ws, inputs)


def test_a_ctrl_c_before_any_form_is_taken_says_none_was(root, monkeypatch):
    from lzdocs.ingest import pipeline

    ws, inputs = five_forms(root)
    ctrl_c_on_call(monkeypatch, pipeline.Ingest, "take_inbox_file", 1, presses=2)
    proc = run_cli("-w", root, "ingest")
    assert proc.returncode == 130, proc.stderr
    assert "共 5 个文件：已中断，未处理 5 个。" in proc.stdout
    assert proc.stderr == TAKEN_TWO.format(0, 5)
    assert len(left_in_inbox(ws)) == 5
    assert_each_input_exactly_once(ws, inputs)


def test_the_library_raises_the_ctrl_c_of_an_ingest_with_what_it_took(root, monkeypatch):
    """No command line: ``Office.ingest`` raises KeyboardInterrupt (IngestInterrupted), which carries the report of
    the forms taken; they are saved and registered."""
    from lzdocs.ingest import pipeline
    from lzdocs.office import IngestInterrupted

    ws, inputs = five_forms(root)
    ctrl_c_on_call(monkeypatch, pipeline.Ingest, "take_inbox_file", 4)
    with Office(root, today=TODAY) as office, pytest.raises(IngestInterrupted) as stopped:
        office.ingest()
    report = stopped.value.report
    assert [o.unit for o in report.outcomes] == FIVE[:4] and report.interrupted == 1
    assert report.registers.files and str(stopped.value).startswith("已处理的 4 个文件都已保存")
    assert left_in_inbox(ws) == ["4-人事处.docx"]
    assert_each_input_exactly_once(ws, inputs)


def test_a_ctrl_c_as_the_demo_takes_its_forms_shows_those_taken_and_stops(tmp_path, monkeypatch):
    from lzdocs.ingest import pipeline

    ctrl_c_on_call(monkeypatch, pipeline.Ingest, "take_inbox_file", 3)
    proc = run_cli("demo", tmp_path / "演示", "--json")
    assert proc.returncode == 130, proc.stderr
    report = json.loads(proc.stdout)
    assert len(report["ingest"]) == 3 and "letters" not in report
    assert proc.stderr.endswith("已中断（Ctrl-C）：演示没有做完（见上）。\n")


def test_a_ctrl_c_while_a_folder_s_forms_are_copied_in_reports_those_taken_and_touches_no_original(
        root, tmp_path, monkeypatch):
    from lzdocs.ingest import pipeline

    folder = tmp_path / "收到的表格"
    originals = {unit: make_form_file(folder / f"{i}-{unit}.xlsx", unit=unit).read_bytes()
                 for i, unit in enumerate(FIVE)}
    ctrl_c_on_call(monkeypatch, pipeline.Ingest, "_take_copy", 3)
    proc = run_cli("-w", root, "ingest", tmp_path / "没有这个.docx", folder, "--json")
    assert proc.returncode == 130, proc.stderr
    assert [o["unit"] for o in json.loads(proc.stdout)] == [None, *FIVE[:3]]  # a path not found: not counted
    assert proc.stderr == ("已中断（Ctrl-C）：已处理的 3 个文件都已保存，其余 2 个没有处理（原文件都没有动），再次运行"
                           "同样的命令即可；已收取的会报“重复”，不会收两次（见上）。\n")
    assert {p.name.split("-")[1][:-5]: p.read_bytes() for p in folder.iterdir()} == originals

    monkeypatch.undo()
    again = run_json("-w", root, "ingest", folder)
    assert [o["status"] for o in again] == ["duplicate"] * 3 + ["accepted"] * 2


def test_a_ctrl_c_as_click_closes_up_after_the_command_ends_as_interrupted(root, monkeypatch):
    """The command has returned and printed everything; click then closes its context, where a Ctrl-C used to become
    click's "Aborted!" (exit 1)."""
    import click

    original = click.Context.close

    def close(self):
        if self.parent is None:  # the command line's own context, closed last
            os.kill(os.getpid(), signal.SIGINT)
        original(self)

    monkeypatch.setattr(click.Context, "close", close)
    proc = run_cli("-w", root, "status", "--json")
    assert proc.returncode == 130, proc.stderr
    assert json.loads(proc.stdout)["year"] == 2026 and proc.stderr.startswith("已中断（Ctrl-C）。")


def test_a_second_ctrl_c_as_a_stopped_run_ends_its_readers_still_reports_each_form(root, monkeypatch):
    """Two quick presses: the first stops the run after the form under way, the second lands as the run commits and
    lets its folders go. The report of the forms taken is still printed; the second press leaves the registers to
    the next command."""
    from lzdocs.ingest import claims, pipeline

    ws, inputs = five_forms(root)
    ctrl_c_on_call(monkeypatch, pipeline.Ingest, "take_inbox_file", 2)
    calls = ctrl_c_in(monkeypatch, claims.Slots, "close")
    proc = run_cli("-w", root, "ingest", "--json")
    assert calls and proc.returncode == 130, proc.stderr
    assert [o["status"] for o in json.loads(proc.stdout)] == ["accepted"] * 2
    assert SKIPPED in proc.stderr and proc.stderr.endswith(TAKEN_TWO.format(2, 3))
    assert not list((root / "outbox" / "2026" / "登记簿").glob("*.xlsx"))
    assert_each_input_exactly_once(ws, inputs)
    monkeypatch.undo()
    run_json("-w", root, "ingest")
    assert list((root / "outbox" / "2026" / "登记簿").glob("*.xlsx")) and left_in_inbox(ws) == []


def test_a_ctrl_c_more_as_an_interrupted_command_closes_is_not_said_twice(root, monkeypatch):
    from lzdocs.cli.common import Env
    from lzdocs.documents import status

    ctrl_c_in(monkeypatch, status, "submission_status")
    ctrl_c_in(monkeypatch, Env, "close")
    proc = run_cli("-w", root, "status")
    assert proc.returncode == 130 and proc.stderr.count("已中断") == 1, proc.stderr


@pytest.mark.slow  # a real process, its stdout a pipe not read for a while
@pytest.mark.parametrize("presses", [1, 3])
def test_a_ctrl_c_while_the_report_waits_on_a_full_pipe_neither_cuts_it_short_nor_holds_the_command(tmp_path,
                                                                                                      presses):
    """The JSON of an ingest stopped by Ctrl-C is long, and a script reading it may be slow. A Ctrl-C noted while the
    write waited made the system write part of it, and Python dropped the rest (cut at 64 KiB): now it comes out
    whole. And a third Ctrl-C still ends the command, even while nobody reads the pipe."""
    import subprocess
    import sys

    from tests.conftest import REPO

    script = ("from lzdocs import interrupts\nfrom lzdocs.cli.common import Env\n"
              "with interrupts.noted():\n    interrupts.reporting('写完了')\n"
              "    Env().emit([{'row': i, 'text': '风险点' * 20} for i in range(20000)])\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    time.sleep(1.5)  # started, and waiting on the full pipe
    for _ in range(presses):
        proc.send_signal(signal.SIGINT)
        time.sleep(0.2)
    if presses == 3:  # the pipe still not read: the third press ends it
        assert proc.wait(timeout=30) != 0
    out, err = proc.communicate(timeout=60)
    if presses == 1:
        assert len(json.loads(out)) == 20000 and "写完了" in err.decode()  # whole
    assert proc.returncode != 0



def test_a_ctrl_c_as_a_run_that_took_every_file_commits_and_ends_reports_each_form(root, monkeypatch):
    """Every file taken, the run commits its last forms and lets its folders go: a Ctrl-C there used to end with the
    generic message and no outcome printed, though every form was saved."""
    from lzdocs.ingest import claims

    ws, inputs = five_forms(root)
    calls = ctrl_c_in(monkeypatch, claims.Slots, "close")
    proc = run_cli("-w", root, "ingest", "--json")
    assert calls and proc.returncode == 130, proc.stderr
    assert [o["status"] for o in json.loads(proc.stdout)] == ["accepted"] * 5
    assert proc.stderr == "已中断（Ctrl-C）：这次的表格都已处理完（见上）。\n"
    assert list((root / "outbox" / "2026" / "登记簿").glob("*.xlsx"))
    assert_each_input_exactly_once(ws, inputs)
