"""Domain errors: each carries a stable code (slug) and title; the API maps them to HTTP."""

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code: ClassVar[str] = "domain-error"
    title: ClassVar[str] = "Domain error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    code = "not-found"
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict"


class RuleViolation(DomainError):
    code = "rule-violation"
    title = "The request breaks a rule of the registry"


class InvalidGeometry(RuleViolation):
    code = "invalid-geometry"
    title = "Invalid geometry"


class InvalidQuery(DomainError):
    code = "invalid-query"
    title = "Invalid query parameter"


class AccessDenied(DomainError):
    code = "access-denied"
    title = "Access denied"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    title = "Authentication required"


class PreconditionRequired(DomainError):
    code = "precondition-required"
    title = "If-Match header required"


class PreconditionFailed(DomainError):
    code = "precondition-failed"
    title = "The resource changed since you read it"


class PayloadTooLarge(DomainError):
    code = "payload-too-large"
    title = "Request body too large"


class ServiceUnavailable(DomainError):
    code = "service-unavailable"
    title = "Service temporarily unavailable"


class TooManyRequests(DomainError):
    code = "too-many-requests"
    title = "Too many requests"


def check_revision(what: str, current: int, expected: int) -> None:
    """Raise PreconditionFailed unless `expected` (from If-Match) is the current revision."""
    if current != expected:
        raise PreconditionFailed(
            f"{what} is at revision {current}, not {expected}: read it again", current_revision=current
        )
