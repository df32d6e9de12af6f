"""The fetcher against a real HTTP server on 127.0.0.1 (tests/loopback.py) and small raw-socket servers."""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import socket
import threading
import time
import zlib
from dataclasses import replace

import pytest
from loopback import LoopbackServer, Reply

import incident_brief.corpus.fetch as fetch_module
from incident_brief.config import FetchSettings
from incident_brief.corpus.fetch import Fetcher, FetchError, FetchResult, is_public_address

PAGE = "<!doctype html><html><body><p>Grüße aus der Behörde</p></body></html>".encode()
FAST = FetchSettings(per_host_delay=0.0, backoff=0.05, timeout=5.0, retries=2)


@pytest.fixture(scope="module")
def module_server():
    srv = LoopbackServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def server(module_server):
    """conftest's `server`, but one for the module, emptied for each test: stopping a server takes
    half a second (its poll interval), which here would be most of the file's run time."""
    module_server.routes.clear()
    module_server.requests.clear()
    return module_server


def fetch(url: str, settings: FetchSettings = FAST, *, allow_private: bool = True, **kwargs) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(settings, allow_private=allow_private) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(run())


def failure(url: str, settings: FetchSettings = FAST, **kwargs) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, settings, **kwargs)
    error = caught.value
    assert str(error) == f"{url}: {error.detail}" and "\n" not in error.detail
    return error


def fetch_all(urls: list[str], settings: FetchSettings) -> list[FetchResult | FetchError]:
    async def run() -> list[FetchResult | FetchError]:
        async with Fetcher(settings, allow_private=True) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(url) for url in urls), return_exceptions=True)

    return asyncio.run(run())


class Sequence:
    """A handler that gives its replies in turn, then repeats the last one."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)

    def __call__(self, seen) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


class InFlight:
    """A handler that holds each request a moment and records the most it held at once."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.now = 0
        self.most = 0
        self.lock = threading.Lock()

    def __call__(self, seen) -> Reply:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.pause)
        with self.lock:
            self.now -= 1
        return Reply(PAGE)


class Streamer:
    """A raw HTTP/1.1 server for one request: `total` bytes sent in pieces (never built whole), with a
    Content-Length or chunked; `sent` counts what went out before the client hung up."""

    def __init__(self, total: int, *, declare_length: bool, piece: int = 64 * 1024, pause: float = 0.0):
        self.total = total
        self.declare_length = declare_length
        self.block = b"x" * piece
        self.pause = pause
        self.sent = 0
        self.finished = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/big"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return  # closed before anyone came
        with connection:
            request = b""
            while b"\r\n\r\n" not in request and (data := connection.recv(4096)):
                request += data
            framing = f"Content-Length: {self.total}" if self.declare_length else "Transfer-Encoding: chunked"
            try:
                connection.sendall(
                    f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n{framing}\r\n\r\n".encode()
                )
                while self.sent < self.total:
                    data = self.block[: self.total - self.sent]
                    connection.sendall(data if self.declare_length else b"%x\r\n%s\r\n" % (len(data), data))
                    self.sent += len(data)
                    time.sleep(self.pause)
                if not self.declare_length:
                    connection.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # the client hung up: how much got out before is what the tests look at
            finally:
                self.finished.set()


@pytest.fixture
def streamers():
    made: list[Streamer] = []

    def make(total: int, **kwargs) -> Streamer:
        made.append(Streamer(total, **kwargs))
        return made[-1]

    yield make
    for streamer in made:
        streamer.listener.close()


def gzip_of_zeros(size: int) -> bytes:
    """`size` zero bytes gzip-compressed, built a megabyte at a time."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    megabyte = bytes(1 << 20)
    return b"".join(compressor.compress(megabyte) for _ in range(size >> 20)) + compressor.flush()


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        return listener.getsockname()[1]


# --- answers -------------------------------------------------------------------------------------


def test_page(server):
    url = server.route(
        "/page", body=PAGE, headers={"Content-Type": "text/html; charset=UTF-8", "X-Note": "hi"}
    )
    result = fetch(url)
    assert (result.url, result.final_url, result.status) == (url, url, 200)
    assert result.content == PAGE and not result.not_modified
    assert result.content_type == "text/html"
    assert result.headers["x-note"] == "hi" and result.headers["content-type"] == "text/html; charset=UTF-8"
    assert "Grüße aus der Behörde" in result.text()
    sent = server.hits("/page")[0].headers
    assert sent["user-agent"] == FAST.user_agent
    assert sent["accept"].startswith("text/html")
    assert "gzip" in sent["accept-encoding"]


def test_client_errors_fail_at_once(server):
    for status in (404, 410, 403):
        url = server.route(f"/{status}", body=b"no", status=status)
        assert failure(url).reason == f"http-{status}"
        assert len(server.hits(f"/{status}")) == 1


def test_server_error_is_retried_then_fails(server):
    url = server.route("/broken", body=b"oops", status=500)
    assert failure(url, replace(FAST, retries=2)).reason == "http-500"
    assert len(server.hits("/broken")) == 3  # the first try and two retries


def test_503_then_200_succeeds(server):
    url = server.route("/flaky", Sequence(Reply(b"busy", 503), Reply(PAGE)))
    assert fetch(url).content == PAGE
    assert len(server.hits("/flaky")) == 2


def test_429_waits_for_retry_after(server):
    url = server.route("/limited", Sequence(Reply(b"slow down", 429, {"Retry-After": "1"}), Reply(PAGE)))
    assert fetch(url).content == PAGE
    first, second = server.hits("/limited")
    assert second.at - first.at >= 0.95  # Retry-After, not the 0.05 s backoff


def test_retry_after_beyond_the_limit_fails_at_once(server):
    url = server.route("/later", body=b"later", status=503, headers={"Retry-After": "3600"})
    started = time.monotonic()
    error = failure(url, replace(FAST, max_retry_after=10))
    assert error.reason == "rate-limited" and "3600" in error.detail
    assert time.monotonic() - started < 1 and len(server.hits("/later")) == 1


def test_retry_after_as_http_date(server):
    tomorrow = email.utils.formatdate(time.time() + 86400, usegmt=True)
    url = server.route("/tomorrow", body=b"later", status=429, headers={"Retry-After": tomorrow})
    assert failure(url, replace(FAST, max_retry_after=60)).reason == "rate-limited"
    assert len(server.hits("/tomorrow")) == 1


def test_too_many_requests_after_the_last_retry(server):
    url = server.route("/always-limited", body=b"no", status=429)
    assert failure(url, replace(FAST, retries=1)).reason == "rate-limited"
    assert len(server.hits("/always-limited")) == 2


# --- network failures ----------------------------------------------------------------------------


def test_timeout(server):
    url = server.route("/sleepy", body=PAGE, delay=2.0)
    started = time.monotonic()
    assert failure(url, replace(FAST, timeout=0.5, retries=0)).reason == "timeout"
    assert time.monotonic() - started < 1.5


def test_trickling_server_times_out(streamers):
    # One byte every 0.1 s never trips a read timeout; the total limit still ends it.
    streamer = streamers(10_000, declare_length=True, piece=1, pause=0.1)
    started = time.monotonic()
    assert failure(streamer.url, replace(FAST, timeout=0.8, retries=0)).reason == "timeout"
    assert time.monotonic() - started < 1.5


def test_connection_refused():
    url = f"http://127.0.0.1:{closed_port()}/"
    assert failure(url, replace(FAST, retries=1)).reason == "connection-refused"


@pytest.mark.parametrize("allow_private", [True, False])
def test_dns_failure(allow_private):
    # .invalid never resolves (RFC 6761); with allow_private the lookup is httpx's, else the fetcher's own.
    error = failure("http://no-such-host.invalid/page", allow_private=allow_private)
    assert error.reason == "dns"


def test_tls_failure(server):
    # A TLS handshake against a plain HTTP server.
    error = failure(f"https://127.0.0.1:{server.port}/", replace(FAST, respect_robots=False))
    assert error.reason == "tls"


@pytest.mark.parametrize(
    "url", ["ftp://example.org/file", "no url at all", "http://", "mailto:a@example.org"]
)
def test_invalid_url(url):
    assert failure(url).reason == "invalid-url"


def test_unknown_accept_is_a_programming_error(server):
    with pytest.raises(ValueError, match="accept"):
        fetch(server.url("/"), accept="pdf")


# --- redirects -----------------------------------------------------------------------------------


def test_redirects_are_followed(server):
    server.route("/old", body=b"", status=301, headers={"Location": "/middle"})
    server.route("/middle", body=b"", status=302, headers={"Location": server.url("/new")})
    new = server.route("/new", body=PAGE)
    result = fetch(server.url("/old"))
    assert (result.url, result.final_url, result.content) == (server.url("/old"), new, PAGE)


def test_redirect_loop(server):
    server.route("/a", body=b"", status=302, headers={"Location": "/b"})
    server.route("/b", body=b"", status=302, headers={"Location": "/a"})
    assert failure(server.url("/a")).reason == "redirect-loop"
    assert len(server.hits("/a")) == 1 and len(server.hits("/b")) == 1


def test_redirect_chain_longer_than_allowed(server):
    for hop in range(4):
        server.route(f"/r{hop}", body=b"", status=307, headers={"Location": f"/r{hop + 1}"})
    server.route("/r4", body=PAGE)
    assert fetch(server.url("/r0"), replace(FAST, max_redirects=4)).final_url == server.url("/r4")
    error = failure(server.url("/r0"), replace(FAST, max_redirects=3))
    assert error.reason == "too-many-redirects"
    assert len(server.hits("/r4")) == 1  # only the first run, within its limit, got there


def test_redirect_to_a_private_address_is_refused(server, monkeypatch):
    # "localhost" stands in for a public site: the fetcher's own lookup places it at a public address
    # (httpx still connects to the loopback server). Its redirect to 127.0.0.1 must be checked and refused.
    real_resolve = fetch_module._resolve

    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.215.14"] if host == "localhost" else await real_resolve(host, port)

    monkeypatch.setattr(fetch_module, "_resolve", resolve)
    server.route("/jump", body=b"", status=302, headers={"Location": server.url("/inside")})
    server.route("/inside", body=PAGE)
    url = f"http://localhost:{server.port}/jump"
    error = failure(url, replace(FAST, respect_robots=False), allow_private=False)
    assert error.reason == "private-address" and "127.0.0.1" in error.detail
    assert len(server.hits("/jump")) == 1 and server.hits("/inside") == []


# --- addresses -----------------------------------------------------------------------------------


def test_loopback_refused_without_allow_private(server):
    server.route("/page", body=PAGE)
    for host in ("127.0.0.1", "localhost", "[::ffff:127.0.0.1]"):
        error = failure(f"http://{host}:{server.port}/page", allow_private=False)
        assert error.reason == "private-address"
    assert server.requests == []  # not even robots.txt was asked for


def test_allow_private_precedence(server):
    url = server.route("/page", body=PAGE)
    open_settings = replace(FAST, allow_private=True)

    async def run(settings: FetchSettings, constructor: bool | None, call: bool | None) -> str:
        async with Fetcher(settings, allow_private=constructor) as fetcher:
            try:
                await fetcher.fetch(url, allow_private=call)
            except FetchError as error:
                return error.reason
            return "ok"

    assert asyncio.run(run(open_settings, None, None)) == "ok"  # settings
    assert asyncio.run(run(open_settings, False, None)) == "private-address"  # the constructor wins
    assert asyncio.run(run(FAST, False, True)) == "ok"  # the call wins


@pytest.mark.parametrize(
    "address",
    ["10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254", "0.0.0.0", "224.0.0.1"]
    + ["240.0.0.1", "255.255.255.255", "100.64.0.1", "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1"]
    + ["ff02::1", "ff0e::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1"],
)
def test_non_public_addresses(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses(address):
    assert is_public_address(address)


# --- content -------------------------------------------------------------------------------------


def test_wrong_content_type(server):
    for media_type in ("image/png", "application/pdf"):
        url = server.route(
            f"/{media_type}", body=b"%PDF-1.7 binary\x00\x01", headers={"Content-Type": media_type}
        )
        error = failure(url)
        assert error.reason == "content-type" and media_type in error.detail


def test_missing_content_type_is_sniffed(server):
    html = server.route("/html", body=b"\n  <!DOCTYPE html><title>t</title>", headers={"Content-Type": ""})
    binary = server.route("/binary", body=b"\x89PNG\r\n\x1a\n\x00\x00", headers={"Content-Type": ""})
    assert fetch(html).content_type == "text/html"
    assert failure(binary).reason == "content-type"


def test_accept_xml(server):
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>'
    labelled_html = server.route("/feed-as-html", body=feed, headers={"Content-Type": "text/html"})
    proper = server.route("/feed", body=feed, headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    plain = server.route("/feed.txt", body=feed, headers={"Content-Type": "text/plain"})
    page = server.route("/page", body=PAGE)
    assert fetch(labelled_html, accept="xml").content == feed
    assert fetch(proper, accept="xml").content_type == "application/rss+xml"
    assert fetch(plain, accept="xml").content == feed
    assert failure(page, accept="xml").reason == "content-type"
    assert failure(proper, accept="html").reason == "content-type"


def test_accept_text_and_any(server):
    csv = server.route("/data.csv", body=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"})
    png = server.route("/image.png", body=b"\x89PNG\r\n\x1a\n", headers={"Content-Type": "image/png"})
    assert fetch(csv, accept="text").content == b"a,b\n1,2\n"
    assert failure(png, accept="text").reason == "content-type"
    assert fetch(png, accept="any").content == b"\x89PNG\r\n\x1a\n"


def test_empty_page(server):
    url = server.route("/empty", body=b"")
    assert failure(url).reason == "empty"


def test_gzip_body_is_decoded(server):
    gzipped = server.route("/gz", body=gzip.compress(PAGE), headers={"Content-Encoding": "gzip"})
    deflated = server.route("/zz", body=zlib.compress(PAGE), headers={"Content-Encoding": "deflate"})
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = server.route(
        "/raw", body=raw_deflate.compress(PAGE) + raw_deflate.flush(), headers={"Content-Encoding": "deflate"}
    )
    for url in (gzipped, deflated, raw):
        assert fetch(url).content == PAGE


def test_corrupt_gzip_and_unknown_encoding(server):
    # A gzip header, then a deflate block of the reserved type 3.
    bad = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x07garbage"
    corrupt = server.route("/bad-gz", body=bad, headers={"Content-Encoding": "gzip"})
    brotli = server.route("/br", body=b"\x0b\x02\x80", headers={"Content-Encoding": "br"})
    assert failure(corrupt).reason == "network"
    assert failure(brotli).reason == "content-type"


# --- size ----------------------------------------------------------------------------------------

FIFTY_MB = 50_000_000
TEN_MB = replace(FAST, max_bytes=10_000_000, respect_robots=False, retries=0)


def test_declared_length_over_the_limit_is_refused_before_reading(streamers):
    streamer = streamers(FIFTY_MB, declare_length=True)
    error = failure(streamer.url, TEN_MB)
    assert error.reason == "too-large" and "50,000,000" in error.detail
    assert streamer.finished.wait(10)
    assert streamer.sent < TEN_MB.max_bytes  # what the socket buffers took, not what was read


def test_undeclared_length_stops_reading_at_the_limit(streamers):
    streamer = streamers(FIFTY_MB, declare_length=False)
    assert failure(streamer.url, TEN_MB).reason == "too-large"
    assert streamer.finished.wait(10)
    assert streamer.sent < 30_000_000  # the limit plus socket buffers, far from all 50 MB


def test_compressed_body_is_limited_after_decoding(server):
    bomb = gzip_of_zeros(FIFTY_MB)  # about 50 KB on the wire
    url = server.route("/bomb", body=bomb, headers={"Content-Encoding": "gzip"})
    assert len(bomb) < 100_000
    assert failure(url, TEN_MB).reason == "too-large"


def test_body_exactly_at_the_limit_is_accepted(server):
    url = server.route("/exact", body=b"<p>" + b"x" * 997)
    gz = server.route(
        "/exact-gz", body=gzip.compress(b"<p>" + b"x" * 997), headers={"Content-Encoding": "gzip"}
    )
    limited = replace(FAST, max_bytes=1000)
    assert len(fetch(url, limited).content) == 1000
    assert len(fetch(gz, limited).content) == 1000
    assert failure(url, replace(limited, max_bytes=999)).reason == "too-large"
    assert failure(gz, replace(limited, max_bytes=999)).reason == "too-large"


# --- robots.txt ----------------------------------------------------------------------------------


def test_robots_disallow_all(server):
    server.route("/robots.txt", body=b"User-agent: *\nDisallow: /\n", headers={"Content-Type": "text/plain"})
    url = server.route("/page", body=PAGE)
    error = failure(url)
    assert error.reason == "robots"
    assert server.hits("/page") == []
    assert fetch(url, replace(FAST, respect_robots=False)).content == PAGE


def test_robots_rules_for_our_agent(server):
    rules = b"User-agent: incident-brief\nDisallow: /private/\n\nUser-agent: *\nDisallow: /\n"
    server.route("/robots.txt", body=rules, headers={"Content-Type": "text/plain"})
    public = server.route("/public", body=PAGE)
    private = server.route("/private/page", body=PAGE)
    outcomes = fetch_all([public, private], FAST)
    assert isinstance(outcomes[0], FetchResult)
    assert isinstance(outcomes[1], FetchError) and outcomes[1].reason == "robots"
    assert server.hits("/private/page") == []


def test_robots_404_allows_everything(server):
    server.route("/robots.txt", body=b"not here", status=404)
    url = server.route("/page", body=PAGE)
    assert fetch(url).content == PAGE
    assert len(server.hits("/robots.txt")) == 1


def test_robots_500_disallows_everything(server):
    server.route("/robots.txt", body=b"down", status=500)
    url = server.route("/page", body=PAGE)
    error = failure(url, replace(FAST, retries=1))
    assert error.reason == "robots" and "500" in error.detail
    assert server.hits("/page") == []
    assert len(server.hits("/robots.txt")) == 2  # retried like any request


def test_robots_fetched_once_for_concurrent_requests(server):
    server.route("/robots.txt", body=b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
    urls = [server.route(f"/p{n}", body=PAGE) for n in range(5)]
    assert all(isinstance(outcome, FetchResult) for outcome in fetch_all(urls, FAST))
    assert len(server.hits("/robots.txt")) == 1


def test_crawl_delay_for_our_agent_spaces_requests(server):
    rules = b"User-agent: otherbot\nCrawl-delay: 5\n\nUser-agent: incident-brief\nCrawl-delay: 1\n"
    server.route("/robots.txt", body=rules, headers={"Content-Type": "text/plain"})
    urls = [server.route("/one", body=PAGE), server.route("/two", body=PAGE)]
    assert all(isinstance(outcome, FetchResult) for outcome in fetch_all(urls, FAST))
    starts = sorted(seen.at for seen in server.hits("/one") + server.hits("/two"))
    assert 0.95 <= starts[1] - starts[0] < 4  # our group's 1 s, not otherbot's 5 s


def test_sitemaps_from_robots(server):
    rules = b"User-agent: *\nDisallow:\nSitemap: https://example.org/news.xml\nSitemap: /relative.xml\n"
    server.route("/robots.txt", body=rules, headers={"Content-Type": "text/plain"})

    async def run(settings: FetchSettings) -> list[str]:
        async with Fetcher(settings, allow_private=True) as fetcher:
            return await fetcher.sitemaps_from_robots(server.url("/any/page"))

    assert asyncio.run(run(FAST)) == ["https://example.org/news.xml", "/relative.xml"]
    server.routes.pop("/robots.txt")
    assert asyncio.run(run(FAST)) == []  # 404: no sitemaps
    server.route("/robots.txt", body=b"down", status=503)
    with pytest.raises(FetchError) as caught:
        asyncio.run(run(replace(FAST, retries=0)))
    assert caught.value.reason == "http-503"


# --- pacing --------------------------------------------------------------------------------------


def test_per_host_delay(server):
    urls = [server.route(f"/p{n}", body=PAGE) for n in range(3)]
    fetch_all(urls, replace(FAST, per_host_delay=0.3, respect_robots=False))
    starts = sorted(seen.at for seen in server.requests)
    assert len(starts) == 3
    # Arrival times at the server carry thread-scheduling jitter on a loaded machine (one request handled
    # late shortens the next gap), so each gap gets 0.1 s of slack and the whole span 0.05 s; without the
    # delay the three requests arrive within milliseconds.
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 0.2, gaps
    assert starts[-1] - starts[0] >= 0.55, gaps


def test_per_host_concurrency(server):
    handler = InFlight(0.2)
    urls = [server.route(f"/p{n}", handler) for n in range(6)]
    settings = replace(FAST, per_host_concurrency=2, concurrency=10, respect_robots=False)
    assert all(isinstance(outcome, FetchResult) for outcome in fetch_all(urls, settings))
    assert handler.most == 2


def test_global_concurrency(server):
    handler = InFlight(0.2)
    hosts = [f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}"]
    server.route("/p", handler)
    urls = [f"{host}/p?{n}" for n in range(4) for host in hosts]
    settings = replace(FAST, per_host_concurrency=10, concurrency=3, respect_robots=False)
    assert all(isinstance(outcome, FetchResult) for outcome in fetch_all(urls, settings))
    assert handler.most == 3


def test_slow_host_does_not_stall_others(server):
    slow = server.route("/slow", body=PAGE, delay=0.6)
    fast = f"http://localhost:{server.port}/fast"
    server.route("/fast", body=PAGE)
    settings = replace(FAST, per_host_concurrency=1, per_host_delay=0.2, respect_robots=False)

    async def run() -> float:
        async with Fetcher(settings, allow_private=True) as fetcher:
            waiting = [asyncio.create_task(fetcher.fetch(slow)) for _ in range(2)]
            await asyncio.sleep(0.05)  # the slow host's requests are queued first
            started = time.monotonic()
            await fetcher.fetch(fast)
            took = time.monotonic() - started
            await asyncio.gather(*waiting)
            return took

    assert asyncio.run(run()) < 0.4  # the slow host needs 1.2 s for its two


# --- conditional GET -----------------------------------------------------------------------------


def test_etag_round_trip(server):
    def handler(seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(b"", 304, {"ETag": '"v1"'})
        return Reply(PAGE, headers={"ETag": '"v1"'})

    url = server.route("/doc", handler)
    first = fetch(url)
    assert first.status == 200 and first.etag == '"v1"'
    again = fetch(url, etag=first.etag)
    assert again.status == 304 and again.not_modified and again.content == b""
    assert server.hits("/doc")[1].headers["if-none-match"] == '"v1"'


def test_last_modified_round_trip(server):
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"

    def handler(seen) -> Reply:
        if seen.headers.get("if-modified-since") == stamp:
            return Reply(b"", 304)
        return Reply(PAGE, headers={"Last-Modified": stamp})

    url = server.route("/doc", handler)
    first = fetch(url)
    assert first.last_modified == stamp and not first.not_modified
    assert fetch(url, last_modified=first.last_modified).not_modified


def test_unsendable_validator_is_dropped(server):
    url = server.route("/doc", body=PAGE)
    assert fetch(url, etag='"caf\u00e9\n"').status == 200
    assert "if-none-match" not in server.hits("/doc")[0].headers
