"""DataFrame ingest through the bulk endpoint
(``POST /v1/feature-groups/{name}/records/batch``, docs/api.md "Bulk ingest").

The frame is cut into chunks of at most ``chunk_rows`` rows (and a body
size the server takes: 32 MiB streamed, 4 MiB when SigV4-signed), each
sent as an Arrow IPC stream, ``max_workers`` at a time.

Retries are safe: every chunk carries an ``Idempotency-Key``
(``<key>-<first row>-<rows>``), so the server writes its offline rows once
however often it arrives (a repeat reports them as ``alreadyWritten``),
and keeps the first attempt's write sequence, so a repeated row applies
online only where it is still the newest version. A ``207`` (a shard
failed part-way; the offline rows are all written) is retried with the
same key to complete the online store. Passing the same ``idempotency_key``
again with the same frame and chunk size resumes an interrupted ingest
without duplicating offline rows.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

import pandas as pd

from ._frames import frame_to_table, ipc_stream
from ._http import Transport
from ._progress import Progress, ProgressArg
from .errors import FeatureStoreError, InvalidRowsError, ValidationError
from .features import FeatureDefinition

MAX_BULK_ROWS = 100_000
MAX_STREAMED_BODY_BYTES = 32 * 1024 * 1024
ARROW_STREAM = "application/vnd.apache.arrow.stream"
TARGETS = {"online": "online", "offline": "offline", "both": "online,offline"}
ERROR_COLUMNS = ["error_code", "error_field", "error_rule"]


@dataclass
class IngestResult:
    """What an ingest did. ``rejected``: the invalid rows (the frame's own index and columns,
    plus ``error_code``, ``error_field``, ``error_rule``)."""

    rows: int = 0
    written: int = 0
    online_written: int = 0
    online_older_event_time_ignored: int = 0
    offline_written: int = 0
    offline_already_written: int = 0
    invalid_rows: int = 0
    not_written: int = 0
    chunks: int = 0
    retries: int = 0
    seconds: float = 0.0
    idempotency_key: str = ""
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: True when a chunk had more invalid rows than the server lists (1,000 per request).
    rejected_truncated: bool = False

    def __repr__(self) -> str:
        return (
            f"IngestResult(rows={self.rows}, written={self.written}, online_written={self.online_written}, "
            f"offline_written={self.offline_written}, offline_already_written={self.offline_already_written}, "
            f"invalid_rows={self.invalid_rows}, not_written={self.not_written}, chunks={self.chunks}, "
            f"seconds={self.seconds:.1f})"
        )


@dataclass
class _ChunkOutcome:
    start: int
    report: Dict[str, Any]
    online_written: int
    offline_written: int
    retries: int


def _chunks(total: int, chunk_rows: int) -> List[Tuple[int, int]]:
    return [(start, min(start + chunk_rows, total)) for start in range(0, total, chunk_rows)]


def duration_text(delay: Any) -> str:
    """A delay as the API's text (90m, 2h, 1d): from text as is, or from a timedelta in seconds."""
    if isinstance(delay, str):
        return delay
    seconds = pd.Timedelta(delay).total_seconds()
    if seconds != int(seconds) or seconds < 0:
        raise ValueError("available_delay must be a whole, non-negative number of seconds")
    return f"{int(seconds)}s"


class Ingestor:
    def __init__(self, transport: Transport, group: str, features: Mapping[str, FeatureDefinition]) -> None:
        self.transport = transport
        self.group = group
        self.features = features

    def run(
        self,
        df: pd.DataFrame,
        *,
        target: str,
        on_invalid: str,
        chunk_rows: int,
        max_workers: int,
        progress: ProgressArg,
        available_from: Optional[str],
        available_delay: Any,
        idempotency_key: Optional[str],
    ) -> IngestResult:
        if target not in TARGETS:
            raise ValueError('target must be "online", "offline" or "both"')
        if on_invalid not in ("skip", "reject"):
            raise ValueError('on_invalid must be "skip" or "reject"')
        unknown = [str(c) for c in df.columns if str(c) not in self.features]
        if unknown:
            raise ValidationError(
                f"columns {', '.join(unknown)} are not features of {self.group}",
                code="unknown_feature",
                field=unknown[0],
            )
        if not 1 <= chunk_rows <= MAX_BULK_ROWS:
            raise ValueError(f"chunk_rows must be 1 to {MAX_BULK_ROWS}")
        params: Dict[str, str] = {"targetStores": TARGETS[target], "onInvalid": on_invalid}
        if available_from is not None:
            params["availableFrom"] = {"event_time": "eventTime", "eventTime": "eventTime", "accepted": "accepted"}.get(available_from, available_from)
        if available_delay is not None:
            params.setdefault("availableFrom", "eventTime")
            params["availableDelay"] = duration_text(available_delay)
        key = idempotency_key or uuid.uuid4().hex
        result = IngestResult(idempotency_key=key)
        started = time.monotonic()
        bar = Progress(progress, len(df), f"ingest {self.group}")
        rejected: List[pd.DataFrame] = []
        failure: Optional[FeatureStoreError] = None
        try:
            with ThreadPoolExecutor(max_workers=max_workers) as pool:
                pending: Dict[Future, Tuple[int, int]] = {}
                queue = _chunks(len(df), chunk_rows)
                while queue or pending:
                    while queue and len(pending) < max_workers * 2 and failure is None:
                        start, end = queue.pop(0)
                        pending[pool.submit(self._send, df, start, end, params, key)] = (start, end)
                    if not pending:
                        break
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        start, end = pending.pop(future)
                        try:
                            outcomes = future.result()
                        except InvalidRowsError as error:
                            outcomes = [_ChunkOutcome(getattr(error, "chunk_start", start), error.body.get("report", {}), 0, 0, 0)]
                            failure = failure or error
                        except FeatureStoreError as error:
                            failure = failure or error
                            continue
                        for outcome in outcomes:
                            self._add(result, outcome, df, rejected)
                        bar.advance(end - start)
                    if failure is not None:
                        queue.clear()
        finally:
            bar.close()
        result.seconds = time.monotonic() - started
        result.rejected = _rejected_frame(df, rejected)
        if failure is not None:
            failure.result = result  # type: ignore[attr-defined]
            if isinstance(failure, InvalidRowsError):
                failure.rejected = result.rejected
            raise failure
        return result

    def _send(self, df: pd.DataFrame, start: int, end: int, params: Dict[str, str], key: str) -> List[_ChunkOutcome]:
        table = frame_to_table(df.iloc[start:end], self.features)
        body = ipc_stream(table)
        limit = min(MAX_STREAMED_BODY_BYTES, self.transport.max_body_bytes or MAX_STREAMED_BODY_BYTES)
        if len(body) > limit and end - start > 1:
            middle = start + (end - start) // 2
            return self._send(df, start, middle, params, key) + self._send(df, middle, end, params, key)
        headers = {"Content-Type": ARROW_STREAM, "Idempotency-Key": f"{key}-{start}-{end - start}"}
        path = f"/v1/feature-groups/{self.group}/records/batch"
        online = offline = retries = 0
        while True:
            try:
                response = self.transport.request("POST", path, params=params, data=body, headers=headers, ok_statuses=(207,))
            except InvalidRowsError as error:
                error.chunk_start = start  # type: ignore[attr-defined]
                raise
            report = response.json()
            online += report.get("online", {}).get("written", 0)
            offline += report.get("offline", {}).get("written", 0)
            if response.status_code != 207 or retries >= self.transport.max_retries:
                if response.status_code == 207:
                    raise FeatureStoreError(
                        f"rows {start}-{end - 1}: {report.get('notWritten')} rows did not reach the online store "
                        f"after {retries} retries: {report.get('error', {}).get('message')}",
                        code=report.get("error", {}).get("code", "unavailable"),
                        body=report,
                    )
                return [_ChunkOutcome(start, report, online, offline, retries)]
            retries += 1  # a shard failed part-way: the same key completes the online store
            self.transport._sleep(retries)

    def _add(self, result: IngestResult, outcome: _ChunkOutcome, df: pd.DataFrame, rejected: List[pd.DataFrame]) -> None:
        report = outcome.report
        result.chunks += 1
        result.retries += outcome.retries
        result.rows += report.get("rows", 0)
        result.written += report.get("written", 0)
        result.online_written += outcome.online_written
        result.online_older_event_time_ignored += report.get("online", {}).get("olderEventTimeIgnored", 0)
        result.offline_written += outcome.offline_written
        # A retry sees its own first attempt's rows as already written; count only earlier runs'.
        already = report.get("offline", {}).get("alreadyWritten", 0)
        result.offline_already_written += max(0, already - (outcome.offline_written - report.get("offline", {}).get("written", 0)))
        result.invalid_rows += report.get("invalidRows", 0)
        result.not_written += report.get("notWritten", 0)
        problems = report.get("invalid", [])
        if report.get("invalidRows", 0) > len(problems):
            result.rejected_truncated = True
        if problems:
            positions = [outcome.start + p["row"] - 1 for p in problems]
            rows = df.iloc[positions].copy()
            rows["error_code"] = [p.get("code") for p in problems]
            rows["error_field"] = [p.get("field") for p in problems]
            rows["error_rule"] = [p.get("rule") for p in problems]
            rejected.append(rows)


def _rejected_frame(df: pd.DataFrame, parts: List[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return df.iloc[0:0].assign(**{c: pd.Series(dtype="string") for c in ERROR_COLUMNS})
    out = pd.concat(parts)
    order = df.index.get_indexer(out.index) if df.index.is_unique else None
    return out.iloc[order.argsort()] if order is not None else out
