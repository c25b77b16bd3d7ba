"""The pinned Shopify Admin GraphQL schema (2026-07) and the checks every document sent to Shopify must pass.

The checks are the GraphQL spec rules plus "no deprecated usage": deprecated fields, arguments, input fields and
enum values, in the document and in the variable values. Shopify itself still serves deprecated things; the bot
must not depend on them, so the fake refuses them.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, cast

from graphql import (
    ArgumentNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    ObjectFieldNode,
    OperationDefinitionNode,
    build_client_schema,
    get_named_type,
    parse,
    specified_rules,
    type_from_ast,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.validation import ValidationRule

SCHEMA_ENV = "RETURNBOT_SHOPIFY_SCHEMA"
API_VERSION = "2026-07"


def schema_path() -> Path:
    override = os.environ.get(SCHEMA_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / f"admin-{API_VERSION}.schema.json.gz"


@cache
def _load() -> tuple[GraphQLSchema, dict[str, str]]:
    path = schema_path()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        raw = json.load(handle)
    access = {t["name"]: t["requiredAccess"] for t in raw["data"]["__schema"]["types"] if t.get("requiredAccess")}
    return build_client_schema(raw["data"]), access


def load_schema() -> GraphQLSchema:
    """The client schema built from the introspection JSON, once per process (about half a second)."""
    return _load()[0]


def required_access(type_name: str) -> str | None:
    """The schema's access-scope text for a type, e.g. "`read_customers` access scope." (None: no scope needed)."""
    return _load()[1].get(type_name)


class NoDeprecatedUsage(ValidationRule):
    """graphql-core's NoDeprecatedCustomRule, minus its crash on deprecated arguments of an AST-less client schema.

    That rule reads the field name from `field_def.ast_node`, which a schema built from introspection lacks; this
    one keeps the names of the fields it is inside instead.
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self._fields: list[str] = []

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        self._fields.append(node.name.value)
        field_def = self.context.get_field_def()
        if field_def is not None and field_def.deprecation_reason is not None:
            parent = self.context.get_parent_type()
            assert parent is not None, "a field's definition is only known inside its parent type"
            self.report_error(
                GraphQLError(
                    f"The field {parent.name}.{node.name.value} is deprecated. {field_def.deprecation_reason}", node
                )
            )

    def leave_field(self, *_args: Any) -> None:
        self._fields.pop()

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        arg_def = self.context.get_argument()
        if arg_def is None or arg_def.deprecation_reason is None:
            return
        directive = self.context.get_directive()
        if directive is not None:
            owner = f"Directive '@{directive.name}'"
        else:
            parent = self.context.get_parent_type()
            assert parent is not None, "a field argument's definition is only known inside the field's parent type"
            owner = f"Field '{parent.name}.{self._fields[-1]}'"
        message = f"{owner} argument '{node.name.value}' is deprecated. {arg_def.deprecation_reason}"
        self.report_error(GraphQLError(message, node))

    def enter_object_field(self, node: ObjectFieldNode, *_args: Any) -> None:
        input_type = get_named_type(self.context.get_parent_input_type())
        if not isinstance(input_type, GraphQLInputObjectType):
            return
        field_def = input_type.fields.get(node.name.value)
        if field_def is not None and field_def.deprecation_reason is not None:
            message = (
                f"The input field {input_type.name}.{node.name.value} is deprecated. {field_def.deprecation_reason}"
            )
            self.report_error(GraphQLError(message, node))

    def enter_enum_value(self, node: EnumValueNode, *_args: Any) -> None:
        enum_value = self.context.get_enum_value()
        if enum_value is not None and enum_value.deprecation_reason is not None:
            enum_type = get_named_type(self.context.get_input_type())
            assert enum_type is not None, "an enum value's definition is only known where its enum type is"
            message = f"The enum value '{enum_type.name}.{node.value}' is deprecated. {enum_value.deprecation_reason}"
            self.report_error(GraphQLError(message, node))


RULES = (*specified_rules, NoDeprecatedUsage)


def check_document(text: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
    """The parsed document and its errors: a syntax error, or every rule violation."""
    document, errors = _checked(text)
    return document, list(errors)


@lru_cache(maxsize=512)
def _checked(text: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    # A client sends the same few documents over and over; validating one takes tens of milliseconds.
    try:
        document = parse(text)
    except GraphQLError as error:
        return None, (error,)
    return document, tuple(validate(load_schema(), document, RULES))


def validate_document(text: str) -> list[str]:
    """Human-readable errors of a document against the pinned schema; empty when it is valid."""
    return [describe(error) for error in check_document(text)[1]]


def select_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | GraphQLError:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        for op in operations:
            if op.name is not None and op.name.value == operation_name:
                return op
        return GraphQLError(f"Unknown operation named '{operation_name}'.")
    if len(operations) == 1:
        return operations[0]
    return GraphQLError("Must provide operation name if query contains multiple operations.")


def check_variables(
    operation: OperationDefinitionNode, variables: Mapping[str, Any] | None
) -> tuple[dict[str, Any], list[GraphQLError]]:
    """Coerced variable values, or the errors: coercion per the spec plus deprecated input fields and enum values."""
    schema = load_schema()
    definitions = operation.variable_definitions or ()
    coerced = get_variable_values(schema, definitions, dict(variables or {}))
    if isinstance(coerced, list):
        return {}, coerced
    errors: list[GraphQLError] = []
    given = variables or {}
    for definition in definitions:
        name = definition.variable.name.value
        if name in given:
            # coercion succeeded above: every variable's type is an input type of the schema
            var_type = cast(GraphQLInputType, type_from_ast(schema, definition.type))
            _deprecated_in_value(var_type, given[name], f"${name}", definition, errors)
    return coerced, errors


def _deprecated_in_value(
    type_: GraphQLInputType, value: Any, where: str, node: Any, errors: list[GraphQLError]
) -> None:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if value is None:
        return
    if isinstance(type_, GraphQLList):
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            _deprecated_in_value(type_.of_type, item, f"{where}[{i}]", node, errors)
    elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, Mapping):
        for key, item in value.items():
            field_def = type_.fields.get(key)
            if field_def is None:
                continue
            if field_def.deprecation_reason is not None:
                what = f"the input field {type_.name}.{key}"
                errors.append(
                    GraphQLError(f"Variable {where}: {what} is deprecated. {field_def.deprecation_reason}", node)
                )
            _deprecated_in_value(field_def.type, item, f"{where}.{key}", node, errors)
    elif isinstance(type_, GraphQLEnumType) and isinstance(value, str):
        enum_value = type_.values.get(value)
        if enum_value is not None and enum_value.deprecation_reason is not None:
            what = f"the enum value '{type_.name}.{value}'"
            errors.append(
                GraphQLError(f"Variable {where}: {what} is deprecated. {enum_value.deprecation_reason}", node)
            )


def coerce_variables(text: str, variables: Mapping[str, Any] | None, operation_name: str | None = None) -> list[str]:
    """Human-readable errors of the variable values for a (valid) document; empty when they fit."""
    document, errors = check_document(text)
    if document is None or errors:
        return [describe(error) for error in errors]
    operation = select_operation(document, operation_name)
    if isinstance(operation, GraphQLError):
        return [describe(operation)]
    return [describe(error) for error in check_variables(operation, variables)[1]]


def describe(error: GraphQLError) -> str:
    if not error.locations:
        return error.message
    where = ", ".join(f"{loc.line}:{loc.column}" for loc in error.locations)
    return f"{error.message} (at {where})"
