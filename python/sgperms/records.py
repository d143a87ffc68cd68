"""The records sgperms reads from a site and keeps in a snapshot folder.

``Role`` is a row of roles.csv, ``Assignment`` a row of users.csv and
``Event`` a row of history.csv: ``Site`` reads them from a session,
``sgperms.snapshot`` writes and reads them as those files. Plain frozen
dataclasses, so they compare, hash and print as values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Assignment", "Event", "Role"]


@dataclass(frozen=True)
class Role:
    """A permission role (ShotGrid's PermissionRuleSet). ``template`` is the
    code of the role it was made from; ``system_default`` marks ShotGrid's
    ``*_system_default`` templates, which no one holds."""

    code: str
    display_name: str
    user_type: str
    template: str
    system_default: bool
    id: int


@dataclass(frozen=True)
class Assignment:
    """Who holds which role. ``login`` is the script name for an ApiUser;
    ``active`` is None where the site does not record it."""

    user_type: str
    id: int
    login: str
    name: str
    active: bool | None
    role: str


@dataclass(frozen=True)
class Event:
    """A permission change from the event log. ``meta`` is the raw JSON."""

    id: int
    time: str
    who: str
    kind: str
    role: str
    user: str
    description: str
    meta: str = field(default="")
