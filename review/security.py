"""The review app's request checks: access token, allowed Host, CSRF token, and the response headers.

Bound to loopback without a token, the app still refuses requests whose Host header names another
machine (a DNS-rebinding page in the analyst's browser would send its own name). With a token, every
request must carry it: `?token=` once (it becomes an HttpOnly, SameSite=Lax cookie and the URL is
cleaned), the cookie, or an `Authorization: Bearer` header; compared in constant time. State changes
are POST only and carry the session's CSRF token; a cross-site Origin is refused as well.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import quote, urlencode, urlsplit

from flask import Flask, abort, current_app, redirect, request, session

TOKEN_COOKIE = "brief_token"
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
MISSING_TOKEN = (
    "This server needs its access token: open the address once with ?token=YOUR-TOKEN added "
    "(ask whoever started `brief serve`), or send it as an Authorization: Bearer header."
)
MAX_BODY = 1024 * 1024  # bytes of a request body: forms hold a headline or a few ids, never a document
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def install(app: Flask) -> None:
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        # Lax, not Strict: a link to an incident pasted into chat or mail must open it (a Strict cookie is
        # not sent on that first navigation: 401, or a fresh session whose CSRF token stales other tabs).
        # Lax cookies still never ride along on another site's POST, frame, image or fetch.
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="brief_session",
        MAX_CONTENT_LENGTH=MAX_BODY,
    )
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def check_request():
        token = current_app.config["BRIEF_TOKEN"]
        if token:
            given = request.args.get("token")
            if given is not None:
                if not same(given, token):
                    abort(401, MISSING_TOKEN)
                # the token leaves the URL (history, logs) and lives on in a cookie
                rest = {k: v for k, v in request.args.items(multi=True) if k != "token"}
                # quoted (a tab or backslash would let browsers read "/\t/host" as "//host"), then one
                # leading slash: "//host" would be a redirect to another site
                path = quote(request.path, safe="/:@!$&'()*+,;=-._~").lstrip("/")
                target = f"{request.script_root}/{path}" + ("?" + urlencode(rest) if rest else "")
                response = redirect(target, code=303)
                response.set_cookie(
                    TOKEN_COOKIE, token, httponly=True, samesite="Lax", secure=request.is_secure
                )
                return response
            header = request.headers.get("Authorization", "")
            bearer = header[7:] if header.startswith("Bearer ") else None
            if not (same(request.cookies.get(TOKEN_COOKIE), token) or same(bearer, token)):
                abort(401, MISSING_TOKEN)
        elif urlsplit("//" + request.host).hostname not in LOOPBACK_NAMES:
            abort(403, "this address is not served: the app answers only as 127.0.0.1 or localhost")
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if origin and origin != "null" and urlsplit(origin).netloc != request.host:
                abort(403, "cross-site request refused")
            if not same(request.form.get("csrf"), session.get("csrf", "")) or not session.get("csrf"):
                abort(400, "the form's security token is missing or stale: reload the page and try again")

    @app.after_request
    def add_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
