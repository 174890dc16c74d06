"""``GET /_emulator/openapi/{api}.json``: the OpenAPI 3.1 document of an API (no token: it holds no data)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from emulator.domain.reasons import Reason, Refusal
from emulator.openapi.document import document
from emulator.openapi.table import TABLES
from emulator.web import JSONResponse


async def openapi(request: Request) -> Response:
    """The document of ``onprem``, ``cloud`` or ``control``."""
    api = request.path_params["api"]
    if api not in TABLES:
        raise Refusal(Reason.NOT_FOUND, f"No OpenAPI document {api!r}: there are onprem, cloud and control")
    return JSONResponse(document(api, request.app.state.emulator.schemas.schemas))
