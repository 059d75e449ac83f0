"""Every feature type survives every path: DataFrame ingest (Arrow), put_record
(JSON), get_record, batch_get, as_of, history and build_dataset (Arrow)."""

import math

import numpy as np
import pandas as pd
import pytest

from edge_feature_store import FeatureDefinition

BIG = 2**62 + 12345  # beyond 2^53: a double would round it
TYPES = ["Integral", "Fractional", "String"]
ELEMENTS = {"Integral": [BIG, -BIG, 0], "Fractional": [0.1, -1e-300, 2.5e300], "String": ["é", "日本", ""]}


def definitions():
    defs = [FeatureDefinition("id", "Integral"), FeatureDefinition("event_time", "String")]
    for t in TYPES:
        defs.append(FeatureDefinition(f"s_{t}", t))
        defs.append(FeatureDefinition(f"l_{t}", t, "List"))
        defs.append(FeatureDefinition(f"set_{t}", t, "Set"))
        defs.append(FeatureDefinition(f"v_{t}", t, "Vector", 3))
    return defs


def frame():
    ids = [BIG, -5, 7]
    times = pd.to_datetime(["2026-01-01T00:00:00.123456789Z", "2026-01-02T00:00:00Z", "2026-01-03T12:00:00.5Z"], utc=True, format="ISO8601")
    data = {"id": pd.array(ids, dtype="Int64"), "event_time": times}
    data["s_Integral"] = pd.array([BIG, None, -BIG], dtype="Int64")
    data["s_Fractional"] = [0.1, np.nan, -2.5e-300]
    data["s_String"] = pd.array(["héllo", None, "日本"], dtype="string")
    for t in TYPES:
        e = ELEMENTS[t]
        data[f"l_{t}"] = [e, [], None]
        data[f"set_{t}"] = [e[:2], None, e[2:]]
        data[f"v_{t}"] = [e, None, list(reversed(e))]
    return pd.DataFrame(data)


ISO = ["2026-01-01T00:00:00.123456789Z", "2026-01-02T00:00:00.000000000Z", "2026-01-03T12:00:00.500000000Z"]


def same(a, b, name):
    """Equality of one cell, a list cell compared as a list (a Set as a set)."""
    missing = lambda v: v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
    if missing(a) or missing(b):
        return missing(a) and missing(b)
    if name == "event_time":  # the same instant, to the nanosecond, however the text spells it
        return pd.Timestamp(a) == pd.Timestamp(b)
    if isinstance(a, (list, np.ndarray)) or isinstance(b, (list, np.ndarray)):
        a, b = [x.item() if isinstance(x, np.generic) else x for x in a], [x.item() if isinstance(x, np.generic) else x for x in b]
        return sorted(map(repr, a)) == sorted(map(repr, b)) if name.startswith("set_") else a == b
    return a == b


def expected_value(df, i, name):
    if name == "event_time":
        return ISO[i]
    value = df[name].iloc[i]
    return value.item() if isinstance(value, np.generic) else value


@pytest.fixture(scope="module")
def typed_group(fs):
    import uuid

    name = f"py-types-{uuid.uuid4().hex[:8]}"
    fs.create_feature_group(name, "id", "event_time", definitions())
    df = frame()
    result = fs.ingest(df, name, available_from="event_time", progress=False)
    assert result.invalid_rows == 0, result.rejected.to_dict("records")
    assert result.written == 3
    return name, df


def test_get_record_returns_every_type_as_written(fs, typed_group):
    name, df = typed_group
    for i, identifier in enumerate(df["id"]):
        record = fs.get_record(name, identifier)
        for column in df.columns:
            assert same(record.get(column), expected_value(df, i, column), column), (column, record.get(column))


def test_batch_get_types_columns_by_the_schema_and_keeps_request_order(fs, typed_group):
    name, df = typed_group
    got = fs.batch_get(name, [7, 404, BIG, -5])
    assert str(got["id"].dtype) == "Int64" and str(got["s_Integral"].dtype) == "Int64"
    assert got["s_Fractional"].dtype == np.float64 and str(got["s_String"].dtype) == "string"
    assert got["id"].tolist()[0] == 7 and got["id"].isna().tolist()[1] and got["id"].tolist()[2] == BIG
    assert got.attrs["misses"] == ["404"]
    assert got["s_Integral"].iloc[2] == BIG  # exact beyond 2^53
    order = {BIG: 0, -5: 1, 7: 2}
    for row in (0, 2, 3):
        i = order[int(got["id"].iloc[row])]
        for column in df.columns:
            assert same(got[column].iloc[row], expected_value(df, i, column), column), column


def test_as_of_and_history_return_the_offline_versions_typed(fs, typed_group):
    name, df = typed_group
    snapshot = fs.as_of(name).set_index("id")
    assert len(snapshot) == 3 and str(snapshot["write_sequence"].dtype) == "Int64"
    for i, identifier in enumerate(df["id"]):
        for column in df.columns.drop("id"):
            assert same(snapshot.loc[identifier, column], expected_value(df, i, column), column), column
    history = fs.history(name, BIG)
    assert len(history) == 1 and history["s_Integral"].iloc[0] == BIG
    assert str(history["available_time"].iloc[0]).startswith("2026-01-01 00:00:00.123")


def test_put_record_json_path_round_trips_every_type(fs, typed_group):
    name, df = typed_group
    record = {column: expected_value(df, 0, column) for column in df.columns}
    record["id"] = 123
    record["event_time"] = "2026-02-01T00:00:00Z"
    fs.put_record(name, record, target_stores=["online"])
    got = fs.get_record(name, 123)
    for column in record:
        assert same(got[column], record[column], column), column


def test_build_dataset_keeps_declared_types(fs, typed_group):
    name, df = typed_group
    entities = pd.DataFrame(
        {"id": pd.array([BIG, -5, 7, 999], dtype="Int64"), "at": pd.to_datetime(["2026-06-01"] * 4), "label": [1.5, 2.5, 3.5, 4.5]}
    )
    out = fs.build_dataset(entities, "at", [name], progress=False)
    assert list(out.columns[:3]) == ["id", "at", "label"]
    assert out["at"].dtype == entities["at"].dtype and out["id"].dtype == entities["id"].dtype
    assert str(out[f"{name}__s_Integral"].dtype) == "Int64"
    assert out[f"{name}__s_Integral"].iloc[0] == BIG
    for i in range(3):
        for column in df.columns:
            assert same(out[f"{name}__{column}"].iloc[i], expected_value(df, i, column), column), column
    assert out[f"{name}__id"].isna().iloc[3]
