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

use heed::types::Bytes;
use heed::{Database, DatabaseFlags, Env, EnvFlags, EnvOpenOptions, RoTxn, RwTxn, WithoutTls};

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
    /// Line hash → line statistics (documents, block shares).
    Lines,
    /// (source, line) hash → documents of that source with that line.
    SourceLines,
    /// (document, document) → the verdict on a verified pair.
    Pairs,
    /// (posting list, segment number) → a sorted run of postings (see [`Postings::Bands`]).
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

const TABLES: [(Table, &str); 10] = [
    (Table::Meta, "meta"),
    (Table::Ids, "ids"),
    (Table::Docs, "docs"),
    (Table::Blocks, "blocks"),
    (Table::Facts, "facts"),
    (Table::Lines, "lines"),
    (Table::SourceLines, "source_lines"),
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
}

/// Bytes of one segment record: a key (u64) and a document (u32), big-endian.
const RECORD: usize = 12;

/// A run is merged into the one before it while that one is less than this many times its size.
const MERGE_FACTOR: usize = 4;

/// Runs are not merged beyond this many records (768 MB).
const MAX_RUN: usize = 64 << 20;

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
    /// `limit` of them.
    fn postings_many(
        &self,
        list: Postings,
        keys: &[u64],
        limit: usize,
    ) -> Result<Vec<(usize, Vec<u32>)>, StoreError>;
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
    tables: [Db; 10],
    postings: [Db; 6],
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
    list: Postings,
    key: u64,
    limit: usize,
    out: &mut Vec<u32>,
) -> Result<usize, StoreError> {
    if list.segmented() {
        let mut n = 0;
        for run in store
            .table(Table::Segments)
            .prefix_iter(txn, &[list.tag()])?
        {
            let (_, run) = run?;
            n += search_run(run, key, limit.saturating_sub(n), out);
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
    list: Postings,
    keys: &[u64],
    limit: usize,
) -> Result<Vec<(usize, Vec<u32>)>, StoreError> {
    let mut out: Vec<(usize, Vec<u32>)> = keys.iter().map(|_| (0, Vec::new())).collect();
    if !list.segmented() {
        for (&key, (n, docs)) in keys.iter().zip(&mut out) {
            *n = postings(store, txn, list, key, limit, docs)?;
        }
        return Ok(out);
    }
    // The keys in order, so that each run is walked once from its start to its end: the keys of a
    // batch are many to a run's pages, and each is found near the one before.
    let mut order: Vec<u32> = (0..keys.len() as u32).collect();
    order.sort_unstable_by_key(|&i| keys[i as usize]);
    for run in store
        .table(Table::Segments)
        .prefix_iter(txn, &[list.tag()])?
    {
        let (_, run) = run?;
        let records = run.len() / RECORD;
        let near = keys.len().saturating_mul(GALLOP_RATIO) >= records;
        let mut at = 0;
        for &i in &order {
            let (key, (n, docs)) = (keys[i as usize], &mut out[i as usize]);
            at = if near {
                gallop(run, key, at)
            } else {
                lower_bound(run, key, at)
            };
            if *n <= limit {
                *n += take_at(run, at, key, limit - *n, docs);
            }
        }
    }
    for (n, _) in &mut out {
        *n = (*n).min(limit + 1);
    }
    Ok(out)
}

/// Keys at least one to this many records of a run are looked up by galloping on from the key
/// before (a few probes in the same pages) rather than by interpolation.
const GALLOP_RATIO: usize = 256;

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

/// The key of a run's `i`-th record.
fn run_key(run: &[u8], i: usize) -> u64 {
    let bytes: [u8; 8] = run[i * RECORD..i * RECORD + 8]
        .try_into()
        .unwrap_or_default();
    u64::from_be_bytes(bytes)
}

/// The first record of a run, from record `from` on, whose key is not below `key`. Keys are
/// hashes, spread evenly: the search interpolates where the key should stand (a few probes, where a
/// binary search of a million-record run takes twenty, each a page of the index read), and
/// finishes by bisection.
fn lower_bound(run: &[u8], key: u64, from: usize) -> usize {
    let (mut lo, mut hi) = (from, run.len() / RECORD);
    while hi - lo > 32 {
        let (k_lo, k_hi) = (run_key(run, lo), run_key(run, hi - 1));
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
        if run_key(run, guess) < key {
            lo = guess + 1;
            // Probe a little past the guess too: an interpolation alone can creep.
            let step = ((hi - lo) / 64).max(1);
            let ahead = (lo + step).min(hi - 1);
            if run_key(run, ahead) < key {
                lo = ahead + 1;
            } else {
                hi = ahead + 1;
            }
        } else {
            hi = guess + 1;
            let step = ((hi - lo) / 64).max(1);
            let behind = hi.saturating_sub(1 + step).max(lo);
            if run_key(run, behind) < key {
                lo = behind + 1;
            } else {
                hi = behind + 1;
            }
        }
    }
    while lo < hi {
        let mid = (lo + hi) / 2;
        if run_key(run, mid) < key {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The first record of a run, from record `from` on, whose key is not below `key`, found by
/// steps that double from `from` and then by bisection: for a key near the one before.
fn gallop(run: &[u8], key: u64, from: usize) -> usize {
    let records = run.len() / RECORD;
    let (mut lo, mut step) = (from, 1);
    while lo < records && run_key(run, lo) < key {
        let next = lo + step;
        if next >= records || run_key(run, next) >= key {
            // In (lo, min(next, records)]: bisect.
            let mut hi = next.min(records);
            lo += 1;
            while lo < hi {
                let mid = (lo + hi) / 2;
                if run_key(run, mid) < key {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
        lo = next;
        step *= 2;
    }
    lo
}

/// Appends to `out` at most `limit` documents filed under `key` in one run; returns how many are
/// there, counting at most `limit + 1`.
fn search_run(run: &[u8], key: u64, limit: usize, out: &mut Vec<u32>) -> usize {
    take_at(run, lower_bound(run, key, 0), key, limit, out)
}

/// [`search_run`] from `lo`, the first record whose key is not below `key`.
fn take_at(run: &[u8], lo: usize, key: u64, limit: usize, out: &mut Vec<u32>) -> usize {
    let records = run.len() / RECORD;
    let mut n = 0;
    let mut i = lo;
    while i < records && run_key(run, i) == key {
        if n < limit {
            out.push(decode_doc(&run[i * RECORD + 8..(i + 1) * RECORD]));
        }
        n += 1;
        if n > limit {
            break;
        }
        i += 1;
    }
    n
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

fn decode_run(run: &[u8]) -> impl Iterator<Item = (u64, u32)> + '_ {
    run.chunks_exact(RECORD).map(|r| {
        (
            u64::from_be_bytes(r[..8].try_into().unwrap_or_default()),
            decode_doc(&r[8..]),
        )
    })
}

fn run_key_of(list: Postings, number: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = list.tag();
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
                postings(self.store, &self.txn, list, key, limit, out)
            }
            fn postings_many(
                &self,
                list: Postings,
                keys: &[u64],
                limit: usize,
            ) -> Result<Vec<(usize, Vec<u32>)>, StoreError> {
                postings_many(self.store, &self.txn, list, keys, limit)
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
        postings.sort_unstable();
        let segments = self.store.table(Table::Segments);
        // The runs of this family, oldest first: (number, records).
        let mut runs: Vec<(u64, usize)> = Vec::new();
        for run in segments.prefix_iter(&self.txn, &[list.tag()])? {
            let (k, v) = run?;
            let number = k.get(1..).and_then(|b| <[u8; 8]>::try_from(b).ok());
            runs.push((number.map_or(0, u64::from_be_bytes), v.len() / RECORD));
        }
        let number = runs.last().map_or(0, |&(n, _)| n + 1);
        let mut merged = postings;
        // Merge the newest runs into this one while the one before is not much larger.
        let mut removed: Option<std::collections::HashSet<u32>> = None;
        while let Some(&(older, size)) = runs.last() {
            if size >= MERGE_FACTOR * merged.len() || size + merged.len() > MAX_RUN {
                break;
            }
            let removed = match &mut removed {
                Some(set) => set,
                None => removed.insert(self.removed()?),
            };
            let key = run_key_of(list, older);
            let bytes = segments.get(&self.txn, &key)?.unwrap_or_default().to_vec();
            segments.delete(&mut self.txn, &key)?;
            runs.pop();
            merged = merge_runs(decode_run(&bytes), merged, removed);
        }
        let bytes = encode_run(&merged);
        segments.put(&mut self.txn, &run_key_of(list, number), &bytes)?;
        Ok(())
    }

    fn commit(self) -> Result<(), StoreError> {
        Ok(self.txn.commit()?)
    }
}

impl LmdbWrite<'_> {
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

/// Two sorted runs merged, the postings of removed documents dropped.
fn merge_runs(
    older: impl Iterator<Item = (u64, u32)>,
    newer: Vec<(u64, u32)>,
    removed: &std::collections::HashSet<u32>,
) -> Vec<(u64, u32)> {
    let mut out = Vec::with_capacity(newer.len() * 2);
    let mut newer = newer.into_iter().peekable();
    for x in older {
        while let Some(&y) = newer.peek() {
            if y < x {
                out.push(y);
                newer.next();
            } else {
                break;
            }
        }
        out.push(x);
    }
    out.extend(newer);
    out.retain(|(_, d)| !removed.contains(d));
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
        // A large run and small ones after it, keys spread over the whole range and repeated.
        let key = |i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % 5_000;
        for (round, size) in [20_000u32, 300, 7].into_iter().enumerate() {
            let mut w = store.write().expect("writes");
            let postings = (0..size)
                .map(|i| (key(u64::from(i)) << 40, round as u32 * 100_000 + i))
                .collect();
            w.append_run(Postings::Bands, postings).expect("appends");
            w.commit().expect("commits");
        }
        let r = store.read().expect("reads");
        // Few keys (searched by interpolation) and many (by galloping), in no order, repeated,
        // with keys filed nowhere and a limit that cuts some lists.
        for n in [5u64, 40_000] {
            let keys: Vec<u64> = (0..n).map(|i| key(i * 7 + 3) << 40 | (i % 2)).collect();
            let many = r
                .postings_many(Postings::Bands, &keys, 3)
                .expect("searches");
            assert_eq!(many.len(), keys.len());
            for (&k, (count, docs)) in keys.iter().zip(&many) {
                let mut alone = Vec::new();
                let c = r
                    .postings(Postings::Bands, k, 3, &mut alone)
                    .expect("searches");
                assert_eq!((c, &alone), (*count, docs), "key {k:#x}");
            }
            assert!(
                n < 100 || many.iter().any(|(c, _)| *c > 3) && many.iter().any(|(c, _)| *c == 0)
            );
        }
    }

    proptest::proptest! {
        /// The interpolating and the galloping searches find the first record not below the key,
        /// from any start at or below it, as a scan does, on evenly spread and on clumped keys.
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
                proptest::prop_assert_eq!(lower_bound(&run, key, 0), at);
                proptest::prop_assert_eq!(lower_bound(&run, key, from), at);
                proptest::prop_assert_eq!(gallop(&run, key, from), at);
            }
        }
    }
}
