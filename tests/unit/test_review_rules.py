"""Pure review rules: the field-by-field diff, who may decide or withdraw, comments, cursors."""

import uuid
from datetime import UTC, datetime

import pytest

from domain.access.models import Principal, Role
from domain.errors import AccessDenied, InvalidQuery
from domain.review.rules import (
    ChangeRequestNotSubmitted,
    CommentRequired,
    OwnOrganizationReview,
    check_comment,
    check_not_own,
    check_submitted,
    check_withdrawer,
    decode_cursor,
    encode_cursor,
    field_diff,
)


def test_diff_lists_only_changed_fields_in_station_order() -> None:
    before = {"name": "A", "elevation_m": 1.0, "location": {"type": "Point", "coordinates": [105, 21]}}
    after = {
        "elevation_m": 2.0,
        "name": "A",
        "location": {"type": "Point", "coordinates": [105.0, 21.0], "bbox": None},
    }
    assert field_diff(before, after) == [{"field": "elevation_m", "before": 1.0, "after": 2.0}]


def test_diff_of_a_new_station_has_no_before_and_skips_empty_fields() -> None:
    diff = field_diff(None, {"national_code": "X-1", "river": None, "name": "Trạm"})
    assert diff == [
        {"field": "national_code", "before": None, "after": "X-1"},
        {"field": "name", "before": None, "after": "Trạm"},
    ]


def test_only_submitted_requests_are_decided() -> None:
    check_submitted("submitted", "r")
    for status in ("approved", "rejected", "withdrawn", "stale"):
        with pytest.raises(ChangeRequestNotSubmitted):
            check_submitted(status, "r")


def test_a_reviewer_never_decides_for_its_own_organization_but_an_admin_may() -> None:
    with pytest.raises(OwnOrganizationReview):
        check_not_own(Principal("MOT", Role.reviewer), "MOT")
    check_not_own(Principal("MOT", Role.admin), "MOT")
    check_not_own(Principal("NCHMF", Role.reviewer), "MOT")


def test_a_rejection_needs_a_comment_that_is_not_blank() -> None:
    for comment in (None, "", "   "):
        with pytest.raises(CommentRequired):
            check_comment(comment)
    assert check_comment("  trùng trạm ") == "trùng trạm"


def test_only_the_submitting_organizations_editors_withdraw() -> None:
    check_withdrawer(Principal("MOT", Role.editor), "MOT")
    for who in (
        Principal("MOC", Role.editor),
        Principal("MOT", Role.viewer),
        Principal("NCHMF", Role.reviewer),
    ):
        with pytest.raises(AccessDenied):
            check_withdrawer(who, "MOT")


def test_cursor_round_trips_and_refuses_garbage() -> None:
    at, rid = datetime(2026, 12, 5, 9, tzinfo=UTC), uuid.uuid4()
    assert decode_cursor(encode_cursor(at, str(rid))) == (at, rid)
    for bad in ("@@", "bm9wZQ==", encode_cursor(at, "not-a-uuid")):
        with pytest.raises(InvalidQuery):
            decode_cursor(bad)
