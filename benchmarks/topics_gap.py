"""Where the narrow main-topic gap comes from: controlled experiments on validation days.

    python -m benchmarks.topics_gap [--model FILE] [--out FILE]

The validation days of ``python -m benchmarks.topics validate`` (the training side of the date split
split again by date; the test days play no part). Main topic = the best main score of a paper.

- recipe: the shipped training recipe and a plain reference (scikit-learn ``TfidfVectorizer`` word
  1-2 grams + a multiclass ``LinearSVC`` on the primary category), each trained on the narrow corpora's
  fit days only and on all fit days, each validation paper scored alone;
- label set: the same argmax restricted to the primary categories its corpus had in the fit days
  (what a perfect guess of "which listing is this" would give);
- composition: fit papers per narrow validation primary category, by corpus;
- main head: the shipped one-vs-rest main columns against a multiclass softmax head (``LinearSVC`` on
  the primary, softmax temperature fitted on a held-out fifth of the fit days), decoded alone, in the
  shipped digest context (digest types counted on the fit days), and under each digest's true main-topic mix (oracle: the ceiling of any
  batch estimate with that head).

``--model``: the shipped recipe's validation model saved by ``validate --save-model`` (else trained here).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from benchmarks.topics import CORPORA, NARROW, as_papers, attach_types, date_split, digest_of, type_counts


def _main_index(records, index: dict[str, int]) -> np.ndarray:
    return np.array([index.get(r.primary or "", -1) for r in records])


def _accuracy(scores: np.ndarray, y: np.ndarray, allowed: np.ndarray | None = None) -> float:
    S = np.array(scores, dtype=float)
    if allowed is not None:
        S[:, ~allowed] = -np.inf
    ok = y >= 0
    return float((S.argmax(1)[ok] == y[ok]).mean()) if ok.any() else float("nan")


def _reference(fit_docs, y_fit, val_docs, L: int) -> np.ndarray:
    """The plain reference: tf-idf word 1-2 grams + multiclass LinearSVC on the primary category."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    ok = y_fit >= 0
    clf = LinearSVC(C=1.0).fit(vec.fit_transform([d for d, k in zip(fit_docs, ok) if k]), y_fit[ok])
    scores = np.full((len(val_docs), L), -1e9)
    scores[:, clf.classes_] = clf.decision_function(vec.transform(val_docs))
    return scores


def _shipped_main(model, papers, labels: list[str]) -> np.ndarray:
    """A shipped-recipe model's main scores, in the columns of ``labels`` (absent labels: -1)."""
    index = {label: j for j, label in enumerate(labels)}
    own = model.main_scores(papers)
    scores = np.full((len(papers), len(labels)), -1.0)
    for j, label in enumerate(model.labels):
        if label in index:
            scores[:, index[label]] = own[:, j]
    return scores


def softmax_head(model, fit, val_papers, y_fit: np.ndarray, seed: int = 0) -> np.ndarray:
    """Multiclass main-topic posteriors: LinearSVC on the primary (the model's own features) trained
    on four fifths of ``fit``, a softmax temperature fitted by log-loss on the last fifth."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax, softmax
    from sklearn.svm import LinearSVC

    X = model.features(as_papers(fit))
    held = np.random.default_rng(seed).random(len(fit)) < 0.2
    train, cal = ~held & (y_fit >= 0), held & (y_fit >= 0)
    clf = LinearSVC(C=0.3, max_iter=200).fit(X[train], y_fit[train])
    L = len(model.labels)

    def full(S: np.ndarray) -> np.ndarray:
        out = np.full((len(S), L), -1e4)
        out[:, clf.classes_] = S
        return out

    S_cal, y_cal = full(clf.decision_function(X[cal])), y_fit[cal]
    loss = lambda t: -log_softmax(S_cal * t, axis=1)[np.arange(len(y_cal)), y_cal].mean()
    T = minimize_scalar(loss, bounds=(0.1, 100.0), method="bounded").x
    return softmax(full(clf.decision_function(model.features(val_papers))) * T, axis=1).astype(np.float32)


def oracle_main(model, P_all: np.ndarray, y: np.ndarray, digests) -> float:
    """Main-topic accuracy when each digest's main-topic mix is its true one (the batch ceiling)."""
    from zotrec.topics.context import adjust

    L, prior = len(model.labels), model._p["prior"]["main"]
    groups: dict = defaultdict(list)
    for i, g in enumerate(digests):
        groups[g].append(i)
    hits = total = 0
    for rows in map(np.array, groups.values()):
        ok = y[rows] >= 0
        mix = np.bincount(y[rows][ok], minlength=L) + 1e-3
        best = (adjust(P_all[rows, L:], prior, mix / mix.sum()) * P_all[rows, :L]).argmax(1)
        hits, total = hits + int((best[ok] == y[rows][ok]).sum()), total + int(ok.sum())
    return hits / max(total, 1)


def main(argv: list[str] | None = None) -> int:
    from zotrec.topics import load_topic_model
    from zotrec.topics.build import train_from_records
    from zotrec.topics.corpus import read_corpus
    from zotrec.topics.evaluate import evaluate
    from zotrec.topics.model import document

    parser = argparse.ArgumentParser(prog="python -m benchmarks.topics_gap")
    parser.add_argument("--corpora", default=str(CORPORA))
    parser.add_argument("--model", help="the shipped recipe trained on the fit days (validate --save-model)")
    parser.add_argument("--out", help="write the results (JSON) here")
    args = parser.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)
    train, _test, _cuts = date_split(read_corpus([args.corpora]))
    fit, val, val_cuts = date_split(train)
    narrow_fit = [r for r in fit if r.corpus in NARROW]
    log(f"{len(fit)} fit papers ({len(narrow_fit)} narrow); {len(val)} validation papers (days from {val_cuts})")
    t0 = time.perf_counter()
    model = load_topic_model(args.model) if args.model else train_from_records(fit, n_jobs=1)
    attach_types(model, type_counts(fit, Path(args.corpora)))  # the shipped decoding's digest types, from the fit days
    labels = model.labels
    index = {label: j for j, label in enumerate(labels)}
    rows = np.array([i for i, r in enumerate(val) if r.corpus in NARROW])
    vrecs, papers = [val[i] for i in rows], as_papers([val[i] for i in rows])
    y, y_fit = _main_index(vrecs, index), _main_index(fit, index)
    corpus_rows = {c: np.array([i for i, r in enumerate(vrecs) if r.corpus == c]) for c in NARROW}
    own_set = {c: np.isin(np.arange(len(labels)), y_fit[[r.corpus == c for r in fit]]) for c in NARROW}
    fit_docs, val_docs = [document((r.title, r.abstract)) for r in fit], [document(p) for p in papers]
    narrow_ix = np.array([r.corpus in NARROW for r in fit])
    log("training: shipped recipe on the narrow fit days; the reference on the narrow and on all fit days")
    scores = {
        "shipped recipe, all fit days": _shipped_main(model, papers, labels),
        "shipped recipe, narrow fit days only": _shipped_main(train_from_records(narrow_fit, n_jobs=1), papers, labels),
        "reference, narrow fit days only": _reference(
            [d for d, k in zip(fit_docs, narrow_ix) if k], y_fit[narrow_ix], val_docs, len(labels)
        ),
        "reference, all fit days": _reference(fit_docs, y_fit, val_docs, len(labels)),
    }
    results: dict = {"validation_days_from": val_cuts, "fit_papers": len(fit), "narrow_validation_papers": len(rows)}
    results["alone"] = {
        name: {
            "narrow": _accuracy(S, y),
            **{c: _accuracy(S[r], y[r]) for c, r in corpus_rows.items()},
            **{f"{c}, own label set": _accuracy(S[r], y[r], own_set[c]) for c, r in corpus_rows.items()},
        }
        for name, S in scores.items()
    }
    results["composition"] = composition(fit, vrecs)
    log("main heads: shipped one-vs-rest columns vs a multiclass softmax head")
    P_all, known = model._calibrated(papers)
    soft = P_all.copy()
    soft[:, len(labels) :] = softmax_head(model, fit, papers, y_fit)
    digests = digest_of(vrecs, Path(args.corpora))
    results["main_head"] = {}
    for name, P in (("shipped one-vs-rest main columns", P_all), ("multiclass softmax head", soft)):
        row = {"oracle_mix": oracle_main(model, P, y, digests)}
        for mode, groups in (("alone", None), ("context", digests)):
            ev = evaluate(model, papers, [r.labels for r in vrecs], digests=groups, scores=(P, known))
            row[mode] = ev.summary()["top1_primary"]
        results["main_head"][name] = row
    results["seconds"] = round(time.perf_counter() - t0)
    print_gap(results)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    return 0


def composition(fit, vrecs, top: int = 10) -> list[dict]:
    """The narrow validation days' most frequent primary categories and their fit papers by corpus."""
    out = []
    for label, n in Counter(r.primary for r in vrecs if r.primary).most_common(top):
        primary = Counter(r.corpus for r in fit if r.primary == label)
        out.append(
            {
                "label": label,
                "validation": n,
                "fit_primary": sum(primary.values()),
                "fit_any": sum(1 for r in fit if label in r.labels),
                "by_corpus": dict(primary.most_common()),
            }
        )
    return out


def print_gap(results: dict) -> None:
    print(
        f"narrow validation papers: {results['narrow_validation_papers']} (days from {results['validation_days_from']})"
    )
    print(
        "\nmain topic, each paper alone (argmax of the main scores); 'own set' = restricted to its corpus's fit primaries"
    )
    for name, res in results["alone"].items():
        parts = [f"narrow {res['narrow']:.3f}"] + [
            f"{c.removeprefix('arxiv-daily-')} {res[c]:.3f} (own set {res[c + ', own label set']:.3f})" for c in NARROW
        ]
        print(f"  {name:38s} " + ", ".join(parts))
    print("\nfit papers per narrow validation primary (primary / any position; by corpus)")
    for row in results["composition"]:
        print(
            f"  {row['label']:14s} val {row['validation']:4d}: fit {row['fit_primary']:5d} / {row['fit_any']:5d} {row['by_corpus']}"
        )
    print("\nmain head (narrow, main topic = primary): alone / shipped digest context / oracle digest mix")
    for name, row in results["main_head"].items():
        print(f"  {name:34s} {row['alone']:.3f} / {row['context']:.3f} / {row['oracle_mix']:.3f}")


if __name__ == "__main__":
    sys.exit(main())
