"""Type stubs for sgperms' Rust core (``sgperms._core``)."""

import os
from typing import IO, Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

__version__: str

Target = Tuple[str, str, str, str]

class CsvError(ValueError):
    """A permission CSV could not be read; nothing was loaded."""

    path: Optional[str]
    row: Optional[int]
    column: Optional[str]
    value: Optional[str]

class TableError(ValueError):
    """A change the permission table cannot hold."""

class NormalizeError(ValueError):
    """A name or value that cannot be turned into its canonical form."""

class FormulaWarning(UserWarning):
    """A table read holds cells a spreadsheet would run as formulas; sgperms keeps them as written."""

class Schema:
    """A site's schema: entity types and fields with display names and data types."""

    @staticmethod
    def from_shotgun_dicts(schema_read: dict, schema_entity_read: Optional[dict] = None) -> Schema:
        """Build from what shotgun_api3's schema_read() and schema_entity_read() return."""
    @staticmethod
    def from_json(text: str) -> Schema:
        """Read a schema written by to_json()."""
    def to_json(self) -> str:
        """The schema as stable, pretty-printed JSON."""
    def entity_types(self) -> List[str]:
        """Entity type codes, sorted."""
    def display_name(self, entity_type: str) -> str:
        """Display name of an entity type; KeyError when unknown."""
    def fields(self, entity_type: str) -> List[Tuple[str, str, str]]:
        """(code, display_name, data_type) of each field, sorted by code."""
    def __len__(self) -> int: ...
    def __contains__(self, entity_type: str) -> bool: ...

class PermissionTable:
    """A permission grid: rows are targets (kind, entity_type, name, action), columns are roles."""

    def __init__(self, roles: Optional[Sequence[str]] = None, *, schema: Optional[Schema] = None) -> None: ...
    @property
    def roles(self) -> List[str]:
        """Role codes in table order."""
    @property
    def schema(self) -> Optional[Schema]:
        """The schema names are resolved against, if any."""
    def __len__(self) -> int:
        """Number of targets (rows)."""
    def targets(self) -> List[Target]:
        """Targets in canonical order."""
    def get(self, role: str, kind: str, entity_type: str, name: str, action: str) -> str:
        """Canonical value: 'yes', 'no', 'inherit', 'if <condition>' or '' (unknown)."""
    def set(
        self,
        role: str,
        kind: str,
        entity_type: str,
        name: str,
        action: str,
        value: str,
        note: Optional[str] = None,
    ) -> None:
        """Set one cell from any accepted spelling; adds the target when new."""
    def effective(self, role: str, kind: str, entity_type: str, name: str, action: str) -> str:
        """What the role really has: inherit resolved, entity 'no' applied to fields."""
    def note(self, kind: str, entity_type: str, name: str, action: str) -> str:
        """The target's note ('' when none)."""
    def to_csv(
        self, path: Union[str, os.PathLike, IO[str], None] = None, *, layout: str = "wide"
    ) -> Optional[str]:
        """Canonical CSV text; None after writing a file object or `path` (atomically)."""
    def to_records(self) -> List[Dict[str, str]]:
        """Every cell as a dict with the long layout's keys."""
    def to_pandas(self):  # -> pandas.DataFrame
        """Long-layout DataFrame with categorical role/kind/action/value columns."""
    def known_cells(self) -> int:
        """The number of cells whose value is known (not empty)."""
    def compare_roles(self, a: str, b: str, *, effective: bool = True) -> Changes:
        """Where role b differs from role a: each change reads "a has before, b has after"."""
    def _repr_html_(self) -> str: ...
    def copy(self) -> PermissionTable:
        """An independent copy."""
    def __eq__(self, other: object) -> bool: ...

def read_csv_bytes(
    data: bytes,
    *,
    layout: Optional[str] = None,
    schema: Optional[Schema] = None,
    roles: Optional[Sequence[Tuple[str, str]]] = None,
    path: Optional[str] = None,
    lenient: bool = False,
    strict_roles: bool = False,
    stacklevel: int = 1,
) -> Tuple[PermissionTable, str]:
    """Read CSV bytes; returns the table and the layout ('wide' or 'long') it was in.
    With `lenient`, names the schema or roles do not know are kept as typed;
    `strict_roles` keeps unknown roles errors even then. Cells a spreadsheet
    would run as formulas give one FormulaWarning, `stacklevel` frames up."""

def warn_formulas(data: bytes, path: Optional[str] = None, stacklevel: int = 1) -> None:
    """One FormulaWarning when a CSV with a header row holds cells a spreadsheet would run as formulas."""

def spreadsheet_csv(rows: Sequence[Sequence[str]]) -> str:
    """Rows as CSV for a spreadsheet (never read back): formula starts prefixed with a single quote."""

def terminal_text(text: str, one_line: bool = False) -> str:
    """Text with controls, bidi overrides and invisible characters shown escaped (\\x1b, \\u202e)."""

def write_atomic_bytes(path: Union[str, os.PathLike], data: bytes) -> None:
    """Write bytes to a file atomically."""

class FolderError(OSError):
    """A managed folder (snapshot, report site) could not be read or written
    as one unit; ``kind`` is "busy", "symlink", "bad_name", "refused", "io" or "journal"."""

    kind: str

class Folder:
    """A managed folder opened to read (shared lock) or write (exclusive
    lock) as one unit; an interrupted write is rolled back on opening."""

    def __init__(self, path: Union[str, os.PathLike], *, write: bool, wait: float = 30.0, holder: str = "") -> None: ...
    @property
    def recovered(self) -> Optional[str]:
        """What interrupted write was rolled back on opening, or None."""
    @property
    def path(self) -> "os.PathLike[str]":
        """The folder, as a pathlib.Path."""
    def check(self, names: Sequence[str]) -> None:
        """Raise FolderError for a name commit() would refuse."""
    def commit(self, files: Sequence[Tuple[str, bytes]]) -> None:
        """Replace the named files as one unit: all new, or all as they were."""
    def close(self) -> None:
        """Release the lock."""
    def __enter__(self) -> "Folder": ...
    def __exit__(self, *exc: Any) -> bool: ...

def template(schema: Schema, roles: Sequence[str]) -> PermissionTable:
    """Every entity type (4 actions) and field (see, edit) of the schema for these roles."""

def refresh(
    previous: PermissionTable, fresh: PermissionTable
) -> Tuple[PermissionTable, List[Target], List[Target], List[str]]:
    """Carry previous known values and notes into fresh: (table, added, dropped, dropped roles)."""

class TierError(ValueError):
    """A tier file or tier operation failed."""

class Change:
    role: str
    target: Target
    before: str
    after: str
    why: str

class Plan:
    """Changes to make; nothing changes until apply()."""

    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    def __iter__(self) -> Iterator[Change]: ...
    def changes(self) -> List[Change]:
        """The changes, in order."""
    def apply(self, table: PermissionTable) -> PermissionTable:
        """A new table with the plan applied; TierError when the table moved on."""
    def to_csv(self, path: Union[str, os.PathLike, None] = None) -> Optional[str]:
        """The plan as CSV for a spreadsheet (formula starts prefixed with '), or None after writing `path` atomically."""

class Violation:
    upper: str
    lower: str
    target: Target
    upper_value: str
    lower_value: str
    unknown: bool

class Decision:
    allowed: bool
    reason: str
    actor_role: str
    current_role: str
    new_role: str
    def __bool__(self) -> bool: ...
    def to_dict(self) -> Dict[str, object]:
        """The decision as a dict, for a log."""

class Finding:
    kind: str
    role: str
    target: Target
    value: str
    detail: str

class Tiers:
    """Role tiers: chains of roles, higher first."""

    @staticmethod
    def parse(text: str) -> Tiers:
        """Parse tier text; TierError names the line."""
    @staticmethod
    def read(path: Union[str, os.PathLike]) -> Tiers:
        """Read a tier file; errors name the file and line."""
    @property
    def roles(self) -> List[str]: ...
    @property
    def admins(self) -> List[str]: ...
    def ancestors(self, role: str) -> List[str]:
        """Every role above `role`."""
    def descendants(self, role: str) -> List[str]:
        """Every role below `role`."""
    def grant(
        self, table: PermissionTable, role: str, kind: str, entity_type: str, name: str, action: str, value: str = "yes"
    ) -> Plan:
        """Plan: `role` and every role above it get at least `value`."""
    def revoke(self, table: PermissionTable, role: str, kind: str, entity_type: str, name: str, action: str) -> Plan:
        """Plan: `role` and every role below it get "no"."""
    def check(self, table: PermissionTable, *, unknown: bool = False) -> List[Violation]:
        """Lower tiers allowed more than higher ones, on effective values."""
    def can_assign(self, actor_role: str, current_role: str, new_role: str) -> Decision:
        """Whether actor_role may move someone from current_role to new_role."""

def audit(table: PermissionTable, tiers: Optional[Tiers] = None) -> List[Finding]:
    """Roles that can make themselves admin; with tiers, roles granted more than every ancestor."""

class Changes:
    """Differences between two tables or two roles."""

    old: str
    new: str
    roles_added: List[str]
    roles_removed: List[str]
    targets_added: List[Target]
    targets_removed: List[Target]
    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    def __iter__(self) -> Iterator[Dict[str, str]]: ...
    def summary(self) -> str:
        """One line: what changed, in numbers."""
    def to_text(self) -> str: ...
    def to_csv(self, path: Union[str, os.PathLike, None] = None) -> Optional[str]:
        """The records as CSV for a spreadsheet (formula starts prefixed with '), or None after writing `path`."""
    def to_markdown(self) -> str:
        """Markdown fit for a pull-request description; site and table text renders as literal text."""
    def to_json(self) -> str:
        """The changes as JSON; controls and bidi overrides in the data are \\u escapes."""
    def to_click_plan(self, roles: Optional[Sequence[Tuple[str, str]]] = None) -> str:
        """Where to click on ShotGrid's Permissions page; roles maps code to display name."""
    def to_permission_changes(self) -> Tuple[List[Dict[str, object]], List[Dict[str, object]]]:
        """EXPERIMENTAL: (entries for measured rule types, unmapped changes with reasons)."""
    def apply(self, table: PermissionTable) -> PermissionTable: ...
    def to_pandas(self): ...
    def _repr_html_(self) -> str: ...

def diff(old: PermissionTable, new: PermissionTable) -> Changes:
    """Everything that differs from old to new."""

def drift(recorded: PermissionTable, probed: PermissionTable) -> Changes:
    """Cells where a probed table disagrees with a recorded one (effective values, by permission order)."""

def report_role(
    table: PermissionTable,
    role: str,
    *,
    format: str = "markdown",
    roles: Optional[Sequence[Tuple[str, str, str, str]]] = None,
    users: Optional[Sequence[Tuple[str, str, str, Optional[bool]]]] = None,
    schema: Optional[Schema] = None,
    title: str = "",
) -> str: ...

def render_site(
    table: PermissionTable,
    *,
    roles: Optional[Sequence[Tuple[str, str, str, str]]] = None,
    users: Optional[Sequence[Tuple[str, str, str, Optional[bool]]]] = None,
    schema: Optional[Schema] = None,
    title: str = "",
) -> List[Tuple[str, str]]:
    """The HTML site's pages as (file name, text) pairs."""
