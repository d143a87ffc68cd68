"""The ``sgperms`` command."""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from . import CsvError, Schema, __version__, _load, _read
from ._core import write_atomic_bytes

EXIT_OK, EXIT_DIFFERENT, EXIT_ERROR = 0, 1, 2

FMT_EPILOG = """\
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


def _one_line(message: str) -> str:
    return message.replace("\r", "\\r").replace("\n", "\\n")


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def _error(message: str) -> None:
    print(f"sgperms: error: {_one_line(message)}", file=sys.stderr)


def _fmt(args: argparse.Namespace) -> int:
    if args.output and len(args.files) != 1:
        _error("-o/--output takes exactly one input file")
        return EXIT_ERROR
    schema = None
    if args.schema:
        try:
            with open(args.schema, encoding="utf-8") as f:
                schema = Schema.from_json(f.read())
        except (OSError, ValueError) as e:
            _error(f"{args.schema}: {e}")
            return EXIT_ERROR
    failed, changed, unchanged = 0, [], 0
    for name in args.files:
        try:
            status = _fmt_one(name, args, schema)
        except CsvError as e:
            _error(str(e))
            failed += 1
            continue
        except OSError as e:
            _error(f"{name}: {e.strerror or e}")
            failed += 1
            continue
        if status:
            changed.append(name)
        else:
            unchanged += 1
    for name in changed:
        verb = "would reformat" if args.check else "reformatted"
        print(f"{verb}: {name}", file=sys.stderr if not args.check else sys.stdout)
    if not args.quiet and args.files != ["-"]:
        summary = f"{_files(len(changed))} {'to reformat' if args.check else 'reformatted'}, {_files(unchanged)} already canonical"
        if failed:
            summary += f", {_files(failed)} could not be read"
        print(summary, file=sys.stderr)
    if failed:
        return EXIT_ERROR
    return EXIT_DIFFERENT if args.check and changed else EXIT_OK


def _fmt_one(name: str, args: argparse.Namespace, schema: Optional[Schema]) -> bool:
    """Canonicalise one file; returns whether its canonical form differs."""
    if name == "-":
        data, path = sys.stdin.buffer.read(), "<stdin>"
    else:
        data, path = _load(name)
    table, layout = _read(data, path, "auto", schema, None)
    canonical = table.to_csv(layout=args.layout or layout).encode("utf-8")
    different = canonical != data
    if args.check:
        return different
    if args.output:
        write_atomic_bytes(args.output, canonical)
    elif name == "-":
        sys.stdout.buffer.write(canonical)
    elif different:
        write_atomic_bytes(name, canonical)
    return different


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``sgperms`` command."""
    parser = argparse.ArgumentParser(
        prog="sgperms",
        description="ShotGrid permission tables you can read, diff, keep in git and edit in a spreadsheet.",
        epilog="Run 'sgperms COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"sgperms {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    fmt = commands.add_parser(
        "fmt",
        help="canonicalise permission CSVs in place (or check that they are)",
        description="Rewrite permission CSVs in their canonical form, so that a spreadsheet's "
        "re-save, a colleague's edit and a fresh export all diff cleanly in git.",
        epilog=FMT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    fmt.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of in place (one FILE only)")
    fmt.add_argument(
        "--schema",
        metavar="SCHEMA.json",
        help="a schema saved by Schema.to_json(): resolves field display names and rejects unknown ones",
    )
    fmt.add_argument("-q", "--quiet", action="store_true", help="print only errors and files to reformat")
    fmt.set_defaults(run=_fmt)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``sgperms`` command; returns its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return args.run(args)
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
