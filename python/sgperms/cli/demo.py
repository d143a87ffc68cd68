"""``sgperms demo``: the embedded demo studio (mockgun), snapshotted into a
folder with its tier file beside it (``sgperms.demo.run``)."""

from __future__ import annotations

import argparse
import os
import shlex

from .. import snapshot
from ._output import describe, progress
from ._parsers import Commands, add_command
from .status import ExitStatus, Failure

EPILOG = """\
examples:
  sgperms demo                             build it into ./sgperms-demo
  sgperms demo -o /tmp/studio -q           elsewhere, printing only errors
  sgperms demo --force                     again over ./sgperms-demo, dropping edits made there

Run again over an earlier demo, it refuses (exit 2, naming the files) when
files of that demo were edited since, unless --force.

The demo studio runs on mockgun (no network, no credentials): tiered roles
(IT > pipeline TD > technical artist, senior manager > producer > coordinator,
supervisor > lead > artist), 300+ people, scripts and client users, a
permission table with ShotGrid's documented Artist and Vendor conditions, one
deliberate missed permission, and a year of permission history.
"""


def add_parser(commands: Commands) -> None:
    demo = add_command(
        commands, "demo",
        help="build the embedded demo studio (mockgun) and snapshot it",
        description="Build a demo ShotGrid studio in memory and snapshot it, to see what\n"
        "sgperms does without a site or credentials.",
        epilog=EPILOG, run=run,
    )
    demo.add_argument(
        "-o", "--output", default="sgperms-demo", metavar="DIR", help="where to write (default: ./sgperms-demo)"
    )
    demo.add_argument(
        "--force", action="store_true",
        help="over an earlier demo, replace its files even where they were edited since (default: refuse)",
    )


def run(args: argparse.Namespace) -> ExitStatus:
    from .. import demo

    try:
        site, result = demo.run(args.output, progress=progress(args), force=args.force)
    except (ValueError, OSError) as e:
        raise Failure(f"the demo could not run: {describe(e)}") from None
    if args.quiet:
        return ExitStatus.OK
    people: dict[str, int] = {}
    for a in site.assignments():
        people[a.role] = people.get(a.role, 0) + 1
    roles = [r for r in site.roles() if not r.system_default]
    out = args.output.rstrip("/") or "/"
    ours = set(snapshot.FILES) | {demo.TIERS_FILE}
    written = sorted(name for name in os.listdir(args.output) if name in ours)
    csv_path = shlex.quote(os.path.join(out, "permissions.csv"))
    tiers_path = shlex.quote(os.path.join(out, demo.TIERS_FILE))
    code = (f"import sgperms; t = sgperms.read_csv({os.path.join(out, 'permissions.csv')!r}); "
            "print(t.get('artist', 'entity', 'Version', '', 'retire'))")
    print(f"Demo studio snapshot written to {out}/")
    print(f"  {len(roles)} roles (+ {len(site.roles()) - len(roles)} ShotGrid templates), "
          f"{result.users} users, {result.targets} permission rows, {result.events} permission events")
    print("  people per role: " + ", ".join(f"{r.code} {people.get(r.code, 0)}" for r in roles))
    print("  files: " + ", ".join(written))
    print("\nTry next:")
    print(f"  sgperms tiers check {tiers_path} {csv_path}    # finds the demo's missed permission")
    print(f"  sgperms audit {csv_path} --tiers {tiers_path}   # roles that can make themselves admin")
    print(f"  sgperms fmt --check {csv_path}                  # canonical, ready for git")
    print(f"  python3 -c {shlex.quote(code)}")
    print(f"  open {csv_path} in a spreadsheet: one row per entity, field, app and advanced rule")
    return ExitStatus.OK
