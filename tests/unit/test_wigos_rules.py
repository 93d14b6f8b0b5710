"""Pure WIGOS rules: identifiers in issue numbers, who may add which, the score and its elements."""

import pytest

from domain.errors import AccessDenied
from domain.station.rules import MalformedWigosId
from domain.wigos.elements import ELEMENTS, score
from domain.wigos.rules import (
    IssueNumberExhausted,
    IssueNumberNotFound,
    NoIssueNumber,
    check_may_add,
    choose_issue_number,
    compose_wsi,
    parse_wsi,
)


def test_compose_and_parse_are_inverse() -> None:
    wsi = compose_wsi(12, 345)
    assert wsi == "0-704-12-345"
    parts = parse_wsi(wsi)
    assert (parts.issuer, parts.issue_number, parts.local_id) == (704, 12, "345")


def test_compose_refuses_local_ids_past_sixteen_digits() -> None:
    with pytest.raises(IssueNumberExhausted):
        compose_wsi(1, 10**16)


def test_parse_refuses_a_malformed_identifier() -> None:
    with pytest.raises(MalformedWigosId):
        parse_wsi("0-704-65535-1")


@pytest.mark.parametrize(
    ("admin", "org", "wsi", "holder", "error"),
    [
        (False, "EVN", "0-704-7-1", "EVN", None),
        (False, "EVN", "0-704-7-1", "NCHMF", AccessDenied),
        (False, "EVN", "0-20000-0-48820", None, AccessDenied),
        (False, "EVN", "0-458-1-1", None, AccessDenied),
        (True, None, "0-20000-0-48820", None, None),
        (True, None, "0-704-9-1", None, IssueNumberNotFound),
        (True, None, "0-704-9-1", "EVN", None),
    ],
)
def test_who_may_add_which_identifier(
    admin: bool, org: str | None, wsi: str, holder: str | None, error: type[Exception] | None
) -> None:
    if error is None:
        check_may_add(admin=admin, organization=org, wsi=parse_wsi(wsi), holder=holder)
    else:
        with pytest.raises(error):
            check_may_add(admin=admin, organization=org, wsi=parse_wsi(wsi), holder=holder)


def test_issue_number_choice_needs_exactly_one_or_a_named_one() -> None:
    assert choose_issue_number("EVN", [3], None) == 3
    assert choose_issue_number("EVN", [3, 4], 4) == 4
    for held, requested in (([], None), ([3, 4], None), ([3], 5)):
        with pytest.raises(NoIssueNumber):
            choose_issue_number("EVN", held, requested)


def test_score_is_100_only_when_every_element_is_present() -> None:
    total = len(ELEMENTS)
    assert score(total) == 100 and score(total - 1) < 100 and score(0) == 0
    assert {e.number for e in ELEMENTS} >= {
        "3-06",
        "3-03",
        "3-04",
        "3-07",
        "3-01",
        "3-02",
        "3-09",
        "2-02",
        "1-01",
    }
    assert len({e.key for e in ELEMENTS}) == total
