"""Authorization the code does, as path facts.

A branch condition can establish facts that hold on one of its branches:

- ``"admin"``: the caller holds a platform-operator role (``is_system_admin(role)``,
  ``"SystemAdmin" in groups``, ``role == "saas_provider"``): the code acts on tenants as
  objects, under administrator authorization (control plane);
- ``"authorized"``: the access is authorized by the code: a tenant id compared with another
  tenant id that did not come from client input (``if tenant_id != caller_tenant: return
  403``), or an administrator check;
- ``"deploy-switch"``: the path went through a branch on deployment settings only
  (``if os.environ["IS_POOLED"] == "true": ... else: ...``): which credentials a call uses
  may differ between deployments (pooled and silo stacks), not between requests;
- ``"verified"``: a signature verification succeeded (``if not key.verify(msg, sig): return
  False``, ``jws.verify(token, keys, ...)``): claims read afterwards on the path are
  trusted.

Facts are "must" facts: they hold on a path only when every way to it established them
(``merge`` intersects them), and an early return on the failing branch leaves the other
branch's facts in force for the rest of the function.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.key_facts import is_tenant_id
from dynolint.model.event_fields import (
    INVOKER_FIELDS, REQUEST, REQUEST_FIELDS, norm_key, stored_image, tenant_trust,
)
from dynolint.model.library import DIGEST_COMPARES
from dynolint.model.mixin import Mixin
from dynolint.model.values import (
    NONE, ClaimsV, ClassV, ConstV, DictV, EventV, ExtV, FuncV, InstanceV, Loc, ModuleV, ParamV, TenantIdV, Val, alts, children, const_str,
)

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

ADMIN = "admin"
AUTHORIZED = "authorized"
VERIFIED = "verified"
DEPLOY_SWITCH = "deploy-switch"
TENANT_SLOT = "tenant-slot"  # a test compared a module global with the tenant id (a one-slot cache's owner)


def authorized(loc: Loc) -> str:
    """The fact that the client-given tenant id read at ``loc`` was compared with the caller's."""
    return f"{AUTHORIZED}@{loc[0]}:{loc[1]}"


# names of platform-operator roles and of the checks for them (not a tenant's own admin)
_ADMIN_NAME = re.compile(r"(system|saas|platform|super|global|root|operator)_?(admin|administrator|operator)|"
                         r"saas_?provider|control_?plane_?admin", re.IGNORECASE)
_VERIFY_CALL = re.compile(r"^(verify|verify_signature|verify_jwt|verify_token|verify_claims)$", re.IGNORECASE)
_NONE: frozenset[str] = frozenset()


def is_verify_call(expr: ir.Expr) -> bool:
    """A call that verifies a signature (raises or returns False when it fails)."""
    return isinstance(expr, ir.Call) and bool(_VERIFY_CALL.match(ir.last_name(expr.func) or ""))


def _admin_text(text: str | None) -> bool:
    return bool(text) and bool(_ADMIN_NAME.search(re.sub(r"[^A-Za-z_]", "_", text or "").replace("__", "_")))


def _definition(value: Val | None) -> bool:
    """Is a module name bound to a definition (a class, such as an enum whose member a test
    compares with, a module, a function) rather than to state a one-slot cache could hold?"""
    return value is not None and bool(alts(value)) and all(
        type(alt) in (ClassV, ModuleV, FuncV, ExtV) for alt in alts(value))


class AuthzMixin(Mixin):
    """Branch facts for the interpreter (mixed into Interpreter)."""

    def import_cell(self: Machine, name: str, frame: Frame) -> bool:
        """Is ``name`` a variable of a closure made at import that the function rebinds
        (``nonlocal owner``): state that lives as long as the module (model/assign.py)?"""
        return name in frame.nonlocals and frame.closure_id in self.import_closures

    def tenant_slot(self: Machine, test: ir.Expr, captured: dict[int, object], frame: Frame) -> bool:
        """Does ``test`` compare a module global (or a part of one) with the tenant id, as a
        one-slot cache does before it reuses what it holds (``_owner != tenant_id``)?"""
        if isinstance(test, ir.UnaryOp):
            return self.tenant_slot(test.operand, captured, frame)
        if isinstance(test, ir.BoolOp):
            return self.tenant_slot(test.left, captured, frame) or self.tenant_slot(test.right, captured, frame)
        found = captured.get(id(test))
        if not isinstance(test, ir.Compare) or test.ops[0] not in ("==", "!=", "is", "is not") \
                or not isinstance(found, tuple):
            return False
        for mine, other in ((test.left, found[1]), (test.comparators[0], found[0])):
            root = mine
            while isinstance(root, (ir.Sub, ir.Attr)):
                root = root.value
            shared = isinstance(root, ir.Name) and (self.is_global_name(root.id, frame) and not _definition(
                held := self.run_module(frame.path, own=True).get(root.id)) and not (
                    # (a setting, ``BURST = 50`` compared with ``len(_windows[tenant])``, never rebound; a
                    # one-slot cache's owner starts out as None)
                    root is mine and held is not None and _setting(held) and NONE not in alts(held)
                    and (frame.path, root.id) not in self.project.rebound_globals())
                or self.import_cell(root.id, frame) or (
                root is not mine and root.id == "self" and isinstance(frame.self_val, InstanceV)
                and frame.self_val.alloc in self.module_instances))  # ``self.owner`` of an instance made at import
            if shared and (isinstance(other, ParamV) or self.taint(other).tenants):
                return True  # the tenant id, or the parameter that brings it in (a helper analysed alone)
        return False

    def test_facts(self: Machine, test: ir.Expr, state: State, frame: Frame,
                   captured: dict[int, object] | None = None) -> tuple[frozenset[str], frozenset[str]]:
        """(facts when ``test`` is true, facts when it is false). ``captured``: the values the
        test's comparisons evaluated to (``eval_test``), else they are peeked at."""
        if isinstance(test, ir.UnaryOp) and test.op == "not":
            when_true, when_false = self.test_facts(test.operand, state, frame, captured)
            return when_false, when_true
        if isinstance(test, ir.BoolOp):
            left_true, left_false = self.test_facts(test.left, state, frame, captured)
            right_true, right_false = self.test_facts(test.right, state, frame, captured)
            if test.op == "and":
                return left_true | right_true, left_false & right_false
            return left_true & right_true, left_false | right_false
        if isinstance(test, ir.Compare) and len(test.ops) == 1:
            return self._compare_facts(test, state, frame, (captured or {}).get(id(test)))
        if isinstance(test, ir.Call):
            called = alts(self.peek(test.func, state, frame))
            if len(test.args) == 2 and not test.kwargs and any(
                    isinstance(f, ExtV) and f.path in DIGEST_COMPARES for f in called):
                # ``hmac.compare_digest(a, b)`` is ``a == b`` (in constant time)
                same = ir.Compare(test.args[0], ("==",), (test.args[1],))
                operands = (self.eval(test.args[0], state, frame), self.eval(test.args[1], state, frame))
                return self._compare_facts(same, state, frame, operands)
            if is_verify_call(test):
                return frozenset({VERIFIED}), _NONE
            if _admin_text(ir.last_name(test.func)):
                return frozenset({ADMIN, AUTHORIZED}), _NONE
            return _NONE, _NONE
        if isinstance(test, ir.Name) and test.id in frame.flag_facts:
            return frame.flag_facts[test.id]
        if isinstance(test, (ir.Name, ir.Attr)) and _admin_text(ir.last_name(test)):
            return frozenset({ADMIN, AUTHORIZED}), _NONE
        return _NONE, _NONE

    def owner_checks(self: Machine, test: ir.Expr, captured: dict[int, object], loc: Loc, frame: Frame) -> None:
        """A test that compares a tenant id with what data read holds (``if listing["promoter_id"] !=
        promoter_id: abort(404)``): the id decides whose data the caller may have, so it scopes
        access there as a key does (DYN204 asks where it came from)."""
        if isinstance(test, ir.UnaryOp) and test.op == "not":
            self.owner_checks(test.operand, captured, loc, frame)
        elif isinstance(test, ir.BoolOp):
            self.owner_checks(test.left, captured, loc, frame)
            self.owner_checks(test.right, captured, loc, frame)
        elif isinstance(test, ir.Compare) and len(test.ops) == 1 and test.ops[0] in ("==", "!=", "in", "not in"):
            operands = captured.get(id(test))
            if not isinstance(operands, tuple) or len(operands) != 2:
                return
            left, right = (self.taint(side) for side in operands)
            for tenant_side, data in ((operands[0], right), (operands[1], left)):
                if self.taint(tenant_side).tenants and not data.tenants and data.read_ids():
                    self.note_scoping(tenant_side, loc, frame, "owner check")

    def note_flag(self: Machine, target: ir.Expr, value: ir.Expr, state: State, frame: Frame) -> None:
        """``allowed = asked == claims["custom:tenant_id"]`` (or ``hmac.compare_digest(...)``): the
        name holds that test's outcome, and a later ``if not allowed:`` tests it."""
        if type(target) is not ir.Name:
            return
        name = target.id
        facts = self.test_facts(value, state, frame) if isinstance(value, (ir.Compare, ir.Call)) else (_NONE, _NONE)
        if facts[0] or facts[1]:  # (the assignment has just forgotten what the name held before)
            frame.flag_facts[name] = facts

    def _compare_facts(self: Machine, test: ir.Compare, state: State, frame: Frame,
                       operands: object = None) -> tuple[frozenset[str], frozenset[str]]:
        op, left_expr, right_expr = test.ops[0], test.left, test.comparators[0]
        positive = op in ("==", "is", "in")
        if op not in ("==", "!=", "is", "is not", "in", "not in"):
            return _NONE, _NONE
        # a role compared with (or looked up in) an operator role name, written out or held by a
        # constant (``PLATFORM_ADMIN_GROUP not in groups``, ``role == Role.SYSTEM_ADMIN``)
        for const_side in (left_expr, right_expr):
            if _admin_text(self.constant_text(const_side, state, frame)):
                return (frozenset({ADMIN, AUTHORIZED}), _NONE) if positive else (_NONE, frozenset({ADMIN, AUTHORIZED}))
        if isinstance(left_expr, ir.Call) and is_verify_call(left_expr) and isinstance(right_expr, ir.Const):
            succeeded = right_expr.value is True if positive else right_expr.value is False
            return (frozenset({VERIFIED}), _NONE) if succeeded else (_NONE, frozenset({VERIFIED}))
        if isinstance(operands, tuple) and len(operands) == 2:
            left, right = operands  # as the test evaluated them (calls too: ``tenant.strip()``)
        else:
            left, right = self.peek(left_expr, state, frame), self.peek(right_expr, state, frame)
        if op in ("in", "not in"):
            if not self._member_of_claims(left, right):
                return _NONE, _NONE
            return (frozenset({AUTHORIZED}), _NONE) if positive else (_NONE, frozenset({AUTHORIZED}))
        if isinstance(left, ConstV) or isinstance(right, ConstV) or const_str(left) is not None \
                or const_str(right) is not None:
            return _NONE, _NONE
        left_tenants = self.taint(left).tenants
        right_tenants = self.taint(right).tenants
        tenants = left_tenants | right_tenants
        if not tenants or left_tenants == right_tenants:
            return _NONE, _NONE
        if not any(t.trust != "untrusted" for t in tenants):
            return _NONE, _NONE
        # which of the ids the client gave this authorized (another one read beside it is not; a
        # comparison with something not read as a tenant id authorizes none of them)
        given = {authorized(t.loc) for t in tenants if t.trust == "untrusted"}
        facts = frozenset({AUTHORIZED}) | (given or {authorized(("", -1))})
        return (facts, _NONE) if positive else (_NONE, facts)

    def _member_of_claims(self: Machine, member: Val, container: Val) -> bool:
        """Is ``member in container`` a tenant id looked up among the tenants the caller's verified
        claims grant (``tenant_id in claims["custom:tenants"].split(",")``, ``... in
        claims["cognito:groups"]``): a user of several tenants authorized for this one?"""
        if not self.taint(member).tenants:
            return False
        return any(isinstance(alt, EventV) and alt.trusted and "authorizer" in alt.path  # the authorizer's
                   or isinstance(alt, ClaimsV) and alt.verified for alt in alts(container)) \
            or any(tenant.trust == "trusted" for tenant in self.taint(container).tenants)

    def constant_text(self: Machine, expr: ir.Expr, state: State, frame: Frame) -> str | None:
        """The string ``expr`` always is: a literal, or a name or attribute bound to one (a module
        constant, imported or not, a class attribute, an enum member's value)."""
        if isinstance(expr, ir.Const):
            return expr.value if isinstance(expr.value, str) else None
        if not isinstance(expr, (ir.Name, ir.Attr)):
            return None
        options = [const_str(alt) for alt in alts(self.peek(expr, state, frame))]
        return options[0] if options and options[0] is not None and len(set(options)) == 1 else None

    def deploy_switch(self: Machine, test: ir.Expr, state: State, frame: Frame) -> bool:
        """Does the condition depend only on deployment settings (environment variables,
        constants): a branch between deployments (pooled or silo), not between requests?"""
        leaves: list[ir.Expr] = []
        pending = [test]
        while pending:
            expr = pending.pop()
            if isinstance(expr, ir.BoolOp):
                pending += [expr.left, expr.right]
            elif isinstance(expr, ir.UnaryOp):
                pending.append(expr.operand)
            elif isinstance(expr, ir.Compare):
                pending += [expr.left, *expr.comparators]
            elif isinstance(expr, ir.Call) and isinstance(expr.func, ir.Attr) and not expr.args \
                    and expr.func.attr in ("lower", "upper", "strip", "casefold"):
                pending.append(expr.func.value)
            else:
                leaves.append(expr)
        found_setting = False
        for leaf in leaves:
            if isinstance(leaf, ir.Const):
                continue
            value = self.peek(leaf, state, frame)
            if not _setting(value):
                return False
            found_setting = True
        return found_setting

    # -- the invocation's event: its fields, and the tenant ids read from them -----------
    def event_child(self: Machine, base: EventV, key: str, loc: Loc, frame: Frame, quiet: bool) -> Val:
        segment = norm_key(key)
        if not base.path and 0 <= frame.root < len(self.roots):
            if segment in INVOKER_FIELDS:
                self.roots[frame.root].roles.add(INVOKER_FIELDS[segment])
            elif segment in REQUEST_FIELDS:
                self.roots[frame.root].roles.add(REQUEST)
        if "resourceproperties" in base.path or "oldresourceproperties" in base.path:
            # a CloudFormation custom resource's properties: deploy-time configuration
            return EventV(base.path + (segment,), True)
        if self.project.tenant_key(loc[0]).search(segment) and not stored_image(base.path):  # (a stream's image: stored data)
            trust, how = tenant_trust(base.path)
            return self.tenant_source(loc, trust, f"{how} ({key})", frame, quiet)
        if base.path and base.path[-1] == "claims" and "authorizer" in base.path:
            return EventV(base.path + (segment,), True)
        return EventV(base.path + (segment,), base.trusted)

    def stand_in(self: Machine, value: Val, other: Val, taken: ir.Expr, frame: Frame) -> Val:
        """``value`` (of the expression ``taken``) where the code takes it in place of the tenant
        id ``other`` is (``header or claims["tenant_id"]``): a field of the request, whatever its
        name, is then the tenant id, as trusted as the request part it comes from."""
        if type(value) is not EventV or value.trusted or len(value.path) < 2 \
                or not any(type(alt) is TenantIdV for alt in alts(other)):
            return value
        trust, how = tenant_trust(value.path)
        site = next((found for node in ir.walk(taken) if isinstance(found := getattr(node, "site", None), int)), None)
        if trust != "untrusted" or site is None:
            return value
        return self.tenant_source((frame.path, site), trust, f"{how} ({value.path[-1]})", frame, False)

    def claimed_tenant(self: Machine, claims: ClaimsV, name: str, loc: Loc, frame: Frame, quiet: bool) -> Val:
        """The tenant id a JWT's claim ``name`` holds, trusted as far as the token was verified."""
        trust = "trusted" if claims.verified else "untrusted"
        how = "verified JWT claims" if claims.verified else "a JWT decoded without verification"
        return self.tenant_source(loc, trust, f"{how} ({name})", frame, quiet)

    def tenant_source(self: Machine, loc: Loc, trust: str, how: str, frame: Frame, quiet: bool) -> Val:
        value = TenantIdV(loc, trust, how)
        known = self.source_facts.get(loc)
        self.summaries.effect()
        self.source_facts[loc] = self.path_facts if known is None else known & self.path_facts
        if not quiet:
            info = self.frames[frame.info]
            if value not in info.tenant_sources:
                info.tenant_sources += (value,)
            root = self.roots[frame.root]
            if value not in root.tenant_sources:
                root.tenant_sources.append(value)
        return value

    def cached_tenants(self: Machine, value: Val) -> frozenset[TenantIdV]:
        """The tenant ids the parts of ``value`` that are entries of module-level caches hold
        (``_branding[workspace]`` inside the text rendered with it)."""
        found: set[TenantIdV] = set()
        stack, looked = [value], 0
        while stack and looked < 256:
            part = stack.pop()
            looked += 1
            if part in self.cached_entries:
                found |= self.held_tenants(part)
            else:
                stack.extend(children(part))
        return frozenset(found)

    def authorizer_context(self: Machine, returns: list[Val], loc: Loc, frame: Frame) -> None:
        """An API Gateway Lambda authorizer's answer: the tenant ids it puts in its ``context``
        are what every function behind it takes as verified (``requestContext.authorizer``), so
        they scope access there (DYN204 asks where the authorizer took them)."""
        for value in returns:
            for alt in alts(value):
                if type(alt) is DictV:
                    for key, entry in alt.items:
                        if const_str(key) == "context":
                            self.note_scoping(entry, loc, frame, kind="authorizer-context")

    def note_obtained(self: Machine, value: Val, frame: Frame, loc: Loc) -> None:
        """A function that gets a tenant id back from a call (at ``loc``), or an object holding
        one (a request context a helper builds from the event), has obtained it too. Not from an
        entry of a module-level cache another root filled (a cache filled for one tenant, read by
        a job that runs for none): the tenant ids it holds are other invocations' unless this root
        has them already. (A request's context another root set, a ContextVar the handler sets before
        it dispatches, is this invocation's.)"""
        tenants = self.held_tenants(value)
        root = self.roots[frame.root]
        if tenants and self.cached_entries:
            tenants = tenants - (self.cached_tenants(value) - set(root.tenant_sources))
        if not tenants:
            return
        info = self.frames[frame.info]
        if is_tenant_id(value) and loc not in info.tenant_calls:
            info.tenant_calls += (loc,)
        for tenant in sorted(tenants, key=lambda t: t.loc):
            if tenant not in info.tenant_sources:
                info.tenant_sources += (tenant,)
            if tenant not in root.tenant_sources:
                root.tenant_sources.append(tenant)


def _setting(value: object, depth: int = 0) -> bool:
    """A value made only of environment variables and constants."""
    from dynolint.model.values import CallV, EnvV, StrV, alts as _alts

    options = list(_alts(value))  # type: ignore[arg-type]
    if not options or depth > 4:
        return False
    for alt in options:
        if isinstance(alt, EnvV) or isinstance(alt, ConstV):
            continue
        if isinstance(alt, StrV) and all(_setting(p, depth + 1) for p in alt.parts):
            continue
        if isinstance(alt, CallV) and (alt.recv is not None or alt.args) and \
                (alt.recv is None or _setting(alt.recv, depth + 1)) and all(_setting(a, depth + 1) for a in alt.args):
            continue
        return False
    return True
