//! Chrome learned from a stream: the line statistics an index keeps, and the decision they support.
//!
//! The batch pipeline learns chrome from the whole corpus at once ([`LearnedChrome::learn`]): a line
//! is chrome if it is frequent (in `min_df` documents, or `min_source_df` of one source) and what
//! recurs with it is, on average over the documents it stands in, at most `max_block_share` of each.
//! An index keeps, for every line key, the number of documents it stands in and the sum of the
//! block shares recorded for it so far, and per (source, line) the number of that source's
//! documents; the same test then runs for one new document against the statistics of everything
//! held, this document counted.
//!
//! [`LearnedChrome::learn`]: crate::boilerplate::LearnedChrome::learn

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::boilerplate::{is_spread_across_sources, LineKey, PROSE_WORDS};
use crate::config::BoilerplateConfig;

/// What an index knows of one line (by the hash of its normalised text).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct LineStat {
    /// Documents the line stands in.
    pub df: u32,
    /// Sum of the block shares recorded for it (one per document in which it was frequent).
    pub share_sum: f32,
    /// Number of shares summed.
    pub share_n: u32,
    /// Distinct sources that print it.
    pub sources: u32,
    /// The most documents of one source that print it, at the most it has been (a removal does not
    /// lower it: it stays an upper bound, which only keeps fewer lines as cross-source prose).
    pub most: u32,
}

impl LineStat {
    pub(crate) fn encode(&self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out[..4].copy_from_slice(&self.df.to_be_bytes());
        out[4..8].copy_from_slice(&self.share_sum.to_be_bytes());
        out[8..12].copy_from_slice(&self.share_n.to_be_bytes());
        out[12..16].copy_from_slice(&self.sources.to_be_bytes());
        out[16..].copy_from_slice(&self.most.to_be_bytes());
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> LineStat {
        let word = |i: usize| {
            bytes
                .get(i..i + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .unwrap_or_default()
        };
        LineStat {
            df: u32::from_be_bytes(word(0)),
            share_sum: f32::from_be_bytes(word(4)),
            share_n: u32::from_be_bytes(word(8)),
            sources: u32::from_be_bytes(word(12)),
            most: u32::from_be_bytes(word(16)),
        }
    }
}

/// The key of a (source, line) count.
pub(crate) fn source_line_key(source: &str, line: u64) -> u64 {
    xxh3_64_with_seed(&line.to_le_bytes(), xxh3_64(source.as_bytes()))
}

/// The decision for one document.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct DocChrome {
    /// Its lines that are chrome, with whether each is its source's own chrome.
    pub lines: Vec<(u64, bool)>,
    /// The block share this document records for each of its frequent lines.
    pub shares: Vec<(u64, f32)>,
}

/// Decides which of a document's kept lines (`keys`, after the rules) are chrome. `stat(h)` and
/// `source_df(h)` give the statistics of line `h` *with this document counted*; `own_share_counted`
/// says whether this document's shares are already in the sums (a stored document prepared again)
/// or not (a new one).
pub(crate) fn decide(
    keys: &[LineKey],
    has_source: bool,
    stat: &dyn Fn(u64) -> LineStat,
    source_df: &dyn Fn(u64) -> u32,
    own_share_counted: bool,
    config: &BoilerplateConfig,
) -> DocChrome {
    let doc_bytes: u64 = keys.iter().map(|l| u64::from(l.bytes)).sum();
    if doc_bytes == 0 {
        return DocChrome::default();
    }
    // Each distinct recurring line once, with its statistics, as `LearnedChrome::learn` takes them.
    let mut recurring: Vec<(&LineKey, LineStat)> = keys
        .iter()
        .map(|l| (l, stat(l.hash)))
        .filter(|(_, s)| s.df >= 2)
        .collect();
    recurring.sort_unstable_by_key(|(l, _)| l.hash);
    recurring.dedup_by_key(|(l, _)| l.hash);
    let mut out = DocChrome::default();
    for &(line, s) in &recurring {
        let sdf = if has_source { source_df(line.hash) } else { 0 };
        let frequent = s.df as usize >= config.min_df || sdf as usize >= config.min_source_df;
        if !frequent {
            continue;
        }
        let own = f64::from(s.df);
        let block: u64 = recurring
            .iter()
            .filter(|(_, o)| f64::from(o.df) >= own / 2.0 && f64::from(o.df) <= own * 2.0)
            .map(|(o, _)| u64::from(o.bytes))
            .sum();
        let share = block as f64 / doc_bytes as f64;
        let (sum, n) = if own_share_counted {
            (f64::from(s.share_sum), s.share_n)
        } else {
            (f64::from(s.share_sum) + share, s.share_n + 1)
        };
        out.shares.push((line.hash, share as f32));
        // A paragraph of prose that many sources print, none of them in half its documents, is a
        // story's text (a wire paragraph, a quoted statement), not a site's chrome: as
        // `LearnedChrome::learn` keeps it.
        let cross_source_prose = line.prose
            && line.words as usize >= PROSE_WORDS
            && is_spread_across_sources(s.sources, s.most, s.df);
        if sum / f64::from(n.max(1)) <= config.max_block_share && !cross_source_prose {
            out.lines
                .push((line.hash, sdf as usize >= config.min_source_df));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(hash: u64, words: u32) -> LineKey {
        LineKey::of_words(hash, words)
    }

    #[test]
    fn a_prose_line_many_sources_print_is_kept_and_one_sites_line_goes() {
        let config = BoilerplateConfig::default();
        let paragraph = LineKey {
            prose: true,
            ..key(7, 30)
        };
        let keys = [key(1, 40), key(2, 40), paragraph, key(9, 12)];
        // Line 7 (a wire paragraph) and line 9 (a footer) both stand in twenty documents, among
        // other material; the paragraph in eight sources, the footer in one.
        let stat = |h: u64| match h {
            7 => LineStat {
                df: 21,
                share_sum: 2.0,
                share_n: 20,
                sources: 8,
                most: 4,
            },
            9 => LineStat {
                df: 21,
                share_sum: 2.0,
                share_n: 20,
                sources: 1,
                most: 21,
            },
            _ => LineStat {
                df: 1,
                ..LineStat::default()
            },
        };
        let chrome = decide(
            &keys,
            true,
            &stat,
            &|h| if h == 9 { 21 } else { 4 },
            false,
            &config,
        );
        assert_eq!(chrome.lines, vec![(9, true)]);
        // The same paragraph, mostly printed by one source: that source's chrome.
        let one_site = |h: u64| LineStat {
            most: 15,
            ..stat(h)
        };
        let chrome = decide(&keys, true, &one_site, &|_| 15, false, &config);
        assert_eq!(chrome.lines, vec![(7, true), (9, true)]);
    }

    #[test]
    fn a_footer_seen_in_many_documents_is_chrome_and_a_reprinted_story_is_not() {
        let config = BoilerplateConfig::default();
        // An article (lines 1..3, new) with a footer (9) that twenty documents have.
        let keys = [key(1, 40), key(2, 40), key(3, 40), key(9, 12)];
        let stat = |h: u64| LineStat {
            df: if h == 9 { 21 } else { 1 },
            share_sum: if h == 9 { 2.0 } else { 0.0 },
            share_n: if h == 9 { 20 } else { 0 },
            ..LineStat::default()
        };
        let chrome = decide(&keys, false, &stat, &|_| 0, false, &config);
        assert_eq!(chrome.lines, vec![(9, false)]);
        // The same story in ten outlets: every paragraph recurs with the others.
        let story = |_: u64| LineStat {
            df: 10,
            share_sum: 8.0,
            share_n: 9,
            ..LineStat::default()
        };
        let chrome = decide(&keys[..3], false, &story, &|_| 0, false, &config);
        assert!(chrome.lines.is_empty());
        assert_eq!(chrome.shares.len(), 3);
    }

    #[test]
    fn line_statistics_round_trip() {
        let s = LineStat {
            df: 7,
            share_sum: 1.5,
            share_n: 3,
            sources: 2,
            most: 5,
        };
        assert_eq!(LineStat::decode(&s.encode()), s);
        assert_eq!(LineStat::decode(&[]), LineStat::default());
    }
}
