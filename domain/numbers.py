"""Numbers as the API shows them: a stored NaN or infinity reads as null, never as a failed response.

The API and the database refuse such values now (ranges and CHECK constraints), but a row stored
before they did, or written around them, must not make JSON encoding fail for every reader.
"""

import math
from typing import Annotated, Any

from pydantic import BeforeValidator


def finite_or_none(value: Any) -> Any:
    """Return None for a float that is NaN or infinite, the value otherwise."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


FiniteOrNone = Annotated[float | None, BeforeValidator(finite_or_none)]
