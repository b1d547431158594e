"""East-Asian fonts on python-docx runs: ``font.name`` sets only ascii/hAnsi, so set ``w:eastAsia`` too."""

from __future__ import annotations

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from lzdocs.ooxml.fontnames import FANGSONG, HEITI, KAITI, LATIN, SIZES, SONGTI, XIAOBIAOSONG

__all__ = ["FANGSONG", "HEITI", "KAITI", "LATIN", "SIZES", "SONGTI", "XIAOBIAOSONG", "add_text", "set_run_font",
           "set_style_font"]


def _set_fonts(rpr, east_asia: str, latin: str):
    """``w:rFonts`` first in ``rPr`` with the Latin and East-Asian font names; returns it."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asia), ("w:cs", latin)):
        fonts.set(qn(attr), value)
    return fonts


def set_run_font(run, east_asia: str, size: float | str | None = None, *, bold: bool | None = None,
                 color: str | None = None, latin: str = LATIN) -> None:
    """Give one run its East-Asian and Latin font, size (pt or 字号 name), weight and colour."""
    fonts = _set_fonts(run._r.get_or_add_rPr(), east_asia, latin)
    if fonts.get(qn("w:hint")) is None:
        fonts.set(qn("w:hint"), "eastAsia")
    if size is not None:
        run.font.size = Pt(SIZES[size] if isinstance(size, str) else size)
    if bold is not None:
        run.font.bold = bold
    if color:
        run.font.color.rgb = RGBColor.from_string(color)


def set_style_font(style, east_asia: str, size: float | str | None = None, *, latin: str = LATIN) -> None:
    """The same for a paragraph/character style (e.g. Normal), so text without direct formatting follows."""
    _set_fonts(style.element.get_or_add_rPr(), east_asia, latin)
    if size is not None:
        style.font.size = Pt(SIZES[size] if isinstance(size, str) else size)


def add_text(paragraph, text: str, east_asia: str = FANGSONG, size: float | str | None = "三号", **kw):
    """Append a run with its fonts set; returns the run."""
    run = paragraph.add_run(text)
    set_run_font(run, east_asia, size, **kw)
    return run
