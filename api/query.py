"""Query strings validated by one Pydantic model in one call, documented in OpenAPI from the same model.

FastAPI validates each declared query parameter on its own, and for a list parameter it inspects the
annotation on every request: about 0.3 ms of the station list's 16 filters (bench/RESULTS.md). A
`QueryModel` reads the query string once, validates it with the model (one pydantic-core call) and
declares its fields as the route's OpenAPI parameters (document_query_models), so /docs and
strict_query still know every name.
"""

import types
import typing
from collections.abc import Callable
from typing import Any, Generic, TypeVar, get_args, get_origin

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_list(a) for a in get_args(annotation))
    return get_origin(annotation) is list


M = TypeVar("M", bound=BaseModel)


class QueryModel(Generic[M]):
    """A dependency reading a model's fields from the query string, and their OpenAPI parameters."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        fields = model.model_fields
        self.lists = [f.alias or name for name, f in fields.items() if _is_list(f.annotation)]
        self.scalars = [f.alias or name for name, f in fields.items() if (f.alias or name) not in self.lists]
        self.parameters = openapi_parameters(model)

    async def __call__(self, request: Request) -> M:
        return self.read(request)

    def read(self, request: Request) -> M:
        """Return the model validated from the request's query string (RequestValidationError if not)."""
        query = request.query_params
        data: dict[str, Any] = {name: query[name] for name in self.scalars if name in query}
        for name in self.lists:
            values = query.getlist(name)
            if values:
                data[name] = values
        try:
            return self.model.model_validate(data)
        except ValidationError as exc:
            raise RequestValidationError(
                [dict(err, loc=("query", *err["loc"])) for err in exc.errors(include_url=False)]
            ) from None


def openapi_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """Return the OpenAPI query parameter objects of a model's fields (schema and description)."""
    schema = model.model_json_schema(mode="validation")
    out = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": prop}
        if description:
            parameter["description"] = description
        out.append(parameter)
    return out


F = TypeVar("F", bound=Callable[..., Any])


def reads_query(*models: QueryModel[Any]) -> Callable[[F], F]:
    """Mark a dependency that reads these query models, so its routes document their parameters."""

    def mark(fn: F) -> F:
        fn.query_models = models  # type: ignore[attr-defined]
        return fn

    return mark


def _models_of(dependant: Dependant) -> list[QueryModel[Any]]:
    found: list[QueryModel[Any]] = []
    for sub in dependant.dependencies:
        found += [*getattr(sub.call, "query_models", ()), *_models_of(sub)]
        if isinstance(sub.call, QueryModel):
            found.append(sub.call)
    return found


def document_query_models(app: FastAPI) -> None:
    """Add the parameters of the query models each route's dependencies read to its OpenAPI operation."""
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        extra = dict(route.openapi_extra or {})
        parameters = list(extra.get("parameters", []))
        names = {p["name"] for p in parameters}
        for model in _models_of(route.dependant):
            parameters += [p for p in model.parameters if p["name"] not in names]
            names |= {p["name"] for p in model.parameters}
        if parameters:
            route.openapi_extra = extra | {"parameters": parameters}
