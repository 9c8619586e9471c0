//! reprint finds copies of news articles in a corpus: wire copy reprinted by many outlets, updated or
//! trimmed versions, excerpts, and copies an aggregator has machine-reworded to hide the copying. It
//! tells them apart from articles that are merely about the same event, names the kind of each copy,
//! and picks the original of each cluster.
//!
//! # The pipeline
//!
//! Each stage is a module, and plain data flows from one to the next:
//!
//! 1. [`corpus`]: read documents (a directory, JSONL, stdin) into a [`Corpus`]; unusable records are
//!    [`Skip`](corpus::Skip)s naming file and line.
//! 2. [`boilerplate`]: site chrome stripped by rules and by what recurs across the corpus.
//! 3. Normalising and shingling ([`stages::normalize`], [`stages::word_hashes_into`]): NFKC, lower
//!    case, folded quotes and dashes; words → xxh3 word shingles.
//! 4. [`stages::MinHasher`]: shingles → MinHash signatures (one-permutation hashing, optimal
//!    densification).
//! 5. Candidates: LSH over both signatures ([`stages::Banding`]), anchors for excerpts, headlines.
//! 6. [`verify`]: candidates → verified pairs with a [`Kind`] and a score, from the real shingle sets.
//! 7. [`cluster`]: pairs → clusters, each with a canonical original.
//! 8. [`report`]: pairs, clusters and the deduplicated corpus, written atomically.
//!
//! [`Deduper`] wires them together. [`Index`] holds documents on disk and checks new ones against
//! them as they arrive, with the same per-document preparation ([`Deduper::prepare`]) and
//! verification ([`Deduper::verify`]): see the [`index`] module.
//!
//! # Example
//!
//! ```
//! use reprint::{Config, Corpus, Deduper, Document, Kind, NoProgress};
//!
//! let story = "The central bank raised its main interest rate by a quarter point on Thursday, \
//!              citing persistent inflation in services and a tight labour market.";
//! let corpus = Corpus::from_documents([
//!     Document::new("wire", story),
//!     Document::new("outlet", format!("{story}\nShare this article")),
//!     Document::new("other", "Heavy rain flooded several streets in the old town overnight, \
//!                             and the fire service pumped out dozens of cellars."),
//! ]);
//! let deduper = Deduper::new(Config::default())?;
//! let outcome = deduper.run(&corpus, &NoProgress);
//!
//! assert_eq!(outcome.pairs.len(), 1);
//! let pair = &outcome.pairs[0];
//! assert_eq!((corpus.get(pair.a).id.as_str(), corpus.get(pair.b).id.as_str()), ("wire", "outlet"));
//! // Once the outlet's chrome ("Share this article") is stripped, the two texts are identical.
//! assert_eq!(pair.verdict.kind, Kind::Exact);
//! assert_eq!(outcome.clusters.len(), 1);
//! # Ok::<(), reprint::Error>(())
//! ```
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod align;
mod anchor;
pub mod boilerplate;
pub mod cluster;
mod config;
pub mod corpus;
mod dedupe;
pub mod engine;
pub mod error;
mod fingerprint;
pub mod index;
mod lsh;
mod minhash;
mod normalize;
pub mod report;
#[cfg(feature = "server")]
pub mod server;
mod shingle;
pub mod verify;

/// The pipeline's per-document stages one at a time, for benchmarks and for engines that run them
/// apart: normalising, word hashing and shingling, MinHash signatures and their LSH band keys,
/// fingerprints, sentence profiles and their alignment. [`Deduper`] and [`Index`] run them all;
/// most callers need nothing here.
pub mod stages {
    pub use crate::align::{align, Alignment, Passage, Profile, SentencePair};
    pub use crate::fingerprint::{body_hash, fingerprint, Fingerprint, Scratch, SignatureSlots};
    pub use crate::lsh::{band_keys, Banding};
    pub use crate::minhash::{estimate_jaccard, MinHasher, Signature};
    pub use crate::normalize::{normalize, normalize_into};
    pub use crate::shingle::{
        count_words, intersection_size, shingles_into, shingles_with, word_hashes_into,
    };
}

pub use config::{BoilerplateConfig, Config};
pub use corpus::{Corpus, DocId, Document, Input, ReadOptions};
pub use dedupe::{
    Comparison, Deduper, DocSummary, NoProgress, Outcome, Pair, Prepared, Progress, Stats,
};
pub use error::Error;
pub use index::{
    AddOptions, AddResult, AddStatus, ClusterView, Index, IndexError, IndexStats, Match,
};
pub use verify::Kind;

/// What the unit tests of several modules share.
#[cfg(test)]
pub(crate) mod test_fixtures {
    use crate::Document;

    /// The documents of a JSONL fixture: each line's `id` and `text`.
    pub(crate) fn documents(jsonl: &str) -> Vec<Document> {
        jsonl
            .lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).expect("fixture line");
                Document::new(
                    v["id"].as_str().expect("id"),
                    v["text"].as_str().expect("text"),
                )
            })
            .collect()
    }
}
