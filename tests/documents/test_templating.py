"""The fast docxtpl-compatible renderer and the template checker."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import pytest
from docx.shared import Pt
from docxtpl import DocxTemplate
from lxml import etree

from lzdocs.documents.templating import DOCXTPL_METHODS, DocxTemplateFile, check_template, load_template, make_env
from lzdocs.errors import TemplateError
from tests.test_repository_workspace import named_templates

REPO = Path(__file__).resolve().parents[2]
SUGGESTION = REPO / "lzdocs" / "templates" / "纪检监察建议书.docx"
TRICKY = 'R&D <项目> "配套" & 100%'


def context(**extra) -> dict:
    base = {"发文机关": "中共内蒙古工业大学纪律检查委员会", "文号": "内工大纪建〔2026〕3号", "主送": "计划财务处",
            "事由": f"在检查中，{TRICKY}", "问题": ["采购程序不规范", "报销审核把关不严"], "建议": ["完善采购制度"],
            "回复期限": "2026年12月28日", "成文日期": "2026年11月28日", "抄送": "学校党委，党政办公室。",
            "印发机关": "内蒙古工业大学纪委办公室", "印发日期": "2026年11月28日", "依据": "廉政风险防控工作",
            "联系方式": ""}
    return {**base, **extra}


def texts(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


def body_c14n(data: bytes) -> bytes:
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    return etree.tostring(root.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}body"),
                          method="c14n")


def make_template(path: Path, paragraphs: list, *, split: bool = False) -> Path:
    """A small .docx: each item is a paragraph; a tuple is a paragraph of several runs (the second one bold)."""
    document = docx.Document()
    for item in paragraphs:
        p = document.add_paragraph()
        for i, piece in enumerate(item if isinstance(item, tuple) else (item,)):
            run = p.add_run(piece)
            if split and i == 1:
                run.font.size = Pt(20)
    document.save(path)
    return path


def test_renders_the_same_document_as_docxtpl():
    ours = DocxTemplateFile(SUGGESTION).render(context())
    theirs = DocxTemplate(SUGGESTION)
    theirs.render(context(), make_env())
    buffer = io.BytesIO()
    theirs.save(buffer)
    assert body_c14n(ours) == body_c14n(buffer.getvalue())


def test_special_characters_come_out_exactly_as_written():
    lines = texts(DocxTemplateFile(SUGGESTION).render(context()))
    assert f"在检查中，{TRICKY}，发现你单位存在以下问题：" in lines
    assert "1．采购程序不规范" in lines and "2．报销审核把关不严" in lines


def test_output_is_a_valid_package_with_every_part_of_the_template():
    data = DocxTemplateFile(SUGGESTION).render(context())
    with zipfile.ZipFile(io.BytesIO(data)) as out, zipfile.ZipFile(SUGGESTION) as src:
        assert out.testzip() is None
        assert out.namelist() == src.namelist()
        assert out.read("word/styles.xml") == src.read("word/styles.xml")


def test_a_new_line_in_a_value_becomes_a_line_break():
    data = DocxTemplateFile(SUGGESTION).render(context(事由="第一行\n第二行"))
    assert b"<w:br/>" in zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    assert any(t.startswith("第一行\n第二行") for t in texts(data))


def test_variables_are_listed_without_loop_names():
    assert DocxTemplateFile(SUGGESTION).variables == {
        "发文机关", "文号", "主送", "事由", "问题", "建议", "回复期限", "成文日期", "抄送", "依据", "联系方式"}


def test_a_missing_variable_is_an_error_not_a_blank(tmp_path):
    template = DocxTemplateFile(make_template(tmp_path / "t.docx", ["{{ 事由 }}{{ 联系人 }}"]))
    with pytest.raises(TemplateError, match="联系人"):
        template.render({"事由": "x"})


def test_a_tag_split_over_differently_formatted_runs_still_renders(tmp_path):
    path = make_template(tmp_path / "t.docx", [("{{ 事", "由 }}", "。")], split=True)
    assert texts(DocxTemplateFile(path).render({"事由": TRICKY})) == [f"{TRICKY}。"]
    report = check_template(path)
    assert report.variables == ["事由"]
    assert [p.severity for p in report.problems] == ["warning"]
    assert "格式不同" in report.problems[0].message and report.problems[0].paragraph == 1


def test_an_unknown_filter_fails_at_load_naming_the_paragraph(tmp_path):
    path = make_template(tmp_path / "t.docx", ["标题", "{{ 事由|大写 }}"])
    with pytest.raises(TemplateError) as caught:
        DocxTemplateFile(path)
    assert "正文第2段" in str(caught.value) and "未知的过滤器“大写”" in str(caught.value)


def test_check_reports_each_kind_of_tag_error_with_its_paragraph(tmp_path):
    path = make_template(tmp_path / "t.docx", [
        "{{ 事由 ",                      # 1: not closed
        "{% for 条 in 问题 %}",          # 2: never closed
        "{{ 条 | nosuchfilter }}",       # 3: unknown filter
        "{{ 1 + }}",                     # 4: malformed expression
        "{% endif %}",                   # 5: closes nothing
        "多余 }}",                       # 6: stray closer
        "{%p if 抄送 %}抄送：{{ 抄送 }}",  # 7: {%p with other text (warning)
        "{%p endif %}",
    ])
    report = check_template(path)
    by_paragraph = {p.paragraph: p for p in report.problems}
    assert sorted(by_paragraph) == [1, 2, 3, 4, 5, 6, 7] and len(report.problems) == 7
    assert "没有结束符 }}" in by_paragraph[1].message
    assert "缺少结束标签 {% endfor %}" in by_paragraph[2].message
    assert "nosuchfilter" in by_paragraph[3].message
    assert "写法有误" in by_paragraph[4].message
    assert "前面没有对应的" in by_paragraph[5].message
    assert "多余的结束符 }}" in by_paragraph[6].message
    assert by_paragraph[7].severity == "warning" and "整段会被删除" in by_paragraph[7].message
    assert all(re.search("[\u4e00-\u9fff]", p.describe()) for p in report.problems)


@pytest.mark.parametrize("broken, found", [
    ("{{ 事由 ，发现以下问题：", "没有结束符 }}"),  # docxtpl's patching drops the text up to the next tag
    ("{ 事由 }}，发现以下问题：", "多余的结束符 }}"),  # compiles: the letter would print “{ 事由 }}”
    ("{{ 事由 }，发现以下问题：", "没有结束符 }}"),
    ("{# 事由 ，发现以下问题：", "没有结束符 #}"),
])
def test_a_template_that_compiles_with_a_broken_tag_is_refused_at_load_naming_the_paragraph(tmp_path, broken, found):
    path = make_template(tmp_path / "t.docx", ["{{ 文号 }}", "{{ 主送 }}：", broken,
                                               "{%p if 抄送 %}", "抄送：{{ 抄送 }}", "{%p endif %}"])
    for cache in (None, tmp_path / "cache", tmp_path / "cache"):  # prepared afresh, then from the cache entry
        with pytest.raises(TemplateError) as caught:
            DocxTemplateFile(path, cache_dir=cache)
        assert f"正文第3段（“{broken}”）" in str(caught.value) and found in str(caught.value)
        assert f'用 lzdocs template check "{path}" 查看全部问题' in str(caught.value)
    assert len(list((tmp_path / "cache").iterdir())) == 1


def test_a_delimiter_the_patched_template_still_prints_is_refused_at_load_and_by_the_check(tmp_path):
    """Text Word keeps but does not show (a deletion tracked in WPS) is not read by the paragraph check; Jinja
    would print its “}}” into the letter."""
    path = make_template(tmp_path / "t.docx", ["{{ 文号 }}", "{{ 事由 }}"])
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["word/document.xml"] = members["word/document.xml"].replace(
        b"<w:t>{{ \xe4\xba\x8b\xe7\x94\xb1 }}</w:t></w:r>",
        b"<w:t>{{ \xe4\xba\x8b\xe7\x94\xb1 }}</w:t></w:r><w:del w:id=\"1\" w:author=\"x\"><w:r>"
        b"<w:delText>\xe5\x8e\x9f\xe6\x96\x87 }}</w:delText></w:r></w:del>", 1)
    assert b"<w:delText>" in members["word/document.xml"]
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(TemplateError) as caught:
        DocxTemplateFile(path)
    assert "正文（“{{ 事由 }}原文 }}”）：这里的标签符号没有组成完整的标签" in str(caught.value)
    errors = check_template(path).errors
    assert len(errors) == 1 and errors[0].message.startswith("这里的标签符号没有组成完整的标签，生成的文书会原样印出")


def test_a_set_block_is_a_block_to_the_check_and_loads(tmp_path):
    path = make_template(tmp_path / "t.docx", ["{% set 署名 %}{{ 单位 }}纪委{% endset %}{{ 署名 }}",
                                               "{% set 落款 | trim %}", " {{ 单位 }} ", "{% endset %}{{ 落款 }}",
                                               "{% set 年 = 2026 %}{{ 年 }}"])
    assert check_template(path).problems == []
    assert texts(DocxTemplateFile(path).render({"单位": "计财处"}))[0] == "计财处纪委"
    unclosed = make_template(tmp_path / "u.docx", ["{% set 署名 %}{{ 单位 }}"])
    assert [p.message for p in check_template(unclosed).errors] == ["“{% set 署名 %}”缺少结束标签 {% endset %}"]


def test_check_of_the_packaged_templates_finds_nothing_wrong():
    from lzdocs.documents.letters import KINDS

    folder = REPO / "lzdocs" / "templates"
    letters = sorted({kind.name for kind in KINDS.values()})
    assert letters == ["催报通知", "关于责成召开专题民主生活会的通知", "纪检监察建议书", "谈话提醒通知书",
                       "责令检查整改通知书", "问廉问责书"]
    assert sorted(p.stem for p in folder.glob("*.docx")) == sorted([*letters, "公示表"])
    for name in letters:
        report = check_template(folder / f"{name}.docx")
        assert report.problems == [], (name, report.problems)
        assert "文号" in report.variables and "主送" in report.variables


def test_check_names_variables_lzdocs_does_not_provide(tmp_path):
    path = make_template(tmp_path / "t.docx", ["{{ 事由 }}{{ 联系电话 }}"])
    report = check_template(path, known={"事由"})
    assert [p.message for p in report.problems] == [
        "变量“联系电话”不是 lzdocs 提供的字段，生成时须用 --set 联系电话=… 提供，否则会报错"]


def test_a_broken_file_is_a_template_error(tmp_path):
    bad = tmp_path / "坏.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(TemplateError, match="已损坏"):
        DocxTemplateFile(bad)


def test_a_template_is_loaded_once_per_process_until_its_bytes_change(tmp_path):
    path = make_template(tmp_path / "通知.docx", ["致{{ 主送 }}：第一稿"])
    first = load_template(path)
    assert load_template(path) is first
    assert texts(first.render({"主送": "计财处"}))[0] == "致计财处：第一稿"
    make_template(path, ["致{{ 主送 }}：第二稿"])  # edited in Word: other bytes, maybe the same size and time
    second = load_template(path)
    assert second is not first and texts(second.render({"主送": "计财处"}))[0] == "致计财处：第二稿"
    copy = tmp_path / "另一个工作区" / "通知.docx"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    assert load_template(copy).path == copy and load_template(path).path == path  # messages name its own file
    with pytest.raises(TemplateError, match="找不到模板"):
        load_template(tmp_path / "没有.docx")
    bad = tmp_path / "坏.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(TemplateError, match="已损坏"):
        load_template(bad)


def test_a_template_over_the_size_limit_is_refused_by_either_way_of_loading(tmp_path, monkeypatch):
    path = make_template(tmp_path / "大.docx", ["致{{ 主送 }}："])
    monkeypatch.setattr("lzdocs.documents.templating._MAX_TEMPLATE_BYTES", path.stat().st_size - 1)
    for load in (load_template, DocxTemplateFile):
        with pytest.raises(TemplateError, match="过大"):
            load(path)


def test_the_packaged_letter_templates_are_what_the_generator_makes(tmp_path):
    import subprocess
    import sys

    subprocess.run([sys.executable, str(REPO / "tools" / "make_templates.py"), str(tmp_path)], check=True,
                   capture_output=True)
    made = sorted(tmp_path.glob("*.docx"))
    assert len(made) == 6
    for path in made:
        assert path.read_bytes() == (REPO / "lzdocs" / "templates" / path.name).read_bytes(), path.name


def test_the_packaged_publicity_template_is_what_its_generator_makes(tmp_path):
    import subprocess
    import sys

    subprocess.run([sys.executable, str(REPO / "tools" / "make_publicity_template.py"), str(tmp_path)], check=True,
                   capture_output=True)
    assert (tmp_path / "公示表.docx").read_bytes() == (REPO / "lzdocs" / "templates" / "公示表.docx").read_bytes()


def test_docxtpl_is_a_pinned_version_that_still_has_the_patching_methods_the_renderer_calls():
    import importlib.metadata
    import inspect
    import tomllib

    from packaging.requirements import Requirement

    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pin = next(r for r in map(Requirement, dependencies) if r.name == "docxtpl")
    assert any(s.operator in ("<", "<=", "==", "~=") for s in pin.specifier), "docxtpl needs an upper bound"
    assert pin.specifier.contains(importlib.metadata.version("docxtpl"))
    signatures = {name: list(inspect.signature(getattr(DocxTemplate, name)).parameters) for name in DOCXTPL_METHODS}
    assert signatures == {"patch_xml": ["self", "src_xml"], "resolve_listing": ["self", "xml"],
                          "fix_tables": ["self", "xml"]}
    split_tag = "<w:t>{{</w:t></w:r><w:r><w:t>x}}</w:t>"
    assert DocxTemplate("").patch_xml(split_tag) == '<w:t xml:space="preserve">{{x}}</w:t>'


# --- templates prepared once, kept in the workspace's cache ---------------------------------------------------
def _context(template: DocxTemplateFile) -> dict:
    return {**{name: f"值{name}" for name in template.variables}, "rows": [], "show_owner": True}


@pytest.mark.parametrize("name", sorted(named_templates()))  # by the product's names: a missing file fails
def test_a_template_prepared_from_the_cache_renders_what_one_prepared_afresh_does(tmp_path, name):
    path = REPO / "lzdocs" / "templates" / name
    fresh = DocxTemplateFile(path)
    first = DocxTemplateFile(path, cache_dir=tmp_path)  # prepares it and keeps it
    kept = list(tmp_path.iterdir())
    assert len(kept) == 1 and kept[0].suffix == ".json"
    again = DocxTemplateFile(path, cache_dir=tmp_path)  # from the cache
    assert again.variables == fresh.variables
    assert again.render(_context(fresh)) == first.render(_context(fresh)) == fresh.render(_context(fresh))


def _rewrite(entry: Path, **changes) -> None:
    """The cache entry with its content changed as ``changes`` say, its own digest made to match."""
    import hashlib
    import json

    record = json.loads(entry.read_text(encoding="utf-8"))
    content = {**json.loads(record["content"]), **changes}
    record["content"] = json.dumps(content, ensure_ascii=False)
    record["digest"] = hashlib.sha256(record["content"].encode("utf-8")).hexdigest()
    entry.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("damage", ["garbage", "other code", "content without its digest", "an empty part",
                                    "not base64", "a part the template lacks", "a templated part missing",
                                    "a source that does not compile", "too large"])
def test_a_damaged_stale_or_foreign_cache_entry_is_prepared_again_and_rewritten(tmp_path, damage, monkeypatch):
    import json

    path = make_template(tmp_path / "函.docx", ["致{{ 主送 }}：", "{{ 正文 }}"])
    cache = tmp_path / "cache"
    values = {"主送": "计财处", "正文": "请整改"}
    expected = DocxTemplateFile(path).render(values)
    DocxTemplateFile(path, cache_dir=cache)
    (entry,) = cache.iterdir()
    whole = entry.read_bytes()
    record = json.loads(whole)
    content = json.loads(record["content"])
    finished, sources = content["finished"], content["sources"]
    if damage == "garbage":
        entry.write_bytes(b"\x00not json")
    elif damage == "other code":
        entry.write_text(json.dumps({**record, "code": "0" * 64}), encoding="utf-8")
    elif damage == "content without its digest":
        record["content"] = record["content"].replace("主送", "收文单位")
        entry.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    elif damage == "an empty part":
        _rewrite(entry, finished={name: "" for name in finished})
    elif damage == "not base64":
        _rewrite(entry, finished={name: "不是base64!" for name in finished})
    elif damage == "a part the template lacks":
        _rewrite(entry, sources={**sources, "../../evil.xml": "{{ 口令 }}"})
    elif damage == "a templated part missing":
        _rewrite(entry, sources={})
    elif damage == "a source that does not compile":
        _rewrite(entry, sources={name: text.replace("{{ 主送 }}", "{{ 主送 ") for name, text in sources.items()})
    else:
        monkeypatch.setattr("lzdocs.documents.templating._PREPARED_MAX_BYTES", len(whole) - 1)
    assert finished, "the template's font table and settings are changed, so the entry holds parts"
    again = DocxTemplateFile(path, cache_dir=cache)
    assert again.variables == {"主送", "正文"} and again.render(values) == expected
    if damage != "too large":
        assert entry.read_bytes() == whole  # written again, whole


def test_the_cache_keeps_the_newest_entries(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr("lzdocs.documents.templating._PREPARED_KEPT", 3)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / ".old.1a2b3c4d.part.json").write_text("left by a killed process")
    os.utime(cache / ".old.1a2b3c4d.part.json", ns=(0, 0))
    for n in range(5):
        path = make_template(tmp_path / f"函{n}.docx", [f"致{{{{ 主送 }}}}（{n}）"])
        DocxTemplateFile(path, cache_dir=cache)
        entry = max(cache.iterdir(), key=lambda p: p.stat().st_mtime_ns)
        os.utime(entry, ns=(n * 10**9 + 10**9, n * 10**9 + 10**9))  # distinct times whatever the clock's grain
    kept = sorted(cache.iterdir(), key=lambda p: p.stat().st_mtime_ns)
    assert len(kept) == 3 and all(p.suffix == ".json" and not p.name.startswith(".") for p in kept)


def test_an_edited_template_is_prepared_anew_and_a_cache_that_cannot_be_written_is_only_skipped(tmp_path):
    path = make_template(tmp_path / "函.docx", ["致{{ 主送 }}："])
    cache = tmp_path / "cache"
    DocxTemplateFile(path, cache_dir=cache)
    make_template(path, ["致{{ 主送 }}，请于{{ 期限 }}前回复。"])  # edited in Word: other bytes, another entry
    assert DocxTemplateFile(path, cache_dir=cache).variables == {"主送", "期限"}
    assert len(list(cache.iterdir())) == 2
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    assert DocxTemplateFile(path, cache_dir=blocked).variables == {"主送", "期限"}


def test_a_letter_from_a_prepared_template_loads_neither_docxtpl_nor_python_docx(tmp_path):
    import subprocess
    import sys

    from lzdocs.workspace import SAMPLE, Workspace
    from tests.conftest import cli_env

    ws, _ = Workspace.init(tmp_path / "ws", SAMPLE)
    probe = ("import runpy, sys\n"
             "import lzdocs.ending\n"
             "lzdocs.ending.end_now = lambda code=0: None  # the command's process goes on, to be looked at\n"
             "sys.argv = ['lzdocs', '-w', sys.argv[1], 'letter', 'suggestion', '--unit', '计财处',"
             " '--set', '事由=在2026年度廉政风险防控工作检查中', '--set', '问题=采购程序不规范',"
             " '--set', '建议=完善采购制度']\n"
             "try:\n    runpy.run_module('lzdocs', run_name='__main__')\nexcept SystemExit as exc:\n"
             "    assert not exc.code, exc.code\n"
             "print(sorted(m for m in ('docx', 'docxtpl') if m in sys.modules))\n")
    seen = [subprocess.run([sys.executable, "-c", probe, str(ws.root)], env=cli_env(), capture_output=True,
                           text=True, check=True).stdout.splitlines()[-1] for _ in range(2)]
    assert seen == ["['docx', 'docxtpl']", "[]"]  # the first letter prepares the template; the next ones reuse it
    assert len(list(ws.prepared_templates.glob("*.json"))) == 1
