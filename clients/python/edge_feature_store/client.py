"""FeatureStore: the package's one entry point."""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union
from urllib.parse import quote

import pandas as pd

from ._config import resolve_settings
from ._datasets import DatasetBuilder, FeatureGroupSpec, lookback_json
from ._frames import record_to_python, records_to_frame
from ._http import Transport
from ._ingest import IngestResult, Ingestor
from ._progress import ProgressArg
from .errors import FeatureGroupNotFoundError, RecordNotFoundError
from .features import FeatureDefinition, FeatureLike, as_definition, load_feature_definitions

MAX_BATCH_GET_IDS = 100
METADATA_COLUMNS = {
    "isDeleted": "is_deleted",
    "writeTime": "write_time",
    "apiInvocationTime": "api_invocation_time",
    "writeSequence": "write_sequence",
    "availableTime": "available_time",
}


def _instant(value: Any) -> Optional[str]:
    """An instant as the API takes it: ISO-8601 UTC text (datetimes are converted; naive ones are UTC)."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_convert("UTC") if stamp.tzinfo is not None else stamp
    return stamp.tz_localize(None).isoformat() + "Z"


def _ttl_json(ttl: Any) -> Optional[Dict[str, Any]]:
    return None if ttl is None else lookback_json(ttl)


class FeatureStore:
    """A connection to the store.

    Endpoint and key come from the arguments, else ``FS_ENDPOINT``,
    ``FS_ACCESS_KEY_ID``, ``FS_SECRET_ACCESS_KEY``, else the root credential
    of the ``.dev.vars`` of a local ``npm start`` (from the working directory
    upwards; endpoint ``http://127.0.0.1:$PORT``, default port 8787).
    ``auth="sigv4"`` signs requests with AWS Signature Version 4 (service
    ``sagemaker``, any ``region``) instead of sending a bearer credential.
    """

    def __init__(
        self,
        endpoint: Optional[str] = None,
        access_key_id: Optional[str] = None,
        secret_access_key: Optional[str] = None,
        *,
        auth: str = "bearer",
        region: str = "us-east-1",
        dev_vars: Optional[os.PathLike] = None,
        timeout: float = 300.0,
        max_retries: int = 5,
    ) -> None:
        settings = resolve_settings(endpoint, access_key_id, secret_access_key, dev_vars)
        self.endpoint = settings.endpoint
        self.access_key_id = settings.access_key_id
        self._http = Transport(settings, auth=auth, region=region, timeout=timeout, max_retries=max_retries)
        self._groups: Dict[str, Dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"FeatureStore(endpoint={self.endpoint!r}, access_key_id={self.access_key_id!r}, auth={self._http.auth!r})"

    def health(self) -> Dict[str, Any]:
        return self._http.json("GET", "/v1/health")

    # ---- feature groups ---------------------------------------------------------------------

    def create_feature_group(
        self,
        name: str,
        record_identifier_name: str,
        event_time_feature_name: str,
        feature_definitions: Optional[Sequence[FeatureLike]] = None,
        *,
        dataframe: Optional[pd.DataFrame] = None,
        collections: Optional[Mapping[str, Any]] = None,
        online_store: bool = True,
        offline_store: bool = True,
        ttl: Any = None,
        description: Optional[str] = None,
        tags: Optional[Mapping[str, str]] = None,
        shard_count: Optional[int] = None,
        encryption: Optional[Mapping[str, bool]] = None,
    ) -> Dict[str, Any]:
        """Creates a group from explicit definitions, or inferred from ``dataframe``'s dtypes
        (:func:`load_feature_definitions`; ``collections`` as there). ``ttl``: the online TTL, e.g. ``"30d"`` or
        ``{"unit": "Days", "value": 30}``."""
        if feature_definitions is None:
            if dataframe is None:
                raise ValueError("pass feature_definitions or a dataframe to infer them from")
            feature_definitions = load_feature_definitions(dataframe, collections)
        body: Dict[str, Any] = {
            "name": name,
            "recordIdentifierFeature": record_identifier_name,
            "eventTimeFeature": event_time_feature_name,
            "features": [as_definition(f).to_json() for f in feature_definitions],
            "onlineStore": {"enabled": online_store, **({"ttl": _ttl_json(ttl)} if ttl is not None else {})},
            "offlineStore": {"enabled": offline_store},
        }
        if description is not None:
            body["description"] = description
        if tags:
            body["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
        if shard_count is not None:
            body["shardCount"] = shard_count
        if encryption is not None:
            body["encryption"] = dict(encryption)
        group = self._http.json("POST", "/v1/feature-groups", json_body=body, retry=False)
        self._groups[name] = group
        return group

    def describe_feature_group(self, name: str) -> Dict[str, Any]:
        group = self._http.json("GET", f"/v1/feature-groups/{quote(name, safe='')}")
        self._groups[name] = group
        return group

    def feature_definitions(self, name: str) -> List[FeatureDefinition]:
        return [FeatureDefinition.from_json(f) for f in self._group(name)["features"]]

    def list_feature_groups(self, name_contains: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every group's summary (all pages), sorted by name."""
        out: List[Dict[str, Any]] = []
        token: Optional[str] = None
        while True:
            page = self._http.json("GET", "/v1/feature-groups", params={"nameContains": name_contains, "limit": 100, "nextToken": token})
            out.extend(page["featureGroups"])
            token = page.get("nextToken")
            if not token:
                return out

    def search(
        self,
        filters: Optional[Sequence[Mapping[str, str]]] = None,
        *,
        resource: str = "FeatureGroup",
        operator: str = "And",
        sort_by: Optional[str] = None,
        sort_order: Optional[str] = None,
    ) -> List[Dict[str, Any]]:
        """SageMaker Search over ``FeatureGroup`` or ``FeatureMetadata``, every page:
        ``filters=[{"Name": "FeatureGroupName", "Operator": "Contains", "Value": "user"}]``."""
        expression: Dict[str, Any] = {"Filters": [dict(f) for f in filters or []], "Operator": operator}
        out: List[Dict[str, Any]] = []
        token: Optional[str] = None
        while True:
            body: Dict[str, Any] = {"Resource": resource, "MaxResults": 100, "SearchExpression": expression}
            if sort_by:
                body["SortBy"] = sort_by
            if sort_order:
                body["SortOrder"] = sort_order
            if token:
                body["NextToken"] = token
            page = self._http.json(
                "POST", "/", json_body=body, headers={"X-Amz-Target": "SageMaker.Search", "Content-Type": "application/x-amz-json-1.1"}
            )
            out.extend(result[resource] for result in page.get("Results", []))
            token = page.get("NextToken")
            if not token:
                return out

    def update_feature_group(
        self,
        name: str,
        *,
        add_features: Optional[Sequence[FeatureLike]] = None,
        ttl: Any = ...,
        description: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Adds features, changes the online TTL (``None`` removes it) or the description."""
        body: Dict[str, Any] = {}
        if add_features:
            body["addFeatures"] = [as_definition(f).to_json() for f in add_features]
        if ttl is not ...:
            body["onlineStore"] = {"ttl": _ttl_json(ttl)}
        if description is not None:
            body["description"] = description
        group = self._http.json("PATCH", f"/v1/feature-groups/{quote(name, safe='')}", json_body=body, retry=False)
        self._groups[name] = group
        return group

    def offline_store(self, name: str) -> Dict[str, Any]:
        """The group's offline store: location, manifest files, ``stats``, column types, SQL
        for DuckDB/Athena/Spark and what shards' outboxes still hold (``pending``)."""
        return self._http.json("GET", f"/v1/feature-groups/{quote(name, safe='')}/offline-store")

    def delete_feature_group(self, name: str, *, missing_ok: bool = False) -> None:
        """Deletes a group (its online records at once; the name can be reused).
        ``missing_ok=True``: no error when there is no such group."""
        self._groups.pop(name, None)
        try:
            self._http.request("DELETE", f"/v1/feature-groups/{quote(name, safe='')}")
        except FeatureGroupNotFoundError:
            if not missing_ok:
                raise

    # ---- records ----------------------------------------------------------------------------

    def put_record(
        self, group: str, record: Mapping[str, Any], *, target_stores: Optional[Sequence[str]] = None, ttl: Any = None
    ) -> Dict[str, Any]:
        body: Dict[str, Any] = {"record": {k: _json_value(v) for k, v in record.items()}}
        if target_stores is not None:
            body["targetStores"] = list(target_stores)
        if ttl is not None:
            body["ttl"] = _ttl_json(ttl)
        return self._http.json("PUT", f"/v1/feature-groups/{quote(group, safe='')}/records", json_body=body, retry=False)

    def get_record(self, group: str, record_id: Any, features: Optional[Sequence[str]] = None) -> Optional[Dict[str, Any]]:
        """The online record as a dict (Integral values as ints), or None when there is none."""
        try:
            body = self._http.json(
                "GET",
                f"/v1/feature-groups/{quote(group, safe='')}/records/{quote(str(record_id), safe='')}",
                params={"features": ",".join(features) if features else None},
            )
        except RecordNotFoundError:
            return None
        return record_to_python(body["record"], self._features(group))

    def delete_record(
        self, group: str, record_id: Any, event_time: Any, *, mode: str = "soft", target_stores: Optional[Sequence[str]] = None
    ) -> Dict[str, Any]:
        params = {"eventTime": _instant(event_time), "mode": mode, "targetStores": ",".join(target_stores) if target_stores else None}
        return self._http.json("DELETE", f"/v1/feature-groups/{quote(group, safe='')}/records/{quote(str(record_id), safe='')}", params=params)

    def batch_get(self, group: str, record_ids: Iterable[Any], features: Optional[Sequence[str]] = None) -> pd.DataFrame:
        """Online records for many identifiers, one row per identifier in the order given
        (missing ones as all-null rows, listed in ``df.attrs["misses"]``), typed by the schema."""
        ids = [str(i) for i in record_ids]
        found: Dict[str, Dict[str, Any]] = {}
        misses: List[str] = []
        for start in range(0, len(ids), MAX_BATCH_GET_IDS * 100):
            block = ids[start : start + MAX_BATCH_GET_IDS * 100]
            requests = [
                {"featureGroup": group, "recordIdentifiers": block[i : i + MAX_BATCH_GET_IDS], **({"features": list(features)} if features else {})}
                for i in range(0, len(block), MAX_BATCH_GET_IDS)
            ]
            while requests:
                answer = self._http.json("POST", "/v1/records/batch-get", json_body={"requests": requests})
                for hit in answer.get("records", []):
                    found[hit["recordIdentifier"]] = hit["record"]
                misses.extend(m["recordIdentifier"] for m in answer.get("misses", []))
                if answer.get("errors"):
                    first = answer["errors"][0]
                    from .errors import error_from_response

                    raise error_from_response(400, {"error": first["error"]}, None)
                requests = answer.get("unprocessed", [])
        definitions = self._features(group)
        columns = list(features) if features else [f["name"] for f in self._group(group)["features"]]
        records = [found.get(_canonical_id(i, group, self)) for i in ids]
        frame = records_to_frame(records, columns, definitions)
        frame.attrs["misses"] = misses
        return frame

    # ---- bulk ingest ------------------------------------------------------------------------

    def ingest(
        self,
        df: pd.DataFrame,
        group: str,
        target: str = "both",
        *,
        on_invalid: str = "skip",
        chunk_rows: int = 20_000,
        max_workers: int = 4,
        progress: ProgressArg = True,
        available_from: Optional[str] = None,
        available_delay: Any = None,
        idempotency_key: Optional[str] = None,
    ) -> IngestResult:
        """Writes a DataFrame's rows to the online store, the offline store or both, as Arrow
        IPC in chunks of ``chunk_rows``, ``max_workers`` at a time, with idempotent retries.

        ``on_invalid="skip"`` writes the valid rows and returns the invalid ones in
        ``result.rejected``; ``"reject"`` refuses a chunk with an invalid row and raises
        :class:`InvalidRowsError` (chunks already sent stay written). A backfill declares
        when its rows were known: ``available_from="event_time"`` (optionally with
        ``available_delay="1d"``); the default is when the store accepts them.
        """
        return Ingestor(self._http, group, self._features(group)).run(
            df,
            target=target,
            on_invalid=on_invalid,
            chunk_rows=chunk_rows,
            max_workers=max_workers,
            progress=progress,
            available_from=available_from,
            available_delay=available_delay,
            idempotency_key=idempotency_key,
        )

    # ---- time travel ------------------------------------------------------------------------

    def as_of(
        self,
        group: str,
        event_time: Any = None,
        *,
        known_at: Any = None,
        available_at: Any = None,
        features: Optional[Sequence[str]] = None,
        ids: Optional[Sequence[Any]] = None,
        include_deleted: bool = False,
        page_size: int = 2_500,
    ) -> pd.DataFrame:
        """The offline store's latest version per identifier as of an event time (and what was
        written by ``known_at`` / available by ``available_at``), every page, with the version's
        ``write_time``, ``write_sequence``, ``available_time`` and ``is_deleted`` columns."""
        params = {
            "eventTime": _instant(event_time),
            "knownAt": _instant(known_at),
            "availableAt": _instant(available_at),
            "features": ",".join(features) if features else None,
            "ids": ",".join(str(i) for i in ids) if ids else None,
            "limit": page_size,
        }
        versions: List[Dict[str, Any]] = []
        after: Optional[str] = None
        while True:
            page = self._http.json("GET", f"/v1/feature-groups/{quote(group, safe='')}/as-of", params={**params, "after": after})
            versions.extend(page["records"])
            after = page.get("nextAfter")
            if after is None:
                break
        if not include_deleted:
            versions = [v for v in versions if not v.get("isDeleted")]
        return self._versions_frame(group, versions, features)

    def history(self, group: str, record_id: Any, start: Any = None, end: Any = None) -> pd.DataFrame:
        """Every version of one record with event time in [start, end], deletions included, in version order."""
        body = self._http.json(
            "GET",
            f"/v1/feature-groups/{quote(group, safe='')}/records/{quote(str(record_id), safe='')}/history",
            params={"from": _instant(start), "to": _instant(end)},
        )
        return self._versions_frame(group, body["versions"], None)

    def _versions_frame(self, group: str, versions: List[Dict[str, Any]], features: Optional[Sequence[str]]) -> pd.DataFrame:
        columns = list(features) if features else [f["name"] for f in self._group(group)["features"]]
        frame = records_to_frame([v.get("record") or {} for v in versions], columns, self._features(group))
        for wire, column in METADATA_COLUMNS.items():
            values = [v.get(wire) for v in versions]
            if wire in ("writeTime", "apiInvocationTime", "availableTime"):
                frame[column] = pd.to_datetime(pd.Series(values, dtype="object"), utc=True, format="ISO8601")
            elif wire == "writeSequence":
                frame[column] = pd.array(values, dtype="Int64")
            else:
                frame[column] = pd.array(values, dtype="boolean")
        return frame

    # ---- datasets ---------------------------------------------------------------------------

    def build_dataset(
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
        """A point-in-time-correct training set: each entity row joined with each group's newest
        version at or before its timestamp that was available by then (``event_time_only=True``:
        SageMaker's event-time-only rule).

        ``feature_groups``: names (joined on the column named like the group's record
        identifier) or dicts with ``name`` and any of ``features``, ``entity_column``,
        ``prefix`` (default ``<group>__``), ``lookback`` (``"30d"``, a timedelta or
        ``{"unit", "value"}``). ``mode="auto"`` sends up to 100,000 rows inline and larger frames
        as an uploaded Parquet file to an asynchronous job (``"sync"``/``"async"`` force one).
        What knowledge time excluded is in ``df.attrs["knowledge_time"]`` (and ``warnings``).
        """
        builder = DatasetBuilder(self._http, lambda name: self._group(name)["recordIdentifierFeature"])
        return builder.build(
            entity_df,
            timestamp_column,
            feature_groups,
            event_time_only=event_time_only,
            include_deleted=include_deleted,
            include_duplicates=include_duplicates,
            most_recent=most_recent,
            mode=mode,
            progress=progress,
            poll_interval=poll_interval,
            timeout=timeout,
        )

    def upload(self, name: str, data: Union[bytes, os.PathLike, str]) -> Dict[str, Any]:
        """Uploads an entity list (``name`` ending in .csv or .parquet) for dataset requests."""
        if not isinstance(data, bytes):
            with open(data, "rb") as handle:
                data = handle.read()
        return DatasetBuilder(self._http, lambda _: "").upload(name, data)

    # ---- schema cache -----------------------------------------------------------------------

    def _group(self, name: str) -> Dict[str, Any]:
        return self._groups.get(name) or self.describe_feature_group(name)

    def _features(self, name: str) -> Dict[str, FeatureDefinition]:
        return {d.name: d for d in self.feature_definitions(name)}


def _json_value(value: Any) -> Any:
    from ._frames import _json_scalar

    return _json_scalar(value)


def _canonical_id(raw: str, group: str, store: FeatureStore) -> str:
    """Identifiers come back canonical: an Integral identifier spelled with leading zeros or a sign is matched by value."""
    identifier = store._group(group)["recordIdentifierFeature"]
    defn = store._features(group).get(identifier)
    if defn is not None and defn.type == "Integral":
        try:
            return str(int(raw))
        except ValueError:
            return raw
    return raw
