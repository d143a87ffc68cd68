"""``sgperms promote``: move a person to a role on the site, on behalf of an
actor, only as the tier file allows (``sgperms.promote.assign_role``)."""

from __future__ import annotations

import argparse
import json

from .. import PermissionDenied, Tiers
from ..promote import assign_role
from . import _connect
from ._files import read_tiers
from ._output import describe
from ._parsers import Commands, add_command
from .status import ExitStatus, Failure

EPILOG = """\
examples:
  sgperms promote --demo --actor eli.ivanova --user ada.abara --role lead     the demo studio, its tiers
  sgperms promote --actor bo.berg --user ada.abara --role lead --tiers tiers.txt --dry-run
  sgperms promote --actor bo.berg --user ada.abara --role lead --tiers tiers.txt --json >> promotions.log

TIERS may be - to read stdin; with --demo it defaults to the demo's tier file.
exit status: 0 allowed (and written unless --dry-run), 1 refused, 2 error.
Connects like 'sgperms snapshot' (same flags and SGPERMS_* variables), or with
--demo acts on the demo studio (sgperms demo), in memory: a change is not kept."""


def add_parser(commands: Commands) -> None:
    promote = add_command(
        commands, "promote",
        help="move a person to a role, as the tiers allow the actor",
        description="Move a person to a role on the site, on behalf of an actor, only as the tier\n"
        "file allows: nobody changes their own role, nobody assigns at or above their own.",
        epilog=EPILOG, run=run, quiet="print only errors: the exit status says allowed (0) or refused (1)",
    )
    promote.add_argument("--actor", required=True, metavar="LOGIN", help="who asks for the change")
    promote.add_argument("--user", required=True, metavar="LOGIN", help="whose role changes")
    promote.add_argument("--role", required=True, metavar="CODE", help="the new role's code")
    promote.add_argument(
        "--tiers", metavar="TIERS", help="the tier file ('-' for stdin); needed unless --demo (the demo's tiers)"
    )
    promote.add_argument("--dry-run", action="store_true", help="decide and print, write nothing")
    promote.add_argument("--json", action="store_true", help="print the decision as one JSON line, for a log")
    _connect.add_connection_args(promote, demo=True)


def _tiers(args: argparse.Namespace) -> Tiers:
    """--tiers, or with --demo and no --tiers the demo's tier file."""
    if args.tiers is not None:
        return read_tiers(args.tiers)
    if not args.demo:
        raise Failure("say which tier file decides: --tiers TIERS")
    from ..demo import TIERS

    return Tiers.parse(TIERS)


def run(args: argparse.Namespace) -> ExitStatus:
    _connect.require_credentials(args)
    try:
        tiers = _tiers(args)
    except (ValueError, OSError) as e:
        raise Failure(describe(e, args.tiers)) from None
    try:
        site = _connect.open_site(args)
        change = assign_role(site, args.actor, args.user, args.role, tiers, dry_run=args.dry_run)
        status = ExitStatus.OK
    except PermissionDenied as denied:
        change, status = denied.change, ExitStatus.FINDINGS
    except Exception as e:  # one clear line, never a traceback that could carry secrets
        raise _connect.failed("promote on", args, e) from None
    if args.quiet:
        return status
    if args.json:
        print(json.dumps(change.to_dict(), sort_keys=True))
    else:
        verdict = "allowed" if change.allowed else "refused"
        print(f"{verdict}: {change.user} {change.from_role or '?'} -> {change.to_role} by {change.actor}: "
              f"{change.reason}")
        if args.demo and change.allowed and not args.dry_run:
            print("(the demo studio lives in memory: the change was made there and is not kept)")
    return status
