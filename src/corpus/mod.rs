//! Documents and where they came from.
//!
//! A [`Corpus`] owns the documents of one run. Inside, a document is a dense [`DocId`]; its external id
//! (a file's path as given, or a JSONL record's `id`) is kept only for output. Readers for directories,
//! JSONL files, JSON arrays and standard input are in `read.rs` ([`Corpus::read`]); every record they
//! cannot use becomes a [`Skip`] naming the file and line, so nothing is dropped silently, and text
//! that had to be decoded from another encoding gives a [`ReadWarning`] naming the byte.

mod decode;
mod read;
mod texts;

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;

use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_64;

use serde_json::{Map, Value};

pub use decode::{decode, decode_record, Decoded, Decoding};
pub use read::{Input, ReadOptions};

/// Dense index of a document within a [`Corpus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct DocId(pub u32);

impl DocId {
    /// The index as a `usize`, for slice access.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where a document (or a skipped record) came from: a file, and a line within it for JSONL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file path as given, or `<stdin>`.
    pub source: String,
    /// The 1-based line number, for line-oriented input.
    pub line: Option<u64>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.source, line),
            None => f.write_str(&self.source),
        }
    }
}

/// One article.
#[derive(Debug, Clone)]
pub struct Document {
    /// The external id, unique within the corpus.
    pub id: String,
    /// The article text, as read. Empty in a corpus whose texts went to a temporary file
    /// ([`Corpus::with_text_budget`]): [`Corpus::text`] reads it back.
    pub text: String,
    /// Every other field of the input record (e.g. `source`, `published`, `url`, `title`).
    pub meta: Map<String, Value>,
    /// Where the document was read from.
    pub origin: Origin,
    /// The input record exactly as read (a JSONL line without its line break), if
    /// [`ReadOptions::keep_records`] asked for it: the deduplicated corpus gives it back unchanged.
    pub record: Option<Box<[u8]>>,
}

impl Document {
    /// A document with no metadata, for library callers.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Document {
            id: id.into(),
            text: text.into(),
            meta: Map::new(),
            origin: Origin {
                source: "<api>".into(),
                line: None,
            },
            record: None,
        }
    }

    /// A metadata field as a string, if present and a string.
    pub fn meta_str(&self, key: &str) -> Option<&str> {
        self.meta.get(key).and_then(Value::as_str)
    }
}

/// Why a record was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A file below an input directory could not be read: a dangling link, a link loop, no
    /// permission.
    Unreadable(String),
    /// The line is not a JSON object.
    MalformedJson(String),
    /// The id or text field is missing.
    MissingField(String),
    /// The id or text field has the wrong type.
    WrongType(String),
    /// The text is empty or only whitespace.
    EmptyText,
    /// Another document already has this id.
    DuplicateId {
        /// The id.
        id: String,
        /// Where the first document with that id came from.
        first: Origin,
    },
}

impl SkipReason {
    /// A short stable name for summaries (`invalid_utf8`, `malformed_json`, …).
    pub fn name(&self) -> &'static str {
        match self {
            SkipReason::Unreadable(_) => "unreadable",
            SkipReason::MalformedJson(_) => "malformed_json",
            SkipReason::MissingField(_) => "missing_field",
            SkipReason::WrongType(_) => "wrong_type",
            SkipReason::EmptyText => "empty_text",
            SkipReason::DuplicateId { .. } => "duplicate_id",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Unreadable(msg) => write!(f, "cannot read: {msg}"),
            SkipReason::MalformedJson(msg) => write!(f, "malformed JSON: {msg}"),
            SkipReason::MissingField(field) => write!(f, "no `{field}` field"),
            SkipReason::WrongType(msg) => f.write_str(msg),
            SkipReason::EmptyText => f.write_str("empty document"),
            SkipReason::DuplicateId { id, first } => {
                write!(f, "duplicate id {id:?} (first seen at {first})")
            }
        }
    }
}

/// A record that was not used, with where it was and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// The file and line.
    pub origin: Origin,
    /// Why it was skipped.
    pub reason: SkipReason,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.reason)
    }
}

/// Something a reader did to use a record that the user should know of: the record was kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadWarning {
    /// The file and line.
    pub origin: Origin,
    /// How its bytes were decoded.
    pub decoding: Decoding,
}

impl fmt::Display for ReadWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.decoding)
    }
}

/// The documents of one run, plus every record that was skipped while reading them.
///
/// A corpus made with [`with_text_budget`](Self::with_text_budget) moves its texts to a temporary
/// file once they pass the budget; read them with [`text`](Self::text), which every stage of a run
/// does.
#[derive(Debug)]
pub struct Corpus {
    docs: Vec<Document>,
    /// Each document by the xxh3 hash of its external id (the first of a hash; the others are in
    /// `colliding_ids`): 12 bytes a document, where a map by the id itself would copy every id.
    ids: FxHashMap<u64, u32>,
    colliding_ids: HashMap<String, DocId>,
    skipped: Vec<Skip>,
    warnings: Vec<ReadWarning>,
    /// Bytes of text held before they go to `spill`.
    text_budget: usize,
    /// Bytes of text of every document.
    text_bytes: usize,
    /// The texts of the first documents, once over budget.
    spill: Option<texts::TextSpill>,
}

impl Default for Corpus {
    fn default() -> Self {
        Corpus {
            docs: Vec::new(),
            ids: FxHashMap::default(),
            colliding_ids: HashMap::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
            text_budget: usize::MAX,
            text_bytes: 0,
            spill: None,
        }
    }
}

impl Corpus {
    /// An empty corpus.
    pub fn new() -> Self {
        Corpus::default()
    }

    /// A corpus of the given documents; unusable ones are recorded as skipped.
    pub fn from_documents(docs: impl IntoIterator<Item = Document>) -> Self {
        let mut corpus = Corpus::new();
        for doc in docs {
            // Skips are kept in the corpus; nothing to do with the result here.
            let _ = corpus.push(doc);
        }
        corpus
    }

    /// Adds a document. Empty texts and duplicate ids are refused, recorded in [`Corpus::skipped`] and
    /// returned as the error.
    pub fn push(&mut self, doc: Document) -> Result<DocId, Skip> {
        let reason = if doc.text.trim().is_empty() {
            Some(SkipReason::EmptyText)
        } else {
            self.lookup(&doc.id).map(|first| SkipReason::DuplicateId {
                id: doc.id.clone(),
                first: self.docs[first.index()].origin.clone(),
            })
        };
        if let Some(reason) = reason {
            let skip = Skip {
                origin: doc.origin,
                reason,
            };
            self.skipped.push(skip.clone());
            return Err(skip);
        }
        let id = DocId(u32::try_from(self.docs.len()).expect("more than 4 billion documents"));
        match self.ids.entry(xxh3_64(doc.id.as_bytes())) {
            Entry::Vacant(slot) => {
                slot.insert(id.0);
            }
            // Two ids of one hash: the later ones are kept by name.
            Entry::Occupied(_) => {
                self.colliding_ids.insert(doc.id.clone(), id);
            }
        }
        self.text_bytes += doc.text.len();
        self.docs.push(doc);
        self.spill_last_text();
        Ok(id)
    }

    /// Records a skipped record.
    pub fn record_skip(&mut self, skip: Skip) {
        self.skipped.push(skip);
    }

    /// Records a warning about a record that was kept.
    pub fn record_warning(&mut self, warning: ReadWarning) {
        self.warnings.push(warning);
    }

    /// Every warning about a record that was kept (text decoded from another encoding), in
    /// reading order.
    pub fn warnings(&self) -> &[ReadWarning] {
        &self.warnings
    }

    /// The documents, indexed by [`DocId`].
    pub fn documents(&self) -> &[Document] {
        &self.docs
    }

    /// One document.
    pub fn get(&self, id: DocId) -> &Document {
        &self.docs[id.index()]
    }

    /// The dense id of an external id.
    pub fn lookup(&self, external: &str) -> Option<DocId> {
        let &d = self.ids.get(&xxh3_64(external.as_bytes()))?;
        match self.docs[d as usize].id == external {
            true => Some(DocId(d)),
            false => self.colliding_ids.get(external).copied(),
        }
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether there are no documents.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Every record that was skipped, in reading order.
    pub fn skipped(&self) -> &[Skip] {
        &self.skipped
    }

    /// Skipped records counted by [`SkipReason::name`], sorted by name.
    pub fn skipped_by_reason(&self) -> Vec<(&'static str, usize)> {
        let mut counts: Vec<(&'static str, usize)> = Vec::new();
        for skip in &self.skipped {
            match counts.iter_mut().find(|(n, _)| *n == skip.reason.name()) {
                Some((_, c)) => *c += 1,
                None => counts.push((skip.reason.name(), 1)),
            }
        }
        counts.sort();
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_ids_are_skipped_and_name_the_first() {
        let mut corpus = Corpus::new();
        assert_eq!(corpus.push(Document::new("a", "one")), Ok(DocId(0)));
        let skip = corpus.push(Document::new("a", "two")).unwrap_err();
        assert!(matches!(skip.reason, SkipReason::DuplicateId { .. }));
        assert_eq!(corpus.len(), 1);
        assert_eq!(corpus.skipped().len(), 1);
        assert!(skip.to_string().contains("first seen at <api>"));
    }

    /// Documents are found by the hash of their id; two ids of one hash are told apart by name.
    #[test]
    fn ids_of_one_hash_are_told_apart_by_name() {
        let mut corpus = Corpus::new();
        assert_eq!(corpus.push(Document::new("a", "one")), Ok(DocId(0)));
        // As if "b" hashed as "a" does.
        corpus.ids.insert(xxh3_64(b"b"), 0);
        assert_eq!(corpus.lookup("b"), None);
        assert_eq!(corpus.push(Document::new("b", "two")), Ok(DocId(1)));
        assert_eq!(corpus.lookup("b"), Some(DocId(1)));
        assert_eq!(corpus.lookup("a"), Some(DocId(0)));
        let again = corpus.push(Document::new("b", "again")).unwrap_err();
        assert!(matches!(again.reason, SkipReason::DuplicateId { .. }));
    }

    #[test]
    fn empty_text_is_skipped() {
        let corpus =
            Corpus::from_documents([Document::new("a", "  \n\t"), Document::new("b", "x")]);
        assert_eq!(corpus.len(), 1);
        assert_eq!(corpus.skipped_by_reason(), vec![("empty_text", 1)]);
        assert_eq!(corpus.lookup("b"), Some(DocId(0)));
    }
}
