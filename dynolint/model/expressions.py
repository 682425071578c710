"""Small parsers for the DynamoDB expression languages the model needs to look into:
update expressions (which actions are atomic) and PartiQL statements (table, key, guard)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CLAUSE = re.compile(r"\b(SET|ADD|REMOVE|DELETE)\b", re.IGNORECASE)
_TOKEN_PATH = re.compile(r"[#A-Za-z_][\w#.\[\]]*")
_PLACEHOLDER = re.compile(r":[A-Za-z0-9_]+")


@dataclass(frozen=True, slots=True)
class UpdateAction:
    clause: str  # "SET" | "ADD" | "REMOVE" | "DELETE"
    path: str  # the attribute path as written (placeholders resolved when names are known)
    expression: str  # right-hand side for SET, operand for ADD/DELETE
    atomic: bool  # independent of the value the caller read
    placeholders: tuple[str, ...]


def _split_top(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if "".join(current).strip():
        parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _resolve(path: str, names: dict[str, str]) -> str:
    return re.sub(r"#[A-Za-z0-9_]+", lambda m: names.get(m.group(0), m.group(0)), path.strip())


def parse_update(expression: str, names: dict[str, str] | None = None) -> list[UpdateAction] | None:
    """Actions of an update expression, or None when it cannot be parsed."""
    names = names or {}
    pieces = _CLAUSE.split(expression)
    if len(pieces) < 3 or pieces[0].strip():
        return None
    actions: list[UpdateAction] = []
    for index in range(1, len(pieces) - 1, 2):
        clause = pieces[index].upper()
        for item in _split_top(pieces[index + 1]):
            placeholders = tuple(_PLACEHOLDER.findall(item))
            if clause == "SET":
                if "=" not in item:
                    return None
                left, right = item.split("=", 1)
                path = _resolve(left, names)
                rhs_paths = {_resolve(p, names) for p in _TOKEN_PATH.findall(re.sub(r":[A-Za-z0-9_]+", "", right))
                             if p.lower() not in ("if_not_exists", "list_append", "size")}
                atomic = path in rhs_paths
                actions.append(UpdateAction(clause, path, right.strip(), atomic, placeholders))
            elif clause == "REMOVE":
                actions.append(UpdateAction(clause, _resolve(item, names), "", True, ()))
            else:
                tokens = item.split(None, 1)
                path = _resolve(tokens[0], names) if tokens else ""
                operand = tokens[1] if len(tokens) > 1 else ""
                actions.append(UpdateAction(clause, path, operand, True, placeholders))
    return actions


@dataclass(frozen=True, slots=True)
class PartiQL:
    verb: str  # SELECT | INSERT | UPDATE | DELETE
    table: str
    where: tuple[tuple[str, str], ...]  # (attribute, "?n" parameter index or literal)
    set_params: tuple[int, ...]  # indexes of parameters used in SET (UPDATE)
    predicates: int  # number of predicates in WHERE (equality or not)
    # an UPDATE whose SET computes an attribute from itself (``views = views + ?``,
    # ``tags = list_append(tags, ?)``, ``s = set_add(s, ?)``): atomic, as in an UpdateExpression
    atomic: bool = False


_VERB = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_TABLE = {
    "SELECT": re.compile(r"\bFROM\s+(\"[^\"]+\"|[\w.-]+)", re.IGNORECASE),
    "DELETE": re.compile(r"\bFROM\s+(\"[^\"]+\"|[\w.-]+)", re.IGNORECASE),
    "UPDATE": re.compile(r"^\s*UPDATE\s+(\"[^\"]+\"|[\w.-]+)", re.IGNORECASE),
    "INSERT": re.compile(r"\bINTO\s+(\"[^\"]+\"|[\w.-]+)", re.IGNORECASE),
}
_PREDICATE = re.compile(r"(\"[^\"]+\"|[A-Za-z_][\w]*)\s*=\s*(\?|'[^']*'|-?\d+(?:\.\d+)?)")


def parse_partiql(statement: str) -> PartiQL | None:
    verb_match = _VERB.match(statement)
    if not verb_match:
        return None
    verb = verb_match.group(1).upper()
    table_match = _TABLE[verb].search(statement)
    if not table_match:
        return None
    table = table_match.group(1).strip('"')
    upper = statement.upper()
    where_at = upper.find(" WHERE ")
    before = statement[:where_at] if where_at >= 0 else statement
    question_marks_before = before.count("?")
    where: list[tuple[str, str]] = []
    predicates = 0
    if where_at >= 0:
        clause = statement[where_at + 7:]
        predicates = len(re.split(r"\bAND\b", clause, flags=re.IGNORECASE))
        counter = question_marks_before
        position = 0
        for match in _PREDICATE.finditer(clause):
            counter += clause[position:match.start()].count("?")
            value = match.group(2)
            if value == "?":
                where.append((match.group(1).strip('"'), f"?{counter}"))
                counter += 1
            else:
                where.append((match.group(1).strip('"'), value))
            position = match.end()
    set_params = tuple(range(question_marks_before)) if verb == "UPDATE" else ()
    return PartiQL(verb, table, tuple(where), set_params, predicates, verb == "UPDATE" and _self_computed(before))


def _self_computed(update: str) -> bool:
    """Does a PartiQL UPDATE's SET clause compute an attribute from its own value?"""
    at = re.search(r"\bSET\b", update, flags=re.IGNORECASE)
    if at is None:
        return False
    for assignment in _split_top(update[at.end():]):
        name, equals, value = assignment.partition("=")
        attribute = name.strip().strip('"')
        if equals and attribute and re.search(rf'(?<![\w"])"?{re.escape(attribute)}"?(?![\w"])', value):
            return True
    return False
