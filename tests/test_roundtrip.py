"""Round trips, property-tested on random tables: notes with commas, quotes
and newlines, unicode names, conditional values."""

from hypothesis import given, settings
from hypothesis import strategies as st

import sgperms

RESERVED = {"kind", "entitytype", "entity", "name", "action", "note", "notes", "reason", "comment", "role", "value"}

role_codes = st.lists(
    st.from_regex(r"[a-zé][a-z0-9_é]{0,6}", fullmatch=True).filter(lambda c: c.replace("_", "") not in RESERVED),
    unique=True,
    max_size=5,
)
# Canonical already: names normalisation would not rewrite (the Zz prefix
# keeps entity names clear of ShotGrid's built-in display names).
entity_types = st.from_regex(r"Zz[a-zA-Zé漢ß0-9]{0,5}", fullmatch=True)
names = st.from_regex(r'[a-zé漢]([a-z0-9_ é漢,"]{0,8}[a-z0-9é漢"])?', fullmatch=True)
conditions = st.from_regex(r'[a-zA-Z0-9 ,"\n漢é-]{0,12}[a-z漢]', fullmatch=True).map(lambda c: "if " + c)
notes = st.text(alphabet=st.sampled_from(list(' ,;"\n\r\tabc漢é✓')), max_size=15)


@st.composite
def targets(draw):
    kind = draw(st.sampled_from(["entity", "field", "app", "advanced"]))
    actions = {"entity": ["see", "create", "retire", "edit"], "field": ["see", "edit"], "app": ["see"],
               "advanced": ["allow"]}
    action = draw(st.sampled_from(actions[kind]))
    et = draw(entity_types) if kind in ("entity", "field") else ""
    name = draw(names) if kind != "entity" else ""
    return kind, et, name, action


@st.composite
def tables(draw):
    t = sgperms.PermissionTable(draw(role_codes))
    for target in draw(st.lists(targets(), max_size=10)):
        values = ["", "yes", "no"] + (["inherit"] if target[0] == "field" else [])
        note = draw(notes)
        for role in t.roles:
            t.set(role, *target, draw(st.one_of(st.sampled_from(values), conditions)), note=note)
    return t


@settings(max_examples=200, deadline=None)
@given(tables())
def test_wide_round_trip_is_lossless_and_canonical(t):
    text = t.to_csv()
    back = sgperms.read_csv(text, layout="wide")
    assert back == t
    assert back.to_csv() == text


@settings(max_examples=200, deadline=None)
@given(tables())
def test_long_round_trip_is_lossless_and_canonical(t):
    text = t.to_csv(layout="long")
    back = sgperms.read_csv(text, layout="long")
    assert back.to_csv(layout="long") == text
    if t.roles and len(t):
        assert back == t
        # wide -> long -> wide
        assert sgperms.read_csv(text).to_csv() == t.to_csv()
    else:
        # The long layout holds roles and targets only through its cells.
        assert len(back) == 0 and back.roles == []


@settings(max_examples=100, deadline=None)
@given(tables())
def test_records_match_the_long_layout(t):
    records = t.to_records()
    assert len(records) == len(t) * len(t.roles)
    for record in records:
        assert t.get(record["role"], record["kind"], record["entity_type"], record["name"],
                     record["action"]) == record["value"]
