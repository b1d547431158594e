"""The Jinja environment every template renders in: sandboxed, autoescaped, strict about missing values, bounded."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jinja2
from jinja2.compiler import CodeGenerator
from jinja2.filters import do_format
from jinja2.sandbox import SandboxedEnvironment, SecurityError

# A template is a file anyone with write access to templates/ can change: it may not run code (the sandbox
# refuses attributes such as __globals__) nor exhaust memory. A value made while rendering (a string, a list
# counted with the strings in it, a {% set %} block, a macro's output) is at most MAX_VALUE characters; an
# operation whose inputs could multiply into more (a text times a number, centred in a field a billion wide,
# every character replaced by a long text) is refused before it runs; a rendered part is at most MAX_PART
# characters. A letter is a few thousand characters.
MAX_VALUE = 4_000_000
MAX_ESTIMATE = 16_000_000
MAX_PART = 32 * 2**20
MAX_INT_BITS = 100_000
_SIZED = (str, bytes, list, tuple, dict, set, frozenset)


class TooLargeError(SecurityError):
    """A value or a part that a template would make bigger than the limits allow."""

    def __init__(self, what: str, size: int | None = None):
        super().__init__(f"{what} too large" + (f" ({size} characters)" if size is not None else ""))
        self.what = what


class _BoundedConcat(CodeGenerator):
    """Compiles ``a ~ b`` so that its result is checked: doubling a string in a loop stops at the limit."""

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.checked(")
        super().visit_Concat(node, frame)
        self.write(")")


class TemplateSandbox(SandboxedEnvironment):
    """Jinja's sandbox with autoescape and StrictUndefined, and bounds on every value a template makes."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BoundedConcat

    def __init__(self) -> None:
        super().__init__(autoescape=True, undefined=jinja2.StrictUndefined)
        self.globals.pop("lipsum", None)  # lorem ipsum of any length; no 公文 needs it
        self.filters = {name: _bounded_filter(func) for name, func in self.filters.items()}

    @staticmethod
    def concat(pieces: Iterable[str]) -> str:
        """Jinja joins every buffer with this ({% set %} and {% filter %} blocks, macros): bounded."""
        return bounded_join(pieces, MAX_VALUE)

    def checked(self, value: Any) -> Any:
        """Called by compiled templates on the result of ``~``."""
        return checked(value)

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return checked(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args: Any, **kwargs: Any) -> Any:
        original = getattr(__obj, "__wrapped__", __obj)  # the sandbox hands out str.format wrapped
        if getattr(original, "__name__", "") in ("format", "format_map") and isinstance(
                getattr(original, "__self__", None), str):
            _check_format(original.__self__, [*args, *kwargs.values()])
        args, kwargs = _bounded_inputs(args, kwargs)
        return checked(super().call(__context, __obj, *args, **kwargs))


def render_bounded(template: jinja2.Template, context: dict, limit: int = MAX_PART) -> str:
    """Render ``template`` piece by piece, refusing output longer than ``limit`` characters."""
    return bounded_join(template.generate(context), limit, "rendered part")


def bounded_join(pieces: Iterable[str], limit: int, what: str = "value") -> str:
    collected: list[str] = []
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > limit:
            raise TooLargeError(what)
        collected.append(piece)
    return "".join(collected)


def checked(value: Any) -> Any:
    """``value``, or TooLargeError when it holds more than MAX_VALUE characters (or is an absurdly long number)."""
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise TooLargeError("number")
    if isinstance(value, _SIZED) and _weight(value, MAX_VALUE) > MAX_VALUE:
        raise TooLargeError("value")
    return value


def _bounded_filter(func: Callable) -> Callable:
    """A filter whose inputs and result are checked (filters are called directly, not through ``call``)."""

    @functools.wraps(func)  # keeps jinja_pass_arg, so Jinja passes the context as before
    def bounded(*args: Any, **kwargs: Any) -> Any:
        if func is do_format and args and isinstance(args[0], str):
            _check_format(args[0], [*args[1:], *kwargs.values()])
        args, kwargs = _bounded_inputs(args, kwargs)
        return checked(func(*args, **kwargs))

    return bounded


def _bounded_inputs(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """The inputs of a call, generators made lists (within the limit); refused when the result could be the
    product of two large inputs (a text and a width, a text and its replacement) or the inputs are too large."""
    args = tuple(_listed(a) for a in args)
    kwargs = {k: _listed(v) for k, v in kwargs.items()}
    sizes = sorted((abs(v) if isinstance(v, int) and not isinstance(v, bool) else _weight(v, MAX_ESTIMATE)
                    for v in (*args, *kwargs.values())), reverse=True) + [1, 1]
    if sizes[0] > MAX_ESTIMATE or sizes[0] * max(1, sizes[1]) > MAX_ESTIMATE:
        raise TooLargeError("result")
    return args, kwargs


def _listed(value: Any) -> Any:
    """A generator (``range(…)|map(…)``) read into a list, counting as it goes; other values as they are."""
    if not isinstance(value, Iterator) or isinstance(value, _SIZED):
        return value
    items: list = []
    size = 0
    for item in value:
        size += 1 + _weight(item, MAX_ESTIMATE)
        if size > MAX_ESTIMATE:
            raise TooLargeError("sequence")
        items.append(item)
    return items


def _weight(value: Any, budget: int) -> int:
    """Characters ``value`` could print as: its strings and items, through nested collections; counting stops
    once past ``budget`` (so a list that contains itself ends too)."""
    total, todo = 0, [value]
    while todo and total <= budget:
        item = todo.pop()
        if isinstance(item, (str, bytes, range)):
            total += len(item)
        elif isinstance(item, _SIZED):
            items = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            total += len(item)
            todo.extend(x for x in items if isinstance(x, _SIZED))
    return total


_NUMBER = re.compile(r"\d+")


def _check_format(fmt: str, args: list[Any]) -> None:
    """A formatted text is at most the format, its widths and its arguments long: refuse when that is too much."""
    widths = _NUMBER.findall(fmt)
    if any(len(w) > 7 for w in widths):
        raise TooLargeError("format width")
    star = max((abs(a) for a in args if isinstance(a, int)), default=0) if "*" in fmt else 0
    estimate = len(fmt) + sum(map(int, widths)) + star + sum(_weight(a, MAX_VALUE) for a in args)
    if estimate > MAX_VALUE:
        raise TooLargeError("formatted text", estimate)


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``*``, ``**``, ``+`` and ``%`` whose result would be too large, before computing it."""
    if operator == "*":
        count, seq = (left, right) if isinstance(left, int) else (right, left)
        if isinstance(count, int) and isinstance(seq, _SIZED) and _weight(seq, MAX_VALUE) * count > MAX_VALUE:
            raise TooLargeError("value")
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0 \
                and right * left.bit_length() > MAX_INT_BITS:
            raise TooLargeError("number")
    elif operator == "+":
        if isinstance(left, _SIZED) and isinstance(right, _SIZED) and (
                _weight(left, MAX_VALUE) + _weight(right, MAX_VALUE) > MAX_VALUE):
            raise TooLargeError("value")
    elif operator == "%" and isinstance(left, str):
        _check_format(left, list(right) if isinstance(right, tuple) else [right])
