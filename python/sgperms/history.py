"""The history of a snapshot folder kept in git, as one record: ``log``
(``sgperms log``), ``History``, and ``table_at`` (a folder's table at a
revision; ``sgperms diff DIR@REV``).

``log`` walks the commits on HEAD's first-parent line that touched the
folder's permissions.csv, users.csv or history.csv, oldest first. The
first commit read is the starting point; each later one is compared with the
one before it: every cell, note, target and role the table changed
(``sgperms.diff``), every role assignment users.csv changed, and the
event-log entries (history.csv rows) first recorded in that commit, attached
to the records they concern. Only two tables are held at a time; the files'
bytes stream from one ``git cat-file --batch`` (``sgperms.git``).

A commit whose permissions.csv (or users.csv, history.csv) does not read is
named in ``History.skipped`` with the error (row and column) and left out:
the next commit is compared with the last one that read.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, Union

from . import FormulaWarning, PermissionTable, Schema, TableError, _html
from . import diff as _diff
from ._core import arrow_text_stream, did_you_mean, markdown_text, spreadsheet_csv
from .git import Commit, HistoryError, Objects, ReadAhead, Repo, day_end, day_start
from .records import Assignment
from .snapshot import (
    HISTORY_CSV,
    HISTORY_HEADER,
    PERMISSIONS_CSV,
    ROLES_CSV,
    SCHEMA_JSON,
    USERS_CSV,
    parse_history,
    parse_table,
    read_roles,
    read_schema,
    read_users,
    role_columns,
    role_names,
)

__all__ = ["KEYS", "History", "HistoryError", "log", "split_revision", "table_at"]

PathLike = Union[str, "os.PathLike[str]"]

#: The keys of a record, in order, and the columns of the tabular forms
#: (CSV, pandas, Arrow), where ``events`` is text: one line per event,
#: ``TIME WHO: DESCRIPTION``. ``change`` is cell, note, role_added,
#: role_removed, target_added, target_removed (from the table), assignment,
#: user_added, user_removed, active (from users.csv) or event (an event-log
#: entry no other record of its commit concerns).
KEYS = ("commit", "date", "change", "role", "kind", "entity_type", "name", "action", "before", "after", "note",
        "user", "who", "events")
#: Columns whose values repeat (dictionary-encoded in Arrow, categories in pandas).
REPEATED = ("commit", "date", "change", "role", "kind", "entity_type", "name", "action", "before", "after", "who")
#: What an event is in a record: the history.csv columns but ``meta``.
EVENT_KEYS = HISTORY_HEADER[:-1]

Record = dict[str, Any]
Progress = Callable[[str], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Cell:
    """One cell of a table: ``ROLE:KIND:ENTITY:NAME:ACTION`` (NAME may be empty)."""

    role: str
    kind: str
    entity_type: str
    name: str
    action: str

    @classmethod
    def parse(cls, text: str) -> Cell:
        """A cell from ``artist:entity:Version::retire``; ValueError saying
        the expected shape otherwise. A name holding ``:`` is kept whole."""
        head = text.split(":", 3)
        if len(head) == 4 and ":" in head[3]:
            name, action = head[3].rsplit(":", 1)
            if all(p.strip() for p in (head[0], head[1], head[2], action)):
                return cls(head[0].strip(), head[1].strip(), head[2].strip(), name.strip(), action.strip())
        raise ValueError(
            f'"{text}" is not a cell; expected ROLE:KIND:ENTITY:NAME:ACTION, e.g. artist:entity:Version::retire '
            "or artist:field:Shot:sg_status_list:edit"
        )

    def matches(self, record: Record) -> bool:
        """Whether a record is about this cell: its changes, its row added or
        removed, its role added or removed."""
        target = (record["kind"], record["entity_type"], record["name"], record["action"])
        mine = self.target
        change = record["change"]
        if change == "cell":
            return bool(record["role"] == self.role and target == mine)
        if change in ("target_added", "target_removed"):
            return target == mine
        return change in ("role_added", "role_removed") and record["role"] == self.role

    @property
    def target(self) -> tuple[str, str, str, str]:
        """The cell's row: (kind, entity_type, name, action)."""
        return self.kind, self.entity_type, self.name, self.action

    def __str__(self) -> str:
        return f"{self.role}:{self.kind}:{self.entity_type}:{self.name}:{self.action}"


class History:
    """What changed in a snapshot folder, commit by commit, oldest first
    (``sgperms.log``). A sequence of records: dicts with the keys ``KEYS``;
    ``events`` is a list of dicts (``id``, ``time``, ``who``, ``kind``,
    ``role``, ``user``, ``description``) and ``who`` the people those events
    name. ``start`` is the starting point (a ``Commit``, or None when no
    version read), ``head`` the last commit read, ``commits`` how many were
    read, ``skipped`` the commits left out (dicts: commit, date, file,
    error). For ``--cell``, ``start_value`` is the cell's value at the start."""

    def __init__(self, folder: str, records: list[Record], *, start: Commit | None, head: Commit | None,
                 commits: int, skipped: list[dict[str, str]], cell: Cell | None = None, role: str | None = None,
                 start_value: str | None = None, since: str | None = None, until: str | None = None) -> None:
        self.folder = folder
        self.records = records
        self.start = start
        self.head = head
        self.commits = commits
        self.skipped = skipped
        self.cell = cell
        self.role = role
        self.start_value = start_value
        self.since = since
        self.until = until

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __getitem__(self, index: int) -> Record:
        return self.records[index]

    def __repr__(self) -> str:
        return f"<History {self.folder}: {self.summary()}>"

    def summary(self) -> str:
        """One line: how many changes in how many commits, from when to when."""
        if self.start is None and self.skipped:
            return f"no version of the folder could be read; {len(self.skipped)} skipped (unreadable)"
        if self.start is None:
            window = " ".join(p for p in (f"from {self.since}" if self.since else "",
                                          f"to {self.until}" if self.until else "") if p)
            return f"no commit touched the folder {window}".rstrip()
        span = f"{self.commits} commit{'s' if self.commits != 1 else ''} read, {self.start.date}"
        if self.head and self.head != self.start:
            span += f" to {self.head.date}"
        changed = len({r["commit"] for r in self.records})
        text = f"{len(self.records)} change{'s' if len(self.records) != 1 else ''}"
        text += f" in {changed} commit{'s' if changed != 1 else ''} ({span})"
        if self.skipped:
            text += f"; {len(self.skipped)} skipped (unreadable)"
        return text

    def rows(self) -> list[list[str]]:
        """The records as rows of text in the order of ``KEYS``."""
        return [[_as_text(key, record[key]) for key in KEYS] for record in self.records]

    def to_text(self) -> str:
        """For people: a line per change under a line per commit, events
        indented under what they concern, skipped commits marked ``!``."""
        out = [self._title()]
        by_commit: dict[str, list[Record]] = {}
        for record in self.records:
            by_commit.setdefault(record["commit"], []).append(record)
        for commit, date, lines in self._timeline(by_commit):
            out.append(f"{commit[:10]} {date}")
            out.extend(lines)
        return "\n".join(out) + "\n"

    def _title(self) -> str:
        title = f"{self.folder}: {self.summary()}"
        if self.cell is not None and self.start is not None:
            shown = self.start_value if self.start_value else "unknown (no such cell)"
            title += f"\n{self.cell} at the start ({self.start.short}, {self.start.date}): {shown}"
        return title

    def _timeline(self, by_commit: dict[str, list[Record]]) -> Iterator[tuple[str, str, list[str]]]:
        """(commit, date, text lines) for each commit with changes or a skipped file, in order."""
        skipped: dict[str, list[dict[str, str]]] = {}
        for item in self.skipped:
            skipped.setdefault(item["commit"], []).append(item)
        dates = {r["commit"]: r["date"] for r in self.records} | {s["commit"]: s["date"] for s in self.skipped}
        for commit in sorted(dict.fromkeys([*by_commit, *skipped]), key=dates.__getitem__):  # stable: ties keep order
            lines = [f"  ! {s['error']} (skipped)" for s in skipped.get(commit, [])]
            records = by_commit.get(commit, [])
            folded = self._folded(records)
            for record in records:
                if record["change"] == "cell" and record["role"] in folded and not record["events"]:
                    continue
                line = _line(record)
                if record["change"] == "role_added" and record["role"] in folded:
                    line += f" ({folded[record['role']]} cells set: see them with --role {record['role']})"
                lines.append("  " + line)
                lines.extend(f"      {_event_line(e)}" for e in record["events"])
            yield commit, dates[commit], lines

    def _folded(self, records: list[Record]) -> dict[str, int]:
        """Roles added in a commit whose cells the text form counts instead
        of listing (a new role has a value in every row): role -> how many.
        None are folded when the history is filtered to a role or a cell."""
        if self.role is not None or self.cell is not None:
            return {}
        added = {r["role"] for r in records if r["change"] == "role_added"}
        counts = dict.fromkeys(added, 0)
        for r in records:
            if r["change"] == "cell" and r["role"] in counts and not r["events"]:
                counts[r["role"]] += 1
        return counts

    def to_markdown(self) -> str:
        """Markdown for a wiki or a pull request: one table of every change;
        site text renders as literal text."""
        out = [f"### History of {markdown_text(self.folder)}", "", markdown_text(self._title()), ""]
        if self.records:
            out += ["| Date | Commit | Change | Role | Rule | Before | After | Who | Events |",
                    "|---|---|---|---|---|---|---|---|---|"]
            for r in self.records:
                events = "<br>".join(markdown_text(_event_line(e)) for e in r["events"])
                out.append("| " + " | ".join(markdown_text(c) for c in _shown(r)) + f" | {events} |")
        for s in self.skipped:
            out.append(f"\n**Skipped** {markdown_text(s['commit'][:10])}: {markdown_text(s['error'])}")
        return "\n".join(out) + "\n"

    def to_csv(self) -> str:
        """The records as CSV for a spreadsheet (``KEYS``; cells that
        would run as formulas prefixed with ``'``)."""
        return spreadsheet_csv([list(KEYS), *self.rows()])

    def to_dict(self) -> dict[str, Any]:
        """The JSON form as a dict (see ``to_json``)."""
        return {
            "folder": self.folder,
            "start": _commit_dict(self.start),
            "head": _commit_dict(self.head),
            "commits": self.commits,
            "filters": {"cell": str(self.cell) if self.cell else None, "role": self.role, "since": self.since,
                        "until": self.until},
            "start_value": self.start_value,
            "records": self.records,
            "skipped": self.skipped,
        }

    def to_json(self) -> str:
        """The history as JSON (documented in docs/history.md): folder,
        start, head, commits, filters, start_value, records, skipped.
        Non-ASCII text is ``\\u`` escaped, so controls never act."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=True)

    def to_pandas(self) -> Any:
        """The records as a pandas DataFrame (``KEYS``; repeating columns as
        categories). Needs pandas."""
        import pandas

        frame = pandas.DataFrame(self.rows(), columns=list(KEYS))
        return frame.astype({c: "category" for c in REPEATED})

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The records as an Arrow stream capsule (``KEYS``; repeating
        columns dictionary-encoded), for polars, pyarrow or DuckDB."""
        rows = self.rows()
        columns = [(name, [row[i] for row in rows]) for i, name in enumerate(KEYS)]
        return arrow_text_stream(columns, list(REPEATED), requested_schema)

    def _repr_html_(self) -> str:
        header = ("date", "commit", "change", "role", "rule", "before", "after", "who")
        return _html.preview(f"History {self.folder}", self.summary(), header, map(_shown, self.records),
                             what="changes")


def _commit_dict(commit: Commit | None) -> dict[str, str] | None:
    return None if commit is None else {"commit": commit.id, "date": commit.date}


def _as_text(key: str, value: Any) -> str:
    """A record's value as one cell of text: events one per line."""
    if key == "events":
        return "\n".join(_event_line(e) for e in value)
    return str(value)


def _shown(record: Record) -> list[str]:
    """A record as the Markdown table and the Jupyter preview show it: date,
    short commit, change, role, rule, before, after, who."""
    return [record["date"], record["commit"][:10], record["change"], record["role"], _rule(record),
            record["before"], record["after"], record["who"]]


def _rule(record: Record) -> str:
    """``kind:entity_type:name:action``, as diff names a row; empty when the record has none."""
    parts = (record["kind"], record["entity_type"], record["name"], record["action"])
    return ":".join(parts) if any(parts) else ""


def _event_line(event: dict[str, str]) -> str:
    return f"{event['time']} {event['who']}: {event['description']}"


def _line(record: Record) -> str:
    """One record as a line of the text form."""
    change, role, rule = record["change"], record["role"], _rule(record)
    if change == "cell":
        line = f"{role} {rule}: {record['before'] or '(unknown)'} -> {record['after'] or '(unknown)'}"
        return line + (f"  [note: {record['note']}]" if record["note"] else "")
    if change == "note":
        return f"note {rule}: {json.dumps(record['before'], ensure_ascii=False)} -> " \
               f"{json.dumps(record['after'], ensure_ascii=False)}"
    if change in ("role_added", "role_removed"):
        return f"{change.replace('_', ' ')}: {role}"
    if change in ("target_added", "target_removed"):
        return f"{'row added' if change == 'target_added' else 'row removed'}: {rule}"
    if change == "assignment":
        return f"{record['user']}: {record['before'] or '(no role)'} -> {record['after'] or '(no role)'}"
    if change in ("user_added", "user_removed"):
        verb = "added as" if change == "user_added" else "removed, was"
        return f"{record['user']}: {verb} {record['before'] or record['after'] or '(no role)'}"
    if change == "active":
        return f"{record['user']} ({role}): active {record['before'] or '?'} -> {record['after'] or '?'}"
    return f"event for {role or '(no role)'} with no change in the table:"


# -- reading a folder at commits ---------------------------------------------------------------


class _Folder:
    """A snapshot folder's files at commits, read through one ``Objects``;
    roles.csv and schema.json are parsed once per distinct version."""

    def __init__(self, objects: Objects, path: str, shown: str, table_name: str = PERMISSIONS_CSV) -> None:
        self.objects = objects
        self.path = path
        self.shown = shown.rstrip("/") or "."
        self.table_name = table_name
        self._parsed: dict[str, Any] = {}
        self._ids: dict[tuple[str, str], str | None] = {}
        self.ahead: ReadAhead | None = None

    def file(self, commit: Commit, name: str) -> str | None:
        """The object id of the folder's file ``name`` at ``commit``; None when absent."""
        key = (commit.id, name)
        if key not in self._ids:
            found = self.objects.id(commit, _join(self.path, name))
            self._ids[key] = found[0] if found and found[1] == "blob" else None
        return self._ids[key]

    def read_ahead(self, repo: Repo, commits: list[Commit], name: str) -> None:
        """Starts reading the versions of ``name`` at ``commits`` (each one
        that differs from the commit before) in a thread, in that order."""
        ids = [self.file(c, name) for c in commits]
        order = [blob for blob, before in zip(ids, [None, *ids]) if blob and blob != before]
        self.ahead = ReadAhead(repo, order)

    def close(self) -> None:
        """Stops reading ahead."""
        if self.ahead is not None:
            self.ahead.close()

    def named(self, name: str, commit: Commit) -> str:
        """How errors name a file at a commit: ``snap/permissions.csv@3f2a1b9c0d``."""
        return f"{os.path.join(self.shown, name)}@{commit.short}"

    def table(self, commit: Commit, blob: str) -> tuple[PermissionTable, str]:
        """The table (the object ``blob``) at ``commit``
        and its layout, read as ``sgperms diff`` reads a folder: with that
        commit's roles.csv and schema.json. CsvError (row, column) or
        ValueError naming the file."""
        roles_blob, schema_blob = self.file(commit, ROLES_CSV), self.file(commit, SCHEMA_JSON)
        roles = self._once(roles_blob, lambda b: role_columns(self.blob(ROLES_CSV, commit, b)))
        schema = self._once(schema_blob, lambda b: read_schema(self.blob(SCHEMA_JSON, commit, b)))
        data = self.ahead.take(blob) if self.ahead else None
        return parse_table(self.objects.read(blob) if data is None else data, self.named(self.table_name, commit),
                           schema=schema, roles=roles,
                           roles_file=self.named(ROLES_CSV, commit) if roles_blob else None)

    def blob(self, name: str, commit: Commit, blob: str) -> _Blob:
        """The file ``name`` (the object ``blob``) at ``commit``, for the snapshot readers."""
        return _Blob(self.named(name, commit), self.objects.read(blob))

    def _once(self, blob: str | None, parse: Callable[[str], Any]) -> Any:
        """``parse(blob)``, once per distinct blob; None for no blob."""
        if blob is None:
            return None
        if blob not in self._parsed:
            self._parsed[blob] = parse(blob)
        return self._parsed[blob]

    def users(self, commit: Commit, blob: str) -> dict[tuple[str, str], Assignment]:
        """users.csv at ``commit`` by (user type, login)."""
        found = read_users(self.blob(USERS_CSV, commit, blob))
        return {(a.user_type, a.login): a for a in found}

    def events(self, commit: Commit, blob: str) -> dict[int, list[str]]:
        """history.csv at ``commit``: its rows by event id."""
        return parse_history(self.objects.read(blob), self.named(HISTORY_CSV, commit))


class _Blob:
    """A file's bytes at a commit, for the snapshot readers (which take
    anything with ``read()`` and a ``name``)."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self._data = data

    def read(self) -> bytes:
        return self._data


def log(folder: PathLike, *, cell: str | Cell | None = None, role: str | None = None, since: str | None = None,
        until: str | None = None, progress: Progress | None = None) -> History:
    """The history of the snapshot folder ``folder`` in the git work tree
    around it: every change between consecutive commits that touched it,
    oldest first (see the module). ``cell`` (``ROLE:KIND:ENTITY:NAME:ACTION``)
    or ``role`` keeps only the records about that cell or role; ``since`` and
    ``until`` (``YYYY-MM-DD``, UTC, both days included) keep the commits dated
    in between, compared with the commit before the first. ``progress`` is
    called with a line now and then on long walks.

    Returns a ``History``. Raises HistoryError (a ValueError): not in a git
    work tree, never committed, a date that is not one, a role or cell no
    version holds; ValueError for a cell that is not ``ROLE:KIND:...``."""
    shown = os.fspath(folder)
    target = Cell.parse(cell) if isinstance(cell, str) else cell
    role = target.role if target and not role else role
    if target and role != target.role:
        raise ValueError(f'--role {role} and --cell {target} name different roles; give one of them')
    low = day_start(since) if since else None
    high = day_end(until) if until else None
    repo, path = Repo.around(shown)
    folder_path, folder_shown, table_name = path, shown, PERMISSIONS_CSV
    if os.path.isfile(shown):  # a table file: its own history, with the files beside it
        folder_path, folder_shown, table_name = _parent(path), os.path.dirname(shown), os.path.basename(path)
    walked = (table_name, USERS_CSV, HISTORY_CSV)
    commits = repo.commits([_join(folder_path, name) for name in walked])
    if not commits:
        raise HistoryError(
            f"{shown}: never committed to git (no commit touches its {table_name}); "
            f"commit it first: git add {shown} && git commit -m 'permissions snapshot'"
        )
    chosen = _window(commits, low, high)
    walk = _Walk(target, role, table_name)
    with Objects(repo) as objects:
        files = _Folder(objects, folder_path, folder_shown, table_name)
        try:
            files.read_ahead(repo, [c for c, _ in chosen], table_name)
            for number, (commit, listed) in enumerate(chosen, 1):
                walk.step(files, commit, listed)
                if progress and number % 25 == 0:
                    progress(f"{number} of {len(chosen)} commits read ({commit.date[:10]})")
        finally:
            files.close()
    if walk.start is None and not walk.skipped and chosen:
        raise HistoryError(f"{shown}: no commit holds {table_name} (only the folder's other files were committed)")
    walk.check_names()
    return History(shown, walk.records, start=walk.start, head=walk.head, commits=walk.read, skipped=walk.skipped,
                   cell=target, role=role, start_value=walk.start_value, since=since, until=until)


def _window(commits: list[Commit], low: int | None, high: int | None) -> list[tuple[Commit, bool]]:
    """The commits to read and whether each one's changes are listed: those
    dated from ``low`` to before ``high``, after the commit before the first
    of them (the starting point, read but not listed)."""
    inside = [(low is None or c.time >= low) and (high is None or c.time < high) for c in commits]
    if True not in inside:
        return []
    first = inside.index(True)
    last = len(inside) - 1 - inside[::-1].index(True)
    begin = max(first - 1, 0)
    return [(c, i > begin and inside[i]) for i, c in enumerate(commits[begin:last + 1], begin)]


class _Walk:
    """The walk over commits: the state of the last readable version and the records found so far."""

    def __init__(self, cell: Cell | None, role: str | None, table_name: str) -> None:
        self.cell = cell
        self.role = role
        self.records: list[Record] = []
        self.skipped: list[dict[str, str]] = []
        self.start: Commit | None = None
        self.head: Commit | None = None
        self.start_value: str | None = None
        self.read = 0
        self.roles_seen: set[str] = set()
        self.tried: dict[str, str] = {}
        self.cell_seen = False
        self.table_name = table_name
        # The last version of each file that read: two tables at most are alive, this one and the next.
        self.held: dict[str, Any] = {}

    def step(self, files: _Folder, commit: Commit, listed: bool) -> None:
        """Reads ``commit``'s files where they changed; records what changed when ``listed``."""
        events = self._events(files, commit, listed)
        found = self._table(files, commit, listed) + self._users(files, commit, listed)
        if self.start is None:
            return
        self.read += 1
        self.head = commit
        if listed:
            self._record(commit, found, events)

    def _table(self, files: _Folder, commit: Commit, listed: bool) -> list[Record]:
        found = self._newer(files, commit, listed, files.table_name, lambda blob: files.table(commit, blob)[0])
        if found is None:
            return []
        old, table = found
        self.roles_seen.update(table.roles)
        if old is None:
            self.start = commit
            if self.cell is not None:
                self.start_value = _value(table, self.cell)
                self.cell_seen = self.cell.target in table.targets()
            return []
        return list(_diff(old, table))  # each record a new dict

    def _users(self, files: _Folder, commit: Commit, listed: bool) -> list[Record]:
        found = self._newer(files, commit, listed, USERS_CSV, lambda blob: files.users(commit, blob))
        if found is None or found[0] is None:
            return []
        return _assignments(found[0], found[1])

    def _events(self, files: _Folder, commit: Commit, listed: bool) -> list[dict[str, str]]:
        """The event-log entries first recorded at ``commit``."""
        found = self._newer(files, commit, listed, HISTORY_CSV, lambda blob: files.events(commit, blob))
        if found is None or found[0] is None:
            return []
        old, rows = found[0], found[1]
        return [dict(zip(EVENT_KEYS, row)) for key, row in sorted(rows.items()) if key not in old]

    def _newer(self, files: _Folder, commit: Commit, listed: bool, name: str,
               read: Callable[[str], T]) -> tuple[T | None, T] | None:
        """(the version of the file ``name`` held so far, the one at
        ``commit``) when it is another version than the one last tried and
        reads; the new one is held instead. None otherwise: unchanged, absent,
        or not readable (named in ``skipped`` once, not at every commit that
        keeps it)."""
        blob = files.file(commit, name)
        if blob is None and self.tried.get(name):
            self._skip(commit, files.named(name, commit), ValueError(
                f"{files.named(name, commit)}: deleted in this commit; the next commit that has it is compared "
                "with the last version read"), listed)
        if blob is None or blob == self.tried.get(name):
            self.tried[name] = blob or ""
            return None
        self.tried[name] = blob
        try:
            with warnings.catch_warnings():
                # Every version would warn again; the log's own CSV neutralises formulas.
                warnings.simplefilter("ignore", FormulaWarning)
                new = read(blob)
        except ValueError as e:
            self._skip(commit, files.named(name, commit), e, listed)
            return None
        old = self.held.get(name)
        self.held[name] = new
        return old, new

    def _skip(self, commit: Commit, name: str, error: Exception, listed: bool) -> None:
        if listed or self.start is None:
            self.skipped.append({"commit": commit.id, "date": commit.date, "file": name, "error": str(error)})

    def _record(self, commit: Commit, found: list[Record], events: list[dict[str, str]]) -> None:
        """Adds a commit's records (those the filters keep), events attached."""
        attached: set[int] = set()
        for record in found:
            record.update(commit=commit.id, date=commit.date)
            record.setdefault("user", "")
            mine = [e for e in events if _concerns(e, record)]
            attached.update(map(id, mine))
            record["events"] = mine
            record["who"] = ", ".join(dict.fromkeys(e["who"] for e in mine))
        found += [_event_record(commit, e) for e in events if id(e) not in attached]
        kept = [_ordered(r) for r in found if self._keeps(r)]
        self.cell_seen = self.cell_seen or any(r["change"] == "target_added" for r in kept)
        self.records += kept

    def _keeps(self, record: Record) -> bool:
        if self.cell is not None:
            return self.cell.matches(record)
        if self.role is not None:
            return self.role in (record["role"], record["before"] if record["user"] else None)
        return True

    def check_names(self) -> None:
        """HistoryError when the role or the cell's row filtered on is in no
        version read (a typo would show nothing, silently)."""
        if self.cell is not None and self.start is not None and not self.cell_seen:
            table = self.held.get(self.table_name)
            rows = [":".join(t) for t in table.targets()] if table is not None else []
            row = ":".join(self.cell.target)
            raise HistoryError(f'no version of the folder has the row "{row}" of --cell {self.cell}'
                               f"{did_you_mean(row, rows)} (codes: entity:Version::retire)")
        if self.role is not None and self.start is not None and self.role not in self.roles_seen:
            raise HistoryError(
                f'no version of the folder has a role "{self.role}"{did_you_mean(self.role, sorted(self.roles_seen))}'
            )


def _value(table: PermissionTable, cell: Cell) -> str:
    """The cell's value in ``table``; "" when the table lacks its role or
    row. NormalizeError (a ValueError) for a kind or action that is none."""
    try:
        return table.get(cell.role, cell.kind, cell.entity_type, cell.name, cell.action)
    except TableError:  # the role is not (yet) in this version
        return ""


def _concerns(event: dict[str, str], record: Record) -> bool:
    """Whether an event-log entry is about a record: a rule event about its
    role's cells or the role, an assignment event about its person."""
    if record["change"] in ("assignment", "user_added", "user_removed", "active"):
        return event["kind"] == "role_assigned" and event["user"] in (record["user"], record.get("_name"))
    if record["change"] in ("cell", "role_added", "role_removed"):
        return event["kind"] != "role_assigned" and event["role"] == record["role"]
    return False


def _assignments(old: dict[tuple[str, str], Assignment], new: dict[tuple[str, str], Assignment]) -> list[Record]:
    """What changed in users.csv: roles, people added or removed, active flags."""
    found = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (k[1], k[0])):
        before, after = old.get(key), new.get(key)
        if before is None and after is not None:
            found.append(_person("user_added", after, "", after.role))
        elif after is None and before is not None:
            found.append(_person("user_removed", before, before.role, ""))
        elif before is not None and after is not None:
            if before.role != after.role:
                found.append(_person("assignment", after, before.role, after.role))
            if before.active != after.active:
                found.append(_person("active", after, _flag(before.active), _flag(after.active)))
    return found


def _flag(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


def _person(change: str, person: Assignment, before: str, after: str) -> Record:
    role = person.role if change == "active" else (after or before)
    return {"change": change, "role": role, "kind": "", "entity_type": "", "name": "", "action": "",
            "before": before, "after": after, "note": "", "user": person.login, "_name": person.name}


def _event_record(commit: Commit, event: dict[str, str]) -> Record:
    return {"commit": commit.id, "date": commit.date, "change": "event", "role": event["role"], "kind": "",
            "entity_type": "", "name": "", "action": "", "before": "", "after": "", "note": "",
            "user": event["user"], "who": event["who"], "events": [event]}


def _ordered(record: Record) -> Record:
    """A record with exactly the keys ``KEYS``, in order."""
    return {key: record[key] for key in KEYS}


# -- a folder at a revision --------------------------------------------------------------------


def split_revision(argument: str) -> tuple[str, str] | None:
    """``DIR@REV`` as (DIR, REV); None when ``argument`` names an existing
    file or folder or holds no ``@`` (a path is always a path). It splits at
    the first ``@`` whose left side exists (``a@b/snap@HEAD@{2}``: the
    folder ``a@b/snap`` at ``HEAD@{2}``), else at the first ``@`` (a folder
    since deleted). ``@REV`` alone is the current folder."""
    if os.path.lexists(argument) or "@" not in argument:
        return None
    cuts = [i for i, c in enumerate(argument) if c == "@"]
    cut = next((i for i in cuts if i and os.path.lexists(argument[:i])), cuts[0])
    return argument[:cut] or ".", argument[cut + 1:]


def table_at(folder: PathLike, revision: str) -> PermissionTable:
    """The permission table of ``folder`` (a snapshot folder, or a CSV file
    in a git work tree) as it was at ``revision``: anything git takes
    (``HEAD~1``, a tag, a commit id) or a day ``YYYY-MM-DD``, the last commit
    on or before it (UTC, HEAD's first-parent line). Read with that commit's
    roles.csv and schema.json, as ``sgperms diff`` reads a folder.

    Returns the table. Raises HistoryError (not in a git work tree, an
    unknown revision, the folder not in that commit) or CsvError naming
    ``DIR/permissions.csv@COMMIT``, row and column."""
    return table_at_with_layout(folder, revision)[0]


def table_at_with_layout(folder: PathLike, revision: str) -> tuple[PermissionTable, str]:
    """``table_at`` and the layout the file was in ("wide" or "long")."""
    with _At(folder, revision) as (files, commit):
        blob = files.file(commit, files.table_name)
        if blob is None:
            raise HistoryError(f"{os.path.join(files.shown, files.table_name)}: not in commit {commit.short} "
                               f"({commit.date})")
        return files.table(commit, blob)


def names_at(folder: PathLike, revision: str) -> tuple[list[tuple[str, str]] | None, Schema | None]:
    """What a click plan names things by, from the folder at ``revision``:
    (code, display name) of every role in its roles.csv (None when there is
    none) and its schema.json's Schema (None when there is none)."""
    with _At(folder, revision) as (files, commit):
        roles_blob, schema_blob = files.file(commit, ROLES_CSV), files.file(commit, SCHEMA_JSON)
        roles = role_names(read_roles(files.blob(ROLES_CSV, commit, roles_blob))) if roles_blob else None
        schema = read_schema(files.blob(SCHEMA_JSON, commit, schema_blob)) if schema_blob else None
        return roles, schema


class _At:
    """A folder (or a table file) at a revision, read through git while in a
    ``with`` block: gives (the folder's files, the commit)."""

    def __init__(self, folder: PathLike, revision: str) -> None:
        self.shown = os.fspath(folder)
        self.repo, self.path = Repo.around(self.shown)
        self.commit = self.repo.resolve(revision)
        self.objects = Objects(self.repo)

    def __enter__(self) -> tuple[_Folder, Commit]:
        commit, path, shown = self.commit, self.path, self.shown
        found = self.objects.id(commit, path) if path else ("", "tree")
        if found is None:
            self.objects.close()
            raise HistoryError(f"{shown}: not in commit {commit.short} ({commit.date}) of {self.repo.top}")
        if found[1] == "tree":
            return _Folder(self.objects, path, shown), commit
        return _Folder(self.objects, _parent(path), os.path.dirname(shown), os.path.basename(path)), commit

    def __exit__(self, *exc: object) -> None:
        self.objects.close()


def _join(folder: str, name: str) -> str:
    """``name`` in ``folder``, both relative to the work tree's top, with ``/``."""
    return f"{folder}/{name}" if folder else name


def _parent(path: str) -> str:
    """The folder of a path relative to the work tree's top, with ``/``."""
    return path.rsplit("/", 1)[0] if "/" in path else ""
