"""One HTTP call with the hub's discipline: timeouts, a rate limit, and every failure classified
(retriable / fatal / record-level) by the package's ``errors`` table first, then by sane defaults.

A failure is not always an HTTP status: many local systems answer HTTP 200 with
``{"status": false, "message": "..."}``. A package declares such an *answer envelope*
(``local_system.envelope``, docs/local-systems.md): a 2xx answer whose envelope does not say success is
classified by the same ``errors`` table (rules whose status is 200 or 2xx), and one no rule matches is
refused for a write (RecordError: the system answered, nothing is unknown) and fatal for a read (a feed
never reads as empty, a lookup never as "not found")."""

from __future__ import annotations

import email.utils
import json as json_module
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from jmespath.exceptions import JMESPathError
from requests.auth import AuthBase
from requests.utils import get_environ_proxies
from urllib3.exceptions import MaxRetryError, NewConnectionError

from connectors.errors import BusyAnswer, FatalError, LostReply, NotSent, RecordError
from connectors.mapping import search
from connectors.masking import scrub_text

UrlPolicy = Callable[[str], None]


@dataclass(frozen=True)
class AnswerDetail:
    """What a kind reads from an error answer (the soap kind: its Fault): ``text`` for the error's text
    (shown masked), ``fault_code`` for the ``errors`` rules that name one (``fault_code: Client``)."""

    text: str
    fault_code: str | None = None


# What a kind reads from an error answer, or None when the answer says nothing the kind understands.
ErrorDetail = Callable[[requests.Response], AnswerDetail | None]
# A page or an answer bigger than this is refused while it streams in, before it fills the worker's memory.
MAX_RESPONSE_BYTES = 10 * 1024 * 1024


class ResponseTooLarge(FatalError):
    """An answer over the size limit, refused while it streamed in."""


class RateLimiter:
    """At most ``per_second`` calls per second (a simple spacing limiter, shared by threads)."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Sleep until the next call may go."""
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            time.sleep(delay)


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _never_connected(exc: requests.ConnectionError) -> bool:
    """Whether the connection was never made (refused, unreachable, no such name), so nothing was sent.

    requests wraps urllib3's error: ``ConnectionError(MaxRetryError(reason=NewConnectionError))`` when the
    socket never connected (``NameResolutionError`` is a ``NewConnectionError``); a connection dropped after
    the request went out carries a ``ProtocolError`` instead."""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError)


def _matches(
    rule: dict[str, Any], status: int, body: str, message: str | None = None, fault_code: str | None = None
) -> bool:
    pattern = str(rule["status"])
    code_ok = pattern == str(status) or (pattern.endswith("xx") and str(status)[0] == pattern[0])
    if not code_ok or (rule.get("body_contains") and rule["body_contains"] not in body):
        return False
    if rule.get("fault_code") and not fault_code_matches(str(rule["fault_code"]), fault_code):
        return False
    wanted = rule.get("message_contains")
    return not wanted or (message is not None and str(wanted).casefold() in message.casefold())


def fault_code_matches(wanted: str, fault_code: str | None) -> bool:
    """Whether an answer's fault code is ``wanted`` (``Client``) or a more specific code under it
    (``Client.Authentication``, as SOAP 1.1 dots them), whatever namespace prefix the answer gives it
    (``soap:Client``, ``SOAP-ENV:Client``, ``env:Client``: the prefix is the system's choice)."""
    if not fault_code:
        return False
    local = fault_code.strip().rsplit(":", 1)[-1]
    return local == wanted or local.startswith(wanted + ".")


MAX_MESSAGE_CHARS = 300  # of a local system's message, in an error (masked: see connectors/masking.py)
_UNSET = object()


def envelope_message(envelope: dict[str, Any] | None, body: Any) -> str | None:
    """The local system's message in an answer's body, as the envelope's ``message`` expression reads it
    (text as it is, anything else as JSON); None when the envelope declares none or the body holds none."""
    if not envelope or not envelope.get("message"):
        return None
    try:
        found = search(envelope["message"], body)
    except (JMESPathError, RecursionError):  # a function given a value of another type: no message
        return None
    if found is None or found == "":
        return None
    return found if isinstance(found, str) else json_module.dumps(found, ensure_ascii=False, default=str)


def _shown(message: str | None) -> str:
    """A local message for an error text: NIK- and phone-like numbers masked, cut to a sane length."""
    if message is None:
        return ""
    # masked before it is cut: a NIK cut short at the end would no longer look like one, and stay
    text = scrub_text(" ".join(message.split()))
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 3] + "..."
    return f": {text}"


class HttpClient:
    """A session bound to one base URL, with auth, timeout, rate limit and error classification."""

    def __init__(
        self,
        base_url: str,
        auth: AuthBase | None = None,
        timeout: float = 30.0,
        rate_limit_per_second: float | None = None,
        error_rules: Sequence[dict[str, Any]] = (),
        url_policy: UrlPolicy | None = None,
        session: requests.Session | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        error_detail: ErrorDetail | None = None,
    ) -> None:
        """``error_detail``: what an error answer says: its text for the error's when no envelope message
        says one (shown masked), its fault code for the ``errors`` rules that name one."""
        self.base_url = base_url.rstrip("/")
        self.error_detail = error_detail
        self.timeout = timeout
        self.error_rules = list(error_rules)
        self.limiter = RateLimiter(rate_limit_per_second)
        self.url_policy = url_policy
        self.max_response_bytes = max_response_bytes
        self.session = session or requests.Session()
        self.session.auth = auth
        # requests reads the proxy and CA-bundle variables (and ~/.netrc) again on every call when
        # trust_env is on: ~0.4 ms of CPU per request. Read once per client and origin, same meaning;
        # credentials come from the package only, never from ~/.netrc.
        self.session.trust_env = False
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle:
            self.session.verify = bundle
        self._proxies: dict[tuple[str, str], dict[str, str]] = {}
        # every redirect hop is checked by the host policy before it is followed: an allowed host must not
        # bounce the hub to 169.254.169.254 or the hub's own database
        self.session.hooks["response"].append(self._check_redirect)

    def clone(self) -> HttpClient:
        """The same client (base URL, auth, timeout, error rules, URL policy, and the same rate limiter)
        on its own session: a ``requests.Session`` is not meant to be shared between threads."""
        twin = HttpClient(
            self.base_url,
            auth=self.session.auth,  # type: ignore[arg-type]
            timeout=self.timeout,
            error_rules=self.error_rules,
            url_policy=self.url_policy,
            max_response_bytes=self.max_response_bytes,
            error_detail=self.error_detail,
        )
        twin.limiter = self.limiter
        return twin

    def _check_redirect(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        if self.url_policy is not None and response.is_redirect:
            target = requests.compat.urljoin(response.url, response.headers.get("location", ""))
            try:
                self.url_policy(target)
            except FatalError as exc:
                response.close()
                raise FatalError(f"redirect from {response.url.split('?', 1)[0]} refused: {exc}") from None
        return response

    def _read_capped(self, response: requests.Response, where: str, limit: int) -> None:
        """Read the body, refusing it as soon as it is over ``limit`` bytes (declared or streamed)."""
        declared = response.headers.get("Content-Length", "")
        too_big = f"{where}: the answer is over {limit // (1024 * 1024)} MiB: refused"
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise ResponseTooLarge(too_big)
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > limit:
                response.close()
                raise ResponseTooLarge(too_big)
            chunks.append(chunk)
        response._content = b"".join(chunks)  # what .text / .json() read from now on
        response._content_consumed = True  # type: ignore[attr-defined]

    def url(self, path: str) -> str:
        """The absolute URL of a path under the base URL."""
        return self.base_url + path

    def request(
        self,
        method: str,
        url_or_path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        write: bool = False,
        files: Any = None,
        max_bytes: int | None = None,
        envelope: dict[str, Any] | None = None,
    ) -> requests.Response:
        """Send one request; return the response if it succeeded, else raise a classified ConnectorError.
        The body is read at once, up to ``max_bytes`` (default ``max_response_bytes``). ``envelope``: how
        a 2xx answer's body says success or failure (the package's ``envelope``); without it every 2xx
        answer succeeded. The request body is ``json`` (encoded by requests), ``data`` (bytes already
        encoded, with their Content-Type in ``headers``: connectors/encodings.py) or ``files``."""
        url = url_or_path if "://" in url_or_path else self.url(url_or_path)
        if self.url_policy is not None:
            self.url_policy(url)
        where = f"{method} {url.split('?', 1)[0]}"
        self.limiter.wait()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                headers=headers,
                files=files,
                timeout=self.timeout,
                proxies=self._proxies_for(url),
                stream=True,
            )
            self._read_capped(response, where, max_bytes or self.max_response_bytes)
        except requests.ConnectTimeout:
            raise NotSent(f"{where}: connection timed out") from None
        except requests.Timeout:
            raise LostReply(f"{where}: no answer within {self.timeout:g} s", write) from None
        except requests.ConnectionError as exc:
            if _never_connected(exc):
                raise NotSent(f"{where}: connection failed") from None
            raise LostReply(f"{where}: the connection dropped before the whole answer came", write) from None
        except requests.RequestException as exc:
            raise LostReply(f"{where}: {type(exc).__name__}", write) from None
        if 200 <= response.status_code < 300:
            if envelope:
                self._check_envelope(response, envelope, where, write)
            return response
        self._raise_for(response, where, write, envelope)
        return response  # unreachable: _raise_for always raises

    def _proxies_for(self, url: str) -> dict[str, str]:
        """The environment's proxies for this URL's origin (``no_proxy`` honoured), read once per origin."""
        parts = urlsplit(url)
        origin = (parts.scheme, parts.netloc)
        if origin not in self._proxies:
            self._proxies[origin] = get_environ_proxies(url)
        return self._proxies[origin]

    def _check_envelope(self, response: requests.Response, envelope: dict[str, Any], where: str, write: bool) -> None:
        """Raise a classified error when a 2xx answer's envelope does not say the request succeeded: the
        ``success`` predicate must give exactly ``true`` (false, null, a missing field or any other value
        is a failure). The parsed body is kept on the response for ``json_body``."""
        body = json_body(response, write)
        try:
            verdict = search(envelope["success"], body)
        except (JMESPathError, RecursionError):  # a body of another shape: not a success either
            verdict = None
        if verdict is True:
            return
        status = response.status_code
        message = envelope_message(envelope, body)
        text = f"{where}: HTTP {status}, the answer says the request failed{_shown(message)}"
        self.apply_error_rules(response, text, write, body=response.text[:2000], message=message)
        if write:
            # the system answered and said no: nothing is unknown, and the same record would get the same
            # answer again; refused, it waits in the dead letters with the system's own reason
            raise RecordError(text)
        raise FatalError(f"{text} (no errors rule matches it; a read that did not succeed is never taken as empty)")

    def apply_error_rules(
        self,
        response: requests.Response,
        text: str,
        outcome_unknown: bool,
        *,
        body: str,
        message: str | None = None,
        fault_code: str | None = None,
    ) -> None:
        """Raise what the first of the package's ``errors`` rules that matches this failed answer says
        (``text`` is the error's text); return when none matches, for the caller's default."""
        for rule in self.error_rules:
            if _matches(rule, response.status_code, body, message, fault_code):
                self._act(rule["action"], text, response, outcome_unknown=outcome_unknown)

    @staticmethod
    def _act(action: str, text: str, response: requests.Response, outcome_unknown: bool) -> None:
        """Raise what an ``errors`` rule's action says."""
        if action == "retry":
            raise BusyAnswer(
                text, retry_after_seconds(response.headers.get("Retry-After")), outcome_unknown=outcome_unknown
            )
        if action == "record":
            raise RecordError(text)
        raise FatalError(text)

    def _raise_for(
        self, response: requests.Response, where: str, write: bool, envelope: dict[str, Any] | None = None
    ) -> None:
        status = response.status_code
        body = response.text[:2000]
        local_message = None
        if envelope and envelope.get("message"):
            try:
                local_message = envelope_message(envelope, response.json())
            except (ValueError, RecursionError):  # an error page that is not JSON: no message
                local_message = None
        answer = self.error_detail(response) if self.error_detail is not None else None
        detail = local_message if local_message is not None else answer.text if answer is not None else None
        message = f"{where}: HTTP {status}{_shown(detail)}"
        unknown = write and status != 429  # a 429 was refused before processing; a 5xx may have applied
        fault_code = answer.fault_code if answer is not None else None
        self.apply_error_rules(response, message, unknown, body=body, message=local_message, fault_code=fault_code)
        if status == 429 or status >= 500:
            raise BusyAnswer(
                message,
                retry_after_seconds(response.headers.get("Retry-After")),
                outcome_unknown=unknown,
            )
        if status in (401, 403):
            raise FatalError(f"{message}: the local system refused the credentials")
        if write and status in (400, 409, 422):
            raise RecordError(message)
        raise FatalError(message)


def json_body(response: requests.Response, write: bool = False) -> Any:
    """The response's JSON; a truncated or malformed body is retriable (it is usually a transient fault)."""
    cached = getattr(response, "_mpphub_body", _UNSET)
    if cached is not _UNSET:
        return cached  # parsed once already, to read the answer's envelope
    where = f"{response.request.method} {str(response.url).split('?', 1)[0]}"
    try:
        body = response.json()
        response._mpphub_body = body  # type: ignore[attr-defined]  # parsed once, read again by the caller
        return body
    except ValueError:
        raise LostReply(f"{where}: the body is not valid JSON", write) from None
    except RecursionError:
        # thousands of nested brackets: hostile, not transient (a write's outcome is still unknown)
        if write:
            raise LostReply(f"{where}: the body nests too deeply to read", write=True) from None
        raise FatalError(f"{where}: the body nests too deeply to read: refused") from None
