"""DynamoDB semantics: which calls read an item and which write one, on which table and
key, with which guard, writing which values; for boto3 (client, resource, ``meta.client``,
batch writer, transactions, PartiQL) and aioboto3/aiobotocore (same calls, awaited);
PynamoDB models are :mod:`dynolint.model.pynamodb`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.ddb_operations import OPERATIONS
from dynolint.model.key_conditions import key_condition_values, key_equalities, key_prefixes
from dynolint.model.ddb_writes import attributes_set, guard_of, returns_item, update_spec, update_values
from dynolint.model.events import (
    NO_GUARD, DataCall, Guard, ReadEvent, UpdateSpec, WriteEvent, WriteRecord, deletes,
)
from dynolint.model.expressions import parse_partiql
from dynolint.model.in_place import copied_items, put_back
from dynolint.model.literals import as_kwargs, const_text, dict_field, dict_get, elements, request_items
from dynolint.model.key_schema import keyish_names
from dynolint.model.deployment import table_label
from dynolint.model.key_facts import leading_key_is_tenant, pyn_key, tenants_table
from dynolint.model.values import (
    NONE, UNKNOWN, AttrV, BatchWriterV, CallV, ClientV, ConstV, DictV, Loc,
    OpaqueV, PaginatorV, PynActionV, PynAttrV, PynBatchV, PynInstanceV, PynModelV,
    PynTransactV, ReadItemV, ReadV, ResourceV, SeqV, SuperV, TableV, Val, alts, const_str, one_of,
)
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

# a query's or scan's parameters that choose the items returned by their attributes
FILTERS = ("FilterExpression", "ScanFilter", "QueryFilter")
ITEM_OPS = tuple(name for name, op in OPERATIONS.items()
                 if op.access in ("read", "write") and not name.startswith(("batch", "transact")))


class DynamoMixin(Mixin):
    # -- dispatch ----------------------------------------------------------------------
    def dynamo_method(self: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val],
                      spread_unknown: tuple[Val, ...], node: ir.Call, loc: Loc, state: State, frame: Frame) -> Val | None:
        if type(recv) is TableV:
            if name == "batch_writer":
                return BatchWriterV(recv)
            if name in ITEM_OPS:
                client = ClientV("dynamodb", recv.creds, "resource")
                return self.ddb_op(client, recv.name, name, kwargs, spread_unknown, loc, state, frame)
            return CallV(name, recv, tuple(args))
        if type(recv) is ResourceV and recv.service == "dynamodb":
            if name == "Table":
                table_name = args[0] if args else kwargs.get("name", kwargs.get("TableName", UNKNOWN))
                if table_name is UNKNOWN:
                    table_name = OpaqueV(loc, ())
                return TableV(table_name, recv.creds)
            if name in ("batch_write_item", "batch_get_item"):
                client = ClientV("dynamodb", recv.creds, "resource")
                return self.ddb_client_op(client, name, args, kwargs, spread_unknown, loc, state, frame)
            return CallV(name, recv, tuple(args))
        if type(recv) is ClientV and recv.service == "dynamodb":
            return self.ddb_client_op(recv, name, args, kwargs, spread_unknown, loc, state, frame)
        if type(recv) is BatchWriterV:
            if name in ("put_item", "delete_item") and isinstance(recv.table, TableV):
                table = recv.table
                item = kwargs.get("Item") if name == "put_item" else None
                key = kwargs.get("Key") if name == "delete_item" else None
                self.emit_write(name, table.name, key, item, NO_GUARD, (item,) if item is not None else (),
                                False, True, "batch", loc, state, frame)
                self.ddb_data_call(table.creds, table.name, name, key if key is not None else item,
                                   False, loc, frame)
            return NONE
        if type(recv) is PaginatorV and name == "paginate":
            return self.paginate(recv, kwargs, loc, state, frame)
        if type(recv) is PynModelV:
            return self.pyn_model_call(recv, name, args, kwargs, loc, state, frame)
        if type(recv) is AttrV and name in ("query", "scan", "count") \
                and (model := self.pyn_index_model(recv)) is not None:  # ``Invite.by_email.query(email)``
            return self.pyn_model_call(model, name, args, kwargs, loc, state, frame, index=True)
        if type(recv) is PynInstanceV:
            return self.pyn_instance_call(recv, name, args, kwargs, loc, state, frame)
        if type(recv) is SuperV and isinstance(recv.self_val, PynInstanceV):
            current = self.lookup_instance(state, recv.self_val)
            if isinstance(current, PynInstanceV):
                return self.pyn_library_call(current, name, args, kwargs, loc, state, frame)
        if type(recv) is PynBatchV:
            if name in ("save", "delete") and args:
                for instance in alts(args[0]):
                    if isinstance(instance, PynInstanceV):
                        op = "batch save" if name == "save" else "batch delete"
                        self.emit_write(op, instance.model, pyn_key(instance), instance, NO_GUARD,
                                        (instance,), False, True, "batch", loc, state, frame)
            return NONE
        if type(recv) is PynAttrV:
            if name in ("set", "add", "remove", "append", "prepend", "delete"):
                value = args[0] if args else None
                return PynActionV(recv.name, name, value)
            return CallV(name, recv, tuple(args))
        if type(recv) is PynTransactV:
            if name in ("save", "update", "delete") and args:
                for instance in alts(args[0]):
                    if isinstance(instance, PynInstanceV):
                        self.pyn_write(instance, name, args[1:], kwargs, loc, state, frame, flavor="transact")
            return NONE
        return None

    def pyn_external(self: Machine, path: str) -> Val | None:
        if path.endswith("transactions.TransactWrite") or path == "TransactWrite":
            return PynTransactV("write")
        return None

    # -- boto3 -------------------------------------------------------------------------
    def ddb_client_op(self: Machine, client: ClientV, name: str, args: list[Val], kwargs: dict[str, Val],
                      spread_unknown: tuple[Val, ...], loc: Loc, state: State, frame: Frame) -> Val:
        if name in ITEM_OPS:
            table = kwargs.get("TableName", UNKNOWN)
            return self.ddb_op(client, table, name, kwargs, spread_unknown, loc, state, frame)
        if name == "batch_write_item":
            for table, request in request_items(kwargs.get("RequestItems")):
                for put in dict_field(request, "PutRequest"):
                    item = dict_get(put, "Item")
                    self.emit_write("batch_write_item put", table, None, item, NO_GUARD, (item,), False, True,
                                    "batch", loc, state, frame)
                    self.ddb_data_call(client.creds, table, name, item, False, loc, frame)
                for delete in dict_field(request, "DeleteRequest"):
                    key = dict_get(delete, "Key")
                    self.emit_write("batch_write_item delete", table, key, None, NO_GUARD, (), False, True,
                                    "batch", loc, state, frame)
                    self.ddb_data_call(client.creds, table, name, key, False, loc, frame)
            requested = kwargs.get("RequestItems")
            # what DynamoDB did not process comes back as the request's own entries, to send again
            return DictV(((ConstV("UnprocessedItems"), requested),)) if requested is not None else OpaqueV(loc, ())
        if name == "batch_get_item":
            # {"Responses": {table: [the item of each key read]}}
            responses: list[tuple[Val, Val]] = []
            for table, request in request_items(kwargs.get("RequestItems")):
                items = []
                for key in elements(dict_get(request, "Keys")):
                    items.append(ReadItemV(self.emit_read(name, table, key, loc, state, frame)))
                    self.ddb_data_call(client.creds, table, name, key, False, loc, frame)
                if items:
                    responses.append((table, SeqV("items", tuple(items))))
            if not responses:
                return OpaqueV(loc, ())
            return DictV(((ConstV("Responses"), DictV(tuple(responses))),
                          (ConstV("UnprocessedKeys"), kwargs.get("RequestItems", UNKNOWN))))
        if name == "transact_write_items":
            for element in elements(kwargs.get("TransactItems")):
                for op_name, op in (("Put", "put_item"), ("Update", "update_item"), ("Delete", "delete_item")):
                    for inner in dict_field(element, op_name):
                        inner_kwargs = as_kwargs(inner)
                        self.ddb_op(client, inner_kwargs.get("TableName", UNKNOWN), op, inner_kwargs, (), loc,
                                    state, frame, flavor="transact")
            return OpaqueV(loc, ())
        if name == "transact_get_items":
            # {"Responses": [a get_item's answer for each Get, in order]}: strongly consistent
            gets: list[Val] = []
            for element in elements(kwargs.get("TransactItems")):
                for inner in dict_field(element, "Get"):
                    inner_kwargs = as_kwargs(inner)
                    named, get_key = inner_kwargs.get("TableName", UNKNOWN), inner_kwargs.get("Key")
                    gets.append(ReadV(self.emit_read(name, named, get_key, loc, state, frame, consistent=True)))
                    self.ddb_data_call(client.creds, named, name, get_key, False, loc, frame)
            if not gets:
                return OpaqueV(loc, ())
            return DictV(((ConstV("Responses"), SeqV("list", tuple(gets))),))
        if name in ("execute_statement", "batch_execute_statement", "execute_transaction"):
            if name == "execute_statement":
                return self.partiql(client, kwargs.get("Statement"), kwargs.get("Parameters"), loc, state, frame)
            field = "Statements" if name == "batch_execute_statement" else "TransactStatements"
            result: Val = OpaqueV(loc, ())
            for element in elements(kwargs.get(field)):
                statement = as_kwargs(element)
                result = self.partiql(client, statement.get("Statement"), statement.get("Parameters"),
                                      loc, state, frame)
            return result
        if name == "create_table":
            return NONE
        if name == "get_paginator" and args:
            return PaginatorV(client, const_str(args[0]) or "?")
        return CallV(name, client, tuple(args))

    def ddb_op(self: Machine, client: ClientV, table: Val, name: str, kwargs: dict[str, Val], spread_unknown: tuple[Val, ...],
               loc: Loc, state: State, frame: Frame, flavor: str = "") -> Val:
        flavor = flavor or client.flavor
        if name == "get_item":
            key = kwargs.get("Key")
            read = self.emit_read(name, table, key, loc, state, frame,
                                  consistent=self.const_true(kwargs.get("ConsistentRead", ConstV(False))))
            self.ddb_data_call(client.creds, table, name, key, False, loc, frame)
            return ReadV(read)
        if name in ("query", "scan"):
            # (an index's key condition says what the items hold there, not which items they are:
            # ``{**row, "status": "paid"}`` after a query of the status index writes the row itself)
            own = name == "query" and "IndexName" not in kwargs
            equal = key_equalities(kwargs) if own else ()
            asked = tuple(value for _, value in (equal if own else key_equalities(kwargs)))
            read = self.emit_read(name, table, self.single_item(table, equal), loc, state, frame, equal=equal,
                                  starts=key_prefixes(kwargs) if own else (), asked=asked,
                                  filtered=tuple(value for _, value in key_equalities(kwargs, "FilterExpression")))
            if any(k in kwargs for k in FILTERS):
                # a filter chose the items returned by what they held: the path examined them
                state.examined = state.examined | {read}
            scope: Val | None = None
            if name == "query":
                parts = [kwargs[k] for k in ("KeyConditionExpression", "KeyConditions") if k in kwargs]
                if "KeyConditionExpression" in kwargs and "ExpressionAttributeValues" in kwargs:
                    # the values the key condition uses (not a FilterExpression's: it narrows what is read)
                    parts.append(key_condition_values(kwargs["KeyConditionExpression"],
                                                      kwargs["ExpressionAttributeValues"]))
                scope = SeqV("tuple", tuple(parts)) if parts else None
            self.ddb_data_call(client.creds, table, name, scope, name == "scan" or bool(spread_unknown) and scope is None,
                               loc, frame)
            return ReadV(read)
        if name == "search_vectors":  # the items most like a vector, over the whole index: a listing
            read = self.emit_read(name, table, None, loc, state, frame)
            parts = [kwargs[k] for k in ("SearchConditionExpression", "ExpressionAttributeValues") if k in kwargs]
            self.ddb_data_call(client.creds, table, name, SeqV("tuple", tuple(parts)) if parts else None, not parts,
                               loc, frame)
            found = DictV(((ConstV("Item"), ReadItemV(read)),))  # a SearchResultItem: {"Item": ..., "Score": ...}
            return DictV(((ConstV("SearchResults"), SeqV("items", (found,))),))
        guard = guard_of(name, kwargs, bool(spread_unknown))
        if name == "put_item":
            item = kwargs.get("Item", UNKNOWN)
            self.emit_write(name, table, None, item, guard, (item,), False, False, flavor, loc, state, frame)
            self.ddb_data_call(client.creds, table, name, item, False, loc, frame)
        elif name == "update_item":
            key = kwargs.get("Key")
            atomic, values = update_values(kwargs)
            self.emit_write(name, table, key, None, guard, values, atomic, False, flavor, loc, state, frame,
                            update_spec(kwargs))
            self.ddb_data_call(client.creds, table, name, key, False, loc, frame)
            if returns_item(kwargs):
                return ReadV(self.emit_read("update_item ReturnValues", table, key, loc, state, frame,
                                            sets=attributes_set(kwargs)))
        elif name == "delete_item":
            key = kwargs.get("Key")
            self.emit_write(name, table, key, None, guard, (), False, False, flavor, loc, state, frame)
            self.ddb_data_call(client.creds, table, name, key, False, loc, frame)
        return OpaqueV(loc, ())

    def partiql(self: Machine, client: ClientV, statement: Val | None, parameters: Val | None, loc: Loc,
                state: State, frame: Frame) -> Val:
        text = const_text(statement) if statement is not None else None
        parsed = parse_partiql(text) if text else None
        params = list(elements(parameters)) if parameters is not None else []
        if parsed is None:
            if statement is not None and const_str(statement) is None:  # built by the code: scoped by its parts
                self.ddb_data_call(client.creds, UNKNOWN, "execute_statement", SeqV("tuple", (statement, *params)),
                                   False, loc, frame)
            return OpaqueV(loc, ())

        def value_of(token: str) -> Val:
            if token.startswith("?"):
                index = int(token[1:])
                return params[index] if index < len(params) else UNKNOWN
            return ConstV(token.strip("'"))

        key = DictV(tuple((ConstV(attr), value_of(token)) for attr, token in parsed.where))
        table = ConstV(parsed.table)
        # the data the statement reaches: the items its WHERE names (a SELECT without one reads the
        # whole table, as a scan does), or the item an INSERT's VALUE makes of the parameters
        scope: Val = SeqV("tuple", tuple(params)) if parsed.verb == "INSERT" else key
        if statement is not None and const_str(statement) is None:  # values written into the text (f-string)
            scope = SeqV("tuple", (scope, statement))
        self.ddb_data_call(client.creds, table, f"execute_statement {parsed.verb}", scope,
                           parsed.verb == "SELECT" and not parsed.where, loc, frame)
        if parsed.verb == "SELECT":
            return ReadV(self.emit_read("execute_statement SELECT", table, key, loc, state, frame))
        if parsed.verb == "INSERT":
            guard = Guard("implicit", "PartiQL INSERT is create-only")
            self.emit_write("execute_statement INSERT", table, None, UNKNOWN, guard, (), False, False, "partiql",
                            loc, state, frame)
            return OpaqueV(loc, ())
        where_attrs = ",".join(attr for attr, _ in parsed.where)
        guard = Guard("partiql", f"{where_attrs}|{parsed.predicates}")
        values = tuple(params[i] for i in parsed.set_params if i < len(params))
        self.emit_write(f"execute_statement {parsed.verb}", table, key, None, guard, values, parsed.atomic, False,
                        "partiql", loc, state, frame)
        return OpaqueV(loc, ())

    def single_item(self: Machine, table: Val, equal: tuple[tuple[str, Val], ...]) -> Val | None:
        """The key of the one item a query can return: its key condition pins the partition and
        the sort key with equalities (a key condition names nothing else), or every attribute of
        the table's key schema when it is known (a table with no sort key). None: a listing."""
        names = [name for name, _ in equal]
        facts = self.project.table_facts(table)
        schema = {a for a in (facts.partition_key, facts.sort_key) if a} if facts is not None else None
        if len(set(names)) != len(names) or (len(names) != 2 if schema is None else set(names) != schema):
            return None
        return DictV(tuple((ConstV(name), value) for name, value in equal))

    # -- events ---------------------------------------------------------------------------
    def emit_read(self: Machine, op: str, table: Val, key: Val | None, loc: Loc, state: State, frame: Frame,
                  consistent: bool = False, sets: tuple[str, ...] | None = None,
                  equal: tuple[tuple[str, Val], ...] = (), starts: tuple[tuple[str, str], ...] = (),
                  asked: tuple[Val, ...] = (), filtered: tuple[Val, ...] = ()) -> int:
        read = ReadEvent(len(self.reads), loc, op, table, key, frame.chain, self.next_seq(), frame.info, consistent,
                         sets=sets, equal=equal, starts=starts, asked=asked, filtered=filtered)
        self.reads.append(read)
        state.reads = state.reads + (read,)
        return read.id

    def emit_write(self: Machine, op: str, table: Val, key: Val | None, item: Val | None, guard: Guard,
                   values: tuple[Val, ...], atomic: bool, batch: bool, flavor: str, loc: Loc,
                   state: State, frame: Frame, update: UpdateSpec | None = None,
                   assigned: tuple[str, ...] | None = None) -> None:
        write = WriteEvent(loc, op, table, key, item, guard, values, atomic, batch, flavor, frame.chain,
                           self.next_seq(), frame.info, update,
                           self.assigned_of(item) if assigned is None else assigned)
        bindings = tuple(sorted({(alt.read, name, not isinstance(alt, ReadV))
                                 for name, value in state.env.items() for alt in alts(value)
                                 if isinstance(alt, (ReadItemV, PynInstanceV, ReadV)) and alt.read >= 0}))
        self.writes.append(WriteRecord(write, state.reads, tuple(state.claims), state.absent, frame.root,
                                       bindings, state.decisions, state.examined,
                                       state.present))
        if guard.kind in ("condition", "version", "implicit") and not batch:
            state.claims = state.claims | {write}
        if item is not None and not deletes(write):
            # the items whose contents the path copied into another item (an archive's copy of
            # the standings): a delete of those after it loses what changed since the copy
            copied = copied_items(self, item, key) - state.examined
            if copied:
                state.examined = state.examined | copied

    def assigned_of(self: Machine, item: Val | None) -> tuple[str, ...]:
        """The attributes given new values in place on the items read that ``item`` puts back
        (the item itself, or spread into a dict: ``{**item, "state": s}``)."""
        if item is None or not self.assigned_in_place:
            return ()
        names: set[str] = set()
        for part in put_back(item):
            if isinstance(part, ReadItemV):
                names |= self.assigned_in_place.get(part.read, set())
        return tuple(sorted(names))

    def ddb_data_call(self: Machine, creds: object, table: Val, op: str, scope: Val | None, unscoped: bool,
                      loc: Loc, frame: Frame) -> None:
        from dynolint.model.values import CredsV

        if not isinstance(creds, CredsV):
            return
        values: tuple[Val, ...] = ()
        label = table_label(table)
        subject = False
        if scope is not None:
            values = (self.key_part(table, scope),)
            tenant_table = tenants_table(label, self.project.tenant_names(loc[0]))
            subject = tenant_table and leading_key_is_tenant(values[0])
            whole = tenant_table and self.item_is_tenant(table, op, scope, values[0])
            self.note_scoping(values[0], loc, frame, "subject" if whole else "key")
        silo = self.silo(table)  # ``Table(f"orders-{tenant}")``
        if silo is not None:
            self.note_scoping(table, loc, frame)
        self.data_calls.append(DataCall(loc, "dynamodb", op, creds, values, unscoped, frame.chain + (loc,),
                                        frame.info, frame.root, self.path_facts, label, subject, silo))

    def item_is_tenant(self: Machine, table: Val, op: str, scope: Val, key: Val) -> bool:
        """Does an item operation name the tenant's own record: the whole primary key is the
        tenant id (a ``Key=`` of one attribute, or a put on a table whose schema is known)?"""
        if op in ("get_item", "update_item", "delete_item"):
            shapes = list(alts(scope))
            if not shapes or not all(isinstance(alt, DictV) and len(alt.items) == 1 and not alt.spreads
                                     for alt in shapes):
                return False
        elif op != "put_item" or self.project.table_facts(table) is None:
            return False
        return leading_key_is_tenant(key, whole=True)

    def key_part(self: Machine, table: Val, item: Val) -> Val:
        """The key attributes of an item (all of it when the schema is unknown and no
        attribute looks like a key)."""
        facts = self.project.table_facts(table)
        out: list[Val] = []
        for alt in alts(item):
            if not isinstance(alt, DictV):
                out.append(self.read_key(alt))
                continue
            named = {text: v for k, v in alt.items if (text := const_str(k)) is not None}
            if facts is not None and facts.partition_key:
                wanted = [n for n in (facts.partition_key, facts.sort_key) if n]
            else:
                wanted = keyish_names(n for n in named if n)
                if not wanted and named and all(self.read_key(s) is s for s in alt.spreads):
                    wanted = [next(iter(named))]  # a guess; a read item spread in brings the key
            # an item spread into this one brings its key unless the entries set the whole key
            spreads = alt.spreads if wanted and all(n in named for n in wanted) else \
                tuple(self.read_key(spread) for spread in alt.spreads)
            out.append(SeqV("tuple", tuple(named[n] for n in wanted if n in named) + spreads))
        return one_of(out)

    def read_key(self: Machine, value: Val) -> Val:
        """The key of an item read and written back whole (``put_item(Item=item)``, ``{**item,
        ...}``): the key it was read by; ``value`` itself for anything else (a read of no known
        key, a dict the code built)."""
        if type(value) is ReadItemV and 0 <= value.read < len(self.reads):
            key = self.reads[value.read].key
            return key if key is not None else value
        return value
