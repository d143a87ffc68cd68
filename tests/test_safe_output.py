"""Output is safe where people open it (issue 11, item 7): CSVs for
spreadsheets neutralise formula starts, tables that round-trip stay
byte-lossless and reading them warns, Markdown renders hostile text as text
(checked with GitHub's own cmark-gfm), terminal output shows control
characters instead of obeying them, and CSV/JSON on stdout keep data exact."""

import csv
import html
import io
import json
import re
import warnings

import pytest

import sgperms
from sgperms.cli import main
from sgperms.probe import Probe

from conftest import run_cli as run

HYPERLINK = '=HYPERLINK("http://evil","click")'
FORMULAS = [HYPERLINK, "+cmd|' /C calc'!A0", "@SUM(1)", "\t=1", "-2+3+cmd|' /C calc'!A0"]
MARKUP = [
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "![img](http://x)",
    "a | b `c` | d",
    "# heading",
    "> quote",
    "- item",
    "1. item",
    "**bold** _em_ ~~gone~~ $x$",
    "<img src=x onerror=alert(1)>",
    "&lt;b&gt; www.evil.com http://evil.com",
    "line one\nline two\n# not a heading",
    "back\\|slash",
]
CONTROLS = ["\x1b[31mred\x1b[0m", "\u202eevil\u202c", "\u2066isolate\u2069", "bell\x07", "c1\x9b31m", "zw\u200bsp"]
HOSTILE = FORMULAS + MARKUP + CONTROLS
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2066-\u2069]")

# A canonical wide table: the hostile text as a note, an app name and a role display name.
CANONICAL = (
    "kind,entity_type,name,action,artist,note\n"
    "entity,Shot,,see,no,\n"
    'app,,"=HYPERLINK(""http://evil"",""click"")",see,no,+cmd|\' /C calc\'!A0\n'
    "app,,Screening Room,see,yes,-1\n"
    "app,,plain,see,if @ a desk,@SUM(1)\n"
)


def hostile_table(values=HOSTILE):
    t = sgperms.PermissionTable(["artist"])
    for text in values:
        t.set("artist", "app", "", text, "see", "if " + text, note=text)
    return t


def cells_of(text):
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def is_formula(cell):
    """The rule sgperms documents: =, +, -, @, tab or CR first, except a sign
    alone or a sign followed by a plain number."""
    if not cell or cell[0] not in "=+-@\t\r":
        return False
    return not re.fullmatch(r"[+-](\d+(\.\d+)?)?", cell)


# -- CSVs for spreadsheets ---------------------------------------------------


def test_diff_csv_neutralises_every_formula_start():
    changes = sgperms.diff(sgperms.PermissionTable(["artist"]), hostile_table())
    text = changes.to_csv()
    cells = cells_of(text)
    assert not [c for c in cells if is_formula(c)]
    for formula in FORMULAS:
        assert "'" + formula.strip() in cells, formula  # names and notes are kept trimmed
    # Values ("if =...") and plain text are untouched; only formula starts get the quote.
    assert "if " + HYPERLINK in cells
    assert "<script>alert(1)</script>" in cells
    # Each in a target_added, a cell and a note record: name; name, note; name, after, note.
    assert sum(c.startswith("'") for c in cells) == 6 * sum(is_formula(h.strip()) for h in HOSTILE) == 6 * 6


def test_numbers_and_a_lone_dash_are_not_quoted():
    t = sgperms.PermissionTable(["artist"])
    for name, note in [("a", "-1"), ("b", "+2.5"), ("c", "-"), ("d", "- removed"), ("e", "-1-1")]:
        t.set("artist", "app", "", name, "see", "yes", note=note)
    cells = cells_of(sgperms.diff(sgperms.PermissionTable(["artist"]), t).to_csv())
    assert {"-1", "+2.5", "-", "'- removed", "'-1-1"} <= set(cells)


def test_plan_csv_neutralises_names_and_values():
    tiers = sgperms.Tiers.parse("lead > artist")
    table = sgperms.PermissionTable(["lead", "artist"])
    table.set("artist", "app", "", HYPERLINK, "see", "no")
    plan = tiers.grant(table, "artist", "app", "", HYPERLINK, "see", value="yes")
    cells = cells_of(plan.to_csv())
    assert cells.count("'" + HYPERLINK) == 2
    assert not [c for c in cells if is_formula(c)]


def test_probe_evidence_csv_neutralises_answers():
    table = sgperms.PermissionTable(["artist"])
    table.set("artist", "entity", "Shot", "", "see", "no")
    evidence = {
        ("artist", ("entity", "Shot", "", "see")): ("find('Shot')", "=HYPERLINK(\"http://evil\") Rule: Artist"),
        ("artist", ("entity", "Shot", "", "create")): ("@SUM(1)", "-1"),
        ("artist", ("entity", "Shot", "", "retire")): ("batch", None),
    }
    text = Probe(table=table, evidence=evidence).evidence_csv()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["role", "kind", "entity_type", "name", "action", "value", "call", "answer"]
    assert rows[1] == ["artist", "entity", "Shot", "", "create", "", "'@SUM(1)", "-1"]
    assert rows[2] == ["artist", "entity", "Shot", "", "retire", "", "batch", ""]
    assert rows[3][-1] == "'=HYPERLINK(\"http://evil\") Rule: Artist"
    assert not [c for row in rows for c in row if is_formula(c)]


# -- tables that round-trip: lossless, and reading warns ---------------------


def test_reading_keeps_every_byte_and_warns_once(tmp_path):
    path = tmp_path / "permissions.csv"
    path.write_text(CANONICAL)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = sgperms.read_csv(path)
    assert table.to_csv() == CANONICAL  # byte-lossless
    assert table.note("app", "", HYPERLINK, "see") == "+cmd|' /C calc'!A0"
    formula = [w for w in caught if issubclass(w.category, sgperms.FormulaWarning)]
    assert len(formula) == 1, [str(w.message) for w in caught]
    message = str(formula[0].message)
    assert message.startswith(f"{path}: 3 cells a spreadsheet would run as formulas")
    assert 'first at row 3, column name: "=HYPERLINK(' in message
    # The warning points at the caller, not at sgperms' own code.
    assert formula[0].filename == __file__


def test_clean_tables_and_no_dash_values_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = sgperms.read_csv("kind,entity_type,name,action,artist,note\nentity,Shot,,see,-,-1\n")
    assert t.get("artist", "entity", "Shot", "", "see") == "no"


def test_a_warning_is_an_error_when_asked_and_text_sources_are_named():
    with warnings.catch_warnings():
        warnings.simplefilter("error", sgperms.FormulaWarning)
        with pytest.raises(sgperms.FormulaWarning, match=r"^the CSV text: 1 cell .* row 2, column note"):
            sgperms.read_csv("kind,entity_type,name,action,a,note\nentity,Shot,,see,yes,@x\n")


def test_hostile_tables_round_trip_in_both_layouts():
    table = hostile_table()
    for layout in ("wide", "long"):
        text = table.to_csv(layout=layout)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sgperms.FormulaWarning)
            back = sgperms.read_csv(text)
        assert back.to_csv(layout=layout) == text
        assert back == table


# -- Markdown: rendered by GitHub's cmark-gfm ---------------------------------


def render(markdown):
    cmarkgfm = pytest.importorskip("cmarkgfm", reason="cmarkgfm is in the [test] extra")
    from cmarkgfm.cmark import Options

    # Raw HTML allowed: any tag the Markdown let through would show here.
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def shown(text):
    """What a hostile string must look like once rendered: one line, controls escaped."""
    flat = re.sub(r"\r\n|[\r\n\t]", " ", text)
    return sgperms._core.terminal_text(flat, True)


def assert_renders_as_text(markdown, expected):
    page = render(markdown)
    tags = set(re.findall(r"</?([a-z0-9]+)", page))
    allowed = {"h1", "h2", "h3", "h4", "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td",
               "code", "strong", "details", "summary", "a"}
    assert tags <= allowed, tags - allowed
    # The only links are GitHub's e-mail autolinks (their text is the address itself).
    assert not re.search(r'<a href="(?!mailto:)', page), page
    for table in re.findall(r"<table>.*?</table>", page, re.S):
        widths = {len(re.findall(r"<t[hd][ >]", row)) for row in re.findall(r"<tr>.*?</tr>", table, re.S)}
        assert len(widths) == 1, f"a row with cells of its own: {table}"
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for item in expected:
        assert shown(item) in text, (item, text)
    assert not RAW_CONTROL.search(page)


def test_changes_markdown_renders_hostile_text_as_text():
    changes = sgperms.diff(sgperms.PermissionTable(["artist"]), hostile_table())
    markdown = changes.to_markdown()
    assert_renders_as_text(markdown, HOSTILE)
    # A header and a row per cell, a header and a row per note: nothing split a row.
    assert markdown.count("\n| ") == 2 + 2 * len(HOSTILE)


def test_role_page_markdown_renders_hostile_text_as_text():
    people = [{"role": "artist", "login": h, "name": h, "active": "yes"} for h in HOSTILE]
    roles = [{"code": "artist", "display_name": "<script>alert(1)</script>", "user_type": "> quote",
              "template": "[x](javascript:alert(1))"}]
    page = sgperms.role_report(hostile_table(), "artist", format="markdown", users=people, roles=roles)
    assert page.startswith("# \\<script\\>alert(1)\\</script\\>\n")
    assert_renders_as_text(page, HOSTILE)


def test_role_page_html_escapes_hostile_text():
    people = [{"role": "artist", "login": h, "name": h, "active": "yes"} for h in HOSTILE]
    roles = [{"code": "artist", "display_name": "<img src=x onerror=alert(1)>"}]
    page = sgperms.role_report(hostile_table(), "artist", format="html", users=people, roles=roles)
    for bad in ("<script>alert", "<img", "javascript:alert(1))\">", "href=\"http://evil"):
        assert bad not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def tiered_hostile_table():
    """lead above artist, artist allowed more on every rule: the hostile text
    as the notes of entity rules and of apps, each one a missed permission."""
    t = sgperms.PermissionTable(["lead", "artist"])
    for i, text in enumerate(HOSTILE):
        entity = f"CustomEntity{i:02d}"
        t.set("artist", "entity", entity, "", "retire", "yes", note=text)
        t.set("lead", "entity", entity, "", "retire", "no")
        t.set("artist", "app", "", text, "see", "yes", note=text)
        t.set("lead", "app", "", text, "see", "no")
    return t


TIERED_ROLES = [{"code": "lead", "display_name": "[x](javascript:alert(1)) <img src=x onerror=alert(1)>"},
                {"code": "artist", "display_name": "a | b `c` | d \x1b[31mred"}]


@pytest.mark.parametrize("role", ["lead", "artist"])
def test_role_page_markdown_renders_hostile_notes_and_tier_names_as_text(role):
    tiers = sgperms.Tiers.parse("lead > artist")
    page = sgperms.role_report(tiered_hostile_table(), role, roles=TIERED_ROLES, tiers=tiers)
    assert page.count("a missed permission") == 2 * len(HOSTILE)
    assert_renders_as_text(page, HOSTILE + [r["display_name"] for r in TIERED_ROLES])


def test_role_pages_and_index_html_escape_hostile_notes_and_tier_names(tmp_path):
    tiers = sgperms.Tiers.parse("lead > artist")
    out = tmp_path / "site"
    sgperms.write_site(tiered_hostile_table(), out, roles=TIERED_ROLES, tiers=tiers,
                       snapshot={"site": "<script>alert(1)</script>", "taken_at": "<img src=x onerror=alert(1)>"})
    for name in ("index.html", "role-lead.html", "role-artist.html"):
        page = (out / name).read_text()
        for bad in ("<script>alert", "<img", "javascript:alert(1))\">", "href=\"http://evil", "href=\"javascript"):
            assert bad not in page, (name, bad)
        assert "&lt;img src=x onerror=alert(1)&gt;" in page, name


# -- terminal output and machine formats on stdout ----------------------------


def write_pair(tmp_path):
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    sgperms.PermissionTable(["artist"]).to_csv(old)
    hostile_table().to_csv(new)
    return old, new


def test_diff_text_shows_controls_instead_of_obeying_them(tmp_path, capsys):
    old, new = write_pair(tmp_path)
    assert main(["diff", str(old), str(new)]) == 1
    out, err = capsys.readouterr()
    assert not RAW_CONTROL.search(out + err)
    assert "\\x1b[31mred\\x1b[0m" in out and "\\u202eevil\\u202c" in out and "c1\\x9b31m" in out
    for fmt in ("md", "plan"):
        assert main(["diff", str(old), str(new), "--format", fmt]) == 1
        out, err = capsys.readouterr()
        assert not RAW_CONTROL.search(out + err), fmt
        assert "\\x1b[31mred" in out, fmt


def test_diff_csv_and_json_on_stdout_keep_data_exact(tmp_path, capsys):
    old, new = write_pair(tmp_path)
    with pytest.warns(sgperms.FormulaWarning, match="new.csv: 12 cells"):
        changes = sgperms.diff(sgperms.read_csv(old), sgperms.read_csv(new))
    assert main(["diff", str(old), str(new), "--format", "csv"]) == 1
    out = capsys.readouterr().out
    assert out == changes.to_csv()
    assert "\x1b[31mred\x1b[0m" in cells_of(out)  # data, not a display
    assert not [c for c in cells_of(out) if is_formula(c)]
    assert main(["diff", str(old), str(new), "--format", "json"]) == 1
    out = capsys.readouterr().out
    assert not RAW_CONTROL.search(out)  # the JSON escapes them itself
    notes = {n["after"] for n in json.loads(out)["notes"]}
    assert notes == {h.strip() for h in HOSTILE}




def test_error_lines_and_reports_paths_show_controls(tmp_path):
    name = tmp_path / "bad\x1b[2J\u202e.csv"
    r = run("fmt", str(name))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("sgperms: error: ")
    assert "bad\\x1b[2J\\u202e.csv" in r.stderr and not RAW_CONTROL.search(r.stderr)


def test_cli_reading_warns_once_per_file_on_stderr(tmp_path):
    folder = tmp_path / "snap"
    folder.mkdir()
    (folder / "permissions.csv").write_text(CANONICAL)
    (folder / "users.csv").write_text(
        "user_type,id,login,name,active,role\nHumanUser,1,ada,\"=HYPERLINK(\"\"http://evil\"\",\"\"click\"\")\",yes,artist\n"
    )
    (folder / "roles.csv").write_text(
        "code,display_name,user_type,template,system_default,id\nartist,Artist,HumanUser,,no,1\n")
    r = run("fmt", "--check", str(folder / "permissions.csv"))
    assert r.returncode == 0, r.stderr
    warned = [line for line in r.stderr.splitlines() if line.startswith("sgperms: warning: ")]
    assert warned == [
        f"sgperms: warning: {folder / 'permissions.csv'}: 3 cells a spreadsheet would run as formulas "
        "(starting with =, +, -, @, a tab or a carriage return), first at row 3, column name: "
        "\"=HYPERLINK(\\\"http://evil\\\",\\\"click\\\")\"; sgperms keeps them exactly as written: "
        "check them before opening the file in a spreadsheet"
    ]
    assert (folder / "permissions.csv").read_text() == CANONICAL
    r = run("report", str(folder), "--role", "artist", "-o", "-")
    assert r.returncode == 0, r.stderr
    warned = [line for line in r.stderr.splitlines() if line.startswith("sgperms: warning: ")]
    assert len(warned) == 2, r.stderr  # permissions.csv and users.csv, once each
    assert any(f"{folder / 'users.csv'}: 1 cell" in w and "row 2, column name" in w for w in warned)
    assert "Traceback" not in r.stderr


def test_the_same_file_read_twice_warns_once(tmp_path, capsys):
    path = tmp_path / "permissions.csv"
    path.write_text(CANONICAL)
    assert main(["diff", str(path), str(path)]) == 0
    err = capsys.readouterr().err
    assert err.count("sgperms: warning: ") == 1, err
    assert f"{path}: 3 cells" in err


def test_error_lines_are_terminal_safe_even_outside_main(capsys):
    from sgperms.cli._output import error as _error

    _error("bad\x1b[2J\u202ename\r\nsecond line")
    assert capsys.readouterr().err == "sgperms: error: bad\\x1b[2J\\u202ename\\r\\nsecond line\n"


def test_reading_history_warns_and_keeps_the_rows(tmp_path):
    from sgperms.records import Event
    from sgperms.snapshot import _header
    from sgperms.snapshot import read_history as _read_history

    path = tmp_path / "history.csv"
    header = _header(Event)
    row = ["@SUM(1)" if name == "description" else "7" if name == "id" else "" for name in header]
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([header, row])
    with pytest.warns(sgperms.FormulaWarning, match=r"history.csv: 1 cell .* row 2, column description"):
        history = _read_history(str(path))
    assert list(history.values()) == [row]


def test_the_output_module_is_what_the_command_prints_and_writes_through(tmp_path):
    from sgperms import output

    assert output.terminal_text("a\x1b[31mb\u202ec\td\ne") == "a\\x1b[31mb\\u202ec\td\ne"
    assert output.terminal_text("a\r\nb", one_line=True) == "a\\r\\nb"
    path = tmp_path / "page.md"
    output.write_atomic(path, "é\n")
    output.write_atomic(str(tmp_path / "data.bin"), b"\x00\xff")
    assert path.read_bytes() == "é\n".encode() and (tmp_path / "data.bin").read_bytes() == b"\x00\xff"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin", "page.md"]  # no temporary file left
    assert output.display_path(b"caf\xe9.csv") == "caf\\xe9.csv"
    path.chmod(0o444)
    with pytest.raises(OSError, match=r"page\.md"):
        output.write_atomic(path, "x")
