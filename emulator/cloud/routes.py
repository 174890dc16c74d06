"""Every route of the Cloud API façade, one line each; each path with a ``vNN.N`` version and without.

Node ids are digits (``{node:digits}``), so ``/v1/...`` (On-Premises) never matches a Cloud route.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Route

from emulator.cloud import handlers as h
from emulator.cloud import templates as t


class DigitsConvertor(Convertor[str]):
    """A Graph node id: digits only."""

    regex = "[0-9]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class VersionConvertor(Convertor[str]):
    """A Graph API version: ``v`` and ``NN.N``."""

    regex = r"v[0-9]+\.[0-9]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("digits", DigitsConvertor())
register_url_convertor("graph_version", VersionConvertor())

_SURFACE = [  # (path below the version, endpoint, methods)
    ("/{node:digits}/messages", h.messages, ["POST"]),
    ("/{node:digits}/media", h.upload_media, ["POST"]),
    ("/{node:digits}/phone_numbers", h.phone_numbers, ["GET"]),
    ("/{node:digits}/message_templates", t.list_templates, ["GET"]),
    ("/{node:digits}/message_templates", t.create_template, ["POST"]),
    ("/{node:digits}/message_templates", t.delete_template, ["DELETE"]),
    ("/{node:digits}/subscribed_apps", h.get_subscribed_apps, ["GET"]),
    ("/{node:digits}/subscribed_apps", h.subscribe_app, ["POST"]),
    ("/{node:digits}/subscribed_apps", h.unsubscribe_app, ["DELETE"]),
    ("/{node:digits}", h.get_node, ["GET"]),
    ("/{node:digits}", h.post_node, ["POST"]),
    ("/{node:digits}", h.delete_node, ["DELETE"]),
]


def routes() -> list[Route]:
    """The emulated Graph surface: every path with a version prefix, then without one."""
    versioned = [Route("/{version:graph_version}" + path, endpoint, methods=m) for path, endpoint, m in _SURFACE]
    bare = [Route(path, endpoint, methods=m) for path, endpoint, m in _SURFACE]
    return [*versioned, *bare, Route("/whatsapp_business/attachments/", h.download_media, methods=["GET"])]


def api_of(path: str) -> str | None:
    """The emulated API a path below any tenant prefix belongs to: ``onprem`` for /v1, ``cloud`` for the
    Graph paths, None for the control API and the page."""
    if path == "/v1" or path.startswith("/v1/"):
        return "onprem"
    return "cloud" if is_cloud_path(path) else None


def graph_node(path: str) -> str | None:
    """The node id a Cloud path starts with (after its version, if any), e.g. the phone_number_id of a send."""
    parts = path.strip("/").split("/", 2)
    node = parts[1] if len(parts) > 1 and parts[0].startswith("v") else parts[0]
    return node if node.isdigit() else None


def is_cloud_path(path: str) -> bool:
    """Whether an (unmatched) path belongs to the Cloud façade: anything not /v1, control, page or tenant."""
    return not path.startswith(("/v1/", "/_emulator", "/t/")) and path not in ("/v1", "/")
