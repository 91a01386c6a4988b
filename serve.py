"""Pejlemærker's server: the Streamlit app (``app.py``) plus the one HTTP route it needs of its own.

Start it with ``bash scripts/start`` or ``streamlit run serve.py``: Streamlit finds the ``App``
below and serves it with its own server, and every ``--server.*`` option works as usual.

The route turns a form sign-in's one-time token into the signed, HttpOnly session cookie
(``kpis.access.session_http``): only an HTTP response can set such a cookie, never a script run.
``streamlit run app.py`` still works, but then a local user's sign-in lasts one browser session.
"""

from starlette.middleware import Middleware
from streamlit import config
from streamlit.starlette import App

from kpis.access.session_http import routes
from kpis.present.page_language import DanishPage

# DanishPage: the served page says lang="da" (Streamlit's own index.html says "en").
app = App("app.py", routes=routes(config.get_option("server.baseUrlPath") or ""),
          middleware=[Middleware(DanishPage)])
