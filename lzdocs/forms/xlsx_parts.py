"""Readers for the parts of an .xlsx: worksheet cells, shared strings, attributes. Each is an lxml parser target that
streams a part in bounded memory; a small part (``SMALL_PART``, every part of a form as clerks fill it) is read from
its tree instead, giving the same result in a fraction of the time (``Sheet.read``, ``SharedStrings.read``,
``Elements.read``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from lzdocs.errors import RejectedFile
from lzdocs.forms.layout import visible
from lzdocs.ooxml.safety import Limits, SafePackage, StreamTarget, reject

MAX_CELL_CHARS = 32_767  # what one Excel cell can hold
_RAW_CHARS = 7 * MAX_CELL_CHARS  # the same as written, each character possibly escaped as _xHHHH_
MAX_SHARED_STRINGS = 500_000  # different texts in a workbook
MAX_MERGES = 100_000  # merged ranges read per sheet; a form has a few dozen
MAX_ELEMENTS = 100_000  # elements kept from workbook.xml, its relationships or styles.xml (Excel allows 64,000 styles)
SMALL_PART = 1 << 20  # bytes of a part read from its tree (``_Part``): some 55 MB in memory at worst
_REDO = "或把要报送的表格复制到一个新的工作簿中，再重新报送"


class Budget:
    """What a workbook may still hold, so that memory stays bounded however it is built: grid cells (rows × columns
    as read, all sheets together) and characters of text (shared strings and the texts cells hold themselves)."""

    def __init__(self, cells: int, chars: int):
        self.cells, self.chars = cells, chars
        self.cells_left, self.chars_left = cells, chars

    def check(self, cells: int) -> None:
        if cells > self.cells_left:
            raise reject(f"工作簿的内容过多（各工作表合计超过 {self.cells:,} 个单元格）；"
                         f"请删除多余的工作表和行列，{_REDO}")

    def spend(self, cells: int) -> None:
        self.check(cells)
        self.cells_left -= cells

    def spend_chars(self, chars: int) -> None:
        self.chars_left -= chars
        if self.chars_left < 0:
            raise reject(f"文件中的文字总量过大（超过 {self.chars:,} 字）；请删除多余的工作表和内容，{_REDO}")


class _Part(StreamTarget):
    """A parser target whose part, when small, is read from its tree instead (``_walk``: the same result in a
    fraction of the time — the target's calls for each element were a fifth of reading a small workbook, half of
    reading a sheet)."""

    def _read(self, package: SafePackage, name: str):
        """What ``close()`` gives once part ``name`` is read: walked in its tree when it is small (``SMALL_PART``),
        else streamed; a part the tree refuses (an undeclared namespace prefix…) is streamed too, and the stream
        decides as it always has."""
        if package.size(name) <= SMALL_PART:
            try:
                root = package.xml(name)
            except RejectedFile:
                root = None
            if root is not None:
                self._walk(root)
                return self.close()
        return package.parse(name, self)

    def _walk(self, root) -> None:
        raise NotImplementedError

    def _text(self, text: str | None) -> str:
        """An element's text, counted against the bound of the text it is part of (the stream's ``data``)."""
        if text is None:
            return ""
        self.chars += len(text)
        if self.chars > _RAW_CHARS:
            raise too_long(self._holder())
        return text

    def _holder(self) -> str:
        raise NotImplementedError


class Sheet(_Part):
    """Parser target for a worksheet: cell texts by Excel row number and zero-based column, merged ranges, and the
    page header. Only cells with a value count; one beyond ``max_rows``/``max_columns`` stops the reading with an
    error that says where it is — formatted but empty cells anywhere are ignored."""

    def __init__(self, cell_text: Callable, where: str, limits: Limits, budget: Budget):
        self.cell_text, self.where, self.budget = cell_text, where, budget
        self.max_rows, self.max_columns = limits.max_rows, limits.max_columns
        self.cells: dict[int, dict[int, str]] = {}
        self.merges: list[str] = []
        self.header_footer: list[tuple[str, str]] | None = None  # (tag, text) of <headerFooter>'s children
        self.width = 0
        self.columns: dict[str, int] = {}  # "AB" → 27, as met
        self.depth = -1
        self.sink: list[str] | None = None  # where the text of the current element goes
        self.chars = 0
        self.in_data = self.data_seen = self.in_row = self.in_cell = self.in_is = self.in_run = self.in_hf = False
        self.number, self.col, self.values = 0, -1, {}
        self.attrib: dict = {}  # the current cell's
        self.v = None
        self.vbuf: list[str] = []
        self.hf_text: list[str] = []
        self.inline: list[str] | None = None
        self._namespace("")  # set again from the root element

    def start(self, tag: str, attrib) -> None:
        self.sink = None  # an element's own text is what comes before its first child
        d = self.depth = self.depth + 1
        if d == 3:
            if self.in_row and tag == self.C:
                self.in_cell, self.chars, self.attrib = True, 0, attrib
                self.v = self.inline = None
                return
        elif d == 4:
            if self.in_cell:
                if tag == self.V:
                    self.sink = self.vbuf = []
                elif tag == self.IS and self.inline is None:  # the first inline string is the cell's text
                    self.inline, self.in_is = [], True
                return
        elif d == 2:
            if self.in_data and tag == self.ROW:
                self.in_row, self.values, self.col = True, {}, -1
                self.number = as_int(attrib.get("r"), self.number + 1)
                return
            if self.in_hf:
                self.sink = self.hf_text = []
                self.chars = 0
        elif d == 5 or d == 6:
            if self.in_is and tag == self.T and (d == 5 or self.in_run):
                self.sink = self.inline
            elif self.in_is and d == 5 and tag == self.R:
                self.in_run = True
        elif d == 1:
            if tag == self.SHEET_DATA and not self.data_seen:
                self.in_data = self.data_seen = True
            elif tag == self.HEADER_FOOTER and self.header_footer is None:
                self.in_hf, self.header_footer = True, []
        elif d == 0:
            self._namespace(tag)
        if tag == self.MERGE_CELL and len(self.merges) < MAX_MERGES:
            self.merges.append(attrib.get("ref", ""))

    def data(self, text: str) -> None:
        if self.sink is not None:
            self.sink.append(text)
            self.chars += len(text)
            if self.chars > _RAW_CHARS:
                raise too_long(self._holder() if self.in_cell else f"{self.where}的页眉")

    def end(self, tag: str) -> None:
        d = self.depth
        self.depth, self.sink = d - 1, None
        if d == 4:
            if self.in_cell:
                if tag == self.V:
                    self.v = "".join(self.vbuf)
                elif self.in_is and tag == self.IS:
                    self.in_is = False
        elif d == 3:
            if self.in_cell:
                self.in_cell = False
                self._cell()
        elif d == 2:
            if self.in_row:
                self.in_row = False
                self._row()
            elif self.in_hf and self.header_footer is not None and len(self.header_footer) < 12:
                self.header_footer.append((tag, "".join(self.hf_text)))  # odd, even and first page headers…
        elif d == 5:
            self.in_run = False
        elif d == 1:
            self.in_data = self.in_hf = False

    def close(self) -> Sheet:
        return self

    @classmethod
    def read(cls, package: SafePackage, name: str, cell_text: Callable, where: str, limits: Limits,
             budget: Budget) -> Sheet:
        """Sheet ``name`` read (``_Part``): from its tree the same cells, merges and page header as from the stream,
        the same limits checked in the same order."""
        return cls(cell_text, where, limits, budget)._read(package, name)

    def _walk(self, root) -> None:
        """What the stream finds, found in the tree: the first ``sheetData`` and ``headerFooter`` among the root's
        children, an element's own text before its first child (``.text``), the merges wherever they are but in a
        data cell."""
        self._namespace(root.tag)
        data = hf = None
        for child in root:
            if child.tag == self.SHEET_DATA and data is None:
                data = child
                self._rows(child)
            elif child.tag == self.HEADER_FOOTER and hf is None:
                hf = self.header_footer = []
                for part in child:
                    if not isinstance(part.tag, str):
                        continue
                    text = part.text or ""
                    if len(text) > _RAW_CHARS:
                        raise too_long(f"{self.where}的页眉")
                    if len(hf) < 12:
                        hf.append((part.tag, text))
        for merge in root.iter(self.MERGE_CELL):
            if merge.tag != self.MERGE_CELL:  # found by a namespace named "*" (lxml's wildcard): not the stream's
                continue
            if len(self.merges) >= MAX_MERGES:
                break
            cell = merge.getparent()
            if data is not None and cell is not None and cell.tag == self.C \
                    and (row := cell.getparent()) is not None and row.tag == self.ROW and row.getparent() is data:
                continue  # a data cell's child: the stream never looks there
            self.merges.append(merge.get("ref", ""))

    def _rows(self, data) -> None:
        C, V, IS, T, R = self.C, self.V, self.IS, self.T, self.R
        for row in data:
            if row.tag != self.ROW:
                continue
            self.values, self.col = {}, -1
            self.number = as_int(row.get("r"), self.number + 1)
            for cell in row:
                if cell.tag != C:
                    continue
                self.attrib, self.chars = cell.attrib, 0
                v = inline = None
                for part in cell:
                    tag = part.tag
                    if tag == V:
                        v = self._text(part.text)
                    elif tag == IS and inline is None:
                        inline = []
                        for run in part:
                            if run.tag == T:
                                inline.append(self._text(run.text))
                            elif run.tag == R:
                                inline += [self._text(t.text) for t in run if t.tag == T]
                self.v, self.inline = v, inline
                self._cell()
            self._row()

    def _holder(self) -> str:
        return f"{self.where}的单元格 {self._address()} "

    # --- the pieces -------------------------------------------------------------------------------------------
    def _namespace(self, tag: str) -> None:
        ns = tag[:tag.index("}") + 1] if tag.startswith("{") else ""
        self.SHEET_DATA, self.ROW, self.C, self.V, self.IS, self.T, self.R = (
            ns + name for name in ("sheetData", "row", "c", "v", "is", "t", "r"))
        self.MERGE_CELL, self.HEADER_FOOTER = ns + "mergeCell", ns + "headerFooter"

    def _cell(self) -> None:
        ref = self.attrib.get("r")
        if ref:
            letters = ref.rstrip("0123456789")
            col = self.columns.get(letters)
            if col is None:
                col = column_index(letters)
                if len(self.columns) < 20_000:
                    self.columns[letters] = col
        else:
            col = self.col + 1
        self.col = col
        if not self.v and self.inline is None:
            return  # no value: formatting only
        kind = self.attrib.get("t")
        text = self.cell_text(kind, self.attrib.get("s"), self.v, self.inline)
        if len(text) > MAX_CELL_CHARS:
            raise too_long(self._holder())
        if text:
            if col >= self.max_columns:
                raise self._beyond(f" {column_letters(self.max_columns - 1)} 列右边", "右侧多余的列")
            if kind != "s" or self.inline is not None:  # a shared string is held once, however many cells show it
                self.budget.spend_chars(len(text))
            self.values[col] = text

    def _row(self) -> None:
        values = self.values
        if not values:
            return
        if self.number > self.max_rows:
            self.col = min(values)
            raise self._beyond(f"第 {self.max_rows} 行以下", "下方多余的行")
        self.cells.setdefault(self.number, {}).update(values)
        self.width = max(self.width, max(values) + 1)
        self.budget.check(len(self.cells) * self.width)

    def _address(self) -> str:
        ref = self.attrib.get("r")
        col = column_index(ref) if ref else self.col + 1
        return f"{column_letters(col)}{self.number}"

    def _beyond(self, side: str, extra: str):
        address = f"{column_letters(self.col)}{self.number}"
        return reject(f"{self.where}在{side}还有内容（单元格 {address}），超出了可读取的范围（每个工作表最多读取 "
                      f"{self.max_rows} 行、{self.max_columns} 列）；请删除表格{extra}（在名称框中输入 {address} "
                      f"可定位到该单元格），{_REDO}")


def too_long(what: str):
    return reject(f"{what}文字过长（超过 {MAX_CELL_CHARS} 字，Excel 单元格最多只能容纳这么多字），"
                  "这不是正常填写的表格；请检查是否误粘贴了大段内容，删除后另存再报送")


class SharedStrings(_Part):
    """Parser target for sharedStrings.xml: the texts in order, stripped, without phonetic guides; bounded in count
    and (through ``budget``) in characters."""

    def __init__(self, budget: Budget):
        self.budget = budget
        self.strings: list[str] = []
        self.depth, self.chars = -1, 0
        self.sink: list[str] | None = None
        self.parts: list[str] = []
        self.in_si = self.in_run = False
        self._namespace("")  # set again from the root element

    def start(self, tag: str, attrib) -> None:
        self.sink = None
        d = self.depth = self.depth + 1
        if d == 1:
            if tag == self.SI:
                self.in_si, self.parts, self.chars = True, [], 0
        elif self.in_si and (d == 2 or (d == 3 and self.in_run)) and tag == self.T:
            self.sink = self.parts
        elif self.in_si and d == 2 and tag == self.R:
            self.in_run = True
        elif d == 0:
            self._namespace(tag)

    def data(self, text: str) -> None:
        if self.sink is not None:
            self.sink.append(text)
            self.chars += len(text)
            if self.chars > _RAW_CHARS:
                raise too_long(self._holder())

    def end(self, tag: str) -> None:
        d = self.depth
        self.depth, self.sink = d - 1, None
        if d == 1 and self.in_si:
            self.in_si = False
            self._end_si()
        elif d == 2:
            self.in_run = False

    def _end_si(self) -> None:
        if len(self.strings) >= MAX_SHARED_STRINGS:
            raise reject(f"文件中的文字单元格过多（超过 {MAX_SHARED_STRINGS:,} 个不同的文字）；"
                         f"请删除多余的工作表和内容，{_REDO}")
        text = unescape("".join(self.parts)).strip()
        if len(text) > MAX_CELL_CHARS:
            raise too_long(self._holder())
        self.budget.spend_chars(len(text))
        self.strings.append(text)

    def close(self) -> list[str]:
        return self.strings

    @classmethod
    def read(cls, package: SafePackage, name: str, budget: Budget) -> list[str]:
        """The texts of part ``name`` (``_Part``)."""
        return cls(budget)._read(package, name)

    def _walk(self, root) -> None:
        """What the stream finds, in the tree: each ``si`` among the root's children, its ``t`` and its runs' ``t``
        (not the phonetic guide's)."""
        self._namespace(root.tag)
        SI, T, R = self.SI, self.T, self.R
        for si in root:
            if si.tag != SI:
                continue
            self.chars, self.parts = 0, []
            for part in si:
                if part.tag == T:
                    self.parts.append(self._text(part.text))
                elif part.tag == R:
                    self.parts += [self._text(t.text) for t in part if t.tag == T]
            self._end_si()

    def _holder(self) -> str:
        return "文件中有单元格的"

    def _namespace(self, tag: str) -> None:
        ns = tag[:tag.index("}") + 1] if tag.startswith("{") else ""
        self.SI, self.T, self.R = ns + "si", ns + "t", ns + "r"


class Elements(_Part):
    """Parser target keeping, in document order, ``(parent, name, attributes)`` of the elements whose local name is
    in ``wanted`` (in the root's namespace), at most MAX_ELEMENTS of them; only the attributes in ``keep`` if given.
    ``read`` is the way in: a small part is read from its tree instead, the same items, in a fraction of the time."""

    def __init__(self, wanted: Iterable[str], keep: Iterable[str] | None = None):
        self.wanted, self.keep = set(wanted), None if keep is None else tuple(keep)
        self.items: list[tuple[str, str, dict]] = []
        self.path: list[str] = []
        self.ns = ""

    @classmethod
    def read(cls, package: SafePackage, name: str, wanted: Iterable[str],
             keep: Iterable[str] | None = None) -> list[tuple[str, str, dict]]:
        """The items of part ``name`` (``_Part``: a workbook.xml, styles.xml or relationships part is a few
        kilobytes)."""
        return cls(wanted, keep)._read(package, name).items

    def _walk(self, root) -> None:
        ns = self.ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        for element in root.iter(*(ns + w for w in self.wanted)):
            if len(self.items) >= MAX_ELEMENTS:
                break
            name = self._local(element.tag)
            if name not in self.wanted:  # found by a namespace named "*" (lxml's wildcard): not the stream's
                continue
            parent = element.getparent()
            attrib = element.attrib
            values = dict(attrib) if self.keep is None else {k: attrib[k] for k in self.keep if k in attrib}
            self.items.append((self._local(parent.tag) if parent is not None else "", name, values))

    def _local(self, tag: str) -> str:
        return tag[len(self.ns):] if tag.startswith(self.ns) else ""

    def start(self, tag: str, attrib) -> None:
        if not self.path:
            self.ns = tag[:tag.index("}") + 1] if tag.startswith("{") else ""
        name = self._local(tag)
        if name in self.wanted and len(self.items) < MAX_ELEMENTS:
            keep = self.keep  # (an "&" in an attribute comes as "&#38;" when entities are not substituted)
            values = {k: v.replace("&#38;", "&") for k, v in attrib.items() if keep is None or k in keep}
            self.items.append((self.path[-1] if self.path else "", name, values))
        self.path.append(name)

    def end(self, tag: str) -> None:
        self.path.pop()

    def data(self, text: str) -> None:
        pass

    def close(self) -> Elements:
        return self


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape(text: str) -> str:
    """OOXML's ``_x000D_`` escapes back to characters; invisible characters (zero-width spaces…) dropped."""
    return visible(_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text)


def as_int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def column_index(ref: str) -> int:
    """"AB12" → 27 (zero-based column)."""
    col = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            col = col * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            col = col * 26 + ord(ch) - 96
        elif ch != "$":
            break
    return col - 1


def column_letters(col: int) -> str:
    """27 → "AB" (zero-based column)."""
    out = ""
    col += 1
    while col > 0:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out
