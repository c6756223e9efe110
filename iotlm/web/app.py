"""The web app: the API, the pages and their static files in one FastAPI application."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iotlm.errors import IotlmError, UserError
from iotlm.web import api, pages
from iotlm.web.auth import Auth
from iotlm.web.home import NotFound, WebHome

STATIC = Path(__file__).parent / "static"
MAX_BODY = 16 * 1024
HTMX_VERSION = "2.0.11"
"""The htmx served from ``static/htmx.min.js`` (npm package htmx.org, 0BSD licence)."""


class BodyLimit:
    """Refuse a request body over ``limit`` bytes with 413, before any of it is used (a declared length is checked
    first; a body sent in chunks is read up to the limit first)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send, declared.decode("latin-1"))
            return
        if declared is not None:  # the server reads no more than the declared length
            await self.app(scope, receive, send)
            return
        chunks, size = [], 0
        while True:  # sent in chunks: read it all, up to the limit, before anything sees it
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                await self._refuse(send, f"over {self.limit}")
                return
            if not message.get("more_body"):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, size: str) -> None:
        body = json.dumps({"error": f"the request body is {size} bytes; the limit is {self.limit} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _where(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "the request body"


def validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "the request is not valid"
    first = errors[0]
    where, kind, msg = _where(first.get("loc", ())), first.get("type", ""), first.get("msg", "")
    if kind == "missing":
        return f"{where} is missing"
    if kind == "extra_forbidden":
        return f"{where} is not a field here; leave it out"
    if kind == "json_invalid":
        return "the body is not valid JSON; send a JSON object such as {\"text\": \"turn on the kitchen light\"}"
    if kind in ("model_attributes_type", "dict_type"):
        return "send a JSON object with Content-Type: application/json"
    return f"{where}: {msg[0].lower() + msg[1:] if msg else 'not valid'}"


def create_app(home: WebHome, auth: Auth) -> FastAPI:
    # /docs is our own page over the OpenAPI document: FastAPI's would load Swagger UI from a CDN
    app = FastAPI(docs_url=None, redoc_url=None, title="iotlm", version="0.1.0", summary="Your home, through iotlm's gate: ask, devices, rooms, "
                  "rules, memory, audit, live events. Send Authorization: Bearer TOKEN (iotlm users token NAME).")
    app.state.home = home
    app.state.auth = auth

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse({"error": validation_message(exc)}, status_code=422)

    # Starlette's own HTTPException too (FastAPI raises it for a body it cannot parse, such as JSON nested 5,000 deep):
    # every error is {"error": ...}, never {"detail": ...}
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if exc.status_code != 400 or exc.detail != "There was an error parsing the body" else \
            "the body could not be read as JSON (too deeply nested, or not JSON); send a flat JSON object"
        return JSONResponse({"error": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(sqlite3.Error)
    async def damaged(request: Request, exc: sqlite3.Error) -> Response:
        return JSONResponse({"error": f"a database of this home cannot be read ({exc}); stop iotlm and start it again: it "
                                      "checks its files and says what to do"}, status_code=503)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=404)

    @app.exception_handler(UserError)
    async def bad_input(request: Request, exc: UserError) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(PermissionError)
    async def forbidden(request: Request, exc: PermissionError) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=403)

    @app.exception_handler(IotlmError)
    async def failed(request: Request, exc: IotlmError) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=503)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                                        "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
        return response

    app.include_router(api.api)
    app.include_router(pages.pages)
    pages.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodyLimit)
    return app


__all__ = ["HTMX_VERSION", "MAX_BODY", "STATIC", "BodyLimit", "create_app", "validation_message"]
