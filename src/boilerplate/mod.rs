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
use std::sync::OnceLock;

use memchr::memmem;

use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

pub use learn::{
    block_shares, is_spread_across_sources, DocLines, LearnConfig, LearnedChrome, LineKey,
    CROSS_SOURCES,
};
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
        stripped: Stripped,
        keys: &[LineKey],
        chrome: &LearnedChrome,
    ) -> Stripped {
        let lines: Vec<usize> = stripped.kept.iter().map(|r| r.start).collect();
        let stripped = self.strip_learned_lines(stripped, keys, chrome);
        without_textless_page(stripped, &lines, keys)
    }

    fn strip_learned_lines(
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

/// A page left with at least this many words but not one line of prose has no article text.
pub const TEXTLESS_WORDS: u32 = 8;

/// The rule name of a page's leftovers removed because it has no article text.
pub const TEXTLESS: &str = "page/no-article-text";

/// Removes what is left of a page that has no article text: [`TEXTLESS_WORDS`] words or more but
/// not one line of prose ([`is_prose`]) and few figures (under one word in five: a table of
/// results or earnings is text of its own): photo galleries once their captions are gone, link
/// lists, weather boxes. Its leftover chrome would otherwise pair it with other such pages. A headline
/// alone (fewer words) stays, to be matched as a headline. `keys` are the learning keys of the
/// lines kept before learning, which started at `starts`.
fn without_textless_page(mut stripped: Stripped, starts: &[usize], keys: &[LineKey]) -> Stripped {
    // The keys of the lines still kept, in order: the kept lines are some of those lines.
    let (mut words, mut figures, mut prose) = (0u32, 0u32, false);
    let mut line = starts.iter().zip(keys).peekable();
    for kept in &stripped.kept {
        while line.next_if(|(&start, _)| start < kept.start).is_some() {}
        if let Some((_, key)) = line.next_if(|(&start, _)| start == kept.start) {
            words = words.saturating_add(key.words);
            figures = figures.saturating_add(key.figures);
            prose |= key.prose;
        }
    }
    if prose || words < TEXTLESS_WORDS || figures.saturating_mul(5) >= words {
        return stripped;
    }
    stripped
        .removals
        .extend(stripped.kept.drain(..).map(|range| Removal {
            range,
            rule: TEXTLESS.to_string(),
            certain: true,
        }));
    stripped.removals.sort_by_key(|r| r.range.start);
    stripped
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

/// The learning key of one line: the hash of its normalised text, its words and bytes, and whether
/// it reads as prose.
pub fn line_key(line: &str, scratch: &mut String) -> LineKey {
    normalize_into(line, scratch);
    let words = count_words(scratch);
    let prose = words >= SENTENCE_WORDS && reads_as_prose(line, words);
    // Figures only matter to a page without prose (see `without_textless_page`).
    let figures = if prose {
        0
    } else {
        figures(scratch.as_bytes())
    };
    LineKey {
        hash: xxh3_64(scratch.as_bytes()),
        words: u32::try_from(words).unwrap_or(u32::MAX),
        bytes: u32::try_from(line.len()).unwrap_or(u32::MAX),
        prose,
        figures: u32::try_from(figures).unwrap_or(u32::MAX),
    }
}

/// The words of normalised text that begin with a digit, counted off its bytes: a digit after a
/// byte that is not an ASCII letter or digit (nor part of a multi-byte character).
fn figures(text: &[u8]) -> usize {
    let mut previous = b' ';
    let mut n = 0;
    for &b in text {
        n += usize::from(
            b.is_ascii_digit() && !(previous.is_ascii_alphanumeric() || previous >= 0x80),
        );
        previous = b;
    }
    n
}

/// A line of prose has at least this many words: a sentence, not a label or a link.
pub const SENTENCE_WORDS: usize = 8;

/// A prose line this long (in words) or longer is a paragraph: learning keeps it as article text
/// where many sources print it (see [`LearnedChrome`]).
pub const PROSE_WORDS: usize = 15;

/// Whether a line reads as prose of an article: it has [`SENTENCE_WORDS`] words or more, ends a
/// sentence (a stop, `!`, `?` or `…`, perhaps before closing quotes or brackets) or holds two full stops before
/// spaces (a paragraph cut short), holds no web address and no
/// menu separator, and at most three in five of its words begin with a capital (link text and
/// headline lists are title case).
pub fn is_prose(line: &str) -> bool {
    reads_as_prose(line, count_words(&crate::normalize::normalize(line)))
}

/// Whether a line ends a sentence: a stop, `!`, `?` or `…`, perhaps inside closing quotes or
/// brackets; a headline may end in a quote ("… off to a 'very, very good start'") but not in a stop.
fn ends_sentence(line: &str) -> bool {
    line.trim_end()
        .trim_end_matches(['"', '\'', '\u{201D}', '\u{2019}', ')'])
        .ends_with([
            '.', '!', '?', '\u{2026}', '\u{3002}', '\u{FF01}', '\u{FF1F}',
        ])
}

/// [`is_prose`] of a line of `words` words (as counted in its normalised text, where scripts
/// without spaces have a word per character).
fn reads_as_prose(line: &str, words: usize) -> bool {
    let ends_sentence = ends_sentence(line);
    // A paragraph cut short (a teaser, a scraped page's truncated text, a paragraph with a
    // share button's label run on after its last stop) still holds sentences: two stops, or one in
    // a line of paragraph length; and a long run of words is text whatever its punctuation
    // (extracted text that lost its stops).
    // Substrings are found by memchr's vectorised search: this runs on every distinct line of a
    // corpus, and `str::matches` and `str::contains` took 4% of a run.
    let bytes = line.as_bytes();
    let stops = finders().stop.find_iter(bytes).take(2).count();
    let holds_sentences =
        stops == 2 || (stops == 1 && words >= PROSE_WORDS) || words >= 3 * PROSE_WORDS;
    if !(ends_sentence || holds_sentences)
        || finders().not_prose.iter().any(|f| f.find(bytes).is_some())
    {
        return false;
    }
    // Title case marks headlines and link text; scripts without case are not title case. A word
    // is capitalised if it begins the line or follows a space with an ASCII capital: counted over
    // each byte and the next without a branch, which the compiler vectorises (this runs on every
    // distinct line of a corpus; a search for each space took 3% of a run, spaces being frequent).
    // Counted in bytes, 255 pairs at a time, then summed: a byte lane a pair (a count in 64-bit
    // lanes took four times the vectors).
    let next = bytes.get(1..).unwrap_or_default();
    let capitalised = usize::from(bytes.first().is_some_and(u8::is_ascii_uppercase))
        + (bytes.chunks(255).zip(next.chunks(255)))
            .map(|(b, c)| {
                let pairs = b.iter().zip(c);
                usize::from(pairs.fold(0u8, |n, (&b, &c)| {
                    n.wrapping_add(u8::from((b == b' ') & c.is_ascii_uppercase()))
                }))
            })
            .sum::<usize>();
    words >= SENTENCE_WORDS && capitalised * 5 <= words * 3
}

/// The substrings [`reads_as_prose`] looks for, each searched for with a prepared finder.
struct ProseFinders {
    /// A full stop before a space: a sentence ends inside the line.
    stop: memmem::Finder<'static>,
    /// A web address or a menu separator: not prose.
    not_prose: [memmem::Finder<'static>; 3],
}

fn finders() -> &'static ProseFinders {
    static FINDERS: OnceLock<ProseFinders> = OnceLock::new();
    FINDERS.get_or_init(|| ProseFinders {
        stop: memmem::Finder::new(". "),
        not_prose: ["http", "www.", " | "].map(memmem::Finder::new),
    })
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

/// Hashes a body from its normalised lines as they come (`NormalizedLinesHash`), and counts their
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
