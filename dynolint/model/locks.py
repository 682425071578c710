"""Claims libraries take: a lock held on a name (python-dynamodb-lock's ``acquire_lock``, until
the lock is released or its ``with`` block ends) and the idempotency record that AWS Lambda
Powertools' ``@idempotent`` / ``@idempotent_function`` takes before the function's body runs
(``model/library_locks.py``: ``LOCK_METHODS``, ``CLAIM_DECORATORS``).

While a caller holds a claim on a name, no other caller gets past the same claim with an equal
name: the library's conditional write failed for it (it waits, or raises). A claim is kept on
the path as a ``WriteEvent`` of flavor "lock" whose key is the name; it covers a write of an item
whose key the name is determined by (``model/races.py``: ``lock_covers``): the name is made only
of the values of the item's key (a constant name is one lock for every item), so two callers
writing one item take one lock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.events import Guard, WriteEvent
from dynolint.model.library_locks import CLAIM_DECORATORS, LOCK_METHODS
from dynolint.model.mixin import Mixin
from dynolint.model.values import (
    NONE, UNKNOWN, CallV, ConstV, ExtV, Loc, SeqV, Val, alts, const_str, one_of,
)

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

LOCK_TABLE = ExtV("<library lock>")
LOCK_HANDLE = "<held lock>"


def lock_names(state: State) -> list[Val]:
    """The names of the library locks the path holds."""
    return [claim.key for claim in state.claims if claim.flavor == "lock" and claim.key is not None]


class LocksMixin(Mixin):
    def take_lock(self: Machine, name: Val, what: str, loc: Loc, state: State, frame: Frame) -> None:
        """The path holds a claim on ``name`` from here on."""
        claim = WriteEvent(loc, what, LOCK_TABLE, name, None, Guard("condition", what), (), False, False, "lock",
                           frame.chain, self.next_seq(), frame.info)
        state.claims = state.claims | {claim}

    def release_lock(self: Machine, handle: Val, state: State) -> None:
        """A lock ``handle`` (what taking it returned) is released: its claim no longer holds."""
        names = {alt.args[0] for alt in alts(handle) if type(alt) is CallV and alt.fn == LOCK_HANDLE and alt.args}
        if names:
            state.claims = frozenset(c for c in state.claims if not (c.flavor == "lock" and c.key in names))

    def lock_method(self: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val], loc: Loc,
                    state: State, frame: Frame) -> Val | None:
        """A lock client's method that takes a lock (``acquire_lock(key, sort_key)``: the path holds
        it; the result is a handle) or releases one (``release_lock(handle)``, ``handle.release()``)."""
        if name == "release" and not args:
            if any(type(alt) is CallV and alt.fn == LOCK_HANDLE for alt in alts(recv)):
                self.release_lock(recv, state)
                return NONE
            return None
        for alt in alts(recv):
            if type(alt) is not CallV or alt.recv is not None:
                continue
            spec = LOCK_METHODS.get(f"{alt.fn}.{name}")
            if spec is None:
                continue
            if spec.releases:
                self.release_lock(args[0] if args else kwargs.get(spec.names[0], UNKNOWN), state)
                return NONE
            parts = [args[i] if i < len(args) else kwargs.get(keyword, UNKNOWN if default is None else ConstV(default))
                     for i, (keyword, default) in enumerate(zip(spec.names, spec.defaults))]
            lock = parts[0] if len(parts) == 1 else SeqV("tuple", tuple(parts))
            self.summaries.effect()
            self.take_lock(lock, f"{alt.fn.rsplit('.', 1)[-1]}.{name}", loc, state, frame)
            return CallV(LOCK_HANDLE, None, (lock,))
        return None

    def decorator_claims(self: Machine, function: ir.Function, env: dict[str, Val], state: State,
                         frame: Frame) -> None:
        """A library decorator of ``function`` that claims the call's data before the body runs
        (Powertools ``@idempotent``: the event, or what ``event_key_jmespath`` selects of it)."""
        home = self.module_frame(frame.path)
        from dynolint.model.state import State as StateCls

        for decorator in function.decorators:
            if not isinstance(decorator, ir.Call):
                continue
            for alt in alts(self.peek(decorator.func, StateCls({}), home)):
                spec = CLAIM_DECORATORS.get(alt.path) if isinstance(alt, ExtV) else None
                if spec is None or not isinstance(alt, ExtV):
                    continue
                given = {k: self.eval(v, StateCls({}), home) for k, v in decorator.kwargs if k is not None}
                if spec.data_keyword is None:
                    params = [p.name for p in function.params if p.kind == "pos"]
                    data = env.get(params[0], UNKNOWN) if params else UNKNOWN
                else:
                    data = env.get(const_str(given.get(spec.data_keyword, UNKNOWN)) or "", UNKNOWN)
                paths = self.config_option(given.get(spec.config, UNKNOWN), spec.selects)
                if data is not UNKNOWN and paths is not None:
                    at = (frame.path, decorator.site)
                    chosen = [self.selected(data, path, at, state, frame) for path in paths]
                    self.take_lock(chosen[0] if len(chosen) == 1 else SeqV("tuple", tuple(chosen)),
                                   alt.path.rsplit(".", 1)[-1], (frame.path, function.site), state, frame)

    def config_option(self: Machine, config: Val, option: str) -> list[str] | None:
        """The dotted paths a configuration object selects the claimed data by: one (``""``: all
        of it), or several of a JMESPath multiselect (``"[workspace_id, spec.key]"``, ``"{w:
        workspace_id, k: key}"``); None: what the model cannot follow, such as a JMESPath function."""
        found = ""
        for alt in alts(config):
            if type(alt) is CallV and alt.recv is None:
                found = const_str(dict(alt.kwargs).get(option, ConstV(""))) or ""
        found = found.strip()
        multi = len(found) > 2 and (found[0], found[-1]) in (("[", "]"), ("{", "}"))
        paths = [part.split(":", 1)[-1].strip() if found[0] == "{" else part.strip()
                 for part in found[1:-1].split(",")] if multi else [found]
        if found and not all(path and all(p.isidentifier() for p in path.split(".")) for path in paths):
            return None
        return paths

    def selected(self: Machine, data: Val, path: str, loc: Loc, state: State, frame: Frame) -> Val:
        """What a dotted path selects of ``data`` (``"order.id"``: ``data["order"]["id"]``)."""
        value = data
        for part in path.split(".") if path else ():
            value = one_of([self.get_item(value, ConstV(part), loc, state, frame, quiet=True)])
        return value


__all__ = ["LOCK_HANDLE", "LOCK_TABLE", "LocksMixin", "lock_names"]
