"""A permission CSV as it was read, and its canonical form: what
``sgperms fmt`` writes and ``fmt --check`` compares.

Canonical means UTF-8 without BOM, LF line ends, comma-separated, rows
sorted (entity, field, app, advanced; entity type; name; action), values
spelt yes/no/inherit/"if <condition>"/empty and a note column last; in the
layout the file was in unless another is asked for. Reading is strict:
with a schema, unknown entity types and fields are errors; a table beside a
``roles.csv`` (a snapshot folder's) may only have its roles as columns.

>>> from sgperms import canonical
>>> found = canonical.read(b"Kind;Entity Type;Name;Action;artist\\r\\nentity;Shots;;delete;x\\r\\n")
>>> found.layout, found.is_canonical()
('wide', False)
>>> found.text()
b'kind,entity_type,name,action,artist,note\\nentity,Shot,,retire,yes,\\n'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import IO, Union

from . import CsvError, PermissionTable, Schema, _load, _looks_like_text
from ._core import read_csv_bytes as _read_csv_bytes
from .snapshot import Source as FileSource
from .snapshot import _naming_roles_file, roles_beside

__all__ = ["Canonical", "read"]

Source = Union[str, bytes, "os.PathLike[str]", IO[str], IO[bytes]]


@dataclass(frozen=True)
class Canonical:
    """A permission CSV read strictly: ``table``, ``layout`` ("wide" or
    "long", the layout the CSV was in) and ``data``, the bytes read."""

    table: PermissionTable
    layout: str
    data: bytes

    def text(self, layout: str | None = None) -> bytes:
        """The canonical form, in ``layout`` ("wide" or "long"; default: the
        layout the CSV was in), as UTF-8 bytes."""
        return self.table.to_csv(layout=layout or self.layout).encode("utf-8")

    def is_canonical(self, layout: str | None = None) -> bool:
        """Whether the bytes read are already the canonical form (in
        ``layout``, default the layout they were in)."""
        return self.text(layout) == self.data


def read(source: Source, *, schema: Schema | None = None,
         roles_file: FileSource | None = None) -> Canonical:
    """Reads a permission CSV (wide or long) from ``source``: a path, a file
    object (``sys.stdin.buffer``), or the CSV text itself, as
    ``sgperms.read_csv`` takes it. With ``schema``, entity and field display
    names resolve and unknown ones are errors. Role columns must be roles
    of ``roles_file`` or, for a path, of the ``roles.csv`` beside it when
    there is one (display names resolve; a misspelt column is a CsvError
    naming the file, the column, the closest role and the roles file).
    Returns a Canonical; raises CsvError (naming the file, row and column),
    NormalizeError, or OSError when the file cannot be read."""
    data, path = _load(source)
    where: str | None = None  # the file read, when it is one: its roles.csv is beside it
    if isinstance(source, os.PathLike):
        where = os.fsdecode(source)
    elif isinstance(source, str) and not _looks_like_text(source):
        where = source
    roles, found = roles_beside(where or ".", roles_file) if where or roles_file else (None, None)
    try:
        table, layout = _read_csv_bytes(data, schema=schema, roles=roles, path=path)
    except CsvError as e:
        raise _naming_roles_file(e, found) from None
    return Canonical(table, layout, data)
