"""Typed exceptions for the store's error codes (docs/api.md, "Errors").

Every error the server answers becomes a :class:`FeatureStoreError`
subclass chosen by its ``code``; each carries ``code``, ``field`` (the
field the server names, when it names one), ``status``, ``message`` and
``request_id`` (which finds the request in the server's logs).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Type


class FeatureStoreError(Exception):
    """An error answered by the store (or found before sending, for the same reasons)."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "client_error",
        field: Optional[str] = None,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        body: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.status = status
        self.request_id = request_id
        self.body = body or {}

    def __str__(self) -> str:
        where = f" [{self.code}" + (f", field {self.field}" if self.field else "") + "]"
        return f"{self.message}{where}"


class ValidationError(FeatureStoreError):
    """400: a field breaks a rule (``invalid_field``, ``unknown_feature``)."""


class InvalidRowsError(ValidationError):
    """400 ``invalid_rows``: bulk ingest with ``on_invalid="reject"``; ``rejected`` holds the rows."""

    rejected: Any = None


class AuthenticationError(FeatureStoreError):
    """401: credentials missing or wrong, or a SigV4 signature that does not verify."""


class AccessDeniedError(FeatureStoreError):
    """403: the key's policy does not allow the action on the resource."""


class NotFoundError(FeatureStoreError):
    """404: no such feature group, feature, record, job, upload or route."""


class FeatureGroupNotFoundError(NotFoundError):
    """404 ``feature_group_not_found``."""


class RecordNotFoundError(NotFoundError):
    """404 ``record_not_found``."""


class ConflictError(FeatureStoreError):
    """409: the name is taken, the group is busy, or the request conflicts with the state."""


class FeatureGroupExistsError(ConflictError):
    """409 ``feature_group_exists``."""


class PayloadTooLargeError(FeatureStoreError):
    """413: a body or a record over its limit."""


class ThrottledError(FeatureStoreError):
    """429: the key is over its rate limit (retried with backoff before this is raised)."""


class ServerError(FeatureStoreError):
    """500 ``internal_error``: an unexpected failure on the server."""


class UnavailableError(FeatureStoreError):
    """503 ``unavailable``: retryable (retried before this is raised)."""


class DatasetJobError(FeatureStoreError):
    """An asynchronous dataset job that failed or was cancelled."""


_BY_CODE: Dict[str, Type[FeatureStoreError]] = {
    "invalid_field": ValidationError,
    "unknown_feature": ValidationError,
    "invalid_rows": InvalidRowsError,
    "unauthenticated": AuthenticationError,
    "signature_invalid": AuthenticationError,
    "access_denied": AccessDeniedError,
    "feature_group_not_found": FeatureGroupNotFoundError,
    "feature_not_found": NotFoundError,
    "record_not_found": RecordNotFoundError,
    "resource_not_found": NotFoundError,
    "route_not_found": NotFoundError,
    "feature_group_exists": FeatureGroupExistsError,
    "feature_group_busy": ConflictError,
    "event_time_not_newer": ConflictError,
    "update_older_event_time": ConflictError,
    "conflict": ConflictError,
    "payload_too_large": PayloadTooLargeError,
    "throttled": ThrottledError,
    "internal_error": ServerError,
    "unavailable": UnavailableError,
}

_BY_STATUS: Dict[int, Type[FeatureStoreError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: AccessDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    429: ThrottledError,
    500: ServerError,
    503: UnavailableError,
}


def error_from_response(status: int, body: Any, request_id: Optional[str]) -> FeatureStoreError:
    """The exception for an error response: by ``error.code``, else by HTTP status."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = str(error.get("code", "unknown"))
        cls = _BY_CODE.get(code) or _BY_STATUS.get(status, FeatureStoreError)
        return cls(
            str(error.get("message", f"HTTP {status}")),
            code=code,
            field=error.get("field"),
            status=status,
            request_id=error.get("requestId") or request_id,
            body=body,
        )
    # SageMaker wire shape ({"__type", "Message"}) or no JSON at all.
    if isinstance(body, dict) and "__type" in body:
        cls = _BY_STATUS.get(status, FeatureStoreError)
        return cls(str(body.get("Message", "")), code=str(body["__type"]), status=status, request_id=request_id, body=body)
    cls = _BY_STATUS.get(status, FeatureStoreError)
    return cls(f"HTTP {status}", code=f"http_{status}", status=status, request_id=request_id)
