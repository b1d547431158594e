"""“同上”: a blank 岗位 under a filled one (not merged) is the post of the row above (docs/product.md §3)."""

from __future__ import annotations

from lzdocs.errors import Problem, error, warning
from lzdocs.forms.records import RawForm, RawRow
from lzdocs.textutil import squeeze

DITTO = frozenset(("同上", "同上行", "〃", "同前"))  # what clerks write for “the same as the row above”


def fill_down(form: RawForm, rows: list[RawRow], problems: list[Problem], *, allowed: bool) -> list[RawRow]:
    """``rows`` with each blank (or “同上”) cell of a field marked ``same_as_above`` given the text of the row
    above, with a warning; an error instead when the office does not allow it (``allowed`` false)."""
    fields = [f for f in form.kind.fields if f.same_as_above]
    if not fields:
        return rows
    above: dict[str, str] = {}
    out = []
    for row in rows:
        values = dict(row.values)
        for f in fields:
            text = (values.get(f.key) or "").strip()
            if text and squeeze(text) not in DITTO:
                above[f.key] = text
                continue
            values[f.key] = above.get(f.key, "")
            if not values[f.key]:
                continue  # nothing above: the check says the cell is missing
            column, said = form.columns.get(f.key, f.label), f"“{f.label}”{'写的是“同上”' if text else '为空'}"
            if allowed:
                problems.append(warning(f"{said}，已沿用上一行的“{above[f.key]}”；如果不是同一个，请补填后重新报送",
                                        row=row.number, column=column, value=text))
            else:
                problems.append(error(f"{said}：本次报送要求每行都填写{f.label}，请补填（上一行是“{above[f.key]}”）后重新报送",
                                      row=row.number, column=column, value=text))
        out.append(RawRow(row.number, values))
    return out
