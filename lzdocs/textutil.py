"""Small text helpers shared by readers, checks and writers: width folding, XML-safe text, safe file names."""

from __future__ import annotations

import re
import unicodedata

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACES = re.compile(r"[\s\u3000\u00a0]+")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def fold(text: str) -> str:
    """Full-width letters and digits to ASCII (NFKC), spaces collapsed, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def squeeze(text: str) -> str:
    """Like :func:`fold` but with every space removed — for matching names and header labels."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


def strip_illegal_xml(text: str) -> tuple[str, bool]:
    """Remove characters that XML 1.0 forbids; say whether any were removed."""
    cleaned = _XML_ILLEGAL.sub("", text)
    return cleaned, cleaned != text


def safe_filename(name: str, *, fallback: str = "未命名", max_len: int = 80) -> str:
    """A single path component made from untrusted text: no separators, no ``..``, no reserved names."""
    name = unicodedata.normalize("NFC", name)
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]|\.{2,}', "_", name).strip().strip(".").strip()
    name = re.sub(r"_+", "_", name)
    if not name or set(name) <= {"_", "."}:
        name = fallback
    if name.split(".")[0].upper() in _RESERVED:
        name = "_" + name
    return name[:max_len]


def decode_text(data: bytes) -> str | None:
    """Text a clerk saved with Notepad/WPS/Excel: UTF-8 (BOM or not), UTF-16 with BOM, or GBK/GB18030.

    None when it is none of these (a binary file, a picture…); the caller says what to do, in Chinese."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").removeprefix("\ufeff")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError:
            continue
    return None
