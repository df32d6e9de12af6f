"""The bundled demo sites served over loopback: each outlet on its own 127.0.0.x address.

Feeds, sitemaps and robots.txt name the outlets' real (fictional) hosts, https://www.<outlet>.example/;
the mirror rewrites those links to its own addresses so a collector follows them over HTTP.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEMO_SITE = Path(__file__).resolve().parent.parent / "demo" / "site"
XML_TYPES = {".xml": "application/xml", ".atom": "application/atom+xml", ".rdf": "application/rdf+xml"}


class DemoMirror:
    def __init__(self, root: Path = DEMO_SITE) -> None:
        self.root = root
        self.hosts = sorted(p.name for p in root.iterdir() if p.is_dir())
        self.requests: list[tuple[str, str]] = []  # (host, path)
        self._servers: dict[str, ThreadingHTTPServer] = {}
        for number, host in enumerate(self.hosts, start=2):
            server = ThreadingHTTPServer((f"127.0.0.{number}", 0), self._handler(host))
            server.daemon_threads = True
            self._servers[host] = server

    def base(self, host: str) -> str:
        address, port = self._servers[host].server_address[:2]
        return f"http://{address}:{port}"

    def url(self, real_url: str) -> str:
        """The mirror's URL for a demo URL such as https://www.cyberwacht.example/feed.atom."""
        return self.rewrite(real_url.encode()).decode()

    def rewrite(self, body: bytes) -> bytes:
        for host in self.hosts:
            body = body.replace(f"https://{host}".encode(), self.base(host).encode())
        return body

    def _handler(self, host: str):
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                mirror.requests.append((host, self.path))
                path = self.path.split("?")[0]
                file = mirror.root / host / path.lstrip("/")
                if path.endswith("/"):
                    candidates = [file / "index.xml", file / "index.html"]
                    file = next((c for c in candidates if c.is_file()), file)
                if not file.is_file() or mirror.root / host not in file.resolve().parents:
                    self._send(404, b"not found", "text/plain")
                    return
                body = file.read_bytes()
                suffix = file.suffix.lower()
                if suffix in (".html", ".htm"):
                    kind = "text/html; charset=utf-8"
                else:
                    body = mirror.rewrite(body)
                    kind = XML_TYPES.get(
                        suffix, "text/plain" if file.name == "robots.txt" else "application/rss+xml"
                    )
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", kind, etag)
                else:
                    self._send(200, body, kind, etag)

            def _send(self, status: int, body: bytes, kind: str, etag: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler

    def start(self) -> DemoMirror:
        for server in self._servers.values():
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
