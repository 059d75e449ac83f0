"""docs/python.md's walkthrough runs as written: its python cells, in order,
in one namespace, against the store under test."""

import re
from pathlib import Path

import pandas as pd

DOC = Path(__file__).resolve().parents[3] / "docs" / "python.md"


def test_the_walkthrough_in_docs_python_md_runs_as_written():
    text = DOC.read_text(encoding="utf-8")
    walkthrough = text.split("## Walkthrough", 1)[1].split("\n## ", 1)[0]
    cells = re.findall(r"```python\n(.*?)```", walkthrough, flags=re.S)
    assert len(cells) >= 10
    namespace = {}
    for cell in cells:
        exec(compile(cell, str(DOC), "exec"), namespace)
    fs, train, labels = namespace["fs"], namespace["train"], namespace["labels"]
    assert namespace["result"].written == 3_000 and namespace["result"].invalid_rows == 0
    assert sorted(namespace["report"].rejected["error_field"]) == ["embedding", "user_id"]
    assert len(train) == len(labels) and train["users__purchases_7d"].notna().all()
    assert train.attrs["knowledge_time"]["rowsEmptied"] == 0
    assert str(train["users__purchases_7d"].dtype) == "Int64" and train["label_time"].dtype == labels["label_time"].dtype
    last_day = namespace["days"][-1]
    assert pd.Timestamp(fs.get_record("users", "u0042")["event_time"]) == last_day
    assert namespace["features"].attrs["misses"] == ["nobody"]
    assert pd.Timestamp(fs.history("users", "u0042")["event_time"].iloc[-1]) == last_day
