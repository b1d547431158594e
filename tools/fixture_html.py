"""HTML sources of the lo_* form fixtures that LibreOffice turns into .docx/.xlsx the way offices make them."""

from __future__ import annotations

HEAD = '<html><head><meta charset="utf-8"></head><body>\n'
FOOT = "</body></html>"
H5 = ("序号", "岗位名称", "风险点描述", "风险等级", "防控措施")
STD = ("序号", "岗位名称", "岗位职责", "风险点描述", "风险类别", "风险<br>等级", "防控措施", "责任人")


def td(text: str = "", **attrs) -> str:
    return "<td" + "".join(f' {k}="{v}"' for k, v in attrs.items()) + f">{text}</td>"


def tr(*cells: str) -> str:
    """A row; a cell is plain text or already a <td>."""
    return "<tr>" + "".join(c if c.startswith("<td") else td(c) for c in cells) + "</tr>\n"


def table(*rows: str) -> str:
    return '<table border="1" cellspacing="0">\n' + "".join(rows) + "</table>\n"


def p(text: str, style: str = "") -> str:
    return f'<p style="{style}">{text}</p>\n' if style else f"<p>{text}</p>\n"


PAGE_BREAK = "page-break-before:always"
TWO_ROW_HEADER = (tr(td("序号", rowspan=2), td("岗位名称", rowspan=2), td("风险分析", colspan=2),
                     td("防控措施", rowspan=2), td("责任人", rowspan=2)),
                  tr("风险点", "风险等级"))

# A form over two pages: a 填表说明 row right under the two-row header, the header repeated by hand inside
# the table, the rest in a second table after a page break and “续表”, rows numbered in advance and left
# empty, the date only at the end of the signature line.
PAGES = HEAD + p("附件") + p("岗位风险分析和防控措施表", "text-align:center") + p("单位（公章）：审计处") + table(
    *TWO_ROW_HEADER,
    tr(td("填表说明：同一岗位有多个风险点的，可合并岗位单元格。", colspan=6)),
    tr("1", td("工程审计", rowspan=2), "审计中收受施工方好处", "一级", "审计组集体复核", "冯一"),
    tr("2", "审计发现问题不报告", "二级", "审计报告集体审定", "冯一"),
    *TWO_ROW_HEADER,
    tr("3", "财务审计", "<p>1.审计结论不客观；</p><p>2.泄露审计信息。</p>", "Ⅱ", "审计结果公开", "陈二"),
) + p("续表", PAGE_BREAK) + table(
    tr("4", "经济责任审计", "审计走过场", "三级", "审计结果公开", "陈二"),
    tr("5", "", "", "", "", ""),
    tr("6", "", "", "", "", ""),
) + p("部门负责人（签字）：　　　　　填表人：陈二　　　　二〇二六年十一月九日") + FOOT

# Every page its own table under the title and the unit line; then a second unit's form in the same file.
PAGE_TABLES = HEAD + "".join(
    p("岗位风险分析和防控措施表", style) + p(f"单位（公章）：{unit}　　填表日期：2026.11.9") + table(tr(*H5), tr(*row))
    for style, unit, row in (("", "后勤管理处", ("1", "物资采购", "采购中收受回扣", "一级", "集中采购，比价公示")),
                             (PAGE_BREAK, "后勤管理处", ("2", "维修管理", "虚报维修工程量", "二级", "结算审计")),
                             (PAGE_BREAK, "保卫处", ("1", "消防管理", "消防检查走过场", "三级", "检查结果公示")))
) + FOOT

# 岗位 merged over 名称|职责, 风险程度 and 控制措施 for level and measures, extra columns, a blank 年 月 日
# after the unit and 填表时间 under the table; one level written 较高.
GROUP_HEADER = HEAD + p("单位：党委组织部　　　　　　　年　　月　　日") + table(
    tr(td("序号", rowspan=2), td("岗位", colspan=2), td("风险点", rowspan=2), td("风险程度", rowspan=2),
       td("控制措施", rowspan=2), td("完成<br>时限", rowspan=2), td("备注", rowspan=2)),
    tr("名称", "职责"),
    tr("1", "组织员", "党员发展", "违规发展党员", "中", "发展党员公示", "长期", ""),
    tr("2", "干部监督", "干部考察", "干部考察失真失实", "较高", "考察情况集体研判", "2026年12月", "重点"),
) + p("填表时间：2026年11月9日") + FOOT

# Excel: section headings merged across the table, the title “（续）” and the header repeated for page two,
# 岗位 merged over two rows, rows numbered in advance, the school's name before the unit.
SECTIONS = HEAD + table(
    tr(td("岗位风险分析和防控措施表", colspan=8)),
    tr(td("单位名称：内蒙古工业大学人事处 ", colspan=4), td("填表日期：2026.11.9", colspan=4)),
    tr(*STD),
    tr(td("一、领导岗位", colspan=8)),
    tr("1", td("处长", rowspan=2), "全面负责", "干部选拔任人唯亲", "思想道德", "一级", "集体研究决定", "卫东"),
    tr("2", "分管人事", "违规提拔干部", "岗位职责", "二级风险", "任前公示", "卫东"),
    tr(td("岗位风险分析和防控措施表（续）", colspan=8)),
    tr(*STD),
    tr(td("二、科室岗位", colspan=8)),
    tr("3", "调配科", "人才引进", "降低条件引进人员<br>优亲厚友", "制度机制", "3", "招聘结果公开", "蒋华"),
    tr("4", "", "", "", "", "", "", ""),
    tr("5", "", "", "", "", "", "", ""),
    tr(td("审核人：王某", colspan=4), td("填表人：李某", colspan=4)),
) + FOOT

DOCX = {"lo_pages": PAGES, "lo_page_tables": PAGE_TABLES, "lo_group_header": GROUP_HEADER}
XLSX = {"lo_sections": SECTIONS}
