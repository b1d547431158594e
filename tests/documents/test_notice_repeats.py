"""A body repeating what lzdocs prints itself (主送, 附件说明, 署名, 日期) is not printed twice; the user is told."""

from __future__ import annotations

import json

import pytest
from docx import Document

from tests.conftest import SAMPLE_SCHOOL, run_cli

# What a clerk pastes from last year's Word file: everything, from the 主送 line to the date.
PASTED = """各部门、各单位：
为做好2026年度廉政风险点排查工作，现将有关事项通知如下。
一、请各单位于12月10日前报送。
特此通知。
附件：1．岗位风险分析和防控措施表
2．联系人名单
中共内蒙古工业大学委员会
2026年11月20日
"""


def _texts(ws, out) -> list[str]:
    return [p.text for p in Document(str(ws / out["files"][0])).paragraphs]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    ws = tmp_path_factory.mktemp("repeats") / "ws"
    run_cli("init", ws, *SAMPLE_SCHOOL, check=0)
    (ws / "粘贴.txt").write_text(PASTED, encoding="utf-8")
    (ws / "不同主送.txt").write_text("各学院：\n请按时报送。\n中共内蒙古工业大学委员会\n二〇二六年十一月二十八日\n",
                                    encoding="utf-8")
    (ws / "无附件.txt").write_text("请按时报送。\n附件：联系人名单（另发）\n", encoding="utf-8")
    common = ["-w", ws, "--title", "关于开展廉政风险点排查工作的通知", "--json"]
    pasted = run_cli("notice", *common, "--body", ws / "粘贴.txt", "--attachment", "form", check=0)
    other = run_cli("notice", *common, "--body", ws / "不同主送.txt", "--style", "1999", check=0)
    plain = run_cli("notice", *common, "--body", ws / "无附件.txt", check=0)
    return {"ws": ws, "pasted": pasted, "other": other, "plain": plain}


def test_the_pasted_addressee_attachments_signature_and_date_are_printed_once(made):
    out = json.loads(made["pasted"].stdout)
    texts = _texts(made["ws"], out)
    assert texts.count("各部门、各单位：") == 1
    assert texts.count("中共内蒙古工业大学委员会") == 1
    assert "2026年11月20日" not in texts and texts.count("2026年11月28日") == 1  # the document's own date
    assert [t for t in texts if t.startswith("附件")] == ["附件：岗位风险分析和防控措施表", "附件"]
    assert "2．联系人名单" not in texts
    body = texts[texts.index("各部门、各单位：") + 1:texts.index("附件：岗位风险分析和防控措施表")]
    assert body == ["为做好2026年度廉政风险点排查工作，现将有关事项通知如下。", "一、请各单位于12月10日前报送。",
                    "特此通知。"]


def test_each_removal_is_said_in_chinese(made):
    warnings = json.loads(made["pasted"].stdout)["warnings"]
    assert warnings == [
        "正文第一行“各部门、各单位：”与主送机关相同，已删去（主送机关排在标题下）",
        "正文末尾的附件说明“附件：1．岗位风险分析和防控措施表　2．联系人名单”已删去（附件说明按 --attachment 排出）",
        "正文末尾的署名和日期“中共内蒙古工业大学委员会　2026年11月20日”已删去"
        "（署名和成文日期由 lzdocs 排出；成文日期用的是2026年11月28日，可用 --date 指定）"]
    human = run_cli("notice", "-w", made["ws"], "--title", "关于某事的通知", "--body", made["ws"] / "粘贴.txt",
                    "--attachment", "form", check=0)
    assert "提醒：正文第一行“各部门、各单位：”与主送机关相同，已删去" in human.stderr


def test_a_different_addressee_is_kept_and_questioned_and_a_chinese_numeral_date_is_the_same_day(made):
    out = json.loads(made["other"].stdout)
    texts = _texts(made["ws"], out)
    assert "各学院：" in texts and "各部门、各单位：" in texts
    assert texts.count("二〇二六年十一月二十八日") == 1
    assert out["warnings"] == [
        "正文第一行“各学院：”像是主送机关，与主送“各部门、各单位：”不同，已保留；"
        "如不需要，请从正文中删去，或用 --to 写主送机关",
        "正文末尾的署名和日期“中共内蒙古工业大学委员会　二〇二六年十一月二十八日”已删去"
        "（署名和成文日期由 lzdocs 排出）"]


def test_attachment_lines_stay_when_lzdocs_writes_no_attachment_note(made):
    out = json.loads(made["plain"].stdout)
    assert "附件：联系人名单（另发）" in _texts(made["ws"], out)
    assert out["warnings"] == []


def test_a_telephone_number_on_the_last_line_is_kept_but_a_written_date_is_dropped():
    from lzdocs.documents.markdown_body import drop_repeats, parse_body

    for last, dropped in (("87654321", False), ("2026年11月20日", True), ("二0二六年十一月二十日", True)):
        blocks = parse_body(f"请按时报送。\n联系人及电话：\n张老师\n{last}\n", markdown=False)
        kept, found = drop_repeats(blocks, to="各部门、各单位", issuer="中共内蒙古工业大学委员会", attachments=False)
        assert (found.signature == [last]) is dropped
        assert (kept[-1].text == last) is not dropped
