"""Workbooks written as Excel writes its XML, by hand: several sheets, shared strings, a Chinese date style."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

FIXED_TIME = (2011, 11, 10, 9, 0, 0)
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER = ("序号", "岗位名称", "风险点描述", "风险等级", "防控措施")
DATE_STYLE = 1  # cellXfs index whose numFmtId is 31, Excel's built-in 年月日 format in a Chinese locale


class Day(int):
    """An Excel serial day shown with the 年月日 style."""


def _column(c: int) -> str:
    name = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        name = chr(65 + r) + name
    return name


def _sheet_xml(rows: list[list], merges: list[str], strings: dict[str, int]) -> str:
    out = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{_column(c)}{r}"
            if value is None or value == "":
                continue
            if isinstance(value, Day):
                cells.append(f'<c r="{ref}" s="{DATE_STYLE}"><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float)):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                index = strings.setdefault(value, len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
        out.append(f'<row r="{r}" spans="1:{max(len(row), 1)}">{"".join(cells)}</row>')
    merged = (f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
              + "</mergeCells>") if merges else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<worksheet {NS} xmlns:r="{REL}">'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="14.25"/>'
            f'<sheetData>{"".join(out)}</sheetData>{merged}'
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')


def write_workbook(path: Path, sheets: list[tuple[str, list[list], list[str]]], active: int = 0) -> None:
    """An .xlsx of ``sheets`` (name, rows, merged ranges) with the parts and attributes Excel 2016 writes."""
    strings: dict[str, int] = {}
    parts = {f"xl/worksheets/sheet{i}.xml": _sheet_xml(rows, merges, strings)
             for i, (_, rows, merges) in enumerate(sheets, 1)}
    count = sum(1 for _, rows, _ in sheets for row in rows for v in row if isinstance(v, str) and v)
    parts["xl/sharedStrings.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<sst {NS} count="{count}" '
        f'uniqueCount="{len(strings)}">' + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>")
    parts["xl/styles.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<styleSheet {NS}><fonts count="1"><font>'
        '<sz val="11"/><name val="宋体"/><charset val="134"/></font></fonts><fills count="1"><fill>'
        '<patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="31" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
    listed = "".join(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, (name, _, _) in enumerate(sheets, 1))
    parts["xl/workbook.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<workbook {NS} xmlns:r="{REL}">'
        f'<bookViews><workbookView activeTab="{active}"/></bookViews><sheets>{listed}</sheets></workbook>')
    n = len(sheets)
    rels = "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, n + 1))
    rels += (f'<Relationship Id="rId{n + 1}" Type="{REL}/styles" Target="styles.xml"/>'
             f'<Relationship Id="rId{n + 2}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>')
    package = "http://schemas.openxmlformats.org/package/2006"
    parts["xl/_rels/workbook.xml.rels"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
                                           f'<Relationships xmlns="{package}/relationships">{rels}</Relationships>')
    parts["_rels/.rels"] = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Relationships xmlns='
                            f'"{package}/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                            'Target="xl/workbook.xml"/></Relationships>')
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{main}.worksheet+xml"/>'
                        for i in range(1, n + 1))
    parts["[Content_Types].xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Types xmlns="{package}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        f'ContentType="{main}.sheet.main+xml"/>{overrides}<Override PartName="/xl/styles.xml" '
        f'ContentType="{main}.styles+xml"/><Override PartName="/xl/sharedStrings.xml" '
        f'ContentType="{main}.sharedStrings+xml"/></Types>')
    order = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
             *(f"xl/worksheets/sheet{i}.xml" for i in range(1, n + 1)), "xl/styles.xml", "xl/sharedStrings.xml"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in order:
            zf.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME), parts[name].encode("utf-8"), zipfile.ZIP_DEFLATED)


def _form(unit: str, date, rows: list[tuple], title: str = "岗位风险分析和防控措施表") -> tuple[list[list], list[str]]:
    """A form sheet: the title merged over the table, unit and date in label and value cells, the header, rows."""
    grid = [[title], ["单位（公章）", unit, None, "填表日期", date], list(HEADER), *[list(r) for r in rows]]
    return grid, ["A1:E1", "B2:C2"]


INSTRUCTIONS = ([["填表说明"], ["1. 风险等级填写一级、二级或三级"], ["2. 同一岗位有多个风险点的，可合并岗位单元格"],
                 ["3. 请于11月16日前报送纪委办公室"]], [])
EXAMPLE = _form("XX学院", "2026年X月X日", [(1, "办公室主任", "公章使用不规范", "二级", "用印登记审批")],
                title="岗位风险分析和防控措施表（示例）")
LAST_YEAR = _form("人事处", Day(45970), [(1, "职称评审", "评审暗箱操作", "二级", "评审结果公示"),  # 2025-11-09
                                        (2, "人才引进", "降低条件引进", "二级", "招聘结果公开")])
THIS_YEAR = [(1, "职称评审", "评审材料审核不严", "二级", "评审专家随机产生"),
             (2, "人事调配", "优亲厚友", "一级", "回避制度"),
             (3, "工资管理", "违规发放津贴", "三级", "津贴发放公示")]


def make_excel_years(out: Path) -> None:
    """填表说明, a filled 示例 sheet, last year's form and this year's, in that order (last year's active)."""
    sheets = [("填表说明", *INSTRUCTIONS), ("示例", *EXAMPLE), ("2025年", *LAST_YEAR),
              ("2026年", *_form("人事处", "2026年11月9日", THIS_YEAR))]
    write_workbook(out / "excel_years.xlsx", sheets, active=2)


def make_excel_wrong_sheet(out: Path) -> None:
    """The same workbook, this year's level left unticked in one row: the rejection names the sheet read."""
    rows = [*THIS_YEAR[:2], (3, "工资管理", "违规发放津贴", "一级□ 二级□ 三级□", "津贴发放公示")]
    sheets = [("填表说明", *INSTRUCTIONS), ("示例", *EXAMPLE), ("2025年", *LAST_YEAR),
              ("2026年", *_form("人事处", "2026年11月9日", rows))]
    write_workbook(out / "excel_wrong_sheet.xlsx", sheets)
