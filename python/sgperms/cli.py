"""The ``sgperms`` command."""

from __future__ import annotations

import argparse
import base64
import binascii
import html
import io
import sys
import datetime
import json
import os
import re
import shlex
import unicodedata
import urllib.parse
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import (
    CsvError,
    FormulaWarning,
    PermissionTable,
    NormalizeError,
    PermissionDenied,
    Schema,
    Site,
    TableError,
    TierError,
    Tiers,
    __version__,
    _display_path,
    _load,
    _read,
    audit,
)
from . import diff as sgperms_diff
from .reports import _read_rows as snapshot_context_rows
from .reports import _read_schema
from .reports import role_report, write_site
from ._core import read_csv_bytes as _read_csv_bytes
from ._core import terminal_text as _terminal_text
from ._core import write_atomic_bytes
from .probe import ProbeAborted
from .site import public_url
from .folder import FolderError
from .folder import recover as recover_folder

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


def _terminal_safe(text: str, one_line: bool = False) -> str:
    """The one function all human-facing output goes through (main() routes
    stdout and stderr through it, and _error/_one_line call it): ANSI escapes,
    C0 and C1 controls, bidirectional overrides and invisible characters are
    shown as ``\\x1b``, ``\\u202e``, ... (sgperms.safe in the core); with
    ``one_line``, line breaks as ``\\n`` too. Tabs and line feeds are kept."""
    return _terminal_text(text, one_line)


def _one_line(message: str) -> str:
    return _terminal_safe(message, one_line=True)


class _TerminalText:
    """A text stream for people: every write goes through _terminal_safe.
    ``data`` is the stream underneath, for machine output (CSV, JSON) that
    must keep every character."""

    def __init__(self, stream: Any) -> None:
        self.data = stream

    def write(self, text: str) -> int:
        self.data.write(_terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.data, name)


def _write_data(text: str) -> None:
    """Machine output to stdout (CSV, JSON), exactly as rendered: CSV cells are
    already neutralised for spreadsheets, JSON escapes controls itself."""
    getattr(sys.stdout, "data", sys.stdout).write(text)


def _human_output() -> Any:
    """Routes stdout and stderr through _TerminalText and shows each
    FormulaWarning once per command as one line (``sgperms: warning: ...``)
    instead of Python's two-line form; returns the function that undoes it."""
    import warnings

    streams = [(name, getattr(sys, name)) for name in ("stdout", "stderr")]
    for name, stream in streams:
        if stream is not None and not isinstance(stream, _TerminalText):
            setattr(sys, name, _TerminalText(stream))
    caught = warnings.catch_warnings()
    caught.__enter__()
    warnings.simplefilter("always", FormulaWarning)
    shown: set = set()
    python_show = warnings.showwarning

    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        if not issubclass(category, FormulaWarning):
            python_show(message, category, filename, lineno, file, line)
        elif str(message) not in shown:
            shown.add(str(message))
            print(f"sgperms: warning: {_one_line(str(message))}", file=sys.stderr)

    warnings.showwarning = show

    def restore() -> None:
        caught.__exit__(None, None, None)
        for name, stream in streams:
            setattr(sys, name, stream)

    return restore


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def _error(message: str) -> None:
    message = _scrub(message, _SECRETS)
    print(f"sgperms: error: {_one_line(message)}", file=sys.stderr)


def _os_message(e: OSError, name: Optional[str] = None) -> str:
    """One line for a file that could not be opened, read or written, naming
    it: ``e.filename`` when Python (or the core's reader) set it, else the
    core writers' own message, which names the path, else ``name``."""
    filename = e.filename
    if filename is None or not e.strerror:
        text = e.strerror or str(e) or type(e).__name__
        return text if name is None or name in text else f"{name}: {text}"
    shown = _display_path(filename) if isinstance(filename, (str, bytes)) else str(filename)
    if isinstance(e, IsADirectoryError):
        return f"{shown}: is a folder; expected a file"
    if isinstance(e, PermissionError):
        return f"{shown}: {e.strerror} (check the file's permissions)"
    return f"{shown}: {e.strerror}"


def _fmt(args: argparse.Namespace) -> int:
    if args.output and len(args.files) != 1:
        _error("-o/--output takes exactly one input file")
        return EXIT_ERROR
    if args.output and args.check:
        _error("--check writes nothing: drop -o/--output")
        return EXIT_ERROR
    schema = None
    if args.schema:
        try:
            schema = _read_schema(args.schema)
        except OSError as e:
            _error(_os_message(e, args.schema))
            return EXIT_ERROR
        except ValueError as e:
            _error(str(e))
            return EXIT_ERROR
    failed, changed, unchanged = 0, [], 0
    for name in args.files:
        try:
            status = _fmt_one(name, args, schema)
        except (CsvError, ValueError) as e:
            _error(str(e))
            failed += 1
            continue
        except IsADirectoryError as e:
            if e.filename == name:
                _error(f"{name}: is a directory; pass its files, e.g. {os.path.join(name, '*.csv')}")
            else:
                _error(_os_message(e, args.output))
            failed += 1
            continue
        except OSError as e:
            _error(_os_message(e, name))
            failed += 1
            continue
        if status:
            changed.append(name)
        else:
            unchanged += 1
    for name in changed:
        if args.check:
            print(f"would reformat: {name}")
        elif args.output and args.output != "-":
            print(f"wrote {args.output} (canonical form of {name})", file=sys.stderr)
        elif name != "-" and args.output != "-":
            print(f"reformatted: {name}", file=sys.stderr)
    if not args.quiet and args.files != ["-"] and args.output != "-" and failed < len(args.files):
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
        roles, roles_file = None, None
    else:
        data, path = _load(name)
        roles, roles_file = _roles_beside(name)
    try:
        table, layout = _read_csv_bytes(data, schema=schema, roles=roles, path=path)
    except CsvError as e:
        raise _with_roles_file(e, roles_file) from None
    canonical = table.to_csv(layout=args.layout or layout).encode("utf-8")
    different = canonical != data
    if args.check:
        return different
    if args.output == "-" or (name == "-" and not args.output):
        sys.stdout.buffer.write(canonical)
        sys.stdout.flush()
    elif args.output:
        write_atomic_bytes(args.output, canonical)
    elif different:
        write_atomic_bytes(name, canonical)
    return different


SNAPSHOT_EPILOG = """\
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

DEMO_EPILOG = """\
The demo studio runs on mockgun (no network, no credentials): tiered roles
(IT > pipeline TD > technical artist, senior manager > producer > coordinator,
supervisor > lead > artist), 300+ people, scripts and client users, a
permission table with ShotGrid's documented Artist and Vendor conditions, one
deliberate missed permission, and a year of permission history.
"""


def _progress(args: argparse.Namespace):
    """A progress printer for stderr when it is a terminal and not -q."""
    if args.quiet or not sys.stderr.isatty():
        return None
    return lambda message: print(f"sgperms: {message}...", file=sys.stderr)


CREDENTIALS = ("script_name", "api_key", "login", "password", "session_token")


def _resolve_credentials(args: argparse.Namespace) -> None:
    """Flags win over the environment as a whole: credentials given on the
    command line are used alone, so a stale SGPERMS_* variable of another
    kind never mixes in. Without credential flags, the variables are used."""
    if not args.site:
        args.site = os.environ.get("SGPERMS_SITE")
    if not any(getattr(args, name) for name in CREDENTIALS):
        for name in CREDENTIALS:
            setattr(args, name, os.environ.get(f"SGPERMS_{name.upper()}"))


def _secrets(args: argparse.Namespace) -> List[str]:
    """The credentials a command was given: key, password, token, and the
    password of a site URL written https://user:password@host."""
    found = [getattr(args, name, None) for name in ("api_key", "password", "session_token")]
    site = getattr(args, "site", None)
    if site:
        try:
            password = urllib.parse.urlsplit(site).password
        except ValueError:
            password = None
        if password:  # as written in the URL, and what it stands for
            found += [password, urllib.parse.unquote(password)]
    return [s for s in found if s]


def _command_secrets(args: argparse.Namespace) -> List[str]:
    """Every credential a connecting command may hold, flags and SGPERMS_*
    variables both, known before anything can fail; none for other commands."""
    if not hasattr(args, "api_key"):
        return []
    names = ("api_key", "password", "session_token", "site")
    env = argparse.Namespace(**{name: os.environ.get(f"SGPERMS_{name.upper()}") for name in names})
    return list(dict.fromkeys(_secrets(args) + _secrets(env)))


#: The credentials of the running command: every error line is scrubbed of them.
_SECRETS: List[str] = []

#: Shorter credentials cannot be masked without revealing them by context.
MIN_MASKABLE = 6
MASK = "***"
_BASIC_AUTH = re.compile(r"(?i)\b(basic)(\s+|%20|\+)((?:[A-Za-z0-9+/=_-]|\\/)+)")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*:(?:\\?/){2})([^\s/\\\"'<>@]+)@")
_HEX_ESCAPE = re.compile(r"(?:%|\\x)[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}")


def _spellings(secret: str) -> List[str]:
    """The forms a secret takes in messages: as typed and Unicode-normalised;
    JSON-escaped (\\" \\u00e9 \\/, either hex case); Python repr of str and
    bytes; percent-encoded (any safe set a URL uses, + for space, either hex
    case); HTML-escaped; UTF-8 read as Latin-1."""
    forms = set()
    for text in {secret, unicodedata.normalize("NFC", secret), unicodedata.normalize("NFD", secret)}:
        escaped = {
            text,
            json.dumps(text)[1:-1],
            json.dumps(text, ensure_ascii=False)[1:-1],
            repr(text)[1:-1],
            ascii(text)[1:-1],
            repr(text.encode("utf-8"))[2:-1],
            html.escape(text),
            text.encode("utf-8").decode("latin-1"),
        }
        for safe in ("", "/", "!$&'()*+,;=:", "!#$%&'()*+,/:;=?@[]~"):
            escaped.add(urllib.parse.quote(text, safe=safe))
            escaped.add(urllib.parse.quote_plus(text, safe=safe))
        for form in escaped:
            forms.update({form, form.replace("/", "\\/")})
    cased = {_hex_case(f, str.lower) for f in forms} | {_hex_case(f, str.upper) for f in forms}
    return sorted(forms | cased, key=len, reverse=True)


def _hex_case(form: str, case: Any) -> str:
    """``form`` with the hex digits of each %XX, \\xXX and \\uXXXX escape in ``case``."""

    def one(match: "re.Match[str]") -> str:
        text = match.group(0)
        cut = 1 if text[0] == "%" else 2
        return text[:cut] + case(text[cut:])

    return _HEX_ESCAPE.sub(one, form)


def _base64_spellings(secret: str) -> List[str]:
    """The part of any base64 text that a secret alone determines, at each of
    the three alignments it can have (so base64 of "user:secret" in a Basic
    header or anywhere else gives it away), standard and URL-safe alphabets."""
    data = secret.encode("utf-8")
    cores = set()
    for k in range(3):
        encoded = base64.b64encode(b"\0" * k + data).decode("ascii")
        core = encoded[-(-8 * k // 6) : 8 * (k + len(data)) // 6]
        if len(core) >= MIN_MASKABLE:
            for form in (core, core.replace("+", "-").replace("/", "_")):
                cores.update({form, form.replace("/", "\\/")})
    return sorted(cores, key=len, reverse=True)


def _scrub_basic(match: "re.Match[str]") -> str:
    """A Basic credential (base64 of user:password) is masked whoever's it is."""
    token = match.group(3).replace("\\/", "/")
    try:
        altchars = b"-_" if "-" in token or "_" in token else None
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), altchars=altchars)
    except (binascii.Error, ValueError):
        return match.group(0)
    return match.group(1) + match.group(2) + MASK if b":" in decoded else match.group(0)


def _stands_alone(form: str, message: str) -> bool:
    """Whether ``form`` occurs in ``message`` other than as part of a longer
    word (a short token "t" is not in "last tuesday"; it is in "key t")."""
    before = r"(?<!\w)" if re.match(r"\w", form) else ""
    after = r"(?!\w)" if re.search(r"\w$", form) else ""
    return re.search(before + re.escape(form) + after, message) is not None


def _scrub(message: str, secrets: Sequence[str]) -> str:
    """The message with every credential masked as ***: each secret in every
    spelling (see _spellings, _base64_spellings), and any Basic credential or
    user:password@ in a URL. A secret too short to mask without revealing it
    by context (found standing alone), or one still found after masking,
    withholds the message."""
    message = _BASIC_AUTH.sub(_scrub_basic, message)
    message = _URL_USERINFO.sub(lambda m: m.group(1) + MASK + "@", message)
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) < MIN_MASKABLE:
            if any(_stands_alone(form, message) for form in _spellings(secret)):
                return (
                    "details withheld: the message contained a credential too short "
                    f"(under {MIN_MASKABLE} characters) to mask"
                )
            continue
        for form in _spellings(secret) + _base64_spellings(secret):
            message = message.replace(form, MASK)
    if any(len(s) >= MIN_MASKABLE and s in message for s in secrets):
        return "details withheld: the message contained a credential that could not be masked"
    return message


def _connect(args: argparse.Namespace) -> Any:
    """A shotgun_api3 session from the resolved flags and environment."""
    import shotgun_api3

    kwargs: Dict[str, Any] = {}
    if args.script_name or args.api_key:
        kwargs.update(script_name=args.script_name, api_key=args.api_key)
    elif args.login or args.password:
        kwargs.update(login=args.login, password=args.password)
    elif args.session_token:
        kwargs.update(session_token=args.session_token)
    sg = shotgun_api3.Shotgun(args.site, connect=False, **kwargs)
    # shotgun_api3 waits forever by default: a nightly job must not hang.
    sg.config.timeout_secs = args.timeout
    return sg


def _check_credentials(args: argparse.Namespace) -> Optional[str]:
    _resolve_credentials(args)
    if not args.site:
        return "no site: pass --site URL or set SGPERMS_SITE"
    try:
        parts = urllib.parse.urlsplit(args.site)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return f"--site {public_url(args.site)!r}: expected a URL such as https://yourstudio.shotgrid.autodesk.com"
    pairs = [
        (args.script_name, args.api_key, "--script-name/--api-key (SGPERMS_SCRIPT_NAME/SGPERMS_API_KEY)"),
        (args.login, args.password, "--login/--password (SGPERMS_LOGIN/SGPERMS_PASSWORD)"),
    ]
    for first, second, names in pairs:
        if bool(first) != bool(second):
            return f"{names} go together: give both"
    if not any([args.script_name, args.login, args.session_token]):
        return (
            "no credentials: pass --script-name and --api-key, --login and --password, or --session-token "
            "(or set SGPERMS_SCRIPT_NAME/SGPERMS_API_KEY, SGPERMS_LOGIN/SGPERMS_PASSWORD or SGPERMS_SESSION_TOKEN)"
        )
    return None


def _parse_since(text: Optional[str]) -> Any:
    if not text:
        return None
    try:
        when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f'--since "{text}": expected a date or time such as 2026-01-31 or 2026-01-31T18:00Z') from None
    return when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)


def _snapshot(args: argparse.Namespace) -> int:
    problem = _check_credentials(args)
    if problem:
        _error(problem)
        return EXIT_ERROR
    try:
        since = _parse_since(args.since)
    except ValueError as e:
        _error(str(e))
        return EXIT_ERROR
    secrets = _secrets(args)
    progress = _progress(args)
    try:
        if progress:
            progress(f"connecting to {public_url(args.site)}")
        site = Site(_connect(args), progress=progress)
        measured = site.probe("auto", rate=args.rate) if args.probe else None
        result = site.snapshot(args.output, since=since, probe=measured)
    except ProbeAborted as e:
        _error(f"PROBE STOPPED, nothing written: {e}")
        return EXIT_ERROR
    except FolderError as e:  # the folder, not the site: its own words say what and where
        _error(str(e))
        return EXIT_ERROR
    except Exception as e:  # one clear line, never a traceback that could carry secrets
        _error(_scrub(f"could not snapshot {public_url(args.site)}: {type(e).__name__}: {e}", secrets))
        return EXIT_ERROR
    if not args.quiet:
        print(result.summary())
    return EXIT_OK


def _probe_users(args: argparse.Namespace) -> Any:
    if args.auto:
        return "auto"
    users = {}
    for item in args.as_:
        role, sep, login = item.partition("=")
        if not sep or not role or not login:
            raise ValueError(f'--as "{item}": expected ROLE=LOGIN, e.g. --as artist=ada.abara')
        users[role.strip()] = login.strip()
    return users


def _probe_cmd(args: argparse.Namespace) -> int:
    problem = _check_credentials(args)
    if not problem and not args.auto and not args.as_:
        problem = "say whom to act as: --as ROLE=LOGIN (repeatable) or --auto (one active person per role)"
    if problem:
        _error(problem)
        return EXIT_ERROR
    secrets = _secrets(args)
    # A dry run's plan is its output: it goes to stdout whatever stderr is.
    progress = print if args.dry_run else _progress(args)
    earlier = None
    try:
        users = _probe_users(args)
        # Read what an earlier run left before anything is asked of the site.
        if os.path.exists(args.output) and not args.restart:
            earlier = _read(*_load(args.output), "auto", None, None)[0]
    except CsvError as e:
        _error(f"{e} (the table of an earlier probe: fix it, or pass --restart to probe every role again)")
        return EXIT_ERROR
    except ValueError as e:
        _error(str(e))
        return EXIT_ERROR
    except OSError as e:
        _error(_os_message(e, args.output))
        return EXIT_ERROR
    try:
        site = Site(_connect(args), progress=_progress(args))
        if users == "auto":
            users = site.probe_users()
        if earlier is not None:
            users = {r: login for r, login in users.items() if r not in earlier.roles}
        measured = site.probe(users, project=args.project, rate=args.rate, dry_run=args.dry_run, progress=progress)
    except ProbeAborted as e:
        _error(f"PROBE STOPPED: {e}")
        return EXIT_ERROR
    except Exception as e:  # one clear line, never a traceback that could carry secrets
        _error(_scrub(f"could not probe {public_url(args.site)}: {type(e).__name__}: {e}", secrets))
        return EXIT_ERROR
    if not args.dry_run:
        table = measured.table
        if earlier is not None:
            # Resumed: keep the roles probed before, add the new ones.
            rows = earlier.to_csv(layout="long") + "".join(table.to_csv(layout="long").splitlines(True)[1:])
            table = _read(rows.encode("utf-8"), args.output, "long", None, None)[0]
        try:
            table.to_csv(args.output)
            if args.evidence:
                write_atomic_bytes(args.evidence, measured.evidence_csv().encode("utf-8"))
        except OSError as e:
            _error(f"the probe ran but its results could not be written: {_os_message(e)}")
            return EXIT_ERROR
    if not args.quiet:
        print(measured.summary())
    return EXIT_OK


def _bench(args: argparse.Namespace) -> int:
    from . import bench

    print(bench.run(smoke=args.smoke, runs=args.runs, progress=_progress(args)))
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from . import demo

    try:
        site, result = demo.run(args.output, progress=_progress(args))
    except ValueError as e:
        _error(f"the demo could not run: {e}")
        return EXIT_ERROR
    except OSError as e:
        _error(f"the demo could not run: {_os_message(e)}")
        return EXIT_ERROR
    if args.quiet:
        return EXIT_OK
    people: Dict[str, int] = {}
    for a in site.assignments():
        people[a.role] = people.get(a.role, 0) + 1
    roles = [r for r in site.roles() if not r.system_default]
    out = args.output.rstrip("/") or "/"
    written = sorted(name for name in os.listdir(args.output) if name in demo.FILES)
    csv_path = shlex.quote(os.path.join(out, "permissions.csv"))
    tiers_path = shlex.quote(os.path.join(out, "tiers.txt"))
    code = f"import sgperms; t = sgperms.read_csv({os.path.join(out, 'permissions.csv')!r}); print(t.get('artist', 'entity', 'Version', '', 'retire'))"
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
    return EXIT_OK


def _add_connection_args(parser: argparse.ArgumentParser) -> None:
    """--site and credentials; each falls back to its SGPERMS_* variable."""
    parser.add_argument("--site", metavar="URL", help="site URL (SGPERMS_SITE)")
    parser.add_argument("--script-name", help="API script name (SGPERMS_SCRIPT_NAME)")
    parser.add_argument("--api-key", help="API script key (SGPERMS_API_KEY)")
    parser.add_argument("--login", help="user login (SGPERMS_LOGIN)")
    parser.add_argument("--password", help="user password (SGPERMS_PASSWORD)")
    parser.add_argument("--session-token", help="session token (SGPERMS_SESSION_TOKEN)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS", help="give up on a call after this long (default 60)"
    )


def _add_rate_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rate", type=float, default=5.0, metavar="CALLS/S", help="probe requests per second (default 5, polite; 0 for no limit)"
    )


def _parse_target_arg(text: str) -> Tuple[str, str, str, str]:
    parts = text.split(":")
    if len(parts) != 4:
        raise ValueError(
            f'--target "{text}": expected KIND:ENTITY:NAME:ACTION, e.g. entity:Asset::create or field:Shot:sg_status_list:edit'
        )
    return parts[0], parts[1], parts[2], parts[3]


def _read_tiers(path: str) -> Tiers:
    """A tier file; one that names no role (empty, or comments only) is an
    error, not a check that silently passes."""
    tiers = Tiers.read(path)
    if not tiers.roles:
        raise TierError(
            f'{path}: the file names no role; expected one chain per line, higher first, e.g. "supervisor > lead > artist"'
        )
    return tiers


def _tiers_and_table(args: argparse.Namespace) -> Tuple[Tiers, Any, str]:
    tiers = _read_tiers(args.tiers)
    table, layout = _table_and_layout(args.perms)
    return tiers, table, layout


def _in_table(table: Any, target: Tuple[str, str, str, str], where: str) -> None:
    """A target typed on the command line must be one the table has: a typo
    would otherwise become a new row."""
    if tuple(target) not in set(table.targets()):
        raise ValueError(
            f'{where}: {":".join(target)} is not a row of the table (a typo? targets use codes, '
            "e.g. field:Shot:sg_status_list:edit)"
        )


def _named(path: str, call: Any) -> Any:
    """Runs a tier operation; its TierError names the tier file."""
    try:
        return call()
    except TierError as e:
        raise TierError(f"{path}: {e}") from None


def _canonical_target(table: Any, target: Tuple[str, str, str, str]) -> Tuple[str, str, str, str]:
    """The target as the table spells it (display names resolved)."""
    resolved = PermissionTable(["x"], schema=table.schema)
    resolved.set("x", *target, "")
    return resolved.targets()[0] if resolved.targets() else target


def _run_tier_command(args: argparse.Namespace, body: Any) -> int:
    """Runs a tiers/audit command body, turning expected errors into one line."""
    try:
        return body(args)
    except (CsvError, TierError, NormalizeError, TableError, ValueError) as e:
        _error(str(e))
    except OSError as e:
        _error(_os_message(e))
    return EXIT_ERROR


def _tiers_check(args: argparse.Namespace) -> int:
    def body(args: argparse.Namespace) -> int:
        tiers, table, _ = _tiers_and_table(args)
        found = _named(args.tiers, lambda: tiers.check(table, unknown=args.unknown))
        if table.known_cells() == 0 and not args.quiet:
            print("nothing could be checked: every value is unknown (fill in the table, or probe the site)", file=sys.stderr)
        weaker = [v for v in found if not v.unknown]
        for violation in found:
            print(violation)
        if not args.quiet:
            unknown = len(found) - len(weaker)
            extra = f", {unknown} pairs not comparable (a value is unknown)" if args.unknown else ""
            print(f"{len(weaker)} missed permission(s): a lower tier allowed more than a higher one{extra}", file=sys.stderr)
        return EXIT_DIFFERENT if weaker else EXIT_OK

    return _run_tier_command(args, body)


def _tiers_change(args: argparse.Namespace) -> int:
    def body(args: argparse.Namespace) -> int:
        tiers, table, layout = _tiers_and_table(args)
        target = _canonical_target(table, _parse_target_arg(args.target))
        _in_table(table, target, "--target")
        if args.command_name == "grant":
            plan = _named(args.tiers, lambda: tiers.grant(table, args.role, *target, value=args.value))
        else:
            plan = _named(args.tiers, lambda: tiers.revoke(table, args.role, *target))
        for change in plan:
            print(f"{change.role}: {':'.join(change.target)} {change.before or 'unknown'} -> {change.after} ({change.why})")
        if args.plan:
            plan.to_csv(args.plan)
        if not args.dry_run and plan:
            destination = args.output or (os.path.join(args.perms, "permissions.csv") if os.path.isdir(args.perms) else args.perms)
            plan.apply(table).to_csv(destination, layout=layout)
        if not args.quiet:
            where = "nothing written (dry run)" if args.dry_run else f"written to {args.output or args.perms}"
            print(f"{len(plan)} change(s); " + (where if plan else "nothing to change"), file=sys.stderr)
        return EXIT_OK

    return _run_tier_command(args, body)


def _audit(args: argparse.Namespace) -> int:
    def body(args: argparse.Namespace) -> int:
        tiers = _read_tiers(args.tiers) if args.tiers else None
        table = _table_at(args.perms)
        findings = audit(table, tiers)
        for finding in findings:
            print(finding)
        if not args.quiet:
            def unknown(target: Tuple[str, str, str, str]) -> bool:
                try:
                    return any(table.effective(role, *target) == "" for role in table.roles)
                except NormalizeError:  # the schema beside the table lacks it: nothing is recorded
                    return True

            unchecked = [
                t for t in (("field", "HumanUser", "permission_rule_set", "edit"), ("entity", "PermissionRuleSet", "", "edit"))
                if unknown(t)
            ]
            if unchecked:
                print("some roles could not be checked for self-elevation: "
                      + ", ".join(":".join(t) for t in unchecked) + " is unknown for them", file=sys.stderr)
            print(f"{len(findings)} finding(s)", file=sys.stderr)
        return EXIT_DIFFERENT if findings else EXIT_OK

    return _run_tier_command(args, body)


def _promote(args: argparse.Namespace) -> int:
    problem = _check_credentials(args)
    if problem:
        _error(problem)
        return EXIT_ERROR
    try:
        tiers = _read_tiers(args.tiers)
    except TierError as e:
        _error(str(e))
        return EXIT_ERROR
    except OSError as e:
        _error(_os_message(e, args.tiers))
        return EXIT_ERROR
    secrets = _secrets(args)
    try:
        site = Site(_connect(args))
        change = site.assign_role(args.actor, args.user, args.role, tiers, dry_run=args.dry_run)
        status = EXIT_OK
    except PermissionDenied as denied:
        change, status = denied.change, EXIT_DIFFERENT
    except Exception as e:  # one clear line, never a traceback that could carry secrets
        _error(_scrub(f"could not promote on {public_url(args.site)}: {type(e).__name__}: {e}", secrets))
        return EXIT_ERROR
    if args.json:
        print(json.dumps(change.to_dict(), sort_keys=True))
    else:
        verdict = "allowed" if change.allowed else "refused"
        print(f"{verdict}: {change.user} {change.from_role or '?'} -> {change.to_role} by {change.actor}: {change.reason}")
    return status


def _table_at(path: str, roles_file: Optional[str] = None) -> Any:
    """A permission table from a CSV file or a snapshot folder; where the
    roles.csv and schema.json of a snapshot sit beside it, role and field
    display names resolve against them: an unknown role is an error, entity
    and field names the schema lacks are kept."""
    return _table_and_layout(path, roles_file)[0]


def _table_and_layout(path: str, roles_file: Optional[str] = None) -> Tuple[Any, str]:
    """Where a roles.csv sits beside the table (or ``roles_file`` is given),
    every role column must be one of its roles (display names resolve): a
    misspelt column is an error naming the file, the column and the closest
    role, never a new role. Entity and field names schema.json lacks are
    kept as typed."""
    if os.path.isdir(path):
        inner = os.path.join(path, "permissions.csv")
        if not os.path.lexists(inner):
            raise ValueError(
                f"{inner}: no such file; pass a permission CSV, or a snapshot folder (one that holds permissions.csv)"
            )
        path = inner
    schema = _schema_near(path)
    roles, roles_file = _roles_beside(path, roles_file)
    data, shown = _load(path)
    try:
        return _read_csv_bytes(data, schema=schema, roles=roles, path=shown, lenient=True, strict_roles=roles is not None)
    except CsvError as e:
        raise _with_roles_file(e, roles_file) from None


def _beside(path: str, name: str) -> Optional[str]:
    """The file ``name`` in the snapshot folder ``path`` is or sits in, if
    it is there, spelt as relative as ``path`` was."""
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    found = os.path.join(folder, name)
    return found if os.path.lexists(found) else None


def _roles_beside(path: str, roles_file: Optional[str] = None) -> Tuple[Optional[List[Tuple[str, str]]], Optional[str]]:
    """The (code, display name) of each assignable role in ``roles_file`` or
    the roles.csv beside ``path`` (None when there is none), and that file.
    ShotGrid's *_system_default templates are not columns of a table."""
    roles_file = roles_file or _beside(path, "roles.csv")
    if roles_file is None:
        return None, None
    rows = snapshot_context_rows(roles_file, "roles.csv")
    pairs = [
        (r["code"].strip(), (r["display_name"] or r["code"]).strip())
        for r in rows
        if r["code"].strip() and r.get("system_default", "").strip().lower() not in ("yes", "true")
    ]
    return pairs, roles_file


def _with_roles_file(e: "CsvError", roles_file: Optional[str]) -> Exception:
    """An unknown-role error says which roles.csv the roles came from."""
    if roles_file and 'unknown role "' in str(e):
        named = CsvError(f"{e} (the roles of {roles_file})")
        for attribute in ("path", "row", "column", "value"):
            setattr(named, attribute, getattr(e, attribute, None))
        return named
    return e


def _display_names(path: str) -> Optional[List[Tuple[str, str]]]:
    """(code, display name) pairs from the roles.csv beside a table, if any."""
    found = _beside(path, "roles.csv")
    rows = snapshot_context_rows(found, "roles.csv") if found else None
    return [(r["code"], r["display_name"] or r["code"]) for r in rows] if rows else None


def _schema_near(path: str) -> Any:
    found = _beside(path, "schema.json")
    return _read_schema(found) if found else None


def _render_changes(changes: Any, fmt: str, source: str) -> str:
    return {
        "text": changes.to_text,
        "md": changes.to_markdown,
        "csv": changes.to_csv,
        "json": lambda: changes.to_json() + "\n",
        "plan": lambda: changes.to_click_plan(roles=_display_names(source), schema=_schema_near(source)),
    }[fmt]()


def _write_changes(text: str, fmt: str) -> None:
    """csv and json are data (exact); text, md and plan are for people."""
    if fmt in ("csv", "json"):
        _write_data(text)
    else:
        sys.stdout.write(text)


def _diff(args: argparse.Namespace) -> int:
    def body(args: argparse.Namespace) -> int:
        changes = sgperms_diff(_table_at(args.old), _table_at(args.new))
        _write_changes(_render_changes(changes, args.format, args.new), args.format)
        return EXIT_DIFFERENT if changes else EXIT_OK

    return _run_tier_command(args, body)


def _compare(args: argparse.Namespace) -> int:
    def body(args: argparse.Namespace) -> int:
        if args.format == "plan":
            raise ValueError("--format plan is for diff: comparing two roles changes nothing to click")
        changes = _table_at(args.perms).compare_roles(args.role_a, args.role_b, effective=args.effective)
        _write_changes(_render_changes(changes, args.format, args.perms), args.format)
        return EXIT_DIFFERENT if changes else EXIT_OK

    return _run_tier_command(args, body)


def _report(args: argparse.Namespace) -> int:
    def body(args: argparse.Namespace) -> int:
        if bool(args.role) == bool(args.all):
            raise ValueError("pass --role ROLE (one page) or --all (the HTML site)")
        table = _table_at(args.perms, args.roles)
        # The files given, else those beside the table; each one there is read strictly.
        context: Dict[str, Any] = {}
        users = args.users or _beside(args.perms, "users.csv")
        if users:
            context["users"] = snapshot_context_rows(users, "users.csv")
        roles = args.roles or _beside(args.perms, "roles.csv")
        if roles:
            context["roles"] = snapshot_context_rows(roles, "roles.csv")
        schema = args.schema or _beside(args.perms, "schema.json")
        if schema:
            context["schema"] = _read_schema(schema)
        if args.all:
            written = write_site(table, args.output, title=args.title, **context)
            print(f"wrote {len(written)} pages to {args.output}/ (open {os.path.join(args.output, 'index.html')})", file=sys.stderr)
            return EXIT_OK
        fmt = "html" if args.output.lower().endswith((".html", ".htm")) else "markdown"
        text = role_report(table, args.role, format=fmt, title=args.title, **context)
        if args.output == "-":
            sys.stdout.write(text)
        else:
            write_atomic_bytes(args.output, text.encode("utf-8"))
        return EXIT_OK

    return _run_tier_command(args, body)


TIERS_EPILOG = """\
A tier file lists chains of roles, higher first, one per line:
  admins: admin                 # roles that may assign any role
  admin                         # a role alone on a line is isolated
  it_support > pipeline_td > tech_artist
  supervisor > lead > artist
  producer > supervisor         # roles may sit in several chains (a DAG)

examples:
  sgperms tiers check tiers.txt permissions.csv
  sgperms tiers grant tiers.txt permissions.csv --role coordinator --target entity:Asset::create
  sgperms tiers revoke tiers.txt permissions.csv --role lead --target entity:Version::retire --plan plan.csv --dry-run

grant: the role and every role above it get at least the value; revoke: the role
and every role below it get "no"; check: every role allows at least what the
roles below it allow (effective values: a field follows its entity).
exit status: check 1 when it finds missed permissions; 2 on errors.
"""


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
        description="Rewrite permission CSVs in their canonical form, so that a spreadsheet's\n"
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
    fmt.add_argument(
        "-o", "--output", metavar="OUT", help="write to OUT instead of in place ('-' for stdout; one FILE only)"
    )
    fmt.add_argument(
        "--schema",
        metavar="SCHEMA.json",
        help="the schema.json a snapshot writes (or Schema.to_json()): resolves entity and field "
        "display names and rejects unknown ones",
    )
    fmt.add_argument("-q", "--quiet", action="store_true", help="print only errors and files to reformat")
    fmt.set_defaults(run=_fmt)

    snapshot = commands.add_parser(
        "snapshot",
        help="read a site's roles, users, schema and permission history into a git-friendly folder",
        description="Snapshot what ShotGrid's API exposes about permissions into a folder that\n"
        "diffs cleanly in git: run it nightly from cron and commit.",
        epilog=SNAPSHOT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    snapshot.add_argument("-o", "--output", required=True, metavar="DIR", help="the snapshot folder (created if missing)")
    _add_connection_args(snapshot)
    snapshot.add_argument(
        "--since",
        metavar="WHEN",
        help="read history after this date/time (default: after the last event already in history.csv)",
    )
    snapshot.add_argument(
        "--probe", action="store_true",
        help="also measure each role through sudo (see 'sgperms probe'): fill unknown cells, list drift",
    )
    _add_rate_arg(snapshot)
    snapshot.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    snapshot.set_defaults(run=_snapshot)

    probe = commands.add_parser(
        "probe",
        help="measure what each role can really do, acting as its people, without writing",
        description="Measure the permission table of a live site: for each role, act as one active person\n"
        "holding it (sudo_as_login) and ask, for every entity type, whether they may see, create,\n"
        "retire and edit fields, with calls that cannot write (atomic batches that must fail).",
        epilog="examples:\n"
        "  sgperms probe --auto -o probed.csv\n"
        "  sgperms probe --as artist=ada.abara --as lead=bo.berg --project 123 -o probed.csv --evidence evidence.csv\n"
        "  sgperms probe --auto --dry-run\n\n"
        "The API user needs the advanced permission to sudo. Cells the probe cannot decide stay\n"
        "empty (unknown). Re-running with the same -o skips roles already probed (--restart to redo).\n"
        "exit status: 0 done, 2 error or a probe stopped for safety.\n"
        "Connects like 'sgperms snapshot' (same flags and SGPERMS_* variables).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    who = probe.add_mutually_exclusive_group()
    who.add_argument("--as", dest="as_", action="append", default=[], metavar="ROLE=LOGIN", help="act as LOGIN for ROLE")
    who.add_argument("--auto", action="store_true", help="one active person per role (the first by login)")
    probe.add_argument("-o", "--output", default="probed.csv", metavar="OUT", help="the probed table (default probed.csv)")
    probe.add_argument("--evidence", metavar="FILE", help="also write each cell's call and ShotGrid's answer as CSV")
    probe.add_argument("--project", type=int, metavar="ID", help="read only this project's records")
    _add_rate_arg(probe)
    probe.add_argument("--dry-run", action="store_true", help="print the calls it would make, make none")
    probe.add_argument("--restart", action="store_true", help="probe every role again, even those already in OUT")
    probe.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    _add_connection_args(probe)
    probe.set_defaults(run=_probe_cmd)

    demo = commands.add_parser(
        "demo",
        help="build the embedded demo studio (mockgun) and snapshot it",
        description="Build a demo ShotGrid studio in memory and snapshot it, to see what\n"
        "sgperms does without a site or credentials.",
        epilog=DEMO_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("-o", "--output", default="sgperms-demo", metavar="DIR", help="where to write (default: ./sgperms-demo)")
    demo.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    demo.set_defaults(run=_demo)

    bench = commands.add_parser(
        "bench",
        help="measure sgperms on a generated 2-million-cell studio against pure Python and polars",
        description="Generate a seeded studio (250 entity types, ~150 fields each, 30 roles in a tier\n"
        "DAG) and time read, write, diff, tiers check, grant and to_pandas() against a pure-Python\n"
        "implementation and polars' CSV parser, in one run. Prints a Markdown table.",
        epilog="--smoke measures a tiny studio once (CI runs it so the benchmark never rots).\n"
        "polars is optional: pip install 'sgperms[bench]'.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument("--smoke", action="store_true", help="a tiny studio, one run")
    bench.add_argument("--runs", type=int, default=5, help="runs per measurement after a warm-up (default 5)")
    bench.set_defaults(run=_bench, quiet=False)

    tiers = commands.add_parser(
        "tiers",
        help="check, grant and revoke along role tiers (supervisor > lead > artist)",
        description="Role tiers kept beside the site: grants go up, revocations go down, and\n"
        "check finds lower tiers allowed more than higher ones (missed permissions).",
        epilog=TIERS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tier_commands = tiers.add_subparsers(dest="tier_command", metavar="ACTION", required=True)
    check = tier_commands.add_parser(
        "check", help="list missed permissions; exit 1 if any", epilog=TIERS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("tiers", metavar="TIERS", help="the tier file")
    check.add_argument("perms", metavar="PERMS.csv", help="a permission table (wide or long)")
    check.add_argument("--unknown", action="store_true", help="also list pairs that cannot be compared (a value is unknown)")
    check.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    check.set_defaults(run=_tiers_check)
    for name, helptext in (("grant", "grant at a role and every role above it"), ("revoke", "revoke at a role and every role below it")):
        change = tier_commands.add_parser(name, help=helptext, epilog=TIERS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
        change.add_argument("tiers", metavar="TIERS", help="the tier file")
        change.add_argument("perms", metavar="PERMS.csv", help="a permission table (wide or long); rewritten in place unless -o")
        change.add_argument("--role", required=True, help="the role code to start from")
        change.add_argument("--target", required=True, metavar="KIND:ENTITY:NAME:ACTION", help="e.g. entity:Asset::create")
        if name == "grant":
            change.add_argument("--value", default="yes", help='yes (default) or "if <condition>"')
        change.add_argument("-o", "--output", metavar="OUT", help="write the changed table to OUT")
        change.add_argument("--plan", metavar="PLAN.csv", help="also write the plan (role, target, before, after, why)")
        change.add_argument("--dry-run", action="store_true", help="print (and with --plan, write) the plan; change nothing")
        change.add_argument("-q", "--quiet", action="store_true", help="no summary line")
        change.set_defaults(run=_tiers_change, command_name=name)

    audit_cmd = commands.add_parser(
        "audit",
        help="find roles that can make themselves admin, and missed permissions",
        description="Find non-admin roles that can edit people's roles (HumanUser.permission_rule_set)\n"
        "or the roles themselves, and, with --tiers, roles allowed more than every role above them.",
    )
    audit_cmd.add_argument("perms", metavar="PERMS.csv", help="a permission table (wide or long)")
    audit_cmd.add_argument("--tiers", metavar="TIERS", help="the tier file (its admins: line names the admin roles)")
    audit_cmd.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    audit_cmd.set_defaults(run=_audit)

    promote = commands.add_parser(
        "promote",
        help="move a person to a role, as the tiers allow the actor",
        description="Move a person to a role on the site, on behalf of an actor, only as the tier\n"
        "file allows: nobody changes their own role, nobody assigns at or above their own.",
        epilog="exit status: 0 allowed (and written unless --dry-run), 1 refused, 2 error.\n"
        "Connects like 'sgperms snapshot' (same flags and SGPERMS_* variables).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    promote.add_argument("--actor", required=True, metavar="LOGIN", help="who asks for the change")
    promote.add_argument("--user", required=True, metavar="LOGIN", help="whose role changes")
    promote.add_argument("--role", required=True, metavar="CODE", help="the new role's code")
    promote.add_argument("--tiers", required=True, metavar="TIERS", help="the tier file")
    promote.add_argument("--dry-run", action="store_true", help="decide and print, write nothing")
    promote.add_argument("--json", action="store_true", help="print the decision as one JSON line, for a log")
    _add_connection_args(promote)
    promote.set_defaults(run=_promote)

    formats = ("text", "md", "csv", "json", "plan")
    diff_cmd = commands.add_parser(
        "diff",
        help="what changed between two permission tables or snapshot folders",
        description="Show what changed between two permission tables (CSV files or snapshot folders):\n"
        "cells with before/after and the new note, targets and roles added or removed.",
        epilog="formats: text (default), md (for a pull request), csv, json, plan (where to click on\n"
        "ShotGrid's Permissions page).\nexit status: 0 no differences, 1 differences, 2 error (like diff).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff_cmd.add_argument("old", metavar="OLD", help="a permission CSV or a snapshot folder")
    diff_cmd.add_argument("new", metavar="NEW", help="a permission CSV or a snapshot folder")
    diff_cmd.add_argument("--format", choices=formats, default="text", help="output format (default text)")
    diff_cmd.set_defaults(run=_diff)

    compare = commands.add_parser(
        "compare",
        help="how one role differs from another",
        description="Show where ROLE_B differs from ROLE_A in one permission table.",
        epilog="exit status: 0 the roles agree, 1 they differ, 2 error.",
    )
    compare.add_argument("perms", metavar="PERMS.csv", help="a permission CSV or a snapshot folder")
    compare.add_argument("role_a", metavar="ROLE_A")
    compare.add_argument("role_b", metavar="ROLE_B")
    compare.add_argument("--effective", action="store_true", help="compare effective values (a field follows its entity)")
    compare.add_argument("--format", choices=formats, default="text", help="output format (default text)")
    compare.set_defaults(run=_compare)

    report = commands.add_parser(
        "report",
        help="\"what am I allowed to do?\": a role's page, or an HTML site of every role",
        description="Write one role's page (Markdown or HTML, by the extension of -o) or, with --all,\n"
        "a self-contained HTML site: an index, one page per role and a filterable role matrix.\n"
        "In a snapshot folder, roles.csv, users.csv and schema.json beside PERMS.csv are used.",
        epilog="examples:\n"
        "  sgperms report sgperms-demo/permissions.csv --role artist -o artist.md\n"
        "  sgperms report sgperms-demo/permissions.csv --all -o site/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("perms", metavar="PERMS.csv", help="a permission CSV or a snapshot folder")
    report.add_argument("--role", help="the role code of the page")
    report.add_argument("--all", action="store_true", help="write the HTML site of every role into -o DIR")
    report.add_argument("-o", "--output", required=True, metavar="FILE|DIR", help="FILE.md, FILE.html, - (stdout), or DIR with --all")
    report.add_argument("--users", metavar="users.csv", help="who holds which role (default: beside PERMS.csv)")
    report.add_argument("--roles", metavar="roles.csv", help="role display names (default: beside PERMS.csv)")
    report.add_argument("--schema", metavar="schema.json", help="entity and field display names (default: beside PERMS.csv)")
    report.add_argument("--title", default="", help="a title for the pages, e.g. the studio's name")
    report.set_defaults(run=_report)
    return parser


def _recover_folders(args: argparse.Namespace) -> None:
    """Before anything is read: every folder a path argument names (or holds
    a file of) that an interrupted write left half-replaced is put back."""
    values: List[Any] = []
    for value in vars(args).values():
        values.extend(value if isinstance(value, list) else [value])
    for value in values:
        if isinstance(value, str) and value not in ("", "-") and os.path.exists(value):
            recover_folder(value, notice=lambda text: print(f"sgperms: note: {_one_line(text)}", file=sys.stderr))


class _QuietPipe(io.RawIOBase):
    """A standard stream's file descriptor whose reader may go away
    (``| head``, a pager quit early): from then on, output is dropped."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self.broken = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: Any) -> int:  # type: ignore[override]
        if not self.broken:
            try:
                return os.write(self._fd, data)
            except BrokenPipeError:
                self.broken = True
        return len(data)


def _quiet_closed_pipes() -> Any:
    """Routes the process's own stdout and stderr through _QuietPipe; returns
    the function that puts them back. A closed pipe is then not an error: the
    command finishes (a grant still writes its table) and exits with its own
    status, without a word about the pipe."""
    replaced = []
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or stream is not getattr(sys, f"__{name}__"):
            continue  # someone else's stream (a test's capture, an embedding)
        try:
            fd = stream.fileno()
            stream.flush()
        except (OSError, ValueError, AttributeError):
            continue
        quiet = io.TextIOWrapper(
            io.BufferedWriter(_QuietPipe(fd)),
            encoding=stream.encoding,
            errors=stream.errors,
            line_buffering=stream.line_buffering,
            write_through=getattr(stream, "write_through", False),
        )
        setattr(sys, name, quiet)
        replaced.append((name, stream, quiet))

    def restore() -> None:
        for name, stream, quiet in replaced:
            try:
                quiet.flush()
            except (OSError, ValueError):
                pass
            setattr(sys, name, stream)

    return restore


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``sgperms`` command; returns its exit status: 0, 1 (a
    difference or a finding, as each command documents), 2 (an error: one
    line on stderr, never a traceback), 130 (interrupted). A closed pipe
    (``sgperms diff a b | head -1``) is not an error: the rest of the output
    is dropped and the status is the command's own."""
    restore = _quiet_closed_pipes()
    restore_text = _human_output()
    try:
        return _main(argv)
    finally:
        restore_text()
        restore()


def _main(argv: Optional[Sequence[str]]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _SECRETS[:] = _command_secrets(args)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        _recover_folders(args)
    except (FolderError, ValueError) as e:  # a folder left unusable, or a bad $SGPERMS_LOCK_WAIT
        _error(str(e))
        return EXIT_ERROR
    try:
        return args.run(args)
    except FolderError as e:
        _error(str(e))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        # The reader (head, less) went away: not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as e:  # the last resort: one line, never a traceback
        detail = _one_line(_scrub(str(e), _SECRETS))[:300]  # masked before it is cut
        _error(
            f"unexpected {type(e).__name__}{': ' + detail if detail else ''} "
            "(this is a bug in sgperms, please report it with the command that caused it)"
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
