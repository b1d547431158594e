"""Every .docx lzdocs writes passes an OOXML schema and Word app-compat check (Word is stricter than LibreOffice)."""

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from lzdocs.demo import run_demo
from tests.conftest import REPO

pytestmark = pytest.mark.slow  # the whole demo, then half a second of validation per document


@pytest.fixture(scope="module")
def validator():
    """The OOXML validator, imported only when these tests run (it takes a second)."""
    openxml_audit = pytest.importorskip("openxml_audit", reason="需要 openxml-audit（pip install -e \".[test]\"）")
    return openxml_audit.OpenXmlValidator()


@pytest.fixture(scope="module")
def demo_outputs(tmp_path_factory) -> list[Path]:
    """One demo run: blank and filled forms, a letter of each kind, both notices, the 公示表."""
    root = tmp_path_factory.mktemp("schema") / "演示"
    run_demo(root, echo=lambda *_: None, today=dt.date(2026, 11, 28))
    return distinct(sorted((root / "outbox").rglob("*.docx")))


def distinct(paths: list[Path]) -> list[Path]:
    """Each document once per way it is made: one 催报通知 (the others are the same template for other units) and
    one received form with merged cells and one without (the same writer); every other file is kept."""
    seen, kept = set(), []
    for path in paths:
        if path.parent.name == "催报通知":
            key = "催报通知"
        elif path.parent.parent.name == "收文":
            key = ("收文", b"vMerge" in zipfile.ZipFile(path).read("word/document.xml"))
        else:
            key = path
        if key not in seen:
            seen.add(key)
            kept.append(path)
    return kept


def _errors(validator, path: Path) -> list[str]:
    result = validator.validate(str(path))
    return [f"{e.description} @ {getattr(e, 'part_uri', '')}" for e in result.errors
            if str(getattr(e, "severity", "error")).lower().endswith("error")]


def test_generated_documents_have_no_schema_errors(validator, demo_outputs):
    kinds = {p.parent.name for p in demo_outputs}
    assert {"纪检监察建议书", "问廉问责书", "谈话提醒通知书", "责令检查整改通知书", "催报通知", "通知", "公示",
            "已发布"} <= kinds
    assert len(demo_outputs) == 11  # the 5 letters, 2 notices (2012 and 1999 style), 公示表 and the one posted, 2 forms
    problems = {p.name: _errors(validator, p) for p in demo_outputs}
    assert {name: errs for name, errs in problems.items() if errs} == {}


def test_packaged_templates_have_no_schema_errors(validator):
    templates = sorted((REPO / "lzdocs" / "templates").glob("*.docx"))
    assert [p.name for p in templates] == ["催报通知.docx", "公示表.docx", "关于责成召开专题民主生活会的通知.docx",
                                           "纪检监察建议书.docx", "谈话提醒通知书.docx", "责令检查整改通知书.docx",
                                           "问廉问责书.docx"]
    problems = {p.name: _errors(validator, p) for p in templates}
    assert {name: errs for name, errs in problems.items() if errs} == {}
