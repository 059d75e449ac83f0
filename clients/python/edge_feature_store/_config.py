"""Where the store is and which key to use.

Resolved in this order, as the CLI does (docs/cli.md): arguments, then
FS_ENDPOINT / FS_ACCESS_KEY_ID / FS_SECRET_ACCESS_KEY, then the root
credential of the `.dev.vars` a local `npm start` wrote (looked up from the
working directory upwards), with the endpoint http://127.0.0.1:$PORT
(PORT default 8787).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

from .errors import AuthenticationError

DEV_VARS = ".dev.vars"


@dataclass(frozen=True)
class Settings:
    endpoint: str
    access_key_id: str
    secret_access_key: str


def read_dev_vars(path: Path) -> Dict[str, str]:
    """KEY=value lines (values optionally quoted), as scripts/lib/dev-vars.mjs writes them."""
    out: Dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def find_dev_vars(start: Optional[Path] = None) -> Optional[Path]:
    """The nearest .dev.vars from `start` (default: the working directory) upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        candidate = folder / DEV_VARS
        if candidate.is_file():
            return candidate
    return None


def resolve_settings(
    endpoint: Optional[str] = None,
    access_key_id: Optional[str] = None,
    secret_access_key: Optional[str] = None,
    dev_vars: Optional[os.PathLike] = None,
) -> Settings:
    env = os.environ
    endpoint = endpoint or env.get("FS_ENDPOINT") or f"http://127.0.0.1:{env.get('PORT', '8787')}"
    key_id = access_key_id or env.get("FS_ACCESS_KEY_ID")
    secret = secret_access_key or env.get("FS_SECRET_ACCESS_KEY")
    if not (key_id and secret):
        path = Path(dev_vars) if dev_vars is not None else find_dev_vars()
        if path is not None and path.is_file():
            values = read_dev_vars(path)
            key_id = key_id or values.get("FS_ROOT_ACCESS_KEY_ID")
            secret = secret or values.get("FS_ROOT_SECRET_ACCESS_KEY")
    if not (key_id and secret):
        raise AuthenticationError(
            "no credentials: pass access_key_id and secret_access_key, set FS_ACCESS_KEY_ID and "
            "FS_SECRET_ACCESS_KEY, or run from the folder of a local `npm start` (its .dev.vars)",
            code="no_credentials",
        )
    return Settings(endpoint.rstrip("/"), key_id, secret)
