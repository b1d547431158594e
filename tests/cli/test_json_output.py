"""--json output: one document, written as ``json.dumps(…, ensure_ascii=False, indent=2)`` writes it (a lone
surrogate as its \\u escape), whichever encoder wrote it (cli/common.py ``json_document``: orjson, with json where
orjson refuses a value)."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lzdocs.cli.common import _json_default, json_document


def as_json_writes(data) -> str:
    """As json writes it — a lone surrogate as its \\u escape, which reads back as it (raw, no console could print
    the document: UnicodeEncodeError)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# Any character, lone surrogates too (a file name that is not UTF-8 reaches the outcomes as one)
texts = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
days = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))
times = st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 12, 31))
# Floats in plain notation: orjson writes 1e-7 where json writes 1e-07 (the same number); none of lzdocs' outputs
# holds a float that small or that large
floats = st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x == 0 or 1e-4 <= abs(x) < 1e16)
scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) | floats | texts | days | times
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                      | st.dictionaries(texts | st.integers(-10, 10), inner, max_size=4), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(values)
def test_every_value_is_written_as_json_writes_it(value):
    assert json_document(value) == as_json_writes(value)


def test_an_ingest_report_is_written_as_json_writes_it():
    outcome = {"file": "inbox/单位0001.docx", "status": "accepted", "unit": "单位0001", "year": 2026,
               "filled_date": dt.date(2026, 11, 10), "rows": 20, "supersedes": None, "problems": [
                   {"severity": "hint", "row": 2, "seq": "1", "column": None, "value": None,
                    "message": "责任人“责任人1”不是具体人员的姓名，请填写责任人姓名"}], "registers": {2026: []}}
    document = json_document([outcome] * 3)
    assert document == as_json_writes([outcome] * 3)
    assert json.loads(document)[0]["filled_date"] == "2026-11-10"


def test_a_value_neither_knows_is_refused_as_json_refuses_it():
    @dataclass
    class Point:
        x: int

    for value in ({"point": Point(1)}, {1, 2}, {"at": dt.time(9, 0)}):
        with pytest.raises(TypeError):
            as_json_writes(value)
        with pytest.raises(TypeError):
            json_document(value)


def test_a_name_that_is_not_utf8_is_written_as_its_escape_and_read_back_as_it():
    name = os.fsdecode("恢复".encode("gbk"))  # a folder named in GBK bytes: lone surrogates
    document = json_document({"root": f"/srv/{name}"})
    document.encode("utf-8")  # printable on any UTF-8 console
    assert json.loads(document) == {"root": f"/srv/{name}"}
