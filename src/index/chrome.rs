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
use std::collections::BTreeSet;

use rustc_hash::FxHashMap as HashMap;

use crate::index::store::{ReadTxn, StoreError, Table, Tally, WriteTxn};

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

/// Line statistics are kept as changes added up ([`Tally`]): the counts wrap, so that a removal's
/// change is a count of `-1`; the most documents of one source is the most of any change. When a
/// line's last document goes, its change is a *reset* (the top bit of `most`): everything before
/// it is forgotten, as the line's entry was deleted when statistics were rows of a table, so that
/// a line printed again starts afresh whenever the runs are merged.
impl Tally for LineStat {
    const TAG: u8 = 0x10;
    const WIDTH: usize = 20;

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend(LineStat::encode(self));
    }

    fn decode(bytes: &[u8]) -> LineStat {
        LineStat::decode(bytes)
    }

    fn add(&mut self, later: &LineStat) {
        if later.most & RESET != 0 {
            *self = *later;
            return;
        }
        self.df = self.df.wrapping_add(later.df);
        self.share_sum += later.share_sum;
        self.share_n = self.share_n.wrapping_add(later.share_n);
        self.sources = self.sources.wrapping_add(later.sources);
        self.most = (self.most & RESET) | (self.most & !RESET).max(later.most);
    }

    fn is_empty(&self) -> bool {
        self.df == 0
    }
}

/// The top bit of a change's `most`: the change forgets every change before it.
const RESET: u32 = 1 << 31;

impl LineStat {
    /// The change from `self` to `after` (totals, not changes), which added to `self` gives
    /// `after`: a reset if `after` counts no document, else differences (its `most` is `after`'s:
    /// a most is not lowered while the line is held).
    pub(crate) fn change_to(&self, after: &LineStat) -> LineStat {
        if after.df == 0 {
            return LineStat {
                most: RESET,
                ..LineStat::default()
            };
        }
        LineStat {
            df: after.df.wrapping_sub(self.df),
            share_sum: after.share_sum - self.share_sum,
            share_n: after.share_n.wrapping_sub(self.share_n),
            sources: after.sources.wrapping_sub(self.sources),
            most: after.most,
        }
    }

    /// A total as read: without a reset's mark.
    fn total(mut self) -> LineStat {
        self.most &= !RESET;
        self
    }
}

/// The documents of one source that print one line, kept as changes added up ([`Tally`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct SourceCount(pub u32);

impl Tally for SourceCount {
    const TAG: u8 = 0x11;
    const WIDTH: usize = 4;

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend(self.0.to_be_bytes());
    }

    fn decode(bytes: &[u8]) -> SourceCount {
        SourceCount(bytes.try_into().map_or(0, u32::from_be_bytes))
    }

    fn add(&mut self, later: &SourceCount) {
        self.0 = self.0.wrapping_add(later.0);
    }

    fn is_empty(&self) -> bool {
        self.0 == 0
    }
}

/// The key of a (source, line) count.
pub(crate) fn source_line_key(source: &str, line: u64) -> u64 {
    xxh3_64_with_seed(&line.to_le_bytes(), xxh3_64(source.as_bytes()))
}

/// Meta key of the number of distinct lines held.
pub(crate) const LINES_KEY: &[u8] = b"lines";

/// Line statistics as held in a snapshot, for the lines (and (source, line) keys) of some
/// documents, read together in one pass over the runs. Lines absent are counted nowhere.
#[derive(Debug, Default)]
pub(crate) struct HeldLines {
    stats: HashMap<u64, LineStat>,
    sources: HashMap<u64, u32>,
}

impl HeldLines {
    /// The statistics of the distinct lines of `docs` (a document's source, if any, and its line
    /// keys) as held in `r`.
    pub(crate) fn read<'a>(
        r: &impl ReadTxn,
        docs: impl IntoIterator<Item = (Option<&'a str>, &'a [LineKey])>,
    ) -> Result<HeldLines, StoreError> {
        let mut held = HeldLines::default();
        held.ensure(r, docs)?;
        Ok(held)
    }

    /// Reads the statistics of the lines of `docs` not read yet.
    pub(crate) fn ensure<'a>(
        &mut self,
        r: &impl ReadTxn,
        docs: impl IntoIterator<Item = (Option<&'a str>, &'a [LineKey])>,
    ) -> Result<(), StoreError> {
        let (mut lines, mut keys) = (Vec::new(), Vec::new());
        for (source, doc_lines) in docs {
            for line in doc_lines {
                if !self.stats.contains_key(&line.hash) {
                    lines.push(line.hash);
                }
                if let Some(source) = source {
                    let key = source_line_key(source, line.hash);
                    if !self.sources.contains_key(&key) {
                        keys.push(key);
                    }
                }
            }
        }
        for list in [&mut lines, &mut keys] {
            list.sort_unstable();
            list.dedup();
        }
        let stats = r.tallies::<LineStat>(&lines)?;
        (self.stats).extend(
            lines
                .into_iter()
                .zip(stats.into_iter().map(LineStat::total)),
        );
        let counts = r.tallies::<SourceCount>(&keys)?;
        (self.sources).extend(keys.into_iter().zip(counts.into_iter().map(|c| c.0)));
        Ok(())
    }

    /// The statistics of line `h` (read by [`ensure`](Self::ensure)).
    pub(crate) fn stat(&self, h: u64) -> LineStat {
        self.stats.get(&h).copied().unwrap_or_default()
    }

    /// The documents of a source that print a line, by [`source_line_key`].
    pub(crate) fn source(&self, key: u64) -> u32 {
        self.sources.get(&key).copied().unwrap_or(0)
    }
}

/// A write transaction's view of the line statistics: as held (those read so far), and its own
/// changes, filed as runs when it ends.
#[derive(Debug, Default)]
pub(crate) struct LineChanges {
    /// The statistics read of the lines the transaction touches, as committed.
    pub held: HeldLines,
    lines: HashMap<u64, LineStat>,
    sources: HashMap<u64, SourceCount>,
    /// Lines that came to be held, less those that ceased to be.
    new_lines: i64,
}

impl LineChanges {
    /// Reads the committed statistics of the lines of `docs` not read yet.
    pub(crate) fn ensure<'a>(
        &mut self,
        r: &impl ReadTxn,
        docs: impl IntoIterator<Item = (Option<&'a str>, &'a [LineKey])>,
    ) -> Result<(), StoreError> {
        self.held.ensure(r, docs)
    }

    /// The statistics of line `h` now: as held, with this transaction's changes.
    fn line(&self, h: u64) -> LineStat {
        let mut s = self.held.stat(h);
        if let Some(change) = self.lines.get(&h) {
            s.add(change);
        }
        s.total()
    }

    fn source(&self, key: u64) -> u32 {
        let change = self.sources.get(&key).map_or(0, |c| c.0);
        self.held.source(key).wrapping_add(change)
    }

    fn set_line(&mut self, h: u64, after: LineStat) {
        let before = self.line(h);
        self.new_lines += i64::from(after.df > 0) - i64::from(before.df > 0);
        self.lines
            .entry(h)
            .or_default()
            .add(&before.change_to(&after));
    }

    /// The statistics held with these changes made, of every line (and source's line) read:
    /// what a snapshot taken after they are committed would read of them.
    pub(crate) fn into_held(self) -> HeldLines {
        HeldLines {
            stats: (self.held.stats.keys())
                .map(|&h| (h, self.line(h)))
                .collect(),
            sources: (self.held.sources.keys())
                .map(|&k| (k, self.source(k)))
                .collect(),
        }
    }

    /// A view of `held` with this transaction's changes, for the lines of one document.
    pub(crate) fn applied(&self, source: Option<&str>, keys: &[LineKey]) -> HeldLines {
        let mut now = HeldLines::default();
        for line in keys {
            now.stats.insert(line.hash, self.line(line.hash));
            if let Some(source) = source {
                let key = source_line_key(source, line.hash);
                now.sources.insert(key, self.source(key));
            }
        }
        now
    }

    /// A document of `source` with these lines (distinct) is added; `shares` are the block shares
    /// it records for its frequent lines. Its lines must have been read ([`ensure`](Self::ensure)).
    pub(crate) fn count_in(
        &mut self,
        source: Option<&str>,
        lines: &BTreeSet<u64>,
        shares: &[(u64, f32)],
    ) {
        let shares: HashMap<u64, f32> = shares.iter().copied().collect();
        for &h in lines {
            let mut s = self.line(h);
            s.df += 1;
            if let Some(&share) = shares.get(&h) {
                s.share_sum += share;
                s.share_n += 1;
            }
            if let Some(source) = source {
                let key = source_line_key(source, h);
                let n = self.source(key) + 1;
                s.sources += u32::from(n == 1);
                s.most = s.most.max(n);
                self.sources.entry(key).or_default().add(&SourceCount(1));
            }
            self.set_line(h, s);
        }
    }

    /// [`count_in`](Self::count_in) of a document by its line keys (a line printed twice counted
    /// once): what a write transaction does as it adds a document, and what a feed's next batch
    /// does for the batch being committed, which its snapshot does not hold.
    pub(crate) fn count_in_keys(
        &mut self,
        source: Option<&str>,
        keys: &[LineKey],
        shares: &[(u64, f32)],
    ) {
        let distinct: BTreeSet<u64> = keys.iter().map(|k| k.hash).collect();
        self.count_in(source, &distinct, shares);
    }

    /// A document of `source` with these lines (distinct) is removed. Its lines must have been
    /// read ([`ensure`](Self::ensure)).
    pub(crate) fn count_out(&mut self, source: Option<&str>, lines: &BTreeSet<u64>) {
        for &h in lines {
            let mut s = self.line(h);
            s.df = s.df.saturating_sub(1);
            if let Some(source) = source {
                let key = source_line_key(source, h);
                let n = self.source(key);
                if n > 0 {
                    self.sources
                        .entry(key)
                        .or_default()
                        .add(&SourceCount(u32::MAX));
                    if n == 1 {
                        s.sources = s.sources.saturating_sub(1);
                    }
                }
            }
            // Which share this document recorded is not kept: the average one goes with it.
            if s.share_n > s.df {
                s.share_sum *= s.df as f32 / s.share_n as f32;
                s.share_n = s.df;
            }
            if s.df == 0 {
                s = LineStat::default();
            }
            self.set_line(h, s);
        }
    }

    /// Files the changes as one run of each family, and the count of lines held.
    pub(crate) fn file(self, w: &mut impl WriteTxn) -> Result<(), StoreError> {
        if self.new_lines != 0 {
            let held = w
                .get(Table::Meta, LINES_KEY)?
                .map_or(0, |b| b.try_into().map_or(0, i64::from_be_bytes));
            let now = (held + self.new_lines).max(0);
            w.put(Table::Meta, LINES_KEY, &now.to_be_bytes())?;
        }
        w.append_tallies(self.lines.into_iter().collect())?;
        w.append_tallies(self.sources.into_iter().collect())
    }
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

    /// A line whose last document goes starts afresh when printed again: its most documents of
    /// one source is not the old figure (which would keep a wire paragraph that three sources
    /// print once each from counting as cross-source prose), however the changes are grouped
    /// by merges.
    #[test]
    fn a_line_counted_out_to_nothing_starts_afresh() {
        let h = 7;
        let mut changes = LineChanges::default();
        changes.held.stats.insert(
            h,
            LineStat {
                df: 1,
                share_sum: 0.4,
                share_n: 1,
                sources: 1,
                most: 40,
            },
        );
        changes.held.sources.insert(source_line_key("wire", h), 1);
        let lines = BTreeSet::from([h]);
        changes.count_out(Some("wire"), &lines);
        assert_eq!(changes.line(h), LineStat::default());
        for source in ["a", "b", "c"] {
            changes.count_in(Some(source), &lines, &[]);
        }
        let now = changes.line(h);
        assert_eq!((now.df, now.sources, now.most, now.share_n), (3, 3, 1, 0));
        assert!(is_spread_across_sources(now.sources, now.most, now.df));
        // Changes grouped either way (as runs merge) give one total.
        let held = LineStat {
            df: 1,
            most: 40,
            ..LineStat::default()
        };
        let gone = held.change_to(&LineStat::default());
        let again = LineStat::default().change_to(&LineStat {
            df: 1,
            most: 1,
            sources: 1,
            ..LineStat::default()
        });
        let mut left = held;
        left.add(&gone);
        left.add(&again);
        let mut right = gone;
        right.add(&again);
        let mut grouped = held;
        grouped.add(&right);
        assert_eq!(left.total(), grouped.total());
        assert_eq!(left.total().most, 1);
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
