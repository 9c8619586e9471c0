//! Boilerplate stripping: the chrome sites wrap around articles, removed before fingerprinting and
//! explained afterwards.
//!
//! Three sources of knowledge, applied line by line:
//! - built-in [`Rules`] for the chrome families aggregators and news sites add (disclaimers, "READ
//!   ALSO:" links, comment widgets, "Read next" lists, share and newsletter lines, copyright footers,
//!   bylines and datelines standing alone), from the data file `rules.txt`;
//! - user rules in the same format (`--boilerplate FILE`);
//! - [`LearnedChrome`]: lines that recur across otherwise different documents of the corpus.
//!
//! Stripping never takes the article with it. Some removals are certain: a line a `line` rule
//! matches, a link list of short lines after a "Read next" header, a short recurring line. Others are
//! inferences: a block with long lines after a header, a long recurring line. If stripping would
//! remove more than `max_share` of a document's text, the inferences are withdrawn for that document
//! and the refusal is reported.

mod learn;
mod rules;

use std::ops::Range;

use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

pub use learn::{DocLines, LearnConfig, LearnedChrome, LineKey};
pub use rules::{Rule, Rules, Scope};

use crate::normalize::{normalize_into, NormalizedLinesHash};
use crate::shingle::count_words;

/// The name given to removals by learned chrome.
pub const LEARNED: &str = "learned/recurring-line";

/// One removed stretch of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removal {
    /// Byte range in the original text.
    pub range: Range<usize>,
    /// The rule that removed it (`family/rule`, `user:…`, or [`LEARNED`]).
    pub rule: String,
    /// Whether the removal is certain (a line a rule matched, a block of link-list lines, a short
    /// learned line) rather than inferred (a block with long lines after a header, a long learned
    /// line). Only inferred removals are withdrawn by the share guard.
    pub certain: bool,
}

/// Lines after a `rest` header that are all at most this many words long (or chrome by another rule)
/// form a link list.
const LINK_LIST_WORDS: usize = 20;

/// A document after stripping: which of its lines are kept, and what was removed by what.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stripped {
    kept: Vec<Range<usize>>,
    removals: Vec<Removal>,
    total: usize,
    refused: Option<f64>,
}

impl Stripped {
    /// The byte ranges of the kept (trimmed, non-empty) lines, in order.
    pub fn kept(&self) -> &[Range<usize>] {
        &self.kept
    }

    /// The removals, in document order.
    pub fn removals(&self) -> &[Removal] {
        &self.removals
    }

    /// The kept lines of `text`, in order.
    pub fn lines<'a>(&'a self, text: &'a str) -> impl Iterator<Item = &'a str> + Clone + 'a {
        self.kept.iter().map(move |r| &text[r.clone()])
    }

    /// The article body: the kept lines of `text`, joined by newlines.
    pub fn body(&self, text: &str) -> String {
        let mut out = String::with_capacity(self.kept.iter().map(|r| r.len() + 1).sum());
        for (i, line) in self.lines(text).enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(line);
        }
        out
    }

    /// Bytes removed.
    pub fn removed_bytes(&self) -> usize {
        self.removals.iter().map(|r| r.range.len()).sum()
    }

    /// Share of the document's (non-blank) text removed: of its lines' bytes, those not kept. (A
    /// removed block's line breaks are not text: counting them put the share above 1.)
    pub fn removed_share(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            let kept: usize = self.kept.iter().map(Range::len).sum();
            self.total.saturating_sub(kept) as f64 / self.total as f64
        }
    }

    /// If the inferred removals (see [`Removal::certain`]) were withdrawn because stripping would
    /// have removed more than the allowed share, the share it would have removed.
    pub fn refused(&self) -> Option<f64> {
        self.refused
    }
}

/// Strips boilerplate with a fixed set of rules.
#[derive(Debug, Clone)]
pub struct Stripper {
    rules: Rules,
    max_share: f64,
}

impl Stripper {
    /// A stripper with these rules, refusing to remove more than `max_share` of any document.
    pub fn new(rules: Rules, max_share: f64) -> Stripper {
        Stripper { rules, max_share }
    }

    /// The rules in force.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Strips `text` by the rules.
    pub fn strip(&self, text: &str) -> Stripped {
        let lines: Vec<Range<usize>> = line_ranges(text).collect();
        self.strip_lines(text, &lines, |i| {
            self.rules.matching_index(&text[lines[i].clone()])
        })
    }

    /// Strips `text` by the rules, given its lines (as [`line_ranges`] makes them) and the rule each
    /// one matches: `rule_of(i)`, an index into the rules, for `lines[i]`. A rule depends on the
    /// line alone, so a corpus finds it once for each distinct line (see [`Stripper::line_facts`]).
    pub fn strip_lines(
        &self,
        text: &str,
        lines: &[Range<usize>],
        rule_of: impl Fn(usize) -> Option<usize>,
    ) -> Stripped {
        let full = self.apply_rules(text, lines, true, &rule_of);
        if full.removed_share() <= self.max_share || full.removals.iter().all(|r| r.certain) {
            return full;
        }
        let mut lines_only = self.apply_rules(text, lines, false, &rule_of);
        lines_only.refused = Some(full.removed_share());
        lines_only
    }

    /// What stripping needs of a line wherever it stands; `scratch` is reused.
    pub fn line_facts(&self, line: &str, scratch: &mut String) -> LineFacts {
        let key = line_key(line, scratch);
        LineFacts {
            rule: self.rules.matching_index(line),
            key,
            normalized: scratch.as_str().into(),
        }
    }

    fn apply_rules(
        &self,
        text: &str,
        lines: &[Range<usize>],
        rest_blocks: bool,
        rule_of: &dyn Fn(usize) -> Option<usize>,
    ) -> Stripped {
        let total: usize = lines.iter().map(Range::len).sum();
        let mut kept = Vec::with_capacity(lines.len());
        let mut removals = Vec::new();
        let mut before = 0usize;
        for (i, line) in lines.iter().enumerate() {
            match rule_of(i).map(|r| &self.rules.rules()[r]) {
                Some(rule) if rest_blocks && rule.scope == Scope::Rest => {
                    let block = &lines[i + 1..];
                    let link_list = block.iter().enumerate().all(|(k, l)| {
                        count_words(&text[l.clone()]) <= LINK_LIST_WORDS
                            || rule_of(i + 1 + k).is_some()
                    });
                    // A header near the top may head the article itself, unless what follows is
                    // plainly a list of links.
                    if link_list || before * 4 >= total {
                        removals.push(Removal {
                            range: line.start..block.last().map_or(line.end, |l| l.end),
                            rule: rule.name.clone(),
                            certain: link_list,
                        });
                        break;
                    }
                    removals.push(Removal {
                        range: line.clone(),
                        rule: rule.name.clone(),
                        certain: true,
                    });
                }
                Some(rule) => removals.push(Removal {
                    range: line.clone(),
                    rule: rule.name.clone(),
                    certain: true,
                }),
                None => kept.push(line.clone()),
            }
            before += line.len();
        }
        Stripped {
            kept,
            removals,
            total,
            refused: None,
        }
    }

    /// Also removes the kept lines that `chrome` has learned, given their `keys` (as made by
    /// [`line_keys`], one per kept line), except the first (the title's place) unless it is a site's
    /// own chrome. If that would remove too much, the long learned lines are kept.
    pub fn strip_learned(
        &self,
        mut stripped: Stripped,
        keys: &[LineKey],
        chrome: &LearnedChrome,
    ) -> Stripped {
        if chrome.is_empty() {
            return stripped;
        }
        let mut learned = Vec::new();
        let mut keys = keys.iter().enumerate();
        stripped.kept.retain(|line| {
            let (i, key) = keys.next().expect("a key per kept line");
            // The first line is the title's place: a story's title recurs in all its copies,
            // spun ones included, and must not be learned away, unless it is a site's own chrome.
            let remove = (i > 0 || chrome.is_site_chrome(key.hash)) && chrome.contains(key.hash);
            if remove {
                learned.push(Removal {
                    range: line.clone(),
                    rule: LEARNED.to_string(),
                    certain: chrome.is_short(key.words),
                });
            }
            !remove
        });
        if learned.is_empty() {
            return stripped;
        }
        let would_remove = (stripped.removed_bytes()
            + learned.iter().map(|r| r.range.len()).sum::<usize>())
            as f64
            / stripped.total.max(1) as f64;
        if would_remove > self.max_share && learned.iter().any(|r| !r.certain) {
            stripped.refused = Some(would_remove);
            for r in learned.iter().filter(|r| !r.certain) {
                stripped.kept.push(r.range.clone());
            }
            stripped.kept.sort_by_key(|r| r.start);
            learned.retain(|r| r.certain);
        }
        stripped.removals.extend(learned);
        stripped.removals.sort_by_key(|r| r.range.start);
        stripped
    }
}

/// The trimmed, non-empty lines of `text`, as byte ranges.
pub fn line_ranges(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    // Each line with its break (the last one without), found by memchr's vectorised search.
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1);
    let mut start = 0;
    ends.chain(std::iter::once(text.len()))
        .filter_map(move |end| {
            let raw = &text[start..end];
            let line_start = start;
            start = end;
            let lead = raw.len() - raw.trim_start().len();
            let trimmed = raw.trim();
            (!trimmed.is_empty()).then(|| line_start + lead..line_start + lead + trimmed.len())
        })
}

/// The learning key of one line: the hash of its normalised text, its words and bytes.
pub fn line_key(line: &str, scratch: &mut String) -> LineKey {
    normalize_into(line, scratch);
    LineKey {
        hash: xxh3_64(scratch.as_bytes()),
        words: u32::try_from(count_words(scratch)).unwrap_or(u32::MAX),
        bytes: u32::try_from(line.len()).unwrap_or(u32::MAX),
    }
}

/// What stripping needs to know of one line, wherever it stands: the rule it matches, its learning
/// key, and its normalised text (for the body's hash).
#[derive(Debug, Clone, PartialEq)]
pub struct LineFacts {
    /// The rule the line matches, as an index into [`Rules::rules`].
    pub rule: Option<usize>,
    /// Its learning key.
    pub key: LineKey,
    /// Its normalised text.
    pub normalized: Box<str>,
}

/// Hashes a body from its normalised lines as they come ([`NormalizedLinesHash`]), and counts their
/// words: the same hash as [`body_hash`](crate::fingerprint::body_hash) gives.
#[derive(Default)]
pub struct BodyHasher {
    lines: NormalizedLinesHash,
    words: u32,
}

impl BodyHasher {
    /// Adds the next line: its key and normalised text.
    pub fn add(&mut self, key: &LineKey, normalized: &str) {
        self.lines.add(normalized);
        self.words += key.words;
    }

    /// The body's hash; `None` if it has no words.
    pub fn finish(self) -> Option<u64> {
        (self.words > 0).then(|| self.lines.digest())
    }
}

/// The learning keys of the kept lines of one stripped document, into `out` (for
/// [`Stripper::strip_learned`]). Returns what [`body_hash`](crate::fingerprint::body_hash) gives
/// for the body these lines make, from the same normalised lines (`None`: the body has no words).
pub fn line_keys(
    text: &str,
    stripped: &Stripped,
    scratch: &mut String,
    out: &mut Vec<LineKey>,
) -> Option<u64> {
    out.clear();
    let mut body = BodyHasher::default();
    for line in stripped.lines(text) {
        let key = line_key(line, scratch);
        body.add(&key, scratch);
        out.push(key);
    }
    body.finish()
}

#[cfg(test)]
mod tests;
