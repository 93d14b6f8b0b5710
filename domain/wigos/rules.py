"""Pure WIGOS rules: issue numbers under issuer 704, who may add which identifier, the next local id."""

from dataclasses import dataclass

from domain.errors import AccessDenied, Conflict, RuleViolation
from domain.station.rules import WSI_PATTERN, validate_wsi

ISSUER_VIET_NAM = 704
WMO_BLOCK_ISSUER = 20000  # 0-20000-0-<index>: WMO's own block, for stations with a WMO index number
MAX_ISSUE_NUMBER = 65534
FIRST_LOCAL = 1
MAX_LOCAL = 10**16 - 1  # a local id has at most 16 characters


class IssueNumberTaken(Conflict):
    code = "issue-number-taken"
    title = "Issue number already assigned or retired (it is never reassigned)"


class IssueNumberNotFound(RuleViolation):
    code = "issue-number-not-found"
    title = "No such issue number in the register"


class IssueNumberRetired(RuleViolation):
    code = "issue-number-retired"
    title = "The issue number is retired: nothing more is issued in it"


class NoIssueNumber(RuleViolation):
    code = "no-issue-number"
    title = "The station's owner holds no usable issue number"


class WigosIdAlreadyIssued(Conflict):
    code = "wigos-id-already-issued"
    title = "WIGOS identifier already issued (identifiers are never reused)"


class IssueNumberExhausted(Conflict):
    code = "issue-number-exhausted"
    title = "No local identifier is left in this issue number"


@dataclass(frozen=True, slots=True)
class WsiParts:
    """A WIGOS station identifier taken apart."""

    issuer: int
    issue_number: int
    local_id: str


def parse_wsi(text: str) -> WsiParts:
    """Return the parts of a well-formed WSI; raise MalformedWigosId otherwise."""
    validate_wsi(text)
    match = WSI_PATTERN.match(text)
    assert match is not None  # validate_wsi raised otherwise
    return WsiParts(int(match[1]), int(match[2]), match[3])


def compose_wsi(issue_number: int, local: int) -> str:
    """Return the identifier 0-704-<issue number>-<local> (local as a decimal number)."""
    if not 0 <= issue_number <= MAX_ISSUE_NUMBER or not FIRST_LOCAL <= local <= MAX_LOCAL:
        raise IssueNumberExhausted(f"no identifier 0-{ISSUER_VIET_NAM}-{issue_number}-{local}")
    return f"0-{ISSUER_VIET_NAM}-{issue_number}-{local}"


def block_of(issue_number: int) -> str:
    """Return how a block of identifiers is written: 0-704-<issue number>-*."""
    return f"0-{ISSUER_VIET_NAM}-{issue_number}-*"


def check_may_add(*, admin: bool, organization: str | None, wsi: WsiParts, holder: str | None) -> None:
    """Raise unless the caller may add this identifier.

    `holder` is the organization holding the identifier's issue number under issuer 704 (None when the
    identifier is of another issuer, or its issue number is not in the register). Admins add any; an
    editor only identifiers in its own organization's issue numbers.
    """
    if wsi.issuer != ISSUER_VIET_NAM:
        if not admin:
            whose = (
                "WMO's own block (0-20000-0-…)" if wsi.issuer == WMO_BLOCK_ISSUER else f"issuer {wsi.issuer}"
            )
            raise AccessDenied(f"identifiers of {whose} are added by the national agency's admins only")
        return
    if holder is None:
        raise IssueNumberNotFound(
            f"issue number {wsi.issue_number} under issuer 704 is not in the register: an admin assigns it first",
            issue_number=wsi.issue_number,
        )
    if not admin and holder != organization:
        raise AccessDenied(
            f"issue number {wsi.issue_number} belongs to {holder}: an editor adds identifiers only in its "
            "own organization's issue numbers",
            issue_number=wsi.issue_number,
        )


def choose_issue_number(owner: str, held: list[int], requested: int | None) -> int:
    """Return the issue number to issue from: the requested one (held by the owner) or the owner's only one."""
    if requested is not None:
        if requested not in held:
            raise NoIssueNumber(
                f"issue number {requested} is not an active issue number of {owner}",
                issue_number=requested, held=held,
            )  # fmt: skip
        return requested
    if not held:
        raise NoIssueNumber(
            f"{owner} holds no active issue number: an admin assigns one (POST /api/v1/wigos/issue-numbers)"
        )
    if len(held) > 1:
        raise NoIssueNumber(
            f"{owner} holds several issue numbers {held}: say which (issue_number)", held=held
        )
    return held[0]
