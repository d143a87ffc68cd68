"""Credentials never survive into a message, in any of the forms a message
can carry them: as typed, JSON-escaped (\\" \\u00e9 \\/), Python repr,
percent-encoded, HTML-escaped, Unicode-normalised, in a Basic-auth header or a URL's
user:password@, or base64 anywhere. Ordinary text is left alone."""

import base64
import html
import json
import re
import unicodedata
import urllib.parse

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from sgperms import cli

from conftest import run_in_process

SECRET_CHARS = st.characters(blacklist_categories=("Cs",))
TRICKY = st.sampled_from(list('"\\/:@%+ &=?#\'\n\té€ß漢😀\u0301'))
secrets = st.lists(st.one_of(SECRET_CHARS, TRICKY), min_size=cli.MIN_MASKABLE, max_size=40).map("".join)
users = st.text(alphabet="abcdefghijklmnopqrstuvwxyz._-0123456789", min_size=1, max_size=12)


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def rendered(secret, user):
    """The secret as messages carry it (the test's own list, not cli's)."""
    ascii_json = json.dumps(secret)[1:-1]
    forms = {
        "raw": secret,
        "json": ascii_json,
        "json-upper-hex": re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), ascii_json),
        "json-unicode": json.dumps(secret, ensure_ascii=False)[1:-1],
        "json-slash": ascii_json.replace("/", "\\/"),
        "repr": repr(secret),
        "bytes-repr": repr(secret.encode("utf-8")),
        "percent": urllib.parse.quote(secret, safe=""),
        "percent-lower": re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), urllib.parse.quote(secret, safe="")),
        "percent-plus": urllib.parse.quote_plus(secret),
        "nfd": unicodedata.normalize("NFD", secret),
        "nfc": unicodedata.normalize("NFC", secret),
        "latin-1": secret.encode("utf-8").decode("latin-1"),
        "html": html.escape(secret),
        "basic-header": f"Authorization: Basic {b64(f'{user}:{secret}')}",
        "basic-header-json": json.dumps({"Authorization": f"Basic {b64(f'{user}:{secret}')}"}).replace("/", "\\/"),
        "url": f"https://{user}:{secret}@studio.shotgrid.autodesk.com/api3/json",
        "url-encoded": f"https://{user}:{urllib.parse.quote(secret, safe='')}@studio.shotgrid.autodesk.com/api3/json",
        "url-json": json.dumps(f"https://{user}:{urllib.parse.quote(secret, safe='')}@host/x").replace("/", "\\/"),
        "base64": b64(secret),
        "base64-urlsafe": base64.urlsafe_b64encode(secret.encode("utf-8")).decode("ascii"),
        "base64-after-prefix": b64("x" + secret),
    }
    return forms


def leaks(text, secret, forms):
    """Which forms of the secret can still be read in ``text``."""
    found = [name for name, form in forms.items() if form in text]
    data = secret.encode("utf-8")
    plain = text.replace("\\/", "/")
    for run in re.findall(r"[A-Za-z0-9+/_-]{8,}={0,2}", plain):
        run = run.replace("-", "+").replace("_", "/")
        for start in range(4):
            body = run[start:].rstrip("=")
            body = body[: len(body) // 4 * 4]
            try:
                decoded = base64.b64decode(body)
            except ValueError:
                continue
            if data in decoded:
                found.append("base64 in " + run)
    return found


def message_with(form):
    return f"could not snapshot https://studio.shotgrid.autodesk.com: Fault: API read() failed: {form} (retry later)"


@settings(max_examples=300, deadline=None)
@given(secret=secrets, user=users, data=st.data())
@example(secret='pässwörd"/\\x', user="ada", data=None)
@example(secret="a/b+c=d?e", user="svc", data=None)
def test_no_form_of_a_secret_survives_scrubbing(secret, user, data):
    forms = rendered(secret, user)
    names = sorted(forms) if data is None else [data.draw(st.sampled_from(sorted(forms)))]
    for name in names:
        message = message_with(forms[name])
        scrubbed = cli._connect.scrub(message, [secret])
        assert not leaks(scrubbed, secret, forms), (name, scrubbed)
        if not scrubbed.startswith("details withheld: "):
            # Masked in place: the rest of the message still says what happened.
            assert scrubbed.startswith("could not snapshot https://studio.shotgrid.autodesk.com: Fault:")
            assert "***" in scrubbed


@settings(max_examples=100, deadline=None)
@given(secret=secrets, user=users)
def test_every_form_at_once_in_one_message(secret, user):
    forms = rendered(secret, user)
    message = " | ".join(forms.values())
    scrubbed = cli._connect.scrub(message, [secret, "another-secret-token"])
    assert not leaks(scrubbed, secret, forms), scrubbed


ORDINARY = st.one_of(
    st.text(max_size=80),
    st.builds(
        '{}, row {}, column "{}": unknown value "{}"; expected yes, no, inherit'.format,
        st.sampled_from(["permissions.csv", "snap/roles.csv", "C:\\perms\\p.csv"]),
        st.integers(1, 10**6),
        st.text(max_size=12),
        st.text(max_size=20),
    ),
    st.builds(
        "could not snapshot {}: Fault: Basic permissions of {} are read-only".format,
        st.sampled_from(["https://studio.shotgrid.autodesk.com", "http://127.0.0.1:8080/api3/json?x=1"]),
        st.text(max_size=10),
    ),
)


@settings(max_examples=300, deadline=None)
@given(text=ORDINARY, secret=secrets, user=users)
def test_ordinary_text_is_untouched(text, secret, user):
    assume(not leaks(text, secret, rendered(secret, user)))
    assert cli._connect.scrub(text, [secret]) == text
    assert cli._connect.scrub(text, []) == text


def test_a_url_or_basic_credential_is_masked_even_when_the_secret_is_not_known():
    message = (
        "GET https://ada:hunter2hunter2@studio.example/api3 failed; sent Authorization: Basic "
        + b64("ada:hunter2hunter2")
    )
    scrubbed = cli._connect.scrub(message, [])
    assert scrubbed == "GET https://***@studio.example/api3 failed; sent Authorization: Basic ***"
    assert cli._connect.scrub("Basic permissions: see the docs", []) == "Basic permissions: see the docs"


def test_a_short_secret_withholds_the_message_only_when_it_appears():
    assert cli._connect.scrub("the site said: wrong key abc12", ["abc12"]) == (
        "details withheld: the message contained a credential too short (under 6 characters) to mask"
    )
    assert cli._connect.scrub("the site said: timeout", ["abc12"]) == "the site said: timeout"
    # Inside a longer word it is not the credential: the message stands.
    message = '--since "last tuesday": expected a date'
    assert cli._connect.scrub(message, ["t"]) == message
    assert cli._connect.scrub("token t refused", ["t"]).startswith("details withheld: ")
    assert cli._connect.scrub("login failed for ada:pw!", ["pw!"]).startswith("details withheld: ")
    assert cli._connect.scrub('{"k": "\\u00e9t\\u00e9"}', ["été"]).startswith("details withheld: ")


def run(argv, monkeypatch, tmp_path):
    status, _, err = run_in_process(argv, tmp_path)
    return status, err


@pytest.mark.parametrize("where", ["flag", "env", "url"])
def test_every_error_line_of_a_connecting_command_is_scrubbed(where, monkeypatch, tmp_path):
    """The command's own credentials (flags, SGPERMS_* variables, a
    user:password@ site URL) are masked in whatever error it prints, here a
    failure whose text repeats the password JSON-escaped and in a header."""
    secret = 'pä/ss"wörd-9'
    site = "https://studio.example"
    argv = ["snapshot", "-o", str(tmp_path / "out")]
    for name in ("SITE", "SCRIPT_NAME", "API_KEY", "LOGIN", "PASSWORD", "SESSION_TOKEN"):
        monkeypatch.delenv(f"SGPERMS_{name}", raising=False)
    if where == "flag":
        argv += ["--site", site, "--login", "ada", "--password", secret]
    elif where == "env":
        monkeypatch.setenv("SGPERMS_SITE", site)
        monkeypatch.setenv("SGPERMS_LOGIN", "ada")
        monkeypatch.setenv("SGPERMS_PASSWORD", secret)
    else:
        argv += ["--site", f"https://ada:{urllib.parse.quote(secret, safe='')}@studio.example", "--session-token",
                 "t" * 20]

    class Failing:
        def __init__(self, *args, **kwargs):
            raise RuntimeError(
                f"request {json.dumps({'password': secret})} with Authorization: Basic {b64('ada:' + secret)} "
                f"to https://ada:{secret}@studio.example was refused"
            )

    monkeypatch.setattr(cli._connect, "Site", Failing)
    status, err = run(argv, monkeypatch, tmp_path)
    assert status == 2
    assert len(err.splitlines()) == 1 and err.startswith("sgperms: error: could not snapshot https://studio.example")
    assert "with Authorization: Basic *** to https://***@studio.example was refused" in err
    assert not leaks(err, secret, rendered(secret, "ada")), err


def test_escapes_of_each_kind_take_their_case_independently():
    """Found by hypothesis: a secret holding "%0a" whose JSON form escapes
    \\x8a in upper case (\\u008A) mixes the hex cases of two kinds of escape."""
    secret = "00%0a\x8a"
    forms = rendered(secret, "0")
    scrubbed = cli._connect.scrub(" | ".join(forms.values()), [secret])
    assert not leaks(scrubbed, secret, forms), scrubbed
