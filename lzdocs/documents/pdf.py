"""PDF export through LibreOffice (soffice): own profile, timeout, free faces for missing fonts and a report on them."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lzdocs.errors import LzdocsError
from lzdocs.fsutil import place_new, scratch_folder
from lzdocs.ooxml.fonttable import KNOWN, text_fonts
from lzdocs.soffice import (
    SofficeFailed,
    SofficeTimeout,
    convert_to,
    find_soffice,
    font_substitution,
    installed_families,
    substitutes,
)

DEFAULT_TIMEOUT = 120
NOT_FOUND = "未找到 LibreOffice（soffice），没有生成 PDF；请安装 LibreOffice，或用 WPS/Word 打开文档后另存为 PDF"
SKIPPED = "已中断，没有生成 PDF：可用 WPS/Word 打开文书后另存为 PDF"  # Ctrl-C after the document was saved

class PdfError(LzdocsError):
    """LibreOffice is missing, failed or timed out while converting to PDF."""


def to_pdf(docx: Path, outdir: Path, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Convert one document; the PDF lands in ``outdir`` next to nothing it could overwrite. Returns its path."""
    return to_pdf_many([docx], outdir, timeout)[0]


def to_pdf_many(documents: list[Path], outdir: Path, timeout: float = DEFAULT_TIMEOUT,
                stems: list[str] | None = None) -> list[Path]:
    """Convert several documents in one LibreOffice run (much faster than one run each).

    Each run gets its own throw-away profile, so two conversions never collide; the PDFs are made in a
    temporary folder and then placed in ``outdir`` under the document's name (``stems``: other names, one per
    document), or ``_01`` … when that is taken — never over a file, even one put there meanwhile
    (``fsutil.place_new``).
    """
    soffice = find_soffice()
    if soffice is None:
        raise PdfError(NOT_FOUND)
    documents = [Path(d).resolve() for d in documents]
    stems = stems or [d.stem for d in documents]
    if len({d.stem for d in documents}) < len(documents):  # soffice names its output after the input's stem
        return [to_pdf_many([d], outdir, timeout, [stem])[0] for d, stem in zip(documents, stems)]
    outdir.mkdir(parents=True, exist_ok=True)
    with scratch_folder("lzdocs-pdf-") as tmp:
        profile, made = Path(tmp) / "profile", Path(tmp) / "out"
        try:
            convert_to(soffice, documents, "pdf", made, profile, timeout, env=font_substitution(Path(tmp)))
        except SofficeTimeout:
            raise PdfError(f"LibreOffice 转换 PDF 超过 {timeout:g} 秒仍未完成，已停止",
                           hint="文档可能有问题，或电脑较忙；可稍后重试，或用 WPS/Word 另存为 PDF") from None
        except SofficeFailed as exc:
            code = f"（退出码 {exc.returncode}）" if exc.returncode is not None else ""
            detail = str(exc)
            raise PdfError(f"LibreOffice 转换 PDF 失败{code}{('：' + detail) if detail else ''}",
                           hint="请检查 LibreOffice 是否安装完整，或用 WPS/Word 打开文档后另存为 PDF") from None
        results = []
        for doc, stem in zip(documents, stems):
            pdf = made / f"{doc.stem}.pdf"
            if not pdf.is_file():
                raise PdfError(f"LibreOffice 没能把 {doc.name} 转换为 PDF", hint="请用 WPS/Word 打开该文档后另存为 PDF")
            results.append(place_new(outdir, stem, ".pdf", lambda partial, pdf=pdf: shutil.copyfile(pdf, partial)))
        return results


# --- which document fonts LibreOffice replaced ------------------------------------------------------------
# Metric-compatible twins: the layout stays the same, so drawing with them is no replacement worth a warning.
METRIC_TWINS = {"Times New Roman": "LiberationSerif", "Arial": "LiberationSans", "Courier New": "LiberationMono",
                "Calibri": "Carlito", "Cambria": "Caladea"}
INSTALL_HINT = ("请安装{fonts}字体后重新生成 PDF（Windows：右键字体文件，选“为所有用户安装”；Linux：把字体文件"
                "复制到 ~/.local/share/fonts 后运行 fc-cache -f）；.docx 文件本身不受影响，在装有这些字体的电脑上"
                "用 WPS/Word 打开即正常")
_CJK = re.compile(r"<([0-9A-Fa-f]{4})>")


@dataclass(frozen=True)
class EmbeddedFont:
    """A font in the PDF: its PostScript name without the subset tag, and whether it draws Chinese."""

    name: str
    chinese: bool

    @property
    def label(self) -> str:
        """A name a clerk can look up: Noto CJK's shared CFF is named after its Japanese face whichever face was
        used (NotoSerifCJKjp-Regular-VKana), so it is shown as Noto Serif CJK."""
        m = re.match(r"Noto(Sans|Serif)CJK", self.name)
        return f"Noto {m.group(1)} CJK" if m else self.name.split("-")[0]


def embedded_fonts(pdf: Path) -> list[EmbeddedFont]:
    """The fonts embedded in ``pdf`` (pikepdf), each once."""
    import pikepdf

    found: dict[str, EmbeddedFont] = {}
    with pikepdf.open(pdf) as doc:
        for page in doc.pages:
            fonts = page.obj.get("/Resources", {}).get("/Font", {})
            for font in fonts.values():
                base = font.get("/DescendantFonts", [font])[0].get("/BaseFont", font.get("/BaseFont"))
                name = str(base or "").lstrip("/").split("+", 1)[-1]
                mapping = font.get("/ToUnicode")
                codes = _CJK.findall(mapping.read_bytes().decode("latin-1")) if mapping is not None else []
                chinese = any(0x2E80 <= int(c, 16) <= 0x9FFF or 0xF900 <= int(c, 16) <= 0xFFEF for c in codes)
                if name:
                    found[name] = EmbeddedFont(name, chinese or found.get(name, EmbeddedFont(name, False)).chinese)
    return list(found.values())


def postscript_names(font: str, run=subprocess.run) -> set[str]:
    """The names a PDF embeds ``font`` under: known ones, its name without spaces, and fontconfig's."""
    names = set(KNOWN[font].ps) if font in KNOWN else set()
    if font.isascii():
        names.add(font.replace(" ", ""))
    if font in METRIC_TWINS:
        names.add(METRIC_TWINS[font])
    if shutil.which("fc-list"):
        try:
            out = run(["fc-list", f":family={font}", "postscriptname"], capture_output=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            out = b""
        names |= {m for m in re.findall(r"postscriptname=(\S+)", out.decode("utf-8", "replace"))}
    return names


def replaced_fonts(requested: list[str], embedded: list[EmbeddedFont]) -> dict[str, list[str]]:
    """The requested fonts LibreOffice drew with another face → the faces it used instead (their labels).

    A font counts as replaced when the PDF has none of its names while a face no document font accounts for
    draws text of the same kind (Chinese or Latin); a font that draws nothing is not reported."""
    names = {font: postscript_names(font) for font in requested}

    def is_font(emb: EmbeddedFont, font: str) -> bool:
        return any(emb.name == n or emb.name.startswith(n) for n in names[font] if n)

    strangers = [e for e in embedded if not any(is_font(e, f) for f in requested)]
    replaced: dict[str, list[str]] = {}
    for font in requested:
        chinese = not font.isascii() or (font in KNOWN and KNOWN[font].charset == "86")
        if any(is_font(e, font) for e in embedded):
            continue
        used = sorted({e.label for e in strangers if e.chinese == chinese})
        if used:
            replaced[font] = used
    return replaced


def font_warnings(docx: Path, pdf: Path) -> list[str]:
    """One Chinese warning naming the fonts of ``docx`` that LibreOffice replaced in ``pdf``, what stood in for
    each and how to install them. Empty when none was, or the files cannot be read (the PDF is still there)."""
    import pikepdf
    from lxml import etree

    try:
        with zipfile.ZipFile(docx) as z:
            parts = {n: z.read(n) for n in z.namelist() if n.startswith("word/") and n.endswith(".xml")}
        requested = text_fonts(parts)
        embedded = embedded_fonts(pdf)
    except (OSError, zipfile.BadZipFile, etree.XMLSyntaxError, pikepdf.PdfError):
        return []
    replaced = replaced_fonts(requested, embedded)
    if not replaced:
        return []
    families = installed_families() or set()
    pairs = [f"{font}→{'、'.join(substitutes(font, families)[:1] or used)}" for font, used in replaced.items()]
    return [f"本机没有安装文档用的 {len(pairs)} 种字体，PDF 中由相近字体代替，字形和字宽与正式公文不同："
            f"{'，'.join(pairs)}。" + INSTALL_HINT.format(fonts="、".join(f"“{f}”" for f in replaced))]
