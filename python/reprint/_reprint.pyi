"""Type stubs of the compiled module `reprint._reprint` (Rust, PyO3)."""

from typing import List, Optional, Tuple

import pyarrow

__version__: str

def dedupe(
    ids: List[str],
    texts: List[str],
    metas: List[Optional[str]],
    config: Optional[str] = None,
) -> Tuple[str, str, List[int], List[Tuple[int, str]], str]:
    """Runs the pipeline: (pairs as JSON Lines, clusters as JSON, positions kept,
    (position, reason) skipped, stats as JSON). Use `reprint.dedupe`."""

def compare(
    id_a: str, text_a: str, id_b: str, text_b: str, config: Optional[str] = None
) -> Tuple[str, str]:
    """Compares two documents: (the comparison as JSON, the explanation as text).
    Use `reprint.compare`."""

class Stages:
    """reprint's pipeline stages for distributed engines, over Arrow record batches (any object
    with `__arrow_c_array__`; results are `pyarrow.RecordBatch`). Hashes are `int64` (the bits of
    the `u64`). String columns may be `string`, `large_string` or `string_view`."""

    def __init__(
        self,
        config: Optional[str] = None,
        chrome: List[int] = ...,
        site_chrome: List[int] = ...,
    ) -> None:
        """Stages for a Config given as JSON (None: defaults), stripping the learned `chrome`
        lines (hashes) after the rules; `site_chrome` are the learned lines that are a site's own
        chrome. Raises ValueError for an unknown or out-of-range setting."""
    def config_json(self) -> str:
        """The configuration in force, as JSON."""
    def chrome_len(self) -> int:
        """Number of learned chrome lines stripped."""
    def line_keys(self, batch: pyarrow.RecordBatch) -> pyarrow.RecordBatch:
        """`{doc, text}` → one row per line the rules keep: `{doc, hash, bytes, prose, words}`."""
    def block_shares(self, batch: pyarrow.RecordBatch) -> pyarrow.RecordBatch:
        """`{doc, hash, bytes, df, frequent}` (each document's lines in consecutive rows) →
        `{hash, share}` for each frequent line of each document."""
    @staticmethod
    def kinds_joining_clusters() -> List[str]:
        """The kinds of pair that join clusters: every kind but `partial`."""
    @staticmethod
    def hub_cuts(n: int, links: List[Tuple[int, int, str, float]]) -> List[int]:
        """Indices of the links (a, b, kind, score) of one component that a hub must not cluster by:
        reported `partial`, scored by their passage's share."""
    def is_learned(self, share_sum: float, count: int) -> bool:
        """Whether a frequent line with these summed block shares is chrome."""
    def is_story_line(self, prose: bool, words: int, sources: int, most: int, df: int) -> bool:
        """Whether a line learned as chrome is a story's text after all: a paragraph of prose
        printed by enough sources, none of them holding half its documents."""
    def prepare(self, batch: pyarrow.RecordBatch) -> pyarrow.RecordBatch:
        """`{doc, text}` → `{doc, body_hash, title_hash, words, removed_share, member, headline,
        shingle_bands, content_bands, anchors}`."""
    def verify(self, batch: pyarrow.RecordBatch) -> pyarrow.RecordBatch:
        """`{a, b, text_a, text_b, channels}` → the verified pairs: `{a, b, kind, score, jaccard,
        containment, content_jaccard, aligned_sentences, aligned_share, substitution_rate,
        edit_rate, swapped_sentences, immutables}`. `channels` bits: 1 word shingles, 2 content
        words, 4 anchors, 8 headline."""
    def exact_record(self) -> str:
        """The pair-record fields of an exact copy, as JSON."""
    def cluster(
        self,
        texts: List[str],
        published: List[Optional[str]],
        pairs: List[Tuple[int, int]],
    ) -> Optional[Tuple[int, str]]:
        """A connected component's canonical member and the reason: (index, reason), or None."""

class Index:
    """`reprint::Index` (use `reprint.Index`): results are JSON strings."""

    def __init__(self, path: str, config: Optional[str] = None) -> None: ...
    def add(self, id: str, text: str, meta: Optional[str] = None) -> str: ...
    def add_batch(
        self, ids: List[str], texts: List[str], metas: List[Optional[str]], replace: bool = False
    ) -> str: ...
    def check(self, id: str, text: str, meta: Optional[str] = None) -> str: ...
    def remove(self, id: str) -> bool: ...
    def cluster_of(self, id: str) -> str: ...
    def get(self, id: str) -> str: ...
    def stats(self) -> str: ...
