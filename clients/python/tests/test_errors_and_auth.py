"""Typed errors carry the server's code and field; SigV4 signing works like
bearer; credentials come from arguments, FS_* variables or .dev.vars."""

import pandas as pd
import pytest

from edge_feature_store import (
    AuthenticationError,
    FeatureDefinition,
    FeatureGroupExistsError,
    FeatureGroupNotFoundError,
    FeatureStore,
    ValidationError,
    load_feature_definitions,
)
from edge_feature_store._config import resolve_settings

DEFS = [FeatureDefinition("id", "String"), FeatureDefinition("t", "String"), FeatureDefinition("x", "Fractional")]


def test_errors_are_typed_with_the_servers_code_and_field(fs, group_name):
    name = group_name("errors")
    fs.create_feature_group(name, "id", "t", DEFS)
    with pytest.raises(FeatureGroupExistsError) as exists:
        fs.create_feature_group(name, "id", "t", DEFS)
    assert exists.value.code == "feature_group_exists" and exists.value.status == 409 and exists.value.request_id
    with pytest.raises(FeatureGroupNotFoundError) as missing:
        fs.describe_feature_group(group_name("missing"))
    assert missing.value.code == "feature_group_not_found"
    with pytest.raises(ValidationError) as invalid:
        fs.put_record(name, {"id": "a", "t": "2026-01-01T00:00:00Z", "x": "not a number"})
    assert invalid.value.code == "invalid_field" and invalid.value.field == "record.x"
    with pytest.raises(ValidationError) as bad_group:
        fs.create_feature_group(group_name("bad"), "id", "nope", DEFS)
    assert bad_group.value.code == "invalid_field" and bad_group.value.field


def test_a_wrong_secret_is_an_authentication_error(fs):
    wrong = FeatureStore(fs.endpoint, fs.access_key_id, "not-the-secret", max_retries=0)
    with pytest.raises(AuthenticationError) as caught:
        wrong.list_feature_groups()
    assert caught.value.code == "unauthenticated" and caught.value.status == 401


def test_sigv4_signed_requests_work_for_every_kind_of_call(fs, group_name):
    signed = FeatureStore(fs.endpoint, fs.access_key_id, fs._http.settings.secret_access_key, auth="sigv4", region="eu-west-1")
    name = group_name("sigv4")
    df = pd.DataFrame({"id": ["a b/ü", "c"], "t": pd.to_datetime(["2026-01-01T00:00:00Z"] * 2, utc=True), "x": [1.5, 2.5]})
    signed.create_feature_group(name, "id", "t", load_feature_definitions(df))
    result = signed.ingest(df, name, progress=False)
    assert result.written == 2
    assert signed.get_record(name, "a b/ü", features=["x"]) == {"x": 1.5}
    assert signed.batch_get(name, ["c"])["x"].tolist() == [2.5]
    assert [g["FeatureGroupName"] for g in signed.search([{"Name": "FeatureGroupName", "Operator": "Equals", "Value": name}])] == [name]
    assert len(signed.as_of(name, "2026-06-01T00:00:00Z", ids=["a b/ü"])) == 1


def test_group_lifecycle_list_search_update_delete(fs, group_name):
    name = group_name("life")
    fs.create_feature_group(name, "id", "t", DEFS, description="first", tags={"team": "ml"}, ttl="30d")
    assert name in [g["name"] for g in fs.list_feature_groups(name_contains=name[:-2])]
    updated = fs.update_feature_group(name, add_features=[FeatureDefinition("emb", "Fractional", "Vector", 2)], ttl=None, description="second")
    assert updated["description"] == "second" and updated["features"][-1]["collection"] == {"type": "Vector", "dimension": 2}
    found = fs.search([{"Name": "Description", "Operator": "Equals", "Value": "second"}])
    assert name in [g["FeatureGroupName"] for g in found]
    fs.delete_feature_group(name)
    assert name not in [g["name"] for g in fs.list_feature_groups()]


def test_settings_come_from_arguments_then_variables_then_dev_vars(tmp_path, monkeypatch):
    (tmp_path / ".dev.vars").write_text('FS_ROOT_ACCESS_KEY_ID="AKDEV"\nFS_ROOT_SECRET_ACCESS_KEY="dev-secret"\n')
    nested = tmp_path / "notebooks" / "deep"
    nested.mkdir(parents=True)
    for name in ("FS_ENDPOINT", "FS_ACCESS_KEY_ID", "FS_SECRET_ACCESS_KEY", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(nested)
    assert resolve_settings() == resolve_settings(dev_vars=tmp_path / ".dev.vars")
    settings = resolve_settings()
    assert (settings.endpoint, settings.access_key_id, settings.secret_access_key) == ("http://127.0.0.1:8787", "AKDEV", "dev-secret")
    monkeypatch.setenv("FS_ENDPOINT", "https://features.example.com/")
    monkeypatch.setenv("FS_ACCESS_KEY_ID", "AKENV")
    monkeypatch.setenv("FS_SECRET_ACCESS_KEY", "env-secret")
    assert resolve_settings().access_key_id == "AKENV" and resolve_settings().endpoint == "https://features.example.com"
    assert resolve_settings(access_key_id="AKARG", secret_access_key="s").access_key_id == "AKARG"
    monkeypatch.delenv("FS_ACCESS_KEY_ID")
    monkeypatch.delenv("FS_SECRET_ACCESS_KEY")
    monkeypatch.chdir("/")
    with pytest.raises(AuthenticationError, match="no credentials"):
        resolve_settings()


def test_feature_definitions_are_inferred_from_dtypes():
    df = pd.DataFrame(
        {
            "i": pd.array([1, None], dtype="Int64"),
            "f": [1.0, 2.0],
            "b": [True, False],
            "s": ["a", None],
            "t": pd.to_datetime(["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"], utc=True),
            "tags": [["a"], ["b", "c"]],
            "emb": [[0.1, 0.2], [0.3, 0.4]],
            "ints": [[1, 2], []],
        }
    )
    defs = {d.name: d for d in load_feature_definitions(df, collections={"emb": "Vector", "tags": "Set"})}
    assert [defs[c].type for c in "ifbst"] == ["Integral", "Fractional", "Integral", "String", "String"]
    assert defs["tags"] == FeatureDefinition("tags", "String", "Set")
    assert defs["emb"] == FeatureDefinition("emb", "Fractional", "Vector", 2)
    assert defs["ints"] == FeatureDefinition("ints", "Integral", "List")
