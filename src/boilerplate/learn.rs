//! Chrome learned from the corpus itself: lines that recur across many documents that otherwise
//! differ, in the spirit of the line-frequency filters of web corpora (C4, Gopher, onion).
//!
//! Frequency alone cannot tell chrome from a story that twenty outlets reprinted: both are lines that
//! recur in many documents. What differs is what *else* those documents share. A line is learned as
//! chrome when it is frequent (in at least `min_df` documents corpus-wide, or `min_source_df`
//! documents of one `source`) and either
//! - short (at most `short_words` words: "Advertisement", "Sign up", a section label), whose loss costs
//!   a copy nothing, or
//! - on average, the lines that recur with it make up at most `max_block_share` of each document it
//!   appears in. A reprinted story recurs together with its other paragraphs, which together are
//!   most of each copy; a site's footer recurs with the rest of the footer, a minority of each page.
//!
//! Lines "recur with it" when they stand in the same document and recur in a number of documents
//! within a factor of two of its own; this needs one pass over the documents and no pairwise
//! comparison.
//!
//! Where documents name their `source`, one more fact tells a site from a story: a long line of
//! prose ([`is_prose`](crate::boilerplate::is_prose)) that at least [`CROSS_SOURCES`] sources print,
//! none of them in half its documents or more, is never chrome. A site's chrome recurs within the
//! site; a wire paragraph that a dozen outlets reprint inside much other material (weather,
//! captions, other stories) is still the article. Articles that only share such a paragraph (a
//! quote, a tweet) are then kept apart by verification, not by deleting the paragraph.

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

/// A kept line of one document, as learning sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineKey {
    /// xxh3 of the normalised line.
    pub hash: u64,
    /// Words in the line.
    pub words: u32,
    /// Bytes of the line.
    pub bytes: u32,
    /// Whether the line reads as a paragraph of prose (see
    /// [`is_prose`](crate::boilerplate::is_prose)).
    pub prose: bool,
    /// Words in the line that begin with a digit: figures (counted only in lines that are not
    /// prose).
    pub figures: u32,
}

#[cfg(test)]
impl LineKey {
    /// A test line of `words` words (six bytes each), neither prose nor figures.
    pub(crate) fn of_words(hash: u64, words: u32) -> LineKey {
        LineKey {
            hash,
            words,
            bytes: words * 6,
            prose: false,
            figures: 0,
        }
    }
}

/// Thresholds for learning chrome; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearnConfig {
    /// Minimum corpus-wide document frequency of a chrome line.
    pub min_df: usize,
    /// Minimum document frequency within one source of a chrome line.
    pub min_source_df: usize,
    /// Learned lines this short are certain chrome; longer ones are inferences.
    pub short_words: usize,
    /// Frequent lines are chrome if what recurs with them is at most this share of a document.
    pub max_block_share: f64,
}

/// One document's kept lines and its source, as input to [`LearnedChrome::learn`].
#[derive(Debug, Clone, Copy)]
pub struct DocLines<'a> {
    /// The document's `source` metadata, if any.
    pub source: Option<&'a str>,
    /// Its lines, in order.
    pub lines: &'a [LineKey],
}

/// The set of normalised lines learned as chrome.
#[derive(Debug, Clone, Default)]
pub struct LearnedChrome {
    lines: FxHashSet<u64>,
    /// The learned lines that recur within one source: a site's own chrome.
    site_lines: FxHashSet<u64>,
    short_words: usize,
}

/// How many times each value of a sorted list occurs: every value with its count, in order, and a
/// map of those that occur twice or more. Most lines of a corpus of distinct articles stand in one
/// document: a map of every value (some 218,000 lines at 20k) took most of learning's time to
/// build, on one thread, and was looked up at random.
struct Counts<T> {
    runs: Vec<(T, u32)>,
    repeated: FxHashMap<T, u32>,
}

impl<T: Copy + Eq + std::hash::Hash> Counts<T> {
    fn of_sorted(sorted: &[T]) -> Counts<T> {
        let runs: Vec<(T, u32)> = sorted
            .chunk_by(|x, y| x == y)
            .map(|run| (run[0], run.len() as u32))
            .collect();
        let repeated = runs.iter().copied().filter(|&(_, n)| n > 1).collect();
        Counts { runs, repeated }
    }

    /// The count of a value of the list (one if it is not in the map).
    fn of(&self, value: T) -> u32 {
        self.repeated.get(&value).copied().unwrap_or(1)
    }
}

impl LearnedChrome {
    /// Learns chrome from a corpus.
    pub fn learn(docs: &[DocLines<'_>], config: &LearnConfig) -> LearnedChrome {
        // Document frequencies, corpus-wide and per source: each document's distinct lines (in
        // parallel), counted by sorting them. Line hashes are xxh3 values already: Fx's one
        // multiply spreads them well enough as keys.
        let distinct_lines: Vec<Vec<u64>> =
            docs.par_iter().map(|doc| distinct(doc.lines)).collect();
        let mut source_ids: FxHashMap<&str, u32> = FxHashMap::default();
        let doc_sources: Vec<Option<u32>> = docs
            .iter()
            .map(|doc| {
                let next = source_ids.len() as u32;
                doc.source
                    .map(|source| *source_ids.entry(source).or_insert(next))
            })
            .collect();
        // The two counts side by side.
        let (df, source_df) = rayon::join(
            || {
                let mut all: Vec<u64> = distinct_lines.concat();
                all.par_sort_unstable();
                Counts::of_sorted(&all)
            },
            || {
                let mut by_source: Vec<(u32, u64)> = distinct_lines
                    .par_iter()
                    .zip(&doc_sources)
                    .filter_map(|(lines, source)| source.map(|s| (lines, s)))
                    .flat_map_iter(|(lines, s)| lines.iter().map(move |&h| (s, h)))
                    .collect();
                by_source.par_sort_unstable();
                Counts::of_sorted(&by_source)
            },
        );
        let frequent = |h: u64, source: Option<u32>| {
            df.of(h) as usize >= config.min_df
                || source.is_some_and(|s| source_df.of((s, h)) as usize >= config.min_source_df)
        };

        // For every frequent line of every document, the share of the document that recurs along
        // with it (in parallel, by document)...
        let shares: Vec<Vec<(u64, f64)>> = docs
            .par_iter()
            .zip(&doc_sources)
            .map(|(doc, &source)| {
                block_shares(doc.lines, |h| f64::from(df.of(h)), |h| frequent(h, source))
            })
            .collect();
        // ...summed per line in document order, so the sums do not depend on the thread count.
        let mut share_sum: FxHashMap<u64, (f64, u32)> = FxHashMap::default();
        for (hash, share) in shares.into_iter().flatten() {
            let entry = share_sum.entry(hash).or_insert((0.0, 0));
            entry.0 += share;
            entry.1 += 1;
        }
        let mut lines: FxHashSet<u64> = share_sum
            .into_iter()
            .filter(|&(_, (sum, n))| sum / f64::from(n) <= config.max_block_share)
            .map(|(h, _)| h)
            .collect();
        // A paragraph of prose that many sources print, none of them in most of its documents, is
        // a wire story's text (or a statement many articles quote), not any site's chrome: kept.
        let prose: FxHashSet<u64> = docs
            .iter()
            .flat_map(|doc| doc.lines)
            .filter(|l| {
                l.prose && l.words as usize >= super::PROSE_WORDS && lines.contains(&l.hash)
            })
            .map(|l| l.hash)
            .collect();
        if !prose.is_empty() {
            // Per prose line: the sources printing it, and the most documents in one of them.
            let mut spread: FxHashMap<u64, (u32, u32)> = FxHashMap::default();
            for &((_, h), n) in &source_df.runs {
                if prose.contains(&h) {
                    let entry = spread.entry(h).or_insert((0, 0));
                    entry.0 += 1;
                    entry.1 = entry.1.max(n);
                }
            }
            lines.retain(|h| {
                !spread.get(h).is_some_and(|&(sources, most)| {
                    is_spread_across_sources(sources, most, df.of(*h))
                })
            });
        }
        let site_lines = (source_df.runs.iter())
            .filter(|&&((_, h), n)| n as usize >= config.min_source_df && lines.contains(&h))
            .map(|&((_, h), _)| h)
            .collect();
        LearnedChrome {
            lines,
            site_lines,
            short_words: config.short_words,
        }
    }

    /// Chrome given line by line, as `(hash, site)`: the hash of a normalised line and whether it
    /// is a site's own chrome. An index builds one from its line statistics for each document it
    /// prepares.
    pub fn from_lines(
        lines: impl IntoIterator<Item = (u64, bool)>,
        short_words: usize,
    ) -> LearnedChrome {
        let mut chrome = LearnedChrome {
            short_words,
            ..LearnedChrome::default()
        };
        for (hash, site) in lines {
            chrome.lines.insert(hash);
            if site {
                chrome.site_lines.insert(hash);
            }
        }
        chrome
    }

    /// Whether a learned line recurs within one source's documents: that site's own chrome, even
    /// where it stands first.
    pub fn is_site_chrome(&self, hash: u64) -> bool {
        self.site_lines.contains(&hash)
    }

    /// Whether a line of this many words is short enough to be chrome wherever it stands.
    pub fn is_short(&self, words: u32) -> bool {
        words as usize <= self.short_words
    }

    /// Whether a normalised line (by hash) is chrome.
    pub fn contains(&self, hash: u64) -> bool {
        self.lines.contains(&hash)
    }

    /// Number of learned chrome lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether nothing was learned.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// A prose line printed by this many sources or more (none holding half its documents) is article
/// text. Three: a site's chrome is one source's, or a network's few sister sites'; on the Helsinki
/// pages, the AP paragraphs the block test learned stand in 7 to 14 outlets each.
pub const CROSS_SOURCES: usize = 3;

/// For every frequent line of one document, the share of the document (in bytes) that recurs along
/// with it: its distinct recurring lines (in two documents or more, by `df`) whose frequency is
/// within a factor of two of the line's own. Lines below the frequency threshold still count as
/// recurring with a frequent one: a story's paragraphs in three copies recur with its lead
/// paragraph in four. The step the batch learner runs per document, and distributed engines too.
pub fn block_shares(
    lines: &[LineKey],
    df: impl Fn(u64) -> f64,
    frequent: impl Fn(u64) -> bool,
) -> Vec<(u64, f64)> {
    let doc_bytes: u64 = lines.iter().map(|l| u64::from(l.bytes)).sum();
    if doc_bytes == 0 {
        return Vec::new();
    }
    // Each distinct recurring line once, even if a document repeats it, with its frequency
    // (looked up once: every pair of them is compared).
    let mut recurring: Vec<(&LineKey, f64)> = lines
        .iter()
        .map(|l| (l, df(l.hash)))
        .filter(|&(_, df)| df >= 2.0)
        .collect();
    recurring.sort_unstable_by_key(|(l, _)| l.hash);
    recurring.dedup_by_key(|(l, _)| l.hash);
    recurring
        .iter()
        .filter(|(l, _)| frequent(l.hash))
        .map(|&(line, own)| {
            let block: u64 = recurring
                .iter()
                .filter(|&&(_, d)| d >= own / 2.0 && d <= own * 2.0)
                .map(|(o, _)| u64::from(o.bytes))
                .sum();
            (line.hash, block as f64 / doc_bytes as f64)
        })
        .collect()
}

/// Whether a prose line (of [`PROSE_WORDS`](super::PROSE_WORDS) words or more) is a story's text
/// rather than a site's chrome by how it spreads: printed by [`CROSS_SOURCES`] sources or more, none
/// of them holding half its `df` documents (`most` is the most documents of one source). The one
/// definition for the batch learner, the index's incremental chrome and the engine stages.
pub fn is_spread_across_sources(sources: u32, most: u32, df: u32) -> bool {
    sources as usize >= CROSS_SOURCES && most.saturating_mul(2) <= df
}

/// The distinct hashes of some lines, sorted.
fn distinct(lines: &[LineKey]) -> Vec<u64> {
    let mut hashes: Vec<u64> = lines.iter().map(|l| l.hash).collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: LearnConfig = LearnConfig {
        min_df: 4,
        min_source_df: 3,
        short_words: 3,
        max_block_share: 0.5,
    };

    fn learn(docs: &[Vec<LineKey>], source: Option<&str>) -> LearnedChrome {
        let views: Vec<DocLines> = docs
            .iter()
            .map(|lines| DocLines { source, lines })
            .collect();
        LearnedChrome::learn(&views, &CONFIG)
    }

    fn line(hash: u64, words: u32) -> LineKey {
        LineKey::of_words(hash, words)
    }

    /// Every value of a sorted list is counted, in order; the map holds only the repeated ones,
    /// and a value missing from it counts once.
    #[test]
    fn counts_keep_every_value_and_map_the_repeated_ones() {
        let counts = Counts::of_sorted(&[1u64, 2, 2, 5, 7, 7, 7]);
        assert_eq!(counts.runs, [(1, 1), (2, 2), (5, 1), (7, 3)]);
        assert_eq!(counts.repeated.len(), 2);
        let of: Vec<u32> = [1, 2, 5, 7].map(|v| counts.of(v)).to_vec();
        assert_eq!(of, [1, 2, 1, 3]);
    }

    #[test]
    fn footer_shared_by_different_articles_is_chrome() {
        // Ten articles of 40 words each, every one followed by the same 20-word footer.
        let docs: Vec<Vec<LineKey>> = (0..10)
            .map(|i| vec![line(100 + i, 40), line(1, 20)])
            .collect();
        let chrome = learn(&docs, None);
        assert!(chrome.contains(1));
        assert_eq!(chrome.len(), 1);
    }

    #[test]
    fn a_story_reprinted_by_many_outlets_is_not_chrome() {
        // One four-paragraph story in ten outlets, each with its own one-line header and footer.
        let docs: Vec<Vec<LineKey>> = (0..10)
            .map(|i| {
                vec![
                    line(100 + i, 10),
                    line(1, 30),
                    line(2, 30),
                    line(3, 30),
                    line(4, 30),
                    line(200 + i, 10),
                ]
            })
            .collect();
        assert!(learn(&docs, None).is_empty());
    }

    #[test]
    fn a_title_that_recurs_with_its_story_is_not_chrome_but_a_label_is() {
        // Five copies of a story (title 1, paragraphs 2 and 3), each with an "Advertisement" line (9)
        // that also appears in twenty other articles.
        let mut docs: Vec<Vec<LineKey>> = (0..5)
            .map(|i| {
                vec![
                    line(1, 6),
                    line(2, 40),
                    line(9, 1),
                    line(3, 40),
                    line(100 + i, 10),
                ]
            })
            .collect();
        docs.extend((0..20).map(|i| vec![line(200 + i, 60), line(9, 1)]));
        let chrome = learn(&docs, None);
        assert!(chrome.contains(9));
        assert!(!chrome.contains(1) && !chrome.contains(2) && !chrome.contains(3));
        assert!(chrome.is_short(1) && !chrome.is_short(40));
    }

    #[test]
    fn a_lead_paragraph_quoted_by_an_excerpt_recurs_with_the_rest_of_its_story() {
        // Original and two syndicated copies (paragraphs 2..6 in three documents), and an excerpt that
        // keeps the lead (1, now in four) followed by a list of links found in thirty documents.
        let mut docs: Vec<Vec<LineKey>> = (0..3)
            .map(|_| (1..7).map(|p| line(p, 40)).collect())
            .collect();
        docs.push(vec![line(1, 40), line(50, 5), line(51, 5), line(52, 5)]);
        docs.extend(
            (0..30).map(|i| vec![line(100 + i, 60), line(50, 5), line(51, 5), line(52, 5)]),
        );
        let chrome = learn(&docs, None);
        assert!(!chrome.contains(1), "the lead paragraph is not chrome");
        assert!(chrome.contains(50) && chrome.contains(51) && chrome.contains(52));
    }

    #[test]
    fn lines_repeated_within_one_source_are_learned_below_the_corpus_threshold() {
        let docs: Vec<Vec<LineKey>> = (0..3)
            .map(|i| vec![line(100 + i, 40), line(7, 12)])
            .collect();
        let chrome = learn(&docs, Some("site"));
        assert!(chrome.contains(7) && chrome.is_site_chrome(7));
        assert!(learn(&docs, None).is_empty());
    }
}
