"""Write the form fixtures of tests/fixtures/forms/ (run again to regenerate; needs LibreOffice for the lo_* files).

    python tools/make_fixtures.py [OUTDIR]

Files named ``lo_*`` are made by LibreOffice from HTML (rowspan/colspan, two-row headers, title rows)
and converted again to the old .doc/.xls formats; ``word_*`` and ``excel_*`` are made with
python-docx/openpyxl and then edited at the XML level the way Word, WPS and Excel write files
(runs split, content controls, vMerge/gridSpan, layout tables, tracked changes, Chinese date formats), or written
as Excel's XML by hand (tools/fixture_workbook.py). LibreOffice does not write the same bytes twice: to add a
fixture, run this into an empty folder and copy only the new files, so the committed ones stay as they are.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import fixture_html
import fixture_symbols
import fixture_workbook
import openpyxl
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from openpyxl.styles import Alignment

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lzdocs.ooxml.package import rewrite_package  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "forms"
NOTE = ("填表说明：1. 风险等级分三级：危害大，触犯国家法律，构成犯罪的为一级；"
        "危害较大，应当受到纪律处分的为二级；危害较小的为三级。")
FIXED_TIME = (2011, 11, 10, 9, 0, 0)


# --- LibreOffice from HTML ----------------------------------------------------------------------

LO_DOCX_HTML = """<html><head><meta charset="utf-8"></head><body>
<p>附件</p>
<p align="center"><b>岗位风险分析和防控措施表</b></p>
<p>单位（公章）：计划财务处&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;填表日期：2011年11月10日</p>
<table border="1" cellspacing="0">
<tr><td rowspan="2">序号</td><td rowspan="2">岗位名称</td><td rowspan="2">岗位职责</td>
    <td colspan="2">风险分析</td><td rowspan="2">风险类别</td><td rowspan="2">防控措施</td><td rowspan="2">责任人</td></tr>
<tr><td>风险点</td><td>风险等级</td></tr>
<tr><td>1</td><td rowspan="3">会计</td><td rowspan="3">负责经费报销审核</td><td>审核把关不严，违规报销</td><td>一级</td>
    <td>岗位职责</td><td>严格执行报销审批制度<br>实行双人复核</td><td>张三</td></tr>
<tr><td>2</td><td>利用职务便利虚开票据</td><td>Ⅱ级</td><td>业务流程</td><td>票据统一领用登记</td><td>张三</td></tr>
<tr><td>3</td><td>泄露财务信息</td><td>三级风险</td><td>思想道德</td><td>签订保密承诺书</td><td>张三</td></tr>
<tr><td>4</td><td rowspan="2">出纳</td><td rowspan="2">负责现金收付</td><td>挪用公款</td><td>1级</td>
    <td>制度机制</td><td>每日盘点现金</td><td>李四</td></tr>
<tr><td>5</td><td>收受好处费</td><td>高</td><td>外部环境</td><td>定期轮岗</td><td>李四</td></tr>
<tr><td colspan="8">""" + NOTE + """</td></tr>
</table></body></html>"""  # noqa: E501 - HTML of the LibreOffice fixture, kept verbatim

LO_XLSX_HTML = """<html><head><meta charset="utf-8"></head><body><table border="1">
<tr><td colspan="7">科学技术处岗位风险分析和防控措施表</td></tr>
<tr><td>单位（公章）</td><td colspan="2">科学技术处</td><td></td><td>填表日期</td><td colspan="2">2011-11-10</td></tr>
<tr><td rowspan="2">序号</td><td rowspan="2">工作岗位</td><td colspan="3">风险分析</td><td rowspan="2">防范措施</td><td rowspan="2">责任领导</td></tr>
<tr><td>风险描述</td><td>风险类型</td><td>风险级别</td></tr>
<tr><td>1</td><td rowspan="2">项目管理</td><td>项目评审打招呼</td><td>岗位职责</td><td>I</td><td>评审专家随机抽取</td><td>王五</td></tr>
<tr><td>2</td><td>经费使用审核不严</td><td>业务流程</td><td>II</td><td>经费报账审核</td><td>王五</td></tr>
<tr><td></td><td></td><td></td><td></td><td></td><td></td><td></td></tr>
<tr><td>3</td><td>成果管理</td><td>成果鉴定弄虚作假</td><td>制度机制</td><td>III</td><td>鉴定结果公示</td><td>赵六</td></tr>
<tr><td colspan="7">""" + NOTE + """</td></tr>
</table></body></html>"""  # noqa: E501 - HTML of the LibreOffice fixture, kept verbatim


def soffice(*args: str, cwd: Path) -> None:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise SystemExit("需要 LibreOffice (soffice) 才能生成 lo_* 样例")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
                        *args], cwd=cwd, check=True, capture_output=True, timeout=120)


def make_libreoffice(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "lo_two_row_header.html").write_text(LO_DOCX_HTML, encoding="utf-8")
        (tmp / "lo_merged.html").write_text(LO_XLSX_HTML, encoding="utf-8")
        for name, html in (*fixture_html.DOCX.items(), *fixture_html.XLSX.items()):
            (tmp / f"{name}.html").write_text(html, encoding="utf-8")
        docx = ["lo_two_row_header", *fixture_html.DOCX]
        xlsx = ["lo_merged", *fixture_html.XLSX]
        soffice("--infilter=HTML (StarWriter)", "--convert-to", "docx:MS Word 2007 XML",
                *(f"{name}.html" for name in docx), cwd=tmp)
        soffice("--infilter=HTML (StarCalc)", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
                *(f"{name}.html" for name in xlsx), cwd=tmp)
        soffice("--convert-to", "doc:MS Word 97", "lo_two_row_header.docx", cwd=tmp)
        soffice("--convert-to", "xls:MS Excel 97", "lo_merged.xlsx", cwd=tmp)
        for name in ("lo_two_row_header.doc", "lo_merged.xls", *(f"{n}.docx" for n in docx),
                     *(f"{n}.xlsx" for n in xlsx)):
            shutil.copyfile(tmp / name, out / name)
            if name.endswith("x"):
                _rewrite(out / name)


# --- python-docx, then edited -------------------------------------------------------------------

def w(tag: str, inner: str = "", **attrs: str) -> str:
    attributes = "".join(f' w:{k}="{v}"' for k, v in attrs.items())
    return f"<w:{tag}{attributes}>{inner}</w:{tag}>"


def runs(*pieces: str) -> str:
    """Text split into one run per piece, as Word does after editing and spell checking."""
    return "".join(f'<w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r>' for p in pieces)


def sdt(inner: str, *, placeholder: bool = False, alias: str = "") -> str:
    props = (w("alias", val=alias) if alias else "") + (w("showingPlcHdr") if placeholder else "")
    return w("sdt", w("sdtPr", props) + w("sdtContent", inner))


def element(xml: str):
    """An element from WordprocessingML text written without namespace declarations."""
    return parse_xml(xml.replace(">", f" {nsdecls('w')}>", 1))


def new_document() -> Document:
    doc = Document()
    props = doc.core_properties
    props.created = props.modified = dt.datetime(*FIXED_TIME)
    props.author = "lzdocs"
    return doc


def fill_row(row, texts) -> None:
    for cell, text in zip(row.cells, texts):
        cell.text = text


def make_word_runs_sdt(out: Path) -> None:
    """Runs split, content controls at block/row/cell/run level, a cell of two paragraphs, tracked changes."""
    doc = new_document()
    doc.add_paragraph("岗位风险分析和防控措施表")
    end = doc.element.body.find(qn("w:sectPr"))
    unit = sdt(w("p", runs("单", "位（公", "章）", "：", "纪委", "办公室")), alias="单位")
    end.addprevious(element(unit))
    date = w("p", runs("填表", "日期：") + sdt(runs("二〇一一年", "十一月", "八日"), alias="日期"))
    end.addprevious(element(date))
    header = ["序号", "工作岗位", "主要职责", "廉政风险主要内容及表现形式", "风险级别", "主要防控措施", "责任领导"]
    table = doc.add_table(rows=4, cols=len(header))
    table.style = "Table Grid"
    fill_row(table.rows[0], header)
    fill_row(table.rows[1], ["1", "信访", "受理信访举报", "", "二 级", "", "王纪"])
    fill_row(table.rows[2], ["2", "案件审理", "审理违纪案件", "审理不公", "3", "集体审议", ""])
    fill_row(table.rows[3], ["3", "监督检查", "开展监督检查", "检查走过场", "低", "检查结果通报", ""])
    # the header cells inside cell-level content controls (sdtContent wrapping w:tc)
    tr = table.rows[0]._tr
    for tc in list(tr.tc_lst)[1:4]:
        holder = element(sdt(""))
        tr.replace(tc, holder)
        holder.find(qn("w:sdtContent")).append(tc)
    # risk text split over runs, with a deletion and an insertion
    risk = table.rows[1].cells[3]._tc
    risk.remove(risk.p_lst[0])
    risk.append(element(w("p", runs("泄露", "举报人") +
                          w("del", w("r", w("delText", "姓名")), id="1", author="A", date="2011-11-09T00:00:00Z") +
                          w("ins", runs("信息"), id="2", author="A", date="2011-11-09T00:00:00Z"))))
    # a cell of two paragraphs
    measures = table.rows[1].cells[5]._tc
    measures.remove(measures.p_lst[0])
    measures.append(element(w("p", runs("1. 严格执行", "保密制度"))))
    measures.append(element(w("p", runs("2. 举报材料专人保管"))))
    # a row deleted as a tracked change is not read
    deleted = copy.deepcopy(table.rows[3]._tr)
    deleted.insert(0, element(w("trPr", w("del", id="3", author="A", date="2011-11-09T00:00:00Z"))))
    for t in deleted.iter(qn("w:t")):
        t.text = "已删除的行"
    table._tbl.append(deleted)
    # the owner still showing a placeholder in row 3; row 3 wrapped in a row-level content control
    owner = table.rows[2].cells[6]._tc
    owner.remove(owner.p_lst[0])
    owner.append(element(w("p", sdt(runs("单击或点击此处输入文字。"), placeholder=True))))
    row3 = table.rows[2]._tr
    holder = element(sdt(""))
    row3.addprevious(holder)
    holder.find(qn("w:sdtContent")).append(row3)
    doc.add_paragraph(NOTE)
    save_docx(doc, out / "word_runs_sdt.docx")


def make_word_layout(out: Path) -> None:
    """An unrelated table first, a borderless layout table with unit and date, title rows inside the form table,
    vMerge for one post over several rows, gridSpan for the title and the 填表说明 row, a blank row."""
    doc = new_document()
    contacts = doc.add_table(rows=2, cols=3)
    fill_row(contacts.rows[0], ["联系人", "电话", "邮箱"])
    fill_row(contacts.rows[1], ["赵老师", "0471-6575000", "jiwei@example.edu.cn"])
    doc.add_paragraph("")
    layout = doc.add_table(rows=1, cols=4)  # no style: borderless
    fill_row(layout.rows[0], ["单位（公章）", "人事处", "填表日期", "２０１１年１１月１０日"])
    header = ["序号", "岗位名称", "岗位职责", "廉政风险点", "风险等级", "防控措施"]
    form = doc.add_table(rows=8, cols=len(header))
    form.style = "Table Grid"
    title = form.rows[0].cells[0].merge(form.rows[0].cells[-1])
    title.text = "岗位风险分析和防控措施表"
    fill_row(form.rows[1], header)
    fill_row(form.rows[2], ["1", "", "负责干部选拔任用", "考察不深入不全面", "Ⅰ级", "实行考察预告制"])
    fill_row(form.rows[3], ["2", "", "", "违规提拔干部", "Ⅲ级", "执行任前公示制"])
    fill_row(form.rows[4], ["3", "", "", "档案造假", "一级风险", "档案专项审核"])
    fill_row(form.rows[6], ["4", "职称评审", "组织职称评审", "评审打招呼", "二级", "评委随机抽取"])
    post = form.cell(2, 1).merge(form.cell(4, 1))
    post.text = "干部管理"
    duties = form.cell(2, 2).merge(form.cell(4, 2))
    duties.text = "负责干部选拔任用"
    note = form.rows[7].cells[0].merge(form.rows[7].cells[-1])
    note.text = NOTE
    save_docx(doc, out / "word_layout.docx")


def make_word_nested(out: Path) -> None:
    """The form table nested in a layout table whose first row holds the unit and the date."""
    doc = new_document()
    doc.add_paragraph("岗位风险分析和防控措施表")
    outer = doc.add_table(rows=2, cols=2)
    fill_row(outer.rows[0], ["单位（公章）：党政办公室", "填表日期：2011.11.10"])
    holder = outer.cell(1, 0).merge(outer.cell(1, 1))
    inner = holder.add_table(rows=4, cols=5)
    inner.style = "Table Grid"
    fill_row(inner.rows[0], ["序号", "岗位", "风险点", "等级", "预防措施"])
    fill_row(inner.rows[1], ["1", "公章管理", "违规用印", "中", "用印登记审批"])
    fill_row(inner.rows[2], ["2", "公文处理", "泄露涉密文件", "2", "涉密文件专柜保存"])
    fill_row(inner.rows[3], ["3", "接待", "超标准接待", "三", "接待清单公开"])
    save_docx(doc, out / "word_nested.docx")


def make_word_rejects(out: Path) -> None:
    doc = new_document()
    doc.add_paragraph("关于报送材料的说明")
    table = doc.add_table(rows=2, cols=2)
    fill_row(table.rows[0], ["姓名", "电话"])
    fill_row(table.rows[1], ["赵老师", "6575000"])
    save_docx(doc, out / "word_no_form.docx")

    doc = new_document()
    doc.add_paragraph("单位（公章）：教务处    填表日期：2011年11月10日")
    table = doc.add_table(rows=2, cols=4)
    fill_row(table.rows[0], ["序号", "岗位名称", "风险点描述", "防控措施"])
    fill_row(table.rows[1], ["1", "教学管理", "调课随意", "调课审批"])
    save_docx(doc, out / "word_missing_level.docx")


def make_word_page_header(out: Path) -> None:
    """Unit and date only in the page header (页眉); 岗位 merged down over a row numbered in advance and left empty."""
    doc = new_document()
    doc.sections[0].header.paragraphs[0].text = "单位（公章）：国有资产管理处\t\t填表日期：2026年11月9日"
    doc.add_paragraph("岗位风险分析和防控措施表")
    table = doc.add_table(rows=6, cols=5)
    table.style = "Table Grid"
    fill_row(table.rows[0], ["序号", "岗位名称", "风险点描述", "风险等级", "防控措施"])
    fill_row(table.rows[1], ["1", "", "指定供应商", "一级", "公开招标"])
    fill_row(table.rows[2], ["2", "", "验收走过场", "三级", "第三方验收"])
    fill_row(table.rows[3], ["3", "", "", "", ""])
    fill_row(table.rows[4], ["4", "合同管理", "合同条款显失公平", "二级", "法律顾问审核"])
    fill_row(table.rows[5], ["5", "", "", "", ""])
    table.cell(1, 1).merge(table.cell(3, 1)).text = "采购管理"
    save_docx(doc, out / "word_page_header.docx")


WPS_NAMESPACES = " ".join(f'xmlns:{k}="{v}"' for k, v in {
    "wpc": "http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006", "o": "urn:schemas-microsoft-com:office:office",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships", "v": "urn:schemas-microsoft-com:vml",
    "wp14": "http://schemas.microsoft.com/office/word/2010/wordprocessingDrawing",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "w14": "http://schemas.microsoft.com/office/word/2010/wordml",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "wpsCustomData": "http://www.wps.cn/officeDocument/2013/wpsCustomData",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}.items()) + ' mc:Ignorable="w14 wp14"'


def _wps_paragraph(*pieces: str, pid: int = 0) -> str:
    inner = "".join(p if p.startswith("<") else
                    f'<w:r><w:rPr><w:rFonts w:hint="eastAsia"/></w:rPr>'
                    f'<w:t xml:space="preserve">{escape(p)}</w:t></w:r>'
                    for p in pieces)
    return f'<w:p w14:paraId="{0x1A2B0000 + pid:08X}" w14:textId="77777777" w:rsidR="00A1B2C3">{inner}</w:p>'


def _wps_textbox(text: str) -> str:
    """A text box as WPS and Word write it: the wps shape in mc:Choice, the VML shape in mc:Fallback."""
    content = f"<w:txbxContent>{_wps_paragraph(text)}</w:txbxContent>"
    return ('<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor distT="0" distB="0" '
            'distL="114300" distR="114300" simplePos="0" relativeHeight="251659264" behindDoc="0" locked="0" '
            'layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="column">'
            '<wp:posOffset>0</wp:posOffset></wp:positionH><wp:positionV relativeFrom="paragraph"><wp:posOffset>0'
            '</wp:posOffset></wp:positionV><wp:extent cx="3000000" cy="400000"/><wp:wrapNone/>'
            '<wp:docPr id="1" name="文本框 1"/><a:graphic><a:graphicData '
            'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp><wps:cNvSpPr txBox="1"/>'
            f'<wps:spPr/><wps:txbx>{content}</wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor>'
            '</w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape id="文本框 1" type="#_x0000_t202">'
            f'<v:textbox>{content}</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>')


def _wps_cell(text: str = "", vmerge: str | None = None, span: int = 1) -> str:
    merge = {"restart": '<w:vMerge w:val="restart"/>', "continue": "<w:vMerge/>"}.get(vmerge, "")
    merge += f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    return f'<w:tc><w:tcPr><w:tcW w:w="{1200 * span}" w:type="dxa"/>{merge}</w:tcPr>{_wps_paragraph(text)}</w:tc>'


def make_wps_textbox(out: Path) -> None:
    """WPS-style document.xml: unit and date in text boxes (wps:wsp + VML fallback), w14 ids, vMerge without val;
    zero-width characters around the unit (pasted from a chat app)."""
    header = ["序号", "岗位名称", "岗位职责", "风险点描述", "风险类别", "风险等级", "防控措施", "责任人"]
    rows = [[_wps_cell(t) for t in header],
            [_wps_cell("1"), _wps_cell("干部监督", "restart"), _wps_cell("干部监督管理", "restart"),
             *map(_wps_cell, ("干部考察失真失实", "岗位职责", "一级", "考察情况集体研判", "褚华"))],
            [_wps_cell("2"), _wps_cell(vmerge="continue"), _wps_cell(vmerge="continue"),
             *map(_wps_cell, ("个人事项报告查核不严", "制度机制", "二级", "查核结果存档", "褚华"))],
            list(map(_wps_cell,
                     ("3", "组织员", "党员发展", "违规发展党员", "业务流程", "三级", "发展党员公示", "孔明")))]
    table = ('<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>'
             + '<w:gridCol w:w="1200"/>' * 8 + "</w:tblGrid>"
             + "".join(f'<w:tr w:rsidR="00A1B2C3">{"".join(cells)}</w:tr>' for cells in rows) + "</w:tbl>")
    body = (_wps_paragraph("岗位风险分析和防控措施表", pid=1)
            + _wps_paragraph(_wps_textbox("单位（公章）：\u200b组织部\ufeff"), pid=2)
            + _wps_paragraph(_wps_textbox("填表日期：2026年11月9日"), pid=3) + table
            + _wps_paragraph("填表人：孔明", pid=4))
    _write_document(out / "wps_textbox.docx", body)


def make_word_jagged(out: Path) -> None:
    """A Word table whose rows' cell borders do not line up with the header's (a border dragged for some rows):
    10 grid columns, the header cells spanning 1-2-3-1-3 of them, the data rows 1-1-4-1-3 and 1-3-2-2-2."""
    spans = [("序号", 1), ("岗位名称", 2), ("风险点描述", 3), ("风险等级", 1), ("防控措施", 3)]
    rows = [spans, [("1", 1), ("资产处置", 1), ("低价处置国有资产", 4), ("一级", 1), ("处置前评估", 3)],
            [("2", 1), ("房产管理", 3), ("违规出租房屋", 2), ("二级", 2), ("公开招租", 2)]]
    table = ('<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid>' + '<w:gridCol w:w="1200"/>' * 10
             + "</w:tblGrid>"
             + "".join("<w:tr>" + "".join(_wps_cell(t, span=n) for t, n in row) + "</w:tr>" for row in rows)
             + "</w:tbl>")
    body = (_wps_paragraph("单位（公章）：国有资产管理处", pid=1) + table
            + _wps_paragraph("填表日期：2026 年 11 月 9 日", pid=2))
    _write_document(out / "word_jagged.docx", body)


def _write_document(path: Path, body: str) -> None:
    """A minimal .docx holding only document.xml (with the namespaces WPS declares), entries at a fixed time."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.'
        'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
        'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
        'document.main+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
        'org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {WPS_NAMESPACES}>'
        f"<w:body>{body}<w:sectPr/></w:body></w:document>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME), text.encode("utf-8"), zipfile.ZIP_DEFLATED)


# --- openpyxl, then edited ----------------------------------------------------------------------

def make_excel_instructions(out: Path) -> None:
    """An instructions sheet first; the form on sheet 2 with a title row, label and value cells, a date
    cell in the Chinese built-in format 31, 序号 as 1.0, a vertical merge, a blank row, full-width digits."""
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "填表说明"
    for i, line in enumerate(["填表说明", "岗位名称：填写本单位设置的岗位", "风险等级：一级、二级或三级",
                              "防控措施：针对风险点逐条填写", "请于11月16日前报送纪委办公室"], start=1):
        notes.cell(i, 1, line)
    ws = wb.create_sheet("风险表")
    ws.merge_cells("A1:G1")
    ws["A1"] = "岗位风险分析和防控措施表"
    ws["A2"] = "单位（公章）"
    ws.merge_cells("B2:C2")
    ws["B2"] = "教务处"
    ws["E2"] = "填表日期"
    ws["F2"] = dt.datetime(2011, 11, 10)
    ws["F2"].number_format = 'yyyy"年"m"月"d"日"'  # becomes built-in id 31 below
    ws.append(["编号", "岗位", "风险描述", "风险类型", "等级", "防范措施", "负责人"])
    rows = [
        (1.0, "教学运行", "调停课随意，第１周即调课", "业务流程", "一级", "调课须经学院审批", "钱七"),
        (2.0, None, "考试安排不公", "岗位职责", "二级", "考务安排公开", "钱七"),
        (3.0, None, "教材征订收受回扣", "外部环境", "三级", "教材招标采购", "钱七"),
        (None, None, None, None, None, None, None),
        (4.0, "学籍管理", "违规办理学籍异动", "制度机制", 1, "学籍异动集体研究", "孙八"),
        (5.0, "学籍管理", "篡改成绩", "思想道德", 2, "成绩修改留痕", "孙八"),
    ]
    for row in rows:
        ws.append(row)
    ws.merge_cells("B4:B6")
    last = ws.max_row + 1
    ws.merge_cells(f"A{last}:G{last}")
    ws[f"A{last}"] = NOTE
    ws[f"A{last}"].alignment = Alignment(wrap_text=True)
    wb.active = 1
    path = out / "excel_instructions.xlsx"
    wb.save(path)
    _rewrite(path, "xl/styles.xml", _builtin_format_31)


def _builtin_format_31(xml: str) -> str:
    """Point the custom 年月日 format at built-in id 31, as Excel does in a Chinese locale."""
    m = re.search(r'<numFmt numFmtId="(\d+)" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"\s*/>', xml)
    assert m, "openpyxl did not write the expected custom format"
    xml = xml.replace(m.group(0), "")
    return re.sub(rf'numFmtId="{m.group(1)}"', 'numFmtId="31"', xml)


def make_excel_serial(out: Path) -> None:
    """Unit and label in one cell, the date as an Excel serial in a General cell, levels 高/中/低."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "单位（公章）：国有资产管理处"
    ws["D1"] = "填表日期："
    ws["E1"] = 40857  # 2011-11-10 as a serial number, General format
    ws.append([])
    ws.append(["序号", "岗位名称", "风险点描述", "风险等级", "防控措施", "责任人"])
    ws.append([1, "资产处置", "低价处置国有资产", "高", "处置前评估并公示", "周九"])
    ws.append([2, "房产管理", "违规出租房屋", "中", "出租公开招租", "周九"])
    ws.append([3, "设备采购", "=采购参数倾向特定厂家", "低", "参数论证会", "吴十"])
    ws["C6"].data_type = "s"
    ws.append(["填表人：周九", None, None, "审核人：吴十"])
    wb.save(out / "excel_serial.xlsx")
    _rewrite(out / "excel_serial.xlsx")


def make_excel_hidden_header(out: Path) -> None:
    """A hidden sheet with last year's complete form first; this year's form visible, unit and date only in the
    page header (&L … &R …), 岗位 merged over a row numbered in advance, a zero-width space in a risk; another
    visible filled sheet after it."""
    wb = openpyxl.Workbook()
    old = wb.active
    old.title = "2025年"
    old.append(["单位（公章）：科学技术处", None, None, None, "填表日期：2025年11月9日"])
    old.append(["序号", "岗位名称", "岗位职责", "风险点描述", "风险类别", "风险等级", "防控措施", "责任人"])
    old.append([1, "旧岗位", "旧职责", "去年的风险点", "业务流程", "一级", "去年的措施", "旧人"])
    old.sheet_state = "hidden"
    ws = wb.create_sheet("2026年")
    ws.oddHeader.left.text = "单位（公章）：科学技术处"
    ws.oddHeader.left.font = "宋体,常规"
    ws.oddHeader.right.text = "填表日期：2026年11月9日"
    ws.append(["序号", "岗位名称", "风险点描述", "风险等级", "防控措施"])
    ws.append([1, "项目管理", "项目评审打招呼", 1, "评审专家随机抽取"])
    ws.append([2, None, "经费使用\u200b审核不严", 2, "经费报账审核"])  # a zero-width space pasted from a web page
    ws.append([3])
    ws.append([4])
    ws.merge_cells("B2:B4")
    extra = wb.create_sheet("成果科")
    extra.append(["单位（公章）：科学技术处", None, None, "填表日期：2026-11-09"])
    extra.append(["序号", "岗位名称", "风险点描述", "风险等级", "防控措施"])
    extra.append([1, "成果管理", "成果鉴定弄虚作假", "二级", "鉴定结果公示"])
    wb.active = 1
    path = out / "excel_hidden_header.xlsx"
    wb.save(path)
    _rewrite(path)


def _rewrite(path: Path, part: str | None = None, edit=None, *, drop: tuple[str, ...] = ()) -> None:
    """Rewrite a package in place: edit one part (as text), drop parts, fix every entry's time so output is stable."""
    parts = {"docProps/core.xml": _fixed_core_dates, **dict.fromkeys(drop)}
    if part is not None:
        parts[part] = lambda data: edit(data.decode("utf-8")).encode("utf-8")
    rewrite_package(io.BytesIO(path.read_bytes()), path, parts, date_time=FIXED_TIME, mode=0)


def _fixed_core_dates(data: bytes) -> bytes:
    return re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2011-11-10T09:00:00Z", data)


def _slim_docx(path: Path) -> None:
    """Drop python-docx's 440 kB stylesWithEffects.xml and its thumbnail (Word needs neither) to keep fixtures small."""
    _rewrite(path, drop=("word/stylesWithEffects.xml", "docProps/thumbnail.jpeg"))


def save_docx(doc, path: Path) -> None:
    doc.save(path)
    _slim_docx(path)


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    make_word_runs_sdt(out)
    make_word_layout(out)
    make_word_nested(out)
    make_word_rejects(out)
    make_word_page_header(out)
    make_wps_textbox(out)
    make_word_jagged(out)
    _write_document(out / "word_symbols.docx", fixture_symbols.body(_wps_paragraph))
    make_excel_instructions(out)
    make_excel_hidden_header(out)
    make_excel_serial(out)
    fixture_workbook.make_excel_years(out)
    fixture_workbook.make_excel_wrong_sheet(out)
    make_libreoffice(out)
    for path in sorted(out.iterdir()):
        print(f"{path.stat().st_size:>8}  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main(sys.argv)
