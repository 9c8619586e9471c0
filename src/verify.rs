//! Candidate pair → verdict: is it a copy, of which kind, and how sure.
//!
//! Verification works on the real texts, never on signature estimates, so no LSH false positive
//! reaches the output. The cheap checks come first: equal normalised bodies are `exact`; a merge of
//! two sorted lists gives the shingle and content-word overlaps; only pairs that share enough to be
//! copies are aligned sentence by sentence ([`crate::stages::align`]). [`measure`] takes the measurements and
//! [`judge`] applies the thresholds of the [`Config`]:
//! - a pair is a copy if its shingle Jaccard reaches `near_duplicate`, or the shorter text's shingles
//!   are mostly contained in the longer one (`excerpt`), or its sentences align: both texts covered
//!   to `align_coverage` by at least two aligned sentences, numbers and names agreeing, and no more
//!   than `align_max_edits` of the aligned words changed (a separately written article on the same
//!   event rewrites more);
//! - a copy that is not an excerpt is `spun` if its aligned sentences show a spinner's work (words
//!   swapped one-for-one for different, not misspelt, words, in most sentences), else
//!   `near_duplicate` (typos, an updated or trimmed version, a rewritten paragraph).

use serde::{Deserialize, Serialize};

use crate::align::{align, Alignment, Profile};
use crate::config::Config;
use crate::shingle::intersection_size;

/// How one document copies another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    /// The same story in another edition (expanded, trimmed, re-led or updated): most of the shorter
    /// text in the same order in the longer, closely, while each side has material of its own.
    Version,
    /// Two different articles sharing a substantial passage (several paragraphs of one wire story,
    /// a long transcript) beyond a sentence or two of shared quotes. Reported with the passage, but
    /// never joins clusters: the articles are different stories.
    Partial,
}

impl Kind {
    /// The kind's name as it appears in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Exact => "exact",
            Kind::NearDuplicate => "near_duplicate",
            Kind::Excerpt => "excerpt",
            Kind::Spun => "spun",
            Kind::Version => "version",
            Kind::Partial => "partial",
        }
    }

    /// Whether a pair of this kind links its documents into one cluster: every kind but `partial`.
    pub fn joins_clusters(self) -> bool {
        self != Kind::Partial
    }

    /// All kinds, in output order.
    pub const ALL: [Kind; 6] = [
        Kind::Exact,
        Kind::NearDuplicate,
        Kind::Excerpt,
        Kind::Spun,
        Kind::Version,
        Kind::Partial,
    ];
}

/// What verification needs to know about one document.
#[derive(Clone, Copy)]
pub struct Evidence<'a> {
    /// Hash of the normalised, stripped body.
    pub body_hash: u64,
    /// Words in the stripped body.
    pub words: usize,
    /// Sorted, deduplicated word-shingle hashes of the stripped body.
    pub shingles: &'a [u64],
    /// Sorted, deduplicated hashes of its content words (function words left out).
    pub content: &'a [u64],
    /// Its sentence profile, for alignment, made on demand: most pairs are judged without one.
    pub profile: &'a (dyn Fn() -> &'a Profile + Sync),
    /// Hash of its normalised first line (its title).
    pub title_hash: u64,
}

impl std::fmt::Debug for Evidence<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evidence")
            .field("body_hash", &self.body_hash)
            .field("words", &self.words)
            .field("shingles", &self.shingles.len())
            .field("content", &self.content.len())
            .finish_non_exhaustive()
    }
}

/// A document this short can still be a copy: of another document's title.
pub const MIN_TITLE_WORDS: usize = 4;

/// Whether `a` is too short to compare on its own but is exactly `b`'s title: an excerpt that kept
/// only the headline.
pub fn is_title_of(a: &Evidence<'_>, b: &Evidence<'_>, config: &Config) -> bool {
    (MIN_TITLE_WORDS..config.min_words).contains(&a.words)
        && b.words >= config.min_words
        && a.body_hash == b.title_hash
}

/// The measured overlap of two sets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Overlap {
    /// |A ∩ B| / |A ∪ B|.
    pub jaccard: f64,
    /// |A ∩ B| / min(|A|, |B|): how much of the smaller set the larger one contains.
    pub containment: f64,
}

impl Overlap {
    /// The overlap of two sorted, deduplicated lists.
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

    const FULL: Overlap = Overlap {
        jaccard: 1.0,
        containment: 1.0,
    };
}

/// Everything measured about a pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measures {
    /// Word-shingle overlap: verbatim shared text.
    pub overlap: Overlap,
    /// Content-word overlap: shared vocabulary, robust to rewording.
    pub content: Overlap,
    /// Sentence alignment, when the pair shares enough to be worth aligning.
    pub alignment: Option<Alignment>,
}

/// The verdict on a pair that is a copy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// How the copy was made.
    pub kind: Kind,
    /// How much of the text is copied, in `[0, 1]`, by kind: 1 for exact copies; for
    /// near-duplicates the shingle Jaccard (below `near_duplicate` only for a copy accepted on its
    /// aligned sentences); for excerpts the shingle containment; for spun copies the share of the
    /// texts in aligned sentences (the smaller of the two) times the share of the aligned words
    /// left unchanged (`1 - edit_rate`); for versions the share of the shorter text aligned with
    /// the longer; for partial pairs the share of the shorter text in their shared passage.
    pub score: f64,
    /// What it was judged on.
    pub measures: Measures,
}

impl Verdict {
    /// This pair judged `partial`: two documents that share a passage but are not to be grouped
    /// (see the hub guard, `guard_hubs` in `dedupe`), scored as a partial pair is, by the
    /// passage's share of the shorter text.
    pub fn as_partial(&self) -> Verdict {
        Verdict {
            kind: Kind::Partial,
            score: score_of(Kind::Partial, &self.measures),
            measures: self.measures.clone(),
        }
    }

    /// The verdict on two identical bodies.
    pub fn exact() -> Verdict {
        Verdict {
            kind: Kind::Exact,
            score: 1.0,
            measures: Measures {
                overlap: Overlap::FULL,
                content: Overlap::FULL,
                alignment: None,
            },
        }
    }
}

/// Measures a candidate pair; `None` if either is too short to compare (see `Config::min_words`).
/// Alignment, the costly part, runs only where [`judge`] needs it: to tell a spun copy from a
/// near-duplicate, to check numbers and names, or to find a reworded copy that shares little
/// verbatim. A near-identical pair or an excerpt is named from its overlaps alone.
pub fn measure(a: &Evidence<'_>, b: &Evidence<'_>, config: &Config) -> Option<Measures> {
    if a.words < config.min_words || b.words < config.min_words {
        return None;
    }
    let overlap = Overlap::of(a.shingles, b.shingles);
    let content = Overlap::of(a.content, b.content);
    let needs_alignment = if overlap.jaccard >= NEAR_IDENTICAL {
        false
    } else if overlap.jaccard >= config.near_duplicate {
        true
    } else if overlap.containment >= config.excerpt_containment {
        false
    } else {
        // A reworded copy shares its vocabulary; another edition of a story or a different article
        // quoting its paragraphs shares a passage verbatim.
        let shared = overlap.containment * a.shingles.len().min(b.shingles.len()) as f64;
        content.jaccard >= config.align_content || shared >= PASSAGE_SHINGLES
    };
    let alignment = needs_alignment.then(|| align((a.profile)(), (b.profile)()));
    Some(Measures {
        overlap,
        content,
        alignment,
    })
}

/// Shingles two texts share, at the least, for alignment to look for a shared passage: a passage of
/// `Config::version_passage_words` words shares about that many word 3-grams, less what edits
/// break.
const PASSAGE_SHINGLES: f64 = 40.0;

/// Words of a shared passage outside quotes, at the least, for a `version` or `partial`: a
/// sentence of the story's own narrative, not only the statements every article quotes.
const PASSAGE_NARRATIVE_WORDS: usize = 20;

/// Share of the shorter text's word 3-grams found in the longer for a `version` that does not share
/// a third of its vocabulary (see [`edition_or_passage`]).
const VERSION_CONTAINMENT: f64 = 0.5;

/// Content-word Jaccard from which a `version` is alike as a whole without `VERSION_CONTAINMENT`
/// (see [`edition_or_passage`]): a third of the vocabulary, as `Config::align_content` defaults
/// to, but not tied to it, so that aligning more pairs does not loosen what a version is.
const VERSION_CONTENT: f64 = 0.3;

/// Sentences in a partial pair's shared passage, at the least.
const PARTIAL_PASSAGE_SENTENCES: usize = 3;

/// The verdict on an aligned pair that is not a copy by its overlaps or by alignment of both texts:
/// another edition of the story (`version`: the shorter text covered to `version_shorter`, the
/// longer to `version_longer`, and a shared passage of `version_passage_words` in two sentences or
/// more: an edition keeps runs of the story's sentences where separately written articles share
/// scattered quotes), a different article sharing a passage of `partial_passage_words` in three
/// sentences or more (`partial`: several paragraphs, beyond a quote or two), or neither. A version
/// must agree on numbers and names as every copy found by alignment must (`align_immutables`): two
/// items filled in from one template share long runs of wording but not their figures and issuers.
///
/// A version is also alike as a whole, not only along its passage: at least `VERSION_CONTAINMENT`
/// of the shorter text's word 3-grams in the longer, or a content-word Jaccard of `VERSION_CONTENT`.
/// A live file or digest holding a condensed entry of a story aligns with half the story's
/// sentences, loosely, but twenty other entries dilute its vocabulary, and it holds less than half
/// of the story's 3-grams: on the Helsinki corpus such pairs chained AP's live files to the stories
/// they summarise.
fn edition_or_passage(m: &Measures, al: &Alignment, config: &Config) -> Option<Kind> {
    let (shorter, longer) = (
        al.covered_a.max(al.covered_b),
        al.covered_a.min(al.covered_b),
    );
    let passage = &al.passage;
    let alike =
        m.overlap.containment >= VERSION_CONTAINMENT || m.content.jaccard >= VERSION_CONTENT;
    if shorter >= config.version_shorter
        && longer >= config.version_longer
        && alike
        && passage.words >= config.version_passage_words
        && passage.narrative >= PASSAGE_NARRATIVE_WORDS
        && passage.sentences >= 2
        && al.immutables >= config.align_immutables
    {
        Some(Kind::Version)
    } else if passage.words >= config.partial_passage_words
        && passage.narrative >= PASSAGE_NARRATIVE_WORDS
        && passage.sentences >= PARTIAL_PASSAGE_SENTENCES
    {
        Some(Kind::Partial)
    } else {
        None
    }
}

/// Shingle Jaccard above which a pair is never called spun: too few words differ.
const NEAR_IDENTICAL: f64 = 0.9;

/// Share of aligned sentences a spinner has touched, at the least. Light spinning (15% of content
/// words) touches over 0.29 of sentences; wire-story updates in the Helsinki corpus at most 0.24.
const SPUN_SENTENCES: f64 = 0.25;

/// Whether a pair's aligned sentences show a spinner's work: words swapped one-for-one, spread over
/// most sentences, rather than typos or an editor's rewrite of a few sentences.
fn is_reworded(m: &Measures, config: &Config) -> bool {
    m.overlap.jaccard < NEAR_IDENTICAL
        && m.alignment.as_ref().is_some_and(|al| {
            al.substitution_rate >= config.spun_substitution
                && al.swapped_sentences >= SPUN_SENTENCES
        })
}

/// Share of aligned words swapped for another number or name (`Alignment::filled_rate`) from which
/// a pair is two items filled in from one template. Measured: the template look-alikes of
/// `fixtures/templates/wire-items.jsonl` (monthly reports, contract awards, crop reports) fill
/// 0.068–0.124 of their words; a corrected re-filing changes one figure (0.010–0.024 of a short
/// item), and the labelled copies of the Helsinki corpus (write-throughs updating a time or a count)
/// fill at most 0.023.
const TEMPLATE_FILLS: f64 = 0.05;

/// Words filled in (`Alignment::filled`) from which a pair can be two items of one template: the
/// look-alikes of `fixtures/templates/wire-items.jsonl` that share more than 0.3 of their word
/// 3-grams fill 6 or more; a short update of a count (dead and injured in a two-sentence flash)
/// fills 2 or 3, at a template's rate.
const TEMPLATE_FIELDS: usize = 5;

/// Whether a pair is two items filled in from one template: its aligned sentences keep the
/// wording and change many numbers and names, as a spinner does the opposite. Not a copy of any
/// kind, nor two articles sharing a passage, unless nearly identical.
fn is_filled_template(m: &Measures) -> bool {
    m.overlap.jaccard < NEAR_IDENTICAL
        && m.alignment.as_ref().is_some_and(|al| {
            al.filled >= TEMPLATE_FIELDS
                && al.filled_rate >= TEMPLATE_FILLS
                && al.filled_rate > al.substitution_rate
        })
}

/// Judges measures by the configured thresholds; `None` if the pair is not a copy.
pub fn judge(m: Measures, config: &Config) -> Option<Verdict> {
    if is_filled_template(&m) {
        return None;
    }
    let copy_kind = if is_reworded(&m, config) {
        Kind::Spun
    } else {
        Kind::NearDuplicate
    };
    // Two briefs from one template (a company's shares, a match result) share most of their
    // wording but not their numbers and names: unless nearly identical, a copy must agree on them.
    let agree = m
        .alignment
        .as_ref()
        .is_none_or(|al| al.immutables >= config.align_immutables);
    let kind = if m.overlap.jaccard >= config.near_duplicate {
        if m.overlap.jaccard < NEAR_IDENTICAL && !agree {
            return None;
        }
        copy_kind
    } else if m.overlap.containment >= config.excerpt_containment {
        Kind::Excerpt
    } else {
        let al = m.alignment.as_ref()?;
        let both = al.covered_a.min(al.covered_b);
        // One aligned sentence is a shared quote, not a copy; a rewrite of every sentence around the
        // same names is another article on the same event.
        let aligned_copy = al.pairs.len() >= 2
            && both >= config.align_coverage
            && agree
            && al.edit_rate <= config.align_max_edits;
        if aligned_copy {
            copy_kind
        } else {
            edition_or_passage(&m, al, config)?
        }
    };
    Some(Verdict {
        kind,
        score: score_of(kind, &m),
        measures: m,
    })
}

/// A copy's score, by its kind, as [`Verdict::score`] documents it. A spun copy's reworded
/// sentences share few word sequences however lightly it was spun, so its score is measured on its
/// aligned sentences instead: the share of the texts they cover, times the share of their words
/// left unchanged. A light spin thus scores above a heavy one, and both above a rewrite of a few
/// sentences only. A version scores the share of the shorter text aligned with the longer; a
/// partial pair the share of the shorter text its shared passage makes up.
fn score_of(kind: Kind, m: &Measures) -> f64 {
    let aligned = |f: &dyn Fn(&Alignment) -> f64| m.alignment.as_ref().map_or(m.overlap.jaccard, f);
    match kind {
        Kind::Exact => 1.0,
        Kind::NearDuplicate => m.overlap.jaccard,
        Kind::Excerpt => m.overlap.containment,
        Kind::Spun => aligned(&|al| al.covered_a.min(al.covered_b) * (1.0 - al.edit_rate)),
        Kind::Version => aligned(&|al| al.covered_a.max(al.covered_b)),
        Kind::Partial => aligned(&|al| al.passage.share),
    }
}

/// Judges a candidate pair; `None` if it is not a copy.
pub fn verify(a: &Evidence<'_>, b: &Evidence<'_>, config: &Config) -> Option<Verdict> {
    if a.body_hash == b.body_hash {
        return Some(Verdict::exact());
    }
    if is_title_of(a, b, config) || is_title_of(b, a, config) {
        return Some(Verdict {
            kind: Kind::Excerpt,
            score: 1.0,
            measures: Measures {
                overlap: Overlap::of(a.shingles, b.shingles),
                content: Overlap::of(a.content, b.content),
                alignment: None,
            },
        });
    }
    judge(measure(a, b, config)?, config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_measures() {
        let o = Overlap::of(&[1, 2, 3, 4], &[3, 4, 5, 6, 7, 8]);
        assert!((o.jaccard - 2.0 / 8.0).abs() < 1e-12);
        assert!((o.containment - 0.5).abs() < 1e-12);
        assert_eq!(Overlap::of(&[], &[]).jaccard, 0.0);
    }

    fn measures(jaccard: f64, containment: f64, alignment: Option<Alignment>) -> Measures {
        Measures {
            overlap: Overlap {
                jaccard,
                containment,
            },
            content: Overlap {
                jaccard,
                containment,
            },
            alignment,
        }
    }

    fn aligned(covered: f64, substitution_rate: f64, immutables: f64) -> Option<Alignment> {
        let pair = crate::align::SentencePair {
            a: 0,
            b: 0,
            similarity: 0.8,
        };
        Some(Alignment {
            pairs: vec![pair; 3],
            covered_a: covered,
            covered_b: covered,
            in_order: 1.0,
            substitution_rate,
            edit_rate: substitution_rate,
            swapped_sentences: 1.0,
            immutables,
            filled_rate: 0.0,
            filled: 0,
            passage: crate::align::Passage::default(),
        })
    }

    /// An alignment of everything, agreeing on immutables, with these shares of words filled in
    /// (a number or name for another) and swapped, and this many words filled in.
    fn filled(filled_rate: f64, substitution_rate: f64, words: usize) -> Option<Alignment> {
        let mut al = aligned(1.0, substitution_rate, 0.8)?;
        al.filled_rate = filled_rate;
        al.filled = words;
        Some(al)
    }

    #[test]
    fn judgements_by_kind() {
        let config = Config::default();
        let cases = [
            (
                measures(0.9, 0.95, aligned(1.0, 0.0, 1.0)),
                Some(Kind::NearDuplicate),
            ),
            (
                measures(0.7, 0.8, aligned(1.0, 0.12, 1.0)),
                Some(Kind::Spun),
            ),
            (measures(0.3, 0.98, None), Some(Kind::Excerpt)),
            (
                measures(0.25, 0.4, aligned(0.9, 0.3, 0.9)),
                Some(Kind::Spun),
            ),
            (measures(0.25, 0.4, aligned(0.9, 0.3, 0.1)), None),
            (measures(0.25, 0.4, aligned(0.9, 0.5, 0.9)), None),
            (
                measures(0.95, 0.98, aligned(1.0, 0.12, 1.0)),
                Some(Kind::NearDuplicate),
            ),
            // A template's look-alikes: the wording agrees, the numbers and names do not.
            (measures(0.6, 0.7, aligned(1.0, 0.1, 0.4)), None),
            // ... even where most names agree: a tenth of the words filled in, no word swapped.
            (measures(0.6, 0.7, filled(0.1, 0.0, 8)), None),
            // A spinner that swapped capitalised words too swapped more common words.
            (measures(0.6, 0.7, filled(0.06, 0.1, 8)), Some(Kind::Spun)),
            // A short update: two figures filled in, a tenth of its words.
            (
                measures(0.6, 0.7, filled(0.1, 0.0, 2)),
                Some(Kind::NearDuplicate),
            ),
            // A corrected figure.
            (
                measures(0.8, 0.9, filled(0.02, 0.0, 8)),
                Some(Kind::NearDuplicate),
            ),
            (
                measures(0.95, 0.98, aligned(1.0, 0.0, 0.4)),
                Some(Kind::NearDuplicate),
            ),
            (measures(0.05, 0.1, aligned(0.2, 0.3, 0.9)), None),
            (measures(0.05, 0.1, None), None),
        ];
        for (m, want) in cases {
            let got = judge(m.clone(), &config).map(|v| v.kind);
            assert_eq!(got, want, "{m:?}");
        }
    }

    #[test]
    fn editions_and_shared_passages_are_judged_by_the_passage() {
        let config = Config::default();
        let with = |shorter: f64, longer: f64, words: usize, narrative: usize, immutables: f64| {
            let mut al = aligned(0.0, 0.0, immutables).expect("an alignment");
            (al.covered_a, al.covered_b) = (shorter, longer);
            al.edit_rate = 0.5;
            al.passage = crate::align::Passage {
                sentences: 4,
                words,
                narrative,
                ..Default::default()
            };
            judge(measures(0.1, 0.6, Some(al)), &config).map(|v| v.kind)
        };
        assert_eq!(with(0.7, 0.3, 120, 60, 0.8), Some(Kind::Version));
        // Only quotes shared: no narrative, nothing.
        assert_eq!(with(0.7, 0.3, 120, 0, 0.8), None);
        // A template's items: long shared wording, figures and names apart.
        assert_eq!(with(0.7, 0.3, 120, 60, 0.2), Some(Kind::Partial));
        // A brief inside a long live file: a partial pair.
        assert_eq!(with(0.7, 0.05, 120, 60, 0.8), Some(Kind::Partial));
        assert_eq!(with(0.7, 0.05, 50, 30, 0.8), None);
        // A live file's condensed entry of a story: half the story aligned, loosely, and a passage,
        // but less than half its 3-grams and a third of the vocabulary shared: a partial pair.
        let mut al = aligned(0.0, 0.0, 0.8).expect("an alignment");
        (al.covered_a, al.covered_b, al.edit_rate) = (0.54, 0.15, 0.5);
        al.passage = crate::align::Passage {
            sentences: 4,
            words: 119,
            narrative: 53,
            ..Default::default()
        };
        let entry = |containment: f64, content: f64| {
            let mut m = measures(0.09, containment, Some(al.clone()));
            m.content.jaccard = content;
            judge(m, &config).map(|v| v.kind)
        };
        assert_eq!(entry(0.32, 0.19), Some(Kind::Partial));
        assert_eq!(entry(0.52, 0.19), Some(Kind::Version));
        assert_eq!(entry(0.32, 0.31), Some(Kind::Version));
        // Aligning more pairs (a lower `align_content`) does not loosen what a version is.
        let aligning_more = Config {
            align_content: 0.1,
            ..Config::default()
        };
        let mut m = measures(0.09, 0.32, Some(al.clone()));
        m.content.jaccard = 0.19;
        assert_eq!(
            judge(m, &aligning_more).map(|v| v.kind),
            Some(Kind::Partial)
        );
    }

    #[test]
    fn exact_copies_short_documents_and_headlines() {
        let config = Config::default();
        let p = Profile::new("short text");
        let lazy = || &p;
        let ev = |hash, words, title_hash| Evidence {
            body_hash: hash,
            words,
            shingles: &[1],
            content: &[1],
            profile: &lazy,
            title_hash,
        };
        let kind = |a: &Evidence<'_>, b: &Evidence<'_>| verify(a, b, &config).map(|v| v.kind);
        assert_eq!(kind(&ev(1, 3, 0), &ev(1, 3, 0)), Some(Kind::Exact));
        assert_eq!(kind(&ev(1, 3, 0), &ev(2, 3, 0)), None);
        // A headline-only copy matches the article it heads, and nothing else.
        let headline = ev(7, 5, 7);
        assert_eq!(kind(&headline, &ev(2, 300, 7)), Some(Kind::Excerpt));
        assert_eq!(kind(&ev(2, 300, 7), &headline), Some(Kind::Excerpt));
        assert_eq!(kind(&headline, &ev(2, 300, 8)), None);
        assert_eq!(
            kind(&ev(7, 3, 7), &ev(2, 300, 7)),
            None,
            "three words are too few"
        );
    }

    /// Every kind's score is what `Verdict::score` says it is, and a lightly spun copy of an
    /// article scores above a heavily spun one: on the committed dev sample, in each group that has
    /// both (`d000663` and `d000664` of `d000661`, among others), read from its truth file.
    #[test]
    fn a_light_spin_scores_above_a_heavy_one() {
        use crate::{Corpus, Deduper, Input, NoProgress, ReadOptions};
        use std::collections::HashMap;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample");
        let corpus = Corpus::from_inputs(
            [Input::parse(&format!("{dir}/docs.jsonl"))],
            &ReadOptions::default(),
        )
        .unwrap();
        let outcome = Deduper::new(Config::default())
            .unwrap()
            .run(&corpus, &NoProgress);
        for pair in &outcome.pairs {
            let v = &pair.verdict;
            let m = &v.measures;
            let want = match v.kind {
                Kind::Exact => 1.0,
                Kind::NearDuplicate => m.overlap.jaccard,
                Kind::Excerpt => m.overlap.containment,
                Kind::Spun => {
                    let al = m.alignment.as_ref().expect("a spun copy is aligned");
                    al.covered_a.min(al.covered_b) * (1.0 - al.edit_rate)
                }
                Kind::Version => {
                    let al = m.alignment.as_ref().expect("a version is aligned");
                    al.covered_a.max(al.covered_b)
                }
                Kind::Partial => m.alignment.as_ref().expect("aligned").passage.share,
            };
            assert_eq!(v.score, want, "{:?}", v.kind);
        }
        let score: HashMap<(&str, &str), f64> = outcome
            .pairs
            .iter()
            .flat_map(|p| {
                let (a, b) = (corpus.get(p.a).id.as_str(), corpus.get(p.b).id.as_str());
                [((a, b), p.verdict.score), ((b, a), p.verdict.score)]
            })
            .collect();
        let truth = std::fs::read_to_string(format!("{dir}/truth.jsonl")).unwrap();
        let mut groups: HashMap<String, HashMap<String, String>> = HashMap::new();
        for line in truth.lines() {
            let r: serde_json::Value = serde_json::from_str(line).unwrap();
            let field = |k: &str| r[k].as_str().unwrap().to_owned();
            groups
                .entry(field("group"))
                .or_default()
                .insert(field("kind"), field("id"));
        }
        let mut compared = 0;
        for g in groups.values() {
            let (Some(o), Some(light), Some(heavy)) =
                (g.get("original"), g.get("spun_light"), g.get("spun_heavy"))
            else {
                continue;
            };
            let of = |copy: &String| score[&(o.as_str(), copy.as_str())];
            assert!(
                of(light) > of(heavy),
                "{light} (light) {} <= {heavy} (heavy) {}",
                of(light),
                of(heavy)
            );
            compared += 1;
        }
        assert!(compared >= 6, "{compared} groups with both spins");
    }
}

/// End-to-end checks of the kinds on small real-style corpora in `fixtures/`.
#[cfg(test)]
mod corpus_tests {
    use crate::{Config, Corpus, Deduper, Document, Kind, NoProgress, Outcome};

    /// A fixture's corpus (JSONL) and what `dedupe` makes of it.
    fn run(jsonl: &str) -> (Corpus, Outcome) {
        let corpus = Corpus::from_documents(crate::test_fixtures::documents(jsonl));
        let outcome = Deduper::new(Config::default())
            .expect("default config")
            .run(&corpus, &NoProgress);
        // The summary's table of top clusters counts every kind (it once had room for four).
        let mut summary = Vec::new();
        crate::report::write_top_clusters(&mut summary, &corpus, &outcome, 5, 80)
            .expect("in memory");
        (corpus, outcome)
    }

    /// The pairs of a run, as `(id, id, kind)`.
    fn found<'c>(corpus: &'c Corpus, outcome: &Outcome) -> Vec<(&'c str, &'c str, Kind)> {
        (outcome.pairs.iter())
            .map(|p| {
                (
                    corpus.get(p.a).id.as_str(),
                    corpus.get(p.b).id.as_str(),
                    p.verdict.kind,
                )
            })
            .collect()
    }

    /// The pairs of a run, as `(id, id)`.
    fn linked<'c>(corpus: &'c Corpus, outcome: &Outcome) -> Vec<(&'c str, &'c str)> {
        (found(corpus, outcome).into_iter())
            .map(|(a, b, _)| (a, b))
            .collect()
    }

    #[test]
    fn short_chinese_and_japanese_reprints_pair_and_different_articles_do_not() {
        let (corpus, outcome) = run(include_str!("../fixtures/cjk.jsonl"));
        assert_eq!(
            linked(&corpus, &outcome),
            [("zh-a", "zh-a-edit"), ("ja-a", "ja-a-edit")],
            "{:?}",
            found(&corpus, &outcome)
        );
    }

    #[test]
    fn filled_in_templates_do_not_pair_but_corrected_refilings_do() {
        // Eight bond notices from one template (issuer, amount, coupon, dates, banks differ), a
        // corrected re-filing of one and a trimmed version of another.
        let (corpus, outcome) = run(include_str!("../fixtures/templates/bond-notices.jsonl"));
        assert_eq!(
            linked(&corpus, &outcome),
            [("bond-1", "bond-1-corrected"), ("bond-5", "bond-5-trimmed")]
        );
        assert!(found(&corpus, &outcome)
            .iter()
            .all(|(_, _, kind)| *kind != Kind::Spun));
    }

    /// A two-sentence flash and its update, a count of dead and of injured changed: two figures
    /// filled in, as a template's items fill most of a dozen, so the update pairs.
    #[test]
    fn a_short_update_of_a_count_pairs_though_its_figures_changed() {
        let flash = |dead: u32, injured: u32| {
            format!(
                "KIRKUK, July 15, 2018 - A car bomb exploded near a market in the city on Sunday \
                 and kills {dead} people, police said. At least {injured} injured were taken to \
                 hospitals, an official told reporters."
            )
        };
        let (a, b) = (
            Document::new("flash", flash(12, 30)),
            Document::new("update", flash(19, 26)),
        );
        // Filled in at a template's rate, but two fields only.
        let deduper = Deduper::new(Config::default()).expect("default config");
        let cmp = deduper.compare(&a, &b);
        let verdict = cmp.verdict.expect("a copy");
        let al = verdict.measures.alignment.as_ref().expect("aligned");
        assert!(al.filled_rate >= super::TEMPLATE_FILLS, "{al:?}");
        assert_eq!(al.filled, 2, "{al:?}");
        assert!(
            matches!(verdict.kind, Kind::NearDuplicate | Kind::Version),
            "{verdict:?}"
        );
        let corpus = Corpus::from_documents([a, b]);
        let outcome = deduper.run(&corpus, &NoProgress);
        assert_eq!(outcome.pairs.len(), 1);
        assert_eq!(outcome.clusters.len(), 1);
    }

    /// Real Helsinki bodies (2018, stripped): two editions of one Washington Post story and two of
    /// an AP story (each side with paragraphs of its own), a preview embedding a three-paragraph
    /// AP brief, and a Reuters brief and a Fox News story that share only a quoted tweet.
    #[test]
    fn editions_are_versions_a_shared_brief_is_partial_and_a_shared_tweet_is_nothing() {
        let (corpus, outcome) = run(include_str!("../fixtures/realnews/kinds.jsonl"));
        let want = [
            ("h1070", "h6949", Kind::Version),
            ("h2165", "h14088", Kind::Partial),
            ("h4273", "h10315", Kind::Version),
        ];
        assert_eq!(found(&corpus, &outcome), want);
        // A partial pair joins no cluster: the two editions make the only groups.
        // The pairs file shows the shared passage of a partial pair: the AP brief's five sentences.
        let partial = &outcome.pairs[1];
        let record = crate::report::VerdictRecord::new(&partial.verdict);
        let passage = record.passage.expect("a partial pair's passage");
        assert_eq!((passage.sentences, passage.words), (5, 118));
        // `compare` says so too: not copies, but a shared passage.
        let docs: Vec<Document> =
            crate::test_fixtures::documents(include_str!("../fixtures/realnews/kinds.jsonl"))
                .into_iter()
                .filter(|d| d.id == "h2165" || d.id == "h14088")
                .collect();
        let deduper = Deduper::new(Config::default()).expect("default config");
        let cmp = deduper.compare(&docs[0], &docs[1]);
        let record = crate::report::explain::ComparisonRecord::new(&docs[0], &docs[1], &cmp);
        assert_eq!((record.copies, record.kind), (false, Some(Kind::Partial)));
        assert_eq!(outcome.clusters.len(), 2);
        assert!(outcome.clusters.iter().all(|c| c.members.len() == 2));
    }

    /// Real Helsinki bodies (2018, stripped): an AP "News in Brief" digest (h6464) holding the first
    /// paragraphs of two AP stories among unrelated briefs (h35, h1197), and an AP "The Latest"
    /// live file (h1695) with a condensed entry of an AP story (h5632). Each pair shares a passage
    /// of several sentences but little of either text (a third of the shorter's 3-grams): they are
    /// candidates by the passage anchors alone, and partial pairs, never versions.
    #[test]
    fn a_digest_and_a_live_file_share_passages_with_stories_as_partial_pairs() {
        let (corpus, outcome) = run(include_str!("../fixtures/realnews/digests.jsonl"));
        assert_eq!(
            found(&corpus, &outcome),
            [
                ("h6464", "h35", Kind::Partial),
                ("h6464", "h1197", Kind::Partial),
                ("h1695", "h5632", Kind::Partial),
            ]
        );
        assert!(outcome.clusters.is_empty());
    }

    /// Wire items (`tools/wire_fixture.py`): ten real Reuters earnings tables and three written
    /// template families (monthly machinery orders, contract awards, weekly crop ratings), with
    /// repeats, corrected re-filings (one figure changed, "(Corrects ...)"), trimmed versions and
    /// an update of single items. Every labelled copy is found, no two items of one template are
    /// paired at all (they were `spun`, `near_duplicate` and `partial` before: precision 0.774),
    /// and no cluster holds two items.
    #[test]
    fn template_items_make_no_pair_and_refilings_repeats_and_trims_are_copies() {
        use std::collections::HashMap;
        let (corpus, outcome) = run(include_str!("../fixtures/templates/wire-items.jsonl"));
        let corpus = &corpus;
        let cluster_of: HashMap<&str, usize> = outcome
            .clusters
            .iter()
            .enumerate()
            .flat_map(|(i, c)| {
                c.members
                    .iter()
                    .map(move |&m| (corpus.get(m).id.as_str(), i))
            })
            .collect();
        let paired: Vec<(&str, &str)> = outcome
            .pairs
            .iter()
            .map(|p| (corpus.get(p.a).id.as_str(), corpus.get(p.b).id.as_str()))
            .collect();
        let labels = include_str!("../fixtures/templates/wire-labels.jsonl");
        let (mut copies, mut distinct) = (0, 0);
        for line in labels.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("label line");
            let (a, b) = (v["a"].as_str().expect("a"), v["b"].as_str().expect("b"));
            let together = cluster_of.contains_key(a) && cluster_of.get(a) == cluster_of.get(b);
            if v["label"] == "copy" {
                assert!(together, "copy {a} {b} missed");
                copies += 1;
            } else {
                assert!(!together, "{a} {b} merged");
                assert!(
                    !paired.contains(&(a, b)) && !paired.contains(&(b, a)),
                    "{a} {b} paired"
                );
                distinct += 1;
            }
        }
        assert_eq!((copies, distinct), (24, 278));
    }

    #[test]
    fn reuters_earnings_briefs_are_one_template_and_make_no_pair() {
        let (corpus, outcome) = run(include_str!(
            "../fixtures/templates/reuters-earnings-briefs-80.jsonl"
        ));
        assert!(outcome.pairs.is_empty(), "{:?}", found(&corpus, &outcome));
    }
}
