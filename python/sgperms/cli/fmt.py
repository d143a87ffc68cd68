"""``sgperms fmt``: permission CSVs in their canonical form, in place or
elsewhere, or checked (``--check``) for a repository and pre-commit."""

from __future__ import annotations

import argparse
import os
import sys

from .. import Schema, canonical
from ..output import write_atomic
from ..snapshot import read_schema
from ._files import STDIN, StdinFile, side_files, stdin
from ._output import describe, error, os_message
from ._parsers import Commands, add_command
from .status import ExitStatus, Failure

EPILOG = """\
examples:
  sgperms fmt permissions.csv              rewrite in canonical form, in place
  sgperms fmt --check perms/*.csv          exit 1 and list files that are not canonical
  sgperms fmt messy.csv -o clean.csv       write the canonical form elsewhere
  sgperms fmt --layout long perms.csv -o perms-long.csv
  cat perms.csv | sgperms fmt -            read stdin, write stdout

Canonical means: UTF-8 without BOM, LF line ends, comma-separated, rows sorted
(entity, field, app, advanced; entity type; name; action), values spelled
yes/no/inherit/"if <condition>"/empty, and a note column last. Accepted input:
BOM, CRLF, ';' or tab delimiters, an Excel "sep=;" line, Yes/x/✓/TRUE/0/-,
"delete" for "retire", entity display names (Shots, People).

exit status: 0 all canonical (or rewritten), 1 --check found files to
reformat, 2 a file could not be read (nothing is written for it).
"""


def add_parser(commands: Commands) -> None:
    fmt = add_command(
        commands, "fmt",
        help="canonicalise permission CSVs in place (or check that they are)",
        description="Rewrite permission CSVs in their canonical form, so that a spreadsheet's\n"
        "re-save, a colleague's edit and a fresh export all diff cleanly in git.",
        epilog=EPILOG, run=run, quiet="print only errors and files to reformat",
    )
    fmt.add_argument("files", nargs="+", metavar="FILE", help="permission CSV files ('-' for stdin)")
    fmt.add_argument(
        "--layout",
        choices=("wide", "long"),
        help="layout to write (default: the layout each file is already in)",
    )
    fmt.add_argument(
        "--check",
        action="store_true",
        help="write nothing; list files that are not canonical and exit 1 if any",
    )
    fmt.add_argument(
        "-o", "--output", metavar="OUT", help="write to OUT instead of in place ('-' for stdout; one FILE only)"
    )
    fmt.add_argument(
        "--schema",
        metavar="SCHEMA.json",
        help="the schema.json a snapshot writes (or Schema.to_json()): resolves entity and field "
        "display names and rejects unknown ones (-: stdin)",
    )


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def run(args: argparse.Namespace) -> ExitStatus:
    if args.output and len(args.files) != 1:
        raise Failure("-o/--output takes exactly one input file")
    if args.output and args.check:
        raise Failure("--check writes nothing: drop -o/--output")
    schema = None
    if args.schema:
        if args.schema == STDIN and STDIN in args.files:
            raise Failure("FILE and --schema are both - (stdin): only one of them can be")
        side_files(args, "schema")
        try:
            schema = read_schema(args.schema)
        except (ValueError, OSError) as e:
            raise Failure(describe(e, STDIN if isinstance(args.schema, StdinFile) else args.schema)) from None
    failed, unchanged = 0, 0
    changed: list[str] = []
    for name in args.files:
        try:
            different = _fmt_one(name, args, schema)
        except IsADirectoryError as e:
            if e.filename == name:
                error(f"{name}: is a directory; pass its files, e.g. {os.path.join(name, '*.csv')}")
            else:
                error(os_message(e, args.output))
            failed += 1
            continue
        except (ValueError, OSError) as e:
            error(describe(e, name))
            failed += 1
            continue
        if different:
            changed.append(name)
        else:
            unchanged += 1
    if args.output:
        # One file, written elsewhere (or to stdout): it was not reformatted.
        if args.output != STDIN and not failed and not args.quiet:
            state = "its canonical form" if changed else "already canonical, copied as it was"
            print(f"wrote {args.output} ({args.files[0]}: {state})", file=sys.stderr)
        return ExitStatus.ERROR if failed else ExitStatus.OK
    for name in changed:
        if args.check:
            print(f"would reformat: {name}")
        elif name != STDIN:
            print(f"reformatted: {name}", file=sys.stderr)
    if not args.quiet and args.files != [STDIN] and failed < len(args.files):
        done = "to reformat" if args.check else "reformatted"
        summary = f"{_files(len(changed))} {done}, {_files(unchanged)} already canonical"
        if failed:
            summary += f", {_files(failed)} could not be read"
        print(summary, file=sys.stderr)
    if failed:
        return ExitStatus.ERROR
    return ExitStatus.FINDINGS if args.check and changed else ExitStatus.OK


def _fmt_one(name: str, args: argparse.Namespace, schema: Schema | None) -> bool:
    """Canonicalise one file; returns whether its canonical form differs."""
    found = canonical.read(stdin() if name == STDIN else name, schema=schema)
    text = found.text(args.layout)
    different = text != found.data
    if args.check:
        return different
    if args.output == STDIN or (name == STDIN and not args.output):
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
    elif args.output:
        write_atomic(args.output, text)
    elif different:
        write_atomic(name, text)
    return different
