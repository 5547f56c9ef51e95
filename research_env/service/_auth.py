"""The API token: from ``--token`` or ``[service] token``, else generated at first start and kept in the data
folder (``service/token``, readable by its owner only); compared in constant time.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

__all__ = ["TOKEN_FILE", "UNAUTHORIZED", "presented_token", "service_token", "token_matches"]

#: Where a generated token is kept, inside the data folder.
TOKEN_FILE = Path("service") / "token"
#: The detail of every 401: how to pass the token.
UNAUTHORIZED = ("missing or wrong API token: send the header `Authorization: Bearer <token>` or add "
                "`?token=<token>` to the URL (`research-env serve` prints the token at start; the server keeps a "
                "generated one in its data folder, service/token)")


def service_token(configured: str | None, data_folder: Path) -> str:
    """``configured`` when given, else the token kept in ``data_folder``, generated (``secrets.token_urlsafe``)
    and written with mode 0600 the first time."""
    if configured:
        return configured
    path = data_folder / TOKEN_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    written = path.with_name(f".{path.name}-{os.getpid()}")
    with os.fdopen(os.open(written, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
        file.write(token + "\n")
    try:
        os.link(written, path)  # whole or not at all; never over a token another server kept meanwhile
    except FileExistsError:
        token = path.read_text(encoding="utf-8").strip()
    finally:
        written.unlink()
    return token


def presented_token(authorization: str | None, query_token: str | None) -> str | None:
    """The token a request presents: ``Authorization: Bearer <token>``, else ``?token=``."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return query_token or None


def token_matches(presented: str | None, token: str) -> bool:
    """Whether ``presented`` is ``token`` (a constant-time comparison)."""
    return presented is not None and hmac.compare_digest(presented.encode(), token.encode())
