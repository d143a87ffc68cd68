"""Type stubs for sgperms' Rust core (``sgperms._core``)."""

import os
from collections.abc import Iterator, Sequence
from typing import IO, Any, Union, final, overload

__all__ = [
    "__version__",
    "SgpermsError",
    "CsvError",
    "TableError",
    "NormalizeError",
    "TierError",
    "FolderError",
    "FormulaWarning",
    "PermissionTable",
    "read_csv_bytes",
    "did_you_mean",
    "Schema",
    "Folder",
    "Tiers",
    "Plan",
    "Change",
    "Violation",
    "Violations",
    "Decision",
    "Finding",
    "Findings",
    "audit",
    "Changes",
    "diff",
    "drift",
    "report_role",
    "render_site",
    "write_site",
    "warn_formulas",
    "spreadsheet_csv",
    "markdown_text",
    "arrow_text_stream",
    "terminal_text",
    "write_atomic_bytes",
    "template",
    "refresh",
]

__version__: str

# Not runtime names: the (kind, entity_type, name, action) tuples the core
# returns, and where text can be written (a path, or a file object for tables).
_Target = tuple[str, str, str, str]
_Path = Union[str, "os.PathLike[str]"]
_PathOrFile = Union[str, "os.PathLike[str]", IO[str]]

class SgpermsError(Exception):
    """Base of every sgperms exception. ``kind`` names what went wrong in a
    word (snake_case), e.g. "unknown_role", "conflicting_values", "busy"; a
    subclass that sets none gets its own name ("probe_aborted")."""

    kind: str

class CsvError(SgpermsError, ValueError):
    """A permission CSV could not be read; nothing was loaded. ``kind``: "empty",
    "invalid_utf8", "utf16", "unclosed_quote", "long_column_in_wide",
    "bad_separator_line", "syntax", "missing_columns", "duplicate_column",
    "unexpected_column", "unnamed_column_with_data", "ragged",
    "conflicting_values", "conflicting_notes", or a NormalizeError's or
    TableError's kind for a name or value in the file."""

    path: str | None
    row: int | None
    column: str | None
    value: str | None

class TableError(SgpermsError, ValueError):
    """A change the permission table cannot hold. ``kind``: "bad_target",
    "bad_action", "inherit_outside_field", "unknown_role", "duplicate_role",
    "stale", "bad_role_code" or "empty_condition"."""

class NormalizeError(SgpermsError, ValueError):
    """A name or value that cannot be turned into its canonical form. ``kind``:
    "unknown_value", "empty_condition", "unknown_kind", "unknown_action",
    "unknown_entity", "ambiguous_entity", "unknown_field", "ambiguous_field",
    "unknown_role" or "ambiguous_role"."""

class FormulaWarning(UserWarning):
    """A table read holds cells a spreadsheet would run as formulas; sgperms keeps them as written."""

@final
class Schema:
    """A site's schema: entity types and fields with display names and data types."""

    @staticmethod
    def from_shotgun_dicts(
        schema_read: dict[str, Any], schema_entity_read: dict[str, Any] | None = None
    ) -> Schema:
        """Build from what shotgun_api3's schema_read() and schema_entity_read() return."""
    @staticmethod
    def from_json(text: str) -> Schema:
        """Read a schema written by to_json()."""
    def to_json(self) -> str:
        """The schema as stable, pretty-printed JSON."""
    def entity_types(self) -> list[str]:
        """Entity type codes, sorted."""
    def display_name(self, entity_type: str) -> str:
        """Display name of an entity type; KeyError when unknown."""
    def fields(self, entity_type: str) -> list[tuple[str, str, str]]:
        """(code, display_name, data_type) of each field, sorted by code."""
    def __len__(self) -> int: ...
    def __contains__(self, entity_type: str, /) -> bool: ...
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        """Pickles as its JSON."""
    def __copy__(self) -> Schema:
        """The schema itself: it is immutable."""
    def __deepcopy__(self, memo: Any) -> Schema: ...

@final
class PermissionTable:
    """A permission grid: rows are targets (kind, entity_type, name, action), columns are roles."""

    def __new__(cls, roles: Sequence[str] | None = None, *, schema: Schema | None = None) -> PermissionTable: ...
    @property
    def roles(self) -> list[str]:
        """Role codes in table order."""
    @property
    def schema(self) -> Schema | None:
        """The schema names are resolved against, if any."""
    def __len__(self) -> int:
        """Number of targets (rows)."""
    def targets(self) -> list[_Target]:
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
        note: str | None = None,
    ) -> None:
        """Set one cell from any accepted spelling; adds the target when new."""
    def effective(self, role: str, kind: str, entity_type: str, name: str, action: str) -> str:
        """What the role really has: inherit resolved, entity 'no' applied to fields."""
    def note(self, kind: str, entity_type: str, name: str, action: str) -> str:
        """The target's note ('' when none)."""
    @overload
    def to_csv(self, path: None = None, *, layout: str = "wide") -> str:
        """Canonical CSV text."""
    @overload
    def to_csv(self, path: _PathOrFile, *, layout: str = "wide") -> None:
        """Write the canonical CSV to a file object, or to `path` atomically."""
    def to_records(self) -> list[dict[str, str]]:
        """Every cell as a dict with the long layout's keys."""
    def to_pandas(self) -> Any:  # pandas.DataFrame; pandas ships no type information
        """Long-layout DataFrame with categorical role/kind/action/value columns."""
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The wide layout as an Arrow stream capsule (polars.DataFrame(t), pyarrow.table(t), DuckDB):
        dictionary-encoded keys and roles, cells as canonical text ("" unknown), a plain note."""
    def known_cells(self) -> int:
        """The number of cells whose value is known (not empty)."""
    def compare_roles(self, a: str, b: str, *, effective: bool = True) -> Changes:
        """Where role b differs from role a: each change reads "a has before, b has after"."""
    def _repr_html_(self) -> str: ...
    def copy(self) -> PermissionTable:
        """An independent copy."""
    def __copy__(self) -> PermissionTable: ...
    def __deepcopy__(self, memo: Any) -> PermissionTable: ...
    def __reduce__(self) -> tuple[Any, tuple[()], tuple[bytes, Schema | None]]:
        """Pickles as the canonical wide CSV and the schema."""
    def __setstate__(self, state: tuple[bytes, Schema | None]) -> None:
        """Reads the state __reduce__ gave back verbatim; CsvError when it is garbled."""
    def __eq__(self, other: object, /) -> bool: ...

def read_csv_bytes(
    data: bytes,
    *,
    layout: str | None = None,
    schema: Schema | None = None,
    roles: Sequence[tuple[str, str]] | None = None,
    path: str | None = None,
    lenient: bool = False,
    strict_roles: bool = False,
    stacklevel: int = 1,
) -> tuple[PermissionTable, str]:
    """Read CSV bytes; returns the table and the layout ('wide' or 'long') it was in.
    With `lenient`, names the schema or roles do not know are kept as typed;
    `strict_roles` keeps unknown roles errors even then. Cells a spreadsheet
    would run as formulas give one FormulaWarning, `stacklevel` frames up."""

def did_you_mean(name: str, candidates: Sequence[str]) -> str:
    """' (did you mean "X"?)' for the candidate closest to name, or ""."""

def warn_formulas(data: bytes, path: str | None = None, stacklevel: int = 1) -> None:
    """One FormulaWarning when a CSV with a header row holds cells a spreadsheet would run as formulas."""

def spreadsheet_csv(rows: Sequence[Sequence[str]]) -> str:
    """Rows as CSV for a spreadsheet (never read back): formula starts prefixed with a single quote."""

def markdown_text(text: str) -> str:
    """Text as Markdown that renders as that literal text, on one line."""

def arrow_text_stream(
    columns: Sequence[tuple[str, Sequence[str]]], repeated: Sequence[str], requested_schema: object | None = None
) -> object:
    """Text columns as an Arrow stream capsule; those named in repeated dictionary-encoded."""

def terminal_text(text: str, one_line: bool = False) -> str:
    """Text with controls, bidi overrides and invisible characters shown escaped (\\x1b, \\u202e)."""

def write_atomic_bytes(path: _Path, data: bytes) -> None:
    """Write bytes to a file atomically."""

class FolderError(SgpermsError, OSError):
    """A managed folder (snapshot, report site) could not be read or written
    as one unit; ``kind`` is "busy", "symlink", "bad_name", "refused", "io" or "journal"."""

    kind: str

@final
class Folder:
    """A managed folder opened to read (shared lock) or write (exclusive
    lock) as one unit; an interrupted write is rolled back on opening."""

    def __new__(cls, path: _Path, *, write: bool, wait: float = 30.0, holder: str = "") -> Folder: ...
    @property
    def recovered(self) -> str | None:
        """What interrupted write was rolled back on opening, or None."""
    @property
    def path(self) -> os.PathLike[str]:
        """The folder, as a pathlib.Path."""
    def check(self, names: Sequence[str]) -> None:
        """Raise FolderError for a name commit() would refuse."""
    def commit(self, files: Sequence[tuple[str, bytes]], *, remove: Sequence[str] | None = None) -> None:
        """Replace the named files and remove those in ``remove`` as one unit:
        all new and the removed gone, or all as they were."""
    def close(self) -> None:
        """Release the lock."""
    def __enter__(self) -> Folder: ...
    def __exit__(self, *exc: Any) -> bool: ...

def template(schema: Schema, roles: Sequence[str]) -> PermissionTable:
    """Every entity type (4 actions) and field (see, edit) of the schema for these roles."""

def refresh(
    previous: PermissionTable, fresh: PermissionTable
) -> tuple[PermissionTable, list[_Target], list[_Target], list[str]]:
    """Carry previous known values and notes into fresh: (table, added, dropped, dropped roles)."""

class TierError(SgpermsError, ValueError):
    """A tier file or tier operation failed. ``kind``: "syntax", "cycle",
    "unknown_role", "not_in_tiers", "not_a_grant", "stale_plan" or "invalid_utf8"."""

@final
class Change:
    role: str
    target: _Target
    before: str
    after: str
    why: str

@final
class Plan:
    """Changes to make; nothing changes until apply()."""

    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    def __iter__(self) -> Iterator[Change]: ...
    def changes(self) -> list[Change]:
        """The changes, in order."""
    def apply(self, table: PermissionTable) -> PermissionTable:
        """A new table with the plan applied; TierError when the table moved on."""
    @overload
    def to_csv(self, path: None = None) -> str:
        """The plan as CSV for a spreadsheet (formula starts prefixed with ')."""
    @overload
    def to_csv(self, path: _PathOrFile) -> None:
        """Write the plan's CSV to a file object, or to `path` atomically."""
    def _repr_html_(self) -> str: ...

@final
class Violation:
    upper: str
    lower: str
    target: _Target
    upper_value: str
    lower_value: str
    unknown: bool

@final
class Violations:
    """The result of Tiers.check: behaves as a list of Violation (made on first
    use), with a Jupyter preview, to_pandas() and summary()."""

    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    @overload
    def __getitem__(self, index: int, /) -> Violation: ...
    @overload
    def __getitem__(self, index: slice, /) -> list[Violation]: ...
    def __iter__(self) -> Iterator[Violation]: ...
    def __reversed__(self) -> Iterator[Violation]: ...
    def __contains__(self, value: object, /) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...
    def _repr_html_(self) -> str: ...
    def to_pandas(self) -> Any:  # pandas.DataFrame
        """One row per violation: kind, entity_type, name, action, upper, upper_value,
        lower, lower_value, unknown."""
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The to_pandas() columns as an Arrow stream capsule: text dictionary-encoded, unknown boolean."""
    def summary(self) -> dict[str, list[Any]]:
        """{"edges": [(upper, lower, count)], "targets": [((kind, entity_type, name, action), count)]}."""

@final
class Decision:
    allowed: bool
    reason: str
    actor_role: str
    current_role: str
    new_role: str
    def __bool__(self) -> bool: ...
    def to_dict(self) -> dict[str, object]:
        """The decision as a dict, for a log."""

@final
class Finding:
    kind: str
    role: str
    target: _Target
    value: str
    detail: str

@final
class Findings:
    """The result of audit(): behaves as a list of Finding, with a Jupyter preview."""

    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    @overload
    def __getitem__(self, index: int, /) -> Finding: ...
    @overload
    def __getitem__(self, index: slice, /) -> list[Finding]: ...
    def __iter__(self) -> Iterator[Finding]: ...
    def __reversed__(self) -> Iterator[Finding]: ...
    def __contains__(self, value: object, /) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...
    def _repr_html_(self) -> str: ...

@final
class Tiers:
    """Role tiers: chains of roles, higher first."""

    @staticmethod
    def parse(text: str) -> Tiers:
        """Parse tier text; TierError names the line."""
    @staticmethod
    def read(path: _Path) -> Tiers:
        """Read a tier file; errors name the file and line."""
    @property
    def roles(self) -> list[str]: ...
    @property
    def admins(self) -> list[str]: ...
    def ancestors(self, role: str) -> list[str]:
        """Every role above `role`."""
    def descendants(self, role: str) -> list[str]:
        """Every role below `role`."""
    def grant(
        self, table: PermissionTable, role: str, kind: str, entity_type: str, name: str, action: str, value: str = "yes"
    ) -> Plan:
        """Plan: `role` and every role above it get at least `value`."""
    def revoke(self, table: PermissionTable, role: str, kind: str, entity_type: str, name: str, action: str) -> Plan:
        """Plan: `role` and every role below it get "no"."""
    def check(self, table: PermissionTable, *, unknown: bool = False) -> Violations:
        """Lower tiers allowed more than higher ones, on effective values: once per
        direct tier edge (across roles unknown on that target)."""
    def can_assign(self, actor_role: str, current_role: str, new_role: str) -> Decision:
        """Whether actor_role may move someone from current_role to new_role."""
    def _repr_html_(self) -> str: ...

def audit(table: PermissionTable, tiers: Tiers | None = None) -> Findings:
    """Roles that can make themselves admin; with tiers, roles granted more than every ancestor."""

@final
class Changes:
    """Differences between two tables or two roles."""

    old: str
    new: str
    roles_added: list[str]
    roles_removed: list[str]
    targets_added: list[_Target]
    targets_removed: list[_Target]
    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    def __iter__(self) -> Iterator[dict[str, str]]: ...
    def summary(self) -> str:
        """One line: what changed, in numbers."""
    def to_text(self) -> str: ...
    @overload
    def to_csv(self, path: None = None) -> str:
        """The records as CSV for a spreadsheet (formula starts prefixed with ')."""
    @overload
    def to_csv(self, path: _PathOrFile) -> None:
        """Write the records' CSV to a file object, or to `path` atomically."""
    def to_markdown(self) -> str:
        """Markdown fit for a pull-request description; site and table text renders as literal text."""
    def to_json(self) -> str:
        """The changes as JSON; controls and bidi overrides in the data are \\u escapes."""
    def to_click_plan(self, roles: Sequence[tuple[str, str]] | None = None, schema: Schema | None = None) -> str:
        """Where to click on ShotGrid's Permissions page; roles maps code to display name."""
    def to_permission_changes(self) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        """EXPERIMENTAL: (entries for measured rule types, unmapped changes with reasons)."""
    def apply(self, table: PermissionTable) -> PermissionTable: ...
    def to_pandas(self) -> Any:  # pandas.DataFrame
        """The records as a DataFrame."""
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The records as an Arrow stream capsule: every column but note dictionary-encoded."""
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
    roles: Sequence[tuple[str, str, str, str]] | None = None,
    users: Sequence[tuple[str, str, str, bool | None]] | None = None,
    schema: Schema | None = None,
    title: str = "",
    snapshot: tuple[str, str, str] | None = None,
    tiers: Tiers | None = None,
) -> str: ...

def render_site(
    table: PermissionTable,
    *,
    roles: Sequence[tuple[str, str, str, str]] | None = None,
    users: Sequence[tuple[str, str, str, bool | None]] | None = None,
    schema: Schema | None = None,
    title: str = "",
    snapshot: tuple[str, str, str] | None = None,
    tiers: Tiers | None = None,
) -> list[tuple[str, str]]:
    """The HTML site's pages as (file name, text) pairs; `tiers` orders the matrix's roles."""

def write_site(
    folder: Folder,
    table: PermissionTable,
    *,
    roles: Sequence[tuple[str, str, str, str]] | None = None,
    users: Sequence[tuple[str, str, str, bool | None]] | None = None,
    schema: Schema | None = None,
    title: str = "",
    snapshot: tuple[str, str, str] | None = None,
    tiers: Tiers | None = None,
) -> list[str]:
    """Render the HTML site and write it into `folder` (open to write) as one unit; the file names written."""
