"""Red-header notices (lzdocs notice): the 公文 of GB/T 9704 with a 文号, body, attachments and 版记."""

from __future__ import annotations

import datetime as dt
import re
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn

from lzdocs import interrupts
from lzdocs.documents import gbt9704 as gb
from lzdocs.documents.kinds import NOTICE_KINDS as KINDS
from lzdocs.documents.kinds import UPWARD
from lzdocs.documents.markdown_body import Block, drop_repeats, parse_body, render_blocks, split_enclosure
from lzdocs.documents.numbering import DocumentNumber, IssuedDocument, finish_leftovers, issue_document
from lzdocs.documents.pages import count_pages, stated_pages
from lzdocs.documents.titles import TitleBreaker
from lzdocs.errors import ConfigError, FieldError, RejectedFile
from lzdocs.forms.schema import FormKind, load_kinds
from lzdocs.fsutil import scratch_folder
from lzdocs.ooxml.fonts import HEITI, add_text
from lzdocs.ooxml.fonttable import save_document
from lzdocs.ooxml.safety import Limits, sniff
from lzdocs.ooxml.wordml import PPR_ORDER, RPR_ORDER, SECT_ORDER, set_child, tidy_package
from lzdocs.textutil import (
    chinese_date,
    decode_text,
    parse_date,
    safe_filename,
    squeeze,
    strip_illegal_xml,
)

if TYPE_CHECKING:
    from lzdocs.settings import Settings
    from lzdocs.store import Store
    from lzdocs.workspace import Workspace

DEFAULT_TO = "各部门、各单位"
FORM = "form"


@dataclass(frozen=True)
class Attachment:
    """One 附件: a .docx appended as it is, or the blank form of a form kind."""

    name: str
    path: Path | None = None
    form: FormKind | None = None


@dataclass(frozen=True)
class Notice:
    """Everything printed on a notice except its 文号."""

    title: str
    body: tuple[Block, ...]
    issuer: str
    code: str
    date: dt.date
    printer: str
    kind: str = "通知"
    to: str = DEFAULT_TO
    signer: str = ""
    attachments: tuple[Attachment, ...] = ()
    cc: str = ""
    style: str = "2012"
    keywords: str = ""
    title_lines: tuple[str, ...] = ()  # the lines the user broke the title into (--title with a line break)
    notes: tuple[str, ...] = ()  # what preparing changed in the body, said to the user as 提醒

    @property
    def mark(self) -> str:
        """发文机关标志: the issuer and 文件 (a 函 carries the issuer's name alone)."""
        return self.issuer if self.kind == "函" else f"{self.issuer}文件"


@dataclass
class IssuedNotice:
    number: DocumentNumber
    path: Path
    files: list[Path]
    warnings: list[str] = field(default_factory=list)
    registers: Any = None  # the registers rewritten after it (``lzdocs.office.Rebuilt``), when an Office issued it


# --- preparing: arguments and settings → Notice ----------------------------------------------------

def resolve_issuer(settings: Settings, issuer: str | None) -> tuple[str, str]:
    """The 发文机关 and its 机关代字 from ``[issuers]`` in lzdocs.toml; the first entry by default."""
    table = {str(k): str(v) for k, v in settings.section("issuers").items() if v}
    if not table:
        name = issuer or settings.get("organisation", "issuer", "")
        raise ConfigError(f"lzdocs.toml 中没有 [issuers]（发文机关 → 机关代字），无法为“{name or '公文'}”编文号",
                          hint=f'请在 lzdocs.toml 中添加：\n[issuers]\n"{name or "发文机关全称"}" = "机关代字"')
    if not issuer:
        return next(iter(table.items()))
    for name, code in table.items():
        if squeeze(issuer) in (squeeze(name), squeeze(code)):
            return name, code
    raise FieldError(f"发文机关“{issuer}”不在 lzdocs.toml 的 [issuers] 中",
                     hint=f"可用：{'、'.join(table)}；或在 [issuers] 中添加一行 \"{issuer}\" = \"机关代字\"")


def resolve_printer(settings: Settings, issuer: str, code: str) -> str:
    """印发机关 of the 版记 for an issuer: ``[printers]`` (by name or 机关代字), else ``[notice] printer``, else the
    ``[organisation] office`` when the issuer is ``[organisation] issuer``, else the issuer's own 办公室.

    GB/T 9704-2012 §7.4.3: the 印发机关 is the office that sends the document to print, usually the issuing
    organ's 办公厅（室） — a Party committee's file is printed by its office, not by the 纪委办公室.
    """
    for key, value in settings.section("printers").items():
        if value and squeeze(str(key)) in (squeeze(issuer), squeeze(code)):
            return str(value)
    if settings.get("notice", "printer", ""):
        return str(settings.get("notice", "printer"))
    office = settings.get("organisation", "office", "")
    if office and squeeze(settings.get("organisation", "issuer", "")) == squeeze(issuer):
        return str(office)
    return f"{issuer}办公室"


def read_body(path: Path) -> tuple[Block, ...]:
    """The body file: Markdown (.md) or plain text (.txt, one paragraph per line), UTF-8 or GBK."""
    if not path.is_file():
        raise FieldError(f"找不到正文文件“{path}”", hint="--body 后写正文的 .txt 或 .md 文件路径")
    if path.suffix.lower() in (".docx", ".doc", ".wps", ".pdf"):
        raise FieldError(f"正文文件“{path.name}”不是纯文本",
                         hint="请在 WPS/Word 中另存为“纯文本 (.txt)”，或写成 .md 文件")
    data = path.read_bytes()
    text = decode_text(data)
    if text is None and b"\x00" not in data:
        raise FieldError(f"正文文件“{path.name}”无法按 UTF-8 或 GBK 读取", hint="请用记事本另存为 UTF-8 编码")
    if text is None or _looks_binary(text):
        raise FieldError(f"正文文件“{path.name}”不是文本文件（像是图片、压缩包或 Word 文档）",
                         hint="请在 WPS/Word 中另存为“纯文本 (.txt)”，或写成 .md 文件")
    blocks = parse_body(text, markdown=path.suffix.lower() in (".md", ".markdown"))
    if not any(b.kind != "break" for b in blocks):
        raise FieldError(f"正文文件“{path.name}”是空的", hint="请写入通知正文")
    return tuple(blocks)


def _looks_binary(text: str) -> bool:
    """NULs or more than 1 % control characters: bytes that decoded, but are not anybody's text."""
    controls = sum(1 for c in text if c < " " and c not in "\t\n\r\f")
    return "\x00" in text or controls > max(2, len(text) // 100)


def resolve_attachment(spec: str, *, forms_dir: Path | None = None, limits: Limits | None = None) -> Attachment:
    """``form`` (or ``form:KIND``) → the blank form; anything else must be a .docx file."""
    key = spec.strip()
    if key == FORM or key.startswith(FORM + ":"):
        wanted = key.partition(":")[2] or "risk"
        kinds = {k.key: k for k in load_kinds(forms_dir)}
        if wanted not in kinds:
            raise FieldError(f"没有表格种类“{wanted}”", hint=f"可用：{'、'.join(f'form:{k}' for k in kinds)}")
        return Attachment(kinds[wanted].title, form=kinds[wanted])
    path = Path(key)
    if not path.is_file():
        raise FieldError(f"找不到附件“{spec}”",
                         hint="--attachment 后写 .docx 文件路径，或写 form 附上空白《岗位风险分析和防控措施表》")
    try:
        real = sniff(path, limits or Limits())
    except RejectedFile as exc:
        raise FieldError(f"附件“{path.name}”无法使用：{exc.problems[0].message.split('；')[0]}",
                         hint="附件须为 .docx 文档；请用 WPS/Word 打开后另存为 .docx 再附上") from exc
    if real != "docx":
        raise FieldError(f"附件“{path.name}”不是 .docx 文档", hint="请用 WPS/Word 另存为 .docx 后再附上")
    _open_attachment(path)
    name = re.sub(r"^附件\s*\d*\s*[:：\-_、.．\s]*", "", path.stem).strip() or path.stem
    return Attachment(name, path=path)


def _open_attachment(path: Path):
    """The attachment as a python-docx Document, or a FieldError that says what to do."""
    try:
        return Document(str(path))
    except Exception as exc:  # python-docx raises ValueError, KeyError, XMLSyntaxError … on odd packages
        raise FieldError(f"附件“{path.name}”无法打开（{type(exc).__name__}）",
                         hint="请用 WPS/Word 打开后另存为 .docx（不含宏）再附上") from exc


def prepare_notice(ws: Workspace, *, title: str, body: Path | tuple[Block, ...], kind: str = "通知",
                   issuer: str | None = None, to: str | None = None, signer: str | None = None,
                   attachments: tuple[str, ...] = (), cc: str | None = None, style: str | None = None,
                   keywords: str | None = None, date: dt.date | None = None, today: dt.date,
                   printer: str | None = None) -> Notice:
    """Check the arguments of ``lzdocs notice`` against the workspace settings; raise FieldError in Chinese."""
    settings = ws.settings
    title_lines = clean_title_lines(title)
    title = join_title(title_lines)
    if not title:
        raise FieldError("标题不能为空", hint="用 --title 写公文标题，例如：关于开展廉政风险点排查工作的通知")
    if kind not in KINDS:
        raise FieldError(f"不支持的文种“{kind}”", hint=f"可用：{'、'.join(KINDS)}")
    style = str(style or settings.get("notice", "style", "2012"))
    if style not in gb.STYLES:
        raise FieldError(f"不支持的格式“{style}”", hint="--style 2012（GB/T 9704-2012）或 1999（GB/T 9704-1999）")
    name, code = resolve_issuer(settings, issuer)
    signer = _clean(signer or "")
    if kind in UPWARD and not signer:
        raise FieldError(f"上行文（{kind}）须标注签发人", hint="用 --signer 写签发人姓名")
    if kind in UPWARD and not _clean(to or ""):
        raise FieldError(f"上行文（{kind}）须写明主送机关", hint="用 --to 写主送机关，如：自治区高校工委")
    blocks = read_body(body) if isinstance(body, Path) else tuple(body)
    limits = Limits.from_settings(settings)
    found = tuple(resolve_attachment(a, forms_dir=ws.root / "forms", limits=limits) for a in attachments)
    default_to = "" if kind in UPWARD else settings.get("notice", "to", DEFAULT_TO)
    to = _clean(to if to is not None else default_to)
    blocks, notes = _without_repeats(blocks, to=to, issuer=name, attachments=bool(found), date=date or today)
    return Notice(
        title=title, body=blocks, issuer=name, code=code, date=date or today,
        printer=_clean(printer or resolve_printer(settings, name, code)),
        kind=kind, to=to, signer=signer, attachments=found,
        cc=_clean(cc if cc is not None else settings.get("notice", "cc", "")), style=style,
        keywords=_clean(keywords or (kind if style == "1999" else "")),
        title_lines=title_lines if len(title_lines) > 1 else (), notes=notes)


def _without_repeats(blocks: tuple[Block, ...], *, to: str, issuer: str, attachments: bool,
                     date: dt.date) -> tuple[tuple[Block, ...], tuple[str, ...]]:
    """The body without the 主送, 附件说明, 署名 and date that lzdocs prints itself, and what was said about it."""
    cut = next((i for i, b in enumerate(blocks) if b.kind == "break"), len(blocks))
    own, found = drop_repeats(list(blocks[:cut]), to=to, issuer=issuer, attachments=attachments)
    notes = []
    if found.addressee:
        notes.append(f"正文第一行“{found.addressee[0]}”与主送机关相同，已删去（主送机关排在标题下）")
    elif own and to and re.fullmatch(r"[^，。；！？,.;!?]{2,40}[:：]", own[0].text.strip()):
        notes.append(f"正文第一行“{own[0].text.strip()}”像是主送机关，与主送“{to}：”不同，已保留；"
                     "如不需要，请从正文中删去，或用 --to 写主送机关")
    if found.attachments:
        notes.append(f"正文末尾的附件说明“{'　'.join(found.attachments)}”已删去（附件说明按 --attachment 排出）")
    if found.signature:
        said = "　".join(found.signature)
        written = parse_date(found.signature[-1], whole=True)
        other = f"；成文日期用的是{chinese_date(date)}，可用 --date 指定" if written not in (None, date) else ""
        notes.append(f"正文末尾的署名和日期“{said}”已删去（署名和成文日期由 lzdocs 排出{other}）")
    return (*own, *blocks[cut:]), tuple(notes)


def _clean(text) -> str:
    return " ".join(strip_illegal_xml(str(text or ""))[0].split())


def clean_title_lines(title: str) -> tuple[str, ...]:
    """The title's lines as the user typed them, each without stray spaces (kept only between Latin words)."""
    text = strip_illegal_xml(str(title or ""))[0]
    # A typed \n counts too: cmd.exe has no way to put a real line break in an argument.
    lines = (_tidy_spaces(line) for line in re.split(r"\r\n|[\n\r\u2028\u2029\v\f]|\\n", text))
    return tuple(line for line in lines if line)


def join_title(lines: tuple[str, ...] | list[str]) -> str:
    """The title on one line (the register, the file name): lines joined, a space only between Latin words."""
    return _tidy_spaces(" ".join(lines))


def _tidy_spaces(text: str) -> str:
    pieces = text.split()
    joined = pieces[:1]
    for piece in pieces[1:]:
        latin = joined[-1][-1].isascii() and joined[-1][-1].isalnum() and piece[0].isascii() and piece[0].isalnum()
        joined.append((" " if latin else "") + piece)
    return "".join(joined)


def short_title(title: str, kind: str = "通知") -> str:
    """The title as a file name: without 关于, the 文种 and the book-title marks, at most 30 characters."""
    text = re.sub(r"^关于", "", title.strip())
    text = re.sub(rf"的?{kind}$", "", text)
    text = text.replace("《", "").replace("》", "")
    return safe_filename(text[:30], fallback=kind)


# --- rendering ------------------------------------------------------------------------------------

def render_notice(notice: Notice, number: str, path: Path, page: gb.Page = gb.PAGE, *,
                  titles: TitleBreaker | None = None) -> None:
    """Write the whole notice to ``path``: 版头, 主体 (with any 印发件 and 附件) and 版记.

    ``titles`` breaks titles into lines (names kept whole, jieba's cache); by default the issuer stays whole."""
    titles = titles or TitleBreaker(names=(notice.issuer,))
    doc = gb.new_document(page)
    upward = notice.kind in UPWARD
    top = 35 if notice.style == "2012" else (80 if upward else 25)
    gb.add_masthead(doc, notice.mark, page, top_mm=top)
    gb.add_number_line(doc, number, page, signer=notice.signer or None)
    gb.add_title(doc, titles("\n".join(notice.title_lines) or notice.title), page)
    if notice.to:
        gb.add_addressee(doc, notice.to, page)
    own, enclosure = split_enclosure(list(notice.body))
    paragraphs = render_blocks(doc, own, page, titles=titles)
    if paragraphs:
        paragraphs[-1].paragraph_format.keep_with_next = True
    if notice.attachments:
        gb.add_attachment_note(doc, [a.name for a in notice.attachments], page)
    gb.add_signature(doc, notice.issuer, chinese_date(notice.date, numerals=notice.style == "1999"), page)
    if enclosure:
        render_blocks(doc, enclosure, page, new_page_first=True, titles=titles)
    stated = _append_attachments(doc, notice.attachments, page, titles)
    before = pages_before_colophon(doc, stated, page)
    gb.add_colophon(doc, gb.Colophon(printer=notice.printer, printed=notice.date, cc=notice.cc,
                                     keywords=notice.keywords if notice.style == "1999" else ""), page,
                    blank_page=before % 2 == 0)
    tidy_package(doc, title=notice.title, author=notice.issuer, subject=number, keywords=notice.keywords)
    save_document(doc, path)


def pages_before_colophon(doc, stated: list[tuple[int, int | None]], page: gb.Page = gb.PAGE) -> int:
    """Pages of everything before the 版记: the notice's own sections counted line by line; an attachment whose
    page count Word or WPS saved (``stated``: its sections and that count, per attachment) counts as saved."""
    counts = count_pages(doc.element.body, spacing=page.condense)
    total, at = counts[0], 1
    for sections, pages in stated:
        estimated = sum(counts[at:at + sections])
        total += pages if pages else estimated
        at += sections
    return total + sum(counts[at:])


def _append_attachments(doc, attachments: tuple[Attachment, ...], page: gb.Page,
                        titles: TitleBreaker) -> list[tuple[int, int | None]]:
    """Each 附件 in a section of its own (its page size and margins), headed 附件 / 附件1, after the body; returns
    each attachment's number of sections and the page count its word processor saved (None if unknown)."""
    if not attachments:
        return []
    from docxcompose.composer import Composer

    composer = Composer(doc)
    stated = []
    with scratch_folder("lzdocs-notice-") as tmp:
        for i, att in enumerate(attachments, 1):
            file = _attachment_file(att, Path(tmp) / f"{i}.docx")
            source = _open_attachment(file)
            stated.append((1 + len(source.element.body.findall(f"{qn('w:p')}/{qn('w:pPr')}/{qn('w:sectPr')}")),
                           stated_pages(file)))
            sect = gb.close_section(doc)
            _copy_geometry(source.sections[-1]._sectPr, sect, page)
            head = doc.add_paragraph()
            gb.format_paragraph(head, page, align="left", keep_next=True)
            add_text(head, "附件" + (str(i) if len(attachments) > 1 else ""), HEITI)
            if not _starts_with(source, att.name):
                gb.add_title(doc, titles(att.name), page, before_lines=1)
            pin_defaults(source)
            composer.append(source)
    return stated


def _attachment_file(att: Attachment, scratch: Path) -> Path:
    if att.path is not None:
        return att.path
    from lzdocs.documents.blankform import write_docx

    return write_docx(att.form, scratch)


def _copy_geometry(source_sect, sect, page: gb.Page) -> None:
    """Page size, margins, columns and grid of an attachment; the page-number footers stay inherited."""
    for tag in ("pgSz", "pgMar", "cols", "docGrid"):
        theirs = source_sect.find(qn(f"w:{tag}"))
        ours = sect.find(qn(f"w:{tag}"))
        if theirs is None:
            continue
        new = deepcopy(theirs)
        if ours is not None:
            sect.replace(ours, new)
        else:
            set_child(sect, tag, SECT_ORDER)
            sect.replace(sect.find(qn(f"w:{tag}")), new)
    margin = sect.find(qn("w:pgMar"))
    if margin is not None:
        bottom = int(margin.get(qn("w:bottom"), gb.mm(page.bottom_mm)))
        margin.set(qn("w:footer"), str(max(gb.mm(5), min(gb.mm(page.footer_mm), bottom - gb.mm(10)))))


def _starts_with(source, name: str) -> bool:
    for p in source.paragraphs[:3]:
        if p.text.strip():
            return squeeze(name) in squeeze(p.text)
    return False


def pin_defaults(source) -> None:
    """Write an attachment's own default size, fonts and spacing onto its paragraphs and runs.

    Appended paragraphs take the notice's Normal style (3号仿宋, exact 28.95 pt); pinning what the
    attachment's defaults said keeps its tables and text looking as they did.
    """
    styles = source.styles.element
    normal = source.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    normal_id = normal.style_id if normal is not None else "Normal"

    def merged(*paths: str) -> dict:
        found: dict = {}
        for p in paths:
            for el in styles.xpath(p):
                found.update(el.attrib)
        return found

    normal_xpath = f"w:style[@w:styleId='{normal_id}']"
    spacing = merged("w:docDefaults/w:pPrDefault/w:pPr/w:spacing", f"{normal_xpath}/w:pPr/w:spacing")
    fonts = merged("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts", f"{normal_xpath}/w:rPr/w:rFonts")
    size = merged("w:docDefaults/w:rPrDefault/w:rPr/w:sz", f"{normal_xpath}/w:rPr/w:sz").get(qn("w:val"), "20")
    spacing = spacing or {qn("w:after"): "0", qn("w:line"): "240", qn("w:lineRule"): "auto"}
    for p in source.element.body.iter(qn("w:p")):
        ppr = p.get_or_add_pPr()
        style = ppr.find(qn("w:pStyle"))
        if style is not None and style.get(qn("w:val")) != normal_id:
            continue
        if ppr.find(qn("w:spacing")) is None:
            set_child(ppr, "spacing", PPR_ORDER).attrib.update(spacing)
        if ppr.find(qn("w:snapToGrid")) is None:
            set_child(ppr, "snapToGrid", PPR_ORDER, val=0)
        mark = set_child(ppr, "rPr", PPR_ORDER)
        if mark.find(qn("w:sz")) is None:
            set_child(mark, "sz", RPR_ORDER, val=size)
        for r in p.iter(qn("w:r")):
            rpr = r.get_or_add_rPr()
            if rpr.find(qn("w:rStyle")) is not None:
                continue
            if rpr.find(qn("w:sz")) is None:
                set_child(rpr, "sz", RPR_ORDER, val=size)
            rfonts = set_child(rpr, "rFonts", RPR_ORDER)
            for key, value in fonts.items():
                if rfonts.get(key) is None:
                    rfonts.set(key, value)


# --- issuing ----------------------------------------------------------------------------------------

def title_breaker(ws: Workspace, notice: Notice) -> TitleBreaker:
    """Titles broken between words, the school and the issuers kept whole; jieba's cache in ``.lzdocs/``."""
    names = (ws.settings.school, notice.issuer, *(str(k) for k in ws.settings.section("issuers")))
    return TitleBreaker(names=tuple(n for n in names if n), cache_dir=ws.state / "cache")


def issue_notice(ws: Workspace, store: Store, notice: Notice, *, pdf: bool = False, timeout: float | None = None,
                 draft: bool = False, number: DocumentNumber | None = None) -> IssuedNotice:
    """Number, render and record the notice (发文登记簿, kind "notice"); optionally a PDF beside it."""
    folder = ws.year_dir(notice.date.year) / notice.kind
    if not draft:  # notices a killed run (or a commit whose answer was lost) recorded but did not put in place
        finish_leftovers(store, folder, ws.root)
    issued: IssuedDocument = issue_document(
        store, kind="notice", code=notice.code, year=notice.date.year, title=notice.title, recipient=notice.to,
        issued=notice.date, folder=folder, stem=lambda n: f"{n}-{short_title(notice.title, notice.kind)}",
        render=lambda n, path: render_notice(notice, str(n), path, titles=title_breaker(ws, notice)),
        note=notice.kind, workspace_root=ws.root, draft=draft, assigned=number)
    result = IssuedNotice(issued.number, issued.path, [issued.path], warnings=[*notice.notes, *issued.warnings])
    if pdf:
        from lzdocs.documents.pdf import SKIPPED, PdfError, font_warnings, to_pdf
        from lzdocs.integrity.manifest import record_written

        try:
            interrupts.stop_waiting()  # Ctrl-C since it was numbered: no PDF started, none waited for
            limit = timeout or float(ws.settings.get("letters", "pdf_timeout", 120))
            made = to_pdf(issued.path, issued.path.parent, limit)
            with interrupts.deferred():  # a PDF put in place is recorded
                result.files.append(made)
                record_written(store, ws.relative, [(made, "pdf")], document_id=issued.document_id)
            result.warnings += font_warnings(issued.path, made)
        except PdfError as exc:
            result.warnings.append(SKIPPED if interrupts.pressed() else f"PDF 没有生成：{exc}")
        except KeyboardInterrupt:
            if not interrupts.pressed():  # no command line: as Python's
                raise
            result.warnings.append(SKIPPED)
    return result
