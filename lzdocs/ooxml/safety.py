"""Opening untrusted Office files: sniff the type, check zip limits before inflating, parse XML without DTDs."""

from __future__ import annotations

import contextlib
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from lzdocs.errors import RejectedFile, error

if TYPE_CHECKING:
    from lzdocs.settings import Settings

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 50 * 2**20
    max_entries: int = 5000
    max_uncompressed: int = 300 * 2**20
    max_ratio: int = 200
    max_rows: int = 10_000  # a sheet's content must lie in its first max_rows rows…
    max_columns: int = 50  # …and its first max_columns columns (A–AX)

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(max_file_bytes=settings.limit("max_file_mb", 50) * 2**20,
                   max_entries=settings.limit("max_zip_entries", 5000),
                   max_uncompressed=settings.limit("max_uncompressed_mb", 300) * 2**20,
                   max_ratio=settings.limit("max_ratio", 200),
                   max_rows=settings.limit("max_rows", 10_000),
                   max_columns=settings.limit("max_columns", 50))


def reject(message: str) -> RejectedFile:
    return RejectedFile(error(message))


def sniff(path: Path, limits: Limits) -> str:
    """The real type of a file from its bytes: "docx", "xlsx", "doc", "xls"; raise RejectedFile otherwise."""
    real, package = sniff_package(path, limits)
    if package is not None:
        package.close()
    return real


def sniff_package(path: Path, limits: Limits) -> tuple[str, SafePackage | None]:
    """``sniff``, and a .docx or .xlsx opened as a ``SafePackage`` (None for the old formats): the zip is opened and its
    limits checked once, for both."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    check_size(size, limits)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(path, suffix), None
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(path, suffix, size, limits)
    if suffix in (".docx", ".xlsx", ".doc", ".xls", ".docm", ".xlsm", ".wps", ".et"):
        raise reject(f"文件内容不是 Word/Excel 文档（扩展名是 {suffix}，但内容是{_describe(head)}）；"
                     "请用 WPS 或 Word 打开原表格，另存为 .docx 或 .xlsx 后再报送")
    raise reject(f"不支持的文件类型 {suffix or '（无扩展名）'}；请报送 .docx 或 .xlsx 格式的表格")


def check_size(size: int, limits: Limits) -> None:
    """Raise RejectedFile for an empty file or one over the size limit (before any of it is read)."""
    if size == 0:
        raise reject("文件是空的（0 字节），可能没有保存完整；请重新保存后再报送")
    if size > limits.max_file_bytes:
        raise reject(f"文件过大（{size / 2**20:.1f} MB，上限 {limits.max_file_bytes // 2**20} MB）；"
                     "请删除表格中的图片等内容后另存再报送")


def _describe(head: bytes) -> str:
    for magic, name in ((b"\x89PNG", "PNG 图片"), (b"\xff\xd8\xff", "JPEG 图片"), (b"%PDF", "PDF 文件"),
                        (b"{\\rtf", "RTF 文档"), (b"<", "网页或 XML 文本"), (b"Rar!", "RAR 压缩包")):
        if head.startswith(magic):
            return name
    return "无法识别的数据"


def _sniff_ole(path: Path, suffix: str) -> str:
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(s) for s in ole.listdir()}
    except Exception as exc:  # a broken compound file
        raise reject("文件已损坏，无法打开（OLE 结构错误）；请重新保存后再报送") from exc
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        raise reject("文件设置了密码保护（加密），无法读取；"
                     "请在 WPS/Word/Excel 中取消密码（文件→加密/保护）后另存再报送")
    if "WordDocument" in streams:
        return "doc"
    if "Workbook" in streams or "Book" in streams:
        return "xls"
    raise reject("文件是旧式 Office 格式，但不是 Word 或 Excel 文档；请另存为 .docx 或 .xlsx 后再报送")


def _sniff_zip(path: Path, suffix: str, size: int, limits: Limits) -> tuple[str, SafePackage]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise reject("文件已损坏或不完整（压缩结构损坏），可能没有传完；请重新保存或重新复制后再报送") from exc
    try:
        package = SafePackage(path, limits, opened=(zf, size))
        names = set(zf.namelist())
        if "word/document.xml" in names:
            if "word/vbaProject.bin" in names or suffix == ".docm":
                pass  # macros are never run; the document part is read as data
            return "docx", package
        if "xl/workbook.xml" in names:
            return "xlsx", package
        if any(n.startswith("ppt/") for n in names):
            raise reject("这是 PowerPoint 演示文稿，不是表格；请报送 .docx 或 .xlsx 格式的《岗位风险分析和防控措施表》")
        raise reject("文件是压缩包，但不是 Word/Excel 文档；请报送 .docx 或 .xlsx 格式的表格")
    except BaseException:
        zf.close()
        raise


def check_zip_limits(infos: list[zipfile.ZipInfo], archive_size: int, limits: Limits) -> None:
    """Entry count, total uncompressed size and compression ratio, from the central directory alone."""
    if len(infos) > limits.max_entries:
        raise reject(f"文件内部条目过多（{len(infos)} 个，上限 {limits.max_entries}），疑似异常文件；请另存后再报送")
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed:
        raise reject(f"文件解压后过大（{total / 2**20:.0f} MB，上限 {limits.max_uncompressed // 2**20} MB），"
                     "疑似“压缩炸弹”或含大量图片；请删除多余内容后另存再报送")
    for info in infos:
        if info.file_size > 1_000_000 and info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
            raise reject(f"文件内部“{info.filename}”压缩比异常（{info.file_size // max(info.compress_size, 1)} 倍），"
                         "疑似“压缩炸弹”；请重新另存后再报送")


class SafePackage:
    """A zip opened after the limit checks; every XML part is parsed without DTDs, entities or network."""

    def __init__(self, path: Path, limits: Limits, *, opened: tuple[zipfile.ZipFile, int] | None = None):
        """``opened``: the zip of ``path`` opened already, with the size of the file it was opened from."""
        self.path = path
        self.zip, size = opened or (zipfile.ZipFile(path), None)
        try:
            check_zip_limits(self.zip.infolist(), path.stat().st_size if size is None else size, limits)
        except BaseException:
            if opened is None:  # (one opened by the caller, the caller closes)
                self.zip.close()
            raise
        self.limits = limits

    def close(self) -> None:
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def names(self) -> list[str]:
        return self.zip.namelist()

    def size(self, name: str) -> int:
        """The size of part ``name`` once inflated, as the zip's directory says."""
        return self.zip.getinfo(name).file_size

    def read(self, name: str) -> bytes:
        self._check_size(name)
        try:
            return self.zip.read(name)
        except _DAMAGED as exc:
            raise _damaged() from exc

    def xml(self, name: str) -> etree._Element:
        """One part as a tree (Word's document.xml): bounded by ``MAX_TREE_PART``, since a tree takes 9–15 times
        the part's size in memory. Large parts that can be streamed go through ``parse``. Its texts are read as Office
        and ``parse`` read them: an XML comment or processing instruction within one is no end of it
        (``parse_xml``'s ``as_streamed``)."""
        size = self.size(name)
        if size > MAX_TREE_PART:
            raise reject(f"文件内部“{name}”有 {size / 2**20:.0f} MB，"
                         f"远超一张表格应有的大小（{MAX_TREE_PART // 2**20} MB）；"
                         "可能粘贴进了大量多余内容，请删除多余内容（或把表格复制到新文档）后另存再报送")
        return parse_xml(self.read(name), name, as_streamed=True)

    def parse(self, name: str, target: StreamTarget):
        """Stream one XML part through ``target`` (an lxml parser target: ``start``/``end``/``data``/``close``) and
        return what its ``close()`` returns. No tree is built and the part is inflated 64 KB at a time, so memory
        stays flat whatever the part's size; a DOCTYPE or entity declaration is refused as by ``parse_xml``, in any
        encoding (``StreamTarget.doctype``)."""
        self._check_size(name)
        parser = etree.XMLParser(target=target, **_SAFE)
        tail = b""
        try:
            fh = self.zip.open(name)
        except _DAMAGED as exc:
            raise _damaged() from exc
        try:
            with fh:
                while chunk := _read_chunk(fh):
                    _refuse_dtd(tail + chunk, name)
                    tail = chunk[-8:]
                    parser.feed(chunk)
            return parser.close()
        except _DoctypeSeen:
            raise _dtd_refused(name) from None
        except etree.XMLSyntaxError as exc:
            raise _malformed(name) from exc

    def _check_size(self, name: str) -> None:
        if self.size(name) > self.limits.max_uncompressed:
            raise reject(f"文件内部“{name}”过大；请另存后再报送")


def opened(source: Path | SafePackage, limits: Limits) -> SafePackage | contextlib.nullcontext:
    """``with opened(source, limits) as package``: a package given (opened by ``sniff_package``, closed by whoever
    opened it), or the file at a path opened for the block."""
    if isinstance(source, SafePackage):
        return contextlib.nullcontext(source)
    return SafePackage(Path(source), limits)


_DAMAGED = (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error)  # CRC errors, truncated data
_SAFE = dict(resolve_entities=False, no_network=True, dtd_validation=False, load_dtd=False, huge_tree=False,
             remove_blank_text=False)
_PARSER = etree.XMLParser(**_SAFE)
_AS_STREAMED = etree.XMLParser(**_SAFE, remove_comments=True, remove_pis=True)
CHUNK = 1 << 16
# The largest part read as a tree: 12 MB of WordprocessingML is some 5,000 table rows, and its tree (about 110–180 MB)
# keeps an ingest under the 300 MB that docs/product.md §4 promises. A real form's document.xml is well under 1 MB.
MAX_TREE_PART = 12 * 2**20


def _read_chunk(fh) -> bytes:
    try:
        return fh.read(CHUNK)
    except _DAMAGED as exc:
        raise _damaged() from exc


def _damaged() -> RejectedFile:
    return reject("文件已损坏或不完整（内部数据校验失败）；请重新保存或重新复制后再报送")


def _malformed(name: str) -> RejectedFile:
    return reject(f"文件内部“{name}”格式损坏，无法读取；请用 WPS/Word/Excel 打开后另存再报送")


def _refuse_dtd(data: bytes, name: str) -> None:
    """A DOCTYPE or entity declaration refused before the part is parsed — where the part is in an encoding that
    writes them in ASCII (UTF-8, GBK…); in UTF-16 or UTF-32 the parser finds it (``parse_xml``, ``StreamTarget``)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _dtd_refused(name)


def _dtd_refused(name: str) -> RejectedFile:
    return reject(f"文件内部“{name}”含有 DTD/实体声明，这不是 Office 正常保存的文件，出于安全原因拒收；"
                  "请用 WPS/Word/Excel 重新另存后再报送")


class _DoctypeSeen(Exception):
    pass


class StreamTarget:
    """What every parser target ``SafePackage.parse`` streams a part through does with a DOCTYPE: ends the reading,
    refused (an internal entity would be expanded in attribute values, whatever ``resolve_entities`` says)."""

    def doctype(self, *declared) -> None:
        raise _DoctypeSeen


def parse_xml(data: bytes, name: str = "XML", *, as_streamed: bool = False) -> etree._Element:
    """Parse one XML part; a DOCTYPE (and so any entity) is refused outright. ``as_streamed``: without comments and
    processing instructions, the text on either side of one joined — as a parser target receives the text, so that
    a tree gives what ``SafePackage.parse`` gives (``<v>1<!---->2</v>`` is "12", not "1")."""
    _refuse_dtd(data, name)
    try:
        root = etree.fromstring(data, _AS_STREAMED if as_streamed else _PARSER)
    except etree.XMLSyntaxError as exc:
        raise _malformed(name) from exc
    if root.getroottree().docinfo.internalDTD is not None:  # declared in UTF-16 or UTF-32: not seen in the bytes
        raise _dtd_refused(name)
    return root
