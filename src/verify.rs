//! Candidate pair → verdict: is it a copy, of which kind, and how sure.
//!
//! Verification works on the real shingle sets, never on signature estimates, so no LSH false positive
//! reaches the output. The cheap checks come first: equal normalised bodies are `exact`; otherwise a
//! merge of the two sorted shingle lists gives Jaccard and containment.

use serde::Serialize;

use crate::config::Config;
use crate::shingle::intersection_size;

/// How one document copies another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Identical after boilerplate stripping and normalisation.
    Exact,
    /// The same text with light edits: typos, a dropped or added sentence, other chrome.
    NearDuplicate,
    /// One document is mostly contained in the other: a partial reprint.
    Excerpt,
    /// The same text reworded: synonyms swapped, function words garbled, sentences shuffled.
    Spun,
}

impl Kind {
    /// The kind's name as it appears in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Exact => "exact",
            Kind::NearDuplicate => "near_duplicate",
            Kind::Excerpt => "excerpt",
            Kind::Spun => "spun",
        }
    }

    /// All kinds, in output order.
    pub const ALL: [Kind; 4] = [Kind::Exact, Kind::NearDuplicate, Kind::Excerpt, Kind::Spun];
}

/// What verification needs to know about one document.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// Hash of the normalised, stripped body.
    pub body_hash: u64,
    /// Words in the stripped body.
    pub words: usize,
    /// Sorted, deduplicated shingle hashes of the stripped body.
    pub shingles: &'a [u64],
}

/// The measured overlap of two shingle sets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Overlap {
    /// |A ∩ B| / |A ∪ B|.
    pub jaccard: f64,
    /// |A ∩ B| / min(|A|, |B|): how much of the shorter document the longer one contains.
    pub containment: f64,
}

impl Overlap {
    /// The overlap of two sorted, deduplicated shingle lists.
    pub fn of(a: &[u64], b: &[u64]) -> Overlap {
        let shared = intersection_size(a, b) as f64;
        let (la, lb) = (a.len() as f64, b.len() as f64);
        let union = la + lb - shared;
        Overlap {
            jaccard: if union > 0.0 { shared / union } else { 0.0 },
            containment: if la.min(lb) > 0.0 {
                shared / la.min(lb)
            } else {
                0.0
            },
        }
    }
}

/// The verdict on a pair that is a copy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// How the copy was made.
    pub kind: Kind,
    /// Confidence in `[0, 1]`: Jaccard for near-duplicates, containment for excerpts, 1 for exact.
    pub score: f64,
    /// Shingle overlap of the two stripped bodies.
    pub overlap: Overlap,
}

/// Judges a candidate pair on shingle overlap; `None` if it is not a copy by these measures.
pub fn verify(a: &Evidence<'_>, b: &Evidence<'_>, config: &Config) -> Option<Verdict> {
    if a.body_hash == b.body_hash {
        return Some(Verdict {
            kind: Kind::Exact,
            score: 1.0,
            overlap: Overlap {
                jaccard: 1.0,
                containment: 1.0,
            },
        });
    }
    if a.words < config.min_words || b.words < config.min_words {
        return None;
    }
    let overlap = Overlap::of(a.shingles, b.shingles);
    if overlap.jaccard >= config.near_duplicate {
        Some(Verdict {
            kind: Kind::NearDuplicate,
            score: overlap.jaccard,
            overlap,
        })
    } else if overlap.containment >= config.excerpt_containment {
        Some(Verdict {
            kind: Kind::Excerpt,
            score: overlap.containment,
            overlap,
        })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(hash: u64, shingles: &[u64]) -> Evidence<'_> {
        Evidence {
            body_hash: hash,
            words: shingles.len() + 2,
            shingles,
        }
    }

    #[test]
    fn overlap_measures() {
        let o = Overlap::of(&[1, 2, 3, 4], &[3, 4, 5, 6, 7, 8]);
        assert!((o.jaccard - 2.0 / 8.0).abs() < 1e-12);
        assert!((o.containment - 0.5).abs() < 1e-12);
        assert_eq!(Overlap::of(&[], &[]).jaccard, 0.0);
    }

    #[test]
    fn verdicts_by_kind() {
        let config = Config::default();
        let base: Vec<u64> = (0..100).collect();
        let edited: Vec<u64> = (5..105).collect();
        let half: Vec<u64> = (0..45).collect();
        let other: Vec<u64> = (1000..1100).collect();
        let cases = [
            (ev(1, &base), ev(1, &base), Some(Kind::Exact)),
            (ev(1, &base), ev(2, &edited), Some(Kind::NearDuplicate)),
            (ev(1, &base), ev(3, &half), Some(Kind::Excerpt)),
            (ev(1, &base), ev(4, &other), None),
        ];
        for (a, b, want) in cases {
            assert_eq!(verify(&a, &b, &config).map(|v| v.kind), want);
        }
    }

    #[test]
    fn short_documents_only_match_exactly() {
        let config = Config::default();
        let tiny = Evidence {
            body_hash: 1,
            words: 3,
            shingles: &[1],
        };
        let same = Evidence {
            body_hash: 2,
            words: 3,
            shingles: &[1],
        };
        assert_eq!(verify(&tiny, &same, &config), None);
    }
}
