"""The HTTP side of a local user's session: the route that turns a form sign-in's one-time token
into the session cookie, the route that ends the session and clears the cookie, and the
middleware that gives every browser the random id its sign-in tokens are bound to.

Only an HTTP response can set or clear an HttpOnly cookie, so ``serve.py`` mounts these beside
Streamlit's own; the sessions themselves are ``kpis.access.sessions``. Starlette only, no
streamlit here.
"""

from __future__ import annotations

import html
import logging
import sqlite3
from http.cookies import SimpleCookie

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from kpis.access import sessions
from kpis.access.audit import AuditAction

_LOG = logging.getLogger(__name__)
OTHER_BROWSER_DA = ("Dette login-link blev lavet i en anden browser og kan ikke bruges her. "
                    "Log ind i denne browser i stedet.")
LOGIN_PAGE_DA = "Log ind"
LOGOUT_REASON = "brugeren loggede ud"


def _tls(scheme: str, headers) -> bool:
    forwarded = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return scheme in ("https", "wss") or forwarded == "https"


def over_tls(request: Request) -> bool:
    """The browser reached us over https, directly or through the proxy (X-Forwarded-Proto)."""
    return _tls(request.url.scheme, request.headers)


class BrowserCookie:
    """ASGI middleware: a page load from a browser without an id gets one, in an HttpOnly,
    SameSite=Lax cookie (``__Host-`` and Secure behind TLS) that lasts the browser session.

    Only page loads (GET requests that accept HTML) get it — every browser's first request is
    one, and the WebSocket that carries the script runs (``st.context.cookies``) comes after —
    and such a response is marked ``no-store``, so no cache hands one browser's id to another.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        tls = _tls(scope.get("scheme", "http"), headers)
        name = sessions.browser_cookie_name(tls)
        jar = SimpleCookie()
        try:
            jar.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - an unreadable Cookie header counts as none
            jar = SimpleCookie()
        if "text/html" not in headers.get("accept", "") or jar.get(name) is not None:
            await self.app(scope, receive, send)
            return
        cookie = (f"{name}={sessions.new_browser_id()}; Path=/; HttpOnly; SameSite=Lax"
                  + ("; Secure" if tls else ""))

        async def with_cookie(message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", [])
                        if k.lower() != b"cache-control"]
                message = {**message, "headers": [*kept, (b"set-cookie", cookie.encode()),
                                                  (b"cache-control", b"no-store")]}
            await send(message)

        await self.app(scope, receive, with_cookie)


def _audit(action: str, username: str | None, detail: str) -> None:
    """A refused token or a logout in the audit log, under the user whose session it was."""
    from kpis.access import audit, users
    from kpis.access.roles import scope_for

    try:
        entry = users.load_users().get(username or "")
    except users.UsersFileError:
        entry = None
    role = entry.user.role.value if entry else ""
    scope = scope_for(entry.user.role, entry.user.teams).key if entry else ""
    try:
        audit.record((username or "")[:100], role, scope, action, page=LOGIN_PAGE_DA,
                     detail=detail)
    except (sqlite3.Error, OSError) as exc:
        _LOG.error("audit log not written (%s): %s", action, exc)


def _refusal_page(next_path: str) -> HTMLResponse:
    body = f"""<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>Log ind – Pejlemærker</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5">
<h1>Pejlemærker</h1>
<p>{html.escape(OTHER_BROWSER_DA)}</p>
<p><a href="{html.escape(next_path, quote=True)}">Gå til login</a></p>
</body></html>"""
    return HTMLResponse(body, status_code=403, headers={"Cache-Control": "no-store"})


def _same_origin(request: Request) -> bool:
    """The POST came from a page of this site: a form on another site cannot log anyone out.
    Browsers say so in ``Sec-Fetch-Site``; an older one is judged by ``Origin`` (the host as the
    proxy forwards it)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host.split(",")[0].strip()


def routes(prefix: str = "") -> list[Route]:
    """The routes under ``prefix`` (Streamlit's ``server.baseUrlPath``, "" at the root)."""
    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""

    async def open_session(request: Request) -> Response:
        """Exchange ``?t=`` for the session cookie and send the browser on to ``?next=`` (a path
        on this site). A used, stale or unknown token sets nothing: the page then asks for the
        login again. A token of another browser is refused in words, and logged."""
        next_path = sessions.safe_next(request.query_params.get("next"))
        redeemed = await run_in_threadpool(
            sessions.redeem, request.query_params.get("t"), sessions.browser_id(request.cookies))
        if redeemed.other_browser:
            await run_in_threadpool(_audit, AuditAction.LOGIN_FAILED, redeemed.username,
                                    sessions.OTHER_BROWSER_REASON)
            return _refusal_page(next_path)
        response = RedirectResponse(next_path, status_code=303)
        response.headers["Cache-Control"] = "no-store"
        if redeemed.session_id is not None:
            value = await run_in_threadpool(sessions.cookie_value, redeemed.session_id)
            response.set_cookie(sessions.COOKIE_NAME, value,
                                max_age=int(sessions.max_session_seconds()), path=prefix + "/",
                                httponly=True, samesite="lax", secure=over_tls(request))
        return response

    async def end_session(request: Request) -> Response:
        """Logout: end the session the cookie names (in the store, for every tab and process)
        and clear the cookie, then send the browser on to ``?next=``. Works whatever the script
        run managed; a POST from another site changes nothing."""
        response = RedirectResponse(sessions.safe_next(request.query_params.get("next")),
                                    status_code=303)
        response.headers["Cache-Control"] = "no-store"
        if not _same_origin(request):
            return response
        session_id = await run_in_threadpool(
            sessions.session_id_from_cookie, request.cookies.get(sessions.COOKIE_NAME),
            sessions.max_session_seconds())
        if session_id is not None:
            ended = await run_in_threadpool(sessions.end, session_id, LOGOUT_REASON)
            if ended:  # the script run had not ended it (and logged it) already
                await run_in_threadpool(_audit, AuditAction.LOGOUT, ended, LOGOUT_REASON)
        response.delete_cookie(sessions.COOKIE_NAME, path=prefix + "/", httponly=True,
                               samesite="lax", secure=over_tls(request))
        return response

    sessions.mark_routes_mounted(prefix)
    return [Route(prefix + sessions.OPEN_ROUTE, open_session),
            Route(prefix + sessions.END_ROUTE, end_session, methods=["POST"])]
