"""A docxtpl-compatible .docx renderer that parses and compiles a template once, and the template checker."""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import hashlib
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import SecurityError
from lxml import etree

from lzdocs.documents.sandbox import TemplateSandbox, TooLargeError, render_bounded
from lzdocs.errors import TemplateError
from lzdocs.fsutil import write_atomic
from lzdocs.ooxml.fonttable import FONT_PARTS, FONT_TABLE, SETTINGS, THEME_PART, finished_parts
from lzdocs.ooxml.package import RawMember, read_raw_member, write_raw_members

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TEMPLATED_PART = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
PART_LABELS = {"document": "正文", "header": "页眉", "footer": "页脚", "footnotes": "脚注", "endnotes": "尾注"}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
# What a document's layout does to the rendered parts before they are zipped: (members, parts) → (members, parts).
LayOut = Callable[[list[RawMember], dict[str, bytes]], tuple[list[RawMember], dict[str, bytes]]]
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_TABLE_TAGS = re.compile(r"\{%-?\s*tc\s|\{%\s*(colspan|hm)\b")
_MAX_TEMPLATE_BYTES = 20 * 2**20
_DELIMITERS = ("{{", "}}", "{%", "%}", "{#", "#}")
_LITERAL_MESSAGE = ("这里的标签符号没有组成完整的标签，生成的文书会原样印出它或漏掉内容；"
                    "标签须写成 {{ 字段 }}，且整个标签在同一段里")


# docxtpl's XML patching, reused so that templates mean exactly what they mean to docxtpl: tags split over
# runs, {%p %}/{%tr %}/{%tc %} tags, colspan and cell colours (patch_xml), new lines and tabs in values
# (resolve_listing), table grids after {%tc %} loops (fix_tables). These are methods of DocxTemplate, not its
# documented API; pyproject.toml pins docxtpl to the versions they were tested with and
# tests/documents/test_templating.py checks the pin and the methods.
DOCXTPL_METHODS = ("patch_xml", "resolve_listing", "fix_tables")


def make_env() -> jinja2.Environment:
    """The Jinja environment of every letter and notice: sandboxed, autoescape on, a missing variable is an
    error, values and output bounded (see :mod:`lzdocs.documents.sandbox`)."""
    return TemplateSandbox()


@functools.cache
def _docxtpl():
    """A DocxTemplate for its XML patching methods (DOCXTPL_METHODS); the constructor reads no file."""
    from docxtpl import DocxTemplate

    return DocxTemplate("")


@dataclass
class _Part:
    """A templated XML part: its compiled Jinja template and whether tables need docxtpl's column fix."""

    name: str
    template: jinja2.Template
    source: str
    fix_tables: bool
    variables: frozenset[str] = frozenset()


class DocxTemplateFile:
    """A .docx template loaded once: the package read, the XML patched as docxtpl does, Jinja compiled.

    ``render(context)`` then only renders strings and writes a new zip around them, copying the other
    parts' compressed bytes; the result is what ``DocxTemplate(path).render(context, env)`` would give.
    """

    def __init__(self, path: Path, env: jinja2.Environment | None = None, *, data: bytes | None = None,
                 cache_dir: Path | None = None):
        self.path = Path(path)
        self.env = env or make_env()
        data = _read_template(self.path) if data is None else data
        raw = _read_entries(self.path, data)
        prepared = _prepared(raw, self.path, data, cache_dir)
        if prepared.problems:
            raise self._refusal(prepared.problems)
        try:
            self.parts = self._compile_all(prepared)
        except TemplateError:
            if not prepared.cached:
                raise
            # A cached source that does not compile is worked out again from the template (and rewritten):
            # a template that is itself wrong then fails with its own message.
            prepared = _prepared(raw, self.path, data, cache_dir, fresh=True)
            self.parts = self._compile_all(prepared)
        self.entries = [e.with_content(prepared.finished[e.name]) if e.name in prepared.finished else e for e in raw]
        self.variables = frozenset().union(*(p.variables for p in self.parts.values()))

    def _compile_all(self, prepared: _Prepared) -> dict[str, _Part]:
        return {name: self._compile(name, source) for name, source in prepared.sources.items()
                if "{{" in source or "{%" in source}

    def _refusal(self, problems: list[TagProblem], detail: str = "") -> TemplateError:
        where = "；".join(p.describe() for p in problems[:3]) or detail
        return TemplateError(f"模板 {self.path.name} 有错误：{where}",
                             hint=f"用 lzdocs template check \"{self.path}\" 查看全部问题，在 Word 中改正后保存")

    def _compile(self, name: str, source: str) -> _Part:
        try:  # parsed once: its variables read from the tree before the tree is compiled (which may rewrite it)
            tree = self.env.parse(source)
            variables = meta.find_undeclared_variables(tree)
            template = self.env.from_string(tree)
        except jinja2.TemplateError as exc:
            raise self._refusal(check_template(self.path).errors, _jinja_message(exc)) from exc
        leftover = _literal_delimiter(tree, source)
        if leftover is not None:
            raise self._refusal(check_template(self.path).errors,
                                TagProblem("error", _LITERAL_MESSAGE, _part_label(name), None, leftover).describe())
        return _Part(name, template, source, bool(_TABLE_TAGS.search(source)), frozenset(variables))

    def render(self, context: dict, *, lay_out: LayOut | None = None) -> bytes:
        """The rendered .docx as bytes; raises TemplateError (nothing written) when the template fails. ``lay_out``
        changes the rendered parts before they are zipped, once (documents/letter_layout.py)."""
        rendered = {name: self._render_part(part, context) for name, part in self.parts.items()}
        entries = self.entries
        if lay_out is not None:
            entries, rendered = lay_out(list(entries), rendered)
        return write_raw_members(entries, rendered)

    def _render_part(self, part: _Part, context: dict) -> bytes:
        try:
            xml = render_bounded(part.template, context)
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"模板 {self.path.name} 用到了没有提供的内容：{_jinja_message(exc)}",
                                hint="用 --set 字段=值 提供，或在模板中删除这个标签") from exc
        except TooLargeError as exc:
            raise TemplateError(f"模板 {self.path.name} 生成的{_part_label(part.name)}内容过大，已停止生成",
                                hint="请检查模板中的乘法、循环和重复的内容") from exc
        except SecurityError as exc:
            raise TemplateError(f"模板 {self.path.name} 含有不允许的操作（{exc}），出于安全原因拒绝生成",
                                hint="模板中只能使用字段、条件和循环；请检查模板是否被人改动") from exc
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError, ArithmeticError, LookupError,
                RecursionError) as exc:
            raise TemplateError(f"模板 {self.path.name} 生成时出错：{_jinja_message(exc)}",
                                hint=f"用 lzdocs template check \"{self.path}\" 检查模板") from exc
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        if any(ch in xml for ch in "\n\t\a\f"):
            xml = _docxtpl().resolve_listing(xml)
        data = xml.encode("utf-8")
        try:
            tree = etree.fromstring(data, _PARSER)
        except etree.XMLSyntaxError as exc:
            raise TemplateError(f"模板 {self.path.name} 生成的文档结构无效（{exc}），可能是标签放在了不合适的位置",
                                hint=f"用 lzdocs template check \"{self.path}\" 检查模板") from exc
        if part.fix_tables:
            tree = _docxtpl().fix_tables(xml)
        if part.fix_tables or b"docPr" in data:
            _renumber_docpr(tree)
            data = etree.tostring(tree, encoding="utf-8")
        return XML_DECLARATION + data


def _literal_delimiter(tree: nodes.Template, source: str) -> str | None:
    """The text around a {{, }}, {%, %}, {# or #} that the compiled template would print as it is, or None.

    The paragraph check (:mod:`lzdocs.documents.template_check`) reads each paragraph as Word shows it; what Jinja
    compiles is that XML after docxtpl's patching, which joins what it takes for a tag across runs and paragraphs.
    A delimiter the patched source still holds as literal text is a tag Jinja did not see: it would come out on the
    letter as “}}” or with the text between missing, so the template is refused when it is loaded, before any
    letter takes a 文号, rather than by looking at each rendered letter (whose values may hold braces)."""
    for node in tree.find_all(nodes.TemplateData):
        at = min((i for i in (node.data.find(d) for d in _DELIMITERS) if i >= 0), default=None)
        if at is not None:
            return _line_text(source, node.lineno + node.data.count("\n", 0, at)) or node.data[at:at + 20]
    return None


def _jinja_message(exc: Exception) -> str:
    text = str(getattr(exc, "message", None) or exc)
    m = re.match(r"'(.+)' is undefined", text)
    if m:
        return f"“{m.group(1)}”"
    m = re.match(r"No filter named '(.+)'", text)
    if m:
        return f"未知的过滤器“{m.group(1)}”"
    return text


def _part_label(name: str) -> str:
    """正文, 页眉, 页脚 … for word/document.xml, word/header2.xml, word/footer1.xml …"""
    return PART_LABELS[re.sub(r"\d+$", "", TEMPLATED_PART.match(name).group(1))]


def _renumber_docpr(tree) -> None:
    for n, elt in enumerate(tree.iter("{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"),
                            start=1001):
        elt.set("id", str(n))


@dataclass(frozen=True)
class _Prepared:
    """What loading a template works out from its bytes alone: the parts its fonts and language change (see
    :func:`_finished_entries`) and each templated part's XML patched as docxtpl does."""

    finished: dict[str, bytes]
    sources: dict[str, str]
    problems: list[TagProblem] = field(default_factory=list)  # the errors the paragraph check finds: refused
    cached: bool = False  # read from the cache, not worked out now


_PREPARED_FORMAT = 3  # bump when what _Prepared holds changes (the code that works it out is in the key already)
_PREPARED_KEPT = 64  # entries kept: each save of a template in Word gives it new bytes and a new entry
_PREPARED_MAX_BYTES = 4 * _MAX_TEMPLATE_BYTES


def _prepared(raw: list[RawMember], path: Path, data: bytes, cache_dir: Path | None, *,
              fresh: bool = False) -> _Prepared:
    """The template prepared, from ``cache_dir`` when this code prepared the same bytes before: a letter then needs
    neither docxtpl nor python-docx, a tenth of a second of imports on every command. An entry is named by the
    SHA-256 of the template and holds the digest of the code that prepared it (this module, the font table,
    docxtpl's patching) and of its own content; one that does not match — damaged, made by another version of
    lzdocs, not naming exactly the template's parts — is prepared again and rewritten (as is every entry with
    ``fresh``). What an entry holds is text a template could hold, rendered by the same sandbox.

    Preparing also checks each templated part paragraph by paragraph (the checks of ``lzdocs template check``)
    and keeps the errors: a tag left open or split in WPS can still compile — docxtpl's patching then drops the
    text up to the next tag, or Jinja prints the braces — and the letter would take a 文号 without its content.
    Kept in the entry, the check costs a letter nothing once the template is prepared."""
    from lzdocs.documents.template_check import check_paragraphs

    entry = Path(cache_dir) / f"{hashlib.sha256(data).hexdigest()}.json" if cache_dir is not None else None
    templated = sorted(e.name for e in raw if TEMPLATED_PART.match(e.name))
    if entry is not None and not fresh:
        found = _read_prepared(entry, {e.name for e in raw}, templated)
        if found is not None:
            return found
    done = _finished_entries(raw, path)
    finished = {f.name: f.inflate() for f, e in zip(done, raw, strict=True) if f is not e}
    tpl = _docxtpl()
    env = make_env()
    sources, problems = {}, []
    for e in done:
        if e.name in templated:
            root = _part_root(e, path)
            problems += [p for p in check_paragraphs(root, env, _part_label(e.name)) if p.severity == "error"]
            sources[e.name] = _patched_source(tpl, root)
    prepared = _Prepared(finished, sources, problems)
    if entry is not None:
        content = _prepared_content(prepared)
        record = {"code": _code_digest(), "digest": hashlib.sha256(content.encode("utf-8")).hexdigest(),
                  "template": path.name, "content": content}
        try:
            write_atomic(entry, json.dumps(record, ensure_ascii=False), durable=False)
            _prune(entry.parent)
        except OSError:  # a workspace we may not write: prepared again next time
            pass
    return prepared


def _prepared_content(prepared: _Prepared) -> str:
    finished = {name: base64.b64encode(data).decode("ascii") for name, data in sorted(prepared.finished.items())}
    return json.dumps({"finished": finished, "sources": dict(sorted(prepared.sources.items())),
                       "problems": [p.as_dict() for p in prepared.problems]}, ensure_ascii=False)


def _read_prepared(entry: Path, members: set[str], templated: list[str]) -> _Prepared | None:
    """The entry, if it is whole, of this code, and names exactly the template's parts; else None."""
    try:
        with open(entry, "rb") as fh:
            text = fh.read(_PREPARED_MAX_BYTES + 1)
        if len(text) > _PREPARED_MAX_BYTES:
            return None
        record = json.loads(text)
        content = record["content"]
        if record["code"] != _code_digest() or record["digest"] != hashlib.sha256(content.encode("utf-8")).hexdigest():
            return None
        found = json.loads(content)
        finished = {str(k): base64.b64decode(v, validate=True) for k, v in found["finished"].items()}
        sources = {str(k): v for k, v in found["sources"].items() if isinstance(v, str)}
        problems = [TagProblem(**{k: p[k] for k in ("severity", "message", "part", "paragraph", "text")})
                    for p in found["problems"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        return None
    if not set(finished) <= members or sorted(sources) != templated or not all(finished.values()):
        return None
    return _Prepared(finished, sources, problems, cached=True)


def _prune(folder: Path) -> None:
    """Keep the newest ``_PREPARED_KEPT`` entries (their times compared with one another, never with the clock);
    a temporary file a killed process left is among the oldest and goes too."""
    found = []
    for path in folder.iterdir():
        try:
            found.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    for _, path in sorted(found, reverse=True)[_PREPARED_KEPT:]:
        path.unlink(missing_ok=True)


@functools.cache
def _code_digest() -> str:
    """What a prepared template depends on besides its bytes: this module, the paragraph check, the font table and
    docxtpl's patching (its template.py, found without importing docxtpl; looking up its version costs more than the
    letter saves)."""
    from importlib.util import find_spec

    from lzdocs.documents import template_check
    from lzdocs.ooxml import fonttable

    digest = hashlib.sha256(f"{_PREPARED_FORMAT}".encode())
    spec = find_spec("docxtpl")
    patching = spec and spec.origin and Path(spec.origin).with_name("template.py")
    for module in (__file__, template_check.__file__, fonttable.__file__, patching):
        try:
            digest.update(Path(module).read_bytes() if module else b"-")
        except OSError:
            digest.update(b"-")
    return digest.hexdigest()


def _part_root(entry: RawMember, path: Path):
    try:
        return etree.fromstring(_inflate(entry, path), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise TemplateError(f"模板 {path.name} 已损坏（{entry.name} 不是有效的 XML）",
                            hint="请用 Word/WPS 打开后另存为 .docx") from exc


def _patched_source(tpl, root) -> str:
    xml = tpl.patch_xml(etree.tostring(root, encoding="unicode"))
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)


# ---- the zip package --------------------------------------------------------------------------------------

def load_template(path: Path, *, cache_dir: Path | None = None) -> DocxTemplateFile:
    """The template at ``path`` (default environment), loaded once per process for the same bytes: a watcher, the
    status page or a run of commands in one process renders the same templates again and again; a template edited
    in between has other bytes and is loaded anew. ``cache_dir``: where templates prepared by earlier commands
    are kept (see :func:`_prepared`)."""
    path = Path(path)
    data = _read_template(path)
    key = hashlib.sha256(data).digest()
    template = _LOADED.pop(key, None) or DocxTemplateFile(path, data=data, cache_dir=cache_dir)
    _LOADED[key] = template  # the most recently used last
    while len(_LOADED) > _LOADED_MAX:
        del _LOADED[next(iter(_LOADED))]
    if template.path != path:  # the same bytes in another workspace: its own path in messages
        template = copy.copy(template)
        template.path = path
    return template


_LOADED: dict[bytes, DocxTemplateFile] = {}
_LOADED_MAX = 32  # templates kept per process (the packaged ones are 9, 30–60 KB each)


def _read_template(path: Path) -> bytes:
    """The template's bytes, never more than the limit read (one byte over tells it is too large)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_TEMPLATE_BYTES + 1)
    except FileNotFoundError as exc:
        raise TemplateError(f"找不到模板 {path}") from exc
    except OSError as exc:
        raise TemplateError(f"模板 {path.name} 已损坏或不是 .docx 文件", hint="请用 Word/WPS 另存为 .docx") from exc
    if len(data) > _MAX_TEMPLATE_BYTES:
        raise TemplateError(f"模板 {path.name} 过大（超过 20 MB）", hint="请删除模板中的大图片")
    return data


def _read_entries(path: Path, data: bytes | None = None) -> list[RawMember]:
    """Every member of the .docx (``data``, else read from ``path``) with its compressed bytes; limits checked
    before inflating."""
    data = _read_template(path) if data is None else data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf, io.BytesIO(data) as fh:
            infos = zf.infolist()
            if "word/document.xml" not in {i.filename for i in infos}:
                raise TemplateError(f"{path.name} 不是 Word 文档（.docx）", hint="请用 Word/WPS 另存为 .docx 格式")
            if len(infos) > 2000 or sum(i.file_size for i in infos) > 10 * _MAX_TEMPLATE_BYTES:
                raise TemplateError(f"模板 {path.name} 内部条目异常", hint="请用 Word/WPS 重新另存")
            return [_raw_entry(fh, info) for info in infos]
    except FileNotFoundError as exc:
        raise TemplateError(f"找不到模板 {path}") from exc
    except (zipfile.BadZipFile, OSError, struct.error) as exc:
        raise TemplateError(f"模板 {path.name} 已损坏或不是 .docx 文件", hint="请用 Word/WPS 另存为 .docx") from exc


def _finished_entries(entries: list[RawMember], path: Path) -> list[RawMember]:
    """The template's members with its language made Chinese and its font table listing the fonts it uses
    (see :mod:`lzdocs.ooxml.fonttable`), worked out once for every document rendered from it."""
    wanted = {e.name: _inflate(e, path) for e in entries
              if FONT_PARTS.match(e.name) or THEME_PART.match(e.name) or e.name in (SETTINGS, FONT_TABLE)}
    try:
        changed = finished_parts(wanted)
    except etree.XMLSyntaxError:
        return entries  # a part Word would refuse as well: the template check and rendering say so
    return [e.with_content(changed[e.name]) if e.name in changed else e for e in entries]


def _raw_entry(fh, info: zipfile.ZipInfo) -> RawMember:
    if info.flag_bits & 0x1:
        raise TemplateError(f"模板 {Path(fh.name).name} 设置了密码，无法使用", hint="请在 Word 中取消密码后另存")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise TemplateError(f"模板 {Path(fh.name).name} 使用了不支持的压缩方式", hint="请用 Word/WPS 另存为 .docx")
    return read_raw_member(fh, info)


def _inflate(entry: RawMember, path: Path) -> bytes:
    if entry.file_size > _MAX_TEMPLATE_BYTES:
        raise TemplateError(f"模板 {path.name} 的 {entry.name} 过大", hint="请删除模板中的多余内容")
    data = entry.inflate()
    if zlib.crc32(data) != entry.crc:
        raise TemplateError(f"模板 {path.name} 已损坏（{entry.name} 校验失败）", hint="请用 Word/WPS 另存为 .docx")
    return data


# ---- checking a template -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TagProblem:
    """One problem with a template tag, located as the clerk sees it: the part and the paragraph."""

    severity: str  # "error" | "warning"
    message: str
    part: str = "正文"
    paragraph: int | None = None
    text: str = ""

    def describe(self) -> str:
        where = f"{self.part}第{self.paragraph}段" if self.paragraph else self.part
        snippet = self.text if len(self.text) <= 40 else self.text[:38] + "…"
        return f"{where}{'（“' + snippet + '”）' if snippet else ''}：{self.message}"

    def as_dict(self) -> dict:
        return {"severity": self.severity, "part": self.part, "paragraph": self.paragraph, "text": self.text,
                "message": self.message}


@dataclass
class TemplateReport:
    path: Path
    variables: list[str] = field(default_factory=list)
    problems: list[TagProblem] = field(default_factory=list)

    @property
    def errors(self) -> list[TagProblem]:
        return [p for p in self.problems if p.severity == "error"]

    def as_dict(self) -> dict:
        return {"file": str(self.path), "variables": self.variables, "problems": [p.as_dict() for p in self.problems]}


def check_template(path: Path, known: set[str] | None = None) -> TemplateReport:
    """Variables and tag problems of a .docx template, paragraph by paragraph, in Chinese.

    Finds tags left open or closed twice, tags split over runs of different formatting, malformed
    expressions, unknown filters, unbalanced for/if blocks; with ``known`` also variables lzdocs does not fill.
    """
    from lzdocs.documents.template_check import check_paragraphs

    path = Path(path)
    report = TemplateReport(path)
    env = make_env()
    tpl = _docxtpl()
    variables: set[str] = set()
    for entry in _read_entries(path):
        m = TEMPLATED_PART.match(entry.name)
        if not m:
            continue
        label = _part_label(entry.name)
        root = _part_root(entry, path)
        found = check_paragraphs(root, env, label)
        report.problems.extend(found)
        if any(p.severity == "error" for p in found):
            continue
        source = _patched_source(tpl, root)
        try:
            tree = env.parse(source)
            variables |= meta.find_undeclared_variables(tree)
            leftover = _literal_delimiter(tree, source)
            env.from_string(tree)
        except jinja2.TemplateError as exc:
            report.problems.append(TagProblem("error", _jinja_message(exc), label, None,
                                              _line_text(source, getattr(exc, "lineno", None))))
            continue
        if leftover is not None:
            report.problems.append(TagProblem("error", _LITERAL_MESSAGE, label, None, leftover))
    report.variables = sorted(variables)
    if known is not None:
        for name in report.variables:
            if name not in known:
                report.problems.append(TagProblem(
                    "warning", f"变量“{name}”不是 lzdocs 提供的字段，生成时须用 --set {name}=… 提供，否则会报错"))
    return report


def _line_text(source: str, lineno: int | None) -> str:
    lines = source.splitlines()
    if not lineno or lineno > len(lines):
        return ""
    return re.sub(r"<[^>]+>", "", lines[lineno - 1]).strip()
