"""``sgperms probe``: what each role can really do on a live site, measured
acting as its people with calls that cannot write (``sgperms.probe.run``);
a re-run with the same ``-o`` resumes (``Probe.resume``)."""

from __future__ import annotations

import argparse
import os

from .. import CsvError, PermissionTable, ProbeAborted, read_csv
from ..output import write_atomic
from ..probe import run as probe_site
from . import _connect
from ._output import describe, os_message, progress
from ._parsers import Commands, add_command
from .status import ExitStatus, Failure

EPILOG = """\
examples:
  sgperms probe --demo --auto -o probed.csv      the demo studio: no site, no credentials
  sgperms probe --auto -o probed.csv
  sgperms probe --as artist=ada.abara --as lead=bo.berg --project 123 -o probed.csv --evidence evidence.csv
  sgperms probe --auto --dry-run

The API user needs the advanced permission to sudo. Cells the probe cannot decide stay
empty (unknown). Re-running with the same -o skips roles already probed (--restart to redo).
exit status: 0 done, 2 error or a probe stopped for safety.
Connects like 'sgperms snapshot' (same flags and SGPERMS_* variables), or with
--demo acts on the demo studio (sgperms demo), in memory."""


#: Probe requests per second on a site unless --rate says otherwise: polite.
DEFAULT_RATE = 5.0


def add_rate_arg(parser: argparse.ArgumentParser, *, demo: bool = False) -> None:
    """--rate, for every command that probes (``demo``: one with --demo)."""
    parser.add_argument(
        "--rate", type=float, metavar="CALLS/S",
        help=f"probe requests per second (default {DEFAULT_RATE:g}, polite; 0 for no limit"
        + ("; no limit with --demo, which is in memory)" if demo else ")"),
    )


def rate(args: argparse.Namespace) -> float:
    """The probe's requests per second: --rate, else none on the demo
    studio (in memory, nobody to be polite to), else DEFAULT_RATE."""
    if args.rate is not None:
        return float(args.rate)
    return 0.0 if getattr(args, "demo", False) else DEFAULT_RATE


def add_parser(commands: Commands) -> None:
    probe = add_command(
        commands, "probe",
        help="measure what each role can really do, acting as its people, without writing",
        description="Measure the permission table of a live site: for each role, act as one active person\n"
        "holding it (sudo_as_login) and ask, for every entity type, whether they may see, create,\n"
        "retire and edit fields, with calls that cannot write (atomic batches that must fail).",
        epilog=EPILOG, run=run,
    )
    who = probe.add_mutually_exclusive_group()
    who.add_argument(
        "--as", dest="as_", action="append", default=[], metavar="ROLE=LOGIN", help="act as LOGIN for ROLE"
    )
    who.add_argument("--auto", action="store_true", help="one active person per role (the first by login)")
    probe.add_argument(
        "-o", "--output", default="probed.csv", metavar="OUT", help="the probed table (default probed.csv)"
    )
    probe.add_argument("--evidence", metavar="FILE", help="also write each cell's call and ShotGrid's answer as CSV")
    probe.add_argument("--project", type=int, metavar="ID", help="read only this project's records")
    add_rate_arg(probe, demo=True)
    probe.add_argument("--dry-run", action="store_true", help="print the calls it would make, make none")
    probe.add_argument("--restart", action="store_true", help="probe every role again, even those already in OUT")
    _connect.add_connection_args(probe, demo=True)


def _users(args: argparse.Namespace) -> str | dict[str, str]:
    """"auto", or role code -> login from --as."""
    if args.auto:
        return "auto"
    users = {}
    for item in args.as_:
        role, sep, login = item.partition("=")
        if not sep or not role or not login:
            raise ValueError(f'--as "{item}": expected ROLE=LOGIN, e.g. --as artist=ada.abara')
        users[role.strip()] = login.strip()
    return users


def run(args: argparse.Namespace) -> ExitStatus:
    _connect.require_credentials(args)
    if not args.auto and not args.as_:
        raise Failure("say whom to act as: --as ROLE=LOGIN (repeatable) or --auto (one active person per role)")
    # A dry run's plan is its output: it goes to stdout whatever stderr is.
    say = print if args.dry_run else progress(args)
    earlier: PermissionTable | None = None
    try:
        users = _users(args)
        # Read what an earlier run left before anything is asked of the site.
        if os.path.exists(args.output) and not args.restart:
            with open(args.output, "rb") as f:
                earlier = read_csv(f)
    except CsvError as e:
        raise Failure(f"{e} (the table of an earlier probe: fix it, or pass --restart to probe every role again)"
                      ) from None
    except (ValueError, OSError) as e:
        raise Failure(describe(e, args.output)) from None
    try:
        site = _connect.open_site(args, progress=progress(args))
        chosen = site.probe_users() if isinstance(users, str) else users
        if earlier is not None:
            chosen = {r: login for r, login in chosen.items() if r not in earlier.roles}
        measured = probe_site(site, chosen, project=args.project, rate=rate(args), dry_run=args.dry_run, progress=say)
    except ProbeAborted as e:
        raise Failure(f"PROBE STOPPED: {e}") from None
    except Exception as e:  # one clear line, never a traceback that could carry secrets
        raise _connect.failed("probe", args, e) from None
    if not args.dry_run:
        # Resumed: keep the roles probed before, add the new ones.
        table = measured.table if earlier is None else measured.resume(earlier)
        try:
            table.to_csv(args.output)
            if args.evidence:
                write_atomic(args.evidence, measured.evidence_csv())
        except OSError as e:
            raise Failure(f"the probe ran but its results could not be written: {os_message(e)}") from None
    if not args.quiet:
        print(measured.summary())
    return ExitStatus.OK
