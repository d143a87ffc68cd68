"""Credentials: the connection flags and their SGPERMS_* variables, checking
them, connecting, and masking them in every line the command prints.

Flags win over the environment as a whole: credentials given on the command
line are used alone, so a stale variable of another kind never mixes in. The
credentials of the running command (``SECRETS``) are known before anything
can fail, and every error line is scrubbed of them (``scrub``)."""

from __future__ import annotations

import argparse
import base64
import binascii
import html
import json
import os
import re
import unicodedata
import urllib.parse
from collections.abc import Sequence
from typing import Any, Callable

from ..site import Site, public_url
from .status import Failure

__all__ = [
    "CREDENTIALS", "MASK", "MIN_MASKABLE", "SECRETS", "add_connection_args", "check_credentials",
    "command_secrets", "connect", "failed", "open_site", "require_credentials", "resolve_credentials", "scrub",
    "secrets",
]

#: The credential flags (argparse names), each with its SGPERMS_* variable.
CREDENTIALS = ("script_name", "api_key", "login", "password", "session_token")

#: The credentials of the running command: every error line is scrubbed of them.
SECRETS: list[str] = []

#: Shorter credentials cannot be masked without revealing them by context.
MIN_MASKABLE = 6
MASK = "***"
_BASIC_AUTH = re.compile(r"(?i)\b(basic)(\s+|%20|\+)((?:[A-Za-z0-9+/=_-]|\\/)+)")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*:(?:\\?/){2})([^\s/\\\"'<>@]+)@")
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_BACKSLASH_ESCAPE = re.compile(r"\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}")


def add_connection_args(parser: argparse.ArgumentParser, *, demo: bool = False) -> None:
    """--site and credentials; each falls back to its SGPERMS_* variable.
    ``demo``: also --demo, the demo studio instead of a site."""
    if demo:
        parser.add_argument(
            "--demo", action="store_true",
            help="act on the demo studio (mockgun, in memory, obeying the demo's permission table) "
            "instead of a site: no network, no credentials, nothing kept",
        )
    parser.add_argument("--site", metavar="URL", help="site URL (SGPERMS_SITE)")
    parser.add_argument("--script-name", help="API script name (SGPERMS_SCRIPT_NAME)")
    parser.add_argument("--api-key", help="API script key (SGPERMS_API_KEY)")
    parser.add_argument("--login", help="user login (SGPERMS_LOGIN)")
    parser.add_argument("--password", help="user password (SGPERMS_PASSWORD)")
    parser.add_argument("--session-token", help="session token (SGPERMS_SESSION_TOKEN)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS", help="give up on a call after this long (default 60)"
    )


def resolve_credentials(args: argparse.Namespace) -> None:
    """Flags win over the environment as a whole: credentials given on the
    command line are used alone, so a stale SGPERMS_* variable of another
    kind never mixes in. Without credential flags, the variables are used."""
    if not args.site:
        args.site = os.environ.get("SGPERMS_SITE")
    if not any(getattr(args, name) for name in CREDENTIALS):
        for name in CREDENTIALS:
            setattr(args, name, os.environ.get(f"SGPERMS_{name.upper()}"))


def check_credentials(args: argparse.Namespace) -> str | None:
    """Resolves the credentials (``resolve_credentials``); returns what is
    wrong with them as one line, or None when a connection can be tried."""
    resolve_credentials(args)
    if not args.site:
        return "no site: pass --site URL or set SGPERMS_SITE"
    bad_site = f"--site {public_url(args.site)!r}: expected a URL such as https://yourstudio.shotgrid.autodesk.com"
    try:
        parts = urllib.parse.urlsplit(args.site)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return bad_site
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return bad_site
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


def require_credentials(args: argparse.Namespace) -> None:
    """Resolves and checks the credentials; a Failure saying what is wrong
    with them, before anything is read or asked of the site. With --demo:
    the demo studio's URL, and no site or credential may be given."""
    if getattr(args, "demo", False):
        given = [f"--{name.replace('_', '-')}" for name in ("site", *CREDENTIALS) if getattr(args, name)]
        if given:
            raise Failure(f"--demo acts on the demo studio: drop {', '.join(given)}")
        from ..demo import DEMO_URL

        args.site = DEMO_URL
        return
    problem = check_credentials(args)
    if problem:
        raise Failure(problem)


def connect(args: argparse.Namespace) -> Any:
    """A shotgun_api3 session from the resolved flags and environment, or
    with --demo the demo studio's (``sgperms.demo.build_site``)."""
    if getattr(args, "demo", False):
        from ..demo import build_site

        return build_site()
    from shotgun_api3.shotgun import Shotgun

    kwargs: dict[str, Any] = {}
    if args.script_name or args.api_key:
        kwargs.update(script_name=args.script_name, api_key=args.api_key)
    elif args.login or args.password:
        kwargs.update(login=args.login, password=args.password)
    elif args.session_token:
        kwargs.update(session_token=args.session_token)
    sg = Shotgun(args.site, connect=False, **kwargs)
    # shotgun_api3 waits forever by default: a nightly job must not hang.
    sg.config.timeout_secs = args.timeout
    return sg


def open_site(args: argparse.Namespace, progress: Callable[[str], None] | None = None) -> Site:
    """A ``sgperms.Site`` over a session made by ``connect``."""
    return Site(connect(args), progress=progress)


def failed(doing: str, args: argparse.Namespace, e: BaseException) -> Failure:
    """The Failure for a call to the site that failed: what was being done
    (``snapshot``, ``probe``, ...), the site without credentials, the
    exception, every credential of ``args`` masked. A ValueError says what
    was wrong with what was asked (an unknown role); other exceptions keep
    their class name, which is often all a network error says."""
    what = str(e) if type(e) is ValueError else f"{type(e).__name__}: {e}"
    return Failure(scrub(f"could not {doing} {public_url(args.site)}: {what}", secrets(args)))


def secrets(args: argparse.Namespace) -> list[str]:
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


def command_secrets(args: argparse.Namespace) -> list[str]:
    """Every credential a connecting command may hold, flags and SGPERMS_*
    variables both, known before anything can fail; none for other commands."""
    if not hasattr(args, "api_key"):
        return []
    names = ("api_key", "password", "session_token", "site")
    env = argparse.Namespace(**{name: os.environ.get(f"SGPERMS_{name.upper()}") for name in names})
    return list(dict.fromkeys(secrets(args) + secrets(env)))


def _spellings(secret: str) -> list[str]:
    """The forms a secret takes in messages: as typed and Unicode-normalised;
    JSON-escaped (\\" \\u00e9 \\/, either hex case); Python repr of str and
    bytes; percent-encoded (any safe set a URL uses, + for space, either hex
    case); HTML-escaped; UTF-8 read as Latin-1. The hex digits of percent
    escapes and of backslash escapes take either case independently (a JSON
    escape in upper case beside a %xx the secret itself holds)."""
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
    cased = {
        _hex_case(_hex_case(form, _PERCENT_ESCAPE, percent), _BACKSLASH_ESCAPE, backslash)
        for form in forms
        for percent in (str.lower, str.upper)
        for backslash in (str.lower, str.upper)
    }
    return sorted(forms | cased, key=len, reverse=True)


def _hex_case(form: str, escapes: re.Pattern[str], case: Callable[[str], str]) -> str:
    """``form`` with the hex digits of each escape ``escapes`` finds (%XX, or
    \\xXX and \\uXXXX) in ``case``."""

    def one(match: re.Match[str]) -> str:
        text = match.group(0)
        cut = 1 if text[0] == "%" else 2
        return text[:cut] + case(text[cut:])

    return escapes.sub(one, form)


def _base64_spellings(secret: str) -> list[str]:
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


def _scrub_basic(match: re.Match[str]) -> str:
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


def scrub(message: str, secrets: Sequence[str]) -> str:
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
