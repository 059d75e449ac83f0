"""DataFrame ingest: 100,000 rows in parallel chunks with progress and a
rejected-rows report; retries with the same idempotency key add no offline
rows; on_invalid="reject" raises with the rows."""

import numpy as np
import pandas as pd
import pytest

from edge_feature_store import InvalidRowsError, ValidationError

ROWS = 100_000


def events(n, seed=7):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user_id": [f"u{i:06d}" for i in range(n)],
            # Four hours: the offline store writes one Parquet file per hourly partition and request.
            "event_time": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 4 * 3_600_000_000, n), unit="us"),
            "clicks": rng.integers(0, 1_000, n),
            "score": rng.random(n),
            "embedding": list(rng.random((n, 4))),
        }
    )


def test_ingests_100k_rows_with_progress_and_reports_the_rejected_rows(fs, group_name):
    df = events(ROWS)
    name = group_name("bulk")
    from edge_feature_store import load_feature_definitions

    fs.create_feature_group(name, "user_id", "event_time", load_feature_definitions(df.head(10), collections={"embedding": "Vector"}))
    bad_ids = df.index[::5_000]  # 20 rows without an identifier
    bad_vectors = df.index[2_501::10_000]  # 10 embeddings of the wrong dimension
    df.loc[bad_ids, "user_id"] = None
    df.loc[bad_vectors, "embedding"] = pd.Series([[0.5, 0.5]] * len(bad_vectors), index=bad_vectors)
    df.index = df.index + 1_000_000  # the report keeps the frame's own index
    seen = []
    result = fs.ingest(df, name, target="both", chunk_rows=20_000, max_workers=3, progress=lambda done, total: seen.append((done, total)))
    assert result.rows == ROWS and result.invalid_rows == 30 and result.written == ROWS - 30
    assert result.offline_written == ROWS - 30 and result.online_written == ROWS - 30 and result.chunks == 5
    assert seen[-1] == (ROWS, ROWS) and len(seen) == 5 and [d for d, _ in seen] == sorted(d for d, _ in seen)
    rejected = result.rejected
    assert sorted(rejected.index) == sorted([*(bad_ids + 1_000_000), *(bad_vectors + 1_000_000)])
    assert set(rejected.loc[bad_ids + 1_000_000, "error_field"]) == {"user_id"}
    assert set(rejected.loc[bad_vectors + 1_000_000, "error_field"]) == {"embedding"}
    assert rejected["error_rule"].str.contains("Vector of exactly 4").sum() == 10
    store = fs.offline_store(name)
    assert store["stats"]["rows"] == ROWS - 30
    sample = fs.batch_get(name, df["user_id"].dropna().iloc[::9_973].tolist())
    assert sample.attrs["misses"] == [] and sample["clicks"].notna().all()


def test_a_retried_ingest_with_the_same_key_adds_no_offline_rows(fs, group_name):
    df = events(1_000, seed=1)
    name = group_name("retry")
    fs.create_feature_group(name, "user_id", "event_time", dataframe=df)
    first = fs.ingest(df, name, chunk_rows=300, idempotency_key="resume-me", progress=False)
    again = fs.ingest(df, name, chunk_rows=300, idempotency_key="resume-me", progress=False)
    assert first.offline_written == 1_000 and first.chunks == 4
    assert again.offline_written == 0 and again.offline_already_written == 1_000
    assert fs.offline_store(name)["stats"]["rows"] == 1_000
    assert len(fs.as_of(name)) == 1_000


def test_reject_mode_raises_with_the_invalid_rows(fs, group_name):
    df = events(50, seed=2)
    name = group_name("reject")
    fs.create_feature_group(name, "user_id", "event_time", dataframe=df)
    df["clicks"] = df["clicks"].astype(object)
    df.loc[3, "clicks"] = "many"  # object column: sent as text, refused by the server row by row
    with pytest.raises(InvalidRowsError) as caught:
        fs.ingest(df, name, on_invalid="reject", progress=False)
    assert caught.value.code == "invalid_rows" and caught.value.status == 400
    assert caught.value.rejected.index.tolist() == [3] and caught.value.rejected["error_field"].tolist() == ["clicks"]
    assert fs.get_record(name, df["user_id"].iloc[0]) is None  # nothing of the request was written


def test_columns_that_are_not_features_are_refused_before_sending(fs, group_name):
    df = events(5)
    name = group_name("unknown")
    fs.create_feature_group(name, "user_id", "event_time", dataframe=df)
    with pytest.raises(ValidationError) as caught:
        fs.ingest(df.assign(extra=1), name, progress=False)
    assert caught.value.code == "unknown_feature" and caught.value.field == "extra"
