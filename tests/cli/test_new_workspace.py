"""A new workspace: init asks for the school and its organs, nothing goes out until they are set, blank
forms carry the school and replace their own earlier copies, the demo makes a new folder, --data reads YAML."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from contextlib import chdir
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from tests.conftest import REPO, run_cli, run_json

SCHOOL = ("--school", "东方理工大学", "--short", "东理")


def settings(root: Path) -> dict:
    return tomllib.loads((root / "lzdocs.toml").read_text(encoding="utf-8"))


def test_init_with_flags_writes_the_school_its_organs_and_their_codes(tmp_path):
    report = run_json("init", tmp_path / "ws", *SCHOOL, "--code", "talk=东理纪谈话", "--phone", "0471-1234567")
    assert report["organisation_set"] is True
    toml = settings(tmp_path / "ws")
    assert toml["organisation"] == {"school": "东方理工大学", "short": "东理",
                                    "issuer": "中共东方理工大学纪律检查委员会", "office": "东方理工大学纪委办公室",
                                    "contact": "", "phone": "0471-1234567"}
    assert toml["numbering"] == {"suggestion": "东理纪建", "accountability": "东理纪问", "talk": "东理纪谈话",
                                 "rectify": "东理纪改", "urge": "东理纪催", "meeting": "东理纪会",
                                 "criticism": "东理纪批"}
    assert toml["issuers"] == {"中共东方理工大学委员会": "东理党发", "东方理工大学": "东理校发",
                               "中共东方理工大学纪律检查委员会": "东理纪发"}


def test_init_in_a_terminal_asks_and_offers_the_usual_names_as_defaults(tmp_path):
    answers = "东方理工大学\n东理\n\n\n\n\n东理纪谈\n\n\n\n\n东理党字\n\n\n王老师\n\n"
    proc = run_cli("init", tmp_path / "ws", "--ask", input=answers, check=0)
    assert "纪检监察文书的发文机关 [中共东方理工大学纪律检查委员会]:" in proc.stdout
    assert "纪检监察建议书的机关代字 [东理纪建]:" in proc.stdout
    assert "学校：东方理工大学；发文机关：中共东方理工大学纪律检查委员会。" in proc.stdout
    toml = settings(tmp_path / "ws")
    assert toml["numbering"]["talk"] == "东理纪谈" and toml["organisation"]["contact"] == "王老师"
    assert toml["issuers"]["中共东方理工大学委员会"] == "东理党字"


def test_nothing_is_issued_until_the_school_is_set_and_init_then_sets_it(tmp_path, make_form):
    root = tmp_path / "ws"
    made = run_cli("init", root, check=0)  # a script: no terminal, no flags
    assert "注意：还没有设置学校名称和发文机关" in made.stdout
    assert settings(root)["organisation"]["school"] == ""
    how = f"请运行 lzdocs init \"{root}\" --school 学校全称 --short 简称"
    for args in (["letter", "suggestion", "--unit", "计财处", "--set", "事由=x", "--set", "问题=y", "--set", "建议=z"],
                 ["urge"], ["form"], ["notice", "--title", "关于开展检查的通知", "--body", make_body(tmp_path)]):
        proc = run_cli("-w", root, *args, check=2)
        assert proc.stderr.startswith("错误：工作区还没有设置学校名称、发文机关"), (args, proc.stderr)
        assert how in proc.stderr
    assert not (root / "outbox" / "2026").exists() and not (root / "outbox" / "空白表").exists()
    before = (root / "lzdocs.toml").read_text(encoding="utf-8")
    run_json("init", root, *SCHOOL)
    after = (root / "lzdocs.toml").read_text(encoding="utf-8")
    assert settings(root)["organisation"]["school"] == "东方理工大学"
    assert len(after.splitlines()) == len(before.splitlines()) + 3  # the blanks filled, the three organs added
    issued = run_json("-w", root, "letter", "suggestion", "--unit", "计财处", "--set", "事由=x", "--set", "问题=y",
                      "--set", "建议=z")
    assert issued["number"] == "东理纪建〔2026〕1号"
    text = "\n".join(p.text for p in docx.Document(root / issued["files"][0]).paragraphs)
    assert "中共东方理工大学纪律检查委员会" in text and "内蒙古" not in text and "内工大" not in text


def make_body(folder: Path) -> Path:
    body = folder / "正文.md"
    body.write_text("为做好廉政风险防控工作，现将有关事项通知如下。\n", encoding="utf-8")
    return body


def test_the_blank_form_title_carries_the_school_and_a_second_run_replaces_it(tmp_path):
    root = tmp_path / "ws"
    run_json("init", root, *SCHOOL)
    first = run_json("-w", root, "form")["files"]
    again = run_json("-w", root, "form")["files"]
    assert first == again == ["outbox/空白表/岗位风险分析和防控措施表.docx"]
    assert sorted(p.name for p in (root / "outbox" / "空白表").iterdir()) == ["岗位风险分析和防控措施表.docx"]
    assert docx.Document(root / first[0]).paragraphs[0].text == "东方理工大学岗位风险分析和防控措施表"
    xlsx = run_json("-w", root, "form", "--unit", "计财处", "--format", "xlsx")["files"]
    assert load_workbook(root / xlsx[0]).active["A1"].value == "东方理工大学岗位风险分析和防控措施表"


def test_a_blank_form_the_clerk_changed_is_never_overwritten(tmp_path):
    root = tmp_path / "ws"
    run_json("init", root, *SCHOOL)
    [path] = run_json("-w", root, "form")["files"]
    document = docx.Document(root / path)
    document.add_paragraph("请于11月16日前报送。")  # the clerk's own note
    document.save(root / path)
    changed = (root / path).read_bytes()
    assert run_json("-w", root, "form")["files"] == ["outbox/空白表/岗位风险分析和防控措施表_01.docx"]
    assert (root / path).read_bytes() == changed
    assert run_json("-w", root, "form")["files"] == ["outbox/空白表/岗位风险分析和防控措施表_01.docx"]


def test_a_form_that_names_only_the_school_is_told_to_fill_in_its_unit(tmp_path):
    from lzdocs.documents.blankform import write_docx
    from lzdocs.forms.schema import risk_kind
    from tests.conftest import SAMPLE_ROWS

    root = tmp_path / "ws"
    run_json("init", root, *SCHOOL)
    write_docx(risk_kind(), root / "inbox" / "无单位.docx", rows=SAMPLE_ROWS, school="东方理工大学")
    [out] = run_json("-w", root, "ingest", check=1)
    assert out["problems"][0]["message"] == ("没有填写“单位（公章）”（表中只有学校名称），"
                                             "请在表头填写本单位名称后重新报送")


def test_data_yaml_works_with_the_declared_dependencies(tmp_path):
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(dep.lower().startswith("pyyaml") for dep in project["dependencies"])  # what `pip install .` brings
    root = tmp_path / "ws"
    run_json("init", root, *SCHOOL)
    data = tmp_path / "问责.yaml"
    data.write_text("对象: 基建处负责人\n事由: 在工程项目专项检查中\n问题:\n  - 工程变更未经审批\n  - 签证手续不全\n"
                    "要求: 说明原因\n", encoding="utf-8")
    issued = run_json("-w", root, "letter", "问廉问责书", "--unit", "基建处", "--data", data)
    text = "\n".join(p.text for p in docx.Document(root / issued["files"][0]).paragraphs)
    assert "1．工程变更未经审批" in text and "签证手续不全" in text


# --- the demo ---------------------------------------------------------------------------------------------------

def test_demo_refuses_a_folder_that_has_files_unless_forced(tmp_path):
    folder = tmp_path / "试用"
    folder.mkdir()
    (folder / "我的文件.txt").write_text("不要动", encoding="utf-8")
    proc = run_cli("demo", folder, check=2)
    assert proc.stderr.startswith(f"错误：“{folder}”已是一个有内容的文件夹，演示不会写入已有的文件夹")
    assert "--force" in proc.stderr and sorted(p.name for p in folder.iterdir()) == ["我的文件.txt"]


def test_demo_without_a_folder_takes_the_next_new_name(tmp_path):
    from lzdocs.demo import demo_folder

    (tmp_path / "lzdocs-演示").mkdir()
    (tmp_path / "lzdocs-演示-2").mkdir()
    assert demo_folder(None, here=tmp_path) == tmp_path / "lzdocs-演示-3"


@pytest.mark.slow
def test_demo_makes_a_new_folder_and_its_hints_work_from_where_the_user_stands(tmp_path):
    with chdir(tmp_path):
        proc = run_cli("demo", check=0)
    lines = proc.stdout.splitlines()
    assert lines[0] == f"演示工作区：{tmp_path / 'lzdocs-演示'}"
    hint = next(line for line in lines if "试一试" in line)
    assert hint.startswith("  试一试：lzdocs -w lzdocs-演示 notice --title")
    assert hint.endswith("--body lzdocs-演示/示例正文-实施方案.md --attachment form")
    shown = [line.split("→ ")[-1] for line in lines if "→ lzdocs-演示/outbox/" in line]
    assert shown and all((tmp_path / p).is_file() for p in shown)
    command = hint.split("试一试：", 1)[1].replace('"', "").split()
    title = command.index("--title")
    args = command[1:title + 1] + [" ".join(command[title + 1:command.index("--body")])] + command[command.index(
        "--body"):]
    with chdir(tmp_path):
        tried = run_json(*args)
    assert tried["number"] == "内工大党发〔2026〕3号"


def test_the_demo_folder_is_ignored_by_git():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    for name in ("lzdocs-演示/lzdocs.db", "lzdocs-演示-2/outbox/a.docx"):
        assert subprocess.run(["git", "check-ignore", "-q", name], cwd=REPO,
                              env={**os.environ, "LC_ALL": "C.UTF-8"}).returncode == 0, name


def test_init_again_with_another_school_says_the_settings_were_kept(tmp_path):
    run_json("init", tmp_path / "ws", *SCHOOL)
    proc = run_cli("init", tmp_path / "ws", "--school", "东方理工学院", "--short", "东方", check=0)
    assert "提醒：工作区已设置学校“东方理工大学”，本次给出的“东方理工学院”（简称“东方”）没有写入" in proc.stderr
    assert settings(tmp_path / "ws")["organisation"]["school"] == "东方理工大学"
