"""An OpenAPI 3.1 document per API, from the route table and the JSON Schema files (embedded, never copied).

Each schema file an operation names, and every file it references, becomes one entry of
``components/schemas`` (``onprem/messages/text.json`` -> ``onprem.messages.text``); its relative
``$ref``s are rewritten to point there, so the document stands alone and no shape is written twice.
"""

from __future__ import annotations

import copy
import posixpath
from typing import Any

from emulator import __version__
from emulator.openapi.table import BINARY, MULTIPART, RAW, TABLES, Op, Param

Doc = dict[str, Any]
INFO = {
    "onprem": ("WhatsApp Business On-Premises API (wa-emulator)", "The self-hosted /v1 API as the emulator serves it."),
    "cloud": (
        "WhatsApp Cloud API (wa-emulator)",
        "The Graph API's WhatsApp endpoints as the emulator serves them (real host: https://graph.facebook.com).",
    ),
    "control": (
        "wa-emulator control API",
        "Inspect and drive the emulator: messages, users, clock, webhooks, journal.",
    ),
}
# Where each API's refusals are described: the envelope the error handler renders for it.
ERROR_SHAPE = {
    "onprem": "responses/onprem.json#/$defs/errors",
    "cloud": "responses/cloud.json#/$defs/error",
    "control": "responses/onprem.json#/$defs/errors",
}
SECURITY = {
    "onprem": {
        "bearer": {"type": "http", "scheme": "bearer", "description": "a token from POST /v1/users/login"},
        "basic": {"type": "http", "scheme": "basic", "description": "admin / secret by default"},
    },
    "cloud": {
        "bearer": {"type": "http", "scheme": "bearer", "description": "an access token (wa-emulator-token by default)"},
        "access_token": {"type": "apiKey", "in": "query", "name": "access_token"},
    },
    "control": {"controlToken": {"type": "http", "scheme": "bearer", "description": "only with --control-token"}},
}
REQUIREMENTS: dict[str, dict[str, list[dict[str, list[str]]]]] = {
    "onprem": {"bearer": [{"bearer": []}], "basic": [{"basic": []}]},
    "cloud": {"bearer": [{"bearer": []}, {"access_token": []}]},
    "control": {"bearer": [{}, {"controlToken": []}]},
}


def document(api: str, schemas: dict[str, Doc]) -> Doc:
    """The OpenAPI 3.1 document of ``api`` ("onprem", "cloud" or "control")."""
    components = _Components(schemas)
    paths: Doc = {}
    for op in TABLES[api]:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(api, op, components)
    title, description = INFO[api]
    out: Doc = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__, "description": description},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": "/", "description": "this emulator"}],
        "paths": paths,
    }
    if api != "control":
        notification = f"webhooks/{api}/notification.json"
        body = {"required": True, "content": {"application/json": {"schema": components.ref(notification)}}}
        hook = {
            "summary": "What the emulator POSTs to the webhook URL",
            "requestBody": body,
            "responses": {"200": {"description": "received (anything else is retried)"}},
        }
        out["webhooks"] = {"notification": {"post": hook}}
    out["components"] = {"schemas": components.schemas, "securitySchemes": SECURITY[api]}
    return out


def _operation(api: str, op: Op, components: _Components) -> Doc:
    out: Doc = {"summary": op.summary, "operationId": _operation_id(op), "tags": [_tag(op.path)]}
    if op.params:
        out["parameters"] = [_parameter(p) for p in op.params]
    if op.body:
        out["requestBody"] = _request_body(op.body, op.optional, components)
    answers = {str(status): _answer(api, op, components) for status in (op.status, *op.also_statuses)}
    out["responses"] = {
        **answers,
        "default": {
            "description": "refused, in the API's error envelope",
            "content": {"application/json": {"schema": components.ref(ERROR_SHAPE[api])}},
        },
    }
    out["security"] = REQUIREMENTS[api][op.auth] if op.auth else []
    return out


def _operation_id(op: Op) -> str:
    words = [w.strip("{}") for w in op.path.replace(".json", "").split("/") if w and w != "{version}"]
    return "_".join([op.method.lower(), *words]).replace("-", "_")


def _tag(path: str) -> str:
    """The group an operation is listed under: its resource (``messages``, ``webhooks``, ``nodes``)."""
    words = [w for w in path.split("/") if w and w not in ("v1", "_emulator", "{version}") and not w.endswith("id}")]
    return words[0].strip("{}").removesuffix(".json") if words else "nodes"


def _parameter(param: Param) -> Doc:
    out: Doc = {"name": param.name, "in": param.where, "required": param.required, "schema": param.schema}
    if param.description:
        out["description"] = param.description
    return out


def _request_body(body: str, optional: bool, components: _Components) -> Doc:
    if body == RAW:
        content: Doc = {"*/*": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}
    elif body.startswith(MULTIPART):
        content = {"multipart/form-data": {"schema": components.ref(body.removeprefix(MULTIPART))}}
    else:
        names = body.split("|")
        schema = components.ref(names[0]) if len(names) == 1 else {"anyOf": [components.ref(n) for n in names]}
        content = {"application/json": {"schema": schema}}
    return {"required": not optional, "content": content}


def _answer(api: str, op: Op, components: _Components) -> Doc:
    if op.answer == BINARY:
        return {"description": "the bytes", "content": {"*/*": {"schema": {"type": "string"}}}}
    content: Doc = {"application/json": {"schema": components.ref(f"responses/{api}.json#/$defs/{op.answer}")}}
    if op.also:
        content[op.also] = {"schema": {"type": "string"}}
    return {"description": op.summary, "content": content}


class _Components:
    """``components/schemas``: each schema file used, embedded once, with its references rewritten."""

    def __init__(self, files: dict[str, Doc]) -> None:
        self._files = files
        self.schemas: dict[str, Doc] = {}

    def ref(self, target: str) -> Doc:
        """A ``$ref`` to a schema file (``name.json``) or a place in one (``name.json#/$defs/x``)."""
        name, _, fragment = target.partition("#")
        self._embed(name)
        return {"$ref": f"#/components/schemas/{_key(name)}{fragment}"}

    def _embed(self, name: str) -> None:
        key = _key(name)
        if key in self.schemas:
            return
        schema = copy.deepcopy(self._files[name])
        for drop in ("$id", "$schema"):
            schema.pop(drop, None)
        self.schemas[key] = schema
        self._rewrite(schema, name)

    def _rewrite(self, node: Any, name: str) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                target, _, fragment = ref.partition("#")
                file = posixpath.normpath(posixpath.join(posixpath.dirname(name), target)) if target else name
                node["$ref"] = self.ref(f"{file}#{fragment}")["$ref"]
            for key, value in node.items():
                if key != "$ref":
                    self._rewrite(value, name)
        elif isinstance(node, list):
            for item in node:
                self._rewrite(item, name)


def _key(name: str) -> str:
    return name.removesuffix(".json").replace("/", ".")
