"""Polite HTTP fetching for `brief collect`: robots.txt, per-host pacing, retries, size and type checks.

Every network or HTTP problem surfaces as a `FetchError` whose `reason` is a short stable slug
("http-404", "timeout", "robots", ...) that run summaries count.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import random
import socket
import ssl
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import h11
import httpx
from protego import Protego

from incident_brief.config import FetchSettings
from incident_brief.corpus.charset import decode_html

ACCEPT_HEADERS = {
    "html": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
    "xml": "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.1",
    "text": "text/plain,text/*;q=0.9,*/*;q=0.1",
    "any": "*/*",
}
_EXPECTED = {"html": "an HTML page", "xml": "XML", "text": "text"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_RETRY_STATUSES = {429, 500, 502, 503, 504}
_RETRY_REASONS = {"timeout", "connection-refused", "network"}
_UNREACHABLE_REASONS = {"timeout", "connection-refused", "network", "dns", "tls", "private-address"}
_TRANSPORT_ERRORS = (httpx.HTTPError, httpx.InvalidURL, h11.ProtocolError, ssl.SSLError, OSError)
_SNIFF_BYTES = 1024
# WHATWG MIME sniffing: a body that starts with one of these tags (after whitespace) is HTML.
_HTML_TAGS = (b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div", b"<font")
_HTML_TAGS += (b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p")
_TAG_ENDS = (b" ", b">", b"\t", b"\n", b"\r", b"\x0c", b"/")
_XML_STARTS = (b"<?xml", b"<rss", b"<feed", b"<rdf:rdf", b"<urlset", b"<sitemapindex")


@dataclass
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int  # 200..299, or 304 when the conditional GET says not modified
    content: bytes  # empty on 304
    content_type: str | None  # media type only, lower case; sniffed from the body when the server sent none
    headers: dict[str, str]  # lower-case names
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        return decode_html(self.content, self.headers.get("content-type"))[0]


class FetchError(Exception):
    """A page could not be fetched: `reason` is a short stable slug, `detail` one line for people."""

    def __init__(self, url: str, reason: str, detail: str) -> None:
        super().__init__(f"{url}: {detail}")
        self.url = url
        self.reason = reason
        self.detail = detail


class _Retry(Exception):
    """An attempt failed in a way that may pass: wait (`retry_after`, else the backoff) and try again."""

    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Reply:
    url: httpx.URL
    status: int
    headers: httpx.Headers
    content: bytes = b""
    media_type: str | None = None


@dataclass(frozen=True)
class _Robots:
    rules: Protego | None  # None when the site has no robots.txt (a 4xx answer): everything is allowed
    unreachable: FetchError | None = None  # 5xx or no answer: nothing is allowed (RFC 9309)


class _HostSchedule:
    """One host's share: at most `slots` requests in flight, starts at least `delay` seconds apart."""

    def __init__(self, slots: int, delay: float) -> None:
        self._slots = asyncio.Semaphore(max(1, slots))
        self._start_lock = asyncio.Lock()
        self._next_start = 0.0
        self.delay = delay

    @asynccontextmanager
    async def turn(self, global_slots: asyncio.Semaphore) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        async with self._slots:
            async with self._start_lock:
                await asyncio.sleep(max(0.0, self._next_start - loop.time()))
                # Taken only after the wait, so a host that must wait never holds a global slot.
                await global_slots.acquire()
                self._next_start = loop.time() + self.delay
            try:
                yield
            finally:
                global_slots.release()


class Fetcher:
    """Fetches pages politely. One per run: it holds the connections, robots.txt rules and host schedules.

    `async with Fetcher(settings) as fetcher: page = await fetcher.fetch(url)`
    """

    def __init__(self, settings: FetchSettings, *, allow_private: bool | None = None) -> None:
        self._settings = settings
        self._allow_private = settings.allow_private if allow_private is None else allow_private
        self._global_slots = asyncio.Semaphore(max(1, settings.concurrency))
        self._hosts: dict[str, _HostSchedule] = {}
        self._robots: dict[str, asyncio.Task[_Robots]] = {}
        self._addresses: dict[str, list[str]] = {}
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        self._client = httpx.AsyncClient(
            follow_redirects=False,  # each hop is checked against robots.txt and the address rule
            trust_env=False,  # a proxy would defeat the address rule, which resolves names here
            timeout=httpx.Timeout(self._settings.timeout),
            limits=httpx.Limits(max_connections=max(1, self._settings.concurrency)),
            headers={"User-Agent": self._settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for task in self._robots.values():
            task.cancel()
        await asyncio.gather(*self._robots.values(), return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(
        self,
        url: str,
        *,
        accept: str = "html",
        etag: str | None = None,
        last_modified: str | None = None,
        allow_private: bool | None = None,
    ) -> FetchResult:
        """GET `url`, following redirects; `accept` is "html", "xml", "text" or "any".

        With `etag` or `last_modified` the request is conditional and a 304 answer gives a result
        whose `not_modified` is true. Raises FetchError for every network or HTTP problem.
        """
        if accept not in ACCEPT_HEADERS:
            raise ValueError(f"accept must be one of {', '.join(ACCEPT_HEADERS)}, not {accept!r}")
        headers = {"Accept": ACCEPT_HEADERS[accept]}
        # Validators come back from servers; one that cannot be sent as a header only costs the shortcut.
        if etag and _sendable(etag):
            headers["If-None-Match"] = etag
        if last_modified and _sendable(last_modified):
            headers["If-Modified-Since"] = last_modified
        conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
        reply = await self._follow(
            url, headers, accept, self._allowed(allow_private), check_robots=self._settings.respect_robots
        )
        if reply.status == 304 and not conditional:
            raise FetchError(url, "http-304", "HTTP 304 Not Modified to a request that was not conditional")
        return FetchResult(
            url=url,
            final_url=str(reply.url),
            status=reply.status,
            content=reply.content,
            content_type=reply.media_type,
            headers={key.lower(): value for key, value in reply.headers.items()},
            etag=reply.headers.get("etag"),
            last_modified=reply.headers.get("last-modified"),
        )

    async def sitemaps_from_robots(self, url: str, *, allow_private: bool | None = None) -> list[str]:
        """The Sitemap: lines of the robots.txt of `url`'s origin; empty when the site has none."""
        allowed = self._allowed(allow_private)
        start = _parse_url(url)
        try:
            await self._check_address(start, allowed)
        except FetchError as error:
            raise FetchError(url, error.reason, error.detail) from None
        robots = await self._robots_for(start, allowed)
        if robots.unreachable is not None:
            raise FetchError(url, robots.unreachable.reason, f"robots.txt: {robots.unreachable.detail}")
        return list(robots.rules.sitemaps) if robots.rules is not None else []

    def _allowed(self, allow_private: bool | None) -> bool:
        return self._allow_private if allow_private is None else allow_private

    async def _follow(
        self, url: str, headers: dict[str, str], accept: str, allow_private: bool, *, check_robots: bool
    ) -> _Reply:
        """Request `url` and follow its redirects; errors name `url`, and the hop where they happened."""
        current = _parse_url(url)
        seen = {str(current)}
        while True:
            try:
                await self._check_address(current, allow_private)
                if check_robots:
                    await self._check_robots(current, allow_private)
                reply = await self._get(current, headers, accept)
                if reply.status not in _REDIRECT_STATUSES:
                    return reply
                target = _redirect_target(reply)
            except FetchError as error:
                where = "" if len(seen) == 1 else f" (after redirects, at {current})"
                raise FetchError(url, error.reason, error.detail + where) from None
            if str(target) in seen:
                raise FetchError(url, "redirect-loop", f"redirects lead back to {target}")
            if len(seen) > self._settings.max_redirects:
                raise FetchError(
                    url, "too-many-redirects", f"more than {self._settings.max_redirects} redirects"
                )
            seen.add(str(target))
            current = target

    async def _get(self, url: httpx.URL, headers: dict[str, str], accept: str) -> _Reply:
        attempt = 0
        while True:
            try:
                return await self._attempt(url, headers, accept)
            except _Retry as problem:
                if attempt >= self._settings.retries:
                    raise problem.error from None
                wait = problem.retry_after
                # Exponential backoff with jitter, so clients that failed together spread out.
                if wait is None:
                    wait = self._settings.backoff * 2**attempt * random.uniform(1.0, 1.25)
                attempt += 1
                await asyncio.sleep(wait)

    async def _attempt(self, url: httpx.URL, headers: dict[str, str], accept: str) -> _Reply:
        if self._client is None:
            raise RuntimeError("use the Fetcher as `async with Fetcher(settings) as fetcher:`")
        timeout = self._settings.timeout
        async with self._schedule(url.host).turn(self._global_slots):
            try:
                # The total limit also ends servers that trickle bytes slower than any read timeout.
                async with asyncio.timeout(timeout):
                    async with self._client.stream("GET", url, headers=headers) as response:
                        return await self._receive(url, response, accept)
            except (TimeoutError, httpx.TimeoutException):
                raise _Retry(
                    FetchError(str(url), "timeout", f"no complete answer within {timeout:g} s")
                ) from None
            except _TRANSPORT_ERRORS as exc:
                error = FetchError(str(url), _reason_for(exc), _describe(exc))
                if error.reason in _RETRY_REASONS:
                    raise _Retry(error) from None
                raise error from None

    async def _receive(self, url: httpx.URL, response: httpx.Response, accept: str) -> _Reply:
        status = response.status_code
        said = f"HTTP {status} {response.reason_phrase}".strip()
        if status in _RETRY_STATUSES:
            retry_after = _retry_after(response.headers.get("retry-after"))
            if retry_after is not None and retry_after > self._settings.max_retry_after:
                limit = self._settings.max_retry_after
                detail = f"{said} asks to retry after {retry_after:.0f} s (more than {limit:g} s)"
                raise FetchError(str(url), "rate-limited", detail)
            reason = "rate-limited" if status == 429 else f"http-{status}"
            raise _Retry(FetchError(str(url), reason, said), retry_after)
        if status in _REDIRECT_STATUSES or status == 304:
            return _Reply(url, status, response.headers)
        if not 200 <= status < 300:
            raise FetchError(str(url), f"http-{status}", said)

        declared = _media_type(response.headers.get("content-type"))
        expected = _EXPECTED.get(accept, accept)
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self._settings.max_bytes:
            detail = f"Content-Length {int(length):,} bytes exceeds the limit of {self._settings.max_bytes:,}"
            raise FetchError(str(url), "too-large", detail)
        decided_by_header = declared is not None and not (accept == "xml" and declared == "text/html")
        if decided_by_header and not _acceptable(accept, declared):
            raise FetchError(str(url), "content-type", f"expected {expected}, got {declared}")
        content = await self._read_body(url, response)
        if not content.strip():
            raise FetchError(str(url), "empty", f"{said} with an empty body")
        media_type = _effective_type(accept, declared, content[:_SNIFF_BYTES])
        if not _acceptable(accept, media_type):
            got = declared or f"no Content-Type and a body that looks like {media_type or 'binary data'}"
            raise FetchError(str(url), "content-type", f"expected {expected}, got {got}")
        return _Reply(url, status, response.headers, content, media_type)

    async def _read_body(self, url: httpx.URL, response: httpx.Response) -> bytes:
        """The decoded body, never holding more than max_bytes of it."""
        limit = self._settings.max_bytes
        too_large = FetchError(str(url), "too-large", f"the body exceeds the limit of {limit:,} bytes")
        encoding = response.headers.get("content-encoding")
        try:
            inflater = _Inflater(encoding)
        except ValueError:
            raise FetchError(str(url), "content-type", f"unsupported Content-Encoding {encoding!r}") from None
        body = bytearray()

        def add(piece: bytes) -> None:
            if len(body) + len(piece) > limit:
                raise too_large
            body.extend(piece)

        try:
            async for chunk in response.aiter_raw():
                add(inflater.decode(chunk, room=limit - len(body)))
            add(inflater.flush())
        except zlib.error as exc:
            raise FetchError(str(url), "network", f"corrupt {encoding} body: {exc}") from None
        return bytes(body)

    def _schedule(self, host: str) -> _HostSchedule:
        schedule = self._hosts.get(host)
        if schedule is None:
            schedule = _HostSchedule(self._settings.per_host_concurrency, self._settings.per_host_delay)
            self._hosts[host] = schedule
        return schedule

    async def _check_address(self, url: httpx.URL, allow_private: bool) -> None:
        """Refuse hosts on private, loopback, link-local and other non-public addresses."""
        if allow_private:
            return
        host = url.raw_host.decode("ascii")
        try:
            ipaddress.ip_address(host)
            addresses, literal = [host], True
        except ValueError:  # a name, not an address literal
            addresses = await self._resolve(url)
            literal = False
        private = [address for address in addresses if not is_public_address(address)]
        if private:
            where = "is" if literal else f"resolves to {private[0]},"
            detail = f"{url.host} {where} a non-public address (allow_private would permit it)"
            raise FetchError(str(url), "private-address", detail)

    async def _resolve(self, url: httpx.URL) -> list[str]:
        host = url.raw_host.decode("ascii")
        addresses = self._addresses.get(host)
        if addresses is None:
            try:
                async with asyncio.timeout(self._settings.timeout):
                    addresses = await _resolve(host, _port(url))
            except TimeoutError:
                raise FetchError(str(url), "dns", f"looking up {url.host} timed out") from None
            except (OSError, UnicodeError) as exc:
                raise FetchError(str(url), "dns", f"{url.host} does not resolve: {_describe(exc)}") from None
            self._addresses[host] = addresses
        return addresses

    async def _check_robots(self, url: httpx.URL, allow_private: bool) -> None:
        robots = await self._robots_for(url, allow_private)
        if robots.unreachable is not None:
            problem = robots.unreachable
            if problem.reason in _UNREACHABLE_REASONS:  # the page would fail the same way: say why
                raise FetchError(str(url), problem.reason, f"{problem.detail} (reading robots.txt)")
            detail = f"robots.txt could not be read ({problem.detail}), so the site is off limits"
            raise FetchError(str(url), "robots", detail)
        if robots.rules is not None and not robots.rules.can_fetch(str(url), self._settings.user_agent):
            raise FetchError(str(url), "robots", "robots.txt disallows this URL for our user agent")

    async def _robots_for(self, url: httpx.URL, allow_private: bool) -> _Robots:
        """The origin's robots.txt rules, fetched once per Fetcher even when many requests ask at once."""
        origin = f"{url.scheme}://{url.host}:{_port(url)}"
        task = self._robots.get(origin)
        if task is None:
            robots_url = url.copy_with(path="/robots.txt", query=None)
            task = asyncio.create_task(self._load_robots(robots_url, allow_private))
            self._robots[origin] = task
        # Shielded: one cancelled caller must not cancel the download the others are waiting for.
        return await asyncio.shield(task)

    async def _load_robots(self, robots_url: httpx.URL, allow_private: bool) -> _Robots:
        try:
            reply = await self._follow(
                str(robots_url), {"Accept": "text/plain,*/*;q=0.1"}, "any", allow_private, check_robots=False
            )
        except FetchError as error:
            if error.reason == "empty" or error.reason.startswith("http-4"):
                return _Robots(None)  # RFC 9309: no robots.txt means no restrictions
            return _Robots(None, unreachable=error)
        rules = Protego.parse(reply.content.decode("utf-8", errors="replace"))
        crawl_delay = rules.crawl_delay(self._settings.user_agent)
        if crawl_delay:
            schedule = self._schedule(robots_url.host)
            schedule.delay = max(schedule.delay, float(crawl_delay))
        return _Robots(rules)


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet: not private, loopback, link-local, reserved,
    multicast, unspecified or shared (carrier-grade NAT), also when written as IPv4-mapped IPv6."""
    ip = ipaddress.ip_address(address.split("%")[0])  # without an IPv6 zone index ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    non_public = (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )
    return ip.is_global and not non_public


async def _resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchError(str(url), "invalid-url", f"not a URL: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise FetchError(str(url), "invalid-url", "only http and https URLs can be fetched")
    if not parsed.host:
        raise FetchError(str(url), "invalid-url", "the URL has no host")
    return parsed.copy_with(fragment=None)  # fragments are never sent; without them loops are found


def _redirect_target(reply: _Reply) -> httpx.URL:
    location = reply.headers.get("location")
    if not location:
        raise FetchError(
            str(reply.url), f"http-{reply.status}", f"HTTP {reply.status} redirect without Location"
        )
    try:
        target = reply.url.join(location)
    except httpx.InvalidURL as exc:
        raise FetchError(
            str(reply.url), "invalid-url", f"redirect to a bad URL {location!r}: {exc}"
        ) from None
    return _parse_url(str(target))


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: given as seconds or as an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _media_type(content_type: str | None) -> str | None:
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type or None


def _effective_type(accept: str, declared: str | None, head: bytes) -> str | None:
    if declared is None:
        return _sniff(head)
    if accept == "xml" and declared == "text/html" and _looks_like_xml(head):
        return "application/xml"  # feeds are often served as text/html
    return declared


def _acceptable(accept: str, media_type: str | None) -> bool:
    if accept == "any":
        return True
    if media_type is None:
        return False
    if accept == "html":
        return media_type in _HTML_TYPES
    if accept == "xml":
        return "xml" in media_type or media_type == "text/plain"
    return media_type.startswith("text/")


def _sniff(head: bytes) -> str | None:
    if _looks_like_html(head):
        return "text/html"
    if _looks_like_xml(head):
        return "application/xml"
    return "text/plain" if b"\x00" not in head else None


def _start(head: bytes) -> bytes:
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()


def _looks_like_html(head: bytes) -> bool:
    start = _start(head)
    if start.startswith(b"<!--"):
        return True
    return any(start.startswith(tag) and start[len(tag) : len(tag) + 1] in _TAG_ENDS for tag in _HTML_TAGS)


def _looks_like_xml(head: bytes) -> bool:
    return _start(head).startswith(_XML_STARTS)


def _sendable(value: str) -> bool:
    return value.isascii() and value.isprintable()


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _reason_for(exc: BaseException) -> str:
    causes = _causes(exc)
    for kinds, reason in (
        (ssl.SSLError, "tls"),
        (socket.gaierror, "dns"),
        (ConnectionRefusedError, "connection-refused"),
        ((TimeoutError, httpx.TimeoutException), "timeout"),
    ):
        if any(isinstance(cause, kinds) for cause in causes):
            return reason
    return "network"


def _describe(exc: BaseException) -> str:
    """One line for people: the innermost cause usually says the most ("Connect call failed ...")."""
    for cause in reversed(_causes(exc)):
        message = " ".join(str(cause).split())
        if message:
            return message
    return type(exc).__name__


class _Inflater:
    """Undoes a gzip or deflate Content-Encoding in bounded steps, so that a small compressed body can
    never inflate past the size limit in memory (httpx's own decoder has no bound)."""

    def __init__(self, content_encoding: str | None) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise ValueError(content_encoding)
        self._coding = codings[0] if codings else None
        wbits = zlib.MAX_WBITS | 16 if self._coding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(wbits) if self._coding else None
        self._started = False

    def decode(self, data: bytes, room: int) -> bytes:
        """Decoded bytes of `data`, at most room + 1 of them (one more than fits tells the caller)."""
        if self._zlib is None:
            return data
        try:
            piece = self._zlib.decompress(data, room + 1)
        except zlib.error:
            if self._coding != "deflate" or self._started:
                raise
            # Some servers send "deflate" as a raw stream without the zlib header.
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            piece = self._zlib.decompress(data, room + 1)
        self._started = True
        return piece

    def flush(self) -> bytes:
        return self._zlib.flush() if self._zlib is not None else b""
