//! Where an index keeps its data: a small set of keyed tables and posting lists behind two traits
//! ([`ReadTxn`], [`WriteTxn`]), and their embedded implementation on LMDB ([`Lmdb`]).
//!
//! LMDB lets several processes share one index file: one writer at a time (a write transaction
//! takes a lock held across processes), readers that never block and never wait, each reading a
//! consistent snapshot. A committed transaction is on disk whole or not at all, so a process killed
//! mid-write leaves the index as it was before that transaction. Posting lists are `DUP_SORT`
//! tables with fixed-size values: adding a document to a list inserts one value into a B-tree
//! rather than rewriting the list.
//!
//! Every key and value is bytes; the index encodes them (big-endian integers, so keys sort as
//! numbers). A shared server store can implement the same two traits.

use std::path::Path;
use std::sync::{Arc, RwLock};

use heed::types::Bytes;
use heed::{Database, DatabaseFlags, Env, EnvFlags, EnvOpenOptions, RoTxn, RwTxn, WithoutTls};
use rustc_hash::FxHashMap as HashMap;

use crate::shingle::sort_spread;

/// A failure of the underlying store.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(String);

impl StoreError {
    pub(crate) fn new(message: String) -> StoreError {
        StoreError(message)
    }
}

impl From<heed::Error> for StoreError {
    fn from(e: heed::Error) -> Self {
        StoreError(e.to_string())
    }
}

/// A keyed table of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// The header, counters.
    Meta,
    /// External id → document number.
    Ids,
    /// Document number → where its record is: a block, an offset and a length.
    Docs,
    /// Block number → stored records (id, text, metadata, the chrome each was stripped of), each
    /// compressed on its own, packed end to end.
    Blocks,
    /// Document number → fixed-size facts (hashes, word and anchor counts).
    Facts,
    /// (document, document) → the verdict on a verified pair.
    Pairs,
    /// (family, segment number) → a sorted run of postings (see [`Postings::Bands`]) or of
    /// counter changes (see [`Tally`]).
    Segments,
    /// Document numbers removed, whose postings in segments are dropped at the next merge.
    Removed,
}

/// A posting list family: key → the sorted document numbers filed under it.
///
/// The two large families, [`Bands`](Postings::Bands) and [`Anchors`](Postings::Anchors) (some 150
/// postings per document), are kept in *segments*: each write transaction appends one sorted run
/// of `(key, document)` records (12 bytes each, no per-entry overhead), and runs are merged as they
/// accumulate (a run is merged into the one before it while that one is less than four times its
/// size), so a lookup binary-searches a few runs. A removed document's postings stay in the runs
/// until a merge drops them; lookups skip documents that are no longer held. The small families
/// are B-tree posting lists (`DUP_SORT`), where an insert adds one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Postings {
    /// LSH band keys of both channels (segments).
    Bands,
    /// Containment anchors of documents long enough to sample sparsely (segments).
    Anchors,
    /// Containment anchors of short documents, sampled at the pipeline's rate (segments): kept
    /// apart so that a check looks up its dense sample only among the (few, small) runs of short
    /// documents, and its sparse sample among the others.
    ShortAnchors,
    /// Body hashes (exact copies; headline-only documents).
    Bodies,
    /// Title hashes of documents long enough to compare.
    Titles,
    /// Document → the documents it has a verified pair with.
    Links,
}

const TABLES: [(Table, &str); 8] = [
    (Table::Meta, "meta"),
    (Table::Ids, "ids"),
    (Table::Docs, "docs"),
    (Table::Blocks, "blocks"),
    (Table::Facts, "facts"),
    (Table::Pairs, "pairs"),
    (Table::Segments, "segments"),
    (Table::Removed, "removed"),
];

impl Postings {
    /// Whether the family is kept in segments.
    pub fn segmented(self) -> bool {
        matches!(
            self,
            Postings::Bands | Postings::Anchors | Postings::ShortAnchors
        )
    }

    fn tag(self) -> u8 {
        POSTINGS.iter().position(|&(p, _)| p == self).unwrap_or(0) as u8
    }

    /// Whether a key filed `limit` times or more counts for nothing, its documents not wanted (an
    /// anchor as common as that is no evidence; crowded band buckets are split by the next bands).
    pub fn drops_common(self) -> bool {
        matches!(self, Postings::Anchors | Postings::ShortAnchors)
    }

    /// Whether the documents of a key found filed `filed` times are given (at most `limit` of
    /// them): not those of a key of a family that [drops common ones](Self::drops_common) filed
    /// `limit` times or more. The one rule for the runs, their summaries' counts and a
    /// transaction's pending postings.
    pub fn gives_documents(self, filed: usize, limit: usize) -> bool {
        !(self.drops_common() && filed >= limit)
    }
}

/// A family of counters kept in segments, as the large postings families are: each write
/// transaction appends its changes (deltas) as one sorted run, a read adds up a key's changes over
/// the runs, and runs merge as they accumulate, adding up equal keys; a key whose total is empty is
/// dropped when merged into the oldest run. (Kept in a B-tree, the counters of the lines of every
/// batch's articles were rewritten all over the table, and each commit copied most of its pages.)
pub trait Tally: Copy + Default {
    /// The family's tag among the segments (apart from the postings families' tags).
    const TAG: u8;
    /// Bytes of an encoded value.
    const WIDTH: usize;
    /// Appends the value's bytes.
    fn encode(&self, out: &mut Vec<u8>);
    /// The value of `WIDTH` bytes.
    fn decode(bytes: &[u8]) -> Self;
    /// Adds a later change.
    fn add(&mut self, later: &Self);
    /// Whether a total is nothing (nothing is kept for its key).
    fn is_empty(&self) -> bool;
}

/// Bytes of one segment record: a key (u64) and a document (u32), big-endian.
const RECORD: usize = 12;

/// A run is merged into the one before it while that one is less than this many times its size.
const MERGE_FACTOR: usize = 4;

/// Runs are not merged beyond this many records (768 MB).
const MAX_RUN: usize = 64 << 20;

/// A run of at least this many records (12 MB of postings) is filed with a summary of its keys
/// ([`Summary`]); a smaller one is read whole often enough to stay in memory.
const SUMMARY_MIN: usize = 1 << 20;

/// Set in a family's tag to key its runs' summaries (tags are below it).
const SUMMARY_TAG: u8 = 0x80;

const POSTINGS: [(Postings, &str); 6] = [
    (Postings::Bands, "bands"),
    (Postings::Anchors, "anchors"),
    (Postings::ShortAnchors, "short_anchors"),
    (Postings::Bodies, "bodies"),
    (Postings::Titles, "titles"),
    (Postings::Links, "links"),
];

/// What [`ReadTxn::for_each`] calls on each entry: key, value.
pub type Visitor<'f> = dyn FnMut(&[u8], &[u8]) -> Result<(), StoreError> + 'f;

/// Reading from a consistent snapshot of the store.
pub trait ReadTxn {
    /// The value under `key`, if any.
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// `f` of the value under `key`, if any, read in place (not copied).
    fn get_with<T>(
        &self,
        table: Table,
        key: &[u8],
        f: impl FnOnce(&[u8]) -> T,
    ) -> Result<Option<T>, StoreError>;
    /// Appends to `out` at most `limit` documents filed under `key`, in order; returns how many are
    /// filed there, counting at most `limit + 1` (so a caller can tell a list is longer).
    fn postings(
        &self,
        list: Postings,
        key: u64,
        limit: usize,
        out: &mut Vec<u32>,
    ) -> Result<usize, StoreError>;
    /// [`postings`](Self::postings) of many keys at once (a segmented family's runs are opened
    /// once): for each key, how many documents are filed there (at most `limit + 1`) and at most
    /// `limit` of them, but none if `limit` or more of an anchor family (see
    /// [`Postings::gives_documents`]).
    fn postings_many(
        &self,
        list: Postings,
        keys: &[u64],
        limit: usize,
    ) -> Result<Vec<(usize, Vec<u32>)>, StoreError>;
    /// Postings filed in a segmented family (the records of its runs; 0 for another family).
    fn filed(&self, list: Postings) -> Result<usize, StoreError>;
    /// The totals of a tally family under `keys` (the default for a key never counted).
    fn tallies<T: Tally>(&self, keys: &[u64]) -> Result<Vec<T>, StoreError>;
    /// Calls `f` on every entry of a table, in key order.
    fn for_each(&self, table: Table, f: &mut Visitor<'_>) -> Result<(), StoreError>;
    /// Entries in a table.
    fn len(&self, table: Table) -> Result<u64, StoreError>;
}

/// Writing, in one transaction: all of it is committed, or none.
pub trait WriteTxn: ReadTxn {
    /// Sets `key` to `value`.
    fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError>;
    /// Removes `key`; whether it was there.
    fn delete(&mut self, table: Table, key: &[u8]) -> Result<bool, StoreError>;
    /// Files `doc` under `key` (in a segmented family, as a run of its own: file batches with
    /// [`append_run`](Self::append_run)).
    fn add_posting(&mut self, list: Postings, key: u64, doc: u32) -> Result<(), StoreError>;
    /// Removes `doc` from under `key`.
    fn remove_posting(&mut self, list: Postings, key: u64, doc: u32) -> Result<(), StoreError>;
    /// Files a batch of `(key, document)` postings of a segmented family as one new run (and
    /// merges runs as they accumulate).
    fn append_run(&mut self, list: Postings, postings: Vec<(u64, u32)>) -> Result<(), StoreError>;
    /// Files changes to a tally family as one new run (equal keys added up), merging runs as they
    /// accumulate.
    fn append_tallies<T: Tally>(&mut self, changes: Vec<(u64, T)>) -> Result<(), StoreError>;
    /// Makes every change durable at once.
    fn commit(self) -> Result<(), StoreError>;
}

/// A store: read snapshots and write transactions.
pub trait Store: Send + Sync {
    /// A read snapshot.
    type Read<'s>: ReadTxn
    where
        Self: 's;
    /// A write transaction (one at a time, across processes).
    type Write<'s>: WriteTxn
    where
        Self: 's;
    /// Opens a read snapshot.
    fn read(&self) -> Result<Self::Read<'_>, StoreError>;
    /// Opens a write transaction, waiting for any other writer to finish.
    fn write(&self) -> Result<Self::Write<'_>, StoreError>;
    /// Bytes the store takes on disk.
    fn disk_size(&self) -> Result<u64, StoreError>;
    /// Bytes of pages each table and posting list takes, by name.
    fn table_bytes(&self) -> Result<Vec<(&'static str, u64)>, StoreError>;
}

type Db = Database<Bytes, Bytes>;

/// The embedded store: one LMDB environment (a directory holding `data.mdb` and `lock.mdb`).
pub struct Lmdb {
    env: Env<WithoutTls>,
    tables: [Db; 8],
    postings: [Db; 6],
    kept: KeptSummaries,
}

impl std::fmt::Debug for Lmdb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lmdb")
            .field("path", &self.env.path())
            .finish_non_exhaustive()
    }
}

/// What [`Lmdb::open_existing`] found.
pub enum Existing {
    /// Every table: the store, opened.
    Complete(Box<Lmdb>),
    /// Some tables are missing (another format, or not an index), nothing written.
    Incomplete {
        /// The names of the missing tables.
        missing: Vec<String>,
        /// The value of the key asked for in the meta table, where there is one.
        header: Option<Vec<u8>>,
    },
}

/// The largest the index may grow: address space reserved, not disk used.
const MAP_SIZE: usize = 1 << 40;

impl Lmdb {
    /// The environment in directory `path` (made if missing).
    #[allow(unsafe_code)]
    fn env(path: &Path) -> Result<Env<WithoutTls>, StoreError> {
        std::fs::create_dir_all(path)
            .map_err(|e| StoreError(format!("{}: {e}", path.display())))?;
        let mut options = EnvOpenOptions::new().read_txn_without_tls();
        options.map_size(MAP_SIZE).max_dbs(16).max_readers(256);
        // SAFETY: NO_READ_AHEAD only advises the kernel that reads are random (a check reads a
        // few records of each run, and read-ahead pulled hundreds of megabytes of the file into
        // memory for one check); it is none of the flags that weaken LMDB's guarantees (NO_LOCK,
        // NO_SYNC, NO_META_SYNC, WRITE_MAP with MAP_ASYNC).
        unsafe { options.flags(EnvFlags::NO_READ_AHEAD) };
        // SAFETY: the memory map is only unsafe if the file is changed other than through LMDB
        // (truncated, rewritten) while mapped; reprint only ever opens it through LMDB, with its
        // lock file, and sets none of the unsafe flags (NO_LOCK, NO_SYNC).
        let env = unsafe { options.open(path) }?;
        // Readers left by a killed process hold their slots until cleared.
        env.clear_stale_readers()?;
        Ok(env)
    }

    /// Opens the store in directory `path`, making it and its tables if need be.
    pub fn open(path: &Path) -> Result<Lmdb, StoreError> {
        let env = Lmdb::env(path)?;
        let mut wtxn = env.write_txn()?;
        let tables = TABLES.map(|(_, name)| {
            env.database_options()
                .types::<Bytes, Bytes>()
                .name(name)
                .create(&mut wtxn)
        });
        let postings = POSTINGS.map(|(_, name)| {
            env.database_options()
                .types::<Bytes, Bytes>()
                .name(name)
                .flags(DatabaseFlags::DUP_SORT | DatabaseFlags::DUP_FIXED)
                .create(&mut wtxn)
        });
        let tables = collect(tables)?;
        let postings = collect(postings)?;
        wtxn.commit()?;
        Ok(Lmdb {
            env,
            tables,
            postings,
            kept: KeptSummaries::default(),
        })
    }

    /// Opens the store in directory `path` without writing to it: an index of another format
    /// lacks some tables, and making them would change a file that is then refused.
    /// [`Existing::Incomplete`] names them and gives the value of `meta_key` in the meta table, if
    /// there is one, so the caller can say which format the file is.
    pub fn open_existing(path: &Path, meta_key: &[u8]) -> Result<Existing, StoreError> {
        let env = Lmdb::env(path)?;
        let rtxn = env.read_txn()?;
        let open = |name: &str, dup: bool| {
            let mut options = env.database_options().types::<Bytes, Bytes>();
            options.name(name);
            if dup {
                options.flags(DatabaseFlags::DUP_SORT | DatabaseFlags::DUP_FIXED);
            }
            options.open(&rtxn)
        };
        let tables = collect(TABLES.map(|(_, name)| open(name, false)))?;
        let postings = collect(POSTINGS.map(|(_, name)| open(name, true)))?;
        let names =
            (TABLES.iter().map(|&(_, name)| name)).chain(POSTINGS.iter().map(|&(_, name)| name));
        let missing: Vec<String> = (names.zip(tables.iter().chain(postings.iter())))
            .filter(|(_, db)| db.is_none())
            .map(|(name, _)| name.to_string())
            .collect();
        if !missing.is_empty() {
            let header = match tables[0] {
                Some(meta) => meta.get(&rtxn, meta_key)?.map(<[u8]>::to_vec),
                None => None,
            };
            return Ok(Existing::Incomplete { missing, header });
        }
        rtxn.commit()?;
        Ok(Existing::Complete(Box::new(Lmdb {
            env,
            tables: tables.map(|db| db.expect("every table is there")),
            postings: postings.map(|db| db.expect("every table is there")),
            kept: KeptSummaries::default(),
        })))
    }

    fn table(&self, t: Table) -> Db {
        self.tables[TABLES.iter().position(|&(x, _)| x == t).unwrap_or(0)]
    }

    fn list(&self, p: Postings) -> Db {
        self.postings[POSTINGS.iter().position(|&(x, _)| x == p).unwrap_or(0)]
    }
}

fn collect<T, const N: usize>(dbs: [heed::Result<T>; N]) -> Result<[T; N], StoreError> {
    let mut out = Vec::with_capacity(N);
    for db in dbs {
        out.push(db?);
    }
    out.try_into()
        .map_err(|_| StoreError("database count".into()))
}

/// A read snapshot of an [`Lmdb`] store.
pub struct LmdbRead<'s> {
    txn: RoTxn<'s, WithoutTls>,
    store: &'s Lmdb,
}

/// A write transaction on an [`Lmdb`] store.
pub struct LmdbWrite<'s> {
    txn: RwTxn<'s>,
    store: &'s Lmdb,
}

fn get(store: &Lmdb, txn: &RoTxn, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(store.table(table).get(txn, key)?.map(<[u8]>::to_vec))
}

fn postings(
    store: &Lmdb,
    txn: &RoTxn,
    committed: bool,
    list: Postings,
    key: u64,
    limit: usize,
    out: &mut Vec<u32>,
) -> Result<usize, StoreError> {
    if list.segmented() {
        let mut n = 0;
        for run in runs(store, txn, committed, list.tag(), RECORD)? {
            let (run, held) = run?;
            let summary = held.as_ref().and_then(Held::summary);
            let Some(at) = find(run, summary, key, 0) else {
                continue;
            };
            n += take_at(run, at, key, limit.saturating_sub(n), out);
            if n > limit {
                break;
            }
        }
        return Ok(n);
    }
    let Some(iter) = store.list(list).get_duplicates(txn, &key.to_be_bytes())? else {
        return Ok(0);
    };
    let mut n = 0;
    for entry in iter {
        let (_, value) = entry?;
        if n < limit {
            out.push(decode_doc(value));
        }
        n += 1;
        if n > limit {
            break;
        }
    }
    Ok(n)
}

fn postings_many(
    store: &Lmdb,
    txn: &RoTxn,
    committed: bool,
    list: Postings,
    keys: &[u64],
    limit: usize,
) -> Result<Vec<(usize, Vec<u32>)>, StoreError> {
    let mut out: Vec<(usize, Vec<u32>)> = keys.iter().map(|_| (0, Vec::new())).collect();
    if !list.segmented() {
        for (&key, (n, docs)) in keys.iter().zip(&mut out) {
            *n = postings(store, txn, committed, list, key, limit, docs)?;
        }
        return Ok(out);
    }
    if filed(store, txn, list)?.saturating_mul(FEW_FILED) <= keys.len() {
        // Few postings for the keys (a family of short documents'): each key is looked up in a
        // map of them all, where sorting the keys would take longer.
        let mut all: HashMap<u64, Vec<u32>> = HashMap::default();
        for run in runs(store, txn, committed, list.tag(), RECORD)? {
            let (run, _) = run?;
            for i in 0..run.len() {
                all.entry(run.key(i))
                    .or_default()
                    .push(decode_doc(run.value(i)));
            }
        }
        for (key, (n, docs)) in keys.iter().zip(&mut out) {
            if let Some(filed) = all.get(key) {
                *n = filed.len().min(limit + 1);
                if list.gives_documents(*n, limit) {
                    docs.extend_from_slice(&filed[..filed.len().min(limit)]);
                }
            }
        }
        return Ok(out);
    }
    let order = key_order(keys);
    let runs = runs(store, txn, committed, list.tag(), RECORD)?.collect::<Result<Vec<_>, _>>()?;
    // An anchor the summary counts as too common is not read.
    let counted = |summary: Summary, key: u64| {
        (summary.crowded(key)).is_some_and(|c| !list.gives_documents(c, limit))
    };
    prefetch(&runs, keys, counted);
    // Keys with more than `limit` documents found are not searched further.
    let mut full = vec![false; keys.len()];
    let mut skip = full.clone();
    for (run, held) in runs {
        let summary = held.as_ref().and_then(Held::summary);
        skip.copy_from_slice(&full);
        let alone = !near(keys.len(), run);
        if let Some(summary) =
            summary.filter(|s| alone && list.drops_common() && !s.crowded.is_empty())
        {
            // An anchor looked up alone that the run files too often to count is counted from
            // its summary (a batch's keys, swept, are counted in pages read anyway).
            for (i, &key) in keys.iter().enumerate() {
                let (n, docs) = &mut out[i];
                let crowded = (!full[i]).then(|| summary.crowded(key)).flatten();
                if let Some(c) = crowded.filter(|&c| !list.gives_documents(*n + c, limit)) {
                    *n += c.min(limit + 1 - *n);
                    *docs = Vec::new();
                    skip[i] = true;
                }
            }
        }
        sweep(run, summary, keys, &order, Some(&skip), |i, at| {
            let (n, docs) = &mut out[i];
            let found = count_at(run, at, keys[i], limit + 1 - *n);
            if !list.gives_documents(*n + found, limit) {
                *docs = Vec::new();
            } else {
                docs.extend(docs_at(run, at, found.min(limit - *n)));
            }
            *n += found;
        });
        for (full, (n, _)) in full.iter_mut().zip(&out) {
            *full = *n > limit;
        }
    }
    for (n, _) in &mut out {
        *n = (*n).min(limit + 1);
    }
    Ok(out)
}

/// A family with at most one posting for this many keys looked up is put in a map.
pub const FEW_FILED: usize = 4;

/// Postings filed in a segmented family.
fn filed(store: &Lmdb, txn: &RoTxn, list: Postings) -> Result<usize, StoreError> {
    if !list.segmented() {
        return Ok(0);
    }
    let mut records = 0;
    for run in store
        .table(Table::Segments)
        .prefix_iter(txn, &[list.tag()])?
    {
        records += run?.1.len() / RECORD;
    }
    Ok(records)
}

/// Keys at least one to this many records of a run are looked up by galloping on from the key
/// before (a few probes in the same pages) rather than by interpolation.
const GALLOP_RATIO: usize = 256;

/// The positions of `keys` in key order: each run is then walked once from its start to its end,
/// and where many keys are looked up at once (a batch's) each is found near the one before (a
/// document's own keys alone are scattered over the whole run).
fn key_order(keys: &[u64]) -> Vec<u32> {
    if keys.is_sorted() {
        return (0..keys.len() as u32).collect();
    }
    // Sorted as (key, position) pairs: a sort of positions by key reads the keys scattered.
    let mut pairs: Vec<(u64, u32)> = keys.iter().copied().zip(0..).collect();
    sort_spread(&mut pairs, |&(k, _)| k);
    pairs.into_iter().map(|(_, i)| i).collect()
}

/// Asks the disk at once for the pages of the large runs that `keys`, each looked up alone, may be
/// found in (those their summaries' filters pass, but for those `skip` says are not read), so
/// that a check waits about as long as for one read rather than for one after another (75 a check
/// at a million articles in 1 GB of memory).
fn prefetch(runs: &[(Run, Option<Held>)], keys: &[u64], skip: impl Fn(Summary, u64) -> bool) {
    for (run, held) in runs {
        let summary = held.as_ref().and_then(Held::summary);
        let Some(summary) = summary.filter(|_| !near(keys.len(), *run)) else {
            continue;
        };
        for &key in keys {
            if !summary.filter.may_hold(key) || skip(summary, key) {
                continue;
            }
            if let Some((after, first)) = summary.window(*run, key) {
                // The key's records may run on a little past its window.
                run.prefetch(after, first + 2);
            }
        }
    }
}

/// Whether `keys` keys are looked up in `run` by galloping from one to the next (in key order):
/// they fall near each other. If not, each is looked up alone.
fn near(keys: usize, run: Run) -> bool {
    keys.saturating_mul(GALLOP_RATIO) >= run.len()
}

/// Calls `f(i, at)` for each key in `order` ([`key_order`]) with `at`, the first record of `run`
/// whose key is not below `keys[i]`, but for keys `skip` (if given) marks and those the run's
/// summary (if any) rules out. Keys scattered over a large run (a few documents') are each looked
/// up alone, through its summary: most are ruled out, the others read one page or two.
fn sweep(
    run: Run,
    summary: Option<Summary>,
    keys: &[u64],
    order: &[u32],
    skip: Option<&[bool]>,
    mut f: impl FnMut(usize, usize),
) {
    let near = near(keys.len(), run);
    let mut at = 0;
    for &i in order {
        let i = i as usize;
        if skip.is_some_and(|s| s[i]) {
            continue;
        }
        let key = keys[i];
        at = if near {
            gallop(run, key, at)
        } else {
            match find(run, summary, key, at) {
                Some(found) => found,
                None => continue,
            }
        };
        f(i, at);
    }
}

/// [`lower_bound`] of a key looked up alone in `run`, through its summary if it has one: `None`
/// if the summary rules the key out.
fn find(run: Run, summary: Option<Summary>, key: u64, from: usize) -> Option<usize> {
    match summary {
        Some(s) if !s.filter.may_hold(key) => None,
        Some(s) => Some(s.lower_bound(run, key, from)),
        None => Some(lower_bound(run, key, from)),
    }
}

/// The key of the summary of the run keyed `run_key`.
fn summary_key(run_key: &[u8]) -> Result<[u8; 9], StoreError> {
    let mut key = <[u8; 9]>::try_from(run_key)
        .map_err(|_| StoreError::new("corrupt index: a run's key".into()))?;
    key[0] |= SUMMARY_TAG;
    Ok(key)
}

/// The runs of family `tag` (records of `width` bytes), oldest first, each with its summary's
/// bytes if it has one: kept in memory if `txn` is a committed snapshot (`committed`).
fn runs<'t>(
    store: &'t Lmdb,
    txn: &'t RoTxn,
    committed: bool,
    tag: u8,
    width: usize,
) -> Result<impl Iterator<Item = Result<(Run<'t>, Option<Held<'t>>), StoreError>>, StoreError> {
    let segments = store.table(Table::Segments);
    Ok(segments.prefix_iter(txn, &[tag])?.map(move |entry| {
        let (key, bytes) = entry?;
        let run = Run { bytes, width };
        if run.len() < SUMMARY_MIN {
            return Ok((run, None));
        }
        let key = summary_key(key)?;
        let size = run.bytes.len();
        if let Some(kept) = committed.then(|| store.kept.get(&key, size)).flatten() {
            return Ok((run, Some(Held::Kept(kept))));
        }
        let Some(bytes) = segments.get(txn, &key)? else {
            return Ok((run, None));
        };
        // A summary whose run is no longer there (merged away) is dropped for another.
        let live = |summary: &[u8; 9], size: usize| {
            let mut run = *summary;
            run[0] &= !SUMMARY_TAG;
            matches!(segments.get(txn, &run), Ok(Some(bytes)) if bytes.len() == size)
        };
        let kept = committed.then(|| store.kept.keep(key, size, bytes, live));
        match kept.flatten() {
            Some(kept) => Ok((run, Some(Held::Kept(kept)))),
            None => Ok((run, Some(Held::Mapped(bytes)))),
        }
    }))
}

/// A run's summary as read: kept in the process's memory, or in the store's map.
enum Held<'t> {
    Kept(Arc<[u8]>),
    Mapped(&'t [u8]),
}

impl Held<'_> {
    fn summary(&self) -> Option<Summary<'_>> {
        Summary::decode(match self {
            Held::Kept(bytes) => bytes,
            Held::Mapped(bytes) => bytes,
        })
    }
}

/// The summaries of large runs read from committed snapshots, copied into the process's memory
/// (at most [`KEPT_MEMORY`] bytes): probed for nearly every key a check looks up, their pages are
/// the ones a check must not wait for. In a 1 GB memory cgroup at a million articles (112 MB of
/// summaries), held in the store's map they were evicted among the runs' pages, and a check read
/// some 40 pages of them from the disk.
///
/// A run is never rewritten under its number (a merged run takes the next), so a summary kept under
/// its run's number (and size) stays true; one of a run merged away is dropped when the memory is
/// wanted.
struct KeptSummaries {
    kept: RwLock<Kept>,
    /// The most bytes kept ([`KEPT_MEMORY`]).
    limit: usize,
}

impl Default for KeptSummaries {
    fn default() -> Self {
        KeptSummaries {
            kept: RwLock::default(),
            limit: KEPT_MEMORY,
        }
    }
}

#[derive(Default)]
struct Kept {
    /// Summary key → its run's size in bytes, and the summary.
    by_key: HashMap<[u8; 9], (usize, Arc<[u8]>)>,
    /// Bytes of the summaries kept.
    bytes: usize,
}

/// The most memory kept summaries take.
const KEPT_MEMORY: usize = 256 << 20;

impl KeptSummaries {
    /// The summary kept under `key` for a run of `size` bytes.
    fn get(&self, key: &[u8; 9], size: usize) -> Option<Arc<[u8]>> {
        let kept = self.kept.read().ok()?;
        let (run_size, summary) = kept.by_key.get(key)?;
        (*run_size == size).then(|| Arc::clone(summary))
    }

    /// Keeps `bytes`, the summary under `key` of a run of `size` bytes, if there is room once
    /// the summaries whose runs are no longer `live` are dropped.
    fn keep(
        &self,
        key: [u8; 9],
        size: usize,
        bytes: &[u8],
        live: impl Fn(&[u8; 9], usize) -> bool,
    ) -> Option<Arc<[u8]>> {
        let mut kept = self.kept.write().ok()?;
        let Kept {
            by_key,
            bytes: total,
        } = &mut *kept;
        if let Some((_, old)) = by_key.remove(&key) {
            *total -= old.len();
        }
        if *total + bytes.len() > self.limit {
            by_key.retain(|k, (run_size, summary)| {
                let keep = live(k, *run_size);
                if !keep {
                    *total -= summary.len();
                }
                keep
            });
            if *total + bytes.len() > self.limit {
                return None;
            }
        }
        let bytes: Arc<[u8]> = bytes.into();
        *total += bytes.len();
        by_key.insert(key, (size, Arc::clone(&bytes)));
        Some(bytes)
    }
}

fn tallies<T: Tally>(
    store: &Lmdb,
    txn: &RoTxn,
    committed: bool,
    keys: &[u64],
) -> Result<Vec<T>, StoreError> {
    let mut out = vec![T::default(); keys.len()];
    let order = key_order(keys);
    let runs = runs(store, txn, committed, T::TAG, 8 + T::WIDTH)?.collect::<Result<Vec<_>, _>>()?;
    prefetch(&runs, keys, |_, _| false);
    for (run, held) in runs {
        let summary = held.as_ref().and_then(Held::summary);
        sweep(run, summary, keys, &order, None, |i, at| {
            if at < run.len() && run.key(at) == keys[i] {
                out[i].add(&T::decode(run.value(at)));
            }
        });
    }
    Ok(out)
}

fn for_each(
    store: &Lmdb,
    txn: &RoTxn,
    table: Table,
    f: &mut Visitor<'_>,
) -> Result<(), StoreError> {
    for entry in store.table(table).iter(txn)? {
        let (k, v) = entry?;
        f(k, v)?;
    }
    Ok(())
}

/// Advises the kernel that the mapped pages of `bytes` will be read soon: it starts reading those
/// not in memory, and returns.
#[cfg(unix)]
#[allow(unsafe_code)]
fn will_need(bytes: &[u8]) {
    const PAGE: usize = 4096;
    let start = bytes.as_ptr() as usize;
    let aligned = start - start % PAGE;
    let len = start + bytes.len() - aligned;
    // SAFETY: madvise only advises; MADV_WILLNEED on pages of the read-only map LMDB holds for the
    // life of the transaction `bytes` borrows from changes no memory, and a failure (an address
    // outside a map, a page size other than 4 KB) is only advice not taken.
    unsafe {
        libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_WILLNEED);
    }
}

#[cfg(not(unix))]
fn will_need(_: &[u8]) {}

/// A sorted run of fixed-size records, each a key (u64, big-endian) and a value.
#[derive(Clone, Copy)]
struct Run<'a> {
    bytes: &'a [u8],
    /// Bytes of a record.
    width: usize,
}

impl<'a> Run<'a> {
    /// Asks the disk for the pages of records `from..to` (they are read ahead, and the call does
    /// not wait for them).
    fn prefetch(self, from: usize, to: usize) {
        let start = (from * self.width).min(self.bytes.len());
        let end = (to * self.width).min(self.bytes.len());
        if start < end {
            will_need(&self.bytes[start..end]);
        }
    }

    /// A run of postings.
    #[cfg(test)]
    fn postings(bytes: &'a [u8]) -> Run<'a> {
        Run {
            bytes,
            width: RECORD,
        }
    }

    fn len(self) -> usize {
        self.bytes.len() / self.width
    }

    /// The key of the `i`-th record.
    fn key(self, i: usize) -> u64 {
        let at = i * self.width;
        let bytes: [u8; 8] = self.bytes[at..at + 8].try_into().unwrap_or_default();
        u64::from_be_bytes(bytes)
    }

    /// The value of the `i`-th record.
    fn value(self, i: usize) -> &'a [u8] {
        &self.bytes[i * self.width + 8..(i + 1) * self.width]
    }
}

/// The first record of a run, from record `from` on, whose key is not below `key`. Keys are
/// hashes, spread evenly: the search interpolates where the key should stand (a few probes, where a
/// binary search of a million-record run takes twenty, each a page of the index read), and
/// finishes by bisection.
fn lower_bound(run: Run, key: u64, from: usize) -> usize {
    let (mut lo, mut hi) = (from, run.len());
    while hi - lo > 32 {
        let (k_lo, k_hi) = (run.key(lo), run.key(hi - 1));
        if key <= k_lo {
            return lo;
        }
        if key > k_hi {
            return hi;
        }
        // k_lo < key <= k_hi: somewhere in (lo, hi - 1].
        let span = (hi - 1 - lo) as f64;
        let guess = lo + ((key - k_lo) as f64 / (k_hi - k_lo) as f64 * span) as usize;
        let guess = guess.clamp(lo + 1, hi - 1);
        if run.key(guess) < key {
            lo = guess + 1;
            // Probe a little past the guess too: an interpolation alone can creep.
            let step = ((hi - lo) / 64).max(1);
            let ahead = (lo + step).min(hi - 1);
            if run.key(ahead) < key {
                lo = ahead + 1;
            } else {
                hi = ahead + 1;
            }
        } else {
            hi = guess + 1;
            let step = ((hi - lo) / 64).max(1);
            let behind = hi.saturating_sub(1 + step).max(lo);
            if run.key(behind) < key {
                lo = behind + 1;
            } else {
                hi = behind + 1;
            }
        }
    }
    bisect(run, key, lo, hi)
}

/// The first record in `lo..hi` whose key is not below `key` (`hi` if none), by bisection.
fn bisect(run: Run, key: u64, lo: usize, hi: usize) -> usize {
    first_not(lo, hi, |i| run.key(i) < key)
}

/// The first `i` in `lo..hi` that is not `below` (`hi` if none), where those that are come first.
fn first_not(mut lo: usize, mut hi: usize, below: impl Fn(usize) -> bool) -> usize {
    while lo < hi {
        let mid = (lo + hi) / 2;
        if below(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The first record of a run, from record `from` on, whose key is not below `key`, found by
/// steps that double from `from` and then by bisection: for a key near the one before.
fn gallop(run: Run, key: u64, from: usize) -> usize {
    let records = run.len();
    let (mut lo, mut step) = (from, 1);
    while lo < records && run.key(lo) < key {
        let next = lo + step;
        if next >= records || run.key(next) >= key {
            // In (lo, min(next, records)].
            return bisect(run, key, lo + 1, next.min(records));
        }
        lo = next;
        step *= 2;
    }
    lo
}

/// A filter of a run's keys (a blocked Bloom filter): whether a key may be in the run, read from
/// one 64-byte block, so that a check does not read a large run's pages for keys it does not hold
/// (most of a new document's). Each distinct key sets [`FILTER_PROBES`] bits of the block its hash
/// picks, [`FILTER_BITS`] bits a key in all: about one absent key in a hundred passes.
///
/// A check of one document against a million articles looks up some 180 keys (band keys, anchors,
/// lines) in each family's runs; without filters each lookup read a few random pages of the
/// largest runs (2.3 GB of them at a million articles), 1,100 pages a check, and a check in 1 GB
/// of memory waited on the disk for them.
#[derive(Clone, Copy)]
struct Filter<'a> {
    blocks: &'a [u8],
}

/// Bits of a filter a distinct key.
const FILTER_BITS: usize = 10;

/// Bits a key sets in its block.
const FILTER_PROBES: u32 = 7;

/// Bytes of a filter's block.
const FILTER_BLOCK: usize = 64;

impl Filter<'_> {
    /// The filter of a run's keys (`distinct` of them), encoded.
    fn of(run: Run, distinct: usize) -> Vec<u8> {
        let keys = || {
            let mut last = None;
            (0..run.len()).map(move |i| run.key(i)).filter(move |&k| {
                let new = last != Some(k);
                last = Some(k);
                new
            })
        };
        let blocks = (distinct * FILTER_BITS).div_ceil(FILTER_BLOCK * 8).max(1);
        let mut words = vec![0u64; blocks * FILTER_BLOCK / 8];
        for key in keys() {
            let (block, bits) = Filter::probe(key, blocks);
            for (word, mask) in words[block * 8..block * 8 + 8].iter_mut().zip(bits) {
                *word |= mask;
            }
        }
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Whether the run may hold `key` (it does not if `false`).
    fn may_hold(self, key: u64) -> bool {
        let blocks = self.blocks.len() / FILTER_BLOCK;
        if blocks == 0 {
            return true;
        }
        let (block, bits) = Filter::probe(key, blocks);
        let words = self.blocks[block * FILTER_BLOCK..(block + 1) * FILTER_BLOCK].chunks_exact(8);
        words.zip(bits).all(|(word, mask)| {
            let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
            word & mask == mask
        })
    }

    /// The block of `key` among `blocks`, and the bits it sets there, as eight 64-bit masks.
    fn probe(key: u64, blocks: usize) -> (usize, [u64; 8]) {
        // Keys are hashes, but not all of their bits spread (a band key's, a family's): mixed
        // again (the finalizer of SplitMix64).
        let mut h = key;
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^= h >> 31;
        let block = ((u128::from(h) * blocks as u128) >> 64) as usize;
        let mut masks = [0u64; 8];
        let mut g = h.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for _ in 0..FILTER_PROBES {
            let bit = (g & 511) as usize;
            masks[bit / 64] |= 1 << (bit % 64);
            g >>= 9;
        }
        (block, masks)
    }
}

/// What a large run is filed with, for lookups of a few keys: a [`Filter`] of its keys, its
/// crowded keys with their counts, and the key of every [`FENCE_STEP`]-th record (its *fences*,
/// 0.5% of its size), so that a key the filter passes is found among those records, one page of
/// the run or two (where an interpolating search read four to six pages of a run of a hundred
/// million records), and an anchor too common to count is known without reading the run.
#[derive(Clone, Copy)]
struct Summary<'a> {
    filter: Filter<'a>,
    /// Keys filed at least [`CROWDED`] times in the run, ascending, each with how many times:
    /// 12 bytes each, key and count, little-endian (empty in a summary filed before them).
    crowded: &'a [u8],
    /// Keys, little-endian.
    fences: &'a [u8],
}

/// Records of a run between two fences.
const FENCE_STEP: usize = 128;

/// A key filed this many times in a run is listed with its count in the run's summary: a check
/// meets some 70 anchors too common to count at a million articles, each a page or two of a run
/// read only to count it.
const CROWDED: usize = 64;

/// Set in a summary's first word (the filter's length) when its crowded keys follow the filter.
const WITH_CROWDED: u64 = 1 << 63;

impl<'a> Summary<'a> {
    /// A run's summary, encoded: the filter's length (8 bytes, with [`WITH_CROWDED`]), the
    /// filter, the crowded keys' length (8 bytes) and the keys, the fences.
    fn of(run: Run) -> Vec<u8> {
        // One pass counts the distinct keys (the filter's size) and lists the crowded ones.
        let (mut distinct, mut crowded) = (0, Vec::new());
        let mut i = 0;
        while i < run.len() {
            let key = run.key(i);
            let n = count_at(run, i, key, usize::MAX);
            if n >= CROWDED {
                crowded.extend(key.to_le_bytes());
                crowded.extend(u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
            }
            distinct += 1;
            i += n.max(1);
        }
        let filter = Filter::of(run, distinct);
        let fences = run.len().div_ceil(FENCE_STEP) * 8;
        let mut out = Vec::with_capacity(16 + filter.len() + crowded.len() + fences);
        out.extend((filter.len() as u64 | WITH_CROWDED).to_le_bytes());
        out.extend(filter);
        out.extend((crowded.len() as u64).to_le_bytes());
        out.extend(crowded);
        for i in (0..run.len()).step_by(FENCE_STEP) {
            out.extend(run.key(i).to_le_bytes());
        }
        out
    }

    fn decode(bytes: &'a [u8]) -> Option<Summary<'a>> {
        let (len, rest) = bytes.split_first_chunk::<8>()?;
        let len = u64::from_le_bytes(*len);
        let (filter, rest) = rest.split_at_checked(usize::try_from(len & !WITH_CROWDED).ok()?)?;
        let (crowded, fences) = if len & WITH_CROWDED == 0 {
            (&[][..], rest)
        } else {
            let (n, rest) = rest.split_first_chunk::<8>()?;
            rest.split_at_checked(usize::try_from(u64::from_le_bytes(*n)).ok()?)?
        };
        Some(Summary {
            filter: Filter { blocks: filter },
            crowded,
            fences,
        })
    }

    /// Whether the summary lists the run's crowded keys (one filed before them does not).
    fn lists_crowded(bytes: &[u8]) -> bool {
        bytes
            .first_chunk::<8>()
            .is_some_and(|b| u64::from_le_bytes(*b) & WITH_CROWDED != 0)
    }

    /// How many times the run files `key`, if it is crowded (filed at least [`CROWDED`] times).
    fn crowded(self, key: u64) -> Option<usize> {
        let entry = |j: usize| &self.crowded[j * 12..j * 12 + 12];
        let key_of = |j: usize| u64::from_le_bytes(entry(j)[..8].try_into().unwrap_or_default());
        let entries = self.crowded.len() / 12;
        let j = first_not(0, entries, |j| key_of(j) < key);
        (j < entries && key_of(j) == key)
            .then(|| u32::from_le_bytes(entry(j)[8..].try_into().unwrap_or_default()) as usize)
    }

    fn fence(self, j: usize) -> u64 {
        let bytes = self.fences[j * 8..j * 8 + 8].try_into().unwrap_or_default();
        u64::from_le_bytes(bytes)
    }

    /// [`lower_bound`] of `key` in `run` (its summary's), from record `from` on.
    fn lower_bound(self, run: Run, key: u64, from: usize) -> usize {
        let Some((after, first)) = self.window(run, key) else {
            return lower_bound(run, key, from);
        };
        let after = after.max(from);
        if after >= first {
            return first.max(from);
        }
        bisect(run, key, after, first)
    }

    /// The records of `run` the first not below `key` is among, `after..=first`, by the fences
    /// (`None` if they are not the run's).
    fn window(self, run: Run, key: u64) -> Option<(usize, usize)> {
        let fences = self.fences.len() / 8;
        if fences != run.len().div_ceil(FENCE_STEP) {
            return None;
        }
        // Fences before `p` are below the key, the others are not: the first record not below
        // it is after fence p - 1's record and at most fence p's.
        let lo = first_not(0, fences, |j| self.fence(j) < key);
        Some((
            lo.saturating_sub(1) * FENCE_STEP,
            (lo * FENCE_STEP).min(run.len()),
        ))
    }
}

/// Appends to `out` at most `limit` documents filed under `key` in one run, from `lo`, the first
/// record whose key is not below `key`; returns how many are there, counting at most `limit + 1`.
fn take_at(run: Run, lo: usize, key: u64, limit: usize, out: &mut Vec<u32>) -> usize {
    // Counted first, so the documents are added with one allocation.
    let n = count_at(run, lo, key, limit + 1);
    out.extend(docs_at(run, lo, n.min(limit)));
    n
}

/// The records of `key` in `run` from `lo` on, counting at most `most`.
fn count_at(run: Run, lo: usize, key: u64, most: usize) -> usize {
    let end = run.len().min(lo.saturating_add(most));
    (lo..end).find(|&i| run.key(i) != key).unwrap_or(end) - lo
}

/// The documents of the `n` records of `run` from `lo`.
fn docs_at(run: Run<'_>, lo: usize, n: usize) -> impl Iterator<Item = u32> + '_ {
    (lo..lo + n).map(move |i| decode_doc(run.value(i)))
}

/// A run's bytes from sorted postings.
fn encode_run(postings: &[(u64, u32)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(postings.len() * RECORD);
    for &(key, doc) in postings {
        out.extend(key.to_be_bytes());
        out.extend(doc.to_be_bytes());
    }
    out
}

fn run_key_of(tag: u8, number: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = tag;
    k[1..].copy_from_slice(&number.to_be_bytes());
    k
}

/// A document number as stored in a posting list.
fn decode_doc(bytes: &[u8]) -> u32 {
    bytes.try_into().map(u32::from_be_bytes).unwrap_or(u32::MAX)
}

macro_rules! read_impl {
    ($t:ty) => {
        impl ReadTxn for $t {
            fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
                get(self.store, &self.txn, table, key)
            }
            fn get_with<T>(
                &self,
                table: Table,
                key: &[u8],
                f: impl FnOnce(&[u8]) -> T,
            ) -> Result<Option<T>, StoreError> {
                Ok(self.store.table(table).get(&self.txn, key)?.map(f))
            }
            fn postings(
                &self,
                list: Postings,
                key: u64,
                limit: usize,
                out: &mut Vec<u32>,
            ) -> Result<usize, StoreError> {
                postings(
                    self.store,
                    &self.txn,
                    Self::COMMITTED,
                    list,
                    key,
                    limit,
                    out,
                )
            }
            fn postings_many(
                &self,
                list: Postings,
                keys: &[u64],
                limit: usize,
            ) -> Result<Vec<(usize, Vec<u32>)>, StoreError> {
                postings_many(self.store, &self.txn, Self::COMMITTED, list, keys, limit)
            }
            fn filed(&self, list: Postings) -> Result<usize, StoreError> {
                filed(self.store, &self.txn, list)
            }
            fn tallies<T: Tally>(&self, keys: &[u64]) -> Result<Vec<T>, StoreError> {
                tallies(self.store, &self.txn, Self::COMMITTED, keys)
            }
            fn for_each(&self, table: Table, f: &mut Visitor<'_>) -> Result<(), StoreError> {
                for_each(self.store, &self.txn, table, f)
            }
            fn len(&self, table: Table) -> Result<u64, StoreError> {
                Ok(self.store.table(table).len(&self.txn)?)
            }
        }
    };
}

read_impl!(LmdbRead<'_>);
read_impl!(LmdbWrite<'_>);

impl LmdbRead<'_> {
    /// A snapshot holds committed runs only, whose summaries may be kept.
    const COMMITTED: bool = true;
}

impl LmdbWrite<'_> {
    /// A write transaction's runs may yet be rolled back.
    const COMMITTED: bool = false;
}

impl WriteTxn for LmdbWrite<'_> {
    fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        Ok(self.store.table(table).put(&mut self.txn, key, value)?)
    }

    fn delete(&mut self, table: Table, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.store.table(table).delete(&mut self.txn, key)?)
    }

    fn add_posting(&mut self, list: Postings, key: u64, doc: u32) -> Result<(), StoreError> {
        if list.segmented() {
            return self.append_run(list, vec![(key, doc)]);
        }
        let db = self.store.list(list);
        Ok(db.put(&mut self.txn, &key.to_be_bytes(), &doc.to_be_bytes())?)
    }

    fn remove_posting(&mut self, list: Postings, key: u64, doc: u32) -> Result<(), StoreError> {
        if list.segmented() {
            // Dropped from the runs by the next merges.
            return self.put(Table::Removed, &doc.to_be_bytes(), &[]);
        }
        let db = self.store.list(list);
        db.delete_one_duplicate(&mut self.txn, &key.to_be_bytes(), &doc.to_be_bytes())?;
        Ok(())
    }

    fn append_run(
        &mut self,
        list: Postings,
        mut postings: Vec<(u64, u32)>,
    ) -> Result<(), StoreError> {
        if postings.is_empty() {
            return Ok(());
        }
        sort_spread(&mut postings, |&(k, _)| k);
        let new = encode_run(&postings);
        let runs = self.runs_to_merge(list.tag(), RECORD, postings.len())?;
        let mut merged = self.merge_into(list.tag(), RECORD, new, &runs.taken, |_, _| None)?;
        if !runs.taken.is_empty() {
            let removed = self.removed()?;
            if !removed.is_empty() {
                merged = retain_records(&merged, RECORD, |r| !removed.contains(&decode_doc(r)));
            }
        }
        self.replace_runs(list.tag(), RECORD, runs, &merged)
    }

    fn append_tallies<T: Tally>(&mut self, mut changes: Vec<(u64, T)>) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        changes.sort_unstable_by_key(|&(k, _)| k);
        let changes = add_up(changes);
        let width = 8 + T::WIDTH;
        let mut new = Vec::with_capacity(changes.len() * width);
        for (key, t) in &changes {
            new.extend(key.to_be_bytes());
            t.encode(&mut new);
        }
        let runs = self.runs_to_merge(T::TAG, width, changes.len())?;
        let add = |older: &[u8], newer: &[u8]| {
            let mut total = T::decode(older);
            total.add(&T::decode(newer));
            let mut out = Vec::with_capacity(T::WIDTH);
            total.encode(&mut out);
            Some(out)
        };
        let mut merged = self.merge_into(T::TAG, width, new, &runs.taken, add)?;
        if runs.oldest {
            merged = retain_records(&merged, width, |value| !T::decode(value).is_empty());
        }
        self.replace_runs(T::TAG, width, runs, &merged)
    }

    fn commit(self) -> Result<(), StoreError> {
        Ok(self.txn.commit()?)
    }
}

impl LmdbWrite<'_> {
    /// The runs of family `tag` that a new run of `len` records is merged with: the newest ones,
    /// while the one before is less than [`MERGE_FACTOR`] times the records merged so far.
    fn runs_to_merge(&self, tag: u8, width: usize, len: usize) -> Result<ToMerge, StoreError> {
        let segments = self.store.table(Table::Segments);
        // The runs of this family, oldest first: (number, records).
        let mut runs: Vec<(u64, usize)> = Vec::new();
        for run in segments.prefix_iter(&self.txn, &[tag])? {
            let (k, v) = run?;
            let number = k.get(1..).and_then(|b| <[u8; 8]>::try_from(b).ok());
            runs.push((number.map_or(0, u64::from_be_bytes), v.len() / width));
        }
        let number = runs.last().map_or(0, |&(n, _)| n + 1);
        let (mut taken, mut merged) = (Vec::new(), len);
        while let Some(&(older, size)) = runs.last() {
            if size >= MERGE_FACTOR * merged || size + merged > MAX_RUN {
                break;
            }
            taken.push(older);
            runs.pop();
            merged += size;
        }
        Ok(ToMerge {
            number,
            taken,
            oldest: runs.is_empty(),
        })
    }

    /// A new run (`new`, encoded) merged with the runs `taken` (newest first), read in place.
    /// Records of equal keys stand older first; where `add` gives a record's value for an older
    /// and a newer value, the two are one record of that value.
    fn merge_into(
        &self,
        tag: u8,
        width: usize,
        new: Vec<u8>,
        taken: &[u64],
        add: impl Fn(&[u8], &[u8]) -> Option<Vec<u8>>,
    ) -> Result<Vec<u8>, StoreError> {
        let segments = self.store.table(Table::Segments);
        let mut merged = new;
        for &number in taken {
            let older = segments.get(&self.txn, &run_key_of(tag, number))?;
            let older = Run {
                bytes: older.unwrap_or_default(),
                width,
            };
            let newer = Run {
                bytes: &merged,
                width,
            };
            merged = merge_two(older, newer, &add);
        }
        Ok(merged)
    }

    /// Deletes the runs merged (and their summaries) and files the merged one (with its summary
    /// if it is large).
    fn replace_runs(
        &mut self,
        tag: u8,
        width: usize,
        runs: ToMerge,
        merged: &[u8],
    ) -> Result<(), StoreError> {
        let segments = self.store.table(Table::Segments);
        for number in runs.taken {
            segments.delete(&mut self.txn, &run_key_of(tag, number))?;
            segments.delete(&mut self.txn, &summary_key(&run_key_of(tag, number))?)?;
        }
        segments.put(&mut self.txn, &run_key_of(tag, runs.number), merged)?;
        self.file_summaries(tag, width)
    }

    /// Files the summary of each large run of family `tag` that has none: the one just merged, or
    /// one filed by a version of reprint without summaries (a run as large as [`MAX_RUN`] is never
    /// merged again).
    fn file_summaries(&mut self, tag: u8, width: usize) -> Result<(), StoreError> {
        let segments = self.store.table(Table::Segments);
        let mut missing = Vec::new();
        for entry in segments.prefix_iter(&self.txn, &[tag])? {
            let (key, bytes) = entry?;
            if bytes.len() / width < SUMMARY_MIN {
                continue;
            }
            let key = summary_key(key)?;
            let filed = segments.get(&self.txn, &key)?;
            if !filed.is_some_and(Summary::lists_crowded) {
                missing.push((key, Summary::of(Run { bytes, width })));
            }
        }
        for (key, summary) in missing {
            segments.put(&mut self.txn, &key, &summary)?;
        }
        Ok(())
    }

    /// Every removed document number.
    fn removed(&self) -> Result<std::collections::HashSet<u32>, StoreError> {
        let mut set = std::collections::HashSet::new();
        for entry in self.store.table(Table::Removed).iter(&self.txn)? {
            let (k, _) = entry?;
            set.insert(decode_doc(k));
        }
        Ok(set)
    }
}

/// What a new run is merged with: the runs taken (newest first), the merged run's number, and
/// whether no run is left before them (the merged run is the oldest).
struct ToMerge {
    number: u64,
    taken: Vec<u64>,
    oldest: bool,
}

/// Two runs merged by key, older records of a key first. The older run's records between two of
/// the newer one's keys are copied as one stretch (found by galloping): a batch's small run merged
/// into a large one costs little more than copying it. Where `add` gives a value for an older and
/// a newer record of one key, they are one record of it (tallies: each run has a key once).
fn merge_two(older: Run, newer: Run, add: &impl Fn(&[u8], &[u8]) -> Option<Vec<u8>>) -> Vec<u8> {
    let width = older.width;
    let mut out = Vec::with_capacity(older.bytes.len() + newer.bytes.len());
    let mut at = 0;
    for j in 0..newer.len() {
        let key = newer.key(j);
        let record = &newer.bytes[j * width..(j + 1) * width];
        let equal = gallop(older, key, at);
        out.extend_from_slice(&older.bytes[at * width..equal * width]);
        at = equal;
        if at < older.len() && older.key(at) == key {
            if let Some(value) = add(older.value(at), newer.value(j)) {
                out.extend(key.to_be_bytes());
                out.extend(value);
                at += 1;
                continue;
            }
            // Every older record of the key first.
            let after = key
                .checked_add(1)
                .map_or(older.len(), |k| gallop(older, k, at));
            out.extend_from_slice(&older.bytes[at * width..after * width]);
            at = after;
        }
        out.extend_from_slice(record);
    }
    out.extend_from_slice(&older.bytes[at * width..]);
    out
}

/// The records of a run whose value `keep` keeps.
fn retain_records(run: &[u8], width: usize, keep: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    (run.chunks_exact(width))
        .filter(|record| keep(&record[8..]))
        .flatten()
        .copied()
        .collect()
}

/// Sorted changes with the changes of equal keys added up (earlier ones first).
fn add_up<T: Tally>(sorted: Vec<(u64, T)>) -> Vec<(u64, T)> {
    let mut out: Vec<(u64, T)> = Vec::with_capacity(sorted.len());
    for (key, t) in sorted {
        match out.last_mut() {
            Some((k, total)) if *k == key => total.add(&t),
            _ => out.push((key, t)),
        }
    }
    out
}

impl Store for Lmdb {
    type Read<'s> = LmdbRead<'s>;
    type Write<'s> = LmdbWrite<'s>;

    fn read(&self) -> Result<LmdbRead<'_>, StoreError> {
        Ok(LmdbRead {
            txn: self.env.read_txn()?,
            store: self,
        })
    }

    fn write(&self) -> Result<LmdbWrite<'_>, StoreError> {
        Ok(LmdbWrite {
            txn: self.env.write_txn()?,
            store: self,
        })
    }

    fn disk_size(&self) -> Result<u64, StoreError> {
        Ok(self.env.real_disk_size()?)
    }

    fn table_bytes(&self) -> Result<Vec<(&'static str, u64)>, StoreError> {
        let txn = self.env.read_txn()?;
        let names = TABLES
            .iter()
            .map(|&(_, n)| n)
            .chain(POSTINGS.iter().map(|&(_, n)| n));
        let dbs = self.tables.iter().chain(&self.postings);
        names
            .zip(dbs)
            .map(|(name, db)| {
                let s = db.stat(&txn)?;
                let pages = s.branch_pages + s.leaf_pages + s.overflow_pages;
                Ok((name, pages as u64 * u64::from(s.page_size)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every summary filed: its key, its bytes.
    fn summaries(store: &Lmdb) -> Vec<(Vec<u8>, Vec<u8>)> {
        let r = store.read().expect("reads");
        let mut found = Vec::new();
        r.for_each(Table::Segments, &mut |k, v| {
            if k[0] & SUMMARY_TAG != 0 {
                found.push((k.to_vec(), v.to_vec()));
            }
            Ok(())
        })
        .expect("lists");
        found
    }
    use crate::index::chrome::SourceCount;

    #[test]
    fn postings_append_count_and_remove() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Lmdb::open(dir.path()).expect("opens");
        let mut w = store.write().expect("writes");
        for doc in [5, 1, 9] {
            w.add_posting(Postings::Bodies, 42, doc).expect("adds");
        }
        w.put(Table::Meta, b"k", b"v").expect("puts");
        w.commit().expect("commits");
        let r = store.read().expect("reads");
        let mut out = Vec::new();
        assert_eq!(
            r.postings(Postings::Bodies, 42, 10, &mut out)
                .expect("lists"),
            3
        );
        assert_eq!(out, vec![1, 5, 9]);
        out.clear();
        assert_eq!(
            r.postings(Postings::Bodies, 42, 1, &mut out)
                .expect("lists"),
            2
        );
        assert_eq!(out, vec![1]);
        assert_eq!(r.get(Table::Meta, b"k").expect("gets"), Some(b"v".to_vec()));
        drop(r);
        let mut w = store.write().expect("writes");
        w.remove_posting(Postings::Bodies, 42, 5).expect("removes");
        w.commit().expect("commits");
        let mut out = Vec::new();
        let r = store.read().expect("reads");
        r.postings(Postings::Bodies, 42, 10, &mut out)
            .expect("lists");
        assert_eq!(out, vec![1, 9]);
    }

    #[test]
    fn runs_are_searched_merged_and_purged_of_removed_documents() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Lmdb::open(dir.path()).expect("opens");
        // Runs of 8, 4, 2, 1 records: each new run is merged while the one before is less than
        // four times its size.
        for (round, size) in [8u32, 1, 1, 1, 1].into_iter().enumerate() {
            let mut w = store.write().expect("writes");
            let postings = (0..size)
                .map(|i| (u64::from(i % 3), round as u32 * 100 + i))
                .collect();
            w.append_run(Postings::Bands, postings).expect("appends");
            if round == 2 {
                w.put(Table::Removed, &1u32.to_be_bytes(), &[])
                    .expect("puts");
            }
            w.commit().expect("commits");
        }
        let r = store.read().expect("reads");
        let mut runs = 0;
        r.for_each(Table::Segments, &mut |_, _| {
            runs += 1;
            Ok(())
        })
        .expect("lists");
        assert!(runs < 5, "{runs} runs");
        let mut out = Vec::new();
        let n = r
            .postings(Postings::Bands, 1, 100, &mut out)
            .expect("searches");
        out.sort_unstable();
        assert_eq!(n, out.len());
        // Key 1 holds documents 1, 4, 7 of the first run (1 removed once merged) and 101, 201, …
        // of none (their single posting has key 0).
        assert!(out.contains(&4) && out.contains(&7));
        let mut zero = Vec::new();
        r.postings(Postings::Bands, 0, 100, &mut zero)
            .expect("searches");
        for round in 1..5u32 {
            assert!(zero.contains(&(round * 100)), "{zero:?}");
        }
        let mut limited = Vec::new();
        assert_eq!(
            r.postings(Postings::Bands, 0, 2, &mut limited)
                .expect("searches"),
            3
        );
        assert_eq!(limited.len(), 2);
    }

    #[test]
    fn many_keys_are_found_as_each_alone_in_dense_and_sparse_runs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Lmdb::open(dir.path()).expect("opens");
        // A large run and small ones after it, keys spread over the whole range and repeated; the
        // short documents' anchors only the last, few postings for many keys.
        let key = |i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % 5_000;
        for (round, size) in [20_000u32, 300, 7].into_iter().enumerate() {
            let mut w = store.write().expect("writes");
            let postings: Vec<(u64, u32)> = (0..size)
                .map(|i| (key(u64::from(i)) << 40, round as u32 * 100_000 + i))
                .collect();
            w.append_run(Postings::Bands, postings.clone())
                .expect("appends");
            w.append_run(Postings::Anchors, postings.clone())
                .expect("appends");
            if size < 10 {
                w.append_run(Postings::ShortAnchors, postings)
                    .expect("appends");
            }
            w.commit().expect("commits");
        }
        let r = store.read().expect("reads");
        // Few keys (searched by interpolation) and many (by galloping, or in a map of the short
        // documents' few), in no order, repeated, with keys filed nowhere and a limit that cuts
        // some lists; an anchor's documents are not given when it is that common.
        let lists = [Postings::Bands, Postings::Anchors, Postings::ShortAnchors];
        for (list, n) in lists.into_iter().flat_map(|l| [(l, 5u64), (l, 40_000)]) {
            let keys: Vec<u64> = (0..n).map(|i| key(i * 7 + 3) << 40 | (i % 2)).collect();
            let many = r.postings_many(list, &keys, 5).expect("searches");
            assert_eq!(many.len(), keys.len());
            for (&k, (count, docs)) in keys.iter().zip(&many) {
                let mut alone = Vec::new();
                let c = r.postings(list, k, 5, &mut alone).expect("searches");
                if !list.gives_documents(c, 5) {
                    alone.clear();
                }
                assert_eq!((c, &alone), (*count, docs), "{list:?} key {k:#x}");
            }
            let common = many.iter().any(|(c, _)| *c > 5);
            assert!(n < 100 || list == Postings::ShortAnchors || common);
            let given = many.iter().any(|(c, d)| *c > 0 && d.len() == *c);
            assert!(n < 100 || given, "{list:?}");
        }
    }

    #[test]
    fn a_large_runs_common_anchors_are_counted_from_its_summary() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Lmdb::open(dir.path()).expect("opens");
        let key = |i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // Two documents a key, but for a common anchor (200), one filed often (70, crowded but
        // under the limit) and one less (30).
        let (common, often, less) = (key(1 << 40), key(1 << 41), key(1 << 42));
        let mut postings: Vec<(u64, u32)> = (0..SUMMARY_MIN as u32)
            .map(|i| (key(u64::from(i / 2)), i))
            .collect();
        for (k, n) in [(common, 200u32), (often, 70), (less, 30)] {
            postings.extend((0..n).map(|i| (k, 10_000_000 + i)));
        }
        let mut w = store.write().expect("writes");
        w.append_run(Postings::Anchors, postings).expect("appends");
        w.commit().expect("commits");
        let [(summary_key, bytes)] = summaries(&store).try_into().expect("one summary");
        let summary = Summary::decode(&bytes).expect("decodes");
        let counts = [common, often, less, key(3)].map(|k| summary.crowded(k));
        assert_eq!(counts, [Some(200), Some(70), None, None]);
        // Looked up alone (a check's few keys): the common anchor counted, no documents; the
        // others' documents, as a scan gives them.
        let check = || {
            let r = store.read().expect("reads");
            let keys = [common, often, less, key(5), key(u64::MAX)];
            let found = r
                .postings_many(Postings::Anchors, &keys, 100)
                .expect("reads");
            let docs = |from: u32, n: u32| (from..from + n).collect::<Vec<u32>>();
            let want = [
                (101, vec![]),
                (70, docs(10_000_000, 70)),
                (30, docs(10_000_000, 30)),
                (2, vec![10, 11]),
                (0, vec![]),
            ];
            assert_eq!(found, want);
        };
        check();
        // A summary filed before crowded keys were listed (filter, fences) still reads, and is
        // filed again with them at the family's next append.
        let filter_len =
            u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) & !WITH_CROWDED;
        let filter_end = 8 + filter_len as usize;
        let crowded_len = u64::from_le_bytes(
            bytes[filter_end..filter_end + 8]
                .try_into()
                .expect("8 bytes"),
        );
        let mut old = filter_len.to_le_bytes().to_vec();
        old.extend(&bytes[8..filter_end]);
        old.extend(&bytes[filter_end + 8 + crowded_len as usize..]);
        let decoded = Summary::decode(&old).expect("decodes");
        assert!(!Summary::lists_crowded(&old) && decoded.crowded(common).is_none());
        assert_eq!(decoded.fences, summary.fences);
        let mut w = store.write().expect("writes");
        w.put(Table::Segments, &summary_key, &old).expect("puts");
        w.commit().expect("commits");
        check();
        let mut w = store.write().expect("writes");
        w.append_run(Postings::Anchors, vec![(key(7), 20_000_000)])
            .expect("appends");
        w.commit().expect("commits");
        let refiled = summaries(&store);
        assert!(refiled.iter().all(|(_, b)| Summary::lists_crowded(b)));
        assert_eq!(refiled.len(), 1);
        check();
    }

    #[test]
    fn summaries_are_kept_for_their_runs_within_the_memory_allowed() {
        let kept = KeptSummaries {
            limit: 100,
            ..KeptSummaries::default()
        };
        let (a, b) = ([1; 9], [2; 9]);
        assert!(kept.get(&a, 1_000).is_none());
        let alive = |_: &[u8; 9], _: usize| true;
        assert_eq!(
            kept.keep(a, 1_000, &[7; 60], alive).as_deref(),
            Some(&[7; 60][..])
        );
        assert_eq!(kept.get(&a, 1_000).as_deref(), Some(&[7; 60][..]));
        // Another run under the same number (its size differs) is not given the summary.
        assert!(kept.get(&a, 2_000).is_none());
        // No room for another while the first run is there; once it is gone, the first summary
        // makes room.
        assert!(kept.keep(b, 500, &[8; 60], alive).is_none());
        let a_gone = |k: &[u8; 9], _: usize| *k != [1; 9];
        assert!(kept.keep(b, 500, &[8; 60], a_gone).is_some());
        assert!(kept.get(&a, 1_000).is_none());
        assert_eq!(kept.get(&b, 500).as_deref(), Some(&[8; 60][..]));
        // Kept again under its key, a summary replaces the one before.
        assert!(kept.keep(b, 600, &[9; 80], alive).is_some());
        assert_eq!(kept.get(&b, 600).as_deref(), Some(&[9; 80][..]));
        assert!(kept.keep(a, 1_000, &[7; 30], alive).is_none());
    }

    #[test]
    fn a_filter_holds_every_key_of_its_run_and_few_others() {
        let key = |i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // Keys repeated (a key filed for several documents counts once) and clumped in the high
        // bits (a family's keys), as runs hold them.
        let mut keys: Vec<u64> = (0..100_000).map(|i| key(i / 3) >> 8).collect();
        keys.sort_unstable();
        let run = encode_run(&keys.iter().map(|&k| (k, 1u32)).collect::<Vec<_>>());
        let summary = Summary::of(Run::postings(&run));
        let filter = Summary::decode(&summary).expect("decodes").filter;
        // Ten bits for each of the 33,334 distinct keys (counted in the summary's pass), in whole
        // blocks.
        assert_eq!(filter.blocks.len(), 33_334usize * 10 / 8 / 64 * 64 + 64);
        assert!(keys.iter().all(|&k| filter.may_hold(k)));
        let passed = (1_000_000..1_100_000u64)
            .filter(|&i| filter.may_hold(key(i) >> 8))
            .count();
        assert!(passed < 2_000, "{passed} of 100,000 absent keys pass");
        assert!(Filter { blocks: &[] }.may_hold(7));
    }

    #[test]
    fn large_runs_are_filed_with_filters_that_lookups_pass_through() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Lmdb::open(dir.path()).expect("opens");
        let key = |i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let append = |from: usize, to: usize| {
            let mut w = store.write().expect("writes");
            let postings = (from..to).map(|i| (key(i as u64 / 2), i as u32)).collect();
            w.append_run(Postings::Bands, postings).expect("appends");
            w.commit().expect("commits");
        };
        let filters = || {
            summaries(&store)
                .into_iter()
                .map(|(k, _)| k)
                .collect::<Vec<_>>()
        };
        append(0, 1000);
        assert!(filters().is_empty(), "a small run has no filter");
        append(1000, SUMMARY_MIN + 1000);
        assert_eq!(filters().len(), 1, "the merged run has a filter");
        // Held keys and absent ones, few (each looked up alone, through the filter) and
        // many (swept), found as a scan finds them.
        // (Documents 0 to `filed` are filed, two under each key.)
        let check = |filed: usize, keys: &[u64]| {
            let r = store.read().expect("reads");
            let many = r.postings_many(Postings::Bands, keys, 5).expect("searches");
            for (&k, (n, docs)) in keys.iter().zip(many) {
                let i = (0..filed as u64).find(|&i| key(i / 2) == k);
                let want: Vec<u32> = i.map_or(vec![], |i| vec![i as u32, i as u32 + 1]);
                assert_eq!((n, docs), (want.len(), want), "key {k:#x}");
            }
        };
        check(
            SUMMARY_MIN + 1000,
            &[
                key(5),
                key(1),
                key(SUMMARY_MIN as u64 / 2 + 99),
                key(u64::MAX),
            ],
        );
        // A filter lost (or never made, by an earlier version) is made at the next merge.
        {
            let mut w = store.write().expect("writes");
            for k in filters() {
                w.delete(Table::Segments, &k).expect("deletes");
            }
            w.commit().expect("commits");
        }
        append(SUMMARY_MIN + 1000, SUMMARY_MIN + 1010);
        assert_eq!(filters().len(), 1);
        check(
            SUMMARY_MIN + 1010,
            &[key(3), key(SUMMARY_MIN as u64 / 2 + 504), key(1 << 40)],
        );
        // The large run merged into a larger one: one filter, of the merged run.
        append(SUMMARY_MIN + 1010, 2 * SUMMARY_MIN);
        assert_eq!(filters().len(), 1);
        check(
            2 * SUMMARY_MIN,
            &[key(7), key(SUMMARY_MIN as u64 - 3), key(1 << 41)],
        );
    }

    proptest::proptest! {
        /// The interpolating, the galloping and the fenced searches find the first record not
        /// below the key, from any start at or below it, as a scan does, on evenly spread and on
        /// clumped keys.
        #[test]
        fn lower_bound_is_the_first_record_not_below_the_key(
            mut keys in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..400),
            clumped in proptest::collection::vec(0u64..50, 0..400),
            probe in proptest::prelude::any::<u64>(),
            pick in 0usize..400,
            start in 0usize..800,
        ) {
            keys.extend(clumped.iter().map(|c| c * 1000));
            keys.sort_unstable();
            let run = encode_run(&keys.iter().map(|&k| (k, 0u32)).collect::<Vec<_>>());
            let scan = |key: u64| keys.iter().position(|&k| k >= key).unwrap_or(keys.len());
            let mut probes = vec![probe];
            if let Some(&k) = keys.get(pick % keys.len().max(1)) {
                probes.extend([k, k.wrapping_add(1)]);
            }
            for key in probes {
                let at = scan(key);
                let from = start.min(at);
                let run = Run::postings(&run);
                proptest::prop_assert_eq!(lower_bound(run, key, 0), at);
                proptest::prop_assert_eq!(lower_bound(run, key, from), at);
                proptest::prop_assert_eq!(gallop(run, key, from), at);
                let summary = Summary::of(run);
                let summary = Summary::decode(&summary).expect("decodes");
                proptest::prop_assert_eq!(summary.lower_bound(run, key, from), at);
                // The records a check asks the disk for hold the answer.
                let (after, first) = summary.window(run, key).expect("the run's fences");
                proptest::prop_assert!(after <= at && at <= first, "{after} {at} {first}");
            }
        }

        /// Tallies appended over many transactions (runs merged as they accumulate) add up as a
        /// map of sums does, keys counted back to zero are dropped once merged into the oldest
        /// run, and postings appended the same way are all found, each run in key order.
        #[test]
        fn runs_of_tallies_and_postings_add_up_over_transactions(
            rounds in proptest::collection::vec(
                proptest::collection::vec((0u64..40, -3i32..4), 0..60), 1..12),
        ) {
            let dir = tempfile::tempdir().expect("temp dir");
            let store = Lmdb::open(dir.path()).expect("opens");
            let mut model: std::collections::BTreeMap<u64, u32> = Default::default();
            let mut filed: Vec<(u64, u32)> = Vec::new();
            for (round, changes) in rounds.iter().enumerate() {
                let mut w = store.write().expect("writes");
                let tallies: Vec<(u64, SourceCount)> =
                    changes.iter().map(|&(k, c)| (k << 50, SourceCount(c as u32))).collect();
                for &(k, c) in &tallies {
                    let total = model.entry(k).or_default();
                    *total = total.wrapping_add(c.0);
                }
                w.append_tallies(tallies).expect("appends");
                let postings: Vec<(u64, u32)> = changes
                    .iter()
                    .enumerate()
                    .map(|(i, &(k, _))| (k << 50, (round * 100 + i) as u32))
                    .collect();
                filed.extend(&postings);
                w.append_run(Postings::Bands, postings).expect("appends");
                w.commit().expect("commits");
            }
            let r = store.read().expect("reads");
            let keys: Vec<u64> = (0..40).map(|k| k << 50).collect();
            let totals = r.tallies::<SourceCount>(&keys).expect("reads");
            for (k, t) in keys.iter().zip(&totals) {
                proptest::prop_assert_eq!(t.0, model.get(k).copied().unwrap_or(0));
            }
            let found = r.postings_many(Postings::Bands, &keys, usize::MAX - 1).expect("reads");
            for (k, (n, docs)) in keys.iter().zip(found) {
                let mut docs = docs;
                docs.sort_unstable();
                let mut want: Vec<u32> =
                    filed.iter().filter(|(fk, _)| fk == k).map(|&(_, d)| d).collect();
                want.sort_unstable();
                proptest::prop_assert_eq!(n, want.len());
                proptest::prop_assert_eq!(docs, want);
            }
            let mut runs = Vec::new();
            r.for_each(Table::Segments, &mut |k, v| {
                runs.push((k[0], v.to_vec()));
                Ok(())
            })
            .expect("lists");
            for (tag, run) in &runs {
                let width = if *tag == SourceCount::TAG { 12 } else { RECORD };
                let run = Run { bytes: run, width };
                let keys: Vec<u64> = (0..run.len()).map(|i| run.key(i)).collect();
                proptest::prop_assert!(keys.windows(2).all(|w| w[0] <= w[1]));
            }
            // The oldest run of tallies holds no key counted back to zero.
            if let Some((_, oldest)) = runs.iter().find(|(tag, _)| *tag == SourceCount::TAG) {
                let run = Run { bytes: oldest, width: 12 };
                let merged_all = runs.iter().filter(|(tag, _)| *tag == SourceCount::TAG).count() == 1;
                for i in 0..run.len() {
                    let total = model.get(&run.key(i)).copied().unwrap_or(0);
                    proptest::prop_assert!(!merged_all || total != 0);
                }
            }
        }
    }
}
