"""Reading any form file: sniff the real type, convert old formats, dispatch to the .docx/.xlsx reader."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lzdocs.errors import warning
from lzdocs.forms import legacy
from lzdocs.forms.docx import read_docx
from lzdocs.forms.records import RawForm
from lzdocs.forms.schema import FormKind
from lzdocs.forms.xlsx import read_xlsx
from lzdocs.fsutil import scratch_folder
from lzdocs.ooxml.safety import Limits, sniff_package

READERS = {"docx": read_docx, "xlsx": read_xlsx}
CONVERTED_TO = {"doc": "docx", "xls": "xlsx"}


def read_form(path: Path, kinds: Sequence[FormKind], limits: Limits, *, soffice_timeout: float = 60) -> RawForm:
    """The form in ``path`` (.docx, .xlsx, or .doc/.xls through LibreOffice); raise RejectedFile if unreadable."""
    path = Path(path)
    real, package = sniff_package(path, limits)
    if package is not None:
        with package:
            return READERS[real](package, kinds, limits)
    target = CONVERTED_TO[real]
    with scratch_folder("lzdocs-convert-") as tmp:
        converted = legacy.convert(path, target, soffice_timeout, outdir=tmp)
        form = READERS[target](converted, kinds, limits)
    written = path.suffix.lower() if path.suffix.lower() in (".wps", ".et") else f".{real}"  # WPS's own formats
    form.problems.append(warning(f"旧格式 {written} 文件已自动转换为 .{target} 读取；以后请另存为 .{target} 报送"))
    return form
