"""``sgperms snapshot``: a site's roles, people, schema and permission
history into a folder that diffs cleanly in git (``sgperms.snapshot.write``)."""

from __future__ import annotations

import argparse
import datetime

from .. import FolderError, ProbeAborted
from ..probe import run as probe_site
from ..site import public_url
from ..snapshot import write
from . import _connect
from ._output import progress
from ._parsers import Commands, add_command
from .probe import add_rate_arg, rate
from .status import ExitStatus, Failure

EPILOG = """\
credentials (flags or environment variables; prefer the variables, which
other users cannot read from the process list):
  --site            SGPERMS_SITE            https://yourstudio.shotgrid.autodesk.com
  --script-name     SGPERMS_SCRIPT_NAME     an API script with read access
  --api-key         SGPERMS_API_KEY         its application key
  --login           SGPERMS_LOGIN           or a person's login ...
  --password        SGPERMS_PASSWORD        ... and password
  --session-token   SGPERMS_SESSION_TOKEN   or a session token

examples:
  SGPERMS_SITE=https://studio.shotgrid.autodesk.com SGPERMS_SCRIPT_NAME=sgperms \\
  SGPERMS_API_KEY=... sgperms snapshot -o permissions/
  sgperms snapshot -o permissions/ --since 2026-01-01

It writes roles.csv, users.csv, permissions.csv, history.csv, schema.json and
snapshot.json. Known permission values and notes in an existing
permissions.csv are kept; an unchanged site changes no byte; a failed read
writes nothing. Credentials never appear in output or files.

exit status: 0 done, 2 the site could not be read (nothing written).
"""


def add_parser(commands: Commands) -> None:
    snapshot = add_command(
        commands, "snapshot",
        help="read a site's roles, users, schema and permission history into a git-friendly folder",
        description="Snapshot what ShotGrid's API exposes about permissions into a folder that\n"
        "diffs cleanly in git: run it nightly from cron and commit.",
        epilog=EPILOG, run=run,
    )
    snapshot.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="the snapshot folder (created if missing)"
    )
    _connect.add_connection_args(snapshot)
    snapshot.add_argument(
        "--since",
        metavar="WHEN",
        help="read history after this date/time (default: after the last event already in history.csv)",
    )
    snapshot.add_argument(
        "--probe", action="store_true",
        help="also measure each role through sudo (see 'sgperms probe'): fill unknown cells, list drift",
    )
    add_rate_arg(snapshot)


def _parse_since(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    try:
        when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Failure(f'--since "{text}": expected a date or time such as 2026-01-31 or 2026-01-31T18:00Z') from None
    return when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)


def run(args: argparse.Namespace) -> ExitStatus:
    _connect.require_credentials(args)
    since = _parse_since(args.since)
    say = progress(args)
    try:
        if say:
            say(f"connecting to {public_url(args.site)}")
        site = _connect.open_site(args, progress=say)
        measured = probe_site(site, "auto", rate=rate(args)) if args.probe else None
        result = write(site, args.output, since=since, probe=measured)
    except ProbeAborted as e:
        raise Failure(f"PROBE STOPPED, nothing written: {e}") from None
    except FolderError:  # the folder, not the site: its own words say what and where
        raise
    except Exception as e:  # one clear line, never a traceback that could carry secrets
        raise _connect.failed("snapshot", args, e) from None
    if not args.quiet:
        print(result.summary())
    return ExitStatus.OK
