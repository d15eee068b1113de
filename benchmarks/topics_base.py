"""Stronger base classifiers for the topic model, screened on validation days (narrow split).

    python -m benchmarks.topics_base [--variants char,lsa,stack] [--cache DIR] [--out FILE]

The split of ``python -m benchmarks.topics validate``: the training side of the date split split again
by date; the test days play no part. Fit papers = the narrow corpora's (cs, astro-ph, q-bio listings)
days before their validation days; validation papers = their validation days, fed without categories
in one-day digests. Every variant gives target-column scores (topic and main-topic columns, as the
shipped model has) from level-1 views:

- ``word``: the shipped recipe (hashed word + bigram sublinear tf-idf, one-vs-rest LinearSVC C=0.3,
  4,000 weights kept per column); the baseline;
- ``char``: character n-grams (``char_wb`` 3-5, hashed, sublinear tf-idf) with the same SVMs, alone,
  in one SVM with the word features, and averaged with the word SVMs' log-odds;
- ``lsa``: TruncatedSVD (LSA) of the word tf-idf fed to a small MLP (one hidden layer), alone and
  mixed with the word SVMs' log-odds;
- ``stack``: a second level over the word SVMs' log-odds of every column (a ridge regression of each
  column on all columns: label co-occurrence for topics and main topics); with ``lsa`` also over the
  word SVM and LSA-MLP log-odds together.

Each variant is calibrated as the shipped model is (Platt scaling and per-label thresholds, shipped
``_calibration``) on out-of-fold scores of the fit papers (5 folds, the shipped fold assignment), and
decoded by the shipped code (``evaluate``: digest context with digest types counted on the fit days,
and each paper alone). A variant would replace the shipped recipe only with >= +0.01 in both narrow
micro-F1 and main topic over ``word`` in context (two trainings of one recipe differ by ~0.006).
Without ``--cache`` a run takes about 40 minutes on a busy 2-core machine (each character-n-gram view
and the MLP about 10); with it, the views are computed once and reused.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from benchmarks.topics import CORPORA, NARROW, as_papers, attach_types, date_split, digest_of, type_counts

FOLDS = 5


class Screen:
    """The narrow fit/validation papers, the baseline model, and the shipped calibration and decoding."""

    def __init__(self, corpora: Path, cache: Path | None, log: Callable[[str], None]) -> None:
        from zotrec.topics import model as M
        from zotrec.topics.build import train_from_records
        from zotrec.topics.corpus import read_corpus

        self.log, self.cache = log, cache
        train, _test, _cuts = date_split(read_corpus([corpora]))
        fit, val, self.val_days_from = date_split(train)
        self.fit = [r for r in fit if r.corpus in NARROW]
        self.val = [r for r in val if r.corpus in NARROW]
        self.digests = digest_of(self.val, corpora)
        self.papers = as_papers(self.val)
        log(f"{len(self.fit)} narrow fit papers, {len(self.val)} narrow validation papers")
        t = time.perf_counter()
        self.base = train_from_records(self.fit, n_jobs=1)
        log(f"baseline (shipped recipe) trained in {time.perf_counter() - t:.0f} s")
        attach_types(self.base, type_counts(self.fit, corpora))
        self.labels = self.base.labels
        self.L = len(self.labels)
        self.Y = M._targets([r.labels for r in self.fit], {x: j for j, x in enumerate(self.labels)}, True)
        self.fold = np.random.default_rng(0).permutation(len(self.fit)) % FOLDS  # as the shipped training
        self.word_fit = self.base.features([(r.title, r.abstract) for r in self.fit])
        self.word_val = self.base.features(self.papers)
        self.known = np.diff(self.word_val.indptr) > 0

    def cached(self, name: str, compute: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        path = self.cache / f"{name}.npz" if self.cache else None
        if path and path.exists():
            z = np.load(path)
            return z["oof"], z["val"]
        t = time.perf_counter()
        oof, val = compute()
        self.log(f"  {name}: {time.perf_counter() - t:.0f} s")
        if path:
            np.savez(path, oof=oof, val=val)
        return oof, val

    def word(self) -> tuple[np.ndarray, np.ndarray]:
        """The baseline's out-of-fold scores (its own calibration data) and validation scores."""
        return self.base.calibration_data[0], self.base.decision(self.papers)

    def svm(self, Xf: sp.csr_matrix, Xv: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """Out-of-fold and full-fit scores of the shipped per-column SVMs on these features."""
        from zotrec.topics import model as M

        oof = np.zeros(self.Y.shape, dtype=np.float32)
        for f in range(FOLDS):
            part = self.fold == f
            coef, b = M._fit_all(Xf[~part], self.Y[~part], 0.3, 4000, 1)
            oof[part] = (Xf[part] @ coef.T).toarray() + b
        coef, b = M._fit_all(Xf, self.Y, 0.3, 4000, 1)
        return oof, ((Xv @ coef.T).toarray() + b).astype(np.float32)

    def log_odds(self, oof: np.ndarray, val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores on the Platt-calibrated log-odds scale (fitted on the out-of-fold scores)."""
        calib, _ = self.calibrate(oof)
        return tuple(np.clip(s * calib[:, 0] + calib[:, 1], -30, 30).astype(np.float32) for s in (oof, val))

    def calibrate(self, oof: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from zotrec.topics import model as M

        return M._calibration(oof.astype(np.float32), self.Y, self.L, "arxiv", 50.0, 0.3)

    def decode(self, oof: np.ndarray, val: np.ndarray) -> dict[str, list[float]]:
        """Calibrate on ``oof``; narrow micro-F1, main topic, archive in context and alone."""
        import copy

        from zotrec.topics import model as M
        from zotrec.topics.evaluate import evaluate

        calib, thresholds = self.calibrate(oof)
        model = copy.copy(self.base)
        model._p = {**self.base._p, "calib": calib, "thresholds": thresholds}
        P = M._sigmoid(np.asarray(val, dtype=np.float32), calib)
        out = {}
        for mode, groups in (("context", self.digests), ("alone", None)):
            labels = [r.labels for r in self.val]
            s = evaluate(model, self.papers, labels, digests=groups, scores=(P, self.known)).summary()
            out[mode] = [s["micro_f1"], s["top1_primary"], s["top1_archive"]]
        return out


def char_features(screen: Screen) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Hashed character n-grams within words (``char_wb`` 3-5), sublinear tf-idf, unit rows."""
    from sklearn.feature_extraction.text import HashingVectorizer

    from zotrec.topics import model as M

    hasher = HashingVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), n_features=2**20, alternate_sign=False, norm=None, dtype=np.float32
    )
    docs_fit = [M.document((r.title, r.abstract)) for r in screen.fit]
    Cf = hasher.transform(docs_fit).tocsr()
    Cv = hasher.transform([M.document(p) for p in screen.papers]).tocsr()
    idf = M._fit_idf(Cf)
    return M._weigh(Cf, idf), M._weigh(Cv, idf)


def lsa_mlp(screen: Screen, dims: int = 300, hidden: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """LSA (TruncatedSVD of the word tf-idf, rows to unit length) -> MLP with one hidden layer, its
    log-odds per target column: out-of-fold on the fit papers and full-fit on validation."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.neural_network import MLPClassifier

    used = np.flatnonzero(screen.base._p["idf"] > 0)
    svd = TruncatedSVD(dims, random_state=0, n_iter=4).fit(screen.word_fit[:, used])
    Zf, Zv = (svd.transform(X[:, used]) for X in (screen.word_fit, screen.word_val))
    Zf, Zv = (5 * Z / (np.linalg.norm(Z, axis=1, keepdims=True) + 1e-9) for Z in (Zf, Zv))
    Y = screen.Y.astype(int)

    def log_odds(train: np.ndarray, Z: np.ndarray) -> np.ndarray:
        clf = MLPClassifier(hidden_layer_sizes=(hidden,), alpha=1e-4, max_iter=60, random_state=0)
        p = np.clip(clf.fit(Zf[train], Y[train]).predict_proba(Z), 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p)).astype(np.float32)

    oof = np.zeros(Y.shape, dtype=np.float32)
    for f in range(FOLDS):
        part = screen.fold == f
        oof[part] = log_odds(~part, Zf[part])
    return oof, log_odds(np.ones(len(Zf), dtype=bool), Zv)


def stacked(screen: Screen, Zf: np.ndarray, Zv: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Second level: a ridge regression of every target column on the level-1 log-odds of all columns
    (label co-occurrence for topics and main topics); out-of-fold on the fit papers (the level-1
    inputs are out-of-fold already), full-fit on validation. Platt scaling then reads its output."""
    from sklearn.linear_model import Ridge

    oof = np.zeros(screen.Y.shape, dtype=np.float32)
    for f in range(FOLDS):
        part = screen.fold == f
        oof[part] = Ridge(alpha=alpha).fit(Zf[~part], screen.Y[~part]).predict(Zf[part])
    return oof, Ridge(alpha=alpha).fit(Zf, screen.Y).predict(Zv).astype(np.float32)


def run(screen: Screen, variants: list[str]) -> list[dict]:
    rows: list[dict] = []

    def add(name: str, scores: tuple[np.ndarray, np.ndarray]) -> None:
        res = screen.decode(*scores)
        rows.append({"variant": name, **res})
        c, a = res["context"], res["alone"]
        print(
            f"{name:52s} context micro-F1 {c[0]:.3f} main {c[1]:.3f} archive {c[2]:.3f} | "
            f"alone {a[0]:.3f} {a[1]:.3f} {a[2]:.3f}",
            flush=True,
        )

    word = screen.word()
    add("word (shipped recipe, baseline)", word)
    lw = screen.log_odds(*word)
    if "char" in variants:
        chars: list[tuple[sp.csr_matrix, sp.csr_matrix]] = []

        def char() -> tuple[sp.csr_matrix, sp.csr_matrix]:
            if not chars:
                chars.append(char_features(screen))
            return chars[0]

        def word_and_char() -> tuple[np.ndarray, np.ndarray]:
            (Cf, Cv), s = char(), 1 / np.sqrt(2)
            return screen.svm(
                sp.hstack([screen.word_fit * s, Cf * s]).tocsr(), sp.hstack([screen.word_val * s, Cv * s]).tocsr()
            )

        both = screen.cached("narrow_word+char35", word_and_char)
        add("word + char_wb 3-5 features, one SVM", both)
        alone = screen.cached("narrow_char35", lambda: screen.svm(*char()))
        add("char_wb 3-5 alone", alone)
        lc = screen.log_odds(*alone)
        add("word and char SVMs, log-odds averaged", ((lw[0] + lc[0]) / 2, (lw[1] + lc[1]) / 2))
    if "lsa" in variants:
        mlp = screen.cached("narrow_lsa300_mlp", lambda: lsa_mlp(screen))
        add("LSA 300 + MLP(512) alone", mlp)
        lm = screen.log_odds(*mlp)
        for a in (0.3, 0.5):
            add(
                f"word SVM and LSA-MLP log-odds, weight {a}", ((1 - a) * lw[0] + a * lm[0], (1 - a) * lw[1] + a * lm[1])
            )
        both = (np.hstack([lw[0], lm[0]]), np.hstack([lw[1], lm[1]]))
        for alpha in (10.0, 100.0, 1000.0):
            add(f"ridge stacker (alpha {alpha:g}) on word SVM + LSA-MLP log-odds", stacked(screen, *both, alpha))
    if "stack" in variants:
        for alpha in (10.0, 100.0, 1000.0):
            add(f"ridge stacker (alpha {alpha:g}) on the word SVM log-odds", stacked(screen, *lw, alpha))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.topics_base")
    parser.add_argument("--corpora", default=str(CORPORA))
    parser.add_argument("--variants", default="char,lsa,stack", help="comma-separated: char, lsa, stack")
    parser.add_argument("--cache", help="keep each view's scores here (a folder) and reuse them")
    parser.add_argument("--out", help="write the rows (JSON) here")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    log = lambda m: print(m, file=sys.stderr, flush=True)
    cache = Path(args.cache) if args.cache else None
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
    screen = Screen(Path(args.corpora), cache, log)
    rows = run(screen, args.variants.split(","))
    if args.out:
        Path(args.out).write_text(
            json.dumps({"validation_days_from": screen.val_days_from, "rows": rows}, indent=2) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
