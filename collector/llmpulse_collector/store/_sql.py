"""Identifier validation: the only names ever spliced into SQL text.

Values always travel as server-side parameters (``{name:Type}``); identifiers such as
database, cluster and table names cannot, so they come from configuration and must
match ``^[A-Za-z_][A-Za-z0-9_]*$``.
"""

from __future__ import annotations

import re

__all__ = ["check_parameters", "validate_identifier"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def validate_identifier(name: str, what: str = "identifier") -> str:
    """Return ``name`` unchanged, or raise ``ValueError`` if it is not a plain identifier."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"invalid {what} {name!r}: use letters, digits and '_' (not first digit)")
    return name


def check_parameters(sql: str, parameters: object) -> None:
    """Require every parameter to be bound server-side as ``{name:Type}`` in ``sql``.

    clickhouse-connect falls back to client-side ``%(name)s`` interpolation when a query
    has no ``{name:Type}`` placeholder; refusing that keeps values out of SQL text.
    """
    if not parameters:
        return
    if not isinstance(parameters, dict):
        raise TypeError("parameters must be a mapping of name -> value")
    for name in parameters:
        if "{" + str(name) + ":" not in sql:
            raise ValueError(
                f"parameter {name!r} is not bound in the SQL: write {{{name}:Type}} "
                "(server-side binding); client-side interpolation is not allowed"
            )
