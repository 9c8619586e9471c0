//! Reading back the results of an earlier run (`--pairs` JSON Lines, `--clusters` JSON), so that a
//! report can be made after the fact (`reprint report`).
//!
//! The files carry ids, kinds, scores and overlaps; the rest of an [`Outcome`] is rebuilt: the
//! corpus is stripped again (stripping, learned chrome included, is deterministic for a corpus and a
//! configuration), and the report aligns the texts itself.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use serde::Deserialize;

use crate::cluster::{CanonicalReason, Cluster};
use crate::corpus::{Corpus, DocId};
use crate::dedupe::{DocSummary, Outcome, Pair, Progress, Stats};
use crate::error::InputError;
use crate::shingle::count_words;
use crate::verify::{Kind, Measures, Overlap, Verdict};
use crate::Deduper;

#[derive(Deserialize)]
struct PairLine {
    a: String,
    b: String,
    kind: Kind,
    score: f64,
    #[serde(default)]
    jaccard: f64,
    #[serde(default)]
    containment: f64,
    #[serde(default)]
    content_jaccard: f64,
}

#[derive(Deserialize)]
struct ClustersFile {
    clusters: Vec<ClusterLine>,
}

#[derive(Deserialize)]
struct ClusterLine {
    canonical: String,
    reason: CanonicalReason,
    members: Vec<MemberLine>,
}

#[derive(Deserialize)]
struct MemberLine {
    id: String,
}

/// Rebuilds the outcome of a run over `corpus` from its pairs and clusters files.
///
/// Every id in the files must name a document of the corpus, and every cluster member's pairs must
/// be in the pairs file; anything else is an [`InputError::Results`] naming the file and line.
pub fn load_outcome(
    deduper: &Deduper,
    corpus: &Corpus,
    pairs_path: &Path,
    clusters_path: &Path,
    progress: &dyn Progress,
) -> Result<Outcome, InputError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| InputError::Io { path, error }
    };
    let bad = |path: &Path, line: usize, message: String| InputError::Results {
        path: path.to_path_buf(),
        line,
        message,
    };
    // The line is found only for an error: finding it for every id would be quadratic.
    let lookup = |path: &Path, line: &dyn Fn() -> usize, id: &str| {
        corpus.lookup(id).ok_or_else(|| {
            bad(
                path,
                line(),
                format!("`{id}` is not a document of the corpus"),
            )
        })
    };

    progress.start("loading results", 0);
    let mut pairs = Vec::new();
    let file = fs::File::open(pairs_path).map_err(io(pairs_path))?;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io(pairs_path))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: PairLine = serde_json::from_str(&line)
            .map_err(|e| bad(pairs_path, i + 1, format!("not a pair record: {e}")))?;
        let (a, b) = (
            lookup(pairs_path, &|| i + 1, &record.a)?,
            lookup(pairs_path, &|| i + 1, &record.b)?,
        );
        let overlap = |jaccard| Overlap {
            jaccard,
            containment: record.containment,
        };
        pairs.push(Pair {
            a: a.min(b),
            b: a.max(b),
            verdict: Arc::new(Verdict {
                kind: record.kind,
                score: record.score,
                measures: Measures {
                    overlap: overlap(record.jaccard),
                    content: overlap(record.content_jaccard),
                    alignment: None,
                },
            }),
        });
    }
    pairs.sort_by_key(|p| (p.a, p.b));
    progress.advance(pairs.len() as u64);

    let text = fs::read_to_string(clusters_path).map_err(io(clusters_path))?;
    let file: ClustersFile = serde_json::from_str(&text)
        .map_err(|e| bad(clusters_path, e.line(), format!("not a clusters file: {e}")))?;
    let linked: HashMap<DocId, usize> =
        pairs
            .iter()
            .flat_map(|p| [p.a, p.b])
            .fold(HashMap::new(), |mut n, d| {
                *n.entry(d).or_default() += 1;
                n
            });
    // The parsed file has no line numbers: an id is placed by its first appearance in the text.
    let line_of = |id: &str| {
        let quoted = serde_json::to_string(id).expect("a string serialises");
        text.find(&quoted)
            .map_or(1, |at| text[..at].matches('\n').count() + 1)
    };
    let mut clusters = Vec::with_capacity(file.clusters.len());
    for c in file.clusters {
        let canonical = lookup(clusters_path, &|| line_of(&c.canonical), &c.canonical)?;
        let mut members = c
            .members
            .iter()
            .map(|m| lookup(clusters_path, &|| line_of(&m.id), &m.id))
            .collect::<Result<Vec<DocId>, _>>()?;
        if let Some(&lonely) = members.iter().find(|m| !linked.contains_key(m)) {
            return Err(bad(
                clusters_path,
                line_of(&corpus.get(lonely).id),
                format!(
                    "`{}` is in the cluster of `{}` but in no pair of {}",
                    corpus.get(lonely).id,
                    c.canonical,
                    pairs_path.display()
                ),
            ));
        }
        members.sort_unstable();
        clusters.push(Cluster {
            canonical,
            reason: c.reason,
            members,
        });
    }

    progress.finish();
    let (stripped, learned) = deduper.strip_corpus(corpus, progress);
    let stats = Stats::of_stripping(&stripped, learned);
    let documents = (stripped.into_par_iter().enumerate())
        .map(|(d, stripped)| DocSummary {
            words: count_words(&stripped.body(&corpus.text(DocId(d as u32)))),
            stripped,
        })
        .collect();
    Ok(Outcome {
        pairs,
        clusters,
        documents,
        stats,
    })
}
