"""One HTTP transport: authentication, retries with backoff, typed errors.

Retried: connection failures, 429 ``throttled``, 503 ``unavailable`` and
502/504 from a proxy, with exponential backoff and jitter. Every retried
request is safe to repeat: reads are; bulk ingest carries an
``Idempotency-Key`` (the server writes a key's offline rows once, and the
shards apply a row only if it is newer than what they hold); uploads
replace the same object with the same bytes. Other writes (create, put)
are not retried after the server may have seen them, except on 429/503,
which the server answers before changing anything.
"""

from __future__ import annotations

import json
import random
import threading
import time
from typing import Any, Dict, Mapping, Optional, Union

import requests

from ._auth import SIGNED_BODY_LIMIT, bearer_headers, sigv4_headers
from ._config import Settings
from .errors import FeatureStoreError, PayloadTooLargeError, error_from_response

RETRY_STATUSES = {429, 502, 503, 504}
USER_AGENT = "edge-feature-store-python/0.1"


class Transport:
    def __init__(
        self,
        settings: Settings,
        *,
        auth: str = "bearer",
        region: str = "us-east-1",
        timeout: float = 300.0,
        max_retries: int = 5,
        backoff: float = 0.5,
    ) -> None:
        if auth not in ("bearer", "sigv4"):
            raise ValueError('auth must be "bearer" or "sigv4"')
        self.settings = settings
        self.auth = auth
        self.region = region
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        # requests.Session is not documented as thread-safe: one per thread.
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            self._local.session = session
        return session

    @property
    def max_body_bytes(self) -> Optional[int]:
        """The largest body this transport can send (SigV4 bodies are read whole by the server)."""
        return SIGNED_BODY_LIMIT if self.auth == "sigv4" else None

    def _auth_headers(self, method: str, url: str, headers: Dict[str, str], body: bytes) -> Dict[str, str]:
        s = self.settings
        if self.auth == "bearer":
            return bearer_headers(s.access_key_id, s.secret_access_key)
        if len(body) > SIGNED_BODY_LIMIT:
            raise PayloadTooLargeError(
                f"a SigV4-signed body is read whole by the server and may be at most {SIGNED_BODY_LIMIT} bytes "
                f"(this one is {len(body)}); use auth='bearer' for larger uploads",
                code="payload_too_large",
                field="body",
            )
        return sigv4_headers(method, url, headers, body, s.access_key_id, s.secret_access_key, self.region)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json_body: Any = None,
        data: Union[bytes, None] = None,
        headers: Optional[Dict[str, str]] = None,
        retry: bool = True,
        ok_statuses: tuple = (),
    ) -> requests.Response:
        """Sends a request; returns a 2xx response (or one in ok_statuses), raises a typed error otherwise."""
        url = self.settings.endpoint + path
        prepared = requests.Request(method, url, params={k: v for k, v in (params or {}).items() if v is not None}).prepare()
        url = prepared.url
        body = data if data is not None else (json.dumps(json_body, separators=(",", ":")).encode() if json_body is not None else b"")
        base_headers = dict(headers or {})
        if json_body is not None:
            base_headers.setdefault("Content-Type", "application/json")
        attempt = 0
        while True:
            attempt += 1
            send_headers = {**base_headers, **self._auth_headers(method, url, base_headers, body)}
            try:
                response = self.session.request(method, url, data=body if body else None, headers=send_headers, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as error:
                if retry and attempt <= self.max_retries:
                    self._sleep(attempt)
                    continue
                raise FeatureStoreError(f"{method} {path}: {error}", code="connection_error") from error
            if response.status_code < 300 or response.status_code in ok_statuses:
                return response
            retryable = response.status_code in (429, 503) or (retry and response.status_code in RETRY_STATUSES)
            if retryable and attempt <= self.max_retries:
                self._sleep(attempt, response.headers.get("retry-after"))
                continue
            raise error_from_response(response.status_code, _json_or_none(response), response.headers.get("x-request-id"))

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None

    def _sleep(self, attempt: int, retry_after: Optional[str] = None) -> None:
        delay = self.backoff * (2 ** (attempt - 1)) * (0.5 + random.random())
        if retry_after and retry_after.isdigit():
            delay = max(delay, float(retry_after))
        time.sleep(min(delay, 30.0))


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
