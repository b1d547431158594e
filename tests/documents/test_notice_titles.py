"""Notice titles break between words (jieba and the domain words), in balanced lines, as the user broke them."""

from __future__ import annotations

import json

import pytest
from docx import Document

from lzdocs.documents.titles import balance_title, text_width
from tests.conftest import SAMPLE_SCHOOL, run_cli, run_process

# Real titles of 公文 on 廉政风险防控, each with the words a reader must find whole on one line.
TITLES = {
    "关于开展2026年度廉政风险点排查和防控工作的通知": ("2026年度", "廉政风险点", "排查", "防控"),
    "关于印发《内蒙古工业大学廉政风险防控机制建设工作实施方案》的通知": ("内蒙古工业大学", "廉政风险", "实施方案"),
    "关于进一步加强和改进学校党风廉政建设责任制考核工作推进全面从严治党主体责任落实的实施意见": (
        "进一步", "党风廉政建设", "责任制", "全面从严治党", "主体责任", "实施意见"),
    "中共内蒙古工业大学纪律检查委员会关于对违反中央八项规定精神问题的通报": (
        "内蒙古工业大学", "纪律检查委员会", "中央八项规定", "精神"),
    "关于做好2026年元旦春节期间党风廉政建设工作的通知": ("2026年", "党风廉政建设"),
    "关于开展纪检监察干部队伍教育整顿自查自纠工作的通知": ("纪检监察", "干部队伍", "自查自纠"),
    "关于落实全面从严治党主体责任和监督责任的实施意见": ("全面从严治党", "主体责任", "监督责任", "实施意见"),
    "关于召开2026年度党员领导干部专题民主生活会的通知": ("2026年度", "党员领导干部", "专题民主生活会"),
    "关于印发《内蒙古工业大学关于贯彻落实“三重一大”决策制度的实施办法》的通知": (
        "内蒙古工业大学", "贯彻落实", "“三重一大”", "实施办法"),
    "关于进一步规范科研经费管理防控廉政风险的若干意见": ("科研经费", "廉政风险", "若干意见"),
    "关于加强招生考试工作廉政风险防控措施落实情况监督检查的通知": ("招生", "廉政风险", "防控措施", "监督检查"),
    "关于对2026年度廉政风险点排查和防控工作进行专项检查的通知": ("2026年度", "廉政风险点", "专项检查"),
}
NAMES = ("内蒙古工业大学", "中共内蒙古工业大学纪律检查委员会")


@pytest.mark.parametrize("title", list(TITLES))
def test_no_line_of_a_real_title_splits_a_word(title):
    lines = balance_title(title, names=NAMES)
    assert "".join(lines) == title
    assert all(text_width(line, autospace=True) <= 20 for line in lines)
    for word in TITLES[title]:
        assert any(word in line for line in lines), (word, lines)
    widths = [text_width(line, autospace=True) for line in lines]
    assert max(widths) - min(widths) <= 8, lines  # 排列对称: no line much shorter than the others


def test_the_title_of_the_issue_breaks_after_lianzheng_fengxiandian():
    assert balance_title("关于开展2026年度廉政风险点排查和防控工作的通知") == [
        "关于开展2026年度廉政风险点", "排查和防控工作的通知"]
    # A line does not end with 和: the break goes before it or elsewhere.
    lines = balance_title("关于对2026年度廉政风险点排查和防控工作进行专项检查的通知")
    assert not any(line.endswith(("和", "的")) for line in lines[:-1])


def test_a_line_break_the_user_typed_is_kept():
    assert balance_title("关于开展2026年度廉政风险点\n排查工作的通知") == [
        "关于开展2026年度廉政风险点", "排查工作的通知"]
    assert balance_title("关于开展廉政风险点排查工作的通知\r\n") == ["关于开展廉政风险点排查工作的通知"]


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    root = tmp_path_factory.mktemp("titles")
    ws = root / "ws"
    run_cli("init", ws, *SAMPLE_SCHOOL, check=0)
    (ws / "正文.txt").write_text("请各单位按时报送。\n", encoding="utf-8")
    common = ["-w", ws, "--body", ws / "正文.txt", "--json"]
    typed = run_cli("notice", "--title", "关于开展2026年度\n廉政风险点排查工作的通知 ", *common, check=0)
    spaced = run_cli("notice", "--title", "  关于开展\u3000廉政风险点 排查工作的通知\n", *common, check=0)
    latin = run_cli("notice", "--title", "关于做好 ISO 9001 质量体系认证工作的通知", *common, check=0)
    escaped = run_cli("notice", "--title", r"关于开展2026年度\n廉政风险点排查工作的通知", *common, check=0)  # cmd.exe
    return {"ws": ws, "out": [json.loads(p.stdout) for p in (typed, spaced, latin, escaped)]}


def _title_runs(path) -> list[str]:
    title = Document(str(path)).paragraphs[2]
    return [r.text.rstrip("\n") for r in title.runs]  # a run ends with the line break (w:br) after it


def test_the_users_line_break_is_printed_and_the_file_name_is_one_clean_line(issued):
    typed, escaped = issued["out"][0], issued["out"][3]
    assert typed["files"] == ["outbox/2026/通知/内工大党发〔2026〕1号-开展2026年度廉政风险点排查工作.docx"]
    assert _title_runs(issued["ws"] / typed["files"][0]) == ["关于开展2026年度", "廉政风险点排查工作的通知"]
    assert escaped["files"] == ["outbox/2026/通知/内工大党发〔2026〕4号-开展2026年度廉政风险点排查工作.docx"]
    assert _title_runs(issued["ws"] / escaped["files"][0]) == ["关于开展2026年度", "廉政风险点排查工作的通知"]


def test_no_stray_space_reaches_the_title_or_the_file_name(issued):
    spaced, latin = issued["out"][1:3]
    assert spaced["files"] == ["outbox/2026/通知/内工大党发〔2026〕2号-开展廉政风险点排查工作.docx"]
    assert _title_runs(issued["ws"] / spaced["files"][0]) == ["关于开展廉政风险点排查工作的通知"]
    assert latin["files"] == ["outbox/2026/通知/内工大党发〔2026〕3号-做好ISO 9001质量体系认证工作.docx"]


def test_the_register_records_the_title_on_one_line(issued):
    from lzdocs.store import Store
    from lzdocs.store import documents as q
    from lzdocs.workspace import Workspace

    store = Store.for_workspace(Workspace.open(issued["ws"]))
    try:
        with store.read() as conn:
            titles = [r["title"] for r in q.list_documents(conn, 2026)]
    finally:
        store.close()
    assert titles == ["关于开展2026年度廉政风险点排查工作的通知", "关于开展廉政风险点排查工作的通知",
                      "关于做好ISO 9001质量体系认证工作的通知", "关于开展2026年度廉政风险点排查工作的通知"]


def test_jieba_caches_its_dictionary_in_the_workspace_and_says_nothing(tmp_path):
    ws = tmp_path / "ws"
    run_cli("init", ws, *SAMPLE_SCHOOL, check=0)
    (ws / "正文.txt").write_text("请各单位按时报送。\n", encoding="utf-8")
    done = run_process("notice", "-w", ws, "--title", "关于开展2026年度廉政风险点排查和防控工作的通知",
                       "--body", ws / "正文.txt", check=0)
    assert done.stderr == ""
    assert (ws / ".lzdocs" / "cache" / "jieba.cache").is_file()
