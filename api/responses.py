"""Response classes whose media type FastAPI documents with the route's response model."""

from typing import Any

from fastapi.responses import JSONResponse

GEOJSON = "application/geo+json"


class GeoJSONResponse(JSONResponse):
    """A GeoJSON body: the route's response model is documented under application/geo+json, as sent
    (documented as application/json, a fuzzer or client could not check it against its schema).

    A JSON response class, as FastAPI documents the model's schema only for those; routes pass
    their body already serialized, which is sent as it is.
    """

    media_type = GEOJSON

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes | str):
            return content.encode() if isinstance(content, str) else content
        return super().render(content)


# a station or zone as a GeoJSON Feature, for routes that answer JSON or GeoJSON
FEATURE_SCHEMA = {
    "type": "object",
    "required": ["type", "id", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"type": "string"},
        "geometry": {"type": ["object", "null"]},
        "properties": {"type": "object"},
    },
}
