"""A field with a format spec or a conversion writes other text than the value's own:
``f"{n:#x}"`` is ``0x2a`` where ``f"{n}"`` is ``42``, so the two name different items, while
every spelling of one field names the same item (``f"{n:06d}"``, ``"{:06d}".format(n)``,
``"%06d" % n``, ``format(n, "06d")``; ``f"{s!r}"`` and ``repr(s)``). The f-string lowering
used to drop the spec and the conversion (a false DYN101 of ``f"{n:#x}"`` against
``f"{n}"``, and no DYN101 of ``f"{n:06d}"`` against ``"%06d" % n``)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from dynolint.model.strings import _printf_field, formatted
from dynolint.model.values import CallV, ConstV, ParamV
from tests.conftest import findings_in, triples, write_project

HANDLER = '''import boto3

table = boto3.resource("dynamodb").Table("t")


def handler(event, context):
    n = int(event["n"])
    s = event["s"]
    old = table.get_item(Key={{"pk": {read}}})["Item"]
    table.put_item(Item={{"pk": {write}, "copied": old["v"]}})
'''

# the same text, spelled two ways: the put overwrites the item read
SAME = {
    "f-string vs format": ('f"{n:06d}"', '"{:06d}".format(n)'),
    "f-string vs percent": ('f"{n:06d}"', '"%06d" % n'),
    "format vs percent": ('"{:06d}".format(n)', '"%06d" % n'),
    "f-string vs format builtin": ('f"{n:06d}"', 'format(n, "06d")'),
    "same spec both sides": ('f"INV#{n:06d}"', 'f"INV#{n:06d}"'),
    "hex three ways": ('f"{n:x}"', '"%x" % n'),
    "alternate hex": ('f"{n:#x}"', '"{:#x}".format(n)'),
    "fixed point": ('f"{n:.2f}"', '"%.2f" % n'),
    "bare %f is six digits": ('"%f" % n', 'f"{n:.6f}"'),
    "repr conversion": ('f"{n!r}"', 'repr(n)'),
    "repr three ways": ('"%r" % (s,)', '"{!r}".format(s)'),
    "str conversion is the value": ('f"{s!s}"', 'str(s)'),
    "plain percent s": ('"%s" % s', 'f"{s}"'),
    "empty spec": ('f"{s:}"', '"{}".format(s)'),
    "padded text": ('f"{s!s:>8}"', '"%8s" % s'),
    "padded repr, text left-aligned": ('f"{s!r:<8}"', '"{!r:8}".format(s)'),
    "named percent field": ('"%(n)05d" % {"n": n}', 'f"{n:05d}"'),
    "spec inside a prefix": ('f"ORD#{n:06d}#X"', '"ORD#%06d#X" % n'),
    "constant formatted": ('f"{7:03d}"', '"007"'),
    "spec from a constant nested field": ('f"{n:{6}}"', 'f"{n:6}"'),
}

# other text: another item, the put races with nothing
DIFFERENT = {
    "hex vs plain": ('f"{n:#x}"', 'f"{n}"'),
    "repr vs plain": ('f"{s!r}"', 'f"{s}"'),
    "hex vs str": ('f"{n:#x}"', 'str(n)'),
    "hex vs format of nothing": ('f"{n:#x}"', '"{}".format(n)'),
    "padded vs unpadded": ('f"INV#{n:06d}"', 'f"INV#{n}"'),
    "zero padded vs space padded": ('f"{n:06d}"', 'f"{n:6d}"'),
    "format vs repr in format": ('"{}".format(s)', '"{!r}".format(s)'),
    "hex vs octal": ('"%x" % n', '"%o" % n'),
    "one printf template, other values": ('"%x" % n', '"%x" % len(s)'),  # (was read as the text "%x")
    "two precisions": ('f"{n:.2f}"', 'f"{n:.3f}"'),
    "str padded vs value padded": ('f"{n!s:05}"', 'f"{n:05}"'),
    "ascii vs repr": ('f"{s!a}"', 'f"{s!r}"'),
    "debug field writes its name": ('f"{n=}"', 'repr(n)'),
    "computed spec vs plain": ('f"{n:{s}}"', 'f"{n}"'),
    "computed spec vs constant spec": ('f"{n:{s}}"', 'f"{n:06d}"'),
}


def _codes(tmp_path: Path, read: str, write: str) -> set[str]:
    root = write_project(tmp_path, {"handler.py": HANDLER.format(read=read, write=write)})
    return {code for _, _, code in triples(findings_in(root))}


@pytest.mark.parametrize("name", sorted(SAME))
def test_one_field_spelled_two_ways_names_one_item(name: str, tmp_path: Path) -> None:
    assert _codes(tmp_path, *SAME[name]) == {"DYN101"}


@pytest.mark.parametrize("name", sorted(DIFFERENT))
def test_another_spec_or_conversion_names_another_item(name: str, tmp_path: Path) -> None:
    assert _codes(tmp_path, *DIFFERENT[name]) == set()


def test_a_key_helper_in_another_module_spells_the_spec_with_percent(tmp_path: Path) -> None:
    keys = ('def invoice_key(n):\n    return {"pk": "INV#%06d" % n}\n\n\n'
            'def legacy_key(n):\n    return {"pk": f"INV#{n}"}\n')
    handler = '''import boto3

from keys import invoice_key, legacy_key

table = boto3.resource("dynamodb").Table("t")


def void(event, context):
    n = int(event["n"])
    inv = table.get_item(Key=invoice_key(n))["Item"]
    table.put_item(Item={"pk": f"INV#{n:06d}", "total": inv["total"], "status": "VOID"})


def migrate(event, context):
    n = int(event["n"])
    inv = table.get_item(Key=invoice_key(n))["Item"]
    table.put_item(Item={**legacy_key(n), "total": inv["total"]})
'''
    root = write_project(tmp_path, {"keys.py": keys, "handler.py": handler})
    assert triples(findings_in(root)) == {("handler.py", 11, "DYN101")}


def test_a_field_keeps_its_spec_through_a_returned_value(tmp_path: Path) -> None:
    keys = 'def code(n):\n    return f"{n:#x}"\n'
    handler = '''import boto3

from keys import code

table = boto3.resource("dynamodb").Table("t")


def handler(event, context):
    n = int(event["n"])
    old = table.get_item(Key={"pk": code(n)})["Item"]
    table.put_item(Item={"pk": "{:#x}".format(n), "v": old["v"]})
    table.put_item(Item={"pk": "%d" % n, "v": old["v"]})
'''
    root = write_project(tmp_path, {"keys.py": keys, "handler.py": handler})
    assert triples(findings_in(root)) == {("handler.py", 11, "DYN101")}


# -- the value a field is ---------------------------------------------------------------

def test_a_plain_field_is_the_value_itself() -> None:
    n = ParamV("f", "n")
    assert formatted(n, None, "") is n and formatted(n, "s", "") is n and formatted(n, "", "d") is n


def test_a_spec_or_conversion_is_what_the_builtins_give() -> None:
    n = ParamV("f", "n")
    assert formatted(n, "", "06d") == CallV("format", None, (n, ConstV("06d")))
    assert formatted(n, "r", "") == CallV("repr", None, (n,))
    assert formatted(n, "s", ">5") == CallV("format", None, (CallV("str", None, (n,)), ConstV(">5")))
    assert formatted(ConstV(42), "", "#x") == ConstV("0x2a")


def test_a_printf_field_writes_what_its_spec_writes() -> None:
    checked = 0
    for kind, flags, width, precision in itertools.product(
            "diouxXeEfFgGsra", ["", "-", "0", "+", " ", "#", "-0", "+0", "#0", " 0"], ["", "1", "7"], [None, "", "3"]):
        field = _printf_field(flags, width, precision, kind)
        if field is None:
            continue  # no spec the model trusts: the template is left unknown
        conversion, spec = field
        template = "%" + flags + width + ("" if precision is None else "." + precision) + kind
        convert = {"s": str, "r": repr, "a": ascii}.get(conversion, lambda v: v)
        # ints and floats (and text for the conversions); a float under %d is cut by printf but
        # raises in a spec: no write follows that one, so the two are never both written
        for value in (0, 42, -7, 255, True, *((3.14159, -2.5, 1e20) if kind not in "diouxX" else ()),
                      *(("ab", "\u00e9") if kind in "sra" else ())):
            try:
                printed = template % (value,)
            except TypeError:
                continue
            assert format(convert(value), spec) == printed, (template, value, spec)
            checked += 1
    assert checked > 3000
