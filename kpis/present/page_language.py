"""The served page says it is Danish: ``<html lang="da">`` instead of Streamlit's ``lang="en"``.

Streamlit serves one index.html of its own for every page, marked English, so screen readers read
the Danish text with English rules. ``DanishPage`` is ASGI middleware for ``serve.py``'s
``streamlit.starlette.App``: it rewrites that one attribute in HTML responses, so the page is right
with or without a proxy in front. A script run cannot do it (the tag is sent before any script
runs), and JavaScript setting it afterwards is too late for what reads the served HTML.
"""

from __future__ import annotations

LANG = "da"
_ENGLISH, _DANISH = b'<html lang="en">', f'<html lang="{LANG}">'.encode()


class DanishPage:
    """Rewrite ``<html lang="en">`` in every uncompressed HTML response.

    Page loads (requests that accept text/html) are sent on without ``Accept-Encoding``: the
    index page is small, and an uncompressed body can be rewritten. Everything else (scripts,
    styles, the WebSocket) passes untouched.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if b"text/html" in dict(scope["headers"]).get(b"accept", b""):
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"]
                                          if k != b"accept-encoding"]}
        start: dict | None = None
        body: list[bytes] = []

        async def rewrite(message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"text/html") \
                        and b"content-encoding" not in headers:
                    start = message  # held back until the body is known
                    return
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                html = b"".join(body).replace(_ENGLISH, _DANISH, 1)
                headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
                await send({**start, "headers": [*headers,
                                                 (b"content-length", str(len(html)).encode())]})
                await send({"type": "http.response.body", "body": html})
                return
            await send(message)

        await self.app(scope, receive, rewrite)
