"""Strings built from values, spelled the ways Python spells them: ``str.format``,
``%``-formatting, ``str.join`` and ``string.Template`` give the same parts as an f-string or
``+`` of the same values, so keys built either way compare equal. Each function returns the
parts in order (constants and values), or None when the template is not a constant the
model can read exactly.

A field with a conversion or a format spec writes other text than the value's own
(``{n:#x}`` is ``0x2a``, never ``42``): it is :func:`formatted`, the value ``format(x, spec)``
or ``repr(x)`` (what those builtins give, so every spelling of the same field is one value:
an f-string's ``{n:06d}``, ``"{:06d}".format(n)``, ``"%06d" % n``, ``format(n, "06d")``)."""

from __future__ import annotations

import re
import string
from typing import Callable

from dynolint.model.values import CallV, ConstV, DictV, OpaqueV, SeqV, StrV, Val, const_str

_FORMATTER = string.Formatter()
# a printf field: mapping key, flags, width, precision, length modifier (ignored by Python), type;
# a ``%`` this does not match raises at run time (or takes ``*`` arguments): the model gives up
_PERCENT = re.compile(r"%(?:\((\w+)\))?([-#0 +]*)(\d*)(?:\.(\d*))?[hlL]?([diouxXeEfFgGcrsa%])|%")
_CONVERSIONS = {"r": "repr", "a": "ascii"}
_CONVERTED_BY = {"repr": "r", "ascii": "a", "str": "s"}
# for an int, the type both spellings take, ``d`` writes what ``str`` writes (and ``%d`` was
# always read as the plain value): kept plain, so ``{n:d}`` and ``%d`` stay equal to ``{n}``
_PLAIN_SPECS = frozenset({"", "d"})
_TEMPLATE = re.compile(r"\$(?:(\$)|(\w+)|\{(\w+)\})")


def formatted(value: Val, conversion: str | None, spec: str) -> Val:
    """The text of ``format(value!conversion, spec)``: a constant where the value is one, else
    ``repr(x)``/``ascii(x)`` for the conversion and ``format(x, spec)`` for a spec. ``!s`` is
    str(x), the plain value, unless a spec follows (``{x!s:>5}`` pads the text, which for an
    int is not what ``{x:>5}`` writes: ``format(str(x), ">5")``)."""
    if conversion in (None, "", "s") and spec in _PLAIN_SPECS:
        return value  # (a constant too: as an f-string's plain field has always been)
    if conversion in _CONVERSIONS or conversion == "s":
        spec = spec[1:] if spec[:1] == "<" and spec[1:2] not in ("<", ">", "=", "^") else spec  # text's default
    if isinstance(value, ConstV) and isinstance(value.value, (str, int, float, bool)) or value == ConstV(None):
        try:
            shown = value.value if conversion in (None, "", "s") else \
                repr(value.value) if conversion == "r" else ascii(value.value)
            return ConstV(format(shown, spec))
        except (TypeError, ValueError):
            pass
    if conversion in _CONVERSIONS:
        value = CallV(_CONVERSIONS[conversion], None, (value,))
    elif conversion == "s" and spec not in _PLAIN_SPECS:
        value = CallV("str", None, (value,))
    if spec in _PLAIN_SPECS:
        return value
    return CallV("format", None, (value, ConstV(spec)))


def field_value(value: Val, conversion: str, spec: Val, path: str) -> Val:
    """An f-string's field with a conversion or a spec. A spec its nested fields compute
    (``{n:{width}}``) is read where it comes out constant; else the text is unknown: opaque, of
    the value and the spec, which :meth:`TaintIndex.equal` never takes as equal to a key."""
    text = const_str(spec)
    if text is not None:
        return formatted(value, conversion, text)
    return OpaqueV((path, -4), (value, spec))


def formatted_call(value: CallV, canon: Callable[[Val], Val]) -> Val | None:
    """``format(x, spec)``, ``repr(x)``, ``ascii(x)`` as the builtins' calls give them, in the
    form :func:`formatted` gives a field (``format(n, "d")`` is ``n``, ``format(str(x), ">5")``
    a field ``{x!s:>5}``), ``x`` in the form ``canon`` gives it; None for any other call."""
    if value.recv is not None or value.kwargs:
        return None
    if value.fn in _CONVERSIONS.values() and len(value.args) == 1:
        return CallV(value.fn, None, (canon(value.args[0]),))
    if value.fn != "format" or len(value.args) != 2 or (spec := const_str(value.args[1])) is None:
        return None
    inner, conversion = value.args[0], ""
    if isinstance(inner, CallV) and inner.recv is None and not inner.kwargs and len(inner.args) == 1 \
            and inner.fn in _CONVERTED_BY:
        conversion = _CONVERTED_BY[inner.fn]
        inner = inner.args[0]
    return formatted(canon(inner), conversion, spec)


def format_parts(template: Val, args: list[Val], kwargs: dict[str, Val]) -> list[Val] | None:
    """``template.format(*args, **kwargs)``."""
    text = const_str(template)
    if text is None:
        return None
    parts: list[Val] = []
    auto = 0
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError:
        return None
    for literal, field, spec, conversion in parsed:
        if literal:
            parts.append(ConstV(literal))
        if field is None:
            continue
        spec = spec or ""  # (a field always has one, "" where none is written)
        if "{" in spec:
            return None  # a spec computed from other arguments (``{:{width}}``)
        if field == "":
            index: int | str = auto
            auto += 1
        elif field.isdigit():
            index = int(field)
        elif field.isidentifier():
            index = field
        else:
            return None  # attribute or item access inside the field
        if isinstance(index, int):
            if index >= len(args):
                return None
            value = args[index]
        elif index in kwargs:
            value = kwargs[index]
        else:
            return None
        parts.append(formatted(value, conversion, spec) if spec or conversion else value)
    return parts


def percent_parts(template: Val, values: Val) -> list[Val] | None:
    """``template % values`` with ``%s``/``%d`` and ``%(name)s`` fields."""
    text = const_str(template)
    if text is None:
        return None
    if isinstance(values, SeqV) and values.kind == "tuple":
        positional = list(values.elts)
    else:
        positional = [values]
    named = {const_str(k): v for k, v in values.items} if isinstance(values, DictV) else {}
    parts: list[Val] = []
    position = 0
    last = 0
    for match in _PERCENT.finditer(text):
        if match.start() > last:
            parts.append(ConstV(text[last:match.start()]))
        last = match.end()
        name, flags, width, precision, kind = match.groups()
        if kind == "%" and not (name or flags or width or precision is not None):
            parts.append(ConstV("%"))
            continue
        field = _printf_field(flags, width, precision, kind) if kind else None
        if field is None:
            return None
        if name is not None:
            if name not in named:
                return None
            value = named[name]
        else:
            if position >= len(positional):
                return None
            value = positional[position]
            position += 1
        parts.append(formatted(value, *field))
    if last < len(text):
        parts.append(ConstV(text[last:]))
    return parts


def _printf_field(flags: str, width: str, precision: str | None, kind: str) -> tuple[str, str] | None:
    """The conversion and format spec a printf field writes the same text as, or None where
    there is none the model trusts (``%c``, ``%.3d``, ``%%`` with flags). ``%s``/``%r``/``%a``
    convert and pad the text (right-aligned unless ``-``); the numbers take the flags as a
    spec does; ``%e``/``%f``/``%g`` give 6 digits where no precision is given, which is what
    they write for a float and (unlike a bare ``{:f}``) also for a Decimal."""
    if kind in "sra":
        align = ("<" if "-" in flags else ">") if width else ""
        prec = f".{precision or 0}" if precision is not None else ""
        return kind, align + width + prec
    if kind in "c%":
        return None
    if kind in "diouxX":
        if precision is not None:
            return None  # printf's minimum digits: a spec takes no precision for an integer
        kind = "d" if kind in "iu" else kind
        prec = ""
    else:
        prec = f".{precision or 0}" if precision is not None else ".6"
    align = "<" if "-" in flags and width else ""
    sign = "+" if "+" in flags else " " if " " in flags else ""
    alternate = "#" if "#" in flags and kind in "oxXeEfFgG" else ""
    zero = "0" if "0" in flags and "-" not in flags else ""
    return "", align + sign + alternate + zero + width + prec + kind


def join_parts(separator: Val, iterable: Val) -> list[Val] | None:
    """``separator.join([a, b, ...])`` over a list or tuple whose elements are known."""
    if const_str(separator) is None or not isinstance(iterable, SeqV) or iterable.kind not in ("list", "tuple"):
        return None
    parts: list[Val] = []
    for index, element in enumerate(iterable.elts):
        if index:
            parts.append(separator)
        parts.append(element)
    return parts


def template_parts(template: Val, mapping: dict[str, Val]) -> list[Val] | None:
    """``string.Template(template).substitute(**mapping)``."""
    text = const_str(template)
    if text is None:
        return None
    parts: list[Val] = []
    last = 0
    for match in _TEMPLATE.finditer(text):
        if match.start() > last:
            parts.append(ConstV(text[last:match.start()]))
        last = match.end()
        escaped, name, braced = match.groups()
        if escaped:
            parts.append(ConstV("$"))
            continue
        key = name or braced
        if key not in mapping:
            return None
        parts.append(mapping[key])
    if last < len(text):
        parts.append(ConstV(text[last:]))
    return parts


def concat_parts(parts: list[Val]) -> Val:
    """Strings joined: adjacent constants merged, empty ones dropped; one part is itself."""
    flat: list[Val] = []
    for part in parts:
        if isinstance(part, StrV):
            flat.extend(part.parts)
        else:
            flat.append(part)
    merged: list[Val] = []
    for part in flat:
        if merged and const_str(part) is not None and const_str(merged[-1]) is not None:
            merged[-1] = ConstV(const_str(merged[-1]) + const_str(part))  # type: ignore[operator]
        elif const_str(part) == "":
            continue
        else:
            merged.append(part)
    if len(merged) == 1:
        return merged[0]
    return StrV(tuple(merged))
