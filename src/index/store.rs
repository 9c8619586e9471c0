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
use heed::{Database, DatabaseFlags, Env, EnvOpenOptions, RoTxn, RwTxn, WithoutTls};

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
    /// Document number → the stored record (id, text, metadata, the chrome it was stripped of).
    Docs,
    /// Document number → fixed-size facts (hashes, word and anchor counts).
    Facts,
    /// Line hash → line statistics (documents, block shares).
    Lines,
    /// (source, line) hash → documents of that source with that line.
    SourceLines,
    /// (document, document) → the verdict on a verified pair.
    Pairs,
}

/// A posting list family: key → the sorted document numbers filed under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Postings {
    /// LSH band keys of both channels.
    Bands,
    /// Containment anchors.
    Anchors,
    /// Body hashes (exact copies; headline-only documents).
    Bodies,
    /// Title hashes of documents long enough to compare.
    Titles,
    /// Document → the documents it has a verified pair with.
    Links,
}

const TABLES: [(Table, &str); 7] = [
    (Table::Meta, "meta"),
    (Table::Ids, "ids"),
    (Table::Docs, "docs"),
    (Table::Facts, "facts"),
    (Table::Lines, "lines"),
    (Table::SourceLines, "source_lines"),
    (Table::Pairs, "pairs"),
];

const POSTINGS: [(Postings, &str); 5] = [
    (Postings::Bands, "bands"),
    (Postings::Anchors, "anchors"),
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
    /// Appends to `out` at most `limit` documents filed under `key`, in order; returns how many are
    /// filed there, counting at most `limit + 1` (so a caller can tell a list is longer).
    fn postings(
        &self,
        list: Postings,
        key: u64,
        limit: usize,
        out: &mut Vec<u32>,
    ) -> Result<usize, StoreError>;
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
    /// Files `doc` under `key`.
    fn add_posting(&mut self, list: Postings, key: u64, doc: u32) -> Result<(), StoreError>;
    /// Removes `doc` from under `key`.
    fn remove_posting(&mut self, list: Postings, key: u64, doc: u32) -> Result<(), StoreError>;
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
    tables: [Db; 7],
    postings: [Db; 5],
}

impl std::fmt::Debug for Lmdb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lmdb")
            .field("path", &self.env.path())
            .finish_non_exhaustive()
    }
}

/// The largest the index may grow: address space reserved, not disk used.
const MAP_SIZE: usize = 1 << 40;

impl Lmdb {
    /// Opens (creating if need be) the store in directory `path`.
    #[allow(unsafe_code)]
    pub fn open(path: &Path) -> Result<Lmdb, StoreError> {
        std::fs::create_dir_all(path)
            .map_err(|e| StoreError(format!("{}: {e}", path.display())))?;
        let mut options = EnvOpenOptions::new().read_txn_without_tls();
        options.map_size(MAP_SIZE).max_dbs(16).max_readers(256);
        // SAFETY: the memory map is only unsafe if the file is changed other than through LMDB
        // (truncated, rewritten) while mapped; reprint only ever opens it through LMDB, with its
        // lock file, and sets none of the unsafe flags (NO_LOCK, NO_SYNC).
        let env = unsafe { options.open(path) }?;
        // Readers left by a killed process hold their slots until cleared.
        env.clear_stale_readers()?;
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

    fn table(&self, t: Table) -> Db {
        self.tables[TABLES.iter().position(|&(x, _)| x == t).unwrap_or(0)]
    }

    fn list(&self, p: Postings) -> Db {
        self.postings[POSTINGS.iter().position(|&(x, _)| x == p).unwrap_or(0)]
    }
}

fn collect<const N: usize>(dbs: [heed::Result<Db>; N]) -> Result<[Db; N], StoreError> {
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
            fn postings(
                &self,
                list: Postings,
                key: u64,
                limit: usize,
                out: &mut Vec<u32>,
            ) -> Result<usize, StoreError> {
                postings(self.store, &self.txn, list, key, limit, out)
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
        let db = self.store.list(list);
        Ok(db.put(&mut self.txn, &key.to_be_bytes(), &doc.to_be_bytes())?)
    }

    fn remove_posting(&mut self, list: Postings, key: u64, doc: u32) -> Result<(), StoreError> {
        let db = self.store.list(list);
        db.delete_one_duplicate(&mut self.txn, &key.to_be_bytes(), &doc.to_be_bytes())?;
        Ok(())
    }

    fn commit(self) -> Result<(), StoreError> {
        Ok(self.txn.commit()?)
    }
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
            w.add_posting(Postings::Bands, 42, doc).expect("adds");
        }
        w.put(Table::Meta, b"k", b"v").expect("puts");
        w.commit().expect("commits");
        let r = store.read().expect("reads");
        let mut out = Vec::new();
        assert_eq!(
            r.postings(Postings::Bands, 42, 10, &mut out)
                .expect("lists"),
            3
        );
        assert_eq!(out, vec![1, 5, 9]);
        out.clear();
        assert_eq!(
            r.postings(Postings::Bands, 42, 1, &mut out).expect("lists"),
            2
        );
        assert_eq!(out, vec![1]);
        assert_eq!(r.get(Table::Meta, b"k").expect("gets"), Some(b"v".to_vec()));
        drop(r);
        let mut w = store.write().expect("writes");
        w.remove_posting(Postings::Bands, 42, 5).expect("removes");
        w.commit().expect("commits");
        let mut out = Vec::new();
        let r = store.read().expect("reads");
        r.postings(Postings::Bands, 42, 10, &mut out)
            .expect("lists");
        assert_eq!(out, vec![1, 9]);
    }
}
