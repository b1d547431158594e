"""印发机关 in the 版记 follows the issuing organ: [printers] in lzdocs.toml, with sensible defaults."""

from __future__ import annotations

import json
import tomllib

import pytest
from docx import Document

from lzdocs.documents.notice import resolve_printer
from lzdocs.settings import Settings
from lzdocs.workspace import DEFAULT_CONFIG
from tests.conftest import SAMPLE_SCHOOL, run_cli

PARTY, SCHOOL, DISCIPLINE = "中共内蒙古工业大学委员会", "内蒙古工业大学", "中共内蒙古工业大学纪律检查委员会"


def _printed_by(ws, out: dict) -> str:
    doc = Document(str(ws / out["files"][0]))
    cells = [c.text for t in doc.tables for c in t._cells if c.text.endswith("印发")]
    return cells[-1].split("\t")[0]


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    ws = tmp_path_factory.mktemp("printers") / "ws"
    run_cli("init", ws, *SAMPLE_SCHOOL, check=0)
    (ws / "正文.txt").write_text("请各单位按时报送。\n", encoding="utf-8")
    return ws


def _notice(ws, *extra) -> dict:
    return json.loads(run_cli("notice", "-w", ws, "--title", "关于某事的通知", "--body", ws / "正文.txt", "--json",
                              *extra, check=0).stdout)


def test_a_party_committee_file_is_printed_by_the_party_office_not_the_discipline_office(ws):
    party = _notice(ws)  # the first issuer, 内工大党发
    assert party["number"] == "内工大党发〔2026〕1号"
    assert _printed_by(ws, party) == "中共内蒙古工业大学委员会办公室"  # 党委办公室 (GB/T 9704 §7.4.3)
    discipline = _notice(ws, "--issuer", "内工大纪发")
    assert _printed_by(ws, discipline) == "内蒙古工业大学纪委办公室"  # [organisation] office
    assert _printed_by(ws, _notice(ws, "--issuer", "内蒙古工业大学")) == "内蒙古工业大学办公室"
    config = ws / "lzdocs.toml"  # 党委、学校合署办公: the clerk names the office under [printers]
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[printers]\n", '[printers]\n"内工大党发" = "内蒙古工业大学党政办公室"\n'),
                      encoding="utf-8")
    try:
        assert _printed_by(ws, _notice(ws)) == "内蒙古工业大学党政办公室"
    finally:
        config.write_text(text, encoding="utf-8")


def test_printer_on_the_command_line_wins(ws):
    assert _printed_by(ws, _notice(ws, "--printer", "内蒙古工业大学监察处")) == "内蒙古工业大学监察处"


def test_the_new_lzdocs_toml_explains_printers():
    Settings(tomllib.loads(DEFAULT_CONFIG)).validate(DEFAULT_CONFIG)
    assert "[printers]" in DEFAULT_CONFIG and "印发机关" in DEFAULT_CONFIG.split("[printers]")[1].split("[")[0]


def _settings(printers: dict | None = None, notice_printer: str = "") -> Settings:
    raw = {"organisation": {"issuer": DISCIPLINE, "office": "内蒙古工业大学纪委办公室"},
           "issuers": {PARTY: "内工大党发", SCHOOL: "内工大校发", DISCIPLINE: "内工大纪发"},
           "notice": {"printer": notice_printer}}
    if printers is not None:
        raw["printers"] = printers
    return Settings(raw).validate(DEFAULT_CONFIG)


def test_a_workspace_from_before_printers_still_gets_the_right_office():
    old = _settings()
    assert resolve_printer(old, PARTY, "内工大党发") == "中共内蒙古工业大学委员会办公室"  # GB/T 9704 §7.4.3
    assert resolve_printer(old, DISCIPLINE, "内工大纪发") == "内蒙古工业大学纪委办公室"  # [organisation] office


def test_printers_may_name_the_code_and_notice_printer_serves_the_issuers_not_listed():
    settings = _settings({"内工大党发": "内蒙古工业大学党委办公室"}, notice_printer="内蒙古工业大学文印室")
    assert resolve_printer(settings, PARTY, "内工大党发") == "内蒙古工业大学党委办公室"
    assert resolve_printer(settings, SCHOOL, "内工大校发") == "内蒙古工业大学文印室"


def test_a_printer_that_is_not_text_is_refused_in_chinese():
    from lzdocs.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[printers\]"):
        _settings({PARTY: ["党委办公室"]})
