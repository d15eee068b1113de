"""The top topic of each library item, kept between runs: a changed library relabels only what changed.

The report shows how the library's items spread over topics. Labelling every item takes seconds at
10k items and more, so each item's top label is kept under its content id (``KEY:VERSION``, or a
hash of its text for items read from files; see :mod:`zotrec.recommend.cache`) in one small JSON
file per library in the cache folder, with the model file it came from. A run labels only the
items it has no label for (added or edited since), and all of them when the model file changed.
Each item is labelled alone (no batch context: a library is not one day's digest), so its label
does not depend on which other items were labelled with it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from pathlib import Path

from zotrec.library.base import LibrarySnapshot
from zotrec.private_file import write_private
from zotrec.recommend.cache import DEFAULT_COLLECTION, content_id, profile_items

log = logging.getLogger("zotrec")


def _model_key(model_path: Path | None) -> str:
    from zotrec.topics import shipped_model_path

    model = Path(model_path) if model_path else shipped_model_path()
    stat = model.stat()
    return f"{model.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def _cache_file(library_id: str, folder: Path | None) -> Path:
    if folder is None:
        from zotrec import paths

        folder = paths.cache_dir() / "library-topics"
    return folder / (hashlib.blake2b(library_id.encode(), digest_size=16).hexdigest() + ".json")


def library_topic_counts(
    snapshot: LibrarySnapshot,
    library_id: str,
    model_path: Path | None = None,
    collection: str = DEFAULT_COLLECTION,
    folder: Path | None = None,
) -> dict[str, int]:
    """How many profile items carry each top topic ("none": no topic), labelling only new items."""
    model_key = _model_key(model_path)
    items = profile_items(snapshot, collection)
    ids = [content_id(item) for item in items]
    path = _cache_file(library_id, folder)
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        labels: dict[str, str] = kept["labels"] if kept.get("model") == model_key else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        labels = {}
    missing = [n for n, cid in enumerate(ids) if cid not in labels]
    if missing or len(labels) != len(set(ids)):
        if missing:
            paths = {key: snapshot.collection_path(key) for key in snapshot.collections}
            for n, label in zip(missing, top_labels([items[n] for n in missing], paths, model_path)):
                labels[ids[n]] = label
        labels = {cid: labels[cid] for cid in ids}
        _store(path, {"model": model_key, "labels": labels})
    return dict(Counter(labels[cid] for cid in ids))


PARALLEL_FROM = 4_000  # label this many items or more in two worker processes


def _label_chunk(items: list[dict], paths: dict[str, str], model_path: Path | None) -> list[str]:
    """The top topic label of each item, each labelled alone ("none": no confident topic)."""
    from zotrec.library.items import item_to_paper
    from zotrec.topics import load_topic_model

    papers = [item_to_paper(item, paths) for item in items]
    return [
        found[0].label if found else "none" for found in load_topic_model(model_path).predict(papers, context=False)
    ]


def top_labels(items: list[dict], paths: dict[str, str], model_path: Path | None = None) -> list[str]:
    """:func:`_label_chunk` of ``items``; many items are split over two joblib worker processes
    (each item is labelled alone, so the labels do not depend on the split)."""
    if len(items) < PARALLEL_FROM:
        return _label_chunk(items, paths, model_path)
    from joblib import Parallel, delayed

    half = (len(items) + 1) // 2
    parts = Parallel(n_jobs=2)(delayed(_label_chunk)(part, paths, model_path) for part in (items[:half], items[half:]))
    return [label for part in parts for label in part]


def _store(path: Path, data: dict) -> None:
    try:
        write_private(path, lambda fh: fh.write(json.dumps(data).encode("utf-8")))
    except OSError as err:
        log.warning("library topic labels not kept (%s): the next run labels the library again", err)
