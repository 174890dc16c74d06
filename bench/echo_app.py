"""The ceiling: a bare Starlette endpoint that parses the JSON body and answers 201, nothing else."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def echo(request: Request) -> Response:
    body = await request.json()
    return JSONResponse(
        {"messages": [{"id": "gBEG" + str(len(body))}], "meta": {"api_status": "stable"}}, status_code=201
    )


app = Starlette(routes=[Route("/v1/messages", echo, methods=["POST"])])
