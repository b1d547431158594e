"""Every .docx lzdocs writes passes an OOXML schema and Word app-compat check (Word is stricter than LibreOffice)."""

import datetime as dt
from pathlib import Path

import pytest

from lzdocs.demo import run_demo
from tests.conftest import REPO

openxml_audit = pytest.importorskip("openxml_audit", reason="需要 openxml-audit（pip install -e \".[test]\"）")


@pytest.fixture(scope="module")
def demo_outputs(tmp_path_factory) -> list[Path]:
    """One demo run: blank and filled forms, a letter of each kind, both notices, the 公示表."""
    root = tmp_path_factory.mktemp("schema") / "演示"
    run_demo(root, echo=lambda *_: None, today=dt.date(2026, 11, 28))
    return sorted((root / "outbox").rglob("*.docx"))


def _errors(path: Path) -> list[str]:
    result = openxml_audit.OpenXmlValidator().validate(str(path))
    return [f"{e.description} @ {getattr(e, 'part_uri', '')}" for e in result.errors
            if str(getattr(e, "severity", "error")).lower().endswith("error")]


def test_generated_documents_have_no_schema_errors(demo_outputs):
    kinds = {p.parent.name for p in demo_outputs}
    assert {"纪检监察建议书", "问廉问责书", "谈话提醒通知书", "责令检查整改通知书", "催报通知", "通知", "公示"} <= kinds
    problems = {p.name: _errors(p) for p in demo_outputs}
    assert {name: errs for name, errs in problems.items() if errs} == {}


def test_packaged_templates_have_no_schema_errors():
    templates = sorted((REPO / "lzdocs" / "templates").glob("*.docx"))
    assert [p.name for p in templates] == ["催报通知.docx", "公示表.docx", "纪检监察建议书.docx", "谈话提醒通知书.docx",
                                           "责令检查整改通知书.docx", "问廉问责书.docx"]
    problems = {p.name: _errors(p) for p in templates}
    assert {name: errs for name, errs in problems.items() if errs} == {}
