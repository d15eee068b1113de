"""Identity keys of library items (arXiv id, DOI, normalised title), kept between runs.

Building a Paper for every library item on every run, only to read its identity keys, costs
seconds at 50k items. The keys of each item are kept in the cache folder under the item's version
(``KEY:VERSION``) or, for items without one (export files), a hash of the whole item; only new or
changed items are converted. Safe to delete; unreadable or unwritable means converting all items.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from zotrec import later
from zotrec.private_file import write_private

log = logging.getLogger("zotrec")

MAX_ENTRIES = 500_000  # beyond this the kept keys start afresh (several large libraries)


def _item_id(item: dict[str, Any]) -> str:
    version = item.get("version")
    if version and item.get("key"):
        return f"{item['key']}:{version}"
    text = json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)
    return "h:" + hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _stamp() -> str:
    from zotrec import __version__

    return f"1|{__version__}"


def _cache_path() -> Path:
    from zotrec import paths

    return paths.cache_dir() / "identity-keys.pickle"


# Keys of item objects whose Papers this process built anyway (a full library-feature build), by
# id() next to the item itself (the same object, not an equal one), read by the next identity_keys call.
_BUILT: dict[int, tuple[dict[str, Any], list[str]]] = {}


def remember(items: Iterable[dict[str, Any]], keys: Iterable[list[str]]) -> None:
    """Keep ``keys`` (``item_to_paper(item).identity_keys()`` of each of ``items``, abstract or not: the
    keys do not depend on it) for the next :func:`identity_keys` call of this process."""
    for item, found in zip(items, keys):
        _BUILT[id(item)] = (item, found)


def identity_keys(items: Iterable[dict[str, Any]]) -> list[list[str]]:
    """``item_to_paper(item, abstract=False).identity_keys()`` of each item, from the cache where kept."""
    from zotrec.library.items import item_to_paper

    items = list(items)
    path = _cache_path()
    later.wait(path)
    try:
        with open(path, "rb") as fh:
            stamp, kept = pickle.load(fh)
        if stamp != _stamp() or not isinstance(kept, dict):
            kept = {}
    except FileNotFoundError:
        kept = {}
    except Exception as err:  # an unreadable cache means converting every item
        log.warning("identity key cache %s unreadable (%s)", path, type(err).__name__)
        kept = {}
    ids = [_item_id(item) for item in items]
    out, fresh = [], 0
    for item, iid in zip(items, ids):
        keys = kept.get(iid)
        if keys is None:
            built = _BUILT.get(id(item))
            keys = built[1] if built is not None and built[0] is item else None
            keys = kept[iid] = keys if keys is not None else item_to_paper(item, abstract=False).identity_keys()
            fresh += 1
        out.append(keys)
    _BUILT.clear()
    if fresh:
        if len(kept) > MAX_ENTRIES:
            kept = dict(zip(ids, out))
        later.write(path, lambda: _write(path, kept))
    return out


def _write(path: Path, kept: dict[str, list[str]]) -> None:
    try:
        write_private(path, lambda fh: pickle.dump((_stamp(), kept), fh, protocol=5))
    except OSError as err:
        log.warning("identity key cache not written (%s)", err)
