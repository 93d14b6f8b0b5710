"""Station imports: a CSV (ours or wis2box's) or a GeoJSON file, checked row by row, written all or nothing."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import PrincipalDep, SessionDep, strict_query
from api.errors import PROBLEM, Problem, problem_responses
from api.routers.change_requests import ACCEPTED, accepted
from domain.errors import RuleViolation
from domain.imports.rules import Upload
from domain.review import submit
from domain.review.models import ChangeRequest

router = APIRouter(prefix="/imports", tags=["imports"], dependencies=[Depends(strict_query)])

COLUMNS = (
    "national_code, name, network, station_types, automation, latitude, longitude (required); status, "
    "elevation_m, wigos_ids, owner, operator, data_policy, legal_basis, river, basin, variables, "
    "established_date, programmes"
)
DESCRIPTION = f"""Load a station list in one go. Send the file as the body (`text/csv`,
`application/geo+json` or `application/json`) or as the `file` field of `multipart/form-data`.

CSV columns: {COLUMNS}. Lists (`station_types`, `wigos_ids`, `variables` as `name:minutes`) are
separated by `;` or `|`; coordinates may be decimal or degrees-minutes-seconds (`21°01'30"N`);
Vietnamese spellings of the code lists are understood. The wis2box `station_list.csv` columns are
accepted too. GeoJSON: a FeatureCollection of Point features whose properties are station fields.
WMDR 1.0 XML (`application/xml`; one or many `wmdr:ObservingFacility`, as OSCAR/Surface exports them,
or this registry's `/share/v1/stations?f=wmdr`): one row per facility; each error names its facility
(`facility`: the WSI, else the gml:id) and its position (`line`: 1 for the first facility).

Rows are matched to existing stations by national code, else by WIGOS identifier: a match is updated
(only the fields the file gives), the rest are created, and a row equal to its station is left
unchanged, so importing the same file twice changes nothing. Every change is a station revision.
An editor may import only its own organization's stations. The file must be UTF-8 (a BOM and Windows
line ends are fine) and at most HYDROMET_MAX_IMPORT_BYTES (50 MiB by default; 413 above).

All or nothing: when any row has an error, nothing is written and the answer is a 422 problem whose
`errors` list every bad row (line, field, value, reason) with the counts the other rows would give.
`dry_run=true` checks everything, including against the registry, and writes nothing.

For an editor of an organization under review (`review_required`), a file that would change
anything is checked as a dry run and submitted as a change request (202 with its Location): nothing
is written until a reviewer approves it, and the approval runs the import in one transaction."""

_FILE_SCHEMA = {"type": "string", "description": "the station list"}
_GEOJSON_SCHEMA = {"type": "object", "description": "a GeoJSON FeatureCollection of Point features"}
REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": _FILE_SCHEMA},
            "application/geo+json": {"schema": _GEOJSON_SCHEMA},
            "application/json": {"schema": _GEOJSON_SCHEMA},
            "application/xml": {"schema": {"type": "string", "description": "a WMDR 1.0 document"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


class RowErrorPublic(BaseModel):
    """One bad row: where it is (line, or feature index for GeoJSON), which field, what, and why."""

    line: int
    field: str
    value: str
    reason: str
    facility: str | None = Field(default=None, description="WMDR: the facility's WSI, else its gml:id")


class ImportReportPublic(BaseModel):
    """What an import did (or, for a dry run, would do)."""

    # present when the file was read (rows refused); absent when the request itself was malformed
    dry_run: bool | None = None
    created: int | None = None
    updated: int | None = None
    unchanged: int | None = None
    errors: list[RowErrorPublic] | list[dict[str, Any]] = Field(
        default_factory=list,
        description="bad rows (line, field, value, reason) or request errors (detail, pointer)",
    )


class ImportProblem(Problem, ImportReportPublic):
    """A refused import: the problem, and the report with every bad row; nothing was written."""


RESPONSES = (
    ACCEPTED
    | problem_responses(400, 401, 403, 409, 413)
    | {
        422: {
            "model": ImportProblem,
            "content": {PROBLEM: {}},
            "description": "Rows with errors; nothing written",
        }
    }
)


async def read_upload(request: Request) -> Upload:
    """Return the uploaded file: the raw body, or the `file` field of a multipart form."""
    media_type = request.headers.get("content-type")
    if media_type and media_type.lower().startswith("multipart/form-data"):
        async with request.form(max_files=1) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise RuleViolation(
                    "send the station list as a multipart field named 'file'", pointer="#/file"
                )
            return Upload(await upload.read(), upload.content_type, upload.filename)
    return Upload(await request.body(), media_type)


@router.post(
    "/stations",
    summary="Import stations from CSV, GeoJSON or WMDR XML",
    description=DESCRIPTION,
    response_model=ImportReportPublic,
    responses=RESPONSES,
    openapi_extra=REQUEST_BODY,
)
async def import_stations(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    dry_run: Annotated[bool, Query(description="check and report, write nothing")] = False,
    owner: Annotated[
        str | None, Query(max_length=32, description="owner of new stations whose row names none")
    ] = None,
) -> ImportReportPublic | Response:
    upload = await read_upload(request)
    report = await run_in_threadpool(
        submit.import_stations,
        session,
        principal=principal,
        upload=upload,
        dry_run=dry_run,
        default_owner=owner,
    )
    if isinstance(report, ChangeRequest):
        return accepted(request, report)
    return ImportReportPublic.model_validate(report.as_dict())
