"""The pipeline `zotrec sync` runs, as a story: read -> rank -> choose -> push -> record.

1. **read** the digests (:func:`read_digests`) and the library (a snapshot);
2. **rank** every digest paper against the library: topics, 0-100 score, reasons (:func:`rank`);
3. **choose** the picks: above the threshold, at most top-N, at most K per top topic (:func:`choose`);
4. **push** the picks into the target collection, exactly once (:func:`zotrec.push.push`);
5. **record** the run, its counts and its summary in the state (:func:`record`).

:func:`sync` tells the whole story over a :class:`Library` and a :class:`StateStore`; `zotrec
recommend` stops after the choice. zotrec.runner sets the stage (config, library, lock, log).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from zotrec.errors import EXIT_INPUT, EXIT_OK, EXIT_PARTIAL
from zotrec.interests import InterestSettings
from zotrec.known import KnownPapers, pushed_today
from zotrec.library.base import Library, LibrarySnapshot
from zotrec.paper import Paper
from zotrec.push import PushOutcome, push
from zotrec.ranked import Ranked, Topic
from zotrec.recommend.cache import DEFAULT_COLLECTION, FeatureCache, iter_profile_items, library_index, profile_items
from zotrec.report import library_topics
from zotrec.state import StateStore

log = logging.getLogger("zotrec")

MIN_PICK_SCORE = 50.0  # the daily minimum only adds papers above this: closer to the library than any background paper
DAILY_MINIMUM = "daily minimum"
ABOVE_THRESHOLD = "above threshold"
MIN_ABSTRACTS = 5  # fewer library items with an abstract than this: scores rest on titles alone
Progress = Callable[[str], None]


@dataclass
class SyncOptions:
    """Everything a run needs besides the library and the state (see zotrec.config)."""

    digests: list[str]
    collection: str = DEFAULT_COLLECTION
    threshold: float = 60.0  # on the 0-100 score scale
    top_n: int = 20
    min_picks: int = 3  # below this many picks, add the best papers above MIN_PICK_SCORE
    per_topic_max: int | None = None
    route_by_topic: bool = False  # file each push in a subcollection named after its top topic
    push_tags: str = "main"  # which topics become Zotero tags: main | all | none
    dry_run: bool = False
    digest_date: dt.date | None = None
    skip_replacements: bool = False
    enrich: bool = False
    source_timeout: float = 60.0  # seconds for each digest URL, retries included (sources.timeout)
    model_path: Path | None = None
    personal_model_path: Path | None = None
    interests: InterestSettings | None = None  # which collections are interests (None: the defaults)
    per_interest_max: int | None = None  # at most this many picks per interest
    file_into: str = "interest"  # "interest": each pick into "<collection>/<interest>"; "flat"

    def interest_settings(self) -> InterestSettings:
        """The interest settings, with zotrec's own collection always left out."""
        base = self.interests or InterestSettings()
        return replace(base, own=tuple(dict.fromkeys((*base.own, self.collection))))


@dataclass
class SyncResult:
    run_id: int | None
    papers_read: int
    sources: list[Any]  # zotrec.sources.SourceReport
    ranked: list[Ranked]
    library_size: int
    library_description: str
    threshold: float
    outcome: PushOutcome = field(default_factory=PushOutcome)
    dry_run: bool = False
    started: float = field(default_factory=time.time)
    finished: float | None = None
    library_topics: dict[str, int] = field(default_factory=dict)
    library_id: str = ""  # the state's name of the library (tells the report whether Zotero can open its items)
    delivery: Any = None  # zotrec.deliver.Delivery once the run's report, feed and e-mail are out
    warnings: list[str] = field(default_factory=list)  # about this run's inputs (an empty library...)
    min_picks: int = 0

    @property
    def recommended(self) -> list[Ranked]:
        return [r for r in self.ranked if r.chosen]

    @property
    def known(self) -> list[Ranked]:
        """Digest papers already in the library or pushed before (not recommended, not counted)."""
        return [r for r in self.ranked if r.known]

    @property
    def empty_reason(self) -> str | None:
        """When nothing was recommended: one sentence saying why and what to change."""
        return None if self.recommended else why_empty(self.ranked, self.threshold, self.min_picks)

    @property
    def failed_sources(self) -> list[Any]:
        return [s for s in self.sources if s.error]

    @property
    def partial_sources(self) -> list[Any]:
        """Sources read only in part (a file cut off): their complete papers are used."""
        return [s for s in self.sources if getattr(s, "partial", None)]

    @property
    def exit_code(self) -> int:
        if self.sources and len(self.failed_sources) == len(self.sources):
            return EXIT_INPUT
        if (
            self.failed_sources
            or self.partial_sources
            or self.outcome.failed
            or self.outcome.rejected
            or (self.delivery is not None and self.delivery.errors)
        ):
            return EXIT_PARTIAL
        return EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "papers": self.papers_read,
            "sources": [
                {
                    "source": s.source,
                    "count": s.count,
                    "error": s.error,
                    "format": getattr(s, "format", None),
                    "partial": getattr(s, "partial", None),
                }
                for s in self.sources
            ],
            "library": {"description": self.library_description, "size": self.library_size, "id": self.library_id},
            "threshold": self.threshold,
            "min_picks": self.min_picks,
            "recommended": [r.to_json() for r in self.recommended],
            "known": [
                {
                    "title": r.paper.title,
                    "ids": r.paper.ids(),
                    "score": round(r.score, 1),
                    "why_not": r.known,
                }
                for r in self.known
            ],
            "empty_reason": self.empty_reason,
            "warnings": list(self.warnings),
            "pushed": [{"title": p.title, "key": key, "ids": p.ids()} for p, key in self.outcome.pushed],
            "failed": [{"title": p.title, "error": err} for p, err in self.outcome.failed],
            "rejected": [{"title": p.title, "error": err} for p, err in self.outcome.rejected],
            "skipped_duplicates": len(self.outcome.skipped_duplicates),
            "recovered": self.outcome.recovered,
            "dry_run": self.dry_run,
            "library_topics": self.library_topics,
            "started": self.started,
            "finished": self.finished,
            "all": [r.to_json() for r in self.ranked],
            "exit_code": self.exit_code,
        }


def library_problem(items: Iterable[dict[str, Any]]) -> str | None:
    """One line when the profile cannot give useful scores: an empty library, or too few abstracts.

    ``items`` are read up to the MIN_ABSTRACTS-th with an abstract (a generator is not read further)."""
    count = with_abstract = 0
    for item in items:
        count += 1
        with_abstract += bool((item.get("abstractNote") or "").strip())
        if with_abstract >= MIN_ABSTRACTS:
            return None
    if not count:
        return (
            "your library is empty: every paper scores 0 and nothing is recommended; import your papers "
            "(`zotrec library import FILE`) or point zotero.backend at your Zotero library"
        )
    return (
        f"only {with_abstract} of your {count} library items have an abstract: scores use titles alone "
        "and are weak; add abstracts (Zotero: right-click > Retrieve Metadata) or import an export with them"
    )


def profile_papers(snapshot: LibrarySnapshot, collection: str = DEFAULT_COLLECTION) -> list[Paper]:
    """:func:`profile_items` as Papers."""
    from zotrec.library.items import item_to_paper

    paths = {key: snapshot.collection_path(key) for key in snapshot.collections}
    return [item_to_paper(item, paths) for item in profile_items(snapshot, collection)]


def feedback_pairs(state: StateStore | None, library_id: str) -> list[tuple[Paper, int]]:
    """The feedback given in this library (another library's never changes its scores)."""
    if state is None:
        return []
    return [(Paper.from_json(f["paper"]), f["value"]) for f in state.feedback(library_id) if f["value"]]


def read_digests(options: SyncOptions):
    from zotrec.sources import read_sources

    return read_sources(
        options.digests,
        digest_date=options.digest_date,
        skip_replacements=options.skip_replacements,
        enrich=options.enrich,
        timeout=options.source_timeout,
    )


def label_topics(papers: list[Paper], options: SyncOptions) -> list[list[Topic]]:
    """The topics of each paper: its own arXiv categories first, the classifier's labels where it
    lists none (the classifier still sees the whole digest: its prior is estimated on the day's
    batch), then the personal model's labels when one is configured."""
    from zotrec.topics import load_topic_model

    model = load_topic_model(options.model_path)
    topics = model.predict(papers) if papers else []
    personal = None
    if options.personal_model_path:
        personal = load_topic_model(options.personal_model_path)
    personal_topics = personal.predict(papers) if personal and papers else [[] for _ in papers]
    return [(Topic.listed(p.categories) or ts) + pts for p, ts, pts in zip(papers, topics, personal_topics)]


def rank(
    papers: list[Paper],
    snapshot: LibrarySnapshot,
    library_id: str,
    options: SyncOptions,
    state: StateStore | None = None,
    progress: Progress | None = None,
    known: KnownPapers | None = None,
    *,
    topics: Callable[[], list[list[Topic]]] | None = None,
    index: Any = None,
    tokens: Callable[[], Any] | None = None,
) -> list[Ranked]:
    """Label, score and choose: every digest paper, best first, with ``chosen`` set.

    Papers already in the library (live or trashed) or pushed before (``known``, built from the
    snapshot and the state when not given) are marked and never chosen. ``topics``: the papers'
    topics in their order when something else labels them (:mod:`zotrec.digest_side`), asked for
    once the scores are known; ``index``: the library's :class:`LibraryIndex` when already loaded;
    ``tokens``: the word ids of the papers' texts when something else made them
    (:class:`zotrec.recommend.texts.PaperTokens` or None), asked for just before they are counted."""
    from zotrec.recommend import Recommender

    say = progress or (lambda _msg: None)
    if topics is None:
        say(f"labelling {len(papers)} papers by topic")
        labels = label_topics(papers, options)
        topics = lambda: labels
    say(f"scoring against {len(snapshot.items)} library items")
    if index is None:
        index = library_index(
            snapshot, library_id, FeatureCache(), options.collection, interests=options.interest_settings()
        )
    recommender = Recommender(index, feedback=feedback_pairs(state, library_id))
    recs = recommender.rank(papers, tokens=tokens() if tokens is not None else None)
    known = known or KnownPapers.build(snapshot, state, library_id, options.collection)
    topics_by_id = {id(p): ts for p, ts in zip(papers, topics())}
    ranked = [
        Ranked(
            paper=r.paper,
            score=float(r.score),
            topics=topics_by_id.get(id(r.paper), []),
            reasons=list(r.reasons),
            terms=list(r.terms),
            known=known.why(r.paper, (x.title for x in r.reasons)),
            disliked=r.disliked,
            interest=r.interest,
        )
        for r in recs
    ]
    choose(ranked, options)
    return ranked


def balance(ranked: list[Ranked]) -> list[Ranked]:
    """``ranked`` reordered within runs of equal (displayed) scores: the first paper of each interest
    before the second of any, and so on, so one large interest cannot take every slot of a tie."""
    out: list[Ranked] = []
    start = 0
    while start < len(ranked):
        end = start
        score = round(ranked[start].score, 1)
        while end < len(ranked) and round(ranked[end].score, 1) == score:
            end += 1
        seen: dict[str | None, int] = {}
        turn = []
        for position, r in enumerate(ranked[start:end]):
            seen[r.interest] = seen.get(r.interest, 0) + 1
            turn.append((seen[r.interest], position))
        out.extend(ranked[start + p] for _, p in sorted(turn))
        start = end
    return out


def choose(ranked: list[Ranked], options: SyncOptions) -> None:
    """Mark the papers to push: not already known, above the threshold, at most top-N, at most K
    per top topic; then, when fewer than ``min_picks`` passed, the best remaining papers that still
    score above :data:`MIN_PICK_SCORE` (``reason_picked = "daily minimum"``). Known papers take no
    slot, except those pushed earlier the same day, which count toward top-N and the minimum. At most
    ``per_interest_max`` per interest; on equal scores an interest without a pick yet goes first
    (``ranked`` is reordered, see :func:`balance`)."""
    ranked[:] = balance(ranked)
    per_topic: dict[str, int] = {}
    per_interest: dict[str, int] = {}

    def top_topic(r: Ranked) -> str:
        return r.top_label

    def capped(r: Ranked) -> bool:
        return bool(options.per_topic_max) and per_topic.get(top_topic(r), 0) >= (options.per_topic_max or 0)

    def interest_capped(r: Ranked) -> bool:
        limit = options.per_interest_max or 0
        return bool(limit) and r.interest is not None and per_interest.get(r.interest, 0) >= limit

    def pick(r: Ranked, reason: str) -> None:
        r.chosen, r.reason_picked, r.why_not = True, reason, None
        per_topic[top_topic(r)] = per_topic.get(top_topic(r), 0) + 1
        if r.interest:
            per_interest[r.interest] = per_interest.get(r.interest, 0) + 1

    # papers of this digest pushed earlier the same day fill slots: a second run of a day (or the
    # re-run of a killed one) completes the day instead of pushing N more
    chosen = sum(1 for r in ranked if pushed_today(r.known))
    for r in ranked:
        if r.known:
            r.why_not = r.known
        elif r.paper.extras.get("non_research"):
            r.why_not = "not a research paper"
        elif r.score < options.threshold:
            r.why_not = (
                f"like {r.disliked!r} you marked not relevant"
                if r.disliked
                else f"below threshold {options.threshold:g}"
            )
        elif chosen >= options.top_n:
            r.why_not = f"top {options.top_n} reached"
        elif capped(r):
            r.why_not = f"per-topic cap {options.per_topic_max} reached for {top_topic(r)}"
        elif interest_capped(r):
            r.why_not = f"per-interest cap {options.per_interest_max} reached for {r.interest}"
        else:
            pick(r, ABOVE_THRESHOLD)
            chosen += 1
    floor = min(options.min_picks, options.top_n)
    for r in ranked:
        if chosen >= floor or r.score <= MIN_PICK_SCORE:
            break
        if (
            r.chosen
            or r.known
            or r.disliked
            or r.paper.extras.get("non_research")
            or r.score >= options.threshold
            or capped(r)
            or interest_capped(r)
        ):
            continue
        pick(r, DAILY_MINIMUM)
        chosen += 1


def score_under(score: float, limit: float) -> str:
    """``score`` with one decimal, or more when one would round it up to ``limit`` (49.97 under 50)."""
    for decimals in (1, 2, 3):
        text = f"{score:.{decimals}f}"
        if float(text) < limit:
            break
    return text


def why_empty(ranked: list[Ranked], threshold: float, min_picks: int) -> str:
    """One sentence for a run that recommends nothing: why, the best paper, and what to change."""
    if not ranked:
        return "nothing recommended: the digests held no papers"
    today = sum(1 for r in ranked if pushed_today(r.known))
    if today:
        return (
            f"nothing new: the {today} picks of these digests were pushed earlier today "
            "(they fill today's slots; `zotrec history` shows them)"
        )
    open_ = [r for r in ranked if not r.known and not r.paper.extras.get("non_research")]
    if not open_:
        known = sum(1 for r in ranked if r.known)
        return (
            f"nothing recommended: all {known} research papers of the digests are already in your library "
            "or were pushed before"
        )
    best = max(open_, key=lambda r: r.score)
    title = best.paper.title if len(best.paper.title) <= 80 else best.paper.title[:77].rstrip() + "..."
    if best.score >= threshold:
        return f"nothing recommended: top-N is 0 although {title!r} scored {best.score:.1f}; raise --top"
    floor = (
        f" and not above {MIN_PICK_SCORE:g}, the floor of the daily minimum" if min_picks else "; sync.min_picks is 0"
    )
    return (
        f"nothing recommended: the best paper, {title!r}, scored {score_under(best.score, threshold)}, below the threshold "
        f"{threshold:g}{floor}; lower --threshold (sync.threshold) or see every score with "
        "`zotrec recommend --all`"
    )


def subcollection(r: Ranked, options: SyncOptions) -> str | None:
    """Where below the target collection a pick goes: its interest (``file_into = "interest"``), else
    its top topic (``route_by_topic``), else nowhere (the collection itself)."""
    if options.file_into == "interest" and r.interest:
        return r.interest  # "A/B": nested as in the user's library
    if options.route_by_topic and r.topics:
        return r.topics[0].label
    return None


def push_picks(
    library: Library,
    snapshot: LibrarySnapshot,
    state: StateStore,
    run_id: int,
    picks: list[Ranked],
    options: SyncOptions,
    library_id: str,
    known: KnownPapers,
    say: Progress,
) -> PushOutcome:
    """Push the picks, each into its interest's subcollection (``file_into = "interest"``) or its
    topic's (``route_by_topic``), see :func:`subcollection`."""
    for r in picks:
        r.subcollection = subcollection(r, options)
    if picks or not options.dry_run:
        say(f"pushing {len(picks)} recommendations into {options.collection!r}")
    return push(
        library,
        snapshot,
        state,
        run_id,
        picks,
        collection=options.collection,
        library_id=library_id,
        dry_run=options.dry_run,
        known=known,
        tags=options.push_tags,
    )


def record(state: StateStore, run_id: int, result: SyncResult, options: SyncOptions) -> None:
    """Store what the run saw and did: every ranked paper as seen, the counts, the outcome, the summary."""
    state.mark_seen(run_id, [(r.paper.primary_key, r.paper.title, r.score) for r in result.ranked])
    result.finished = time.time()
    counts = {
        "papers": result.papers_read,
        "recommended": len(result.recommended),
        "pushed": 0 if options.dry_run else len(result.outcome.pushed),  # a dry run's are "would push"
        "failed": len(result.outcome.failed) + len(result.outcome.rejected),
        "rejected": len(result.outcome.rejected),
        "skipped_duplicates": len(result.outcome.skipped_duplicates),
        "known": len(result.known),
        "sources_failed": len(result.failed_sources),
    }
    outcome = "dry-run" if options.dry_run else "ok" if result.exit_code == EXIT_OK else "partial"
    state.finish_run(run_id, outcome, counts, result.to_json())


def sync(
    library: Library,
    state: StateStore,
    options: SyncOptions,
    *,
    library_id: str,
    progress: Progress | None = None,
) -> SyncResult:
    """Run the whole pipeline once and record the run in the state."""
    say = progress or (lambda _msg: None)
    started = time.time()  # the report's date and "took": the whole run, not only its pushes
    run_id = state.start_run()
    try:
        say("reading digests")
        from zotrec import digest_side

        side = digest_side.start(options)  # read and labelled in a second process meanwhile
        try:
            side.start_topics()  # scikit-learn first: the labeller then starts while the library is read
            say(f"reading the library ({library.description})")
            snapshot = library.snapshot()
            from zotrec.feedback import collect_feedback

            collect_feedback(snapshot, state, library_id, options.collection)
            known = KnownPapers.build(snapshot, state, library_id, options.collection)
            index = library_index(
                snapshot, library_id, FeatureCache(), options.collection, interests=options.interest_settings()
            )
            papers, reports = side.papers()
            ranked = rank(
                papers,
                snapshot,
                library_id,
                options,
                state,
                progress,
                known,
                topics=side.topics,
                index=index,
                tokens=side.tokens,
            )
        finally:
            side.close()
        from zotrec.logs import log as run_log

        run_log.info("digests read in process %d, topics labelled in process %d", *side.processes())
        problem = library_problem(iter_profile_items(snapshot, options.collection)) if papers else None
        result = SyncResult(
            run_id=run_id,
            started=started,
            papers_read=len(papers),
            sources=reports,
            ranked=ranked,
            library_size=len(snapshot.items),
            library_description=library.description,
            threshold=options.threshold,
            dry_run=options.dry_run,
            library_topics=library_topics(snapshot, library_id, options.model_path, options.collection),
            library_id=library_id,
            warnings=[problem] if problem else [],
            min_picks=options.min_picks,
        )
        result.outcome = push_picks(
            library, snapshot, state, run_id, result.recommended, options, library_id, known, say
        )
        record(state, run_id, result, options)
        return result
    except BaseException as err:
        outcome = "interrupted" if isinstance(err, KeyboardInterrupt) else "failed"  # Ctrl-C: as a killed run
        state.finish_run(run_id, outcome, {"error": type(err).__name__})
        raise
