"""The studio's files as a small FastAPI app, every route behind the given dependencies (Airflow's login and DAG
read access, from the receiver that mounts it). A browser that is not logged in is sent to the login page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from connectors.spec.schema import app_version_schema

STUDIO_PATH = "/studio"
ASSETS = Path(__file__).parent / "assets"
MEDIA_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def studio_app(dependencies: list[Any], login_url: Callable[[str], str] | None = None) -> FastAPI:
    """`/` is the page; `/<file>` its scripts, styles and icons (only the files of `assets/`). `login_url(next)`
    is where a browser without a login goes (else it gets the 401)."""
    files = {path.name: path for path in ASSETS.iterdir() if path.suffix in MEDIA_TYPES}
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(HTTPException)
    async def to_login(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 401 and login_url and "text/html" in request.headers.get("accept", ""):
            back = request.url.path + (f"?{request.url.query}" if request.url.query else "")  # relative: no host
            return RedirectResponse(login_url(back), status_code=303)
        return await http_exception_handler(request, exc)

    @app.get("/", dependencies=dependencies)
    def page() -> FileResponse:
        return FileResponse(files["index.html"], media_type="text/html", headers=HEADERS)

    @app.get("/app-version.schema.json", dependencies=dependencies)
    def schema() -> JSONResponse:
        """The definition language's JSON Schema, for the App builder's completion."""
        return JSONResponse(app_version_schema(), headers=HEADERS)

    @app.get("/{name}", dependencies=dependencies)
    def asset(name: str) -> FileResponse:
        if name not in files:
            raise HTTPException(404, f"the studio has no file {name!r}")
        return FileResponse(files[name], media_type=MEDIA_TYPES[files[name].suffix], headers=HEADERS)

    return app
