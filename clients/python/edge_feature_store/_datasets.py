"""Point-in-time training sets (``POST /v1/datasets``, docs/time-travel.md).

Results travel as Arrow IPC (``format: "arrow"``), so feature columns keep
their declared types with no JSON round trip. A small entity frame is sent
inline; one over the synchronous limits (100,000 rows, or a body near
16 MiB) is uploaded as Parquet (``PUT /v1/uploads/{name}``, timestamps as
ISO text so nanoseconds survive) and joined by an asynchronous job whose
progress is polled.
"""

from __future__ import annotations

import json
import time
import uuid
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import pandas as pd
import pyarrow as pa

from ._frames import entity_parquet, entity_rows_json, restore_entity_dtypes, table_to_frame
from ._http import Transport
from ._progress import Progress, ProgressArg
from .errors import DatasetJobError, FeatureStoreError

MAX_SYNC_ENTITY_ROWS = 100_000
#: Bodies above this go asynchronous (the route reads at most 16 MiB).
MAX_SYNC_BODY_BYTES = 15 * 1024 * 1024
#: Entity Parquet row groups: a job chunk holds at most 150,000 rows.
UPLOAD_ROW_GROUP_ROWS = 100_000
TTL_UNITS = {"s": "Seconds", "m": "Minutes", "h": "Hours", "d": "Days", "w": "Weeks"}

FeatureGroupSpec = Union[str, Mapping[str, Any]]


def lookback_json(lookback: Any) -> Dict[str, Any]:
    """{"unit", "value"} from a dict, text such as "30d"/"12h", or a timedelta (as seconds)."""
    if isinstance(lookback, Mapping):
        return dict(lookback)
    if isinstance(lookback, str) and lookback[:-1].isdigit() and lookback[-1] in TTL_UNITS:
        return {"unit": TTL_UNITS[lookback[-1]], "value": int(lookback[:-1])}
    seconds = pd.Timedelta(lookback).total_seconds()
    return {"unit": "Seconds", "value": int(seconds)}


class DatasetBuilder:
    def __init__(self, transport: Transport, identifier_of: Callable[[str], str]) -> None:
        self.transport = transport
        self.identifier_of = identifier_of

    def group_json(self, spec: FeatureGroupSpec, entity_columns: Sequence[str]) -> Dict[str, Any]:
        if isinstance(spec, str):
            spec = {"name": spec}
        name = spec["name"]
        entity_column = spec.get("entity_column") or spec.get("entityColumn") or self.identifier_of(name)
        if entity_column not in entity_columns:
            raise FeatureStoreError(
                f"the entity frame has no column {entity_column!r} to join {name} on; "
                f"name it with {{'name': {name!r}, 'entity_column': ...}}",
                code="invalid_field",
                field="entity_column",
            )
        out: Dict[str, Any] = {"name": name, "entityColumn": entity_column}
        if spec.get("features") is not None:
            out["features"] = list(spec["features"])
        if spec.get("prefix") is not None:
            out["prefix"] = spec["prefix"]
        if spec.get("lookback") is not None:
            out["lookback"] = lookback_json(spec["lookback"])
        return out

    def build(
        self,
        entity_df: pd.DataFrame,
        timestamp_column: str,
        feature_groups: Sequence[FeatureGroupSpec],
        *,
        event_time_only: bool = False,
        include_deleted: bool = False,
        include_duplicates: bool = False,
        most_recent: int = 1,
        mode: str = "auto",
        progress: ProgressArg = True,
        poll_interval: float = 1.0,
        timeout: Optional[float] = None,
    ) -> pd.DataFrame:
        if mode not in ("auto", "sync", "async"):
            raise ValueError('mode must be "auto", "sync" or "async"')
        if timestamp_column not in entity_df.columns:
            raise FeatureStoreError(f"the entity frame has no column {timestamp_column!r}", code="invalid_field", field="timestampColumn")
        columns = [str(c) for c in entity_df.columns]
        request: Dict[str, Any] = {
            "timestampColumn": timestamp_column,
            "featureGroups": [self.group_json(spec, columns) for spec in feature_groups],
            "eventTimeOnly": event_time_only,
            "includeDeleted": include_deleted,
            "includeDuplicates": include_duplicates,
            "mostRecent": most_recent,
            "format": "arrow",
        }
        body: Optional[bytes] = None
        if mode == "sync" or (mode == "auto" and len(entity_df) <= MAX_SYNC_ENTITY_ROWS):
            body = json.dumps({**request, "entities": {"rows": entity_rows_json(entity_df)}}, separators=(",", ":")).encode()
            if mode == "auto" and len(body) > MAX_SYNC_BODY_BYTES:
                body = None
        if body is not None:
            result = self._sync(body)
        else:
            result = self._async(entity_df, request, progress, poll_interval, timeout)
        return restore_entity_dtypes(result, entity_df)

    def _sync(self, body: bytes) -> pd.DataFrame:
        response = self.transport.request("POST", "/v1/datasets", data=body, headers={"Content-Type": "application/json"})
        frame = table_to_frame(pa.ipc.open_stream(response.content).read_all())
        knowledge = {
            "rowsWithExcludedVersions": int(response.headers.get("x-knowledge-excluded-rows", 0)),
            "rowsEmptied": int(response.headers.get("x-knowledge-emptied-rows", 0)),
        }
        warning = response.headers.get("x-dataset-warning")
        return _annotate(frame, knowledge, [warning] if warning else [], None)

    def upload(self, name: str, data: bytes) -> Dict[str, Any]:
        return self.transport.json("PUT", f"/v1/uploads/{name}", data=data, headers={"Content-Type": "application/octet-stream"})

    def _async(
        self,
        entity_df: pd.DataFrame,
        request: Dict[str, Any],
        progress: ProgressArg,
        poll_interval: float,
        timeout: Optional[float],
    ) -> pd.DataFrame:
        name = f"efs-python-{uuid.uuid4().hex}.parquet"
        self.upload(name, entity_parquet(entity_df, UPLOAD_ROW_GROUP_ROWS))
        job = self.transport.json("POST", "/v1/datasets", json_body={**request, "entities": {"object": name}, "async": True}, retry=False)
        job_id = job["id"]
        bar = Progress(progress, len(entity_df), f"dataset job {job_id[:8]}", unit="entities")
        started = time.monotonic()
        try:
            while job["state"] in ("queued", "running"):
                if timeout is not None and time.monotonic() - started > timeout:
                    self._cancel(job_id)
                    raise DatasetJobError(f"dataset job {job_id} did not finish within {timeout} s; it was cancelled", code="timeout")
                time.sleep(poll_interval)
                job = self.transport.json("GET", f"/v1/datasets/jobs/{job_id}")
                done = job.get("progress", {}).get("entitiesProcessed", 0)
                bar.set(done, job.get("progress", {}).get("entitiesTotal") or len(entity_df))
        except KeyboardInterrupt:
            self._cancel(job_id)
            raise
        finally:
            bar.close()
        if job["state"] != "succeeded":
            raise DatasetJobError(f"dataset job {job_id} {job['state']}: {job.get('error', 'no error recorded')}", code=f"job_{job['state']}", body=job)
        response = self.transport.request("GET", f"/v1/datasets/jobs/{job_id}/result")
        frame = table_to_frame(pa.ipc.open_stream(response.content).read_all())
        return _annotate(frame, job.get("knowledgeTime", {}), job.get("warnings", []) or [], job)

    def _cancel(self, job_id: str) -> None:
        try:
            self.transport.request("POST", f"/v1/datasets/jobs/{job_id}/cancel", retry=False)
        except FeatureStoreError:
            pass  # already finished


def _annotate(frame: pd.DataFrame, knowledge: Dict[str, Any], notes: List[str], job: Optional[Dict[str, Any]]) -> pd.DataFrame:
    """What knowledge time excluded (docs/time-travel.md) in ``frame.attrs``; its warnings as Python warnings."""
    frame.attrs["knowledge_time"] = knowledge
    frame.attrs["warnings"] = notes
    if job is not None:
        frame.attrs["job"] = job
    for note in notes:
        warnings.warn(note, stacklevel=3)
    return frame
