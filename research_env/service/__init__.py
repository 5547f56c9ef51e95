"""The backtest service behind ``research-env serve``: the guide's REST API and WebSocket (sections 8, 9, 14).

A door like the command line: requests are pydantic models, checked by the same ``build_run`` and run by
the same ``research_env.backtest``/``sweep``; tasks are stored in the project database before they are
acknowledged and run in worker processes (or on a Dask cluster), so a strategy cannot take the server down;
every endpoint wants the token. ``GET /`` is the Backtest page for a browser (``_page``). ``create_app`` builds the
app; ``docs/service.md`` describes the API and the page.
"""

from ._app import create_app

__all__ = ["create_app"]
