"""Tests run against a live store: `npm run test:python` starts one and sets
FS_ENDPOINT, FS_ACCESS_KEY_ID and FS_SECRET_ACCESS_KEY; by hand, point them
at any store (or run from the folder of an `npm start`)."""

import uuid

import pytest

from edge_feature_store import FeatureStore


@pytest.fixture(scope="session")
def fs() -> FeatureStore:
    store = FeatureStore()
    store.health()
    return store


@pytest.fixture
def group_name():
    """A fresh feature group name per call (groups are never shared between tests)."""
    return lambda stem: f"py-{stem}-{uuid.uuid4().hex[:8]}"
