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

# --- round two: tick boxes, a unit only in the title, “同上”, an example table before the form --------------------

# Every tick-box layout clerks type into one cell: box after or before the word, with or without spaces, (√).
LIBRARY = p("单位（公章）：图书馆　　　　填表日期：2026年11月10日")
TICKS = HEAD + p("岗位风险分析和防控措施表", "text-align:center") + LIBRARY + table(
    tr(*H5),
    tr("1", "采编", "图书采购收受回扣", "一级□　二级☑　三级□", "采购公开招标"),
    tr("2", "采编", "验收把关不严", "☑三级", "双人验收"),
    tr("3", "流通", "违规减免赔偿金", "一级 ☐ 二级 ☐ 三级 ✔", "减免集体审批"),
    tr("4", "信息技术", "数据库采购倾向特定厂家", "■一级□二级□三级", "采购参数论证"),
    tr("5", "典藏", "古籍管理不善", "一级（ ）二级（√）三级（ ）", "专人管理"),
    tr("6", "办公室", "公务接待超标准", "高○ 中● 低○", "接待清单公开"),
) + FOOT

# The same with one row not ticked and one ticked twice: both are errors naming the row.
TICKS_BAD = HEAD + LIBRARY + table(
    tr(*H5),
    tr("1", "采编", "图书采购收受回扣", "一级□　二级□　三级□", "采购公开招标"),
    tr("2", "流通", "违规减免赔偿金", "☑一级 ☑二级 □三级", "减免集体审批"),
    tr("3", "典藏", "古籍管理不善", "二级☑", "专人管理"),
) + FOOT

# Excel: 风险等级 over three columns 一级 | 二级 | 三级, each row ticked in one of them.
TICK_COLUMNS = HEAD + table(
    tr(td("岗位风险分析和防控措施表", colspan=7)),
    tr(td("单位（公章）：保卫处", colspan=4), td("填表日期：2026年11月10日", colspan=3)),
    tr(td("序号", rowspan=2), td("岗位名称", rowspan=2), td("风险点描述", rowspan=2), td("风险等级", colspan=3),
       td("防控措施", rowspan=2)),
    tr("一级", "二级", "三级"),
    tr("1", "消防管理", "消防检查走过场", "", "√", "", "检查结果公示"),
    tr("2", "门卫", "违规放行车辆", "", "", "✓", "车辆出入登记"),
    tr("3", "治安管理", "案件查处不公", "☑", "□", "□", "集体研究处理"),
    tr("4", "", "", "", "", "", ""),
) + FOOT

# No unit field: the unit is named in the title only (Word), an alias in the title (Excel).
TITLE_UNIT = HEAD + p("建筑学院岗位廉政风险点及防控措施一览表", "text-align:center") + table(
    tr(*H5),
    tr("1", "院长", "重大事项不经集体研究", "一级", "党政联席会议决策"),
    tr("2", "教学秘书", "违规调整成绩", "二级", "成绩修改留痕"),
) + p("填表日期：2026年11月12日") + FOOT
TITLE_ALIAS = HEAD + table(
    tr(td("后勤处廉政风险防控表", colspan=5)),
    tr(*H5),
    tr("1", "物资采购", "以次充好", "二级", "公开招标"),
    tr("2", "维修管理", "虚报工程量", "三级", "结算审计"),
    tr(td("填表日期：2026年11月12日", colspan=5)),
) + FOOT

# “同上”: 岗位 left blank (not merged) or written 同上 under a filled one.
SAME_ABOVE = HEAD + table(
    tr(td("单位（公章）：计划财务处", colspan=3), td("填表日期：2026年11月10日", colspan=2)),
    tr(*H5),
    tr("1", "出纳", "挪用公款", "一级", "钱账分管"),
    tr("2", "", "收入不及时入账", "二级", "票据统一管理"),
    tr("3", "同上", "坐支现金", "二级", "日清月结"),
    tr("4", "会计", "违规报销", "二级", "审核双签"),
    tr("5", "", "虚列支出", "三级", "大额支出集体审批"),
) + FOOT

# A filled example table (填写示例) before the real form, as some offices send the notice's attachment back.
EXAMPLE_FIRST = HEAD + p("附件") + p("岗位风险分析和防控措施表（填写示例）", "text-align:center") + p(
    "单位（公章）：XX学院　　填表日期：2026年X月X日") + table(
    tr(*H5), tr("1", "办公室主任", "公章使用不规范", "二级", "用印登记审批"),
) + p("岗位风险分析和防控措施表", PAGE_BREAK + ";text-align:center") + p(
    "单位（公章）：招生就业处　　填表日期：2026年11月10日") + table(
    tr(*H5), tr("1", "招生录取", "违规操作录取", "一级", "录取结果公示"),
    tr("2", "就业指导", "虚报就业数据", "三级", "就业数据抽查"),
) + FOOT

DOCX.update({"lo_ticks": TICKS, "lo_ticks_bad": TICKS_BAD, "lo_title_unit": TITLE_UNIT,
             "lo_example_first": EXAMPLE_FIRST})
XLSX.update({"lo_tick_columns": TICK_COLUMNS, "lo_title_alias": TITLE_ALIAS, "lo_same_above": SAME_ABOVE})

# 防控措施落实情况检查表 as units send it back: typed results in Excel (a reworded risk point), ticked
# boxes under a merged 岗位 in Word (a reworded point, one 未落实 with its problem and remedy).
CHECK_HEAD = ("序号", "岗位", "风险点", "落实情况", "存在问题", "整改措施")
BOXES = "□已落实　□部分落实　□未落实"
CHECK_XLSX = HEAD + table(
    tr(td("防控措施落实情况检查表", colspan=6)),
    tr(td("单位（公章）：计划财务处", colspan=3), td("检查日期：2026年11月20日", colspan=3)),
    tr(*CHECK_HEAD),
    tr("1", "出纳", "利用职务便利挪用公款", "已落实", "", ""),
    tr("2", "会计", "审核不严、违规报销", "未落实", "报销单据未双签", "12月底前补齐双签"),
    tr("3", "处长", "违规审批资金", "部分落实", "集体研究记录不全", "完善会议记录"),
) + FOOT
CHECK_DOCX = HEAD + p("防控措施落实情况检查表", "text-align:center") + p(
    "单位（公章）：基建处　　　　检查日期：2026年11月21日") + table(
    tr(*CHECK_HEAD),
    tr("1", td("工程管理", rowspan=2), "虚报工程量", BOXES.replace("□已", "☑已"), "", ""),
    tr("2", "违规变更设计、增加工程造价", BOXES.replace("□部分", "☑部分"), "变更审批留痕不全", "补齐变更审批记录"),
    tr("3", "物资采购", "采购中收受回扣", BOXES.replace("□未", "☑未"), "供应商比选记录缺失", "建立供应商比选台账"),
) + FOOT

DOCX["lo_check_word"] = CHECK_DOCX
XLSX["lo_check_excel"] = CHECK_XLSX
