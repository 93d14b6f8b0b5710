"""Station import use case: parse, stage with COPY, check and write in SQL; one transaction, all or nothing."""

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.access.rules import require_role
from domain.access.service import OrganizationNotFound, check_direct_write, get_organization
from domain.errors import AccessDenied
from domain.geo import in_service_area
from domain.imports import plan_queries, queries
from domain.imports.rows import unit_of
from domain.imports.rules import (
    ImportApproval,
    ImportConflict,
    ImportFileUnreadable,
    ImportRejected,
    ImportReport,
    ImportTargetsChanged,
    ParsedImport,
    RowError,
    Upload,
    UploadNotUtf8,
)
from domain.imports.staging import label_of, owner_errors, sorted_errors, stage_record
from domain.imports.upload import parse_upload
from domain.station.service import OFFSHORE_PROVINCE_KM, UnknownOrganization

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
STATEMENT_TIMEOUT_MS = 600_000  # one statement may handle every row of a large file


def _quiet(_line: str) -> None:
    return None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while rows are built: with 100k rows alive, its full passes
    (each scanning every object) took as long as the parse itself; rows make no reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_stations(
    session: Session,
    *,
    principal: Principal,
    upload: Upload,
    dry_run: bool,
    default_owner: str | None = None,
    progress: Progress | None = None,
    approval: ImportApproval | None = None,
    keep_plan: bool = False,
) -> ImportReport:
    """Import a station list: every row is written, or none; a dry run writes nothing.

    With `keep_plan`, a dry run's report also holds the matched stations' revisions and the planned
    rows (what a change request keeps); `approval` applies a reviewed import as its approver, unless a station it matched
    changed since (ImportTargetsChanged). Raises ImportRejected (with the full report) when any row has
    an error, ImportConflict when a concurrent change took a code or identifier meanwhile.
    """
    require_role(principal, Role.admin, Role.reviewer, Role.editor)
    if not dry_run:
        check_direct_write(
            session, principal=principal, approved_by=approval.approved_by if approval else None
        )
    say = progress or _quiet
    owner = _default_owner(session, principal, default_owner)
    try:
        with _collector_paused():
            parsed = _parse(upload, dry_run)
            say(
                f"read {len(parsed.stations)} good rows and {len(parsed.errors)} errors ({parsed.source_format})"
            )
            report = _run(
                session,
                principal,
                parsed,
                owner,
                _Mode(dry_run, dry_run and keep_plan, approval),
                upload.filename,
                say,
            )
    except IntegrityError as exc:
        session.rollback()
        log.info("import refused by a concurrent change: %s", str(exc.orig).splitlines()[0])
        raise ImportConflict(
            "another change took a national code or WIGOS identifier of this file while it was "
            "imported; nothing was written: run the import again"
        ) from None
    except BaseException:
        session.rollback()
        raise
    if report.errors:
        session.rollback()
        raise _rejected(report)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    say(f"{'checked' if dry_run else 'written'}: {_counts(report)}")
    return report


def _counts(report: ImportReport) -> str:
    return f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged"


def _parse(upload: Upload, dry_run: bool) -> ParsedImport:
    try:
        return parse_upload(upload, in_area=in_service_area)
    except (UploadNotUtf8, ImportFileUnreadable) as exc:
        error = RowError(int(exc.extra.get("line", 1)), "file", "", exc.detail)
        exc.extra |= ImportReport(dry_run, errors=[error]).as_dict()
        raise


def _rejected(report: ImportReport) -> ImportRejected:
    lines = len({e.line for e in report.errors})
    return ImportRejected(
        f"{len(report.errors)} error(s) on {lines} line(s); nothing was written. "
        f"Without them: {_counts(report)}",
        **report.as_dict(),
    )


def _default_owner(session: Session, principal: Principal, requested: str | None) -> str | None:
    """Return the owner of new stations whose row names none: ?owner=, else the caller's organization."""
    if requested is not None and not principal.has_national_powers and requested != principal.organization:
        raise AccessDenied("only an admin may import stations for another organization", parameter="owner")
    code = requested or principal.organization
    if code is None:
        return None
    try:
        get_organization(session, code=code)
    except OrganizationNotFound:
        if requested is None:
            return None  # e.g. the command line's SYSTEM principal: rows must then name their owner
        raise UnknownOrganization(
            f"owner '{code}' is not a registered organization", parameter="owner"
        ) from None
    return code


@dataclass(frozen=True, slots=True)
class _Mode:
    """How an import runs: a dry run or not, whether it keeps its plan (review), the approval it applies."""

    dry_run: bool
    keep_plan: bool
    approval: ImportApproval | None


def _registry_errors(
    session: Session, parsed: ParsedImport, editor: str | None, owner: str | None, unit: str
) -> list[RowError]:
    """Return the errors of staged rows against the registry, and drop those rows from the stage."""
    found = queries.select_row_errors(session, editor=editor, default_owner=owner, unit=unit)
    found += [
        (line, "wmdr:facility", wsi, f"no station holds {wsi}: observations alone cannot create a station")
        for line, wsi in queries.select_unmatched(session, parsed.update_only)
    ]
    queries.drop_lines(session, sorted({line for line, *_ in found}))
    return [
        RowError(line, label_of(parsed.labels, field), value, reason, parsed.locators.get(line))
        for line, field, value, reason in found
    ]


def _run(
    session: Session,
    principal: Principal,
    parsed: ParsedImport,
    owner: str | None,
    mode: _Mode,
    filename: str | None,
    say: Progress,
) -> ImportReport:
    editor = principal.organization if principal.role is Role.editor else None
    errors = list(parsed.errors)
    if editor is not None:
        errors += owner_errors(parsed.stations, editor_org=editor, label=label_of(parsed.labels, "owner"))
    refused = {e.line for e in errors}
    code_given = parsed.source_format != "wis2box"
    records = [stage_record(r, code_given=code_given) for r in parsed.stations if r.line not in refused]
    unit = unit_of(parsed.source_format)
    queries.begin_import(session, statement_timeout_ms=STATEMENT_TIMEOUT_MS)
    queries.copy_stage(session, records)
    say(f"staged {len(records)} rows")
    queries.match_stations(session)
    base_revisions = _check_targets(session, mode.approval) if mode.keep_plan or mode.approval else {}
    errors += _registry_errors(session, parsed, editor, owner, unit)
    now = datetime.now(UTC)
    created, updated, staged = plan_queries.plan_changes(
        session, default_owner=owner, offshore_m=OFFSHORE_PROVINCE_KM * 1000, today=now.date()
    )
    report = ImportReport(mode.dry_run, created, updated, staged - created - updated, sorted_errors(errors))
    say(f"checked: {len(report.errors)} errors; {_counts(report)}")
    if mode.keep_plan and not report.errors:
        report.base_revisions, report.rows = base_revisions, plan_queries.select_planned_rows(session)
    if not report.errors and created + updated:
        reason = f"imported from {filename or 'an uploaded ' + parsed.source_format + ' file'}"
        approved_by = mode.approval.approved_by if mode.approval else None
        plan_queries.write_plan(
            session, at=now, actor=principal.actor, organization=principal.organization, reason=reason,
            unit=unit, approved_by=approved_by,
        )  # fmt: skip
    return report


def _check_targets(session: Session, approval: ImportApproval | None) -> dict[str, int]:
    """Return the matched (and now locked) stations' revisions; raise when an approved import's changed."""
    revisions = plan_queries.select_target_revisions(session)
    if approval is not None and revisions != approval.base_revisions:
        moved = sorted(set(revisions.items()) ^ set(approval.base_revisions.items()))
        raise ImportTargetsChanged(
            f"{len({sid for sid, _ in moved})} station(s) of this import changed since it was submitted",
            station_ids=sorted({sid for sid, _ in moved}),
        )
    return revisions
