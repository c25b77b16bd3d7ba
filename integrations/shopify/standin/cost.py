"""Query cost by Shopify's published model (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits).

Requested cost, before execution: scalars and enums 0; an object 1 plus its selections; an interface or union the
most expensive of its possible selections; a connection 2 + `first` (or `last`) × the cost of one node; a list
field that takes `first` (Order.fulfillments, Fulfillment.trackingInfo) `first` × the cost of one item, otherwise
one item; a mutation root field 10 plus its payload's selections. `pageInfo`, `cursor` and the `edges` wrapper are
free. These are the rules the estimates in docs/reference/shopify-admin-api.md were made with (OrderDetail 370,
OrderPayments 303, OpenReturns 472).

Actual cost, after execution: the same, counting the objects actually returned (a null object costs nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution.values import get_argument_values

MUTATION_COST = 10
CONNECTION_COST = 2

# (owner type, field nodes merged under one response key)
_Fields = dict[str, tuple[GraphQLNamedType, list[FieldNode]]]
_EVERY_TYPE = "*"


class MissingPageSize(GraphQLError):
    """Shopify refuses a connection without `first` or `last`."""


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]


def requested_cost(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Mapping[str, Any]
) -> int:
    walk = _walk(schema, document, variables)
    root = _root_type(schema, operation)
    if operation.operation is OperationType.MUTATION:
        fields = _collect(walk, root, operation.selection_set, _EVERY_TYPE)
        return sum(MUTATION_COST + _requested_inner(walk, owner, nodes) for owner, nodes in fields.values())
    return _requested_selection(walk, root, operation.selection_set)


def actual_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
    data: Mapping[str, Any] | None,
) -> int:
    if data is None:
        return 0
    walk = _walk(schema, document, variables)
    root = _root_type(schema, operation)
    if operation.operation is OperationType.MUTATION:
        fields = _collect(walk, root, operation.selection_set, _EVERY_TYPE)
        return sum(
            MUTATION_COST + _actual_inner(walk, owner, nodes, data[key])
            for key, (owner, nodes) in fields.items()
            if key in data
        )
    return _actual_selection(walk, root, operation.selection_set, data)


def _walk(schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]) -> _Walk:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return _Walk(schema, fragments, variables)


def _root_type(schema: GraphQLSchema, operation: OperationDefinitionNode) -> GraphQLObjectType:
    root = schema.get_root_type(operation.operation)
    assert root is not None, f"the schema has no {operation.operation.value} type"
    return root


# --- collecting fields ------------------------------------------------------------------------------------------


def _collect(
    walk: _Walk, parent: GraphQLNamedType, selection_set: SelectionSetNode | None, target: str | None
) -> _Fields:
    """Fields by response key, for one possible concrete type `target` (or every fragment: `_EVERY_TYPE`)."""
    fields: _Fields = {}
    _collect_into(walk, parent, parent, selection_set, target, fields)
    return fields


def _collect_into(
    walk: _Walk,
    parent: GraphQLNamedType,
    owner: GraphQLNamedType,
    selection_set: SelectionSetNode | None,
    target: str | None,
    fields: _Fields,
) -> None:
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            fields.setdefault(key, (owner, []))[1].append(selection)
            continue
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            inner = selection.selection_set
        elif isinstance(selection, FragmentSpreadNode):
            fragment = walk.fragments[selection.name.value]
            condition, inner = fragment.type_condition.name.value, fragment.selection_set
        else:
            continue
        if _applies(walk.schema, parent, condition, target):
            fragment_owner = walk.schema.type_map[condition] if condition else owner
            _collect_into(walk, parent, fragment_owner, inner, target, fields)


def _applies(schema: GraphQLSchema, parent: GraphQLNamedType, condition: str | None, target: str | None) -> bool:
    if condition is None or condition == parent.name or target == _EVERY_TYPE:
        return True
    concrete = parent if isinstance(parent, GraphQLObjectType) else schema.type_map.get(target or "")
    if concrete is None:
        return False
    if condition == concrete.name:
        return True
    condition_type = schema.type_map[condition]
    return (
        is_abstract_type(condition_type)
        and isinstance(concrete, GraphQLObjectType)
        and schema.is_sub_type(condition_type, concrete)  # type: ignore[arg-type]
    )


def _targets(walk: _Walk, parent: GraphQLNamedType, selection_set: SelectionSetNode | None) -> list[str | None]:
    """The concrete types worth pricing separately: those named by the fragments of an abstract selection."""
    if not is_abstract_type(parent):
        return [None]
    names: set[str] = set()
    pending = list(selection_set.selections if selection_set else ())
    while pending:
        selection = pending.pop()
        if isinstance(selection, InlineFragmentNode) and selection.type_condition:
            names.add(selection.type_condition.name.value)
            pending.extend(selection.selection_set.selections)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = walk.fragments[selection.name.value]
            names.add(fragment.type_condition.name.value)
            pending.extend(fragment.selection_set.selections)
    names.discard(parent.name)
    targets: list[str | None] = [*sorted(names)]
    return targets or [None]


def _merged(nodes: list[FieldNode]) -> SelectionSetNode:
    return SelectionSetNode(selections=tuple(s for n in nodes if n.selection_set for s in n.selection_set.selections))


def _field_def(owner: GraphQLNamedType, nodes: list[FieldNode]) -> GraphQLField | None:
    name = nodes[0].name.value
    if name.startswith("__"):
        return None
    return _fields_of(owner).get(name)


def _fields_of(owner: GraphQLNamedType) -> dict[str, GraphQLField]:
    """The fields of a selection's owner: in a validated document always an object or an interface type (a union
    selects only fragments and `__typename`)."""
    assert isinstance(owner, GraphQLObjectType | GraphQLInterfaceType), f"{owner.name} has no fields"
    fields: dict[str, GraphQLField] = owner.fields  # graphql-core's cached_property loses the type for mypy
    return fields


def _is_connection(named: GraphQLNamedType) -> bool:
    return isinstance(named, GraphQLObjectType) and named.name.endswith("Connection") and "pageInfo" in named.fields


def _is_list(field_def: GraphQLField) -> bool:
    type_ = field_def.type.of_type if isinstance(field_def.type, GraphQLNonNull) else field_def.type
    return isinstance(type_, GraphQLList)


# --- requested --------------------------------------------------------------------------------------------------


def _requested_selection(walk: _Walk, parent: GraphQLNamedType, selection_set: SelectionSetNode | None) -> int:
    best = 0
    for target in _targets(walk, parent, selection_set):
        fields = _collect(walk, parent, selection_set, target)
        best = max(best, sum(_requested_field(walk, owner, nodes) for owner, nodes in fields.values()))
    return best


def _requested_inner(walk: _Walk, owner: GraphQLNamedType, nodes: list[FieldNode]) -> int:
    """The cost of a field's selections, without the field's own price (a mutation's payload)."""
    field_def = _field_def(owner, nodes)
    if field_def is None:
        return 0
    return _requested_selection(walk, get_named_type(field_def.type), _merged(nodes))


def _requested_field(walk: _Walk, owner: GraphQLNamedType, nodes: list[FieldNode]) -> int:
    field_def = _field_def(owner, nodes)
    if field_def is None:
        return 0
    named = get_named_type(field_def.type)
    if is_leaf_type(named):
        return 0
    args = get_argument_values(field_def, nodes[0], dict(walk.variables))
    if _is_connection(named):
        size: int | None = args.get("first", args.get("last"))
        if size is None:
            raise MissingPageSize("you must provide one of first or last", nodes[0])
        return CONNECTION_COST + size * _requested_node(walk, named, _merged(nodes))
    item = 1 + _requested_selection(walk, named, _merged(nodes))
    if _is_list(field_def):
        first: int = args.get("first") or 1
        return first * item
    return item


def _requested_node(walk: _Walk, connection: GraphQLNamedType, selection_set: SelectionSetNode) -> int:
    """The cost of one node of a connection, whether selected through `nodes` or `edges { node }`."""
    best = 0
    for owner, nodes in _collect(walk, connection, selection_set, None).values():
        name = nodes[0].name.value
        if name == "nodes":
            best = max(best, _requested_item(walk, owner, nodes))
        elif name == "edges":
            edge_type = get_named_type(_fields_of(owner)["edges"].type)
            for edge_owner, edge_nodes in _collect(walk, edge_type, _merged(nodes), None).values():
                if edge_nodes[0].name.value == "node":
                    best = max(best, _requested_item(walk, edge_owner, edge_nodes))
    return best


def _requested_item(walk: _Walk, owner: GraphQLNamedType, nodes: list[FieldNode]) -> int:
    field_def = _field_def(owner, nodes)
    named = get_named_type(field_def.type) if field_def else None
    if named is None or is_leaf_type(named):
        return 0
    return 1 + _requested_selection(walk, named, _merged(nodes))


# --- actual -----------------------------------------------------------------------------------------------------


def _actual_selection(walk: _Walk, parent: GraphQLNamedType, selection_set: SelectionSetNode | None, value: Any) -> int:
    if not isinstance(value, Mapping):
        return 0
    fields = _collect(walk, parent, selection_set, _EVERY_TYPE)
    return sum(_actual_field(walk, owner, nodes, value[key]) for key, (owner, nodes) in fields.items() if key in value)


def _actual_inner(walk: _Walk, owner: GraphQLNamedType, nodes: list[FieldNode], value: Any) -> int:
    field_def = _field_def(owner, nodes)
    if field_def is None:
        return 0
    return _actual_selection(walk, get_named_type(field_def.type), _merged(nodes), value)


def _actual_field(walk: _Walk, owner: GraphQLNamedType, nodes: list[FieldNode], value: Any) -> int:
    field_def = _field_def(owner, nodes)
    if field_def is None or value is None:
        return 0
    named = get_named_type(field_def.type)
    if is_leaf_type(named):
        return 0
    if _is_connection(named):
        return CONNECTION_COST + _actual_nodes(walk, named, _merged(nodes), value)
    items = value if isinstance(value, list) else [value]
    return sum(1 + _actual_selection(walk, named, _merged(nodes), item) for item in items if item is not None)


def _actual_nodes(walk: _Walk, connection: GraphQLNamedType, selection_set: SelectionSetNode, value: Any) -> int:
    best = 0
    for key, (owner, nodes) in _collect(walk, connection, selection_set, _EVERY_TYPE).items():
        name = nodes[0].name.value
        if name == "nodes" and value.get(key):
            node_type = get_named_type(_fields_of(owner)["nodes"].type)
            if is_leaf_type(node_type):
                continue
            best = max(best, sum(1 + _actual_selection(walk, node_type, _merged(nodes), n) for n in value[key] if n))
        elif name == "edges" and value.get(key):
            edge_type = get_named_type(_fields_of(owner)["edges"].type)
            edge_fields = _collect(walk, edge_type, _merged(nodes), _EVERY_TYPE)
            total = 0
            for edge in value[key]:
                for edge_key, (edge_owner, edge_nodes) in edge_fields.items():
                    if edge_nodes[0].name.value == "node" and edge and edge.get(edge_key) is not None:
                        total += _actual_field(walk, edge_owner, edge_nodes, edge[edge_key])
            best = max(best, total)
    return best
