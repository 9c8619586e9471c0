//! Which pairs of documents are worth verifying: the candidates of every channel, merged, and cut
//! into batches of whole connected components so that verification holds only one batch's
//! documents' profiles and shingle sets at a time.

use std::collections::HashMap;

use rayon::prelude::*;

use super::exact::ExactGroups;
use super::spill::ReadyParts;
use crate::anchor::containment_pairs_of_parts;
use crate::cluster;
use crate::config::Config;
use crate::fingerprint::Fingerprint;
use crate::lsh::{candidate_pairs, Banding};
use crate::verify::MIN_TITLE_WORDS;

/// How far below a channel's threshold a candidate's signature estimate may fall: 2.5 standard
/// errors of a 128-position estimate at worst (J = 0.5).
pub(crate) const ESTIMATE_MARGIN: f64 = 0.11;

/// Candidate pairs verified together, at the least (whole components are never split).
pub(super) const VERIFY_BATCH: usize = 1024;

/// Candidate pairs ordered by the connected component of the candidate graph they belong to, and cut
/// into batches of whole components: no document of a batch has a candidate pair outside it.
pub(super) struct ComponentBatches {
    pub(super) pairs: Vec<(u32, u32)>,
    /// Where each batch ends in `pairs`.
    ends: Vec<usize>,
}

impl ComponentBatches {
    pub(super) fn new(n: usize, mut pairs: Vec<(u32, u32)>, at_least: usize) -> ComponentBatches {
        let root = cluster::component_roots(n, pairs.iter().copied());
        pairs.par_sort_unstable_by_key(|&(a, b)| (root[a as usize], a, b));
        let mut ends = Vec::new();
        let mut start = 0;
        for (i, w) in pairs.windows(2).enumerate() {
            let component_ends = root[w[0].0 as usize] != root[w[1].0 as usize];
            if component_ends && i + 1 - start >= at_least {
                ends.push(i + 1);
                start = i + 1;
            }
        }
        if start < pairs.len() {
            ends.push(pairs.len());
        }
        ComponentBatches { pairs, ends }
    }

    pub(super) fn batches(&self) -> impl Iterator<Item = &[(u32, u32)]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.pairs[start..end])
    }
}

/// Candidate pairs from every channel, merged.
pub(super) struct Candidates {
    pub(super) pairs: Vec<(u32, u32)>,
    pub(super) by_channel: [usize; 4],
}

/// Pairs of a headline-only document (too short to compare, at least
/// [`MIN_TITLE_WORDS`] words) with each longer document whose title it is.
fn title_pairs(prints: &[Fingerprint], min_words: usize, exact: &ExactGroups) -> Vec<(u32, u32)> {
    let mut titles: HashMap<u64, Vec<u32>> = HashMap::new();
    for (d, p) in prints.iter().enumerate() {
        if p.words >= min_words && exact.is_rep(d as u32) {
            titles.entry(p.title_hash).or_default().push(d as u32);
        }
    }
    let mut pairs = Vec::new();
    for (d, p) in prints.iter().enumerate() {
        if (MIN_TITLE_WORDS..min_words).contains(&p.words) && exact.is_rep(d as u32) {
            for &other in titles.get(&p.body_hash).map_or(&[][..], Vec::as_slice) {
                pairs.push((other.min(d as u32), other.max(d as u32)));
            }
        }
    }
    pairs
}

/// Candidate pairs from the four channels: LSH over word shingles (verbatim copies), LSH over
/// content words (reworded copies), shared anchors (excerpts), and headlines (a headline-only
/// document and the article it heads). `banding` and `content_banding` are the LSH bandings of the
/// first two; `shingle_sigs` and `content_sigs` hold each document's signatures, `config.num_perm`
/// positions each; `anchors` holds the anchors of the documents that go on to candidates. The
/// channels run `one_at_a_time` (for a large corpus: less memory) or side by side (less time).
#[allow(clippy::too_many_arguments)]
pub(super) fn gather(
    config: &Config,
    banding: Banding,
    content_banding: Banding,
    prints: &[Fingerprint],
    shingle_sigs: Vec<u32>,
    content_sigs: Vec<u32>,
    exact: &ExactGroups,
    anchors: ReadyParts,
    one_at_a_time: bool,
) -> Candidates {
    let c = config;
    let k = c.num_perm;
    // One representative per exact-copy group, long enough to compare: exact copies are
    // grouped already, and headline-only documents have their own channel.
    let members: Vec<u32> = (0..prints.len() as u32)
        .filter(|&d| exact.is_rep(d) && prints[d as usize].words >= c.min_words)
        .collect();
    // Banding lets a few pairs well below the threshold through; their estimate is checked.
    let floor = |threshold: f64| threshold - ESTIMATE_MARGIN;
    let lsh = |sigs: &[u32], banding: Banding, threshold: f64| {
        candidate_pairs(sigs, k, banding, &members, c.max_bucket, floor(threshold))
    };
    // A part that cannot be read back (the disk failed under the run) ends the run, as a text
    // that cannot be read back does (`Corpus::text`): its candidates would be lost unsaid.
    let contained = || {
        containment_pairs_of_parts(
            prints.len(),
            |p| {
                anchors.take(p).unwrap_or_else(|e| {
                    panic!("reprint: the temporary anchor file cannot be read back: {e}")
                })
            },
            c.min_shared_anchors,
            c.anchor_containment,
            c.passage_anchors,
            c.anchor_max_df,
        )
    };
    let (contained, verbatim, reworded) = if one_at_a_time {
        // One channel at a time, each parallel within, and each signature array freed once its
        // channel is done: a channel's band tables take about as much memory as its signatures,
        // and at a million articles the channels' tables and signatures at once would be 3 GB.
        let verbatim = lsh(&shingle_sigs, banding, c.candidate_threshold);
        drop(shingle_sigs);
        let reworded = lsh(&content_sigs, content_banding, c.content_threshold);
        drop(content_sigs);
        (contained(), verbatim, reworded)
    } else {
        // The anchors' channel has serial steps, which the two LSH channels' parallel work fills
        // in around.
        let (contained, (verbatim, reworded)) = rayon::join(contained, || {
            rayon::join(
                || lsh(&shingle_sigs, banding, c.candidate_threshold),
                || lsh(&content_sigs, content_banding, c.content_threshold),
            )
        });
        (contained, verbatim, reworded)
    };
    let headlines = title_pairs(prints, c.min_words, exact);
    let by_channel = [
        verbatim.len(),
        reworded.len(),
        contained.len(),
        headlines.len(),
    ];
    let mut pairs = verbatim;
    pairs.extend(reworded);
    pairs.extend(contained);
    pairs.extend(headlines);
    pairs.par_sort_unstable();
    pairs.dedup();
    Candidates { pairs, by_channel }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Verification batches hold every candidate pair once, never split a component (no
        /// document has pairs in two batches), and are as large as asked but for the last.
        #[test]
        fn batches_are_whole_components(
            pairs in proptest::collection::btree_set((0u32..40, 0u32..40), 0..60),
            at_least in 1usize..8,
        ) {
            let pairs: Vec<(u32, u32)> = pairs.into_iter().filter(|(a, b)| a < b).collect();
            let batches = ComponentBatches::new(40, pairs.clone(), at_least);
            let mut seen: Vec<(u32, u32)> = batches.batches().flatten().copied().collect();
            seen.sort_unstable();
            proptest::prop_assert_eq!(&seen, &pairs);
            let mut batch_of = [None; 40];
            let count = batches.batches().count();
            for (i, batch) in batches.batches().enumerate() {
                proptest::prop_assert!(batch.len() >= at_least || i + 1 == count);
                for &(a, b) in batch {
                    for d in [a, b] {
                        proptest::prop_assert!(batch_of[d as usize].is_none_or(|j| j == i));
                        batch_of[d as usize] = Some(i);
                    }
                }
            }
        }
    }
}
