"""Targets: the rows of a permission table, as ``(kind, entity_type, name,
action)`` tuples, typed as text, resolved against a table, and the ones the
audit reads to find roles that can make themselves admin.

>>> import sgperms
>>> from sgperms import targets
>>> t = sgperms.read_csv("kind,entity_type,name,action,artist\\nentity,Shot,,retire,yes\\n")
>>> targets.resolve(t, targets.parse("entity:Shots::delete"))
('entity', 'Shot', '', 'retire')
"""

from __future__ import annotations

from . import NormalizeError, PermissionTable

__all__ = ["ELEVATION_TARGETS", "Target", "parse", "resolve", "unchecked_elevation"]

Target = tuple[str, str, str, str]

#: The cells that decide whether a role can make itself admin, as
#: ``sgperms.audit`` reads them: editing a person's role
#: (``HumanUser.permission_rule_set``) and editing the roles themselves.
ELEVATION_TARGETS: tuple[Target, ...] = (
    ("field", "HumanUser", "permission_rule_set", "edit"),
    ("entity", "PermissionRuleSet", "", "edit"),
)


def parse(text: str) -> Target:
    """A target written ``KIND:ENTITY:NAME:ACTION`` (``entity:Asset::create``,
    ``field:Shot:sg_status_list:edit``) as a tuple, spelt as typed. Raises
    ValueError quoting the text when it does not have four parts."""
    parts = text.split(":")
    if len(parts) != 4:
        raise ValueError(
            f'"{text}": expected KIND:ENTITY:NAME:ACTION, e.g. entity:Asset::create or field:Shot:sg_status_list:edit'
        )
    return parts[0], parts[1], parts[2], parts[3]


def resolve(table: PermissionTable, target: Target) -> Target:
    """``target`` as ``table`` spells it: display names and plurals resolved
    with the table's schema (ShotGrid's built-in entity names without one),
    ``delete`` read as ``retire``, as when reading a CSV. Raises ValueError
    when the table has no such row (a typo would otherwise become a new row
    when the target is set), or NormalizeError when a name cannot be
    resolved. Returns the target."""
    spelt = PermissionTable(["x"], schema=table.schema)
    spelt.set("x", *target, "")
    resolved = spelt.targets()[0] if spelt.targets() else target
    if resolved not in set(table.targets()):
        raise ValueError(
            f'{":".join(resolved)} is not a row of the table (a typo? targets use codes, '
            "e.g. field:Shot:sg_status_list:edit)"
        )
    return resolved


def unchecked_elevation(table: PermissionTable) -> list[Target]:
    """The ``ELEVATION_TARGETS`` the audit could not check for every role of
    ``table``: those whose effective value is unknown (empty) for some role,
    or that the table's schema lacks (nothing is recorded for them). Their
    findings may be missing from ``sgperms.audit(table)``."""

    def unknown(target: Target) -> bool:
        try:
            return any(table.effective(role, *target) == "" for role in table.roles)
        except NormalizeError:  # the schema beside the table lacks it: nothing is recorded
            return True

    return [target for target in ELEVATION_TARGETS if unknown(target)]
