"""Moving a person to another role, as the role tiers allow: the one thing
sgperms writes to a site.

``assign_role`` reads the actor, the person and the roles through the
session, decides with ``Tiers.can_assign`` and, when allowed and not a dry
run, writes ``HumanUser.permission_rule_set`` with one ``update``. Every
decision, allowed or refused, is a ``RoleChange`` to log (and is logged on
the ``sgperms.promote`` logger).
"""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import asdict, dataclass, replace
from typing import Any

from . import Tiers, _html
from ._core import did_you_mean
from .site import PermissionDenied, Site, _link_id, _utc

__all__ = ["PermissionDenied", "RoleChange", "assign_role"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoleChange:
    """One role-assignment decision, allowed or refused, in a form to log."""

    actor: str
    user: str
    from_role: str
    to_role: str
    allowed: bool
    reason: str
    dry_run: bool
    written: bool
    time: str

    def to_dict(self) -> dict[str, Any]:
        """The decision as a plain dict (JSON-ready)."""
        return asdict(self)

    def _repr_html_(self) -> str:
        """A compact HTML preview for Jupyter: the verdict and each field."""
        verdict = "allowed" if self.allowed else "refused"
        return _html.preview("RoleChange", f"{verdict}: {self.reason}", ("field", "value"), self.to_dict().items())


def assign_role(site: Any, actor: str, user: str, role: str, tiers: Tiers, *, dry_run: bool = False) -> RoleChange:
    """Move person ``user`` (a login) to ``role`` on behalf of ``actor`` (a
    login), as the tiers allow: nobody changes their own role, an inactive or
    unknown actor changes nothing, and the rest is ``tiers.can_assign``.
    ``site`` is a ``sgperms.Site`` or a shotgun_api3-compatible session.
    Writes ``HumanUser.permission_rule_set`` through the session unless
    ``dry_run`` (or the person already holds the role). Returns the
    RoleChange; raises PermissionDenied (carrying the refused RoleChange)
    when refused."""
    if not isinstance(site, Site):
        site = Site(site)
    with site.reads_once():
        change, update = _decide(site, actor, user, role, tiers, dry_run)
    if not change.allowed:
        log.warning("role change refused: %s %s -> %s by %s: %s", user, change.from_role or "?", role, actor,
                    change.reason)
        raise PermissionDenied(change)
    log.info("role change allowed: %s %s -> %s by %s: %s", user, change.from_role or "?", role, actor, change.reason)
    if update is None:
        return change
    user_id, role_id = update
    site.sg.update("HumanUser", user_id, {"permission_rule_set": {"type": "PermissionRuleSet", "id": role_id}})
    log.info("role change written: HumanUser %s (%s) now holds %s", user_id, user, role)
    return replace(change, written=True)


def _decide(site: Site, actor: str, user: str, role: str, tiers: Tiers, dry_run: bool
            ) -> tuple[RoleChange, tuple[int, int] | None]:
    """Reads what the decision needs and makes it: (the RoleChange, not yet
    written; the (person id, role id) to write, or None when nothing is to
    be written)."""
    now = _utc(_dt.datetime.now(_dt.timezone.utc))
    wanted = [f for f in ("login", "sg_status_list", "permission_rule_set") if site.has("HumanUser", f)]
    rows = site.sg.find("HumanUser", [["login", "in", [actor, user]]], wanted)
    people = {str(row.get("login") or "").lower(): row for row in rows}
    roles = site.roles()
    codes: dict[int | None, str] = {r.id: r.code for r in roles}
    ids = {r.code: r.id for r in roles if not r.system_default}

    def current(login: str) -> str:
        row = people.get(login.lower())
        return codes.get(_link_id(row.get("permission_rule_set")), "") if row else ""

    def decide(allowed: bool, reason: str) -> RoleChange:
        return RoleChange(actor, user, current(user), role, allowed, reason, dry_run, False, now)

    actor_row, user_row = people.get(actor.lower()), people.get(user.lower())

    refusal = None
    if actor.lower() == user.lower():
        refusal = "nobody may change their own role"
    elif actor_row is None:
        refusal = f"no person with login {actor!r} on the site"
    elif "sg_status_list" in wanted and actor_row.get("sg_status_list") != "act":
        refusal = f"{actor} is not active"
    elif user_row is None:
        refusal = f"no person with login {user!r} on the site"
    elif role not in ids:
        refusal = (f"{role!r} is not an assignable role on the site{did_you_mean(role, sorted(ids))} "
                   f"({', '.join(sorted(ids))})")
    if refusal is None:
        decision = tiers.can_assign(current(actor), current(user), role)
        if not decision:
            refusal = f"{actor} ({current(actor)}) may not: {decision.reason}"
    if refusal is not None:
        return decide(False, refusal), None
    reason = f"{actor} ({current(actor)}) may move {user} from {current(user)} to {role}"
    if current(user) == role:
        return decide(True, f"{user} already holds {role}; nothing to change"), None
    if dry_run:
        return decide(True, reason + " (dry run: nothing written)"), None
    assert user_row is not None  # refused above otherwise
    return decide(True, reason), (user_row["id"], ids[role])
