"""reprint finds copies of news articles: wire copy reprinted inside other sites' chrome, updated or
trimmed versions, excerpts, and copies an aggregator machine-reworded ("spun") to hide the copying.
It names the kind of each copy, picks the original of each cluster, and says what boilerplate it
ignored.

>>> import reprint
>>> story = ("The central bank raised its main interest rate by a quarter point on Thursday, "
...          "citing persistent inflation in services and a tight labour market.")
>>> out = reprint.dedupe([
...     {"id": "wire", "text": story},
...     {"id": "outlet", "text": story + "\\nShare this article", "source": "outlet.example"},
... ])
>>> [(p["a"], p["b"], p["kind"]) for p in out.pairs]
[('wire', 'outlet', 'exact')]

`dedupe` runs the whole pipeline in this process (all cores); `compare` explains one pair;
`Stages` holds the pipeline's stages over Apache Arrow record batches for distributed engines, and
`python -m reprint.distributed` runs them on Spark.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from . import _reprint
from ._reprint import Stages, __version__

__all__ = [
    "dedupe",
    "compare",
    "Index",
    "Outcome",
    "Comparison",
    "Stages",
    "config_json",
    "__version__",
]


def _fields() -> Dict[str, Any]:
    return json.loads(Stages().config_json())


_DEFAULTS = _fields()


def config_json(config: Mapping[str, Any]) -> Optional[str]:
    """The JSON of a `reprint::Config` from keyword arguments named as its fields
    (`candidate_threshold=0.3`, `boilerplate={"learn": False}`, ...); None for the defaults.

    Unknown names raise TypeError (also inside `boilerplate`); values are validated when used, and
    a bad one raises ValueError naming the field.
    """
    for name, value in config.items():
        if name not in _DEFAULTS:
            raise TypeError(f"unknown setting {name!r}; settings are {sorted(_DEFAULTS)}")
        if name == "boilerplate":
            if not isinstance(value, Mapping):
                raise TypeError("boilerplate takes a dict of boilerplate settings")
            for sub in value:
                if sub not in _DEFAULTS["boilerplate"]:
                    raise TypeError(
                        f"unknown boilerplate setting {sub!r}; "
                        f"settings are {sorted(_DEFAULTS['boilerplate'])}"
                    )
    return json.dumps(dict(config)) if config else None


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class Outcome:
    """The result of `dedupe`.

    Attributes:
        pairs: one dict per verified pair, as the CLI's `--pairs` lines: `a`, `b` (ids), `kind`
            (`exact`, `near_duplicate`, `excerpt`, `spun`), `score` in [0, 1], the measures
            (`jaccard`, `containment`, `content_jaccard`, and where the pair was aligned
            `aligned_sentences`, `aligned_share`, `substitution_rate`, `edit_rate`,
            `swapped_sentences`, `immutables`), and `stripped_a`/`stripped_b` (share of each text
            removed as boilerplate). Sorted by input order of `a`, then `b`.
        clusters: one dict per cluster, largest first, as the CLI's `--clusters` file: `canonical`
            (the original's id), `reason`, `size`, `members` (`id`, and for copies `kind`,
            `score`, and `via` when the copy links to the original through another member).
        kept: the input records (the same objects) of every original and every document with no
            copy, in input order: the deduplicated corpus.
        skipped: `(position, reason)` of each record not used (empty text, duplicate id).
        stats: the run's counts and stage timings.
    """

    __slots__ = ("pairs", "clusters", "kept", "skipped", "stats")

    def __init__(
        self,
        pairs: List[Dict[str, Any]],
        clusters: List[Dict[str, Any]],
        kept: List[Any],
        skipped: List[Tuple[int, str]],
        stats: Dict[str, Any],
    ) -> None:
        self.pairs = pairs
        self.clusters = clusters
        self.kept = kept
        self.skipped = skipped
        self.stats = stats

    def __repr__(self) -> str:
        return (
            f"Outcome({len(self.pairs)} pairs, {len(self.clusters)} clusters, "
            f"{len(self.kept)} kept, {len(self.skipped)} skipped)"
        )


def _record(i: int, record: Mapping[str, Any]) -> Tuple[str, str, Optional[str]]:
    if not isinstance(record, Mapping):
        raise TypeError(f"record {i}: expected a dict with 'id' and 'text', got {type(record).__name__}")
    try:
        rid, text = record["id"], record["text"]
    except KeyError as missing:
        raise ValueError(f"record {i}: missing field {missing}") from None
    if isinstance(rid, int) and not isinstance(rid, bool):
        rid = str(rid)
    if not isinstance(rid, str):
        raise TypeError(f"record {i}: 'id' must be a string, got {type(rid).__name__}")
    if not isinstance(text, str):
        raise TypeError(f"record {i}: 'text' must be a string, got {type(text).__name__}")
    meta = {k: v for k, v in record.items() if k not in ("id", "text")}
    return rid, text, json.dumps(meta, default=_json_default) if meta else None


def _columns(records: Iterable[Mapping[str, Any]]) -> Tuple[List[str], List[str], List[Optional[str]]]:
    """The ids, texts and metadata (JSON, or None) of `records`, each checked by `_record`."""
    ids, texts, metas = [], [], []
    for i, record in enumerate(records):
        rid, text, meta = _record(i, record)
        ids.append(rid)
        texts.append(text)
        metas.append(meta)
    return ids, texts, metas


def dedupe(records: Iterable[Mapping[str, Any]], **config: Any) -> Outcome:
    """Finds the copies among `records` and the original of each cluster.

    Args:
        records: dicts with `id` (a string, or an int taken as its decimal string) and `text`;
            every other key is metadata, used where it helps (`published` chooses the original,
            `source` helps learn a site's chrome) and kept in `Outcome.kept`.
        **config: settings of `reprint::Config` by field name, e.g. `candidate_threshold=0.3`,
            `near_duplicate=0.9`, `boilerplate={"learn": False}`.

    Returns:
        An `Outcome` with `.pairs`, `.clusters`, `.kept`, `.skipped`, `.stats`.

    Raises:
        TypeError: an unknown setting, or a record that is not a dict of the right types.
        ValueError: a record without `id` or `text`, or a setting out of range.
    """
    records = list(records)
    ids, texts, metas = _columns(records)
    pairs, clusters, kept, skipped, stats = _reprint.dedupe(ids, texts, metas, config_json(config))
    return Outcome(
        pairs=[json.loads(line) for line in pairs.splitlines() if line],
        clusters=json.loads(clusters)["clusters"],
        kept=[records[i] for i in kept],
        skipped=[(i, reason) for i, reason in skipped],
        stats=json.loads(stats),
    )


class Comparison:
    """Two documents compared on their own (`compare`).

    Attributes:
        copies: whether they are copies.
        kind: the kind of copy (`exact`, `near_duplicate`, `excerpt`, `spun`), or None.
        score: the verdict's score in [0, 1], or None.
        measures: every measure: `overlap` and `content` (Jaccard and containment of word 3-grams
            and of content words) and `alignment` (sentences aligned, coverage, order, rewording).
        aligned: the aligned sentence pairs (`a`, `b`, `similarity`), in the first text's order.
        stripped_a, stripped_b: the boilerplate removed from each (`rule`, `text`).
        explanation: all of it as text for people, as `reprint compare` prints it.
    """

    __slots__ = ("copies", "kind", "score", "measures", "aligned", "stripped_a", "stripped_b", "explanation")

    def __init__(self, record: Dict[str, Any], explanation: str) -> None:
        self.copies: bool = record["copies"]
        self.kind: Optional[str] = record["kind"]
        self.score: Optional[float] = record["score"]
        self.measures: Dict[str, Any] = record["measures"]
        self.aligned: List[Dict[str, Any]] = record["aligned"]
        self.stripped_a: List[Dict[str, str]] = record["stripped_a"]
        self.stripped_b: List[Dict[str, str]] = record["stripped_b"]
        self.explanation = explanation

    def __bool__(self) -> bool:
        return self.copies

    def __str__(self) -> str:
        return self.explanation

    def __repr__(self) -> str:
        if self.copies:
            return f"Comparison(copies, kind={self.kind!r}, score={self.score:.3f})"
        return "Comparison(not copies)"


Text = Union[str, Mapping[str, Any]]


def _id_text(value: Text, default_id: str) -> Tuple[str, str]:
    if isinstance(value, str):
        return default_id, value
    rid, text, _ = _record(0, value)
    return rid, text


def compare(a: Text, b: Text, **config: Any) -> Comparison:
    """Compares two documents and explains the verdict.

    Args:
        a, b: texts, or records (dicts with `id` and `text`).
        **config: settings, as for `dedupe`.

    Returns:
        A `Comparison`: truthy when the two are copies; `str()` of it is the explanation.
    """
    (id_a, text_a), (id_b, text_b) = _id_text(a, "a"), _id_text(b, "b")
    record, explanation = _reprint.compare(id_a, text_a, id_b, text_b, config_json(config))
    return Comparison(json.loads(record), explanation)


class Index:
    """An index of documents on disk (LMDB), for corpora that grow: each document added is checked
    against everything held, as `dedupe` would pair them, and stored.

    `Index(path)` opens the index in `path` or, if there is none, creates it with the settings given
    (`Config` fields by name, as for `dedupe`); an existing index opened with settings must have been
    made with them (ValueError names the first that differs). Several processes may use one index;
    within one process, open a directory once (a second open while the first is alive is refused).

    >>> index = reprint.Index("/tmp/news-index")                 # doctest: +SKIP
    >>> index.add({"id": "wire-1", "text": story})               # doctest: +SKIP
    []
    >>> index.add({"id": "outlet-7", "text": story + "\\nShare"})  # doctest: +SKIP
    [{'id': 'wire-1', 'kind': 'exact', 'score': 1.0, ...}]
    >>> index.cluster_of("outlet-7")["canonical"]                # doctest: +SKIP
    'wire-1'
    """

    __slots__ = ("_inner", "path")

    def __init__(self, path: Union[str, "os.PathLike[str]"], **config: Any) -> None:
        self.path = os.fspath(path)
        self._inner = _reprint.Index(self.path, config_json(config))

    def add(self, record: Mapping[str, Any]) -> List[Dict[str, Any]]:
        """Checks a record (`id`, `text`, metadata) and stores it. Returns the held documents it
        copies or is copied by, best first: `id` and the pair fields (`kind`, `score`, measures).
        Adding a held id with the same text changes nothing; with a different text it raises
        ValueError."""
        rid, text, meta = _record(0, record)
        return json.loads(self._inner.add(rid, text, meta))

    def add_batch(self, records: Iterable[Mapping[str, Any]], replace: bool = False) -> List[Dict[str, Any]]:
        """Adds records in one batch (prepared in parallel): per record `id`, `status` (`added`,
        `unchanged`, `replaced`, `conflict`: its id is held with another text, `skipped` with a
        `reason`) and `matches`. With `replace`, a held id with a different text is replaced."""
        ids, texts, metas = _columns(records)
        return json.loads(self._inner.add_batch(ids, texts, metas, replace))

    def check(self, record: Text) -> List[Dict[str, Any]]:
        """The held documents a record (or a bare text) copies or is copied by, best first;
        nothing is stored."""
        if isinstance(record, str):
            # A bare text gets an id no record is likely to have (the store refuses empty keys).
            return json.loads(self._inner.check("\x00unsaved", record, None))
        rid, text, meta = _record(0, record)
        return json.loads(self._inner.check(rid, text, meta))

    def remove(self, id: str) -> bool:
        """Removes a document (its pairs too); whether it was held."""
        return self._inner.remove(id)

    def cluster_of(self, id: str) -> Optional[Dict[str, Any]]:
        """The cluster of a held document: `canonical`, `reason`, `members` (in the order they
        were added); None if it has no copy or is not held."""
        return json.loads(self._inner.cluster_of(id))

    def get(self, id: str) -> Optional[Dict[str, Any]]:
        """A held record (`id`, `text`, metadata), or None."""
        return json.loads(self._inner.get(id))

    def stats(self) -> Dict[str, Any]:
        """Counts: `documents`, `pairs`, `lines`, `disk_bytes`, `text_bytes`, `format`, `tables`."""
        return json.loads(self._inner.stats())

    def __len__(self) -> int:
        return int(self.stats()["documents"])

    def __contains__(self, id: object) -> bool:
        return isinstance(id, str) and self.get(id) is not None

    def __repr__(self) -> str:
        return f"Index({self.path!r})"
