"""The HTTP route that turns a form sign-in's one-time token into the session cookie.

Only an HTTP response can set an HttpOnly cookie, so ``serve.py`` mounts this route beside
Streamlit's own; the sessions themselves are ``kpis.access.sessions``. Starlette only, no
streamlit here.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from kpis.access import sessions


def over_tls(request: Request) -> bool:
    """The browser reached us over https, directly or through the proxy (X-Forwarded-Proto)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def routes(prefix: str = "") -> list[Route]:
    """The route under ``prefix`` (Streamlit's ``server.baseUrlPath``, "" at the root)."""
    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""

    async def open_session(request: Request) -> RedirectResponse:
        """Exchange ``?t=`` for the session cookie and send the browser on to ``?next=`` (a path
        on this site). A used, stale or unknown token sets nothing: the page then asks for the
        login again."""
        session_id = await run_in_threadpool(sessions.redeem, request.query_params.get("t"))
        response = RedirectResponse(sessions.safe_next(request.query_params.get("next")),
                                    status_code=303)
        response.headers["Cache-Control"] = "no-store"
        if session_id is not None:
            value = await run_in_threadpool(sessions.cookie_value, session_id)
            response.set_cookie(sessions.COOKIE_NAME, value,
                                max_age=int(sessions.max_session_seconds()), path=prefix + "/",
                                httponly=True, samesite="lax", secure=over_tls(request))
        return response

    sessions.mark_routes_mounted(prefix)
    return [Route(prefix + sessions.OPEN_ROUTE, open_session)]
