"""Strings built from values, spelled the ways Python spells them: ``str.format``,
``%``-formatting, ``str.join`` and ``string.Template`` give the same parts as an f-string or
``+`` of the same values, so keys built either way compare equal. Each function returns the
parts in order (constants and values), or None when the template is not a constant the
model can read exactly (a format spec or conversion changes the text: left unknown)."""

from __future__ import annotations

import re
import string

from dynolint.model.values import ConstV, DictV, SeqV, StrV, Val, const_str

_FORMATTER = string.Formatter()
_PERCENT = re.compile(r"%(?:\((\w+)\))?([-#0 +]*\d*(?:\.\d+)?)([sdrfi%])")
_TEMPLATE = re.compile(r"\$(?:(\$)|(\w+)|\{(\w+)\})")


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
        if spec or conversion not in (None, "s"):
            return None
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
            parts.append(args[index])
        elif index in kwargs:
            parts.append(kwargs[index])
        else:
            return None
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
        name, flags, kind = match.groups()
        if kind == "%":
            parts.append(ConstV("%"))
            continue
        if flags or kind not in "sd":
            return None
        if name is not None:
            if name not in named:
                return None
            parts.append(named[name])
        else:
            if position >= len(positional):
                return None
            parts.append(positional[position])
            position += 1
    if last < len(text):
        parts.append(ConstV(text[last:]))
    return parts


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
