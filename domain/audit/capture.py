"""The audit hook: every flush that writes an audited table records its changes, in the same transaction.

It works on the ORM's own change tracking, so any use case (and any column added later, such as an
organization setting) is recorded without the use case doing anything but its write. Who acted comes
from `set_actor`, which the API calls for every request with a key and the CLI for its commands;
a session with no actor (the seed loader, test factories) records nothing.
"""

import hashlib
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from geoalchemy2.elements import WKBElement, WKTElement
from geoalchemy2.shape import to_shape
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction

from domain.access.models import ApiKey, Organization, Principal
from domain.audit import queries
from domain.audit.rules import action_name, snapshot
from domain.coverage.models import CoverageNorm
from domain.maintenance.models import MaintenanceNorm
from domain.sharing.models import ShareGrant
from domain.zone.models import PriorityZone


@dataclass(frozen=True)
class Audited:
    """How a table appears in the trail: its resource name and the organization a row concerns."""

    resource: str
    organization: Callable[[dict[str, Any]], str | None]


AUDITED: dict[type, Audited] = {
    Organization: Audited("organization", lambda row: row.get("code")),
    ApiKey: Audited("api_key", lambda row: row.get("organization")),
    ShareGrant: Audited("sharing_agreement", lambda row: row.get("organization")),
    PriorityZone: Audited("zone", lambda _row: None),
    MaintenanceNorm: Audited("maintenance_norm", lambda _row: None),
    CoverageNorm: Audited("coverage_norm", lambda _row: None),
}
RESOURCES = sorted(a.resource for a in AUDITED.values())


@dataclass(frozen=True)
class Actor:
    principal: Principal
    label: str


_actor: ContextVar[Actor | None] = ContextVar("hydromet_audit_actor", default=None)


def set_actor(principal: Principal | None, label: str | None = None) -> Token[Actor | None]:
    """Name who the writes of this request or command are done by (None: nobody, nothing recorded)."""
    actor = (
        None if principal is None or principal.role is None else Actor(principal, label or principal.actor)
    )
    return _actor.set(actor)


def reset_actor(token: Token[Actor | None]) -> None:
    """Give back the actor named before `set_actor` returned this token."""
    _actor.reset(token)


def _plain(value: Any) -> Any:
    """Return a geometry as its type, bounds and digest (the shape itself can be megabytes)."""
    if isinstance(value, WKBElement | WKTElement):
        shape = to_shape(value)
        digest = hashlib.sha256(shape.wkb).hexdigest()
        return {"type": shape.geom_type, "bounds": [round(b, 6) for b in shape.bounds], "sha256": digest}
    return value


def _values(obj: Any, *, before: bool) -> tuple[dict[str, Any], set[str]]:
    """Return a row's column values (as they were before this flush, or now) and the changed columns."""
    state = inspect(obj)
    values: dict[str, Any] = {}
    changed: set[str] = set()
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if history.added or history.deleted:
            changed.add(attr.key)
        if before and history.deleted:
            value = history.deleted[0]
        elif before and history.added and not history.unchanged:
            value = None
        elif attr.key in state.dict:
            value = state.dict[attr.key]
        else:
            continue
        values[attr.key] = _plain(value)
    return values, changed


def _event(actor: Actor, obj: Any, op: str) -> dict[str, Any] | None:
    """Return the audit row of one written object, or None when nothing recordable changed."""
    audited = AUDITED[type(obj)]
    old, changed = _values(obj, before=True)
    new, _ = _values(obj, before=False)
    before = None if op == "insert" else snapshot(old)
    after = None if op == "delete" else snapshot(new)
    if op == "update" and before == after:
        return None
    state = inspect(obj)
    key = ",".join(str(v) for v in state.mapper.primary_key_from_instance(obj))
    principal = actor.principal
    return {
        "actor": actor.label,
        "actor_organization": principal.organization,
        "actor_role": principal.role.value if principal.role else None,
        "actor_key_id": principal.key_id,
        "action": action_name(audited.resource, op, changed, after),
        "resource": audited.resource,
        "resource_id": key,
        "organization": audited.organization(after or before or {}),
        "before": before,
        "after": after,
    }


@event.listens_for(Session, "after_flush")
def _record_flush(session: Session, _flush: UOWTransaction) -> None:
    """Write the audit rows of this flush's audited objects on the flush's own connection."""
    actor = _actor.get()
    if actor is None:
        return
    changes = [(o, "insert") for o in session.new] + [(o, "delete") for o in session.deleted]
    changes += [(o, "update") for o in session.dirty if o not in session.deleted]
    rows = [
        row for obj, op in changes if type(obj) in AUDITED and (row := _event(actor, obj, op)) is not None
    ]
    if rows:
        queries.insert_events(session, rows)
