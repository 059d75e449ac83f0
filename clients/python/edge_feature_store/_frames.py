"""DataFrames to and from the wire, keeping declared types.

To the store: Arrow columns of each feature's declared type (Integral
int64, Fractional float64, String utf8, collections lists). Timestamps go
as Arrow timestamps (the server writes them as ISO-8601 UTC with every
digit, or epoch seconds for a Fractional feature). A column that does not
convert is sent as text, so the server validates and reports each row.

From the store: Integral as nullable ``Int64`` (values beyond 2^53 exact:
the JSON API spells them as decimal strings), Fractional ``float64``,
String ``string``, collections as arrays.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from .features import FeatureDefinition

MAX_SAFE_INTEGER = 2**53 - 1
SCALAR_ARROW = {"Integral": pa.int64(), "Fractional": pa.float64(), "String": pa.string()}


def arrow_type(defn: FeatureDefinition) -> pa.DataType:
    scalar = SCALAR_ARROW[defn.type]
    return pa.list_(pa.field("element", scalar)) if defn.collection else scalar


def pandas_type_mapper(arrow: pa.DataType) -> Any:
    """int64 → nullable Int64 (exact), utf8 → string; other types as pyarrow maps them."""
    if arrow == pa.int64():
        return pd.Int64Dtype()
    if arrow in (pa.string(), pa.large_string()):
        return pd.StringDtype()
    return None


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=pandas_type_mapper)


# ---- to the store -------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and np.isnan(value)


def _as_text(value: Any) -> Optional[str]:
    if _is_missing(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return json.dumps([v.item() if isinstance(v, np.generic) else v for v in value], default=str)
    return str(value)


def _text_column(series: pd.Series) -> pa.Array:
    return pa.array([_as_text(v) for v in series], type=pa.string())


def feature_array(series: pd.Series, defn: FeatureDefinition) -> pa.Array:
    """The column as the feature's Arrow type; text when it does not convert (the server reports the rows)."""
    target = arrow_type(defn)
    try:
        array = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return _text_column(series)
    kind = array.type
    if kind == target:
        return array
    if pa.types.is_null(kind):
        return pa.nulls(len(array), target)
    if (pa.types.is_timestamp(kind) or pa.types.is_date(kind)) and defn.collection is None and defn.type != "Integral":
        return array  # the server formats time as ISO text (String) or epoch seconds (Fractional)
    if pa.types.is_boolean(kind) and defn.type == "Integral" and defn.collection is None:
        return array.cast(pa.int8()).cast(pa.int64())
    if pa.types.is_dictionary(kind):
        array = array.dictionary_decode()
    try:
        return array.cast(target)  # safe cast: fractions, overflow and bad text fail
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return _text_column(series)


def frame_to_table(df: pd.DataFrame, features: Mapping[str, FeatureDefinition]) -> pa.Table:
    """The DataFrame's columns as the group's feature types (every column must be a feature)."""
    arrays = [feature_array(df[name], features[str(name)]) for name in df.columns]
    return pa.Table.from_arrays(arrays, names=[str(n) for n in df.columns])


def ipc_stream(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


# ---- from the store -----------------------------------------------------------------------


def _integral(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return int(value)


def python_value(value: Any, defn: Optional[FeatureDefinition]) -> Any:
    """A JSON value as Python: Integral decimal strings become ints."""
    if defn is not None and defn.type == "Integral":
        return _integral(value)
    return value


def record_to_python(record: Mapping[str, Any], features: Mapping[str, FeatureDefinition]) -> Dict[str, Any]:
    return {k: python_value(v, features.get(k)) for k, v in record.items()}


def records_to_frame(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    features: Mapping[str, FeatureDefinition],
) -> pd.DataFrame:
    """JSON records → a DataFrame with each feature's declared type (unknown columns as pandas infers)."""
    arrays: List[pa.Array] = []
    for name in columns:
        defn = features.get(name)
        values = [r.get(name) if r is not None else None for r in records]
        if defn is None:
            arrays.append(pa.array(values))
        else:
            arrays.append(pa.array([python_value(v, defn) for v in values], type=arrow_type(defn)))
    return table_to_frame(pa.Table.from_arrays(arrays, names=list(columns))) if columns else pd.DataFrame(index=range(len(records)))


# ---- entity frames for datasets ------------------------------------------------------------


def iso_utc(series: pd.Series) -> List[Optional[str]]:
    """Datetimes as ISO-8601 UTC text with nanoseconds (naive values are taken as UTC)."""
    values = series
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    raw = values.to_numpy(dtype="datetime64[ns]")
    text = np.datetime_as_string(raw, unit="ns")
    mask = pd.isna(values).to_numpy()
    return [None if m else f"{t}Z" for t, m in zip(text, mask)]


def _json_scalar(value: Any) -> Any:
    if _is_missing(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        return str(value)  # JSON numbers are doubles to the server; decimal text is exact
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_scalar(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return iso_utc(pd.Series([value]))[0]
    return value


def entity_columns_json(df: pd.DataFrame) -> Dict[str, List[Any]]:
    out: Dict[str, List[Any]] = {}
    for name in df.columns:
        series = df[name]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            out[str(name)] = iso_utc(series)
        else:
            out[str(name)] = [_json_scalar(v) for v in series.tolist()]
    return out


def entity_rows_json(df: pd.DataFrame) -> List[Dict[str, Any]]:
    columns = entity_columns_json(df)
    names = list(columns)
    return [dict(zip(names, values)) for values in zip(*(columns[n] for n in names))]


def entity_parquet(df: pd.DataFrame, row_group_rows: int) -> bytes:
    """The entity frame as Parquet for an upload: datetimes as ISO text (the server reads
    Parquet timestamps at millisecond precision, text at nanoseconds)."""
    arrays = []
    for name in df.columns:
        series = df[name]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            arrays.append(pa.array(iso_utc(series), type=pa.string()))
        else:
            arrays.append(pa.array(series, from_pandas=True))
    table = pa.Table.from_arrays(arrays, names=[str(n) for n in df.columns])
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, row_group_size=row_group_rows, compression="zstd")
    return sink.getvalue().to_pybytes()


def restore_entity_dtypes(result: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    """Entity columns come back as the server infers them (text for timestamps): give them
    the entity frame's own dtypes again."""
    for name in entities.columns:
        if name not in result.columns:
            continue
        want = entities[name].dtype
        have = result[name]
        try:
            if pd.api.types.is_datetime64_any_dtype(want):
                parsed = pd.to_datetime(have, utc=True, format="ISO8601")
                tz = getattr(want, "tz", None)
                parsed = parsed.dt.tz_convert(tz) if tz is not None else parsed.dt.tz_localize(None)
                result[name] = parsed.astype(want)
            elif pd.api.types.is_integer_dtype(want):
                ints = have.map(lambda v: None if _is_missing(v) else int(v)).astype("Int64")
                result[name] = ints.astype(want) if not ints.isna().any() else ints
            elif have.dtype != want:
                result[name] = have.astype(want)
        except (TypeError, ValueError):
            pass  # left as the server typed it
    return result
