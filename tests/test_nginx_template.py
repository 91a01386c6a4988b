"""deploy/nginx.conf.template keeps Streamlit's unauthenticated metrics endpoint off the outside.

nginx runs the shipped template (as tests/test_multiprocess.py fills it) in front of a stand-in
upstream that answers 200 to everything, so what comes back 403 was refused by nginx itself.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_multiprocess import NGINX, nginx


class _Upstream(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # http.server calls it by this name
        body = b"from the app"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def work() -> Iterator[Path]:
    if not NGINX.exists():
        pytest.skip(f"{NGINX} is not installed (run scripts/test to install it)")
    folder = Path(tempfile.mkdtemp(prefix="pejlemaerker-nginx-"))
    folder.chmod(0o755)  # nginx's workers may run as another user
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_proxy_refuses_the_metrics_endpoint(work, upstream):
    with nginx(work, [upstream]) as url:
        assert _status(f"{url}/_stcore/health") == 200  # passed on to the app
        assert _status(f"{url}/") == 200
        for path in ("/_stcore/metrics", "/_stcore/metrics/", "/_stcore/metrics?x=1",
                     "//_stcore/metrics", "/_stcore/%6Detrics"):
            assert _status(url + path) == 403, path
