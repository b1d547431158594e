"""Who issues the documents: the school, its 简称, the issuing organs and their 机关代字, as lzdocs.toml holds them."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lzdocs.fsutil import write_atomic
from lzdocs.settings import Settings

# The organisation's block of lzdocs.toml: written by ``lzdocs init`` from the answers (or blank until then).
ORGANISATION_TEXT = """\
[organisation]
school = @school@      # 学校（单位）全称，出现在表格和登记簿标题里
short = @short@        # 简称，用于机关代字（如 内工大）
issuer = @issuer@      # 默认发文机关（纪检监察文书落款）
office = @office@      # 印发机关
contact = @contact@    # 联系人（错误说明、文书中的联系方式），可留空
phone = @phone@        # 联系电话，可留空

[numbering]
# 各文种的机关代字：文号 = 机关代字 + 〔年份〕 + 序号 + 号
suggestion = @suggestion@      # 纪检监察建议书
accountability = @accountability@  # 问廉问责书
talk = @talk@            # 谈话提醒通知书
rectify = @rectify@         # 责令检查整改通知书
urge = @urge@            # 催报通知
meeting = @meeting@         # 关于责成召开专题民主生活会的通知
criticism = @criticism@       # 批评教育（当面进行，不发文书）的登记号

[issuers]
# 公文（lzdocs notice）的发文机关 → 机关代字，如 "中共某某大学委员会" = "某大党发"
"""


LETTER_CODES = {"suggestion": "纪建", "accountability": "纪问", "talk": "纪谈", "rectify": "纪改", "urge": "纪催",
                "meeting": "纪会", "criticism": "纪批"}


@dataclass(frozen=True)
class Organisation:
    """Who issues the documents: the school, its 简称, the issuing organs and their 机关代字."""

    school: str = ""
    short: str = ""
    issuer: str = ""  # 纪委: signs the warning letters
    office: str = ""  # 纪委办公室: 印发机关
    codes: tuple[tuple[str, str], ...] = ()  # (letter kind, 机关代字)
    organs: tuple[tuple[str, str], ...] = ()  # (notice issuer, 机关代字)
    contact: str = ""
    phone: str = ""

    @classmethod
    def derive(cls, school: str, short: str, **given) -> Organisation:
        """The usual organs and codes of a school (中共XX纪律检查委员会, XX纪建 …); ``given`` replaces any of them."""
        issuer = given.pop("issuer", None) or f"中共{school}纪律检查委员会"
        codes = {k: f"{short}{suffix}" for k, suffix in LETTER_CODES.items()} | dict(given.pop("codes", ()))
        organs = {f"中共{school}委员会": f"{short}党发", school: f"{short}校发", issuer: f"{short}纪发"}
        return cls(school, short, issuer, given.pop("office", None) or f"{school}纪委办公室",
                   tuple(codes.items()), tuple((organs | dict(given.pop("organs", ()))).items()), **given)

    def config_text(self) -> str:
        """The [organisation], [numbering] and [issuers] sections of lzdocs.toml."""
        values = {"school": self.school, "short": self.short, "issuer": self.issuer, "office": self.office,
                  "contact": self.contact, "phone": self.phone, **{k: "" for k in LETTER_CODES}, **dict(self.codes)}
        text = ORGANISATION_TEXT
        for key, value in values.items():
            text = text.replace(f"@{key}@", toml_string(value))
        return text + "".join(f"{toml_string(k)} = {toml_string(v)}\n" for k, v in self.organs) + "\n"


SAMPLE = Organisation.derive("内蒙古工业大学", "内工大")  # the school of the 2011 reference: the demo's and the tests'


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string: the same escapes


def fill_organisation(config: Path, organisation: Organisation) -> None:
    """Write the organisation into an lzdocs.toml whose names and codes are still blank: each blank
    ``key = ""`` of [organisation] and [numbering] gets its value, [issuers] its lines; every other line stays."""
    values = {"organisation": {"school": organisation.school, "short": organisation.short,
                               "issuer": organisation.issuer, "office": organisation.office,
                               "contact": organisation.contact, "phone": organisation.phone},
              "numbering": dict(organisation.codes)}
    section, out = "", []
    for line in config.read_text(encoding="utf-8-sig").splitlines(keepends=True):
        header = re.match(r"\s*\[([^\]]+)\]", line)
        section = header.group(1).strip() if header else section
        blank = re.match(r'(\s*)([A-Za-z_]+)(\s*=\s*)""(.*)', line, re.S)
        if blank and values.get(section, {}).get(blank.group(2)):
            line = f"{blank.group(1)}{blank.group(2)}{blank.group(3)}" \
                   f"{toml_string(values[section][blank.group(2)])}{blank.group(4)}"
        out.append(line)
        if header and section == "issuers" and not Settings(tomllib.loads(config.read_text("utf-8-sig"))) \
                .section("issuers"):
            out += [f"{toml_string(k)} = {toml_string(v)}\n" for k, v in organisation.organs]
    write = "".join(out)
    tomllib.loads(write)  # still valid TOML before it replaces the file
    write_atomic(config, write.encode("utf-8"))
