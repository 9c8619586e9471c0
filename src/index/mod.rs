//! An incremental, persistent index: "is this new article a copy of one I already hold, and of
//! which?"
//!
//! The batch pipeline ([`Deduper::run`]) compares a whole corpus at once. An [`Index`] holds
//! documents on disk and compares each new one against them as it arrives, with the same
//! per-document route ([`Deduper::prepare`]) and the same verification ([`Deduper::verify`]), so its
//! verdicts are `dedupe`'s: kind, score and every measure.
//!
//! # Lifecycle
//!
//! [`Index::create`] makes an index in a directory and records in its header everything that makes
//! signatures comparable (the configuration, seed, boilerplate rules, function words, the
//! normalisation and fingerprint of a probe text); [`Index::open`] refuses an index whose header
//! does not match this build. [`check`](Index::check) compares a document without storing it;
//! [`add`](Index::add) checks and stores it in one write transaction, so two processes adding copies
//! of one story at the same time still find each other. [`add_batch`](Index::add_batch) prepares
//! many documents in parallel outside the write lock, then checks and stores them in one
//! transaction.
//!
//! # Storage
//!
//! LMDB ([`store::Lmdb`]): several processes may share one index (one writer at a time, readers
//! never blocked), a transaction is on disk whole or not at all, and a check reads only the posting
//! lists and records it needs through the memory map, so memory does not grow with the index. Per
//! document the index stores its record (id, text, metadata, and the learned chrome it was stripped
//! of; compressed, packed with others into blocks), fixed-size facts (body and title hashes, word and anchor counts), its LSH band keys of both
//! channels, a sparse sample of containment anchors, its body and title hashes as posting lists,
//! and the statistics of its lines, from which chrome is learned as documents arrive
//! (DESIGN.md, "The index"). Verified pairs are stored for [`export`](Index::export) and
//! [`cluster_of`](Index::cluster_of). Candidates are verified against their stored text, prepared
//! again: no shingle set is stored.
//!
//! # Example
//!
//! ```
//! use reprint::{Config, Document, Index, Kind};
//!
//! let dir = tempfile::tempdir()?;
//! let index = Index::create(dir.path(), Config::default(), None)?;
//! let story = "The central bank raised its main interest rate by a quarter point on Thursday, \
//!              citing persistent inflation in services and a tight labour market.";
//! assert!(index.add(&Document::new("wire", story))?.is_empty());
//! let copy = Document::new("outlet", format!("{story}\nShare this article"));
//! let matches = index.check(&copy)?;
//! assert_eq!(matches.len(), 1);
//! assert_eq!((matches[0].id.as_str(), matches[0].kind), ("wire", Kind::Exact));
//! assert_eq!(index.stats()?.documents, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod chrome;
pub mod store;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use xxhash_rust::xxh3::xxh3_64;

use crate::anchor::is_anchor;
use crate::boilerplate::{LearnedChrome, LineKey, Rules, Stripped};
use crate::cluster::{self, CanonicalReason, MemberInfo, Published};
use crate::config::Config;
use crate::corpus::{Corpus, DocId, Document, Origin};
use crate::dedupe::{Deduper, DocSummary, Outcome, Pair, Prepared, Stats, ESTIMATE_MARGIN};
use crate::lsh::{band_keys, Banding, SPLIT_BUCKET};
use crate::report::VerdictRecord;
use crate::shingle::sort_spread;
use crate::verify::{Kind, Measures, Overlap, Verdict, MIN_TITLE_WORDS};

use chrome::{decide, source_line_key, DocChrome, HeldLines, LineChanges, LineStat, LINES_KEY};
use store::{Existing, Lmdb, Postings, ReadTxn, Store, StoreError, Table, WriteTxn};

/// The on-disk format; bumped whenever what is stored, or how, changes. Format 2 packs records,
/// each compressed, into blocks (format 1 kept one uncompressed record per document); format 3
/// keeps line statistics as runs of changes (format 2 in B-trees, rewritten by every batch).
pub const FORMAT_VERSION: u32 = 3;

/// The version of text normalisation and fingerprinting; bumped whenever either changes what it
/// gives for a text (the header's probe fingerprint catches a change that forgot to bump it).
pub const NORMALIZATION_VERSION: u32 = 1;

/// Containment anchors are sampled this many times more sparsely in an index than in a batch run
/// (`Config::anchor_sampling`): one posting per anchor would cost some 4 KB per article.
const ANCHOR_THINNING: u64 = 2;

/// Salt of the content-word channel's band keys (the shingle channel's is 0).
const CONTENT_SALT: u64 = 1 << 32;

/// A failure of the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The store failed (I/O, a full disk, a corrupt file).
    #[error("index {path}: {error}")]
    Store {
        /// The index directory.
        path: PathBuf,
        /// What failed.
        error: StoreError,
    },
    /// The index was made by a different configuration, rule set or version of reprint.
    #[error("index {path}: {message}")]
    Mismatch {
        /// The index directory.
        path: PathBuf,
        /// What differs.
        message: String,
    },
    /// There is no index at the path, or there already is one where one is to be created.
    #[error("index {path}: {message}")]
    Location {
        /// The index directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A document with this id is held with a different text, and replacement was not asked for.
    #[error(
        "`{id}` is already in the index with a different text (ask for replacement to replace it)"
    )]
    Conflict {
        /// The document's id.
        id: String,
    },
    /// The configuration or the rules are invalid.
    #[error(transparent)]
    Setup(#[from] crate::Error),
    /// A document's id cannot be held: it is empty, or longer than [`MAX_ID_BYTES`].
    #[error("record {origin}: {reason}")]
    InvalidId {
        /// Where the document came from (file and line, or `<api>`).
        origin: String,
        /// What is wrong with the id.
        reason: String,
    },
}

/// The longest id an index holds, in bytes of UTF-8 (LMDB's limit on a key).
pub const MAX_ID_BYTES: usize = 511;

/// Why an id cannot be held, if it cannot: an empty one, or one over [`MAX_ID_BYTES`].
pub fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        Some("empty id (an index names every document it holds)".into())
    } else if id.len() > MAX_ID_BYTES {
        Some(format!(
            "id of {} bytes (an index holds ids of at most {MAX_ID_BYTES} bytes)",
            id.len()
        ))
    } else {
        None
    }
}

/// An error for a document whose id cannot be held.
fn check_id(doc: &Document) -> Result<(), IndexError> {
    match id_problem(&doc.id) {
        Some(reason) => Err(IndexError::InvalidId {
            origin: doc.origin.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// A document already held that a new one copies or is copied by.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// The held document's id.
    pub id: String,
    /// How the two are copies.
    pub kind: Kind,
    /// Confidence in `[0, 1]`, as `dedupe` scores the pair.
    pub score: f64,
    /// The whole verdict, with every measure `dedupe` keeps.
    pub verdict: Verdict,
}

/// A [`Match`] as one JSON object: the id and the fields of a pairs-file line.
#[derive(Debug, Serialize)]
pub struct MatchRecord<'a> {
    /// The held document's id.
    pub id: &'a str,
    /// Kind, score and measures.
    #[serde(flatten)]
    pub verdict: VerdictRecord,
}

impl Match {
    /// The match as one JSON-serialisable record.
    pub fn record(&self) -> MatchRecord<'_> {
        MatchRecord {
            id: &self.id,
            verdict: VerdictRecord::new(&self.verdict),
        }
    }
}

/// What adding one document did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddStatus {
    /// It was new and is now held.
    Added,
    /// It was held already, with the same text: nothing changed.
    Unchanged,
    /// It replaced a held document of the same id and a different text.
    Replaced,
    /// It was not added: its id is held with a different text, and replacement was not asked for.
    Conflict,
    /// It was not added: the reason (an empty text, an id an index cannot hold).
    Skipped(String),
}

impl AddStatus {
    /// The status as one word: `added`, `unchanged`, `replaced` or `skipped`.
    pub fn name(&self) -> &'static str {
        match self {
            AddStatus::Added => "added",
            AddStatus::Unchanged => "unchanged",
            AddStatus::Replaced => "replaced",
            AddStatus::Conflict | AddStatus::Skipped(_) => "skipped",
        }
    }

    /// Why the document was skipped, if it was.
    pub fn reason(&self) -> Option<&str> {
        match self {
            AddStatus::Skipped(reason) => Some(reason),
            AddStatus::Conflict => {
                Some("the id is held with a different text (replacing it was not asked for)")
            }
            _ => None,
        }
    }
}

/// The result of adding one document of a batch.
#[derive(Debug, Clone)]
pub struct AddResult {
    /// The document's id.
    pub id: String,
    /// What happened.
    pub status: AddStatus,
    /// The held documents it copies or is copied by (empty unless added or replaced).
    pub matches: Vec<Match>,
}

/// How [`Index::add_batch`] treats a document whose id is held with a different text.
#[derive(Debug, Clone, Copy, Default)]
pub struct AddOptions {
    /// Replace the held document (otherwise the new one is skipped and reported).
    pub replace: bool,
}

/// Counts of what an index holds.
#[derive(Debug, Clone, Serialize)]
pub struct IndexStats {
    /// Documents held.
    pub documents: u64,
    /// Verified pairs held.
    pub pairs: u64,
    /// Distinct lines with statistics (for learned chrome).
    pub lines: u64,
    /// Bytes the index takes on disk.
    pub disk_bytes: u64,
    /// Bytes of the stored texts.
    pub text_bytes: u64,
    /// The on-disk format version.
    pub format: u32,
    /// Bytes of pages each table and posting list takes, by name.
    pub tables: Vec<(&'static str, u64)>,
}

/// A cluster as [`Index::cluster_of`] gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterView {
    /// The document taken as the original.
    pub canonical: String,
    /// Why it was chosen.
    pub reason: CanonicalReason,
    /// Every member, canonical included, in the order they were added.
    pub members: Vec<String>,
}

/// Everything that makes two indexes' signatures comparable; stored at creation, checked on open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    format: u32,
    normalization: u32,
    config: Config,
    /// The user rules given at creation, in the rules-file format (the built-in ones are named by
    /// `config.boilerplate.builtin_rules` and pinned by `rules_hash`).
    user_rules: Option<String>,
    rules_hash: u64,
    function_words: u64,
    anchor_sampling: u64,
    /// A hash of a probe text's preparation: catches any change of normalisation or hashing.
    probe: u64,
}

/// A stored document: its record and the learned chrome it was stripped of when added.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    id: String,
    text: String,
    #[serde(default)]
    meta: Map<String, Value>,
    #[serde(default)]
    chrome: Vec<(u64, bool)>,
}

/// Fixed-size facts of a stored document.
#[derive(Debug, Clone, PartialEq)]
struct Facts {
    body_hash: u64,
    title_hash: u64,
    words: u32,
    anchors: u32,
    /// The low byte of every position of its two signatures (shingles, then content words): a
    /// b-bit MinHash sketch, enough to estimate a candidate's similarity as the batch pipeline
    /// does before verifying it.
    sketch: Vec<u8>,
}

impl Facts {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + self.sketch.len());
        out.extend(self.body_hash.to_be_bytes());
        out.extend(self.title_hash.to_be_bytes());
        out.extend(self.words.to_be_bytes());
        out.extend(self.anchors.to_be_bytes());
        out.extend(&self.sketch);
        out
    }

    fn decode(b: &[u8]) -> Option<Facts> {
        let u64_at = |i: usize| Some(u64::from_be_bytes(b.get(i..i + 8)?.try_into().ok()?));
        let u32_at = |i: usize| Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?));
        Some(Facts {
            body_hash: u64_at(0)?,
            title_hash: u64_at(8)?,
            words: u32_at(16)?,
            anchors: u32_at(20)?,
            sketch: b.get(24..)?.to_vec(),
        })
    }

    /// The anchor count of encoded facts, read without decoding the rest.
    fn anchors_of(b: &[u8]) -> Option<u32> {
        Some(u32::from_be_bytes(b.get(20..24)?.try_into().ok()?))
    }

    /// The signature-estimated Jaccard similarity of the shingle (`channel` 0) or content-word (1)
    /// sets of two documents, from encoded facts and a sketch.
    fn estimate_of(b: &[u8], other: &[u8], channel: usize) -> f64 {
        let sketch = b.get(24..).unwrap_or_default();
        let k = sketch.len() / 2;
        if k == 0 || other.len() != sketch.len() {
            return 1.0;
        }
        let range = channel * k..(channel + 1) * k;
        let same = equal_bytes(&sketch[range.clone()], &other[range]);
        // Unequal values agree on their low byte one time in 256.
        let p = same as f64 / k as f64;
        ((p - 1.0 / 256.0) / (1.0 - 1.0 / 256.0)).max(0.0)
    }
}

/// How many positions of two byte strings of one length hold equal bytes, eight at a time: a zero
/// byte of `a ^ b` is an equal pair, and `!((x & 0x7f…) + 0x7f… | x | 0x7f…)` has the top bit of
/// exactly the zero bytes of `x` set (no carry crosses a byte).
fn equal_bytes(a: &[u8], b: &[u8]) -> usize {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = (a8.remainder().iter().zip(b8.remainder()))
        .filter(|(x, y)| x == y)
        .count();
    let word = |c: &[u8]| u64::from_ne_bytes(c.try_into().unwrap_or_default());
    let words: u32 = (a8.zip(b8))
        .map(|(x, y)| {
            let x = word(x) ^ word(y);
            (!(((x & LOW) + LOW) | x | LOW)).count_ones()
        })
        .sum();
    words as usize + tail
}

/// The sketch of two signatures: the low byte of every position.
fn sketch(shingles: &[u32], content: &[u32]) -> Vec<u8> {
    shingles.iter().chain(content).map(|&v| v as u8).collect()
}

/// A verdict as stored with a pair.
#[derive(Debug, Serialize, Deserialize)]
struct StoredVerdict {
    kind: Kind,
    score: f64,
    overlap: (f64, f64),
    content: (f64, f64),
    alignment: Option<StoredAlignment>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredAlignment {
    pairs: Vec<(usize, usize, f64)>,
    covered: (f64, f64),
    in_order: f64,
    substitution_rate: f64,
    edit_rate: f64,
    swapped_sentences: f64,
    immutables: f64,
    #[serde(default)]
    passage: crate::align::Passage,
    #[serde(default)]
    filled_rate: f64,
}

impl StoredVerdict {
    fn new(v: &Verdict) -> StoredVerdict {
        let m = &v.measures;
        StoredVerdict {
            kind: v.kind,
            score: v.score,
            overlap: (m.overlap.jaccard, m.overlap.containment),
            content: (m.content.jaccard, m.content.containment),
            alignment: m.alignment.as_ref().map(|a| StoredAlignment {
                pairs: a.pairs.iter().map(|p| (p.a, p.b, p.similarity)).collect(),
                covered: (a.covered_a, a.covered_b),
                in_order: a.in_order,
                substitution_rate: a.substitution_rate,
                edit_rate: a.edit_rate,
                swapped_sentences: a.swapped_sentences,
                immutables: a.immutables,
                passage: a.passage,
                filled_rate: a.filled_rate,
            }),
        }
    }

    fn verdict(self) -> Verdict {
        let overlap = |(jaccard, containment)| Overlap {
            jaccard,
            containment,
        };
        Verdict {
            kind: self.kind,
            score: self.score,
            measures: Measures {
                overlap: overlap(self.overlap),
                content: overlap(self.content),
                alignment: self.alignment.map(|a| crate::align::Alignment {
                    pairs: a
                        .pairs
                        .into_iter()
                        .map(|(a, b, similarity)| crate::align::SentencePair { a, b, similarity })
                        .collect(),
                    covered_a: a.covered.0,
                    covered_b: a.covered.1,
                    in_order: a.in_order,
                    substitution_rate: a.substitution_rate,
                    edit_rate: a.edit_rate,
                    swapped_sentences: a.swapped_sentences,
                    immutables: a.immutables,
                    passage: a.passage,
                    filled_rate: a.filled_rate,
                    filled: 0,
                }),
            },
        }
    }
}

/// A persistent index of documents, checked and added to one at a time or in batches, shared by
/// threads (it is `Send + Sync`) and by processes (through its store's locking).
///
/// Open an index once per process and share that `Index` between threads: LMDB (through heed)
/// refuses to open one directory twice in one process while the first is open.
#[derive(Debug)]
pub struct Index {
    path: PathBuf,
    store: Lmdb,
    deduper: Deduper,
    header: Header,
    content_banding: Banding,
    facts_cache: FactsCache,
}

/// Encoded facts of held documents read from committed snapshots, by document number, end to end
/// (one stride apart) with a bit for each number held. A document number is given once and its
/// facts never change, so an entry stays true while its document is held; a removed document's
/// may linger, which is harmless: they only pre-select candidates (by estimated similarity and
/// anchor count), and every candidate is then read from the store. All held are read in one pass
/// before the first check (`warm`; other threads wait for it, some 0.2 s at a million held): a
/// check meets some thousand documents at a million held, each a B-tree read from the file
/// otherwise. Memory: the facts' size (280 bytes at the default 128 positions) a document, for at
/// most [`FACTS_MEMORY`] bytes' worth of document numbers from the lowest held at the first check.
#[derive(Default)]
struct FactsCache {
    arena: std::sync::RwLock<FactsArena>,
    warmed: std::sync::atomic::AtomicBool,
}

/// The most memory the facts kept take (some 1.9 million documents at 280 bytes); the facts of
/// documents numbered beyond are read from the store as they are met.
const FACTS_MEMORY: usize = 512 << 20;

#[derive(Default)]
struct FactsArena {
    /// The document number of the first slot: the lowest held when the first are kept (an index
    /// that keeps a window has removed the lower ones).
    base: u32,
    /// Bytes of one document's encoded facts (0 until the first is kept).
    stride: usize,
    bytes: Vec<u8>,
    /// Bit `i` says whether slot `i` holds its document's facts.
    held: Vec<u64>,
}

impl FactsArena {
    fn get(&self, d: u32) -> Option<&[u8]> {
        let d = d.checked_sub(self.base)? as usize;
        let bit = self.held.get(d / 64)? >> (d % 64) & 1;
        (bit == 1).then(|| &self.bytes[d * self.stride..(d + 1) * self.stride])
    }

    fn insert(&mut self, d: u32, facts: &[u8]) {
        if self.stride == 0 {
            self.stride = facts.len();
            self.base = d;
        }
        if facts.len() != self.stride {
            return;
        }
        let Some(d) = d.checked_sub(self.base) else {
            return;
        };
        let d = d as usize;
        if (d + 1) * self.stride > FACTS_MEMORY {
            return;
        }
        if self.bytes.len() < (d + 1) * self.stride {
            let docs = (d + 1)
                .next_power_of_two()
                .clamp(1024, FACTS_MEMORY / self.stride);
            self.bytes.resize(docs * self.stride, 0);
            self.held.resize(docs.div_ceil(64), 0);
        }
        self.bytes[d * self.stride..(d + 1) * self.stride].copy_from_slice(facts);
        self.held[d / 64] |= 1 << (d % 64);
    }
}

impl std::fmt::Debug for FactsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self
            .arena
            .read()
            .map_or(0, |a| a.held.iter().map(|w| w.count_ones() as usize).sum());
        f.debug_struct("FactsCache").field("held", &held).finish()
    }
}

impl FactsCache {
    /// Keeps the facts of every document held in `r` (a committed snapshot), once for the cache's
    /// life; later documents are kept as they are met.
    fn warm(&self, r: &impl ReadTxn) {
        use std::sync::atomic::Ordering;
        if self.warmed.load(Ordering::Acquire) || self.warmed.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(mut arena) = self.arena.write() else {
            return;
        };
        // In number order: the first is the lowest held. A read that fails leaves the rest to be
        // read as they are met (and the check to meet the failure itself).
        let _ = r.for_each(Table::Facts, &mut |k, v| {
            if let Some(d) = read_u32(k) {
                arena.insert(d, v);
            }
            Ok(())
        });
    }

    /// `f(i, facts)` of each document `docs[i]`'s encoded facts, in the order of `docs` (`None` for
    /// a document not held), from memory, a write transaction's `pending` documents, or else from
    /// `r` (and then kept, if `r` is a committed snapshot: nothing is pending). The cache is locked
    /// once for all of them.
    fn each<T>(
        &self,
        r: &impl ReadTxn,
        docs: &[u32],
        pending: &[&Pending],
        f: impl Fn(usize, &[u8]) -> T,
    ) -> Result<Vec<Option<T>>, StoreError> {
        let keep = pending.is_empty();
        let mut out: Vec<Option<T>> = Vec::with_capacity(docs.len());
        let mut missing = Vec::new();
        if let Ok(arena) = self.arena.read() {
            for (i, &d) in docs.iter().enumerate() {
                let found = arena.get(d).map(|b| f(i, b));
                if found.is_none() {
                    missing.push(i);
                }
                out.push(found);
            }
        } else {
            out.extend(docs.iter().map(|_| None));
            missing.extend(0..docs.len());
        }
        let mut kept: Vec<(u32, Box<[u8]>)> = Vec::new();
        for i in missing {
            let d = docs[i];
            if let Some(b) = pending.iter().find_map(|p| p.facts.get(&d)) {
                out[i] = Some(f(i, b));
                continue;
            }
            let found = r.get_with(Table::Facts, &doc_key(d), |b| {
                (f(i, b), keep.then(|| Box::<[u8]>::from(b)))
            })?;
            if let Some((value, copy)) = found {
                out[i] = Some(value);
                kept.extend(copy.map(|c| (d, c)));
            }
        }
        if !kept.is_empty() {
            self.keep(kept);
        }
        Ok(out)
    }

    /// Keeps the facts of committed documents: read from a snapshot, or just committed.
    fn keep(&self, facts: impl IntoIterator<Item = (u32, impl AsRef<[u8]>)>) {
        if let Ok(mut arena) = self.arena.write() {
            for (d, facts) in facts {
                arena.insert(d, facts.as_ref());
            }
        }
    }
}

const HEADER_KEY: &[u8] = b"header";
/// The block new records are appended to (high 32 bits) and the bytes of it they fill (low 32).
const OPEN_BLOCK_KEY: &[u8] = b"open_block";

/// Records are packed into blocks of this many bytes: stored one to a value, a record of over 2 KB
/// took whole 4 KB pages, some 2 KB per article lost to padding. Eight 4 KB pages less LMDB's
/// 16-byte page header: a block of 32 KB took a ninth page.
const BLOCK_BYTES: usize = 32 * 1024 - 16;

/// The zstd level records are compressed at: level 1 takes less time than 3, and an article of a
/// few kilobytes compresses to within 0.2% of the same size (2,000 records of the scale corpus:
/// 3,944,534 bytes against 3,937,331).
const RECORD_LEVEL: i32 = 1;

/// The key, in the meta table, of a block's count of held records.
fn live_key(block: u32) -> [u8; 8] {
    let mut k = *b"live\0\0\0\0";
    k[4..].copy_from_slice(&block.to_be_bytes());
    k
}

/// Where a stored record is: in which block, from which byte, how many bytes.
#[derive(Debug, Clone, Copy)]
struct Location {
    block: u32,
    offset: u32,
    len: u32,
}

impl Location {
    fn encode(self) -> [u8; 12] {
        let mut out = [0u8; 12];
        out[..4].copy_from_slice(&self.block.to_be_bytes());
        out[4..8].copy_from_slice(&self.offset.to_be_bytes());
        out[8..].copy_from_slice(&self.len.to_be_bytes());
        out
    }

    fn decode(b: &[u8]) -> Option<Location> {
        Some(Location {
            block: read_u32(b.get(..4)?)?,
            offset: read_u32(b.get(4..8)?)?,
            len: read_u32(b.get(8..12)?)?,
        })
    }
}

/// A document's record as stored: its JSON (id, text, metadata, the chrome it was stripped of),
/// compressed.
fn pack_record(doc: &Document, chrome: &[(u64, bool)]) -> Result<Vec<u8>, StoreError> {
    let record = RecordRef {
        id: &doc.id,
        text: &doc.text,
        meta: &doc.meta,
        chrome,
    };
    let json = serde_json::to_vec(&record).expect("a record serialises");
    // A compressor a thread, kept: making one (its tables) for each record took a tenth of the
    // compressing.
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    let failed = |e: std::io::Error| StoreError::new(format!("compressing a record: {e}"));
    COMPRESSOR.with_borrow_mut(|compressor| {
        let compressor = match compressor {
            Some(c) => c,
            None => compressor.insert(zstd::bulk::Compressor::new(RECORD_LEVEL).map_err(failed)?),
        };
        compressor.compress(&json).map_err(failed)
    })
}
const NEXT_KEY: &[u8] = b"next";
const TEXT_BYTES_KEY: &[u8] = b"text_bytes";
/// Counts committed write transactions: a check made on a snapshot of the same generation saw
/// everything held.
const GENERATION_KEY: &[u8] = b"generation";

/// A document prepared for the index: its preparation, line keys (after the rules), the chrome
/// decision, its anchors and band keys.
struct Ready {
    prepared: Prepared,
    keys: Vec<LineKey>,
    chrome: DocChrome,
    /// Its anchors at the pipeline's rate (`Config::anchor_sampling`).
    anchors: Vec<u64>,
    /// Whether it files all of them (a short document: fewer than [`DENSE_BELOW`] at the index's
    /// sparser rate), or only those of the sparser rate.
    dense: bool,
    /// The band keys of the shingle channel, then of the content-word channel.
    bands: Vec<u64>,
    /// Its check against a snapshot of the held documents.
    checked: Option<Checked>,
    /// Its record packed for storing (made before the write lock is taken), if it is to be added.
    packed: Option<Vec<u8>>,
}

/// A document's check against a snapshot of the held documents (made before the write lock).
struct Checked {
    /// The snapshot's generation.
    generation: u64,
    /// Its matches among the held documents.
    matches: Vec<(u32, Match)>,
    /// How many held documents file each of its anchors (none given): counted in again when it
    /// is checked against the documents of its transaction, where an anchor common among the
    /// held is no evidence either (as in a check of all at once).
    held_anchors: Found,
}

/// What [`Index::add_one`] needs to know of its transaction.
#[derive(Clone, Copy)]
struct Batch<'a> {
    /// The generation the transaction started from.
    generation: u64,
    /// The first document number it gives.
    first: u32,
    options: AddOptions,
    /// The batch committed last by this writer, just before this transaction (nothing between).
    last: Option<&'a Committed>,
}

impl<'a> Batch<'a> {
    /// What a check made on a snapshot of generation `seen` did not search: the documents from
    /// a number on, all pending in this transaction or in `last`'s postings (then given). `None`
    /// if others were committed since (the check is made again in full).
    fn missed(&self, seen: u64) -> Option<(u32, Option<&'a Pending>)> {
        if seen == self.generation {
            return Some((self.first, None));
        }
        let last = self.last.filter(|l| l.over == seen)?;
        Some((last.first, Some(&last.postings)))
    }
}

/// A batch prepared against a snapshot, outside the write lock ([`Index::prepare_batch`]).
struct PreparedBatch<'d> {
    docs: &'d [Document],
    options: AddOptions,
    stripped: Vec<(Stripped, Vec<LineKey>)>,
    /// Whether each document's lines count (it is to be added, as far as the snapshot tells).
    counted: Vec<bool>,
    ready: Vec<Option<Ready>>,
    lines: BatchLines,
    /// Whether committing it will add exactly the documents counted (no id is held or repeated):
    /// then the next batch can be prepared before it is committed.
    foreseen: bool,
}

impl PreparedBatch<'_> {
    /// What the next batch, prepared while this one is committed, needs of it: `None` if it
    /// cannot be foreseen (the next one waits for it).
    fn sent(&self) -> Option<Sent> {
        if !self.foreseen {
            return None;
        }
        let lines = (self.docs.iter().zip(&self.ready))
            .filter_map(|(doc, ready)| {
                let ready = ready.as_ref()?;
                Some(SentLines {
                    source: doc.meta_str("source").map(str::to_owned),
                    keys: ready.keys.clone(),
                    shares: ready.chrome.shares.clone(),
                })
            })
            .collect();
        Some(Sent { lines })
    }
}

/// A batch being committed, as the next one's preparation counts it: its documents' lines (the
/// next batch's snapshot does not hold them).
struct Sent {
    lines: Vec<SentLines>,
}

/// The lines of a document being added, as its transaction counts them in.
struct SentLines {
    source: Option<String>,
    keys: Vec<LineKey>,
    shares: Vec<(u64, f32)>,
}

/// What a writer keeps of the batch it committed last, for the next one (prepared against a
/// snapshot that did not hold it): the generation it was committed over, its first document
/// number, its band and anchor postings, and its documents prepared.
struct Committed {
    over: u64,
    first: u32,
    postings: Pending,
    cache: HashMap<u32, Arc<Prepared>>,
}

impl Ready {
    /// Its anchors at the index's sparser rate: what it looks up among long documents.
    fn sparse_anchors(&self, sparse_rate: u64) -> Vec<u64> {
        (self.anchors.iter().copied())
            .filter(|&h| is_anchor(h, sparse_rate))
            .collect()
    }

    /// The anchors it files.
    fn filed_anchors(&self, sparse_rate: u64) -> impl Iterator<Item = u64> + '_ {
        let dense = self.dense;
        self.anchors
            .iter()
            .copied()
            .filter(move |&h| dense || is_anchor(h, sparse_rate))
    }

    fn facts(&self, sparse_rate: u64) -> Facts {
        Facts {
            body_hash: self.prepared.print.body_hash,
            title_hash: self.prepared.print.title_hash,
            words: u32::try_from(self.prepared.print.words).unwrap_or(u32::MAX),
            anchors: u32::try_from(self.filed_anchors(sparse_rate).count()).unwrap_or(u32::MAX),
            sketch: sketch(
                &self.prepared.shingle_signature,
                &self.prepared.content_signature,
            ),
        }
    }
}

fn doc_key(d: u32) -> [u8; 4] {
    d.to_be_bytes()
}

fn pair_key(a: u32, b: u32) -> [u8; 8] {
    let mut k = [0u8; 8];
    k[..4].copy_from_slice(&a.min(b).to_be_bytes());
    k[4..].copy_from_slice(&a.max(b).to_be_bytes());
    k
}

fn read_u64(bytes: Option<Vec<u8>>) -> u64 {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map_or(0, u64::from_be_bytes)
}

fn read_u32(bytes: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(bytes).ok().map(u32::from_be_bytes)
}

/// The hash pinning a rule set: every rule's scope, name, pattern and line bound.
fn rules_hash(rules: &Rules) -> u64 {
    let mut text = String::new();
    for r in rules.rules() {
        text.push_str(&format!(
            "{:?}\t{}\t{}\t{:?}\n",
            r.scope, r.name, r.pattern, r.max_line
        ));
    }
    xxh3_64(text.as_bytes())
}

/// A text exercising normalisation (typography, case, Unicode forms), stripping and both channels.
const PROBE: &str = "Breaking News\nThe \u{201C}Caf\u{00E9}\u{201D} re\u{0301}opened \u{2014} \
    it\u{2019}s 42% bigger, said Mayor O\u{2019}Neil on Monday.\n\nShare this article\n\
    Officials in the city of Zürich welcomed the plan; critics were not convinced at all.";

fn probe_hash(deduper: &Deduper) -> u64 {
    let p = deduper.prepare(&Document::new("probe", PROBE), None);
    let mut bytes: Vec<u8> = Vec::new();
    for v in [p.print.body_hash, p.print.title_hash, p.print.words as u64] {
        bytes.extend(v.to_le_bytes());
    }
    for v in p.print.shingles.iter().chain(&p.print.content) {
        bytes.extend(v.to_le_bytes());
    }
    for v in p.shingle_signature.iter().chain(p.content_signature.iter()) {
        bytes.extend(v.to_le_bytes());
    }
    xxh3_64(&bytes)
}

fn function_words_hash() -> u64 {
    xxh3_64(include_str!("../stopwords.txt").as_bytes())
}

impl Index {
    /// Creates an index in directory `path` (made if missing; it must not hold an index), with this
    /// configuration, the built-in rules (unless `config.boilerplate.builtin_rules` is off) and
    /// `user_rules`: more rules in the rules-file format (`reprint strip` documents it).
    pub fn create(
        path: impl AsRef<Path>,
        config: Config,
        user_rules: Option<&str>,
    ) -> Result<Index, IndexError> {
        let path = path.as_ref().to_path_buf();
        if path.join("data.mdb").exists() {
            return Err(IndexError::Location {
                path,
                message: "an index already exists here".into(),
            });
        }
        let deduper = deduper_for(&config, user_rules)?;
        let header = Header {
            format: FORMAT_VERSION,
            normalization: NORMALIZATION_VERSION,
            rules_hash: rules_hash(deduper.stripper().rules()),
            function_words: function_words_hash(),
            anchor_sampling: config.anchor_sampling * ANCHOR_THINNING,
            probe: probe_hash(&deduper),
            user_rules: user_rules.map(str::to_string),
            config,
        };
        let store = Lmdb::open(&path).map_err(|error| IndexError::Store {
            path: path.clone(),
            error,
        })?;
        let index = Index::assemble(path, store, deduper, header);
        let mut w = index.write()?;
        if w.get(Table::Meta, HEADER_KEY)
            .map_err(index.err())?
            .is_some()
        {
            return Err(IndexError::Location {
                path: index.path.clone(),
                message: "an index already exists here".into(),
            });
        }
        let header = serde_json::to_vec(&index.header).expect("a header serialises");
        w.put(Table::Meta, HEADER_KEY, &header)
            .map_err(index.err())?;
        w.commit().map_err(index.err())?;
        Ok(index)
    }

    /// Opens the index in directory `path`. An index made by another configuration, rule set,
    /// format or normalisation is refused with an error naming what differs.
    pub fn open(path: impl AsRef<Path>) -> Result<Index, IndexError> {
        let path = path.as_ref().to_path_buf();
        if !path.join("data.mdb").exists() {
            return Err(IndexError::Location {
                path,
                message: "no index here (make one with `reprint index create`)".into(),
            });
        }
        let err = |error| IndexError::Store {
            path: path.clone(),
            error,
        };
        let mismatch = |message: String| IndexError::Mismatch {
            path: path.clone(),
            message,
        };
        let (store, bytes) = match Lmdb::open_existing(&path, HEADER_KEY).map_err(err)? {
            Existing::Complete(store) => {
                let bytes = store.read().map_err(err)?.get(Table::Meta, HEADER_KEY);
                (Ok(*store), bytes.map_err(err)?)
            }
            // Another format's tables: its header says which (below); nothing is written.
            Existing::Incomplete { missing, header } => (Err(missing), header),
        };
        let Some(bytes) = bytes else {
            return Err(mismatch("no header: not a reprint index".into()));
        };
        let stored: Header = serde_json::from_slice(&bytes).map_err(|e| {
            mismatch(format!(
                "unreadable header ({e}): not a reprint index of this version"
            ))
        })?;
        if stored.format != FORMAT_VERSION {
            return Err(mismatch(format!(
                "format version {} (this reprint reads version {FORMAT_VERSION})",
                stored.format
            )));
        }
        let store = store.map_err(|missing| {
            mismatch(format!(
                "tables missing ({}): a damaged index",
                missing.join(", ")
            ))
        })?;
        if stored.normalization != NORMALIZATION_VERSION {
            return Err(mismatch(format!(
                "normalisation version {} (this reprint has version {NORMALIZATION_VERSION})",
                stored.normalization
            )));
        }
        let deduper = deduper_for(&stored.config, stored.user_rules.as_deref())?;
        if rules_hash(deduper.stripper().rules()) != stored.rules_hash {
            return Err(mismatch(
                "made with other boilerplate rules (the built-in rules changed since)".into(),
            ));
        }
        if function_words_hash() != stored.function_words {
            return Err(mismatch("made with another list of function words".into()));
        }
        if stored.anchor_sampling != stored.config.anchor_sampling * ANCHOR_THINNING {
            return Err(mismatch("made with another anchor sampling".into()));
        }
        if probe_hash(&deduper) != stored.probe {
            return Err(mismatch(
                "made by a reprint that normalises or fingerprints text differently".into(),
            ));
        }
        Ok(Index::assemble(path, store, deduper, stored))
    }

    /// Opens the index in `path`, checking that it was made with `config` (and `user_rules`):
    /// an error names the first setting that differs.
    pub fn open_expecting(
        path: impl AsRef<Path>,
        config: &Config,
        user_rules: Option<&str>,
    ) -> Result<Index, IndexError> {
        let index = Index::open(path)?;
        let mismatch = |message: String| IndexError::Mismatch {
            path: index.path.clone(),
            message,
        };
        if &index.header.config != config {
            let (held, asked) = (
                serde_json::to_value(&index.header.config).unwrap_or_default(),
                serde_json::to_value(config).unwrap_or_default(),
            );
            let field = diff_field(&held, &asked).unwrap_or_else(|| "configuration".into());
            return Err(mismatch(format!(
                "made with a different `{field}` ({} here, {} asked)",
                pointer(&held, &field),
                pointer(&asked, &field)
            )));
        }
        if index.header.user_rules.as_deref() != user_rules {
            return Err(mismatch(
                "made with different user boilerplate rules".into(),
            ));
        }
        Ok(index)
    }

    fn assemble(path: PathBuf, store: Lmdb, deduper: Deduper, header: Header) -> Index {
        let c = deduper.config();
        let content_banding = Banding::for_threshold(c.num_perm, c.content_threshold);
        Index {
            path,
            store,
            deduper,
            header,
            content_banding,
            facts_cache: FactsCache::default(),
        }
    }

    /// The configuration the index was made with.
    pub fn config(&self) -> &Config {
        self.deduper.config()
    }

    /// The deduper whose route the index prepares and verifies documents with.
    pub fn deduper(&self) -> &Deduper {
        &self.deduper
    }

    /// The index directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self) -> impl Fn(StoreError) -> IndexError + '_ {
        move |error| IndexError::Store {
            path: self.path.clone(),
            error,
        }
    }

    fn read(&self) -> Result<store::LmdbRead<'_>, IndexError> {
        self.store.read().map_err(self.err())
    }

    fn write(&self) -> Result<store::LmdbWrite<'_>, IndexError> {
        self.store.write().map_err(self.err())
    }

    /// The documents held that `doc` copies or is copied by, best first. Nothing is stored. A held
    /// document with `doc`'s id is left out. An id the index could not hold (empty, or over
    /// [`MAX_ID_BYTES`]) is [`IndexError::InvalidId`].
    pub fn check(&self, doc: &Document) -> Result<Vec<Match>, IndexError> {
        check_id(doc)?;
        let r = self.read()?;
        let ready = self.ready(&r, doc).map_err(self.err())?;
        let own = self.doc_of(&r, &doc.id).map_err(self.err())?;
        let mut cache = HashMap::default();
        let matches = self.matches(&r, &ready, own, &mut cache, Scope::default());
        Ok(matches
            .map_err(self.err())?
            .into_iter()
            .map(|(_, m)| m)
            .collect())
    }

    /// [`check`](Self::check) of many documents against one snapshot, in parallel; results in the
    /// order of `docs`. A document whose id the index could not hold fails the whole call
    /// ([`IndexError::InvalidId`]): leave such documents out first ([`id_problem`]).
    pub fn check_batch(&self, docs: &[Document]) -> Result<Vec<Vec<Match>>, IndexError> {
        docs.iter().try_for_each(check_id)?;
        // A read snapshot per worker thread: a snapshot is not shared between threads.
        docs.par_iter()
            .map_init(
                || (self.store.read(), HashMap::default()),
                |(r, cache), doc| {
                    let r = r.as_ref().map_err(|e| StoreError::new(e.to_string()))?;
                    let ready = self.ready(r, doc)?;
                    let own = self.doc_of(r, &doc.id)?;
                    let matches = self.matches(r, &ready, own, cache, Scope::default())?;
                    Ok(matches.into_iter().map(|(_, m)| m).collect())
                },
            )
            .collect::<Result<_, StoreError>>()
            .map_err(self.err())
    }

    /// Checks `doc` and stores it, in one write transaction: the documents held that it copies or
    /// is copied by, best first. Adding a held id with the same text changes nothing (and gives no
    /// matches); with a different text it is [`IndexError::Conflict`]; an id the index cannot hold
    /// is [`IndexError::InvalidId`].
    pub fn add(&self, doc: &Document) -> Result<Vec<Match>, IndexError> {
        check_id(doc)?;
        let mut results = self.add_batch(std::slice::from_ref(doc), AddOptions::default())?;
        let result = results.pop().expect("one result per document");
        match result.status {
            AddStatus::Conflict => Err(IndexError::Conflict { id: result.id }),
            _ => Ok(result.matches),
        }
    }

    /// Adds many documents: each is prepared (in parallel, outside the write lock), then all are
    /// checked and stored in one transaction, in order, so that each also finds its copies earlier
    /// in the batch. A document that cannot be added (an empty text, an empty or overlong id, an id
    /// held with a different text unless `options.replace`) is reported in its result and skipped;
    /// the rest are committed.
    pub fn add_batch(
        &self,
        docs: &[Document],
        options: AddOptions,
    ) -> Result<Vec<AddResult>, IndexError> {
        let reads = self.snapshots(docs.len())?;
        let prepared = self.prepare_batch(docs, options, reads, None)?;
        Ok(self.commit_batch(prepared, None)?.0)
    }

    /// Adds batches of documents as a feed does, each as [`add_batch`](Self::add_batch) would
    /// (one transaction each, in order), calling `done` with each batch and its results once it is
    /// committed. The next batch is prepared while one is committed: the write lock's work, on one
    /// core, runs beside the next batch's on the others. The next batch's checks and chrome are
    /// made against a snapshot taken before the committing batch is stored (and its lines): it is
    /// searched, and its lines counted, as the batch's own.
    pub fn add_batches<'d, E: From<IndexError>>(
        &self,
        batches: impl IntoIterator<Item = &'d [Document]>,
        options: AddOptions,
        mut done: impl FnMut(&'d [Document], Vec<AddResult>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut batches = batches.into_iter();
        let Some(docs) = batches.next() else {
            return Ok(());
        };
        std::thread::scope(|s| {
            // The writer: commits each batch it is sent, keeping what the next one needs of it.
            let (send, to_commit) = std::sync::mpsc::sync_channel::<PreparedBatch<'d>>(0);
            let (results, committed) = std::sync::mpsc::channel();
            s.spawn(move || {
                let mut last: Option<Committed> = None;
                for batch in to_commit {
                    let result = self.commit_batch(batch, last.as_mut());
                    let failed = result.is_err();
                    let _ = results.send(result.map(|(results, kept)| {
                        last = Some(kept);
                        results
                    }));
                    if failed {
                        break;
                    }
                }
            });
            let writer_stopped = || self.err()(StoreError::new("the writer thread stopped".into()));
            let next_result = || committed.recv().unwrap_or_else(|_| Err(writer_stopped()));
            let mut current = Some((docs, self.snapshots(docs.len())?));
            // The batch sent to the writer last, and its lines if they are counted in.
            let mut sent: Option<(&'d [Document], Option<Sent>)> = None;
            while let Some((docs, reads)) = current.take() {
                let earlier = sent.as_ref().and_then(|(_, lines)| lines.as_ref());
                let batch = self.prepare_batch(docs, options, reads, earlier)?;
                let lines = batch.sent();
                // The batch sent before is committed before the next snapshot is taken: that
                // snapshot holds it, and not this batch, whose lines go with it (or, if what
                // committing this one does cannot be foreseen, it is committed first).
                if let Some((sent_docs, _)) = sent.take() {
                    done(sent_docs, next_result()?)?;
                }
                let next = batches.next();
                let with_snapshots = |next: Option<&'d [Document]>| {
                    next.map(|n| Ok::<_, IndexError>((n, self.snapshots(n.len())?)))
                        .transpose()
                };
                if lines.is_some() {
                    current = with_snapshots(next)?;
                }
                if send.send(batch).is_err() {
                    return Err(E::from(next_result().err().unwrap_or_else(writer_stopped)));
                }
                if lines.is_none() {
                    done(docs, next_result()?)?;
                    current = with_snapshots(next)?;
                } else {
                    sent = Some((docs, lines));
                }
            }
            drop(send);
            if let Some((sent_docs, _)) = sent {
                done(sent_docs, next_result()?)?;
            }
            Ok(())
        })
    }

    /// The read snapshots a batch of `len` documents is prepared against: one for each chunk its
    /// checks are cut into (a snapshot is not shared between threads), all of one state (taken
    /// again if a commit came between them).
    fn snapshots(&self, len: usize) -> Result<Vec<store::LmdbRead<'_>>, IndexError> {
        loop {
            let reads = (0..len.div_ceil(self.check_chunk(len)).max(1))
                .map(|_| self.read())
                .collect::<Result<Vec<_>, _>>()?;
            let generation =
                |r: &store::LmdbRead<'_>| r.get(Table::Meta, GENERATION_KEY).map(read_u64);
            let first = generation(&reads[0]).map_err(self.err())?;
            if reads
                .iter()
                .all(|r| generation(r).is_ok_and(|g| g == first))
            {
                return Ok(reads);
            }
        }
    }

    /// How many documents of a batch of `len` are checked together, each chunk on a worker against
    /// a snapshot of its own (the batch's postings are looked up all together first).
    fn check_chunk(&self, len: usize) -> usize {
        len.div_ceil(2 * rayon::current_num_threads()).max(64)
    }

    /// A batch prepared outside the write lock, against the snapshots `reads` (one a chunk, see
    /// [`snapshots`](Self::snapshots)): rule stripping and line keys of every document, the chrome
    /// decision against the snapshot's statistics plus the batch's own lines (and `sent`'s, a batch
    /// being committed that the snapshot does not hold), the fingerprints, and each document
    /// checked against the snapshot.
    fn prepare_batch<'d>(
        &self,
        docs: &'d [Document],
        options: AddOptions,
        reads: Vec<store::LmdbRead<'_>>,
        sent: Option<&Sent>,
    ) -> Result<PreparedBatch<'d>, IndexError> {
        let stripped: Vec<(Stripped, Vec<LineKey>)> = docs
            .par_iter()
            .map(|doc| self.deduper.strip_rules(doc))
            .collect();
        let snapshot = reads
            .first()
            .ok_or_else(|| self.err()(StoreError::new("no snapshot".into())))?;
        let mut held: Vec<Option<(u32, bool)>> = Vec::with_capacity(docs.len());
        for doc in docs {
            held.push(match self.doc_of(snapshot, &doc.id).map_err(self.err())? {
                Some(d) => {
                    let record = self.record(snapshot, d).map_err(self.err())?;
                    Some((d, record.is_some_and(|r| r.text == doc.text)))
                }
                None => None,
            });
        }
        let counted: Vec<bool> = (0..docs.len())
            .map(|i| {
                !docs[i].text.trim().is_empty()
                    && id_problem(&docs[i].id).is_none()
                    && held[i].is_none_or(|(_, same)| !same)
            })
            .collect();
        let lines: Vec<(Option<&str>, &[LineKey])> =
            BatchLines::lines_of(docs, &stripped, |i| counted[i]).collect();
        let batch_lines =
            BatchLines::new(snapshot, lines.iter().copied(), sent).map_err(self.err())?;
        // Each document is also checked here against the snapshot, in parallel: under the lock
        // only the batch's own documents are left to check (and `sent`'s), unless another
        // transaction committed since.
        let mut ready: Vec<Option<Ready>> = (0..docs.len())
            .into_par_iter()
            .map(|i| {
                if !counted[i] {
                    return Ok(None);
                }
                let (by_rules, keys) = stripped[i].clone();
                let held = &batch_lines.held;
                let mut ready = self.ready_with(held, &docs[i], by_rules, keys, Some(&batch_lines));
                ready.packed = Some(pack_record(&docs[i], &ready.chrome.lines)?);
                Ok(Some(ready))
            })
            .collect::<Result<_, StoreError>>()
            .map_err(self.err())?;
        let mut reads = reads;
        let found = Found::look_up_among(
            &mut reads,
            self,
            &ready.iter().flatten().collect::<Vec<_>>(),
        )
        .map_err(self.err())?;
        let mut found = found.into_iter();
        let mut found: Vec<Option<Found>> = (ready.iter())
            .map(|r| r.as_ref().and_then(|_| found.next()))
            .collect();
        let chunk = self.check_chunk(docs.len());
        (ready.par_chunks_mut(chunk))
            .zip(found.par_chunks_mut(chunk))
            .zip(reads)
            .enumerate()
            .try_for_each(|(k, ((part, found), r))| {
                let generation = read_u64(r.get(Table::Meta, GENERATION_KEY)?);
                let mut cache = HashMap::default();
                for (j, (ready, found)) in part.iter_mut().zip(found).enumerate() {
                    let Some(ready) = ready else { continue };
                    let held = held[k * chunk + j].map(|(d, _)| d);
                    let held_anchors = found.as_ref().map(Found::anchor_counts);
                    let scope = Scope {
                        found: found.take(),
                        ..Scope::default()
                    };
                    let matches = self.matches(&r, ready, held, &mut cache, scope)?;
                    ready.checked = Some(Checked {
                        generation,
                        matches,
                        held_anchors: held_anchors.unwrap_or_default(),
                    });
                }
                Ok::<_, StoreError>(())
            })
            .map_err(self.err())?;
        let mut ids = std::collections::HashSet::with_capacity(docs.len());
        let unique = docs.iter().all(|d| ids.insert(d.id.as_str()));
        // Every document counted is added, unless another process adds or removes it first.
        let foreseen = unique && (held.iter().zip(&counted)).all(|(h, &c)| !c || h.is_none());
        Ok(PreparedBatch {
            docs,
            options,
            counted,
            ready,
            lines: batch_lines,
            stripped,
            foreseen,
        })
    }

    /// Checks what a prepared batch's checks against its snapshot missed and stores the batch, in
    /// one write transaction. `last` is what the writer kept of the batch it committed before,
    /// if this one was prepared while it was being committed. Gives the results, and what the next
    /// batch needs of this one.
    fn commit_batch(
        &self,
        prepared: PreparedBatch<'_>,
        last: Option<&mut Committed>,
    ) -> Result<(Vec<AddResult>, Committed), IndexError> {
        let PreparedBatch {
            docs,
            options,
            stripped,
            counted,
            ready,
            lines,
            ..
        } = prepared;
        let mut w = self.write()?;
        let mut results = Vec::with_capacity(docs.len());
        // Its documents prepared are taken over (a writer's next batch is committed after it).
        let (mut cache, last) = match last {
            Some(l) => (std::mem::take(&mut l.cache), Some(&*l)),
            None => (HashMap::default(), None),
        };
        let mut pending = Pending::default();
        let generation = read_u64(w.get(Table::Meta, GENERATION_KEY).map_err(self.err())?);
        let first = read_u64(w.get(Table::Meta, NEXT_KEY).map_err(self.err())?);
        let first = u32::try_from(first).unwrap_or(u32::MAX);
        // The batch committed last, searched as this one's own by the documents checked on a
        // snapshot taken before it was (and nothing else committed since).
        let last = last.filter(|l| l.over + 1 == generation);
        // The statistics of the batch's lines as held now: as read before the lock (with the
        // batch committed last counted in), unless another transaction committed since.
        let counted_last = lines.with_sent && last.is_some_and(|l| l.over == lines.generation);
        pending.lines.held = if (lines.generation == generation && !lines.with_sent) || counted_last
        {
            lines.held
        } else {
            let lines = BatchLines::lines_of(docs, &stripped, |i| counted[i]);
            HeldLines::read(&w, lines).map_err(self.err())?
        };
        for (doc, ready) in docs.iter().zip(ready) {
            let batch = Batch {
                generation,
                first,
                options,
                last,
            };
            let result = self
                .add_one(&mut w, doc, ready, batch, &mut cache, &mut pending)
                .map_err(self.err())?;
            results.push(result);
        }
        pending.file(&mut w).map_err(self.err())?;
        self.bump_generation(&mut w).map_err(self.err())?;
        w.commit().map_err(self.err())?;
        self.facts_cache.keep(std::mem::take(&mut pending.facts));
        Ok((
            results,
            Committed {
                over: generation,
                first,
                postings: pending,
                cache,
            },
        ))
    }

    fn add_one(
        &self,
        w: &mut store::LmdbWrite<'_>,
        doc: &Document,
        ready: Option<Ready>,
        batch: Batch<'_>,
        cache: &mut HashMap<u32, Arc<Prepared>>,
        pending: &mut Pending,
    ) -> Result<AddResult, StoreError> {
        let options = batch.options;
        let result = |status| AddResult {
            id: doc.id.clone(),
            status,
            matches: Vec::new(),
        };
        if let Some(reason) = id_problem(&doc.id) {
            return Ok(result(AddStatus::Skipped(reason)));
        }
        if doc.text.trim().is_empty() {
            return Ok(result(AddStatus::Skipped("empty text".into())));
        }
        // Looked up again under the lock: another process may have added it since.
        let mut status = AddStatus::Added;
        if let Some(d) = self.doc_of(w, &doc.id)? {
            if self.record(w, d)?.is_some_and(|r| r.text == doc.text) {
                return Ok(result(AddStatus::Unchanged));
            }
            if !options.replace {
                return Ok(result(AddStatus::Conflict));
            }
            self.remove_doc(w, d, pending)?;
            cache.remove(&d);
            status = AddStatus::Replaced;
        }
        let Some(mut ready) = ready else {
            // Held with the same text when the batch was prepared, and since removed: prepared now.
            let (by_rules, keys) = self.deduper.strip_rules(doc);
            let source = doc.meta_str("source");
            pending.lines.ensure(w, [(source, keys.as_slice())])?;
            let now = pending.lines.applied(source, &keys);
            let ready = self.ready_with(&now, doc, by_rules, keys, None);
            let batch = Batch {
                generation: u64::MAX,
                ..batch
            };
            return self.add_one(w, doc, Some(ready), batch, cache, pending);
        };
        let checked = ready.checked.take();
        let missed = checked.as_ref().and_then(|c| batch.missed(c.generation));
        let matches = match (checked, missed) {
            // Checked against a snapshot: what it did not hold is left, this transaction's
            // documents (and the batch committed last, if it was taken before that was), all of
            // them pending; held ones it removed (a replacement) are dropped.
            (Some(checked), Some((since, last))) => {
                let mut kept = Vec::with_capacity(checked.matches.len());
                for m in checked.matches {
                    if self.facts(w, m.0)?.is_some() {
                        kept.push(m);
                    }
                }
                let lists: Vec<&Pending> = last.into_iter().chain([&*pending]).collect();
                let scope = Scope {
                    pending: &lists,
                    since: Some(since),
                    found: Some(checked.held_anchors),
                };
                kept.extend(self.matches(w, &ready, None, cache, scope)?);
                best_first(&mut kept);
                kept
            }
            _ => {
                let lists = [&*pending];
                let scope = Scope {
                    pending: &lists,
                    ..Scope::default()
                };
                self.matches(w, &ready, None, cache, scope)?
            }
        };
        let d = self.insert(w, doc, &ready, &matches, pending)?;
        if ready.prepared.print.words >= self.config().min_words {
            for &k in &ready.bands {
                pending.file_posting(Postings::Bands, k, d);
            }
            let rate = self.header.anchor_sampling;
            let few = if ready.filed_anchors(rate).count() < self.config().min_shared_anchors {
                FEW_ANCHORS
            } else {
                0
            };
            let dense = if ready.dense { DENSE_ANCHORS } else { 0 };
            let list = if ready.dense {
                Postings::ShortAnchors
            } else {
                Postings::Anchors
            };
            for k in ready.filed_anchors(rate) {
                pending.file_posting(list, k, d | few | dense);
            }
        }
        // Kept prepared for the batch's later documents: what preparing it again from its record
        // would give.
        if cache.len() > CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(d, Arc::new(ready.prepared));
        Ok(AddResult {
            id: doc.id.clone(),
            status,
            matches: matches.into_iter().map(|(_, m)| m).collect(),
        })
    }
}

/// The documents met in a document's band buckets (`found`: one entry a band key, the first
/// channel's `first` bands, then the other's), each with its channel (0 or 1), as the batch
/// pipeline pairs them ([`crate::lsh::candidate_pairs`]): a bucket of more than
/// [`SPLIT_BUCKET`] documents (this one included) yields only those that also share the next
/// bands' keys of its channel, one band more until the group is no longer crowded. Crowded
/// buckets are the keys of common words, met by chance by documents that share nothing else;
/// copies share most keys and stay together.
fn band_candidates(mut found: Vec<(usize, Vec<u32>)>, first: usize) -> Vec<(u32, usize)> {
    let crowded = |n: usize| n + 1 > SPLIT_BUCKET;
    if found.iter().any(|&(n, _)| crowded(n)) {
        // Intersected below by bisection. Postings come in filing order, nearly always sorted.
        for (_, docs) in &mut found {
            if !docs.is_sorted() {
                docs.sort_unstable();
            }
        }
    }
    let channels = [
        0..first.min(found.len()),
        first.min(found.len())..found.len(),
    ];
    let mut banded = Vec::new();
    for (channel, bands) in channels.into_iter().enumerate() {
        let lists = &found[bands];
        for (i, (n, docs)) in lists.iter().enumerate() {
            if !crowded(*n) {
                banded.extend(docs.iter().map(|&d| (d, channel)));
                continue;
            }
            let mut group = docs.clone();
            for depth in 1..lists.len() {
                let next = &lists[(i + depth) % lists.len()].1;
                group.retain(|d| next.binary_search(d).is_ok());
                if !crowded(group.len()) {
                    break;
                }
            }
            banded.extend(group.into_iter().map(|d| (d, channel)));
        }
    }
    banded
}

/// Matches best first: by score, then kind, then document number.
fn best_first(matches: &mut [(u32, Match)]) {
    matches.sort_by(|(x, a), (y, b)| {
        b.score
            .total_cmp(&a.score)
            .then(a.kind.cmp(&b.kind))
            .then(x.cmp(y))
    });
}

/// The line counts of a batch being added, on top of the snapshot's statistics: chrome is learned
/// from the batch as the batch pipeline learns it from its corpus.
struct BatchLines {
    df: HashMap<u64, u32>,
    source_df: HashMap<u64, u32>,
    /// Per line, the distinct sources of the batch that print it (counted as new to the line:
    /// a source that held it already is counted again, which errs towards keeping a paragraph).
    sources: HashMap<u64, u32>,
    /// The statistics of the batch's lines as held in a snapshot, and its generation.
    held: HeldLines,
    generation: u64,
    /// Whether `held` counts a batch sent to be committed after the snapshot (as committed).
    with_sent: bool,
}

impl BatchLines {
    /// The counts of the lines of `docs` (the documents counted: each one's source and line
    /// keys), and their statistics as held in `r`, with `sent`'s documents added (a batch being
    /// committed, which `r` does not hold).
    fn new<'a>(
        r: &impl ReadTxn,
        docs: impl Iterator<Item = (Option<&'a str>, &'a [LineKey])> + Clone,
        sent: Option<&'a Sent>,
    ) -> Result<BatchLines, StoreError> {
        let mut df = HashMap::default();
        let mut source_df = HashMap::default();
        let mut sources = HashMap::default();
        for (source, keys) in docs.clone() {
            let distinct: BTreeSet<u64> = keys.iter().map(|k| k.hash).collect();
            for &h in &distinct {
                *df.entry(h).or_insert(0) += 1;
                if let Some(source) = source {
                    let n = source_df.entry(source_line_key(source, h)).or_insert(0);
                    *n += 1;
                    if *n == 1 {
                        *sources.entry(h).or_insert(0) += 1;
                    }
                }
            }
        }
        // Counted in as the writer counts each added document in (`insert`).
        let mut held = LineChanges::default();
        let sent_lines = sent.map_or(&[][..], |s| &s.lines);
        let sent_docs = sent_lines
            .iter()
            .map(|l| (l.source.as_deref(), l.keys.as_slice()));
        held.ensure(r, docs.chain(sent_docs))?;
        for line in sent_lines {
            held.count_in_keys(line.source.as_deref(), &line.keys, &line.shares);
        }
        Ok(BatchLines {
            df,
            source_df,
            sources,
            held: held.into_held(),
            generation: read_u64(r.get(Table::Meta, GENERATION_KEY)?),
            with_sent: sent.is_some(),
        })
    }

    /// The source and lines of each document counted.
    fn lines_of<'a>(
        docs: &'a [Document],
        stripped: &'a [(Stripped, Vec<LineKey>)],
        counted: impl Fn(usize) -> bool + 'a,
    ) -> impl Iterator<Item = (Option<&'a str>, &'a [LineKey])> + 'a {
        (docs.iter().zip(stripped).enumerate())
            .filter(move |&(i, _)| counted(i))
            .map(|(_, (doc, (_, keys)))| (doc.meta_str("source"), keys.as_slice()))
    }
}

fn deduper_for(config: &Config, user_rules: Option<&str>) -> Result<Deduper, IndexError> {
    let rules = if config.boilerplate.builtin_rules {
        Rules::builtin()
    } else {
        Rules::none()
    };
    let rules = match user_rules {
        Some(text) => rules
            .with_text(text, "<index rules>")
            .map_err(|e| IndexError::Setup(e.into()))?,
        None => rules,
    };
    Deduper::with_rules(config.clone(), rules).map_err(IndexError::Setup)
}

/// The first field (as a JSON pointer) where two JSON values differ.
fn diff_field(a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let other = y.get(k).unwrap_or(&Value::Null);
                if v != other {
                    return Some(match diff_field(v, other) {
                        Some(inner) => format!("{k}.{inner}"),
                        None => k.clone(),
                    });
                }
            }
            None
        }
        _ => None,
    }
}

fn pointer(v: &Value, field: &str) -> String {
    let path = format!("/{}", field.replace('.', "/"));
    v.pointer(&path).map_or("none".into(), Value::to_string)
}

impl Index {
    /// The document number of a held id.
    fn doc_of(&self, r: &impl ReadTxn, id: &str) -> Result<Option<u32>, StoreError> {
        if id_problem(id).is_some() {
            // Never held: the store could not even look it up.
            return Ok(None);
        }
        Ok(r.get_with(Table::Ids, id.as_bytes(), read_u32)?.flatten())
    }

    fn record(&self, r: &impl ReadTxn, d: u32) -> Result<Option<Record>, StoreError> {
        let Some(at) = self.location(r, d)? else {
            return Ok(None);
        };
        let corrupt = |e: &dyn std::fmt::Display| StoreError::corrupt(format!("document {d}: {e}"));
        let json = r
            .get_with(Table::Blocks, &at.block.to_be_bytes(), |b| {
                let packed = b.get(at.offset as usize..at.offset as usize + at.len as usize)?;
                Some(zstd::stream::decode_all(packed))
            })?
            .flatten()
            .ok_or_else(|| corrupt(&"its record is missing"))?
            .map_err(|e| corrupt(&e))?;
        serde_json::from_slice(&json)
            .map(Some)
            .map_err(|e| corrupt(&e))
    }

    /// The numbers of the held documents, in order.
    fn numbers(&self, r: &impl ReadTxn) -> Result<Vec<u32>, StoreError> {
        let mut numbers = Vec::new();
        r.for_each(Table::Docs, &mut |k, _| {
            numbers.extend(read_u32(k));
            Ok(())
        })?;
        Ok(numbers)
    }

    /// Where a held document's record is.
    fn location(&self, r: &impl ReadTxn, d: u32) -> Result<Option<Location>, StoreError> {
        Ok(r.get_with(Table::Docs, &doc_key(d), Location::decode)?
            .flatten())
    }

    /// Appends a packed record to the open block (starting a new one when it is full): where it is.
    ///
    /// A block is stored at its full size from the start, zeros after its records: the insert
    /// that rewrites it then overwrites the same pages (LMDB writes a value in place when it is
    /// already dirty in the transaction and not larger), where a block grown record by record took
    /// new pages at each growth and left the old ones free, some 2 KB per article.
    fn store_record(
        &self,
        w: &mut store::LmdbWrite<'_>,
        packed: &[u8],
    ) -> Result<Location, StoreError> {
        let open = read_u64(w.get(Table::Meta, OPEN_BLOCK_KEY)?);
        let (mut block, mut used) = ((open >> 32) as u32, (open & u64::from(u32::MAX)) as usize);
        if used > 0 && used + packed.len() > BLOCK_BYTES {
            block = block
                .checked_add(1)
                .ok_or_else(|| StoreError::new("more than 4 billion record blocks".into()))?;
            used = 0;
        }
        let size = BLOCK_BYTES.max(used + packed.len());
        let mut bytes = Vec::with_capacity(size);
        if used > 0 {
            w.get_with(Table::Blocks, &block.to_be_bytes(), |b| {
                bytes.extend_from_slice(&b[..used.min(b.len())]);
            })?;
        }
        if bytes.len() != used {
            return Err(StoreError::corrupt(format!("record block {block}")));
        }
        bytes.extend_from_slice(packed);
        bytes.resize(size, 0);
        let at = Location {
            block,
            offset: u32::try_from(used).unwrap_or(u32::MAX),
            len: u32::try_from(packed.len())
                .map_err(|_| StoreError::new("a record over 4 GB".into()))?,
        };
        w.put(Table::Blocks, &block.to_be_bytes(), &bytes)?;
        let open = (u64::from(block) << 32) | (used + packed.len()) as u64;
        w.put(Table::Meta, OPEN_BLOCK_KEY, &open.to_be_bytes())?;
        let live = read_u64(w.get(Table::Meta, &live_key(block))?) + 1;
        w.put(Table::Meta, &live_key(block), &live.to_be_bytes())?;
        Ok(at)
    }

    /// Forgets a record: its block goes once none of its records is held.
    fn drop_record(&self, w: &mut store::LmdbWrite<'_>, at: Location) -> Result<(), StoreError> {
        let key = live_key(at.block);
        // The open block stays, to be filled: the next record goes after the bytes it holds.
        let open = (read_u64(w.get(Table::Meta, OPEN_BLOCK_KEY)?) >> 32) as u32;
        match read_u64(w.get(Table::Meta, &key)?).saturating_sub(1) {
            0 if at.block != open => {
                w.delete(Table::Meta, &key)?;
                w.delete(Table::Blocks, &at.block.to_be_bytes())?;
            }
            live => w.put(Table::Meta, &key, &live.to_be_bytes())?,
        }
        Ok(())
    }

    fn facts(&self, r: &impl ReadTxn, d: u32) -> Result<Option<Facts>, StoreError> {
        Ok(r.get_with(Table::Facts, &doc_key(d), Facts::decode)?
            .flatten())
    }

    /// The stored pair of `a` and `b` as a cluster link, `(weak, score)` (see
    /// [`cluster::hub_cuts`]), or `None` if it is of a kind that joins no cluster (`partial`).
    fn cluster_link(
        &self,
        r: &impl ReadTxn,
        a: u32,
        b: u32,
    ) -> Result<Option<(bool, f64)>, StoreError> {
        let Some(bytes) = r.get(Table::Pairs, &pair_key(a, b))? else {
            return Ok(None);
        };
        let verdict: StoredVerdict = serde_json::from_slice(&bytes)
            .map_err(|err| StoreError::corrupt(format!("pair verdict: {err}")))?;
        Ok(verdict
            .kind
            .joins_clusters()
            .then_some((cluster::is_weak(verdict.kind), verdict.score)))
    }

    /// A new document prepared against the statistics of `r` (plus a batch's own lines, which
    /// include this document; without them, this document is counted once on top of `r`).
    fn ready(&self, r: &impl ReadTxn, doc: &Document) -> Result<Ready, StoreError> {
        let (by_rules, keys) = self.deduper.strip_rules(doc);
        let held = HeldLines::read(r, [(doc.meta_str("source"), keys.as_slice())])?;
        Ok(self.ready_with(&held, doc, by_rules, keys, None))
    }

    /// A new document prepared against held line statistics (`held`, which has its lines) plus a
    /// batch's own lines, which include this document; without them, this document is counted
    /// once on top of `held`.
    fn ready_with(
        &self,
        held: &HeldLines,
        doc: &Document,
        by_rules: Stripped,
        keys: Vec<LineKey>,
        batch: Option<&BatchLines>,
    ) -> Ready {
        let source = doc.meta_str("source");
        let chrome = if self.config().boilerplate.learn {
            let mut stats: HashMap<u64, LineStat> = HashMap::default();
            let mut sdf: HashMap<u64, u32> = HashMap::default();
            for k in &keys {
                if stats.contains_key(&k.hash) {
                    continue;
                }
                let mut s = held.stat(k.hash);
                s.df += batch.map_or(1, |b| b.df.get(&k.hash).copied().unwrap_or(1));
                if let Some(source) = source {
                    let key = source_line_key(source, k.hash);
                    let own = batch.map_or(1, |b| b.source_df.get(&key).copied().unwrap_or(1));
                    let held = held.source(key);
                    s.sources += match batch {
                        Some(b) => b.sources.get(&k.hash).copied().unwrap_or(1),
                        None => u32::from(held == 0),
                    };
                    s.most = s.most.max(held + own);
                    sdf.insert(k.hash, held + own);
                }
                stats.insert(k.hash, s);
            }
            decide(
                &keys,
                source.is_some(),
                &|h| stats.get(&h).copied().unwrap_or_default(),
                &|h| sdf.get(&h).copied().unwrap_or(0),
                false,
                &self.config().boilerplate,
            )
        } else {
            DocChrome::default()
        };
        let learned = LearnedChrome::from_lines(
            chrome.lines.iter().copied(),
            self.config().boilerplate.short_words,
        );
        let prepared = self
            .deduper
            .prepare_stripped(doc, by_rules, &keys, Some(&learned));
        self.finish_ready(prepared, keys, chrome)
    }

    fn finish_ready(&self, prepared: Prepared, keys: Vec<LineKey>, chrome: DocChrome) -> Ready {
        let c = self.config();
        let long = prepared.print.words >= c.min_words;
        // Anchors at the pipeline's rate: what a check looks up, and what a short document files.
        let anchors: Vec<u64> = if long {
            (prepared.print.shingles.iter())
                .copied()
                .filter(|&h| is_anchor(h, c.anchor_sampling))
                .collect()
        } else {
            Vec::new()
        };
        let sparse = anchors
            .iter()
            .filter(|&&h| is_anchor(h, self.header.anchor_sampling))
            .count();
        let dense = sparse < DENSE_BELOW;
        let mut bands = Vec::new();
        if long {
            bands.extend(band_keys(
                &prepared.shingle_signature,
                self.deduper.banding(),
                0,
            ));
            bands.extend(band_keys(
                &prepared.content_signature,
                self.content_banding,
                CONTENT_SALT,
            ));
        }
        Ready {
            prepared,
            keys,
            chrome,
            anchors,
            dense,
            bands,
            checked: None,
            packed: None,
        }
    }

    /// A held document prepared again from its stored text, stripped of the chrome it was stripped
    /// of when added: what it was compared and filed as.
    fn reprepare(&self, record: &Record) -> Prepared {
        let doc = record_document(record);
        let chrome = LearnedChrome::from_lines(
            record.chrome.iter().copied(),
            self.config().boilerplate.short_words,
        );
        self.deduper.prepare(&doc, Some(&chrome))
    }

    /// The candidates of a prepared document among the held ones, then each verified: the matches
    /// with their document numbers, best first.
    fn matches(
        &self,
        r: &impl ReadTxn,
        ready: &Ready,
        own: Option<u32>,
        cache: &mut HashMap<u32, Arc<Prepared>>,
        scope: Scope<'_>,
    ) -> Result<Vec<(u32, Match)>, StoreError> {
        let Scope {
            pending,
            since,
            found,
        } = scope;
        let c = self.config();
        let print = &ready.prepared.print;
        if print.words == 0 {
            return Ok(Vec::new());
        }
        // Facts read from a read snapshot are committed ones, and may be kept; a write
        // transaction's (`pending`) may yet be rolled back.
        if pending.is_empty() {
            self.facts_cache.warm(r);
        }
        // With `since`, only the documents numbered from it on (this transaction's) are searched:
        // those of the segmented families are all pending (`found` then counts the held ones'
        // anchors, no documents). Without, the held postings are those looked up already with a
        // batch (`found`), or else looked up now.
        let Found {
            bands: held_bands,
            anchors: held_anchors,
            short_anchors: held_short,
        } = match (since, found) {
            (_, Some(found)) => found,
            (Some(_), None) => Found::default(),
            (None, None) => Found::look_up(r, self, &[ready])?.pop().unwrap_or_default(),
        };
        let mut candidates: Vec<u32> = Vec::new();
        let mut scratch = Vec::new();
        r.postings(
            Postings::Bodies,
            print.body_hash,
            c.max_bucket,
            &mut candidates,
        )?;
        if print.words >= c.min_words {
            // Band candidates whose sketch estimates them well below the channel's threshold are
            // dropped, as the batch pipeline drops them by their signatures.
            let own = sketch(
                &ready.prepared.shingle_signature,
                &ready.prepared.content_signature,
            );
            let thresholds = [c.candidate_threshold, c.content_threshold];
            let found = Pending::add_to(
                pending,
                held_bands,
                Postings::Bands,
                &ready.bands,
                c.max_bucket,
            );
            let mut banded = band_candidates(found, self.deduper.banding().bands);
            banded.sort_unstable();
            banded.dedup();
            // Each document once, with the channels it met this one in.
            let mut met: Vec<(u32, [bool; 2])> = Vec::new();
            for (d, channel) in banded {
                match met.last_mut() {
                    Some((last, channels)) if *last == d => channels[channel] = true,
                    _ => {
                        let mut channels = [false; 2];
                        channels[channel] = true;
                        met.push((d, channels));
                    }
                }
            }
            let numbers: Vec<u32> = met.iter().map(|&(d, _)| d).collect();
            // Estimated in the channels it was met in only.
            let near = self.facts_cache.each(r, &numbers, pending, |i, b| {
                let channels = met[i].1;
                (0..2).any(|c| {
                    channels[c] && Facts::estimate_of(b, &own, c) >= thresholds[c] - ESTIMATE_MARGIN
                })
            })?;
            for ((d, _), near) in met.into_iter().zip(near) {
                if near == Some(true) {
                    candidates.push(d);
                }
            }
            // Headline-only documents whose body is this one's title.
            scratch.clear();
            r.postings(
                Postings::Bodies,
                print.title_hash,
                c.max_bucket,
                &mut scratch,
            )?;
            candidates.extend(scratch.iter().copied());
            // Anchors: documents sharing enough of their sample (a short document's is the
            // pipeline's, a longer one's the index's sparser one, a subset: this document's own
            // count is taken at the rate of the document it is compared with).
            // Every posting of every anchor counted by document.
            let (mut counted_dense, mut counted_sparse) = (0u32, 0u32);
            let rate = self.header.anchor_sampling;
            let sparse = ready.sparse_anchors(rate);
            let max_df = c.anchor_max_df;
            let mut long =
                Pending::add_to(pending, held_anchors, Postings::Anchors, &sparse, max_df)
                    .into_iter();
            let short = Pending::add_to(
                pending,
                held_short,
                Postings::ShortAnchors,
                &ready.anchors,
                max_df,
            );
            let mut shared = AnchorCounts::take();
            for (&h, (n, docs)) in ready.anchors.iter().zip(short) {
                let is_sparse = is_anchor(h, rate);
                let (m, more) = match is_sparse {
                    true => long.next().unwrap_or_default(),
                    false => Default::default(),
                };
                if n + m + 1 > max_df {
                    continue;
                }
                counted_dense += 1;
                counted_sparse += u32::from(is_sparse);
                for &posting in docs.iter().chain(&more) {
                    shared.count(posting);
                }
            }
            // A document sharing fewer anchors than `min_shared_anchors` can only qualify if one of
            // the two has no more anchors than it shares: this one (known), or a held one with
            // fewer than `min_shared_anchors` (flagged in its postings), so that the facts of
            // every document sharing one common anchor are not read.
            // A passage shared whatever share of either it makes (`Config::passage_anchors`),
            // counted at the rate the held document's anchors were filed: the pipeline's sampling
            // when dense, the index's sparser one (proportionally fewer anchors) otherwise.
            let sparse_passage = (c.passage_anchors as u64 * c.anchor_sampling / rate).max(1);
            // Those whose anchor count decides: (document, shared, counted here).
            let mut undecided: Vec<(u32, u32, u32)> = Vec::new();
            for (d, n, flags) in shared.drain() {
                let (counted, passage) = if flags & DENSE_ANCHORS != 0 {
                    (counted_dense, c.passage_anchors as u64)
                } else {
                    (counted_sparse, sparse_passage)
                };
                if u64::from(n) >= passage {
                    candidates.push(d);
                    continue;
                }
                let least = c.min_shared_anchors.min(counted as usize) as u32;
                if n < least && flags & FEW_ANCHORS == 0 {
                    continue;
                }
                undecided.push((d, n, counted));
            }
            shared.give_back();
            let numbers: Vec<u32> = undecided.iter().map(|&(d, _, _)| d).collect();
            let anchors = self
                .facts_cache
                .each(r, &numbers, pending, |_, b| Facts::anchors_of(b))?;
            for ((d, n, counted), anchors) in undecided.into_iter().zip(anchors) {
                let Some(anchors) = anchors.flatten() else {
                    continue;
                };
                let fewest = counted.min(anchors) as usize;
                let n = n as usize;
                if n >= c.min_shared_anchors.min(fewest)
                    && n as f64 >= c.anchor_containment * fewest as f64
                {
                    candidates.push(d);
                }
            }
        } else if print.words >= MIN_TITLE_WORDS {
            r.postings(
                Postings::Titles,
                print.body_hash,
                c.max_bucket,
                &mut candidates,
            )?;
        }
        r.postings(
            Postings::Bodies,
            print.body_hash,
            c.max_bucket,
            &mut candidates,
        )?;
        candidates.sort_unstable();
        candidates.dedup();
        if let Some(first) = since {
            candidates.retain(|&d| d >= first);
        }
        let mut out = Vec::new();
        for d in candidates {
            if Some(d) == own {
                continue;
            }
            let Some(facts) = self.facts(r, d)? else {
                continue;
            };
            let verdict = if facts.body_hash == print.body_hash {
                Some(Verdict::exact())
            } else {
                let held = match cache.get(&d) {
                    Some(p) => Arc::clone(p),
                    None => {
                        let Some(record) = self.record(r, d)? else {
                            continue;
                        };
                        let p = Arc::new(self.reprepare(&record));
                        if cache.len() > CACHE_LIMIT {
                            cache.clear();
                        }
                        cache.insert(d, Arc::clone(&p));
                        p
                    }
                };
                self.deduper.verify(&held, &ready.prepared)
            };
            let Some(verdict) = verdict else { continue };
            let Some(id) = self.id_of(r, d)? else {
                continue;
            };
            out.push((
                d,
                Match {
                    id,
                    kind: verdict.kind,
                    score: verdict.score,
                    verdict,
                },
            ));
        }
        best_first(&mut out);
        Ok(out)
    }

    fn id_of(&self, r: &impl ReadTxn, d: u32) -> Result<Option<String>, StoreError> {
        Ok(self.record(r, d)?.map(|rec| rec.id))
    }
}

/// The band and anchor postings of the documents added so far in a write transaction: filed as one
/// run each at its end, and searched meanwhile by the batch's later documents.
#[derive(Default)]
struct Pending {
    bands: PendingList,
    anchors: PendingList,
    short_anchors: PendingList,
    /// The encoded facts of the documents added.
    facts: HashMap<u32, Vec<u8>>,
    /// Changes to the line statistics.
    lines: LineChanges,
}

/// A family's postings filed in a transaction, in the order filed, each key's chained from its
/// last (a map of keys to lists allocated a list a key, some 150 a document), and a bit a key's
/// top bits (a batch's later documents look up each of their keys, nearly all missing).
#[derive(Default)]
struct PendingList {
    /// `(key, document, the key's posting before, or NONE)`.
    postings: Vec<(u64, u32, u32)>,
    /// Each key's last posting and postings.
    last: HashMap<u64, (u32, u32)>,
    /// Bit `key >> (64 - PENDING_BITS)` is set for each key filed (empty until one is).
    keys: Vec<u64>,
}

/// A pending list's keys are marked in a set of 2^20 bits (128 KB): a thousand documents' band
/// keys set some 8% of them.
const PENDING_BITS: u32 = 20;

impl PendingList {
    const NONE: u32 = u32::MAX;

    fn file(&mut self, key: u64, doc: u32) {
        let at = u32::try_from(self.postings.len()).unwrap_or(Self::NONE);
        let (last, filed) = self.last.entry(key).or_insert((Self::NONE, 0));
        self.postings.push((key, doc, std::mem::replace(last, at)));
        *filed += 1;
        if self.keys.is_empty() {
            self.keys = vec![0; 1 << (PENDING_BITS - 6)];
        }
        let bit = key >> (64 - PENDING_BITS);
        self.keys[bit as usize / 64] |= 1 << (bit % 64);
    }

    /// The postings filed under `key`: how many, and the last.
    fn filed(&self, key: u64) -> (usize, u32) {
        let bit = key >> (64 - PENDING_BITS);
        if self
            .keys
            .get(bit as usize / 64)
            .is_none_or(|w| w >> (bit % 64) & 1 == 0)
        {
            return (0, Self::NONE);
        }
        self.last
            .get(&key)
            .map_or((0, Self::NONE), |&(last, n)| (n as usize, last))
    }

    /// Calls `f` on each document filed from posting `last` back, in the order filed; `chain` is
    /// scratch.
    fn each(&self, last: u32, chain: &mut Vec<u32>, mut f: impl FnMut(u32)) {
        chain.clear();
        let mut at = last;
        while let Some(&(_, doc, before)) = self.postings.get(at as usize) {
            chain.push(doc);
            at = before;
        }
        chain.iter().rev().for_each(|&d| f(d));
    }
}

impl Pending {
    fn list(&self, list: Postings) -> &PendingList {
        match list {
            Postings::Anchors => &self.anchors,
            Postings::ShortAnchors => &self.short_anchors,
            _ => &self.bands,
        }
    }

    /// Files `doc` under `key` in `list` (one of the three segmented families).
    fn file_posting(&mut self, list: Postings, key: u64, doc: u32) {
        let map = match list {
            Postings::Anchors => &mut self.anchors,
            Postings::ShortAnchors => &mut self.short_anchors,
            _ => &mut self.bands,
        };
        map.file(key, doc);
    }

    /// The pending postings of `keys` added to the held ones (`found`, one entry a key, or none):
    /// for each key, how many documents are filed there (at most `limit + 1`) and at most `limit`
    /// of them, as [`ReadTxn::postings_many`] gives them.
    fn add_to(
        pending: &[&Pending],
        found: Vec<(usize, Vec<u32>)>,
        list: Postings,
        keys: &[u64],
        limit: usize,
    ) -> Vec<(usize, Vec<u32>)> {
        // None held were looked up (only pending documents are searched), or one entry a key.
        debug_assert!(found.is_empty() || found.len() == keys.len());
        let mut found = if found.len() == keys.len() {
            found
        } else {
            keys.iter().map(|_| (0, Vec::new())).collect()
        };
        let mut chain = Vec::new();
        for p in pending {
            let filed = p.list(list);
            for (&key, (n, out)) in keys.iter().zip(&mut found) {
                let (more, last) = filed.filed(key);
                if more == 0 {
                    continue;
                }
                if !list.gives_documents(*n + more, limit) {
                    // As `postings_many` gives a key this common: counted, no documents.
                    *n = (*n + more).min(limit + 1);
                    *out = Vec::new();
                    continue;
                }
                filed.each(last, &mut chain, |d| {
                    if *n < limit {
                        out.push(d);
                    }
                    *n += 1;
                });
                *n = (*n).min(limit + 1);
            }
        }
        found
    }

    /// Files everything pending as one run of each family; the postings stay (the next batch of
    /// a feed searches them, see [`Committed`]).
    fn file(&mut self, w: &mut impl WriteTxn) -> Result<(), StoreError> {
        let flat = |list: &PendingList| list.postings.iter().map(|&(k, d, _)| (k, d)).collect();
        w.append_run(Postings::Bands, flat(&self.bands))?;
        w.append_run(Postings::Anchors, flat(&self.anchors))?;
        w.append_run(Postings::ShortAnchors, flat(&self.short_anchors))?;
        std::mem::take(&mut self.lines).file(w)
    }
}

/// What a check searches: by default every held document of its snapshot, looked up now.
#[derive(Default)]
struct Scope<'p> {
    /// A write transaction's documents so far (and those of the batch its writer committed
    /// last), searched as well.
    pending: &'p [&'p Pending],
    /// Only the documents numbered from this on: this transaction's (all pending).
    since: Option<u32>,
    /// The held postings of the document's keys, looked up already with its batch's (with
    /// `since`, only how many documents hold each anchor: see [`Checked::held_anchors`]).
    found: Option<Found>,
}

/// The held band and anchor postings of a document's keys, one entry a key, as
/// [`ReadTxn::postings_many`] gives them.
#[derive(Default)]
struct Found {
    bands: Vec<(usize, Vec<u32>)>,
    /// Of its anchors at the index's sparser rate, among long documents'.
    anchors: Vec<(usize, Vec<u32>)>,
    /// Of all its anchors, among short documents'.
    short_anchors: Vec<(usize, Vec<u32>)>,
}

impl Found {
    /// The counts of its anchor postings, without their documents (nor the bands').
    fn anchor_counts(&self) -> Found {
        let counts =
            |lists: &[(usize, Vec<u32>)]| lists.iter().map(|&(n, _)| (n, Vec::new())).collect();
        Found {
            bands: Vec::new(),
            anchors: counts(&self.anchors),
            short_anchors: counts(&self.short_anchors),
        }
    }

    /// The held postings of many prepared documents, looked up together: each list's keys are
    /// searched in one pass over its runs in key order, where the keys of many documents fall
    /// near each other (a document's own keys alone are scattered over the whole run).
    fn look_up(
        r: &impl ReadTxn,
        index: &Index,
        ready: &[&Ready],
    ) -> Result<Vec<Found>, StoreError> {
        Found::with(index, ready, |list, keys, limit| {
            r.postings_many(list, keys, limit)
        })
    }

    /// [`look_up`](Self::look_up) of a whole batch, its keys sorted and cut by key range among
    /// `reads` (snapshots of one state, one a thread): each thread sweeps its range of every run,
    /// where the keys of a batch fall closer together than those of a chunk of it.
    fn look_up_among<R: ReadTxn + Send>(
        reads: &mut [R],
        index: &Index,
        ready: &[&Ready],
    ) -> Result<Vec<Found>, StoreError> {
        let threads = reads.len().min(rayon::current_num_threads()).max(1);
        Found::with(index, ready, |list, keys, limit| {
            if reads[0].filed(list)?.saturating_mul(store::FEW_FILED) <= keys.len() {
                return reads[0].postings_many(list, keys, limit);
            }
            let mut sorted: Vec<(u64, u32)> = keys.iter().copied().zip(0..).collect();
            sort_spread(&mut sorted, |&(k, _)| k);
            let part = sorted.len().div_ceil(threads).max(1);
            let found: Vec<Vec<(usize, Vec<u32>)>> = (reads[..threads].par_iter_mut())
                .zip(sorted.par_chunks(part))
                .map(|(r, part)| {
                    let keys: Vec<u64> = part.iter().map(|&(k, _)| k).collect();
                    r.postings_many(list, &keys, limit)
                })
                .collect::<Result<_, StoreError>>()?;
            let mut out: Vec<(usize, Vec<u32>)> = keys.iter().map(|_| (0, Vec::new())).collect();
            for (&(_, i), postings) in sorted.iter().zip(found.into_iter().flatten()) {
                out[i as usize] = postings;
            }
            Ok(out)
        })
    }

    /// The postings of the documents' keys, each list's keys given to `postings_many` at once.
    fn with(
        index: &Index,
        ready: &[&Ready],
        mut postings_many: impl FnMut(
            Postings,
            &[u64],
            usize,
        ) -> Result<Vec<(usize, Vec<u32>)>, StoreError>,
    ) -> Result<Vec<Found>, StoreError> {
        let c = index.config();
        let rate = index.header.anchor_sampling;
        let sparse: Vec<Vec<u64>> = ready.iter().map(|x| x.sparse_anchors(rate)).collect();
        let mut each = |list: Postings, keys: Vec<&[u64]>, limit: usize| {
            let all: Vec<u64> = keys.concat();
            let mut found = postings_many(list, &all, limit)?.into_iter();
            Ok::<_, StoreError>(
                keys.iter()
                    .map(|k| found.by_ref().take(k.len()).collect::<Vec<_>>())
                    .collect::<Vec<_>>(),
            )
        };
        let bands = each(
            Postings::Bands,
            ready.iter().map(|x| x.bands.as_slice()).collect(),
            c.max_bucket,
        )?;
        let anchors = each(
            Postings::Anchors,
            sparse.iter().map(Vec::as_slice).collect(),
            c.anchor_max_df,
        )?;
        let short = each(
            Postings::ShortAnchors,
            ready.iter().map(|x| x.anchors.as_slice()).collect(),
            c.anchor_max_df,
        )?;
        Ok(bands
            .into_iter()
            .zip(anchors)
            .zip(short)
            .map(|((bands, anchors), short_anchors)| Found {
                bands,
                anchors,
                short_anchors,
            })
            .collect())
    }
}

/// Set in an anchor posting's document number when that document files fewer than
/// `min_shared_anchors` anchors.
const FEW_ANCHORS: u32 = 1 << 31;

/// Set in an anchor posting's document number when that document files its anchors at the
/// pipeline's rate (it is short).
const DENSE_ANCHORS: u32 = 1 << 30;

/// The bits of an anchor posting that are the document number (document numbers stay below).
const DOC_BITS: u32 = DENSE_ANCHORS - 1;

/// The documents met in a document's anchor postings, each with how many of its postings were
/// met and the flags they were filed with: a slot a document number, where a document's postings
/// sorted together took 7% of an `add`'s time (some thousands a document, at a hundred thousand
/// held). Kept a thread, cleared as drained: at a million documents held, 4 MB.
#[derive(Default)]
struct AnchorCounts {
    /// By document number, below [`COUNTED_BELOW`]: postings met plus the flags' bits.
    slots: Vec<u32>,
    /// Numbers from [`COUNTED_BELOW`] on (an index of more than 16 million documents).
    beyond: HashMap<u32, u32>,
    /// The numbers met, in the order first met.
    met: Vec<u32>,
}

/// Document numbers counted in [`AnchorCounts::slots`] (64 MB a thread at most).
const COUNTED_BELOW: u32 = 1 << 24;

thread_local! {
    static ANCHOR_COUNTS: std::cell::Cell<AnchorCounts> = Default::default();
}

impl AnchorCounts {
    /// The thread's counts (empty), to be given back when drained.
    fn take() -> AnchorCounts {
        ANCHOR_COUNTS.take()
    }

    fn give_back(self) {
        debug_assert!(self.met.is_empty());
        ANCHOR_COUNTS.set(self);
    }

    /// Counts an anchor posting (a document number and its flags).
    fn count(&mut self, posting: u32) {
        let d = posting & DOC_BITS;
        let slot = if d < COUNTED_BELOW {
            let at = d as usize;
            if at >= self.slots.len() {
                self.slots.resize((at + 1).next_power_of_two(), 0);
            }
            &mut self.slots[at]
        } else {
            self.beyond.entry(d).or_default()
        };
        if *slot == 0 {
            self.met.push(d);
        }
        *slot = (*slot | posting & !DOC_BITS) + 1;
    }

    /// Each document met, `(number, postings, flags)`, in the order first met; the counts are
    /// cleared.
    fn drain(&mut self) -> impl Iterator<Item = (u32, u32, u32)> + '_ {
        let (slots, beyond) = (&mut self.slots, &mut self.beyond);
        self.met.drain(..).map(move |d| {
            let slot = match d < COUNTED_BELOW {
                true => std::mem::take(&mut slots[d as usize]),
                false => beyond.remove(&d).unwrap_or_default(),
            };
            (d, slot & DOC_BITS, slot & !DOC_BITS)
        })
    }
}

/// A document with fewer anchors than this at the index's sparser rate files them at the
/// pipeline's rate: a short excerpt would otherwise have none.
const DENSE_BELOW: usize = 8;

/// Held documents kept prepared within one call (a batch), at most.
const CACHE_LIMIT: usize = 4096;

impl StoreError {
    fn corrupt(message: String) -> StoreError {
        StoreError::new(format!("corrupt index: {message}"))
    }
}

impl Index {
    /// Stores a prepared document and its verified pairs; its document number.
    fn insert(
        &self,
        w: &mut store::LmdbWrite<'_>,
        doc: &Document,
        ready: &Ready,
        matches: &[(u32, Match)],
        pending: &mut Pending,
    ) -> Result<u32, StoreError> {
        let d = u32::try_from(read_u64(w.get(Table::Meta, NEXT_KEY)?))
            .ok()
            .filter(|&d| d <= DOC_BITS)
            .ok_or_else(|| StoreError::new("more than a billion documents added".into()))?;
        w.put(Table::Meta, NEXT_KEY, &(u64::from(d) + 1).to_be_bytes())?;
        let text_bytes = read_u64(w.get(Table::Meta, TEXT_BYTES_KEY)?) + doc.text.len() as u64;
        w.put(Table::Meta, TEXT_BYTES_KEY, &text_bytes.to_be_bytes())?;
        let at = match &ready.packed {
            Some(packed) => self.store_record(w, packed)?,
            None => self.store_record(w, &pack_record(doc, &ready.chrome.lines)?)?,
        };
        w.put(Table::Ids, doc.id.as_bytes(), &doc_key(d))?;
        w.put(Table::Docs, &doc_key(d), &at.encode())?;
        let facts = ready.facts(self.header.anchor_sampling);
        let encoded = facts.encode();
        w.put(Table::Facts, &doc_key(d), &encoded)?;
        pending.facts.insert(d, encoded);
        self.file(w, d, &facts, Filing::Add)?;
        // Line statistics, for the chrome of later documents.
        let source = doc.meta_str("source");
        pending.lines.ensure(w, [(source, ready.keys.as_slice())])?;
        (pending.lines).count_in_keys(source, &ready.keys, &ready.chrome.shares);
        for (o, m) in matches {
            let verdict =
                serde_json::to_vec(&StoredVerdict::new(&m.verdict)).expect("a verdict serialises");
            w.put(Table::Pairs, &pair_key(*o, d), &verdict)?;
            w.add_posting(Postings::Links, u64::from(*o), d)?;
            w.add_posting(Postings::Links, u64::from(d), *o)?;
        }
        Ok(d)
    }

    /// Files a document under (or removes it from) its body hash and title hash. (Its band keys
    /// and anchors go into the transaction's run; a removed document's are dropped by merges.)
    fn file(
        &self,
        w: &mut store::LmdbWrite<'_>,
        d: u32,
        facts: &Facts,
        how: Filing,
    ) -> Result<(), StoreError> {
        let mut entries: Vec<(Postings, u64)> = Vec::new();
        if facts.words > 0 {
            entries.push((Postings::Bodies, facts.body_hash));
        }
        if facts.words as usize >= self.config().min_words {
            entries.push((Postings::Titles, facts.title_hash));
        }
        for (list, key) in entries {
            match how {
                Filing::Add => w.add_posting(list, key, d)?,
                Filing::Remove => w.remove_posting(list, key, d)?,
            }
        }
        if let Filing::Remove = how {
            w.put(Table::Removed, &doc_key(d), &[])?;
        }
        Ok(())
    }

    /// Removes a held document: its record, postings, line statistics and pairs.
    fn remove_doc(
        &self,
        w: &mut store::LmdbWrite<'_>,
        d: u32,
        pending: &mut Pending,
    ) -> Result<(), StoreError> {
        let Some(record) = self.record(w, d)? else {
            return Ok(());
        };
        let doc = record_document(&record);
        let (_, keys) = self.deduper.strip_rules(&doc);
        if let Some(facts) = self.facts(w, d)? {
            self.file(w, d, &facts, Filing::Remove)?;
        }
        let source = doc.meta_str("source");
        pending.lines.ensure(w, [(source, keys.as_slice())])?;
        let distinct: BTreeSet<u64> = keys.iter().map(|k| k.hash).collect();
        pending.lines.count_out(source, &distinct);
        let mut linked = Vec::new();
        w.postings(Postings::Links, u64::from(d), usize::MAX - 1, &mut linked)?;
        for o in linked {
            w.delete(Table::Pairs, &pair_key(o, d))?;
            w.remove_posting(Postings::Links, u64::from(o), d)?;
            w.remove_posting(Postings::Links, u64::from(d), o)?;
        }
        let text_bytes =
            read_u64(w.get(Table::Meta, TEXT_BYTES_KEY)?).saturating_sub(record.text.len() as u64);
        w.put(Table::Meta, TEXT_BYTES_KEY, &text_bytes.to_be_bytes())?;
        w.delete(Table::Ids, record.id.as_bytes())?;
        if let Some(at) = self.location(w, d)? {
            self.drop_record(w, at)?;
        }
        w.delete(Table::Docs, &doc_key(d))?;
        w.delete(Table::Facts, &doc_key(d))?;
        Ok(())
    }

    /// Removes the document with this id; whether it was held.
    pub fn remove(&self, id: &str) -> Result<bool, IndexError> {
        Ok(self.remove_batch(&[id])? == 1)
    }

    fn bump_generation(&self, w: &mut store::LmdbWrite<'_>) -> Result<(), StoreError> {
        let next = read_u64(w.get(Table::Meta, GENERATION_KEY)?) + 1;
        w.put(Table::Meta, GENERATION_KEY, &next.to_be_bytes())
    }

    /// Removes the documents with these ids, in one transaction; how many were held.
    pub fn remove_batch(&self, ids: &[&str]) -> Result<usize, IndexError> {
        let mut w = self.write()?;
        let mut pending = Pending::default();
        let mut removed = 0;
        for id in ids {
            if let Some(d) = self.doc_of(&w, id).map_err(self.err())? {
                self.remove_doc(&mut w, d, &mut pending)
                    .map_err(self.err())?;
                removed += 1;
            }
        }
        pending.file(&mut w).map_err(self.err())?;
        self.bump_generation(&mut w).map_err(self.err())?;
        w.commit().map_err(self.err())?;
        Ok(removed)
    }

    /// Removes every document whose `published` field orders before `before` (a date or timestamp
    /// of the same kind: an ISO-8601 string or a number), in one transaction: news archives keep a
    /// window. Documents without a comparable date are kept. How many were removed.
    pub fn remove_published_before(&self, before: &Published) -> Result<usize, IndexError> {
        let mut w = self.write()?;
        let mut old = Vec::new();
        for d in self.numbers(&w).map_err(self.err())? {
            let Some(record) = self.record(&w, d).map_err(self.err())? else {
                continue;
            };
            let published = record.meta.get("published").and_then(Published::from_json);
            let earlier = published.is_some_and(|p| {
                p.partial_cmp(before) == Some(std::cmp::Ordering::Less)
                    && std::mem::discriminant(&p) == std::mem::discriminant(before)
            });
            if earlier {
                old.push(d);
            }
        }
        let mut pending = Pending::default();
        for &d in &old {
            self.remove_doc(&mut w, d, &mut pending)
                .map_err(self.err())?;
        }
        pending.file(&mut w).map_err(self.err())?;
        self.bump_generation(&mut w).map_err(self.err())?;
        w.commit().map_err(self.err())?;
        Ok(old.len())
    }

    /// The held document with this id.
    pub fn get(&self, id: &str) -> Result<Option<Document>, IndexError> {
        let r = self.read()?;
        let Some(d) = self.doc_of(&r, id).map_err(self.err())? else {
            return Ok(None);
        };
        Ok(self
            .record(&r, d)
            .map_err(self.err())?
            .map(|rec| record_document(&rec)))
    }

    /// Counts of what the index holds.
    pub fn stats(&self) -> Result<IndexStats, IndexError> {
        let r = self.read()?;
        let e = self.err();
        Ok(IndexStats {
            documents: r.len(Table::Docs).map_err(&e)?,
            pairs: r.len(Table::Pairs).map_err(&e)?,
            lines: read_u64(r.get(Table::Meta, LINES_KEY).map_err(&e)?),
            disk_bytes: self.store.disk_size().map_err(&e)?,
            text_bytes: read_u64(r.get(Table::Meta, TEXT_BYTES_KEY).map_err(&e)?),
            format: self.header.format,
            tables: self.store.table_bytes().map_err(&e)?,
        })
    }

    /// The cluster of copies the document with this id belongs to, its canonical original chosen
    /// as `dedupe` chooses it; `None` if the id is not held or has no copy.
    pub fn cluster_of(&self, id: &str) -> Result<Option<ClusterView>, IndexError> {
        let r = self.read()?;
        let e = self.err();
        let Some(start) = self.doc_of(&r, id).map_err(&e)? else {
            return Ok(None);
        };
        // The connected component of verified pairs around the document.
        let mut members = BTreeSet::from([start]);
        let mut queue = vec![start];
        let mut found = Vec::new();
        while let Some(d) = queue.pop() {
            let mut next = Vec::new();
            r.postings(Postings::Links, u64::from(d), usize::MAX - 1, &mut next)
                .map_err(&e)?;
            for o in next {
                // Partial pairs (different articles sharing a passage) do not join clusters.
                let Some((weak, score)) = self.cluster_link(&r, d, o).map_err(&e)? else {
                    continue;
                };
                found.push((d.min(o), d.max(o), weak, score));
                if members.insert(o) {
                    queue.push(o);
                }
            }
        }
        // Nor do the weak links by which a hub would join two groups that nothing else links,
        // as in `dedupe`: the cluster is the document's part of the component without them.
        found.sort_unstable_by_key(|&(a, b, _, _)| (a, b));
        found.dedup_by_key(|&mut (a, b, _, _)| (a, b));
        let component: Vec<u32> = members.into_iter().collect();
        let at = |d: u32| component.binary_search(&d).map_or(0, |i| i as u32);
        let local: Vec<(u32, u32, bool, f64)> = found
            .iter()
            .map(|&(a, b, weak, score)| (at(a), at(b), weak, score))
            .collect();
        let cuts = cluster::hub_cuts(component.len(), &local);
        let links: Vec<(u32, u32)> = (found.iter().enumerate())
            .filter(|(i, _)| cuts.binary_search(i).is_err())
            .map(|(_, &(a, b, _, _))| (a, b))
            .collect();
        let roots =
            cluster::component_roots(component.len(), links.iter().map(|&(a, b)| (at(a), at(b))));
        let root = roots[at(start) as usize];
        let members: Vec<u32> = (component.iter().zip(&roots))
            .filter(|&(_, &r)| r == root)
            .map(|(&d, _)| d)
            .collect();
        if members.len() < 2 {
            return Ok(None);
        }
        let records: Vec<Record> = members
            .iter()
            .map(|&d| self.record(&r, d))
            .collect::<Result<Vec<_>, _>>()
            .map_err(&e)?
            .into_iter()
            .flatten()
            .collect();
        drop(r);
        let cluster = self.clusters_of(&records, &members, &links);
        let Some(cluster) = cluster.into_iter().next() else {
            return Ok(None);
        };
        let name = |d: DocId| records[d.index()].id.clone();
        Ok(Some(ClusterView {
            canonical: name(cluster.canonical),
            reason: cluster.reason,
            members: cluster.members.into_iter().map(name).collect(),
        }))
    }

    /// Clusters of stored documents (`records[i]` is document `numbers[i]`) linked by `links`
    /// (document numbers), as `dedupe` makes them.
    fn clusters_of(
        &self,
        records: &[Record],
        numbers: &[u32],
        links: &[(u32, u32)],
    ) -> Vec<cluster::Cluster> {
        let prepared: Vec<Prepared> = records.par_iter().map(|r| self.reprepare(r)).collect();
        let info = member_infos(records, &prepared);
        let position = |d: u32| numbers.binary_search(&d).ok().map(|i| DocId(i as u32));
        let mut pairs: Vec<(DocId, DocId)> = links
            .iter()
            .filter_map(|&(a, b)| Some((position(a)?, position(b)?)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        cluster::clusters(&info, &pairs)
    }

    /// Everything held as a corpus (in the order added) and the outcome `dedupe` would report for
    /// it from the stored pairs: feed both to the [`report`](crate::report) writers for the pairs,
    /// clusters and editors' report files.
    pub fn export(&self) -> Result<(Corpus, Outcome), IndexError> {
        let r = self.read()?;
        let e = self.err();
        let mut numbers = Vec::new();
        let mut records = Vec::new();
        for d in self.numbers(&r).map_err(&e)? {
            if let Some(record) = self.record(&r, d).map_err(&e)? {
                numbers.push(d);
                records.push(record);
            }
        }
        let mut stored = Vec::new();
        r.for_each(Table::Pairs, &mut |k, v| {
            let (Some(a), Some(b)) = (
                read_u32(&k[..4.min(k.len())]),
                read_u32(k.get(4..).unwrap_or(&[])),
            ) else {
                return Err(StoreError::corrupt("pair key".into()));
            };
            let verdict: StoredVerdict = serde_json::from_slice(v)
                .map_err(|err| StoreError::corrupt(format!("pair verdict: {err}")))?;
            stored.push((a, b, verdict));
            Ok(())
        })
        .map_err(&e)?;
        drop(r);
        let prepared: Vec<Prepared> = records.par_iter().map(|r| self.reprepare(r)).collect();
        let position = |d: u32| numbers.binary_search(&d).ok().map(|i| DocId(i as u32));
        let mut pairs: Vec<Pair> = stored
            .into_iter()
            .filter_map(|(a, b, v)| {
                let (a, b) = (position(a)?, position(b)?);
                Some(Pair {
                    a: a.min(b),
                    b: a.max(b),
                    verdict: Arc::new(v.verdict()),
                })
            })
            .collect();
        pairs.sort_by_key(|p| (p.a, p.b));
        let info = member_infos(&records, &prepared);
        // Partial pairs (different articles sharing a passage) are reported, never clustered; so
        // are a hub's weak links, judged partial as `dedupe` judges them.
        crate::dedupe::guard_hubs(records.len(), &mut pairs);
        let linked: Vec<(DocId, DocId)> = pairs
            .iter()
            .filter(|p| p.verdict.kind.joins_clusters())
            .map(|p| (p.a, p.b))
            .collect();
        let clusters = cluster::clusters(&info, &linked);
        drop(info);
        let stripped: Vec<Stripped> = prepared.iter().map(|p| p.stripped.clone()).collect();
        let documents = prepared
            .into_iter()
            .map(|p| DocSummary {
                words: p.print.words,
                stripped: p.stripped,
            })
            .collect();
        let corpus = Corpus::from_documents(records.iter().map(record_document));
        let outcome = Outcome {
            pairs,
            clusters,
            documents,
            stats: Stats::of_stripping(&stripped, 0),
        };
        Ok((corpus, outcome))
    }
}

/// What the cluster module weighs of each member, from its stored record and its preparation.
fn member_infos<'a>(records: &'a [Record], prepared: &'a [Prepared]) -> Vec<MemberInfo<'a>> {
    records
        .iter()
        .zip(prepared)
        .map(|(rec, p)| MemberInfo {
            words: p.print.words,
            published: rec.meta.get("published").and_then(Published::from_json),
            content: &p.print.content,
            stripped_share: p.stripped.removed_share(),
        })
        .collect()
}

/// Whether [`Index::file`] adds or removes.
#[derive(Clone, Copy)]
enum Filing {
    Add,
    Remove,
}

/// A record to store, borrowed from the document.
#[derive(Serialize)]
struct RecordRef<'a> {
    id: &'a str,
    text: &'a str,
    meta: &'a Map<String, Value>,
    chrome: &'a [(u64, bool)],
}

fn record_document(record: &Record) -> Document {
    Document {
        id: record.id.clone(),
        text: record.text.clone(),
        meta: record.meta.clone(),
        origin: Origin {
            source: "<index>".into(),
            line: None,
        },
        record: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Equal bytes counted eight at a time are those counted one at a time.
        #[test]
        fn equal_bytes_counts_as_a_byte_loop(
            bytes in proptest::collection::vec(
                (proptest::prelude::any::<u8>(), proptest::prelude::any::<u8>(), proptest::prelude::any::<bool>()),
                0..300,
            ),
        ) {
            // Half the positions equal; the others any two bytes (0x80 against 0x00, 0xff
            // against 0x7f: where a carry or a top bit would miscount).
            let a: Vec<u8> = bytes.iter().map(|&(x, _, _)| x).collect();
            let b: Vec<u8> = bytes.iter().map(|&(x, y, same)| if same { x } else { y }).collect();
            let naive = a.iter().zip(&b).filter(|(x, y)| x == y).count();
            proptest::prop_assert_eq!(equal_bytes(&a, &b), naive);
        }
    }

    #[test]
    fn a_crowded_band_bucket_yields_only_the_documents_sharing_the_next_bands() {
        // Three bands in the first channel, two in the second. Band 0's bucket holds the
        // documents 0..100 (crowded): only those also in band 1's (10, 20, 30) qualify, and of
        // those only 10 and 20 when band 1's bucket is crowded too and band 2 splits it.
        let crowd: Vec<u32> = (0..100).collect();
        // A crowd of other documents, and `extra`.
        let many = |extra: &[u32]| -> (usize, Vec<u32>) {
            let mut docs: Vec<u32> = (1000..1000 + SPLIT_BUCKET as u32).collect();
            docs.extend(extra);
            docs.sort_unstable();
            (docs.len(), docs)
        };
        let found = vec![
            (crowd.len(), crowd.clone()),
            (3, vec![10, 20, 30]),
            (2, vec![7, 8]),
            (2, vec![5, 99]),
            (100, crowd.clone()),
        ];
        let mut got = band_candidates(found, 3);
        got.sort_unstable();
        // Band 0: 10, 20, 30 (band 1 splits it); bands 1 and 2 in full; band 3 in full; band 4
        // (the second channel's crowd) split by band 3, the next of its channel: 5 and 99.
        let want = vec![
            (5, 1),
            (5, 1),
            (7, 0),
            (8, 0),
            (10, 0),
            (10, 0),
            (20, 0),
            (20, 0),
            (30, 0),
            (30, 0),
            (99, 1),
            (99, 1),
        ];
        assert_eq!(got, want);

        // Band 1 crowded as well, and band 0's group after it (0..50): split again by band 2;
        // band 2's crowd is split by band 0, the next of its channel, round the end.
        let found = vec![
            (crowd.len(), crowd.clone()),
            (50, (0..50).collect()),
            many(&[10, 20]),
        ];
        let mut got = band_candidates(found, 3);
        got.sort_unstable();
        let band_2: Vec<(u32, usize)> =
            (1000..1000 + SPLIT_BUCKET as u32).map(|d| (d, 0)).collect();
        assert!(
            band_2.iter().all(|x| !got.contains(x)),
            "band 2's crowd met band 0's"
        );
        assert_eq!(
            got,
            vec![(10, 0), (10, 0), (10, 0), (20, 0), (20, 0), (20, 0)]
        );
        // No crowded bucket: every document met, with its channel.
        let found = vec![(2, vec![3, 1]), (1, vec![4])];
        assert_eq!(band_candidates(found, 1), vec![(3, 0), (1, 0), (4, 1)]);
    }

    proptest::proptest! {
        /// A document's anchor postings counted by document number give each document met once,
        /// with its postings and flags, as grouping them does (numbers past the slots too); the
        /// counts kept for the thread's next document are left clear.
        #[test]
        fn anchor_postings_are_counted_by_document_with_their_flags(
            documents in proptest::collection::vec(0u32..64, 1..300),
        ) {
            // A document's number (some past the slots) and flags follow from it.
            let number = |d: u32| if d % 7 == 0 { COUNTED_BELOW + d } else { d * 1_000 };
            let flags = |d: u32| [0, FEW_ANCHORS, DENSE_ANCHORS][d as usize % 3];
            for _ in 0..2 {
                let mut model: std::collections::BTreeMap<u32, u32> = Default::default();
                let mut counts = AnchorCounts::take();
                for &d in &documents {
                    counts.count(number(d) | flags(d));
                    *model.entry(number(d)).or_default() += 1;
                }
                let mut counted: Vec<(u32, u32, u32)> = counts.drain().collect();
                counts.give_back();
                counted.sort_unstable();
                let want: Vec<(u32, u32, u32)> = model
                    .iter()
                    .map(|(&n, &c)| (n, c, flags(documents.iter().copied().find(|&d| number(d) == n).unwrap_or(0))))
                    .collect();
                proptest::prop_assert_eq!(counted, want);
            }
        }

        /// A transaction's postings are given back under each key in the order filed, with how
        /// many, and none under a key never filed.
        #[test]
        fn pending_postings_are_given_in_the_order_filed(
            filed in proptest::collection::vec((0u64..20, 0u32..1_000), 0..200),
        ) {
            let key = |k: u64| k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let mut list = PendingList::default();
            for &(k, d) in &filed {
                list.file(key(k), d);
            }
            let mut chain = Vec::new();
            for k in 0..25 {
                let want: Vec<u32> = filed.iter().filter(|f| f.0 == k).map(|f| f.1).collect();
                let (n, last) = list.filed(key(k));
                let mut got = Vec::new();
                list.each(last, &mut chain, |d| got.push(d));
                proptest::prop_assert_eq!(n, want.len());
                proptest::prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn the_facts_arena_gives_back_what_it_keeps_and_nothing_else() {
        let mut arena = FactsArena::default();
        let facts = |d: u32| vec![d as u8; 280];
        // Numbered from the first kept (an index keeping a window holds no lower ones).
        let kept = [1_000_000u32, 1_000_005, 1_003_000, 1_000_064, 1_000_063];
        for d in kept {
            arena.insert(d, &facts(d));
        }
        for d in kept {
            assert_eq!(arena.get(d), Some(&facts(d)[..]));
        }
        // Below the first kept, between, and past the memory allowed: not kept.
        arena.insert(999_999, &facts(999_999));
        assert_eq!(arena.get(999_999), None);
        assert_eq!(arena.get(1_000_001), None);
        let past = 1_000_000 + (FACTS_MEMORY / 280) as u32;
        arena.insert(past, &facts(past));
        assert_eq!(arena.get(past), None);
        assert!(arena.bytes.len() <= FACTS_MEMORY);
        // Facts of another size are not kept.
        arena.insert(1_000_007, &[1, 2, 3]);
        assert_eq!(arena.get(1_000_007), None);
    }
}
