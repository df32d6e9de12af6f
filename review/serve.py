"""`brief serve`: checks that fail fast with one line (token, database, port), then waitress."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

from incident_brief.corpus.store import Store
from incident_brief.errors import StoreError, UsageError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_token(host: str, token: str | None) -> None:
    if token is not None and len(token) < 16:
        raise UsageError(
            "--token: use at least 16 characters "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe())'`)"
        )
    if not is_loopback(host) and not token:
        raise UsageError(f"--host {host}: serving beyond this machine needs a token (--token or BRIEF_TOKEN)")


def check_database(path: Path) -> None:
    """The database must exist and open (migrated to this version): no app over a missing store."""
    if not path.exists():
        raise StoreError(f"{path}: no such database (run `brief collect` and `brief summarize` first)")
    with Store(path) as store:
        store.query("SELECT count(*) FROM incidents")


def bind(host: str, port: int) -> list[socket.socket]:
    """Bind the listening sockets now, so a port in use is one clear error before anything starts."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host}: cannot resolve ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return [sock]


def serve_app(app, sockets: list[socket.socket], *, threads: int = 4) -> None:
    import gc

    import waitress

    # The imports (spaCy, stix2, numpy) leave ~250,000 objects that live as long as the server: without
    # this, every full collection rescans them (100-120 ms, a quarter of large incident pages).
    gc.freeze()
    waitress.serve(app, sockets=sockets, threads=threads, ident="incident-brief")
