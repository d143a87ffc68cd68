"""``sgperms allowed``: "what am I allowed to do?" for one person, measured
by acting as them (``sgperms.reports.allowed``, over ``sgperms.probe``)."""

from __future__ import annotations

import argparse
import sys

from .. import ProbeAborted
from ..output import write_atomic
from ..reports import allowed
from . import _connect
from ._files import STDIN
from ._output import os_message
from ._parsers import Commands, add_command
from .probe import add_rate_arg, rate
from .status import ExitStatus, Failure

EPILOG = """\
examples:
  sgperms allowed ada.abara --demo                    an artist of the demo studio, as Markdown
  sgperms allowed ada.abara --demo -o ada.html        as a web page
  sgperms allowed bo.berg --project 123 -o bo.md      on your site (connects like 'sgperms snapshot')

What the page says was measured: sgperms acts as LOGIN (sudo_as_login; the API
user needs the advanced permission to sudo) with calls that cannot write, as
'sgperms probe' does for LOGIN's role, and renders that role's page, titled
with the person's name. What the probe cannot decide (field see, apps,
advanced permissions) shows as unknown.
exit status: 0 written, 2 error (no such person, or ShotGrid refused to act as them).
Connects like 'sgperms snapshot' (same flags and SGPERMS_* variables), or with
--demo acts on the demo studio (sgperms demo), in memory."""


def add_parser(commands: Commands) -> None:
    parser = add_command(
        commands, "allowed",
        help="\"what am I allowed to do?\" for one person, measured by acting as them",
        description="Measure what one person may see, create, retire and edit on the site, acting as\n"
        "them with calls that cannot write, and write it as their role's page.",
        epilog=EPILOG, run=run,
    )
    parser.add_argument("person", metavar="LOGIN", help="the person's login, e.g. ada.abara")
    parser.add_argument(
        "-o", "--output", default=STDIN, metavar="FILE",
        help="FILE.md or FILE.html (by its extension), or - for stdout as Markdown (default)",
    )
    parser.add_argument("--project", type=int, metavar="ID", help="read only this project's records")
    add_rate_arg(parser, demo=True)
    _connect.add_connection_args(parser, demo=True)


def run(args: argparse.Namespace) -> ExitStatus:
    _connect.require_credentials(args)
    fmt = "html" if args.output.lower().endswith((".html", ".htm")) else "markdown"
    try:
        site = _connect.open_site(args)
        page = allowed(site, args.person, format=fmt, project=args.project, rate=rate(args))
    except (LookupError, PermissionError) as e:  # no such person; ShotGrid will not act as them
        raise Failure(str(e)) from None
    except ProbeAborted as e:
        raise Failure(f"PROBE STOPPED: {e}") from None
    except Exception as e:  # one clear line, never a traceback that could carry secrets
        raise _connect.failed("find out what is allowed on", args, e) from None
    if args.output == STDIN:
        sys.stdout.write(page)
        return ExitStatus.OK
    try:
        write_atomic(args.output, page)
    except OSError as e:
        raise Failure(os_message(e)) from None
    if not args.quiet:
        print(f"wrote what {args.person} may do to {args.output}", file=sys.stderr)
    return ExitStatus.OK
