"""A folder of the archive that a link (a symbolic link, a junction) takes out of the workspace: nothing is kept
through it. Recorded there, a file would be a path outside the workspace, which backup leaves out and a restored
workspace's verify looks for on the old disk. The form is put back, the letter takes no number, the register is
not written — each with a message naming the link."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import run_cli, run_json
from tests.ingest.invariant import assert_each_input_exactly_once

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
FIELDS = ["--set", "事由=在检查中", "--set", "问题=采购程序不规范", "--set", "建议=完善采购制度"]
SAID = "是快捷方式（符号链接），指向工作区以外的"


@pytest.fixture
def elsewhere(tmp_path):
    folder = tmp_path / "别的盘"
    folder.mkdir()
    return folder


def test_a_unit_s_folder_linked_out_of_the_workspace_takes_no_form(workspace, make_form, elsewhere):
    given = [make_form(workspace.inbox / "图书馆.docx", unit="图书馆").read_bytes()]
    run_json("-w", workspace.root, "ingest")
    link = workspace.year_dir(2026) / "收文" / "基建处"
    link.symlink_to(elsewhere)
    given.append(make_form(workspace.inbox / "基建处.docx", unit="基建处").read_bytes())
    [out] = run_json("-w", workspace.root, "ingest", check=1)
    assert out["status"] == "failed" and out["problems"][0]["message"] == (
        f"无法归档：“{link}”{SAID}“{elsewhere}”：档案的文件只放在工作区里（备份、检查、归档都只管工作区）；"
        "请把它换成普通文件夹（把里面的文件移进来），再重试；文件已放回原处")
    assert list(elsewhere.iterdir()) == [] and (workspace.inbox / "基建处.docx").read_bytes() == given[1]
    assert_each_input_exactly_once(workspace, given)


def test_a_letter_s_folder_linked_out_takes_no_number(workspace, elsewhere):
    link = workspace.year_dir(2026) / "纪检监察建议书"
    link.parent.mkdir(parents=True)
    link.symlink_to(elsewhere)
    proc = run_cli("-w", workspace.root, "letter", "suggestion", "--unit", "计财处", *FIELDS, check=2)
    assert f"“{link}”{SAID}" in proc.stderr and list(elsewhere.iterdir()) == []
    link.unlink()
    assert run_json("-w", workspace.root, "letter", "suggestion", "--unit", "计财处", *FIELDS)["number"] == (
        "内工大纪建〔2026〕1号")  # no number was used


def test_a_register_folder_linked_out_is_not_written_and_says_so(workspace, make_form, elsewhere):
    make_form(workspace.inbox / "图书馆.docx", unit="图书馆")
    run_json("-w", workspace.root, "ingest")
    registers = workspace.year_dir(2026) / "登记簿"
    registers.rename(elsewhere / "登记簿")
    registers.symlink_to(elsewhere / "登记簿")
    before = {p.name: p.read_bytes() for p in (elsewhere / "登记簿").iterdir()}
    out = run_json("-w", workspace.root, "register", check=1)  # (exit 1: a book not written)
    assert len([w for w in out["warnings"] if SAID in w]) == 4  # the 4 books of 登记簿/; the 公示表 is written
    assert {p.name: p.read_bytes() for p in (elsewhere / "登记簿").iterdir()} == before
