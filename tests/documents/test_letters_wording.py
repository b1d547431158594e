"""What each letter says: items and their punctuation, 谈话时间, a person as 主送, 依据, 联系人, 送达回证."""

from __future__ import annotations

import datetime as dt
import json
import re

import docx
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from lzdocs.documents import letters as L
from lzdocs.documents.letter_fields import basis_text
from lzdocs.errors import FieldError
from lzdocs.office import Office
from lzdocs.store.schema import documents, warnings
from tests.conftest import run_cli

DAY = dt.date(2026, 11, 28)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TALK = {"事由": "在资产清查中发现处置不规范", "谈话时间": dt.datetime(2026, 12, 8, 9, 30),
        "谈话地点": "行政楼301会议室", "谈话人": "纪委副书记王某某"}
ACCOUNT = {"事由": "在工程项目专项检查中", "问题": "工程变更未经审批",
           "要求": "说明工程变更未经审批的原因\n完善变更审批制度"}


def lines(path) -> list[str]:
    """The text of every paragraph of the body, in tables too, as the clerk reads it in Word."""
    body = docx.Document(path).element.body
    return ["".join(t.text or "" for t in p.iter(f"{W}t")) for p in body.iter(f"{W}p")]


@pytest.fixture
def office(workspace):
    with Office(workspace, today=DAY) as office:
        yield office


def test_items_end_with_semicolons_and_the_last_with_a_full_stop(office):
    problems = "采购程序不规范。\n报销审核不严；\n是否合规？"
    item = office.letter("suggestion", "计财处", {"事由": "在检查中", "问题": problems, "建议": "完善采购制度"})
    text = lines(item.path)
    assert text[text.index("在检查中，发现你单位存在以下问题：") + 1:][:3] == [
        "1．采购程序不规范；", "2．报销审核不严；", "3．是否合规？"]
    assert "完善采购制度。" in text and not any(t.startswith("1．完善") for t in text)


def test_talk_time_keeps_the_hour_and_minute_and_the_place_is_shown(office):
    item = office.letter("talk", "资产处", {**TALK, "对象": "资产处副处长"})
    text = lines(item.path)
    assert "一、谈话时间：2026年12月8日（星期二）9时30分；" in text
    assert "二、谈话地点：行政楼301会议室；" in text and "三、谈话人：纪委副书记王某某。" in text


@pytest.mark.parametrize(("value", "printed", "warned"), [
    ("2026-12-08 09:30", "2026年12月8日（星期二）9时30分", False),
    ("2026/12/8 14:05:00", "2026年12月8日（星期二）14时5分", False),
    (dt.datetime(2026, 12, 8, 15, 0), "2026年12月8日（星期二）15时", False),
    ("2026年12月1日上午9:00", "2026年12月1日（星期二）上午9时", False),
    ("12月8日（周二）下午3点半", "2026年12月8日（星期二）下午3时30分", False),  # no year: the letter's
    (dt.datetime(2026, 12, 8), "2026年12月8日（星期二）", True),  # an Excel date cell without a time
])
def test_talk_time_forms(office, value, printed, warned):
    letter = office.letters.prepare(L.KINDS["talk"], "资产处", {**TALK, "对象": "你处", "谈话时间": value}, DAY)
    assert letter.context["谈话时间"] == printed
    assert ("谈话时间只有日期，没有写几点几分" in letter.warnings) == warned


def test_a_talk_letter_addressed_to_a_person_speaks_to_them_and_is_registered_under_the_unit(office):
    item = office.letter("talk", "资产处", TALK, to="王磊")
    text = lines(item.path)
    assert "王磊同志：" in text
    assert ("在资产清查中发现处置不规范，根据廉政风险防控工作有关规定，经研究，决定对你进行谈话提醒。"
            "现将有关事项通知如下：") in text
    assert "请你按时参加，如实说明有关情况。因故不能按时参加的，请提前向我委说明。" in text
    with office.store.read() as conn:
        assert conn.execute(select(documents.c.recipient)).scalar_one() == "国有资产管理处"
    assert item.unit == "国有资产管理处"


def test_an_accountability_letter_to_a_person_reads_well_for_a_remedy(office):
    item = office.letter("accountability", "基建处", ACCOUNT, to="王磊同志")
    text = lines(item.path)
    assert text.count("王磊同志：") == 1
    assert "在工程项目专项检查中，发现你存在以下问题：" in text and "工程变更未经审批。" in text
    assert "根据廉政风险防控工作有关规定，现向你发出问廉问责书，并提出以下要求：" in text
    assert [t for t in text if t[:2] in ("1．", "2．")] == ["1．说明工程变更未经审批的原因；", "2．完善变更审批制度。"]
    assert not any("作出书面说明：" in t for t in text)
    with office.store.read() as conn:
        assert conn.execute(select(warnings.c.unit)).scalar_one() == "基建处"


def test_only_talk_and_accountability_letters_go_to_a_person(office):
    with pytest.raises(FieldError, match="纪检监察建议书发给单位，不能写给个人") as caught:
        office.letter("suggestion", "计财处", {"事由": "x", "问题": "y", "建议": "z"}, to="王磊")
    assert "谈话提醒通知书" in caught.value.hint and "问廉问责书" in caught.value.hint


def test_the_legal_basis_is_cited_with_its_book_title_marks(office):
    basis = "中国共产党纪律检查机关监督执纪工作规则有关规定"
    item = office.letter("rectify", "后勤处", {"事由": "在复查中", "问题": "验收记录不全", "整改要求": "建立台账",
                                               "依据": basis})
    assert ("根据《中国共产党纪律检查机关监督执纪工作规则》有关规定，责令你单位认真检查，并按以下要求整改："
            in lines(item.path))
    assert basis_text("《中国共产党纪律处分条例》第三十条") == "《中国共产党纪律处分条例》第三十条"


def test_contact_person_and_phone_come_from_the_settings(workspace):
    toml = workspace.root / "lzdocs.toml"
    text = toml.read_text(encoding="utf-8")
    organisation = text.split("[organisation]", 1)[1].split("\n[", 1)[0]
    assert re.search(r'(?m)^contact = ""', organisation) and re.search(r'(?m)^phone = ""', organisation)
    with Office(workspace, today=DAY) as office:
        before = lines(office.letter("rectify", "后勤处", {"事由": "在复查中", "问题": "a", "整改要求": "b"}).path)
    assert not any(t.startswith("联系") for t in before)
    filled = organisation.replace('contact = ""', 'contact = "张老师"', 1)
    filled = filled.replace('phone = ""', 'phone = "0471-6575000"', 1)
    toml.write_text(text.replace(organisation, filled), encoding="utf-8")
    with Office(workspace.root, today=DAY) as office:  # lzdocs.toml read anew
        item = office.letter("rectify", "后勤处", {"事由": "在复查中", "问题": "a", "整改要求": "b"})
        text = lines(item.path)
        assert text[text.index("联系人：张老师，联系电话：0471-6575000。") + 2] == "中共内蒙古工业大学纪律检查委员会"
        other = office.letter("rectify", "后勤处", {"事由": "x", "问题": "a", "整改要求": "b", "联系人": "李老师"})
        assert "联系人：李老师，联系电话：0471-6575000。" in lines(other.path)


def test_a_receipt_page_follows_the_letter_without_its_letterhead(office):
    item = office.letter("accountability", "基建处", ACCOUNT, to="王磊", receipt=True)
    document = docx.Document(item.path)
    assert len(document.sections) == 2
    receipt = document.sections[1]
    for part in (receipt.header, receipt.first_page_header, receipt.footer, receipt.first_page_footer,
                 receipt.even_page_footer):
        assert not part.is_linked_to_previous and "".join(p.text for p in part.paragraphs) == ""
    table = document.tables[-1]
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["文书名称和文号", f"问廉问责书（{item.number}）"], ["受送达单位（人）", "王磊（基建处）"],
        ["送达时间", "\u3000\u3000年\u3000\u3000月\u3000\u3000日\u3000\u3000时\u3000\u3000分"], ["送达地点", ""],
        ["签收人", ""], ["送达人", ""], ["备注", ""]]
    assert "送达回证" in lines(item.path)
    without = office.letter("accountability", "基建处", {**ACCOUNT, "对象": "基建处处长"})
    assert len(docx.Document(without.path).sections) == 1 and "送达回证" not in lines(without.path)


def test_cli_to_and_receipt(workspace):
    w = ["-w", workspace.root, "--date", "2026-11-28"]
    sets = ["--set", "事由=在资产清查中", "--set", "谈话时间=2026-12-08 09:30", "--set", "谈话地点=行政楼301",
            "--set", "谈话人=纪委副书记"]
    out = json.loads(run_cli("letter", "talk", "--unit", "资产处", "--to", "李明", *sets, "--receipt", "--json", *w,
                             check=0).stdout)
    assert out["unit"] == "国有资产管理处"
    text = lines(workspace.root / out["files"][0])
    assert "李明同志：" in text and "一、谈话时间：2026年12月8日（星期二）9时30分；" in text and "送达回证" in text
    missing = run_cli("letter", "talk", "--to", "李明", *sets, *w, check=2)
    assert "写给个人时也请用 --unit 指定其所在单位" in missing.stderr
    wrong = run_cli("letter", "suggestion", "--unit", "计财处", "--to", "李明", "--set", "事由=x", "--set", "问题=y",
                    "--set", "建议=z", *w, check=2)
    assert "纪检监察建议书发给单位，不能写给个人" in wrong.stderr


def test_a_batch_addresses_each_row_to_its_person(workspace, tmp_path):
    batch = tmp_path / "谈话.xlsx"
    wb = Workbook()
    wb.active.append(["单位", "受文人", "事由", "谈话时间", "谈话地点", "谈话人"])
    wb.active.append(["资产处", "王磊", "在清查中", dt.datetime(2026, 12, 8, 9, 30), "301", "纪委副书记"])
    wb.active.append(["基建处", "", "在检查中", dt.datetime(2026, 12, 9, 14, 0), "302", "纪委副书记"])
    wb.save(batch)
    with Office(workspace, today=DAY) as office:
        rows = office.letter_batch("talk", batch, values={"对象": "你处负责人"}, receipt=True).rows
    assert [r.error for r in rows] == [None, None]
    first, second = (lines(r.issued.path) for r in rows)
    assert "王磊同志：" in first and "一、谈话时间：2026年12月8日（星期二）9时30分；" in first
    assert "请你按时参加，如实说明有关情况。因故不能按时参加的，请提前向我委说明。" in first
    assert rows[0].warnings == ["写给王磊同志的文书正文称“你”，“对象”（你处负责人）没有使用"]
    assert "基建处：" in second
    assert "王磊（国有资产管理处）" in first and "基建处" in second[second.index("送达回证"):]
    assert "请你处负责人按时参加，如实说明有关情况。因故不能按时参加的，请提前向我委说明。" in second


def test_the_packaged_templates_use_only_what_lzdocs_provides(office):
    for kind in L.KINDS.values():
        report, found = office.check_template(office.ws.template(kind.template))
        assert found == kind and report.problems == [], (kind.name, report.problems)
