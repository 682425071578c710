"""pydantic's settings models (library rows ``SETTINGS_BASES``): a field the code does not give is
read from the environment variable of its name, upper case, after the class's ``env_prefix`` (or
the one its ``validation_alias`` names), else it takes its default. So a setting that names a
table or a function is the name the infrastructure gives that variable (model/records.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.values import ClassV, ConstV, EnvV, Val, one_of

if TYPE_CHECKING:
    from dynolint.model.interp import Machine


def env_prefix(machine: Machine, cls: ClassV) -> str | None:
    """The ``env_prefix`` of a pydantic settings model (``model_config = SettingsConfigDict(
    env_prefix="APP_")``, a dict, or pydantic 1's inner ``class Config``), "" when it gives
    none; None: ``cls`` is no settings model."""
    if not machine.derives(cls, "settings"):
        return None
    for klass in (machine.project.classes.get((cls.path, cls.qualname)),
                  machine.project.classes.get((cls.path, f"{cls.qualname}.Config"))):
        for stmt in klass.body if klass is not None else ():
            if not isinstance(stmt, ir.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ir.Name):
                continue
            given: list[tuple[str | None, ir.Expr]] = []
            if stmt.targets[0].id == "env_prefix":
                given = [("env_prefix", stmt.value)]
            elif stmt.targets[0].id == "model_config" and isinstance(stmt.value, ir.Call):
                given = list(stmt.value.kwargs)
            elif stmt.targets[0].id == "model_config" and isinstance(stmt.value, ir.DictE):
                given = [(k.value if isinstance(k, ir.Const) and isinstance(k.value, str) else None, v)
                         for k, v in stmt.value.items if k is not None]
            for key, value in given:
                if key == "env_prefix" and isinstance(value, ir.Const) and isinstance(value.value, str):
                    return value.value
    return ""


def setting(prefix: str, name: str, default: ir.Expr | None, value: Val | None) -> Val:
    """The field ``name`` of a settings model with ``env_prefix`` ``prefix``, declared with
    ``default`` (its value ``value``): its environment variable (any of the ones
    ``validation_alias=AliasChoices(...)`` names), else that value."""
    choices = [choice for kw, alias in (default.kwargs if isinstance(default, ir.Call) else ())
               if kw == "validation_alias" and isinstance(alias, ir.Call) and ir.last_name(alias.func) == "AliasChoices"
               for choice in (a.value for a in alias.args if isinstance(a, ir.Const)) if isinstance(choice, str)]
    names = choices or [field_alias(default, "validation_alias") or f"{prefix}{name}".upper()]
    return one_of([EnvV(ConstV(variable), value) for variable in names])


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


def django_settings_file(path: str) -> bool:
    """Is ``path`` a Django settings module (``settings.py``, a module of a ``settings`` package)?"""
    return path.endswith("settings.py") or "/settings/" in f"/{path}"


def django_setting(machine: Machine, name: str) -> Val | None:
    """``django.conf.settings.NAME``: what the project's settings modules bind to NAME at import
    (each module named ``settings``, or in a ``settings`` package, that binds it); None when none
    does."""
    found = [machine.module_attr(path, name) for path in sorted(machine.project.files)
             if django_settings_file(path) and name in machine.run_module(path)]
    return one_of(found) if found else None
