"""The office's own small tables (roster, batch lists): .csv in any Notepad/Excel encoding, or an .xlsx sheet."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from lzdocs.errors import ConfigError, RejectedFile
from lzdocs.textutil import decode_text

RESAVE = "请用 WPS/Excel 打开后另存为 .xlsx（不设密码），或另存为“CSV UTF-8”"


def read_table(path: Path, what: str) -> list[list]:
    """Rows of ``path`` (.csv or .xlsx/.xlsm) as lists of cell values; ``what`` names it in messages (e.g. 单位名单)."""
    if path.suffix.lower() == ".csv":
        return read_csv(path, what)
    return read_first_sheet(path, what)


def read_csv(path: Path, what: str) -> list[list[str]]:
    """A CSV saved as UTF-8 (with or without BOM), GBK, or Excel's “Unicode 文本” (UTF-16, tab-separated)."""
    text = decode_text(path.read_bytes())
    if text is None:
        raise ConfigError(f"{what} {path.name} 无法按 UTF-8 或 GBK 读取（可能不是文本文件）",
                          hint="请用 WPS/Excel 另存为“CSV UTF-8”")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def read_first_sheet(path: Path, what: str) -> list[list]:
    """The first worksheet's values; a damaged, encrypted or legacy file, or formulas saved without their
    results, are a ConfigError that says what to do."""
    from lzdocs.ooxml.safety import Limits, sniff

    try:
        kind = sniff(path, Limits())
    except RejectedFile as exc:
        reason = exc.problems[0].message.split("；")[0]
        raise ConfigError(f"{what} {path.name} 无法读取：{reason}", hint=RESAVE) from exc
    if kind != "xlsx":
        raise ConfigError(f"{what} {path.name} 不是 .xlsx 表格（实际是 .{kind} 格式）", hint=RESAVE)
    values = _sheet_rows(path, what, data_only=True)
    _refuse_uncomputed_formulas(path, what, values)
    return values


def _sheet_rows(path: Path, what: str, *, data_only: bool) -> list[list]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=data_only)
        try:
            return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)] if wb.worksheets else []
        finally:
            wb.close()
    except Exception as exc:  # openpyxl raises KeyError, ValueError, XML errors … for a damaged package
        raise ConfigError(f"{what} {path.name} 已损坏，无法读取（{type(exc).__name__}）", hint=RESAVE) from exc


def _refuse_uncomputed_formulas(path: Path, what: str, values: list[list]) -> None:
    """A formula cell whose result was never saved (a file written by a program, not Excel/WPS) reads as empty:
    say so instead of letting the row look blank."""
    if not any(v is None for row in values for v in row):
        return
    from openpyxl.utils import get_column_letter

    for r, row in enumerate(_sheet_rows(path, what, data_only=False), start=1):
        for c, cell in enumerate(row, start=1):
            if isinstance(cell, str) and cell.startswith("=") and (
                    r > len(values) or c > len(values[r - 1]) or values[r - 1][c - 1] is None):
                raise ConfigError(f"{what} {path.name} 第 {r} 行 {get_column_letter(c)} 列是公式“{cell[:40]}”，"
                                  "但文件里没有保存公式的计算结果",
                                  hint="请用 WPS/Excel 打开这个文件后保存一次（会存下计算结果），或把公式改成文字")
