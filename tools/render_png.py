"""Render a .docx (or .pdf) to PNG pages so that a person can look at it: LibreOffice → PDF → pdftoppm.

Usage: python tools/render_png.py DOC.docx [--out DIR] [--dpi 60] [--pages 1,3,-1] [--timeout 120]
Prints the PNG paths, one per line. Each run uses its own LibreOffice profile (lzdocs.documents.pdf).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lzdocs.documents.pdf import to_pdf

# Preview only: the Chinese office fonts are rarely installed on Linux; show 仿宋/宋体/小标宋 as a serif CJK
# face and 黑体 as a sans one, instead of whatever fallback LibreOffice finds first.
ALIASES = {"仿宋_GB2312": "Noto Serif CJK SC", "仿宋": "Noto Serif CJK SC", "方正小标宋简体": "Noto Serif CJK SC",
           "宋体": "Noto Serif CJK SC", "楷体_GB2312": "Noto Serif CJK SC", "楷体": "Noto Serif CJK SC",
           "黑体": "Noto Sans CJK SC"}


def font_config(folder: Path) -> Path | None:
    """A fontconfig file with :data:`ALIASES` on top of the system configuration (None if there is none)."""
    system = Path("/etc/fonts/fonts.conf")
    if not system.is_file():
        return None
    aliases = "".join(f"<alias binding=\"same\"><family>{name}</family><prefer><family>{face}</family></prefer></alias>"
                      for name, face in ALIASES.items())
    conf = folder / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f"<include>{system}</include>{aliases}</fontconfig>", encoding="utf-8")
    return conf


def page_count(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60).stdout
    for line in out.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return 0


def render(document: Path, out: Path, *, dpi: int = 60, pages: list[int] | None = None,
           timeout: float = 120) -> list[Path]:
    """PNG files of the chosen pages (1-based; negative counts from the end; None = all)."""
    out.mkdir(parents=True, exist_ok=True)
    if document.suffix.lower() == ".pdf":
        pdf = document
    else:
        with tempfile.TemporaryDirectory(prefix="render-png-") as tmp:
            conf = font_config(Path(tmp))
            saved = os.environ.get("FONTCONFIG_FILE")
            if conf:
                os.environ["FONTCONFIG_FILE"] = str(conf)
            try:
                made = to_pdf(document, Path(tmp), timeout)
            finally:
                if saved is None:
                    os.environ.pop("FONTCONFIG_FILE", None)
                else:
                    os.environ["FONTCONFIG_FILE"] = saved
            pdf = out / f"{document.stem}.pdf"
            shutil.move(str(made), pdf)
    total = page_count(pdf)
    wanted = sorted({(p if p > 0 else total + 1 + p) for p in pages}) if pages else list(range(1, total + 1))
    result = []
    for number in wanted:
        if not 1 <= number <= total:
            continue
        prefix = out / f"{document.stem}-{number:02d}"
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(number), "-l", str(number),
                        "-singlefile", str(pdf), str(prefix)], check=True, timeout=timeout)
        result.append(prefix.with_suffix(".png"))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("document", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="folder for the PNGs (default: beside the file)")
    parser.add_argument("--dpi", type=int, default=60)
    parser.add_argument("--pages", default="", help="e.g. 1,2,-1 (default: all pages)")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    pages = [int(p) for p in args.pages.split(",") if p.strip()] or None
    out = args.out or args.document.parent / f"{args.document.stem}-png"
    for png in render(args.document, out, dpi=args.dpi, pages=pages, timeout=args.timeout):
        print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
