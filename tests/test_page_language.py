"""The served page is marked Danish: serve.py's middleware rewrites Streamlit's lang="en"."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from kpis.present.page_language import DanishPage

# Streamlit's index.html as it starts (long enough for the gzip middleware to compress it).
INDEX = '<!doctype html>\n<html lang="en">\n<head><title>Streamlit</title></head>' + " " * 600


def client() -> TestClient:
    app = Starlette(
        routes=[Route("/", lambda r: HTMLResponse(INDEX)),
                Route("/script.js", lambda r: PlainTextResponse('"<html lang=\\"en\\">"' * 50))],
        # as streamlit.starlette.App stacks them: the user's middleware outside Streamlit's gzip
        middleware=[Middleware(DanishPage), Middleware(GZipMiddleware, minimum_size=100)])
    return TestClient(app)


def test_a_page_load_gets_lang_da_even_when_it_accepts_gzip():
    r = client().get("/", headers={"Accept": "text/html,*/*", "Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert '<html lang="da">' in r.text and 'lang="en"' not in r.text
    assert int(r.headers["content-length"]) == len(r.content)


def test_other_responses_pass_untouched_and_stay_compressed():
    r = client().get("/script.js", headers={"Accept": "*/*", "Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert 'lang=\\"en\\"' in r.text  # a script's text is not the page's language

