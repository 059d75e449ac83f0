"""Request authentication: bearer (the native form) or AWS Signature Version 4.

SigV4 is signed as botocore signs for the ``sagemaker`` service: header
form, the payload's SHA-256 in the canonical request and in
``x-amz-content-sha256``. The server reads a signed body whole (at most
4 MiB, ``MAX_SIGNED_BODY_BYTES``), so large bodies need bearer
authentication; the client sizes its bulk chunks to fit.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
from typing import Dict, List, Tuple
from urllib.parse import quote, urlsplit

SIGNED_BODY_LIMIT = 4 * 1024 * 1024
SERVICE = "sagemaker"


def bearer_headers(access_key_id: str, secret: str) -> Dict[str, str]:
    return {"Authorization": f"Bearer {access_key_id}:{secret}"}


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs: List[Tuple[str, str]] = []
    from urllib.parse import unquote

    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((_encode(unquote(key)), _encode(unquote(value))))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def sigv4_headers(
    method: str,
    url: str,
    headers: Dict[str, str],
    body: bytes,
    access_key_id: str,
    secret: str,
    region: str,
    now: "_dt.datetime | None" = None,
) -> Dict[str, str]:
    """The headers to add (Authorization, X-Amz-Date, X-Amz-Content-Sha256) to sign a request."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    scope_date = amz_date[:8]
    parts = urlsplit(url)
    payload_hash = hashlib.sha256(body).hexdigest()
    to_sign = {k.lower(): " ".join(str(v).split()) for k, v in headers.items()}
    to_sign["host"] = parts.netloc
    to_sign["x-amz-date"] = amz_date
    to_sign["x-amz-content-sha256"] = payload_hash
    names = sorted(to_sign)
    # Non-S3 services encode the (already encoded) path once more.
    path = quote(parts.path or "/", safe="/-_.~")
    canonical = "\n".join(
        [
            method.upper(),
            path,
            _canonical_query(parts.query),
            "".join(f"{n}:{to_sign[n]}\n" for n in names),
            ";".join(names),
            payload_hash,
        ]
    )
    scope = f"{scope_date}/{region}/{SERVICE}/aws4_request"
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), scope_date), region), SERVICE), "aws4_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "X-Amz-Date": amz_date,
        "X-Amz-Content-Sha256": payload_hash,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}",
    }
