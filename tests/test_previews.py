"""Jupyter previews (``_repr_html_``) of Plan, Tiers and the results of
``Tiers.check`` and ``audit``, and those results behaving like the lists they
replaced."""

from __future__ import annotations

from typing import Callable

import pytest

import sgperms
from sgperms import _core

HOSTILE = "if <script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def violations(n: int, condition: str = "if assigned") -> _core.Violations:
    """``n`` violations: lead allows less than artist on ``n`` entities."""
    t = sgperms.PermissionTable(["lead", "artist"])
    for i in range(n):
        t.set("lead", "entity", f"Entity{i:03}", "", "see", "no")
        t.set("artist", "entity", f"Entity{i:03}", "", "see", condition)
    return sgperms.Tiers.parse("lead > artist").check(t)


def findings(n: int) -> _core.Findings:
    """``n`` self-elevation findings, one per role."""
    roles = [f"role{i:03}" for i in range(n)] + ["admin"]
    t = sgperms.PermissionTable(roles)
    for role in roles:
        t.set(role, "field", "HumanUser", "permission_rule_set", "edit", "yes")
        t.set(role, "entity", "HumanUser", "", "edit", "yes")
    return sgperms.audit(t)


def plan(n: int) -> _core.Plan:
    """A grant plan of ``n`` + 1 changes (the role and ``n`` roles above it)."""
    roles = [f"r{i:03}" for i in range(n + 1)]
    t = sgperms.PermissionTable(roles)
    return sgperms.Tiers.parse(" > ".join(roles)).grant(t, roles[-1], "entity", "Shot", "", "see", HOSTILE)


def test_each_preview_is_html_and_escapes_hostile_text() -> None:
    previews = {
        "plan": plan(2)._repr_html_(),
        "violations": violations(2, HOSTILE)._repr_html_(),
        "tiers": sgperms.Tiers.parse("admins: <img/src=x/onerror=alert(1)\nlead > artist")._repr_html_(),
    }
    t = sgperms.PermissionTable(["artist", "admin"])
    t.set("artist", "field", "HumanUser", "permission_rule_set", "edit", HOSTILE)
    t.set("artist", "entity", "HumanUser", "", "edit", "yes")
    previews["findings"] = sgperms.audit(t)._repr_html_()
    for name, html in previews.items():
        assert html.startswith("<div>") and html.endswith("</div>") and "<table>" in html, name
        assert "<script>" not in html and "<img" not in html, name
    for name in ("plan", "violations", "findings"):
        assert ESCAPED in previews[name], name
    assert "&lt;img/src=x/onerror=alert(1)" in previews["tiers"]
    assert "<b>Tiers</b>: 3 roles in 2 levels, 1 admin" in previews["tiers"]
    assert "<b>Violations</b>: 2 missed permissions" in previews["violations"]


def test_previews_are_capped() -> None:
    assert "… 10 more violations" in violations(60)._repr_html_()
    assert violations(60)._repr_html_().count("<tr>") == 51
    assert "… 11 more changes" in plan(60)._repr_html_()
    assert "… 5 more findings" in findings(55)._repr_html_()
    tiers = sgperms.Tiers.parse("\n".join(f"role{i:03}" for i in range(70)))
    assert "… 20 more roles" in tiers._repr_html_() and tiers._repr_html_().count("<tr>") == 51


def test_empty_results_are_falsy_and_equal_to_an_empty_list() -> None:
    empty = violations(0)
    assert empty == [] and not empty and len(empty) == 0 and list(empty) == []
    assert repr(empty) == "[]" and "0 missed permissions" in empty._repr_html_()
    assert sgperms.audit(sgperms.PermissionTable(["artist"])) == []
    t = sgperms.PermissionTable(["lead"])
    t.set("lead", "entity", "Shot", "", "see", "yes")
    nothing = sgperms.Tiers.parse("lead").grant(t, "lead", "entity", "Shot", "", "see")
    assert len(nothing) == 0 and "<table>" not in nothing._repr_html_() and "0 changes" in nothing._repr_html_()


@pytest.mark.parametrize("make", [lambda: violations(3), lambda: findings(3)], ids=["violations", "findings"])
def test_results_behave_like_the_lists_they_replace(make: Callable[[], _core.Violations | _core.Findings]) -> None:
    result = make()
    items = list(result)
    assert len(result) == 3 and bool(result) and len(items) == 3
    assert [x for x in result] == items and result == items and items == result
    assert result[0] is items[0] and result[-1] is items[-1] and result[2] is items[2]
    assert result[True] is items[1]
    assert result[1:] == items[1:] and isinstance(result[1:], list) and result[::-1] == items[::-1]
    assert result[5:] == [] and result[:] == items
    with pytest.raises(IndexError, match="list index out of range"):
        result[3]
    with pytest.raises(IndexError):
        result[-4]
    with pytest.raises(TypeError):
        result["0"]  # type: ignore[call-overload]
    assert items[0] in result and object() not in result
    assert result != items[:2] and result != [] and not (result == items[:2])
    assert result == make() and not (result != make())
    assert result != tuple(items) and (result == None) is False  # noqa: E711
    assert repr(result) == repr(items) and str(result) == str(items)
    assert sorted(result, key=str) == sorted(items, key=str)
    assert list(reversed(result)) == items[::-1]
    with pytest.raises(TypeError):
        hash(result)


def test_the_existing_uses_still_read_the_same() -> None:
    found = violations(2)
    assert [(v.upper, v.lower) for v in found] == [("lead", "artist")] * 2
    assert (found[0].upper_value, found[0].lower_value, found[0].unknown) == ("no", "if assigned", False)
    assert str(found[0]) == "entity:Entity000::see: lead (no) allows less than artist (if assigned)"
    assert repr(found[0]).startswith("Violation(") and repr(found).startswith("[Violation(")
    assert len([v for v in found if not v.unknown]) == 2
    f = findings(1)
    assert [(x.kind, x.role) for x in f] == [("self_elevation", "role000")]
    assert "make themselves admin" in f[0].detail


def test_plan_and_tiers_previews_show_their_content() -> None:
    html = plan(1)._repr_html_()
    assert "<b>Plan</b>: 2 changes" in html and "granted at r001" in html and "ancestor of r001" in html
    tiers = sgperms.Tiers.parse("admins: boss\nsupervisor > lead > artist\nsupervisor > artist")
    html = tiers._repr_html_()
    assert "<tr><td>0</td><td>supervisor</td><td>lead, artist</td><td></td></tr>" in html
    assert "<tr><td>2</td><td>artist</td><td></td><td></td></tr>" in html
    assert "<td>boss</td><td></td><td>admin</td>" in html
