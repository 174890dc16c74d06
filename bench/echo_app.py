"""The ceiling: a bare Starlette endpoint that parses the JSON body with orjson and answers a fixed 201."""

from __future__ import annotations

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ANSWER = b'{"messages":[{"id":"gBEGkYiEB1VXAglK1ZEqA1YKPrU"}],"meta":{"api_status":"stable","version":"v2.53.2"}}'


async def echo(request: Request) -> Response:
    orjson.loads(await request.body())
    return Response(ANSWER, status_code=201, media_type="application/json")


app = Starlette(
    routes=[
        Route("/v1/messages", echo, methods=["POST"]),
        Route("/{version}/{node}/messages", echo, methods=["POST"]),
    ]
)
