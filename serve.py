"""Pejlemærker's server: the Streamlit app (``app.py``) plus the HTTP routes it needs of its own.

Start it with ``bash scripts/start`` or ``streamlit run serve.py``: Streamlit finds the ``App``
below and serves it with its own server, and every ``--server.*`` option works as usual.

The routes turn a form sign-in's one-time token into the signed, HttpOnly session cookie and
end the session and clear the cookie at logout (``kpis.access.session_http``): only an HTTP
response can set or clear such a cookie, never a script run.
``streamlit run app.py`` still works, but then a local user's sign-in lasts one browser session.
"""

from starlette.middleware import Middleware
from streamlit import config
from streamlit.starlette import App

from kpis.access.session_http import BrowserCookie, routes
from kpis.present.page_language import DanishPage

# DanishPage: the served page says lang="da" (Streamlit's own index.html says "en").
# BrowserCookie: every browser's random id, which its sign-in's one-time token is bound to.
app = App("app.py", routes=routes(config.get_option("server.baseUrlPath") or ""),
          middleware=[Middleware(DanishPage), Middleware(BrowserCookie)])
