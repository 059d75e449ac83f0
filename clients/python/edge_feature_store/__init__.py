"""Python client of the edge feature store (docs/python.md).

>>> from edge_feature_store import FeatureStore
>>> fs = FeatureStore()            # FS_* variables, or the .dev.vars of `npm start`
"""

from ._ingest import IngestResult
from .client import FeatureStore
from .errors import (
    AccessDeniedError,
    AuthenticationError,
    ConflictError,
    DatasetJobError,
    FeatureGroupExistsError,
    FeatureGroupNotFoundError,
    FeatureStoreError,
    InvalidRowsError,
    NotFoundError,
    PayloadTooLargeError,
    RecordNotFoundError,
    ServerError,
    ThrottledError,
    UnavailableError,
    ValidationError,
)
from .features import FeatureDefinition, load_feature_definitions

__version__ = "0.1.0"

__all__ = [
    "FeatureStore",
    "FeatureDefinition",
    "IngestResult",
    "load_feature_definitions",
    "FeatureStoreError",
    "ValidationError",
    "InvalidRowsError",
    "AuthenticationError",
    "AccessDeniedError",
    "NotFoundError",
    "FeatureGroupNotFoundError",
    "RecordNotFoundError",
    "ConflictError",
    "FeatureGroupExistsError",
    "PayloadTooLargeError",
    "ThrottledError",
    "ServerError",
    "UnavailableError",
    "DatasetJobError",
]
