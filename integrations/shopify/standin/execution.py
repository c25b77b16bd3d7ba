"""One GraphQL request on the fake Shopify, from body to Answer, the way Shopify takes it: the document validated
against the pinned schema (HTTP 200 + `errors`, no `data`), the variables coerced, `@idempotent` required where
Shopify requires it, the query priced and charged to the leaky bucket (`MAX_COST_EXCEEDED`, `THROTTLED`), then
executed with access scopes checked on every object field (`ACCESS_DENIED`) and `extensions.cost` added.

Anything the fake rejects, or a field it does not serve, is recorded in `fake.rejected`: a test that asserts no
rejections fails on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLResolveInfo,
    OperationDefinitionNode,
    OperationType,
    default_field_resolver,
    execute_sync,
    get_named_type,
    is_leaf_type,
)
from graphql.execution.values import get_argument_values

from integrations.shopify.standin.cost import MissingPageSize, actual_cost, requested_cost
from integrations.shopify.standin.http_handler import Answer
from integrations.shopify.standin.queries import RequestContext, query_root
from integrations.shopify.standin.schema import (
    check_document,
    check_variables,
    load_schema,
    required_access,
    select_operation,
)
from integrations.shopify.standin.throttle import MAX_QUERY_COST, max_cost_error, throttled_error

if TYPE_CHECKING:
    from integrations.shopify.standin.server import FakeShopify

# A mutation the fake serves: fn(arguments, directives on its field), e.g. directives {"idempotent": {"key": "…"}}
Mutation = Callable[[dict[str, Any], dict[str, dict[str, Any]]], Any]

# Mutations that fail at runtime without @idempotent from 2026-04 on (docs/reference/shopify-admin-api.md §4).
IDEMPOTENT_MUTATIONS = frozenset(
    {"refundCreate", "inventoryActivate", "inventoryAdjustQuantities", "inventoryMoveQuantities"}
    | {"inventorySetOnHandQuantities", "inventorySetQuantities", "locationActivate", "locationDeactivate"}
)
IDEMPOTENT_PREFIXES = ("inventoryShipment", "inventoryTransfer")
ACCESS_DOCS = "https://shopify.dev/api/usage/access-scopes"


def answer_graphql(fake: FakeShopify, body: Mapping[str, Any]) -> Answer:
    """The answer to one request's body (its token already checked), after executing it if it is valid."""
    query, variables = body.get("query"), body.get("variables") or {}
    name = body.get("operationName") or None
    call = name or operation_name(query if isinstance(query, str) else "") or "anonymous operation"
    if not isinstance(query, str) or not isinstance(variables, dict):
        with fake._lock:
            fake.rejected.append(f"{call}: no query string, or variables that are not an object")
        return Answer(400, {"errors": {"query": "Required parameter missing or invalid"}}, outcome="rejected")
    document, errors = check_document(query)
    if document is None or errors:
        code = "GRAPHQL_PARSE_FAILED" if document is None else "GRAPHQL_VALIDATION_FAILED"
        return _reject(fake, call, [e.formatted for e in errors], code)
    operation = select_operation(document, name)
    if isinstance(operation, GraphQLError):
        return _reject(fake, call, [operation.formatted], "GRAPHQL_VALIDATION_FAILED")
    coerced, errors = check_variables(operation, variables)
    if errors:
        return _reject(fake, call, [e.formatted for e in errors], "INVALID_VARIABLE")
    directives = _root_directives(operation, coerced)
    missing = _missing_idempotency(operation, coerced)
    if missing:
        answer = _reject(fake, call, [{"message": missing}], "BAD_REQUEST")
        answer.directives = directives
        return answer
    answer = _charge_and_run(fake, call, document, operation, coerced)
    answer.directives = directives
    return answer


def _charge_and_run(
    fake: FakeShopify, call: str, document: DocumentNode, operation: OperationDefinitionNode, variables: dict[str, Any]
) -> Answer:
    schema = load_schema()
    try:
        requested = requested_cost(schema, document, operation, variables)
    except MissingPageSize as error:
        return _reject(fake, call, [error.formatted], "BAD_REQUEST")
    ceiling = min(MAX_QUERY_COST, int(fake._bucket.maximum))
    if requested > ceiling:
        answer = _reject(fake, call, [max_cost_error(requested, ceiling)], "MAX_COST_EXCEEDED")
        answer.body["extensions"] = {"cost": _cost(fake, requested, None)}
        answer.requested = requested
        return answer
    if not fake._bucket.take(requested):
        refusal = {"errors": [throttled_error()], "extensions": {"cost": _cost(fake, requested, None)}}
        return Answer(200, refusal, outcome="throttled", requested=requested)
    context = RequestContext(fake)
    with fake._state_lock:
        # every resolver is synchronous; check_sync keeps graphql-core's check for an awaitable all the same
        result = execute_sync(
            schema,
            document,
            root_value=_root_value(fake, operation.operation),
            context_value=context,
            variable_values=variables,
            operation_name=operation.name.value if operation.name else None,
            field_resolver=_resolve_field,
            type_resolver=_resolve_type,
            check_sync=True,
        )
    # A list without `first` is priced as one item up front; Shopify never charges more than it asked for.
    actual = min(actual_cost(schema, document, operation, variables, result.data), requested)
    fake._bucket.give_back(max(requested - actual, 0))
    body = result.formatted
    body["extensions"] = {"cost": _cost(fake, requested, actual)}
    if context.search:
        body["extensions"]["search"] = context.search
        with fake._lock:
            fake.search_warnings.extend(context.search)
    outcome = _execution_outcome(fake, call, result.errors or [], context.unserved)
    return Answer(200, body, outcome=outcome, requested=requested, actual=actual)


def _execution_outcome(fake: FakeShopify, call: str, errors: list[GraphQLError], unserved: set[str]) -> str:
    """Errors the fake raises on purpose are answers; any other one, or a field the fake does not serve (it
    answered null), is the fake or the client falling short, and a test asserting no rejections should fail."""
    problems = [
        f"{call}: execution error at {e.path}: {e.message}"
        for e in errors
        if (e.extensions or {}).get("code") != "ACCESS_DENIED"
    ]
    problems += [f"{call}: the stand-in does not serve {f} (add it in this package)" for f in sorted(unserved)]
    if problems:
        with fake._lock:
            fake.rejected.extend(problems)
        return "rejected"
    return "access_denied" if errors else "ok"


def _cost(fake: FakeShopify, requested: int, actual: int | None) -> dict[str, Any]:
    return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": fake._bucket.status()}


def _reject(fake: FakeShopify, call: str, errors: Sequence[Mapping[str, Any]], code: str) -> Answer:
    tagged = [dict(error) for error in errors]
    for error in tagged:
        error.setdefault("extensions", {}).setdefault("code", code)
    with fake._lock:
        fake.rejected.extend(f"{call}: {e['message']}" for e in tagged)
    return Answer(200, {"errors": tagged}, outcome="rejected")


def _root_value(fake: FakeShopify, operation: OperationType) -> dict[str, Any]:
    if operation is OperationType.MUTATION:
        return {name: _mutation_resolver(fn) for name, fn in fake.mutations.items()}
    return query_root(fake)


def _mutation_resolver(mutation: Mutation) -> Callable[..., Any]:
    def resolve(info: GraphQLResolveInfo, **args: Any) -> Any:
        return mutation(args, _directives(info.field_nodes[0], info.variable_values))

    return resolve


# --- resolving fields, access scopes ----------------------------------------------------------------------------

_SUBJECTS: dict[str, str] = {}


def _subject_type(info: GraphQLResolveInfo) -> str:
    """The type whose access scope guards a field: the node type for a connection."""
    named = get_named_type(info.return_type)
    if named.name not in _SUBJECTS:
        nodes = getattr(named, "fields", {}).get("nodes") if named.name.endswith("Connection") else None
        _SUBJECTS[named.name] = get_named_type(nodes.type).name if nodes is not None else named.name
    return _SUBJECTS[named.name]


def _resolve_field(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    field = f"{info.parent_type.name}.{info.field_name}"
    resolver = info.context.fake.fields.get(field)
    if resolver is None and isinstance(source, Mapping) and info.field_name not in source:
        info.context.unserved.add(field)
    if not is_leaf_type(get_named_type(info.return_type)):
        access = required_access(_subject_type(info))
        if access and not info.context.granted(access):
            raise GraphQLError(
                f"Access denied for {info.field_name} field. Required access: {access}",
                extensions={"code": "ACCESS_DENIED", "documentation": ACCESS_DOCS, "requiredAccess": access},
            )
    if resolver is not None:
        return resolver(source, info, **args)
    return default_field_resolver(source, info, **args)


def _resolve_type(value: Any, _info: GraphQLResolveInfo, _abstract_type: Any) -> str | None:
    return value.get("__typename") if isinstance(value, Mapping) else None


# --- the document: operation name, directives, @idempotent -------------------------------------------------------


def operation_name(query: str) -> str | None:
    """The name of the operation a document would run (None for an anonymous or invalid one)."""
    document, _ = check_document(query)
    if document is None:
        return None
    operation = select_operation(document, None)
    if isinstance(operation, GraphQLError) or operation.name is None:
        return None
    return operation.name.value


def _root_fields(operation: OperationDefinitionNode) -> list[FieldNode]:
    return [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]


def _directives(field_node: FieldNode, variables: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    schema = load_schema()
    found: dict[str, dict[str, Any]] = {}
    for directive in field_node.directives or ():
        definition = schema.get_directive(directive.name.value)
        if definition is not None:
            found[directive.name.value] = get_argument_values(definition, directive, dict(variables))
    return found


def _root_directives(operation: OperationDefinitionNode, variables: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for field_node in _root_fields(operation):
        found.update(_directives(field_node, variables))
    return found


def _missing_idempotency(operation: OperationDefinitionNode, variables: Mapping[str, Any]) -> str | None:
    if operation.operation is not OperationType.MUTATION:
        return None
    for field_node in _root_fields(operation):
        name = field_node.name.value
        if name not in IDEMPOTENT_MUTATIONS and not name.startswith(IDEMPOTENT_PREFIXES):
            continue
        key = _directives(field_node, variables).get("idempotent", {}).get("key")
        if key is None:
            return f"The @idempotent directive is required for the {name} mutation."
        if not key.strip():
            return "The idempotency key cannot be an empty string or whitespace only."
    return None
