"""The fonts a Word package uses, listed in its font table (charset 86, panose, altName); its language Chinese."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
FONT_TABLE = "word/fontTable.xml"
STYLES = "word/styles.xml"
SETTINGS = "word/settings.xml"
# The parts whose runs, styles and list levels name fonts.
FONT_PARTS = re.compile(r"^word/(document|styles|numbering|header\d*|footer\d*|footnotes|endnotes)\.xml$")
TEXT_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
THEME_PART = re.compile(r"^word/theme/theme\d*\.xml$")
LANGUAGE = "zh-CN"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=False)


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


@dataclass(frozen=True)
class FontFacts:
    """What Word writes about a font in ``w:font``; ``alt`` is the family Word/WPS fall back to, ``ps`` the
    PostScript names a PDF embeds it under."""

    panose: str
    charset: str
    family: str
    pitch: str
    sig: tuple[str, str, str, str, str, str]
    alt: str = ""
    ps: tuple[str, ...] = ()


_GB2312_SIG = ("00000001", "080E0000", "00000010", "00000000", "00040000", "00000000")
_GBK_SIG = ("800002BF", "38CF7CFA", "00000016", "00000000", "00040001", "00000000")
# The fonts of GB/T 9704 documents as Word on a Chinese Windows lists them; charset 86 is GB2312.
KNOWN: dict[str, FontFacts] = {
    "仿宋_GB2312": FontFacts("02010609030101010101", "86", "modern", "fixed", _GB2312_SIG, "仿宋",
                            ("FangSong_GB2312",)),
    "楷体_GB2312": FontFacts("02010609030101010101", "86", "modern", "fixed", _GB2312_SIG, "楷体",
                            ("KaiTi_GB2312",)),
    "方正小标宋简体": FontFacts("02000000000000000000", "86", "roman", "variable", _GB2312_SIG, "宋体",
                         ("FZXiaoBiaoSong-B05S", "FZXBSJW--GB1-0")),
    "方正小标宋_GBK": FontFacts("02000000000000000000", "86", "roman", "variable", _GBK_SIG, "宋体",
                           ("FZXiaoBiaoSong-B05", "FZXBSK--GBK1-0")),
    "仿宋": FontFacts("02010609060101010101", "86", "modern", "fixed", _GBK_SIG, "FangSong", ("FangSong",)),
    "楷体": FontFacts("02010609060101010101", "86", "modern", "fixed", _GBK_SIG, "KaiTi", ("KaiTi",)),
    "黑体": FontFacts("02010609060101010101", "86", "modern", "fixed", _GBK_SIG, "SimHei", ("SimHei",)),
    "宋体": FontFacts("02010600030101010101", "86", "auto", "variable",
                    ("00000003", "288F0000", "00000016", "00000000", "00040001", "00000000"), "SimSun", ("SimSun",)),
    "微软雅黑": FontFacts("020B0503020204020204", "86", "swiss", "variable",
                      ("80000287", "2ACF3C50", "00000016", "00000000", "0004001F", "00000000"), "Microsoft YaHei",
                      ("MicrosoftYaHei",)),
    "Times New Roman": FontFacts("02020603050405020304", "00", "roman", "variable",
                                 ("E0002EFF", "C000785B", "00000009", "00000000", "000001FF", "00000000"), "",
                                 ("TimesNewRoman",)),
}
# python-docx's default template lists these (Japanese ＭＳ 明朝 among them); unused, they are left out.
PYTHON_DOCX_DEFAULTS = frozenset({"Symbol", "Times New Roman", "Cambria", "ＭＳ 明朝", "Calibri", "ＭＳ ゴシック",
                                  "Courier", "Arial"})
_SLOTS = {"ascii": "latin", "hAnsi": "latin", "eastAsia": "ea"}


def _parse(data):
    """The part's root element (``data``: its bytes, or a root already parsed, which is used as it is)."""
    return data if isinstance(data, etree._Element) else etree.fromstring(data, _PARSER)


def theme_fonts(theme: bytes | None, east_asian_lang: str = LANGUAGE) -> dict[str, str]:
    """``majorHAnsi``, ``minorEastAsia`` … → the theme's typeface (East Asian: its ``ea`` face, else the face
    of the script of ``east_asian_lang``: 宋体 for zh-CN)."""
    if not theme:
        return {}
    script = {"zh-CN": "Hans", "zh-SG": "Hans", "zh-TW": "Hant", "zh-HK": "Hant", "ja-JP": "Jpan",
              "ko-KR": "Hang"}.get(east_asian_lang, "Hans")
    found: dict[str, str] = {}
    root = _parse(theme)
    for kind in ("major", "minor"):
        node = root.find(f".//{{{A}}}{kind}Font")
        if node is None:
            continue
        latin = node.find(f"{{{A}}}latin")
        ea = node.find(f"{{{A}}}ea")
        by_script = {f.get("script"): f.get("typeface") for f in node.findall(f"{{{A}}}font")}
        face = latin.get("typeface") if latin is not None else ""
        found[f"{kind}HAnsi"] = found[f"{kind}Ascii"] = face
        found[f"{kind}EastAsia"] = (ea.get("typeface") if ea is not None else "") or by_script.get(script, "")
    return {k: v for k, v in found.items() if v}


def _slot_font(rfonts, slot: str, theme: Mapping[str, str] | None) -> str:
    """The font ``w:rFonts`` names for one slot (ascii, hAnsi, eastAsia), a theme reference resolved; "" if none."""
    if rfonts is None:
        return ""
    name = rfonts.get(_w(slot))
    if name is None and theme:
        name = theme.get(rfonts.get(_w(f"{slot}Theme")) or "")
    return (name or "").strip()


def fonts_in(xml: bytes, theme: Mapping[str, str] | None = None) -> list[str]:
    """The font names one part's ``w:rFonts`` use for Latin and East-Asian text (theme references resolved), in
    order of first use."""
    names: dict[str, None] = {}
    for rfonts in _parse(xml).iter(_w("rFonts")):
        names.update(dict.fromkeys(f for f in (_slot_font(rfonts, slot, theme) for slot in _SLOTS) if f))
    return list(names)


def _resolved_theme(parts: Mapping[str, bytes]) -> dict[str, str]:
    theme = next((data for name, data in parts.items() if THEME_PART.match(name)), None)
    return theme_fonts(theme, theme_language(parts.get(SETTINGS)))


def fonts_used(parts: Mapping[str, bytes]) -> list[str]:
    """The fonts a package's parts name: runs, styles, list levels (``parts``: part name → bytes; the theme and
    settings resolve theme fonts)."""
    resolved = _resolved_theme(parts)
    names: dict[str, None] = {}
    for name, data in parts.items():
        if FONT_PARTS.match(name):
            names.update(dict.fromkeys(fonts_in(data, resolved)))
    return list(names)


def text_fonts(parts: Mapping[str, bytes]) -> list[str]:
    """The fonts the text of a package is drawn in: those named on runs that hold text, and for a slot such a
    run leaves open, the Normal style's or the document default's (styles defined but unused are not counted)."""
    resolved = _resolved_theme(parts)
    names: dict[str, None] = {}
    open_slots: dict[str, None] = {}
    for name, data in parts.items():
        if not TEXT_PARTS.match(name):
            continue
        for run in _parse(data).iter(_w("r")):
            if not any(t.text for t in run.iter(_w("t"))):
                continue
            rfonts = run.find(f"{_w('rPr')}/{_w('rFonts')}")
            for slot in ("ascii", "eastAsia"):
                font = _slot_font(rfonts, slot, resolved)
                if font:
                    names[font] = None
                else:
                    open_slots[slot] = None
    if open_slots and STYLES in parts:
        root = _parse(parts[STYLES])
        defaults = root.xpath("w:style[@w:default='1' and @w:type='paragraph']/w:rPr/w:rFonts", namespaces={"w": W})
        defaults += root.findall(f"{_w('docDefaults')}/{_w('rPrDefault')}/{_w('rPr')}/{_w('rFonts')}")
        for slot in open_slots:
            found = next((f for f in (_slot_font(e, slot, resolved) for e in defaults) if f), "")
            if found:
                names[found] = None
    return list(names)


def theme_language(settings: bytes | None) -> str:
    """The East-Asian language theme fonts follow (``w:themeFontLang``), zh-CN when not given."""
    if settings:
        lang = _parse(settings).find(_w("themeFontLang"))
        if lang is not None and lang.get(_w("eastAsia")):
            return lang.get(_w("eastAsia"))
    return LANGUAGE


def font_table(used: Iterable[str], existing: bytes | None = None) -> bytes:
    """``word/fontTable.xml`` listing every font in ``used``.

    A table the user's Word or WPS wrote keeps all its entries (a known font missing its ``w:altName`` gets
    one); python-docx's default table keeps only the fonts in use. Fonts it lacks are added: those of
    :data:`KNOWN` with their charset, panose, family, pitch and altName, others by name only.
    """
    used = list(dict.fromkeys(used))
    root = _parse(existing) if existing else None
    if root is None or root.tag != _w("fonts"):
        root = etree.Element(_w("fonts"), nsmap={"w": W, "r": R})
    entries = {f.get(_w("name")): f for f in root.findall(_w("font"))}
    if set(entries) <= PYTHON_DOCX_DEFAULTS:
        for name, entry in entries.items():
            if name not in used:
                root.remove(entry)
    for name in used:
        entry = entries.get(name)
        if entry is None or entry.getparent() is None:
            root.append(_font_entry(name))
        elif name in KNOWN and KNOWN[name].alt and entry.find(_w("altName")) is None:
            alt = etree.Element(_w("altName"))
            alt.set(_w("val"), KNOWN[name].alt)
            entry.insert(0, alt)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _font_entry(name: str):
    font = etree.Element(_w("font"))
    font.set(_w("name"), name)
    facts = KNOWN.get(name)
    if facts is None:
        return font
    if facts.alt:
        etree.SubElement(font, _w("altName")).set(_w("val"), facts.alt)
    for tag, value in (("panose1", facts.panose), ("charset", facts.charset), ("family", facts.family),
                       ("pitch", facts.pitch)):
        etree.SubElement(font, _w(tag)).set(_w("val"), value)
    sig = etree.SubElement(font, _w("sig"))
    for key, value in zip(("usb0", "usb1", "usb2", "usb3", "csb0", "csb1"), facts.sig):
        sig.set(_w(key), value)
    return font


def chinese_styles(styles: bytes) -> bytes | None:
    """``styles.xml`` with the document's East-Asian language zh-CN (None when it already is Chinese).

    The language picks the glyph forms: with ja-JP (python-docx's template) or en-US, LibreOffice shapes
    Noto CJK text with Japanese forms (令, 骨, 直 differ)."""
    root = _parse(styles)  # a root passed in is changed in place
    rpr = root.find(f"{_w('docDefaults')}/{_w('rPrDefault')}/{_w('rPr')}")
    if rpr is None:
        defaults = root.find(_w("docDefaults"))
        if defaults is None:
            defaults = etree.Element(_w("docDefaults"))
            root.insert(0, defaults)
        holder = defaults.find(_w("rPrDefault"))
        if holder is None:
            holder = etree.Element(_w("rPrDefault"))
            defaults.insert(0, holder)
        rpr = etree.SubElement(holder, _w("rPr"))
    lang = rpr.find(_w("lang"))
    if lang is None:
        lang = etree.Element(_w("lang"))
        after = rpr.find(_w("eastAsianLayout"))
        rpr.insert(rpr.index(after), lang) if after is not None else rpr.append(lang)
    elif (lang.get(_w("eastAsia")) or "").startswith("zh"):
        return None
    lang.set(_w("eastAsia"), LANGUAGE)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def chinese_settings(settings: bytes) -> bytes | None:
    """``settings.xml`` with theme fonts following Chinese (``w:themeFontLang``), None when nothing changes."""
    root = _parse(settings)
    lang = root.find(_w("themeFontLang"))
    if lang is None or (lang.get(_w("eastAsia")) or "").startswith("zh"):
        return None
    lang.set(_w("eastAsia"), LANGUAGE)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def finished_parts(parts: Mapping[str, bytes]) -> dict[str, bytes]:
    """The parts of a Word package to replace so that it reads as Chinese and lists its fonts: styles and
    settings when their language is not Chinese, and the font table (when the package has one)."""
    changed: dict[str, bytes] = {}
    # styles.xml (often a third of a megabyte) is parsed once: its fonts are read from the tree made Chinese
    styles = {STYLES: _parse(parts[STYLES])} if STYLES in parts else {}
    for name, fix, data in ((STYLES, chinese_styles, styles.get(STYLES)), (SETTINGS, chinese_settings, None)):
        if name in parts:
            new = fix(parts[name] if data is None else data)
            if new is not None:
                changed[name] = new
    if FONT_TABLE in parts:
        changed[FONT_TABLE] = font_table(fonts_used({**parts, **changed, **styles}), parts[FONT_TABLE])
    return changed


def finish_document(doc) -> None:
    """The same for a python-docx Document before it is saved: language zh-CN, font table of the fonts used."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    package = doc.part.package
    parts = {str(p.partname).lstrip("/"): p for p in package.iter_parts()}
    wanted = {name: part.blob for name, part in parts.items()
              if FONT_PARTS.match(name) or THEME_PART.match(name) or name in (SETTINGS, FONT_TABLE)}
    changed = finished_parts(wanted)
    for name, fix in ((STYLES, doc.styles.element), (SETTINGS, doc.settings.element)):
        if name in changed:
            _set_lang(fix, name)
    table = changed.get(FONT_TABLE) or font_table(fonts_used({**wanted, **changed}))
    part = parts.get(FONT_TABLE)
    if part is not None:
        part._blob = table  # python-docx keeps parts it does not model as bytes
        return
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    doc.part.relate_to(Part(PackURI("/" + FONT_TABLE), CT.WML_FONT_TABLE, table, package), RT.FONT_TABLE)


def _set_lang(element, name: str) -> None:
    """Set East-Asian zh-CN on a python-docx styles or settings element, as the byte-level fixes do."""
    if name == STYLES:
        rpr = element.find(f"{_w('docDefaults')}/{_w('rPrDefault')}/{_w('rPr')}")
        if rpr is None:
            return
        from lzdocs.ooxml.wordml import RPR_ORDER, set_child

        set_child(rpr, "lang", RPR_ORDER, eastAsia=LANGUAGE)
    else:
        element.find(_w("themeFontLang")).set(_w("eastAsia"), LANGUAGE)


def save_document(doc, path) -> None:
    """Save a python-docx Document (to a path or a binary stream) with its font table and Chinese language set
    (see :func:`finish_document`)."""
    finish_document(doc)
    doc.save(os.fspath(path) if isinstance(path, os.PathLike) else path)
