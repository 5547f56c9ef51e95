"""Request bodies over ``[service] max_request_kb`` are refused with 413 before any route reads them."""

from __future__ import annotations

from fastapi.responses import JSONResponse

__all__ = ["BodyLimit"]


class BodyLimit:
    """ASGI middleware: reads each HTTP request's body (declared or streamed) up to ``max_kb`` KB and replays
    it to ``app``; a larger one is answered 413 with the limit and its setting."""

    def __init__(self, app, max_kb: int):
        self.app, self.max_kb = app, max_kb

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_kb * 1024
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(int(declared), scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await self._refuse(size, scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, size: int, scope, receive, send) -> None:
        detail = (f"the request body ({size / 1024:,.0f} KB or more) is over this server's limit of {self.max_kb} KB "
                  "(`[service] max_request_kb`); send less, e.g. a smaller `param_grid`")
        await JSONResponse({"detail": detail, "field": None}, status_code=413)(scope, receive, send)
