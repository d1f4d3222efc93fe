"""The OpenAPI document at /schema, complete, and its viewers, offline.

Routes written the Litestar way (typed parameters, a msgspec Struct return,
``api.docs.operation`` on the decorator: ping, balance, usage, health, assets,
voices, music, jobs, tools, status, files, /metrics) get their operation generated
by Litestar; ``live()`` adds what the tool routes take from this server's catalog
(tool names, the catalog as examples, the run body and examples); ``declared()`` only
adds what every operation shares (X-Request-Id, the rate-limit headers of
authenticated routes, Retry-After, error examples in the server's locale).
Routes not converted yet still answer raw JSON bytes built by ``envelope``, and
``document()`` fills in their bodies, errors, headers and auth from the
``openapi_spec`` table. Each tool gets its own ``POST /api/v1/tools/<slug>``
operation, and one per alias, derived from the generated run operation
(``POST /api/v1/tools/{name}``), whose request schema is generated from the tool's
params Struct by msgspec (tools still on the older contract: from their
``InputSpec`` list). The viewers' JS/CSS come from the ``openapi-ui-bundles``
package and are served under ``/schema/static/``: the docs render on a machine
with no internet.

Example::

    Litestar(route_handlers=[..., *asset_routers()], openapi_config=openapi_config())
    # /schema (Swagger UI), /schema/redoc, /schema/openapi.json, /schema/openapi.yaml
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable
from http import HTTPStatus
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec
import openapi_ui_bundles.redoc
import openapi_ui_bundles.swagger_ui
from litestar import Request, Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    RedocRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from litestar.static_files import create_static_files_router

from noxus_local.api import (
    admin_schemas,  # noqa: F401 - adds the admin API's tag and security scheme
    docs,
    tool_routes,
)
from noxus_local.api import openapi_spec as spec
from noxus_local.api.envelope import MESSAGES, error_body
from noxus_local.api.job_examples import RUN_EXAMPLES
from noxus_local.errors import ERRORS_BY_CODE
from noxus_local.node.services import Services
from noxus_local.tools.base import InputSpec, Tool

STATIC = "/schema/static"
SWAGGER = f"{STATIC}/swagger"
REDOC = f"{STATIC}/redoc"
FAVICON = f"<link rel='icon' type='image/png' href='{SWAGGER}/favicon-32x32.png'>"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
RUN_TOOL = ("post", "/api/v1/tools/{name}")
ERRORS_404 = tuple(code for code, cls in ERRORS_BY_CODE.items() if cls.status == 404)
REF = "#/components/schemas/{name}"

log = logging.getLogger("noxus_local.api.openapi")


class _Documented(OpenAPIRenderPlugin):
    """Renders ``document(schema)`` instead of Litestar's bare schema."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        served = {route.path_format for route in request.app.routes}
        return super().render(request, document(openapi_schema, request.app.state.get("services"), served))


class SwaggerDocs(_Documented, SwaggerRenderPlugin):
    pass


class RedocDocs(_Documented, RedocRenderPlugin):
    pass


class JsonDocs(_Documented, JsonRenderPlugin):
    pass


class YamlDocs(_Documented, YamlRenderPlugin):
    pass


def openapi_config() -> OpenAPIConfig:
    """Swagger UI at /schema and /schema/swagger, ReDoc at /schema/redoc, JSON and YAML."""
    return OpenAPIConfig(title="NOXUS Local", version="1.0.0", render_plugins=[
        SwaggerDocs(js_url=f"{SWAGGER}/swagger-ui-bundle.js", css_url=f"{SWAGGER}/swagger-ui.css",
                    standalone_preset_js_url=f"{SWAGGER}/swagger-ui-standalone-preset.js", favicon=FAVICON),
        RedocDocs(js_url=f"{REDOC}/redoc.standalone.js", google_fonts=False, favicon=FAVICON),
        JsonDocs(), YamlDocs()])


def asset_routers() -> list[Router]:
    """The viewers' files, from the installed package (no CDN, no node)."""
    for folder, name in ((openapi_ui_bundles.swagger_ui.static_path, "swagger-ui-bundle.js"),
                         (openapi_ui_bundles.redoc.static_path, "redoc.standalone.js")):
        if not (folder / name).is_file():  # e.g. a binary built without --collect-data openapi_ui_bundles
            log.warning("API docs: %s is missing, /schema viewers will be blank", folder / name)
    cache = CacheControlHeader(max_age=86400)
    return [create_static_files_router(path=SWAGGER, directories=[openapi_ui_bundles.swagger_ui.static_path],
                                       name="openapi_static_swagger", cache_control=cache),
            create_static_files_router(path=REDOC, directories=[openapi_ui_bundles.redoc.static_path],
                                       name="openapi_static_redoc", cache_control=cache)]


def document(schema: dict[str, Any], svc: Services | None = None,
             served: Iterable[str] = ()) -> dict[str, Any]:
    """Litestar's schema, generated from the routes' typed handlers and ``docs.operation`` declarations,
    plus what they share (headers, security schemes, error examples in this server's locale) and what comes
    from this server's catalog (one operation per tool and alias, the tools' request schemas). A new dict.

    ``served`` (the app's route paths) is kept for the render plugins' call; every served route declares
    its own operation now (tests/unit/test_openapi_routes.py checks that none is missing).
    """
    doc = copy.deepcopy(schema)
    doc["info"]["description"] = spec.INFO_DESCRIPTION
    multi_host = svc is not None and svc.cfg.multi_host  # the internal worker API is served: documented too
    doc["tags"] = [*spec.TAGS, spec.INTERNAL_TAG] if multi_host else spec.TAGS
    tools = list(svc.catalog.tools.values()) if svc is not None else []
    catalog = [tool_routes.describe(svc, t) for t in tools] if svc is not None else []  # as the routes answer
    locale = svc.locale if svc is not None else "es"
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {}).update({**spec.SCHEMAS, **params_components(tools),
                                                 **tool_input_schemas(tools)})
    schemes = {**spec.SECURITY_SCHEMES, spec.WORKER_SECURITY: spec.WORKER_SCHEME} if multi_host else \
        spec.SECURITY_SCHEMES
    components.update(securitySchemes=schemes, headers=spec.HEADERS,
                      parameters=header_parameters(svc), examples=error_examples(locale))
    paths: dict[str, Any] = {}
    for path, item in doc.get("paths", {}).items():
        paths[path] = {method: live(declared(op), tools, catalog) if method in METHODS else op
                       for method, op in item.items()}
        if ("post", path) == RUN_TOOL:
            paths.update(tool_paths(tools, paths[path]["post"]))
    doc["paths"] = paths
    bodies = body_components()
    used = referenced(paths, {**bodies, **components["schemas"]})
    for name, body in bodies.items():  # a Struct also returned keeps Litestar's schema
        if name in used:  # a route served only in some modes (the worker API) publishes its bodies there only
            components["schemas"].setdefault(name, body)
    numbers(components["schemas"])
    return doc


INT_OR_FLOAT = [{"type": "integer"}, {"type": "number"}]


def numbers(node: Any) -> None:
    """Litestar writes an ``int | float`` member (a number that stays an int when it is one, e.g. the
    catalog's ``minimum``) as ``oneOf: [integer, number]``, which no integer satisfies (it matches both arms):
    published as ``{"type": "number"}``, which JSON Schema's integers are. In place.

    Example: ``{"oneOf": [{"type": "integer"}, {"type": "number"}]}`` → ``{"type": "number"}``.
    """
    if isinstance(node, dict):
        if node.get("oneOf") == INT_OR_FLOAT:
            del node["oneOf"]
            node["type"] = "number"
        for value in node.values():
            numbers(value)
    elif isinstance(node, list):
        for item in node:
            numbers(item)


def referenced(start: Any, schemas: dict[str, Any]) -> set[str]:
    """The schema components ``start`` refers to, directly or through other components."""
    found: set[str] = set()
    todo = [start]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in found:
                    found.add(name)
                    todo.append(schemas.get(name))
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return found


def header_parameters(svc: Services | None) -> dict[str, Any]:
    """The shared header parameters; Max-Processing-Time's maximum is this server's setting."""
    params = copy.deepcopy(spec.PARAMETERS)
    if svc is not None:
        params["MaxProcessingTime"]["schema"]["maximum"] = svc.cfg.jobs.max_processing_seconds
    return params


def live(op: dict[str, Any], tools: list[Tool], catalog: list[dict[str, Any]]) -> dict[str, Any]:
    """What the tool routes' operations take from this server's catalog: the tool names of the ``name``
    parameter, the catalog as the examples of ``listTools``/``getTool``, and the run route's request body
    (each tool's JSON and multipart inputs) and success examples (``job_examples.RUN_EXAMPLES``)."""
    op_id = op.get("operationId")
    if op_id not in (tool_routes.RUN_TOOL_ID, "listTools", "getTool"):
        return op
    op["parameters"] = [_tool_name_param(tools) if p.get("name") == "name" and p.get("in") == "path" else p
                        for p in op.get("parameters", [])]
    ok = op["responses"]["200"]
    body = ok["content"]["application/json"]
    if op_id == "listTools":
        body["examples"] = _named({"catalog": {"success": True, "tools": catalog, "request_id": spec.RID}})
    elif op_id == "getTool":
        body["examples"] = _named({e["slug"]: {"success": True, "tool": e, "request_id": spec.RID} for e in catalog})
    else:
        op["requestBody"] = tool_request_body(tools)
        body["examples"] = _named(RUN_EXAMPLES)
        ok["description"] = ("The job succeeded. A job that fails or times out answers with the error's status "
                             "and envelope, plus `job_id` and `billing` (charged 0).")
        job_failures(op["responses"])
    return op


def job_failures(responses: dict[str, Any]) -> None:
    """The run's error statuses a job itself can end with answer ``JobFailed`` (the error envelope plus
    ``job_id`` and the job's ``billing``, charged 0) as well as ``Error`` (refused before a job existed):
    ``anyOf`` both (a ``JobFailed`` body is also a valid ``Error``, so not ``oneOf``), with a ``JobFailed``
    example per code, named ``<code> (failed job)``. Example: the 504 offers ``processing_timeout`` and
    ``processing_timeout (failed job)``."""
    for code in tool_routes.JOB_FAILURES:
        response = responses.get(str(ERRORS_BY_CODE[code].status))
        if response is None:
            continue
        body = response["content"]["application/json"]
        if body["schema"] == _schema("Error"):
            body["schema"] = {"anyOf": [_schema("Error"), _schema("JobFailed")]}
            response["description"] += (" A job that ended so answers `JobFailed`: the same error plus `job_id` "
                                         "and the job's `billing` (charged 0).")
        body.setdefault("examples", {})[f"{code} (failed job)"] = {
            "summary": f"{ERRORS_BY_CODE[code].status} {code} (failed job)", "value": job_failed_example(code)}


def job_failed_example(code: str) -> dict[str, Any]:
    """A failed job's answer as ``tool_routes._final_body`` builds it (``envelope.error_body`` + the job)."""
    sample = spec.ERROR_SAMPLES.get(code, {})
    details = {"job_id": spec.JOB, **(sample.get("details") or {})}
    exc = ERRORS_BY_CODE[code](sample.get("message"), details=details)
    body = error_body(spec.RID, exc, "en")
    body["job_id"] = spec.JOB
    body["billing"] = {"currency": "USD", "estimated_usd": "0.002", "charged_usd": "0"}
    return body


def declared(generated: dict[str, Any]) -> dict[str, Any]:
    """An operation its route declares (``api.docs.operation`` on the decorator), as Litestar generated it,
    plus what every operation shares: the X-Request-Id parameter and header, the rate-limit headers of
    authenticated routes, Retry-After on 429/503, and error examples pointing at this server's locale."""
    out = {**generated, "parameters": [*generated.get("parameters", []), _header_param("XRequestId")]}
    out.setdefault("security", [])
    auth = any(spec.BEARER[0].keys() & s.keys() for s in out["security"])
    responses = {}
    for status, response in generated.get("responses", {}).items():
        media = next(iter(response.get("content", {}).values()), {})
        if status == "400" and "$ref" not in media.get("schema", {}):
            # Litestar's own (an inline schema) for typed parameters; app.py answers it as our validation_error
            # envelope. A declared error model (seed 002's ApexError, seed 003's SeedError) is a $ref and stays.
            # A `str` path parameter cannot fail it: only query/header/body parameters keep a 400
            if not any(p.get("in") != "path" for p in generated.get("parameters", [])):
                continue
            response = error_response(400, ["validation_error"])
        response = {**response, "headers": {**response.get("headers", {}), "X-Request-Id": _header("X-Request-Id")}}
        code = int(status)
        if auth and (code < 300 or code == 429):
            response["headers"].update({name: _header(name) for name in spec.RATE_HEADERS})
        if code in (429, 503):
            response["headers"]["Retry-After"] = _header("Retry-After")
        if code < 300 and _header_param("IdempotencyKey") in generated.get("parameters", []):
            response["headers"]["Idempotent-Replayed"] = _header("Idempotent-Replayed")
        if code == 202:  # the job goes on: poll Location
            response["headers"]["Location"] = _header("Location")
        for body in response.get("content", {}).values():  # Litestar keeps an Example's id in the document
            for example in body.get("examples", {}).values():
                example.pop("id", None)
        if code >= 400 and media.get("schema", {}).get("$ref") == _schema("Error")["$ref"]:
            response["content"] = {media: {**body, "examples": {
                name: {"$ref": f"#/components/examples/{name}"} if name in MESSAGES else example
                for name, example in body.get("examples", {}).items()}}
                for media, body in response.get("content", {}).items()}
        responses[status] = response
    out["responses"] = responses
    return out


def _header_param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _tool_name_param(tools: list[Tool]) -> dict[str, Any]:
    names = [n for t in tools for n in (t.slug, *t.aliases)]
    return {"name": "name", "in": "path", "required": True,
            "description": "Tool slug or alias" + (f": {', '.join(names)}" if names else ""),
            "schema": {"type": "string"}, "examples": {n: {"value": n} for n in names[:6]}}


def _schema(name: str | None) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _named(examples: dict[str, Any]) -> dict[str, Any]:
    return {name: {"summary": name, "value": value} for name, value in examples.items()}


def error_response(status: int, codes: list[str], schema: str = "Error") -> dict[str, Any]:
    headers = {"X-Request-Id": _header("X-Request-Id")}
    if status == 429:
        headers.update({"Retry-After": _header("Retry-After"),
                        **{name: _header(name) for name in spec.RATE_HEADERS}})
    if status == 503:  # shutting_down and server_busy say when to come back
        headers["Retry-After"] = _header("Retry-After")
    text = "; ".join(f"`{code}`: {MESSAGES[code][1].rstrip('.')}" for code in codes)
    return {"description": f"{HTTPStatus(status).phrase}. {text}.", "headers": headers,
            "content": {"application/json": {
                "schema": _schema(schema),
                **({"examples": {code: {"$ref": f"#/components/examples/{code}"} for code in codes}}
                   if schema == "Error" else {})}}}


def error_examples(locale: str) -> dict[str, Any]:
    """Each error code's body as ``envelope.error_body`` renders it: the real thing, not a copy."""
    out = {}
    for code in MESSAGES:
        cls = ERRORS_BY_CODE.get(code)
        if cls is None:
            continue
        sample = spec.ERROR_SAMPLES.get(code, {})
        exc = cls(sample.get("message"), details=sample.get("details"), extra=sample.get("extra"))
        out[code] = {"summary": f"{cls.status} {code}", "value": error_body(spec.RID, exc, locale)}
    return out


def tool_request_body(tools: list[Tool]) -> dict[str, Any]:
    """POST /api/v1/tools/{name}: any tool's JSON or multipart body, with seed 000's examples."""
    return {"required": True, "description": "The tool's inputs (see GET /api/v1/tools/{name}).", "content": {
        "application/json": {
            "schema": {"anyOf": [_schema(_component(t, "Json")) for t in tools]} if tools else {"type": "object"},
            "examples": tool_examples(tools, form=False)},
        "multipart/form-data": {
            "schema": {"anyOf": [_schema(_component(t, "Form")) for t in tools]} if tools else {"type": "object"},
            "examples": tool_examples(tools, form=True)},
    }}


def tool_paths(tools: list[Tool], run: dict[str, Any]) -> dict[str, Any]:
    """One concrete path per tool: its own inputs, so the viewers offer its form (OpenAPI matches
    concrete paths before templated ones; the server serves both). Each is the generated run operation
    (``run``: ``POST /api/v1/tools/{name}``) with the tool's own body, example and text, and without the
    ``name`` parameter and the ``tool_not_found`` error a concrete path cannot answer."""
    paths = {}
    errors_404 = [code for code in ERRORS_404 if code in tool_routes.RUN_ERRORS and code != "tool_not_found"]
    for tool in tools:
        doc = copy.deepcopy({k: v for k, v in run.items() if k != "requestBody"})
        doc.update(operationId=f"runTool_{tool.slug.replace('-', '_')}", summary=tool.title,
                   description=_tool_text(tool))
        doc["parameters"] = [p for p in doc.get("parameters", []) if p.get("in") != "path"]
        ok = doc["responses"]["200"]["content"]["application/json"]
        ok["examples"] = {k: v for k, v in ok.get("examples", {}).items() if k == tool.slug}
        if "404" in doc["responses"]:
            doc["responses"]["404"] = error_response(404, errors_404)
        content = {"application/json": {"schema": _schema(_component(tool, "Json")),
                                        "examples": tool_examples([tool], form=False)},
                   "multipart/form-data": {"schema": _schema(_component(tool, "Form")),
                                           "examples": tool_examples([tool], form=True)}}
        if any(item.type == "file" for item in tool.inputs):  # the viewers open the first: the upload form
            content = dict(reversed(content.items()))
        doc["requestBody"] = {"required": True, "content": content}
        paths[f"/api/v1/tools/{tool.slug}"] = {"post": doc}
        for alias in tool.aliases:  # the same operation under each alias the server answers
            paths[f"/api/v1/tools/{alias}"] = {"post": {
                **doc, "operationId": f"runTool_{alias.replace('-', '_')}", "summary": f"{tool.title} ({alias})",
                "description": f"Alias of `POST /api/v1/tools/{tool.slug}`: the same inputs, job and answer."}}
    return paths


def _tool_text(tool: Tool) -> str:
    aliases = f" Also at `/api/v1/tools/{tool.aliases[0]}`." if tool.aliases else ""
    return (f"{tool.description}{aliases} Same contract as `POST /api/v1/tools/{{name}}`; "
            "`GET /api/v1/tools/" + tool.slug + "` gives its price and limits.")


def tool_examples(tools: list[Tool], form: bool) -> dict[str, Any]:
    """The request examples the tools declare (``Tool.examples``), JSON bodies or multipart forms; the
    forms of tools that take a file first (the viewers open the first example: an upload)."""
    if form:
        tools = sorted(tools, key=lambda t: not any(i.type == "file" for i in t.inputs))
    return {e.name: e.openapi() for tool in tools for e in tool.examples if e.form == form}


def tool_input_schemas(tools: list[Tool]) -> dict[str, Any]:
    """Per tool, its JSON body (files as base64) and its multipart form (files as parts)."""
    out = {}
    for tool in tools:
        out[_component(tool, "Json")] = _input_object(tool, multipart=False)
        out[_component(tool, "Form")] = _input_object(tool, multipart=True)
    return out


def body_components() -> dict[str, Any]:
    """The request-body Structs the routes declare (``docs.operation(body=...)``), as msgspec generates them."""
    if not docs.BODIES:
        return {}
    _, components = msgspec.json.schema_components(docs.BODIES, ref_template=REF)
    for model in docs.BODIES:
        _declared_order(components.get(model.__name__, {}), model)
    return components


def _declared_order(schema: dict[str, Any], model: type) -> None:
    """msgspec sorts a ``Literal``'s values; publish them in the order the Struct declares them (seed 002's
    ``platform``: tiktok, youtube, instagram, ... as the seed lists them), as the tools' schemas do."""
    for field in msgspec.structs.fields(model):
        values = _literal_values(field.type)
        prop = schema.get("properties", {}).get(field.encode_name)
        if values is None or prop is None:
            continue
        for arm in (prop, *prop.get("anyOf", ())):
            if set(arm.get("enum", ())) == set(values):
                arm["enum"] = list(values)


def _literal_values(kind: Any) -> tuple[Any, ...] | None:
    """The values of the ``Literal`` in ``kind`` (through ``Annotated`` and ``| None``), as written."""
    origin = get_origin(kind)
    if origin is Literal:
        return get_args(kind)
    if origin is Annotated or origin is Union or origin is UnionType:
        return next((v for t in get_args(kind) if (v := _literal_values(t)) is not None), None)
    return None


def params_components(tools: list[Tool]) -> dict[str, Any]:
    """The components the tools' params Structs refer to (nested Structs, enums), from msgspec."""
    params = [t.Params for t in tools if t.Params is not None]
    if not params:
        return {}
    _, components = msgspec.json.schema_components(params, ref_template=REF)
    return {name: schema for name, schema in components.items() if name not in {p.__name__ for p in params}}


def _params_fields(tool: Tool) -> tuple[dict[str, Any], list[str]]:
    """A tool's fields as its params Struct declares them (msgspec's JSON Schema: types, bounds, enums,
    defaults, descriptions, examples), minus the server-set ``Internal`` ones, and the required names.

    ``T | None = None`` is written as ``T``: an absent field is how a client leaves it unset.
    """
    assert tool.Params is not None
    (_,), components = msgspec.json.schema_components([tool.Params], ref_template=REF)
    struct = components[tool.Params.__name__]
    listed = {item.name: item for item in tool.inputs if item.type != "file"}
    props: dict[str, Any] = {}
    for name, schema in struct.get("properties", {}).items():
        if name not in listed:  # an Internal field
            continue
        props[name] = _field_schema(schema, listed[name])
    required = [name for name in struct.get("required", []) if name in listed]
    return props, required


def _field_schema(schema: dict[str, Any], item: InputSpec) -> dict[str, Any]:
    out = dict(schema)
    arms = out.pop("anyOf", None)
    if arms is not None:
        kept = [a for a in arms if a != {"type": "null"}]
        if len(kept) == 1:
            out = {**kept[0], **out}
        else:
            out["anyOf"] = kept
    if out.get("default", 0) is None:
        del out["default"]
    if "type" not in out and "anyOf" not in out:  # msgspec leaves it off enums and Any; the catalog's type
        out["type"] = _TYPES[item.type]
    if item.choices and set(out.get("enum", ())) == set(item.choices):
        out["enum"] = list(item.choices)  # msgspec sorts a Literal's values; publish them as declared (default first)
    if item.type == "color":
        note = "Color: #rgb, #rrggbb, #rrggbbaa or black, white, red, green, blue, yellow, transparent."
        out["description"] = " ".join(filter(None, [out.get("description"), note]))
    if item.required and out.get("type") == "string":
        out.setdefault("minLength", 1)  # the server reads "" as absent, so a required text must have one
    return out


def _component(tool: Tool, kind: str) -> str:
    return "".join(part.title() for part in tool.slug.split("-")) + f"{kind}Input"


def _input_object(tool: Tool, multipart: bool) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required: list[str] = []
    files = [s.name for s in tool.inputs if s.type == "file"]
    # a tool with a params Struct: its fields' schemas come from the Struct; the older contract: InputSpec
    declared, declared_required = _params_fields(tool) if tool.Params is not None else ({}, [])
    for item in tool.inputs:
        if item.type == "file":
            props.update(_file_refs(item.name))
        if item.type == "file" and not multipart:
            props[f"{item.name}_base64"] = _str(f"The `{item.name}` file as base64 (or `content_base64`)",
                                                contentEncoding="base64")
            continue
        if item.name in tool.file_lists:
            props[item.name] = _file_list(item, multipart)
        else:
            props[item.name] = declared.get(item.name) or _input_field(item)
        if item.type != "file" and (item.name in declared_required if item.name in declared else item.required):
            required.append(item.name)  # a file may come by part, asset id or URL (anyOf below)
    if files and not multipart:
        props["content_base64"] = _str(f"The `{files[0]}` file as base64; a `data:` URI prefix is tolerated",
                                       contentEncoding="base64")
        props.setdefault("filename", _str("The uploaded file's name"))
    props.update(spec.FORM_COMMON if multipart else spec.JSON_COMMON)
    if multipart:  # a form's empty field is the field left out (an HTML form sends every input): "" is valid
        props = {name: schema if name in required else _or_empty(schema) for name, schema in props.items()}
    out: dict[str, Any] = {"title": f"{tool.slug} ({'multipart' if multipart else 'JSON'})", "type": "object",
                           "description": tool.description, "properties": props}
    if required:
        out["required"] = required
    needed = [s.name for s in tool.inputs if s.type == "file" and s.required]
    if needed:
        ways = [f"{needed[0]}_asset_id", f"{needed[0]}_url"]
        ways += [needed[0]] if multipart else ["content_base64", f"{needed[0]}_base64"]
        out["anyOf"] = [{"required": [way]} for way in ways]
    return out


def _or_empty(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional form field's schema plus ``""`` (read as absent); file parts stay as they are.

    Example: ``{"type": "string", "enum": ["contain", "cover"]}`` →
    ``{"anyOf": [{"type": "string", "enum": [...]}, {"type": "string", "maxLength": 0}]}``.
    """
    if schema.get("format") == "binary" or any(arm.get("format") == "binary" for arm in schema.get("anyOf", [])):
        return schema
    inner = {k: v for k, v in schema.items() if k != "description"}
    described = {"description": schema["description"]} if "description" in schema else {}
    return {"anyOf": [inner, {"type": "string", "maxLength": 0}], **described}


def _file_refs(name: str) -> dict[str, Any]:
    """Every file input may be named by asset id or URL instead (api.input_refs)."""
    return {f"{name}_asset_id": _str(f"The `{name}` file as an assetId from POST /api/v1/assets (this "
                                     "account's; another's is 403)"),
            f"{name}_url": _str(f"The `{name}` file as an http(s) URL the server downloads (SSRF-checked, "
                                "size-capped, timed out)", format="uri")}


def _file_list(item: InputSpec, multipart: bool) -> dict[str, Any]:
    """A list of files by reference (api.input_refs ``file_lists``): assetIds and/or URLs; a form may
    also repeat the field, comma-separate it, or upload parts under its name."""
    refs = {"type": "array", "maxItems": 20, "items": _str("An assetId or an http(s) URL", minLength=1,
                                                            maxLength=2048)}
    if multipart:
        return {"anyOf": [_str("assetIds and/or URLs, comma-separated"),
                          {"type": "string", "format": "binary"}], "description": item.help}
    return {**refs, "description": item.help}


_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean",
          "color": "string", "object": "object"}


def _input_field(item: InputSpec) -> dict[str, Any]:
    if item.type == "file":
        return {"type": "string", "format": "binary", "description": item.help or "The file"}
    out: dict[str, Any] = {"type": _TYPES[item.type]}
    notes = [item.help] if item.help else []
    if item.type == "color":
        notes.append("Color: #rgb, #rrggbb, #rrggbbaa or black, white, red, green, blue, yellow, transparent.")
    if notes:
        out["description"] = " ".join(notes)
    for key, value in (("default", item.default), ("minimum", item.minimum), ("maximum", item.maximum),
                       ("maxLength", item.max_length)):
        if value is not None:
            out[key] = value
    if item.required and out["type"] == "string":
        out["minLength"] = 1  # the server reads "" as absent, so a required text must have one
    if item.choices is not None:
        out["enum"] = list(item.choices)
    # a field's Meta(examples=[...]) (InputSpec.examples) is not published yet, so this document stays the
    # one clients know until issue 18 item 4 generates the schemas from the params Structs
    return out


def _str(description: str, **kw: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **kw}
