"""Feature definitions, and their inference from a DataFrame's dtypes.

A feature is ``Integral`` (int64), ``Fractional`` (float64) or ``String``,
optionally a collection: ``List``, ``Set`` or ``Vector`` (fixed
dimension) of that type (docs/api.md, "Feature groups").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

import numpy as np
import pandas as pd

FEATURE_TYPES = ("Integral", "Fractional", "String")
COLLECTION_TYPES = ("List", "Set", "Vector")


@dataclass(frozen=True)
class FeatureDefinition:
    """One feature: name, type and optional collection (``dimension`` for a Vector)."""

    name: str
    type: str
    collection: Optional[str] = None
    dimension: Optional[int] = None

    def __post_init__(self) -> None:
        if self.type not in FEATURE_TYPES:
            raise ValueError(f"feature {self.name}: type must be one of {', '.join(FEATURE_TYPES)}, not {self.type!r}")
        if self.collection is not None and self.collection not in COLLECTION_TYPES:
            raise ValueError(f"feature {self.name}: collection must be one of {', '.join(COLLECTION_TYPES)}")
        if (self.collection == "Vector") != (self.dimension is not None):
            raise ValueError(f"feature {self.name}: a Vector needs a dimension, and only a Vector has one")

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"name": self.name, "type": self.type}
        if self.collection == "Vector":
            out["collection"] = {"type": "Vector", "dimension": self.dimension}
        elif self.collection:
            out["collection"] = {"type": self.collection}
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> "FeatureDefinition":
        collection = raw.get("collection") or {}
        return cls(raw["name"], raw["type"], collection.get("type"), collection.get("dimension"))


FeatureLike = Union[FeatureDefinition, Mapping[str, Any]]


def as_definition(feature: FeatureLike) -> FeatureDefinition:
    return feature if isinstance(feature, FeatureDefinition) else FeatureDefinition.from_json(feature)


def _scalar_type(values: Iterable[Any]) -> str:
    kinds = set()
    for value in values:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        if isinstance(value, (bool, np.bool_, int, np.integer)):
            kinds.add("Integral")
        elif isinstance(value, (float, np.floating)):
            kinds.add("Fractional")
        else:
            kinds.add("String")
    if kinds == {"Integral"}:
        return "Integral"
    if kinds <= {"Integral", "Fractional"} and kinds:
        return "Fractional"
    return "String"


def _is_collection(value: Any) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


def _infer(name: str, series: pd.Series, collection: Any) -> FeatureDefinition:
    dtype = series.dtype
    present = series.dropna() if not series.dtype == object else series[series.map(lambda v: v is not None and not (isinstance(v, float) and np.isnan(v)))]
    first = present.iloc[0] if len(present) else None
    if dtype == object and _is_collection(first):
        element = _scalar_type(v for cell in present for v in cell)
        if isinstance(collection, tuple):
            return FeatureDefinition(name, element, collection[0], collection[1])
        kind = collection or "List"
        if kind == "Vector":
            dims = {len(cell) for cell in present}
            if len(dims) != 1:
                raise ValueError(f"column {name}: a Vector needs cells of one length; found lengths {sorted(dims)}")
            return FeatureDefinition(name, element, "Vector", dims.pop())
        return FeatureDefinition(name, element, kind)
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        return FeatureDefinition(name, "Integral")
    if pd.api.types.is_float_dtype(dtype):
        return FeatureDefinition(name, "Fractional")
    if pd.api.types.is_datetime64_any_dtype(dtype):
        # Stored as ISO-8601 UTC text, the form event times take.
        return FeatureDefinition(name, "String")
    if dtype == object:
        return FeatureDefinition(name, _scalar_type(present))
    return FeatureDefinition(name, "String")


def load_feature_definitions(
    df: pd.DataFrame, collections: Optional[Mapping[str, Any]] = None
) -> List[FeatureDefinition]:
    """Feature definitions from a DataFrame's dtypes, as the SageMaker SDK's
    ``FeatureGroup.load_feature_definitions`` infers them: integers (and
    booleans) → Integral, floats → Fractional, strings, datetimes and
    anything else → String; a column whose cells are lists or arrays → a
    collection of its elements' type (List by default; ``collections``
    names another per column: ``{"tags": "Set", "embedding": "Vector"}``,
    a Vector's dimension taken from the cells, or ``("Vector", 4)``).
    """
    collections = collections or {}
    return [_infer(str(name), df[name], collections.get(str(name))) for name in df.columns]
