"""The Backtest page (the guide's "Method 1: Web UI") at ``GET /``, and its static files.

``GET /`` answers a browser (``Accept: text/html``) with the page and an API client with the JSON it always
had; both want the token. A browser without it gets a 401 page that brings back the token the tab kept
(``sessionStorage``) once. ``/static/`` (the page's script and style, and plotly.js from the installed plotly
package: no CDN, works offline) needs no token: it holds no data.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from ._auth import UNAUTHORIZED, presented_token
from ._errors import ServiceError

__all__ = ["STATIC", "mount_page"]

#: The page's own files.
STATIC = Path(__file__).with_name("static")

router = APIRouter()


@router.get("/", summary="The Backtest page (a browser) or a token check (JSON); the API is described at /docs",
            responses={200: {"content": {"text/html": {}, "application/json": {}}}})
def index(request: Request):
    html = "text/html" in request.headers.get("accept", "")
    presented = presented_token(request.headers.get("authorization"), request.query_params.get("token"))
    if not request.app.state.service.accepts(presented):
        if html:
            return HTMLResponse((STATIC / "token.html").read_text(encoding="utf-8"), status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        raise ServiceError(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    if html:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})
    return {"service": "research-env backtests", "docs": "/docs", "openapi": "/openapi.json"}


@router.get("/static/plotly.min.js", include_in_schema=False)
def plotly_js() -> FileResponse:
    import plotly

    return FileResponse(Path(plotly.__file__).with_name("package_data") / "plotly.min.js",
                        media_type="text/javascript")


def mount_page(app: FastAPI) -> None:
    """Add the page, plotly.js and ``/static/`` to ``app``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
