"""The kinds of document lzdocs writes, as data: the letters (纪检监察建议书 …) with their fields, which
``lzdocs letter --help`` lists and every letter is checked against, and the 文种 of a notice. Light on purpose (no
archive, no template or Word library), so that a command's help and the registers' labels load it alone; issuing
lives in documents/letters.py and documents/notice.py."""

from __future__ import annotations

from dataclasses import dataclass

from lzdocs.errors import ConfigError
from lzdocs.textutil import squeeze


@dataclass(frozen=True)
class Field:
    """One field of a letter; its name is also the template variable."""

    name: str
    required: bool = True
    lines: bool = False  # one item per line → a numbered list in the letter
    date: bool = False
    when: bool = False  # a day and a time of day (谈话时间): 2026-12-08 09:30 → 2026年12月8日（星期二）9时30分
    days: int | None = None  # default for a date: the letter's date + days ([letters] <kind>_days overrides)
    default: str = ""
    example: str = ""
    trim: str = ""  # characters the template already puts around the value (《》)
    printed: bool = True  # the letter prints it: its template must use it (see template_gaps)


@dataclass(frozen=True)
class LetterKind:
    """A kind of letter: its 文种 (title, folder and template name), fields and the reply deadline field."""

    key: str
    name: str
    fields: tuple[Field, ...]
    reply: str | None = None
    personal: bool = False  # may be addressed to a person (--to 王磊 → 王磊同志：); the unit stays in the registers
    followed: bool = False  # one of the six ways of warning: in the 预警处置台账 until closed (lzdocs.dynamics)
    due: str | None = None  # the day the unit must act by, where it is no reply to follow (a 催报's 补报期限)

    @property
    def due_field(self) -> str | None:
        """The field naming the day the unit must act by: ``due``, else the reply's deadline."""
        return self.due or self.reply

    @property
    def template(self) -> str:
        return f"{self.name}.docx"

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


_CAUSE = Field("事由", example="在2026年度廉政风险防控工作检查中")
_PROBLEMS = Field("问题", lines=True, example="采购程序不规范（一行一条）")
_TARGET = Field("对象", example="计划财务处负责人（姓名或岗位）")
_COPY = Field("抄送", required=False, example="学校党委，党政办公室")
_BASIS = Field("依据", required=False, default="廉政风险防控工作", example="《中国共产党纪律检查机关监督执纪工作规则》")

KINDS: dict[str, LetterKind] = {k.key: k for k in (
    LetterKind("suggestion", "纪检监察建议书", (
        _CAUSE, _PROBLEMS, Field("建议", lines=True, example="完善采购制度（一行一条）"),
        Field("回复期限", date=True, days=30), _BASIS, _COPY), reply="回复期限", followed=True),
    LetterKind("accountability", "问廉问责书", (
        _TARGET, _CAUSE, _PROBLEMS, Field("要求", lines=True, example="说明未公开招标的原因（一行一条）"),
        Field("回复期限", date=True, days=15), _BASIS, _COPY), reply="回复期限", personal=True, followed=True),
    LetterKind("talk", "谈话提醒通知书", (
        _TARGET, _CAUSE, Field("谈话时间", when=True, example="2026-12-08 09:30"),
        Field("谈话地点", example="纪委办公室（行政楼301）"), Field("谈话人", example="纪委副书记 王某某"), _BASIS,
        _COPY), reply="谈话时间", personal=True, followed=True),
    LetterKind("rectify", "责令检查整改通知书", (
        _CAUSE, _PROBLEMS, Field("整改要求", lines=True, example="一个月内完成制度修订（一行一条）"),
        Field("整改期限", date=True, days=30), _BASIS, _COPY), reply="整改期限", followed=True),
    LetterKind("meeting", "关于责成召开专题民主生活会的通知", (
        _CAUSE, _PROBLEMS, Field("要求", lines=True, example="深刻剖析问题根源，逐条提出整改措施（一行一条）"),
        Field("召开时限", date=True, days=30),
        Field("报送材料", default="会议记录、班子成员对照检查材料和整改方案", example="会议记录和整改方案"),
        _BASIS, _COPY), reply="召开时限", followed=True),
    LetterKind("urge", "催报通知", (
        Field("应报材料", default="岗位风险分析和防控措施表", trim="《》"),
        Field("原定期限", date=True, example="2026-11-16"),
        Field("补报期限", date=True, days=7), _COPY,
        Field("提醒", required=False, example="是（截止日期前的报送提醒，用 lzdocs urge --reminder）"),
        Field("报送年度", required=False, printed=False,
              example="2026（lzdocs urge 按 --year 填写，记入发文登记簿的备注）"),
        Field("退回情况", required=False,
              example="于2026年11月20日报送的材料不符合填报要求，已退回修改（lzdocs urge 为表格被退回的单位填写）")),
        due="补报期限"),
)}


PRINTED = ("文号", "主送")  # what every letter prints besides its fields: its number and whom it is sent to


def template_gaps(kind: LetterKind, variables) -> tuple[list[str], list[str]]:
    """(errors, warnings) of a template of ``kind`` that uses only ``variables`` (of every part: body, header,
    footer). Without {{ 文号 }} a letter would take a number it does not print, the archive and the paper then
    disagreeing; without {{ 主送 }} or a required field (事由, 问题 …) the text the clerk typed would be lost: errors,
    refused before any number is taken. A field with a default or an optional one (依据 and 抄送; 提醒 and 退回情况,
    which templates of earlier versions lack) is a warning: such a letter is refused only when a value is given for
    the field (LetterOffice.prepare), so that a workspace's older template keeps working for the letters it can
    print whole."""
    errors = [f"模板中没有 {{{{ {name} }}}}，{'文号' if name == '文号' else '主送单位'}不会印在{kind.name}上；"
              f"请在{'发文字号的位置' if name == '文号' else '正文开头'}写上 {{{{ {name} }}}}"
              for name in PRINTED if name not in variables]
    warnings = []
    for f in kind.fields:
        if not f.printed or f.name in variables:
            continue
        if f.required:
            errors.append(f"模板中没有 {{{{ {f.name} }}}}，填写的“{f.name}”不会出现在{kind.name}中；"
                          f"请在模板中相应位置写上 {{{{ {f.name} }}}}")
        else:
            warnings.append(f"模板中没有 {{{{ {f.name} }}}}，填写了“{f.name}”的{kind.name}会被拒绝生成"
                            f"（内容无处印出）；如要用它，请在模板中写上 {{{{ {f.name} }}}}")
    return errors, warnings


def find_kind(text: str) -> LetterKind:
    """A kind by short name (suggestion) or Chinese name (纪检监察建议书, also 建议书)."""
    key = squeeze(text).lower()
    for kind in KINDS.values():
        if key in (kind.key, kind.name):
            return kind
    matches = [k for k in KINDS.values() if key and key in k.name]
    if len(matches) == 1:
        return matches[0]
    names = "、".join(f"{k.name}（{k.key}）" for k in KINDS.values())
    raise ConfigError(f"不认识的文书种类“{text}”", hint=f"可用：{names}")


# --- notices (documents/notice.py) ----------------------------------------------------------------------------
NOTICE_KINDS = ("通知", "通报", "意见", "决定", "报告", "请示", "函", "纪要")
UPWARD = ("请示", "报告")  # 上行文: 文号 on the left, 签发人 on the right


# --- the six ways of warning (lzdocs.dynamics.warnings): a 批评教育 without a letter, and five letters above -------
CRITICISM = "criticism"
WAYS = {CRITICISM: "批评教育", "talk": "谈话提醒", "rectify": "责令检查整改", "accountability": "问廉问责书",
        "suggestion": "纪检监察建议书", "meeting": "责成召开专题民主生活会"}
RECTIFIED, NOT_RECTIFIED = "已整改", "未整改"  # what a 整改核查 found
