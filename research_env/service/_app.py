"""``create_app``: the service's ASGI app (FastAPI), a door onto ``research_env.backtest`` and ``sweep``."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from ..data import default_data_dir
from ..db import database_url
from ..settings import Settings, load_settings
from . import _progress, _routes
from ._auth import service_token
from ._body_limit import BodyLimit
from ._errors import install_error_handlers
from ._page import mount_page
from ._service import Service
from ._store import TaskStore

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, data_folder: str | os.PathLike | None = None) -> FastAPI:
    """The backtest service: the guide's REST API and WebSocket behind a token.

    ``settings``: the ``[service]`` section (host, workers, Dask scheduler, token, limits, retention, Git
    schemes, body size, CORS) and the project database (``pg.dsn``); default ``load_settings()``.
    ``data_folder``: where the bars, the SQLite database and a generated token live (default: the settings'
    data folder); the workers load bars from it. The token is ``app.state.service.token``.
    """
    settings = settings if settings is not None else load_settings()
    folder = Path(data_folder).expanduser() if data_folder is not None else default_data_dir()
    service = Service(settings.service, folder, service_token(settings.service.token, folder),
                      TaskStore(database_url(settings, data_folder=folder)))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        service.open()
        try:
            yield
        finally:
            service.close()

    app = FastAPI(title="research-env backtest service", lifespan=lifespan,
                  description="Backtests and parameter sweeps as tasks; send the token as `Authorization: Bearer "
                              "<token>` or `?token=` (Authorize, above).")
    app.state.service = service
    install_error_handlers(app)
    app.include_router(_routes.router)
    app.include_router(_progress.router)
    mount_page(app)
    if settings.service.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.service.cors_origins),
                           allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(BodyLimit, max_kb=settings.service.max_request_kb)
    return app
