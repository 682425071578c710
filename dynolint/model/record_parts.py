"""What a record is made of, as its library reads it: the name a field has in the data (a
pydantic alias), and what JSON text it is validated from decodes to."""

from __future__ import annotations

from dynolint.phase1 import ir
from dynolint.model.library import JSON_ENCODERS
from dynolint.model.values import CallV, ClaimsV, EventV, Val, alts, one_of


def field_alias(default: ir.Expr | None, direction: str) -> str | None:
    """The name a model field has in the data (pydantic's ``pk: str = Field(alias="PK")``; a
    ``validation_alias`` or ``serialization_alias`` for that ``direction`` only), if it is given
    as a literal."""
    if not isinstance(default, ir.Call):
        return None
    given = {name: value for name, value in default.kwargs if name in ("alias", direction)}
    for name in (direction, "alias"):
        value = given.get(name)
        if isinstance(value, ir.Const) and isinstance(value.value, str):
            return value.value
    return None


def decoded(text: Val) -> Val | None:
    """What JSON text decodes to, where the model knows: the request (or claims) it is part of,
    the value ``json.dumps`` encoded; None otherwise."""
    found: list[Val] = []
    for alt in alts(text):
        if isinstance(alt, (EventV, ClaimsV)):
            found.append(alt)
        elif isinstance(alt, CallV) and alt.recv is None and alt.fn in JSON_ENCODERS and alt.args:
            found.append(alt.args[0])
        else:
            return None
    return one_of(found) if found else None
