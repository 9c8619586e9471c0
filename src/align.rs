//! Sentence alignment: read two texts the way an editor would, sentence by sentence.
//!
//! A [`Profile`] splits a stripped body into sentences of word tokens and marks *content* tokens (not
//! function words) and *immutables* (numbers and capitalised names: what article spinners keep).
//! [`align`] matches each sentence of one text to its most similar sentence of the other by the Dice
//! coefficient of their content tokens, in any order (spinners may shuffle sentences), and measures:
//! - how much of each text is covered by aligned sentences (`covered_a`, `covered_b`);
//! - how much of the alignment keeps the original order (`in_order`);
//! - within aligned sentences, the share of words *substituted* by a different word
//!   (`substitution_rate`). A word replaced by a near-identical one (`goverment` for `government`)
//!   is a typo, not a substitution: typos mark light edits, substitutions mark spinning;
//! - how many immutables the two texts share (`immutables`).

use std::ops::Range;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use serde::Serialize;
use similar::{capture_diff_slices, Algorithm, DiffOp};
use xxhash_rust::xxh3::xxh3_64;

use crate::normalize::normalize_into;
use crate::shingle::{
    hash_word, hash_word_bytes, intersection_size, next_ascii_digit, word_spans, words,
};

/// Sentences this similar (Dice of content tokens) are aligned.
pub const ALIGN_SIMILARITY: f64 = 0.5;

/// Sentences with fewer content tokens than this are ignored by alignment (headings, fragments).
const MIN_SENTENCE_CONTENT: usize = 3;

/// The stopwords' hashes, in an open-addressed table a few times larger than the list, indexed by
/// a hash's top bits: the hashes are xxh3 values, spread evenly already, so a lookup is one probe
/// almost always. This test runs once per word of every article, twice.
struct Stopwords {
    slots: Vec<u64>,
}

impl Stopwords {
    /// Slots: 2^BITS, at most a quarter full.
    const BITS: u32 = 10;

    fn new(hashes: impl Iterator<Item = u64>) -> Stopwords {
        let mut slots = vec![0u64; 1 << Self::BITS];
        for hash in hashes {
            // 0 marks an empty slot; no word of the list hashes to it (the unit test checks).
            let mut i = Self::home(hash);
            while slots[i] != 0 && slots[i] != hash {
                i = (i + 1) % slots.len();
            }
            slots[i] = hash;
        }
        Stopwords { slots }
    }

    fn home(hash: u64) -> usize {
        (hash >> (64 - Self::BITS)) as usize
    }

    #[inline]
    fn contains(&self, hash: u64) -> bool {
        let mut i = Self::home(hash);
        loop {
            let slot = self.slots[i];
            // The first probe almost always settles it, the word's slot or an empty one: one
            // branch, taken either way, and the answer computed rather than branched on (half the
            // words of prose are function words, so a branch on it is mispredicted half the time).
            // A hash of 0 stops at an empty slot too: 0 marks one.
            if (slot == hash) | (slot == 0) {
                return slot != 0;
            }
            i = (i + 1) % self.slots.len();
        }
    }
}

fn stopwords() -> &'static Stopwords {
    static WORDS: OnceLock<Stopwords> = OnceLock::new();
    WORDS.get_or_init(|| Stopwords::new(words(include_str!("stopwords.txt")).map(hash_word)))
}

/// Whether a word hash is a function word (from the built-in English stopword list).
pub fn is_stopword(hash: u64) -> bool {
    stopwords().contains(hash)
}

/// One document prepared for alignment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    text: String,
    /// Each word's hash, in text order.
    hashes: Vec<u64>,
    /// Each word's byte range in `text`.
    spans: Vec<(u32, u32)>,
    /// Word index ranges of the sentences.
    sentences: Vec<Range<u32>>,
    /// Per sentence, whether it is quoted (wholly or in part, between double quotes): what separate
    /// articles on one event share without copying each other.
    quoted: Vec<bool>,
    /// Per sentence, its sorted, deduplicated content hashes, as ranges into `content`.
    content_ranges: Vec<Range<u32>>,
    content: Vec<u64>,
    /// Sorted, deduplicated hashes of capitalised names (not starting a sentence).
    names: Vec<u64>,
    /// Sorted, deduplicated hashes of numbers.
    numbers: Vec<u64>,
    /// Each sentence's hash (of its word sequence) and index, sorted: identical sentences are found
    /// by merging two of these lists.
    sentence_keys: Vec<(u64, u32)>,
    /// The sentences long enough to align, by content word: the sentences sharing a word with a
    /// sentence of another text, without comparing all of them.
    by_word: SentencesByWord,
}

/// The sentences each content word is in, as a chain per word: a map from the word's hash to its
/// last link, each link naming a sentence and the link before it. Built in one pass, without
/// sorting the `(word, sentence)` postings.
#[derive(Debug, Clone, Default, PartialEq)]
struct SentencesByWord {
    last: FxHashMap<u64, u32>,
    /// `(sentence, previous link)`; [`Self::END`] ends a chain.
    links: Vec<(u32, u32)>,
}

impl SentencesByWord {
    const END: u32 = u32::MAX;

    fn with_capacity(postings: usize) -> SentencesByWord {
        SentencesByWord {
            last: FxHashMap::with_capacity_and_hasher(postings, Default::default()),
            links: Vec::with_capacity(postings),
        }
    }

    /// Records that `sentence` holds the word `hash` (once per sentence and word).
    fn add(&mut self, hash: u64, sentence: u32) {
        let last = self.last.entry(hash).or_insert(Self::END);
        self.links.push((sentence, *last));
        *last = (self.links.len() - 1) as u32;
    }

    /// The sentences holding the word `hash`, latest first.
    fn sentences(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let mut link = self.last.get(&hash).copied().unwrap_or(Self::END);
        std::iter::from_fn(move || {
            let &(sentence, previous) = self.links.get(link as usize)?;
            link = previous;
            Some(sentence)
        })
    }
}

impl Profile {
    /// Profiles a stripped body. Sentences end at `.`, `!`, `?`, `;`, `:` and at line ends.
    pub fn new(body: &str) -> Profile {
        let mut normalized = String::with_capacity(256);
        let mut builder = ProfileBuilder::with_capacity(body.len());
        for line in body.lines() {
            normalize_into(line, &mut normalized);
            builder.add_line(line, &normalized);
        }
        builder.finish()
    }

    /// [`new`](Self::new) of the body made of these lines, each given with its normalised text (as
    /// [`normalize_into`] gives it): the corpus path has every distinct line normalised already.
    pub fn from_normalized_lines<'a>(
        lines: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Profile {
        let bytes = lines
            .clone()
            .map(|(_, normalized)| normalized.len() + 1)
            .sum();
        let mut builder = ProfileBuilder::with_capacity(bytes);
        for (line, normalized) in lines {
            builder.add_line(line, normalized);
        }
        builder.finish()
    }

    /// Number of sentences.
    pub fn sentence_count(&self) -> usize {
        self.sentences.len()
    }

    /// The normalised text of sentence `i`.
    pub fn sentence_text(&self, i: usize) -> &str {
        let s = &self.sentences[i];
        let start = self.spans[s.start as usize].0 as usize;
        let end = self.spans[s.end as usize - 1].1 as usize;
        &self.text[start..end]
    }

    fn sentence_content(&self, i: usize) -> &[u64] {
        let r = &self.content_ranges[i];
        &self.content[r.start as usize..r.end as usize]
    }

    /// The word hashes of sentence `i`.
    fn sentence_hashes(&self, i: usize) -> &[u64] {
        let s = &self.sentences[i];
        &self.hashes[s.start as usize..s.end as usize]
    }

    /// The text of word `w` of sentence `i`.
    fn word(&self, i: usize, w: usize) -> &str {
        let (start, end) = self.spans[self.sentences[i].start as usize + w];
        &self.text[start as usize..end as usize]
    }

    /// What kind of immutable word `w` of sentence `i` is: a number (it holds a digit), one of
    /// the text's names, or neither.
    fn immutable(&self, i: usize, w: usize) -> Option<Immutable> {
        if self.word(i, w).bytes().any(|c| c.is_ascii_digit()) {
            Some(Immutable::Number)
        } else if self
            .names
            .binary_search(&self.sentence_hashes(i)[w])
            .is_ok()
        {
            Some(Immutable::Name)
        } else {
            None
        }
    }
}

/// The two kinds of immutable: a template's fields are filled in kind for kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Immutable {
    Number,
    Name,
}

/// A [`Profile`] being made, line by line.
struct ProfileBuilder {
    p: Profile,
}

impl ProfileBuilder {
    /// A builder with room for a body of `bytes` bytes.
    fn with_capacity(bytes: usize) -> ProfileBuilder {
        let mut p = Profile {
            text: String::with_capacity(bytes),
            ..Profile::default()
        };
        // A word is under six bytes, with its space (5.7 in news text): room for every word
        // without growing, in most texts.
        p.hashes.reserve(bytes / 5);
        p.spans.reserve(bytes / 5);
        p.content.reserve(bytes / 8);
        // And for the sentences (twenty words or so) and the names (one word in ten or so).
        let sentences = bytes / 64 + 1;
        p.sentences.reserve(sentences);
        p.content_ranges.reserve(sentences);
        p.sentence_keys.reserve(sentences);
        p.names.reserve(bytes / 32);
        ProfileBuilder { p }
    }

    /// Adds a line of the body, given with its normalised text.
    fn add_line(&mut self, line: &str, normalized: &str) {
        let p = &mut self.p;
        p.numbers.extend(numbers(line).map(hash_word));
        // An ASCII line normalised without merging white space keeps every byte in place (only
        // lower-cased): its names are read off its words as they go by. Other lines are read for
        // names on their own.
        let in_place = line.len() == normalized.len() && line.is_ascii();
        if !in_place {
            names_into(line, &mut p.names);
        }
        if normalized.is_empty() {
            return;
        }
        if !p.text.is_empty() {
            p.text.push('\n');
        }
        let offset = p.text.len();
        p.text.push_str(normalized);
        // One pass over the line's words: a sentence ends where the gap before a word ends one.
        let mut sentence = Sentence::start(p, false);
        let mut previous: Option<&[u8]> = None;
        let mut previous_end = 0;
        let bytes = normalized.as_bytes();
        // Whether the text read is inside double quotes (only lines with one are followed).
        let has_quotes = memchr::memchr(b'"', bytes).is_some();
        let mut in_quotes = false;
        for span in word_spans(normalized) {
            let (start, word) = (span.start, &bytes[span]);
            // Quote marks in the gap: those before its first space close or stand in the sentence
            // read so far, those after it open the next one.
            let (mut closing, mut opening) = (0, 0);
            if has_quotes {
                let gap = &bytes[previous_end..start];
                let space = gap
                    .iter()
                    .position(u8::is_ascii_whitespace)
                    .unwrap_or(gap.len());
                let marks = |part: &[u8]| part.iter().filter(|&&b| b == b'"').count();
                (closing, opening) = (marks(&gap[..space]), marks(&gap[space..]));
                in_quotes ^= (closing + opening) % 2 == 1;
            }
            let gap = previous.map(|before| (before, &bytes[previous_end..start]));
            if gap.is_some_and(|(before, gap)| ends_sentence(before, gap)) {
                sentence.quoted |= closing > 0;
                sentence.end(p);
                sentence = Sentence::start(p, in_quotes || opening > 0);
            } else {
                sentence.quoted |= closing + opening > 0;
            }
            previous = Some(word);
            previous_end = start + word.len();
            let hash = hash_word_bytes(word);
            // In place, the line's word is at the same bytes (and ASCII, so a `str` there too).
            // Most words are not capitalised: that is tested first.
            if in_place
                && line.as_bytes()[start].is_ascii_uppercase()
                && gap.is_some_and(|(before, gap)| !opens_sentence(before, gap))
                && is_name(&line[start..start + word.len()])
            {
                p.names.push(hash);
            }
            p.hashes.push(hash);
            p.spans.push((
                (offset + start) as u32,
                (offset + start + word.len()) as u32,
            ));
            if !is_stopword(hash) {
                p.content.push(hash);
            }
        }
        if previous.is_some() {
            sentence.quoted |= has_quotes && bytes[previous_end..].contains(&b'"');
            sentence.end(p);
        }
    }

    fn finish(self) -> Profile {
        let mut p = self.p;
        for list in [&mut p.names, &mut p.numbers] {
            list.sort_unstable();
            list.dedup();
        }
        p.sentence_keys.sort_unstable();
        // A statement the text quotes somewhere is a quote wherever it repeats it (an embedded
        // tweet below the paragraph quoting it).
        for same in p.sentence_keys.chunk_by(|x, y| x.0 == y.0) {
            if same.len() > 1 && same.iter().any(|&(_, i)| p.quoted[i as usize]) {
                for &(_, i) in same {
                    p.quoted[i as usize] = true;
                }
            }
        }
        p.by_word = SentencesByWord::with_capacity(p.content.len());
        for (i, r) in p.content_ranges.iter().enumerate() {
            let content = &p.content[r.start as usize..r.end as usize];
            if content.len() >= MIN_SENTENCE_CONTENT {
                for &h in content {
                    p.by_word.add(h, i as u32);
                }
            }
        }
        p
    }
}

/// Where the sentence being read by [`ProfileBuilder::add_line`] started: its first word and its
/// first content hash.
struct Sentence {
    first_word: u32,
    first_content: usize,
    quoted: bool,
}

impl Sentence {
    fn start(p: &Profile, quoted: bool) -> Sentence {
        Sentence {
            first_word: p.hashes.len() as u32,
            first_content: p.content.len(),
            quoted,
        }
    }

    /// Ends the sentence at the last word read: its content hashes sorted and deduplicated, its key
    /// the hash of its words' hashes.
    fn end(self, p: &mut Profile) {
        let i = p.sentences.len() as u32;
        let words = self.first_word..p.hashes.len() as u32;
        p.sentence_keys
            .push((sentence_key(&p.hashes[words.start as usize..]), i));
        p.sentences.push(words);
        p.quoted.push(self.quoted);
        let from = self.first_content;
        p.content[from..].sort_unstable();
        let mut unique = from;
        for i in from..p.content.len() {
            if i == from || p.content[i] != p.content[unique - 1] {
                p.content[unique] = p.content[i];
                unique += 1;
            }
        }
        p.content.truncate(unique);
        p.content_ranges.push(from as u32..unique as u32);
    }
}

/// A sentence's key: the hash of its words' hashes laid end to end, each little-endian. On a
/// little-endian machine the bytes are the hashes' own memory.
fn sentence_key(hashes: &[u64]) -> u64 {
    if cfg!(target_endian = "little") {
        xxh3_64(bytemuck::cast_slice(hashes))
    } else {
        xxh3_64(
            &hashes
                .iter()
                .flat_map(|h| h.to_le_bytes())
                .collect::<Vec<u8>>(),
        )
    }
}

/// The sentences of one line, as byte ranges from a sentence's first word to its last: a sentence
/// ends where `.`, `!`, `?`, `;` or `:` stands between two words. [`Profile`] splits normalised lines
/// with it; the report splits the original lines the same way to show them.
pub fn sentences(line: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut words = words(line)
        .map(move |w| {
            let start = w.as_ptr() as usize - line.as_ptr() as usize;
            start..start + w.len()
        })
        .peekable();
    std::iter::from_fn(move || {
        let first = words.next()?;
        let (mut last, mut end) = (first.start, first.end);
        while let Some(next) = words.peek() {
            if ends_sentence(
                &line.as_bytes()[last..end],
                &line.as_bytes()[end..next.start],
            ) {
                break;
            }
            (last, end) = (next.start, next.end);
            words.next();
        }
        Some(first.start..end)
    })
}

/// Whether the text between two words of a line (`gap`, after the word `before`) ends a sentence: it
/// holds `.`, `!`, `?`, `;` or `:`, unless its only stop is a full stop that does not end one (see
/// [`is_inner_stop`]).
fn ends_sentence(before: &[u8], gap: &[u8]) -> bool {
    gap.iter()
        .any(|b| matches!(b, b'.' | b'!' | b'?' | b';' | b':'))
        && !is_inner_stop(before, gap)
}

/// Whether the text between two words puts the second at the start of a sentence, for names: a full
/// stop, `!` or `?` (after `;` or `:` a capitalised word is still a name, and so it is after an
/// abbreviation: "Gen. Votel").
fn opens_sentence(before: &[u8], gap: &[u8]) -> bool {
    gap.iter().any(|b| matches!(b, b'.' | b'!' | b'?')) && !is_inner_stop(before, gap)
}

/// Whether a gap between words whose only mark is a full stop leaves the sentence open: a stop
/// inside a token ("U.S", "3.5", "nytimes.com": no space after it), or the stop of an initial
/// ("J. Edgar", "U.S. officials") or of a common abbreviation of a title or month ("Mr.", "Gen.",
/// "Sen.", "Sept.") before the next word. A bracket after the stop does not matter ("U.S.)"); a
/// closing double quote or any other sentence mark ends the sentence.
fn is_inner_stop(before: &[u8], gap: &[u8]) -> bool {
    let Some(dot) = gap.iter().position(|&b| b == b'.') else {
        return false;
    };
    let rest = &gap[dot + 1..];
    if gap[..dot]
        .iter()
        .chain(rest)
        .any(|b| matches!(b, b'.' | b'!' | b'?' | b';' | b':'))
    {
        return false;
    }
    if gap == b"." {
        return true;
    }
    // A closing quote after the stop ends a quoted sentence, whatever stands before it.
    dot == 0 && !rest.contains(&b'"') && (is_initial(before) || is_abbreviation(before))
}

/// A single letter: an initial, or one letter of an abbreviation such as "U.S.".
fn is_initial(word: &[u8]) -> bool {
    word.len() == 1 && word[0].is_ascii_alphabetic()
}

/// Abbreviations written with a full stop that names or numbers follow (compared without case).
const ABBREVIATIONS: [&str; 36] = [
    "mr", "mrs", "ms", "dr", "prof", "gen", "sen", "rep", "gov", "lt", "col", "sgt", "capt",
    "cmdr", "adm", "maj", "cpl", "pvt", "st", "jr", "sr", "rev", "hon", "pres", "supt", "det",
    "ft", "mt", "jan", "feb", "aug", "sept", "oct", "nov", "dec", "vs",
];

/// Whether a word is one of [`ABBREVIATIONS`].
fn is_abbreviation(word: &[u8]) -> bool {
    (2..=4).contains(&word.len())
        && ABBREVIATIONS
            .iter()
            .any(|a| a.as_bytes().eq_ignore_ascii_case(word))
}

/// Whether a word (not starting a sentence) is a name: capitalised, with no digit.
#[inline]
fn is_name(word: &str) -> bool {
    let first = word.as_bytes()[0];
    let capitalised = if first.is_ascii() {
        first.is_ascii_uppercase()
    } else {
        word.chars().next().is_some_and(char::is_uppercase)
    };
    capitalised && !word.bytes().any(|b| b.is_ascii_digit())
}

/// Appends the names of one line to `out`: capitalised words that do not start a sentence (and hold
/// no digit), as hashes of their normalised form.
fn names_into(line: &str, out: &mut Vec<u64>) {
    let mut scratch = String::new();
    let mut sentence_start = true;
    let mut pos = 0usize;
    let mut before: &[u8] = b"";
    for word in words(line) {
        let start = word.as_ptr() as usize - line.as_ptr() as usize;
        if opens_sentence(before, &line.as_bytes()[pos..start]) {
            sentence_start = true;
        }
        pos = start + word.len();
        before = word.as_bytes();
        if !sentence_start && is_name(word) {
            normalize_into(word, &mut scratch);
            out.push(hash_word(&scratch));
        }
        sentence_start = false;
    }
}

/// How far two sorted sets of immutables agree: shared over the smaller count, or 1 if either has
/// fewer than `at_least` (too few to judge).
fn agreement(a: &[u64], b: &[u64], at_least: usize) -> f64 {
    let small = a.len().min(b.len());
    if small < at_least {
        1.0
    } else {
        intersection_size(a, b) as f64 / small as f64
    }
}

/// The numbers of a text: runs of ASCII digits, with single `,` or `.` between digits kept inside.
fn numbers(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        i = next_ascii_digit(bytes, i);
        if i == bytes.len() {
            return None;
        }
        let start = i;
        while i < bytes.len()
            && (bytes[i].is_ascii_digit()
                || (matches!(bytes[i], b',' | b'.')
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)))
        {
            i += 1;
        }
        Some(&text[start..i])
    })
}

/// One pair of aligned sentences.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SentencePair {
    /// Sentence index in the first text.
    pub a: usize,
    /// Sentence index in the second text.
    pub b: usize,
    /// Dice similarity of their content tokens.
    pub similarity: f64,
}

/// The alignment of two texts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alignment {
    /// Aligned sentences, in the first text's order.
    pub pairs: Vec<SentencePair>,
    /// Share of the first text's content (by content tokens) in aligned sentences.
    pub covered_a: f64,
    /// Share of the second text's content in aligned sentences.
    pub covered_b: f64,
    /// Share of aligned sentences that keep their relative order (longest increasing run).
    pub in_order: f64,
    /// Among confidently aligned sentences (not filled in between others), the share of words
    /// swapped one-for-one (spans of up to three words) for different, not misspelt, words: what a
    /// spinner does.
    pub substitution_rate: f64,
    /// Among aligned sentences, the share of words changed in any way but by typos: substituted,
    /// inserted, deleted or moved.
    pub edit_rate: f64,
    /// Share of confidently aligned sentences with at least one one-for-one swap. A spinner touches nearly
    /// every sentence; an editor updating a story rewrites a few and leaves the rest.
    pub swapped_sentences: f64,
    /// How far the texts agree on their immutables: the lesser of the share of numbers they have in
    /// common (over the smaller count, when both have two or more) and of names (when both have
    /// three or more); 1 where there are too few to judge. Spinners keep both; two briefs from one
    /// template share names ("Monday", "London") but not their figures.
    pub immutables: f64,
    /// Among confidently aligned sentences, the share of words swapped one-for-one for another
    /// immutable (a number for a number, a name for a name): the fields of a filled-in template,
    /// which `substitution_rate` leaves out. A correction changes one figure; two items from one
    /// template change most of them.
    #[serde(default)]
    pub filled_rate: f64,
    /// Words swapped one-for-one for another immutable of the same kind over every aligned
    /// sentence, loosely aligned ones too: how many fields two items differ in. A short update
    /// changes two or three figures; two items of one template six or more.
    #[serde(default)]
    pub filled: usize,
    /// The longest passage the two texts share: a run of closely aligned sentences standing in the
    /// same order in both (see [`Passage`]).
    pub passage: Passage,
}

/// A passage two texts share: consecutive sentences of each, aligned pairwise at a similarity of at
/// least `PASSAGE_SIMILARITY` (0.8), each next pair at most `PASSAGE_STEP` sentences on from the last
/// in both texts (an editor may insert or drop a sentence between shared ones). A run of quotes
/// two articles both report is short; several paragraphs of one wire story are long.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Passage {
    /// Its first and last sentence in the first text.
    pub a: (usize, usize),
    /// Its first and last sentence in the second text.
    pub b: (usize, usize),
    /// Aligned sentences in it.
    pub sentences: usize,
    /// Words of the first text's sentences in it.
    pub words: usize,
    /// The words of those sentences that are not quoted in either text: the passage's narrative.
    pub narrative: usize,
    /// Its words over the words of the shorter text.
    pub share: f64,
}

/// Sentences aligned at least this closely can make up a shared passage.
pub const PASSAGE_SIMILARITY: f64 = 0.8;

/// A shared passage goes on where the next aligned pair stands at most this many sentences on.
pub const PASSAGE_STEP: usize = 2;

/// The longest shared passage (by words) of some aligned pairs, in the first text's order.
fn longest_passage(a: &Profile, b: &Profile, pairs: &[SentencePair]) -> Passage {
    // Quoted sentences count as words of the passage but not as its narrative: two articles
    // quoting the same statement in the same order share no narrative.
    let words = |p: &SentencePair| a.sentences[p.a].len();
    let narrative = |p: &SentencePair| {
        if a.quoted[p.a] || b.quoted[p.b] {
            0
        } else {
            words(p)
        }
    };
    let (mut best, mut current) = (Passage::default(), Passage::default());
    let mut last: Option<&SentencePair> = None;
    for p in pairs.iter().filter(|p| p.similarity >= PASSAGE_SIMILARITY) {
        let follows = last.is_some_and(|l| {
            (1..=PASSAGE_STEP).contains(&p.a.wrapping_sub(l.a))
                && (1..=PASSAGE_STEP).contains(&p.b.wrapping_sub(l.b))
        });
        if follows {
            current.a.1 = p.a;
            current.b.1 = p.b;
            current.sentences += 1;
            current.words += words(p);
            current.narrative += narrative(p);
        } else {
            current = Passage {
                a: (p.a, p.a),
                b: (p.b, p.b),
                sentences: 1,
                words: words(p),
                narrative: narrative(p),
                share: 0.0,
            };
        }
        if current.words > best.words {
            best = current;
        }
        last = Some(p);
    }
    let shorter = a.hashes.len().min(b.hashes.len());
    best.share = if shorter == 0 {
        0.0
    } else {
        (best.words as f64 / shorter as f64).min(1.0)
    };
    best
}

impl Alignment {
    /// The alignment score: the share of the *smaller* side that aligns, as a candidate copy is
    /// judged by how much of it comes from the other.
    pub fn score(&self) -> f64 {
        self.covered_a.max(self.covered_b)
    }
}

/// Aligns two profiles.
pub fn align(a: &Profile, b: &Profile) -> Alignment {
    let weight = |p: &Profile, i: usize| p.sentence_content(i).len();
    // Identical sentences first, by merging the sorted sentence hashes: in a near-duplicate most
    // sentences are identical and need no fuzzy search and no word diff.
    let mut identical: Vec<Option<usize>> = vec![None; a.sentence_count()];
    let (ka, kb) = (&a.sentence_keys, &b.sentence_keys);
    let (mut x, mut y) = (0, 0);
    while x < ka.len() && y < kb.len() {
        match ka[x].0.cmp(&kb[y].0) {
            std::cmp::Ordering::Less => x += 1,
            std::cmp::Ordering::Greater => y += 1,
            std::cmp::Ordering::Equal => {
                identical[ka[x].1 as usize] = Some(kb[y].1 as usize);
                x += 1;
                y += 1;
            }
        }
    }
    // A sentence of `b` is aligned once at most.
    let mut pairs = Vec::with_capacity(a.sentence_count().min(b.sentence_count()));
    let mut used_b = vec![false; b.sentence_count()];
    // Per sentence of `b`, the content words it shares with the sentence of `a` at hand.
    let mut shared = vec![0u32; b.sentence_count()];
    for (i, &same) in identical.iter().enumerate() {
        let ca = a.sentence_content(i);
        if ca.len() < MIN_SENTENCE_CONTENT {
            continue;
        }
        if let Some(j) = same {
            used_b[j] = true;
            pairs.push(SentencePair {
                a: i,
                b: j,
                similarity: 1.0,
            });
            continue;
        }
        for &h in ca {
            for j in b.by_word.sentences(h) {
                shared[j as usize] += 1;
            }
        }
        // The most similar sentence (the first of equals), among those sharing a word.
        let mut best = (0.0f64, usize::MAX);
        for (j, count) in shared.iter_mut().enumerate() {
            if *count == 0 {
                continue;
            }
            let n = std::mem::take(count) as usize;
            let cb = b.sentence_content(j).len();
            // Dice cannot reach the threshold if the sizes are too far apart.
            let (small, large) = (ca.len().min(cb) as f64, ca.len().max(cb) as f64);
            if 2.0 * small / (small + large) < ALIGN_SIMILARITY {
                continue;
            }
            let dice = dice_of(n, ca.len(), cb);
            if dice > best.0 {
                best = (dice, j);
            }
        }
        if best.0 >= ALIGN_SIMILARITY {
            used_b[best.1] = true;
            pairs.push(SentencePair {
                a: i,
                b: best.1,
                similarity: best.0,
            });
        }
    }
    fill_gaps(a, b, &mut pairs, &mut used_b);
    let total_a: usize = (0..a.sentence_count()).map(|i| weight(a, i)).sum();
    let total_b: usize = (0..b.sentence_count()).map(|j| weight(b, j)).sum();
    let aligned_a: usize = pairs.iter().map(|p| weight(a, p.a)).sum();
    let aligned_b: usize = (0..b.sentence_count())
        .filter(|&j| used_b[j])
        .map(|j| weight(b, j))
        .sum();
    let share = |x: usize, total: usize| {
        if total == 0 {
            0.0
        } else {
            x as f64 / total as f64
        }
    };

    // Every aligned pair counts towards the edit rate; only confidently aligned ones (not filled in
    // between others) towards the rewording measures, since a sentence an editor rewrote looks
    // like heavy spinning when it is forced into alignment.
    let (mut edits, mut confident) = (Edits::default(), Edits::default());
    for p in &pairs {
        let mut one = Edits::default();
        if identical[p.a] == Some(p.b) {
            one.compared = a.sentence_hashes(p.a).len();
        } else {
            one.add(a, p.a, b, p.b);
        }
        edits.merge(&one);
        if p.similarity >= ALIGN_SIMILARITY {
            confident.merge(&one);
            confident.pairs += 1;
        }
    }
    Alignment {
        covered_a: share(aligned_a, total_a),
        covered_b: share(aligned_b, total_b),
        in_order: if pairs.is_empty() {
            0.0
        } else {
            longest_increasing(pairs.iter().map(|p| p.b)) as f64 / pairs.len() as f64
        },
        substitution_rate: share(confident.substituted, confident.compared),
        edit_rate: share(edits.changed, edits.compared),
        swapped_sentences: share(confident.swapped_sentences, confident.pairs),
        immutables: agreement(&a.numbers, &b.numbers, 2).min(agreement(&a.names, &b.names, 3)),
        filled_rate: share(confident.filled, confident.compared),
        filled: edits.filled,
        passage: longest_passage(a, b, &pairs),
        pairs,
    }
}

/// The Dice coefficient of two sorted, deduplicated sets of content words.
fn dice(a: &[u64], b: &[u64]) -> f64 {
    dice_of(intersection_size(a, b), a.len(), b.len())
}

/// The Dice coefficient of two sets of these sizes sharing `shared` members.
fn dice_of(shared: usize, a: usize, b: usize) -> f64 {
    2.0 * shared as f64 / (a + b) as f64
}

/// Sentences lying between two aligned neighbours need less evidence: aligned at this similarity.
pub const GAP_SIMILARITY: f64 = 0.3;

/// Second pass: a sentence of `a` left unaligned between two aligned ones (or before the first, or
/// after the last) is aligned with the most similar unused sentence of `b` between its neighbours'
/// partners, if that reaches [`GAP_SIMILARITY`]. Heavy spinning leaves some sentences with few
/// words in common, but they stay where they were, between sentences that align well.
fn fill_gaps(a: &Profile, b: &Profile, pairs: &mut Vec<SentencePair>, used_b: &mut [bool]) {
    let mut partner: Vec<Option<usize>> = vec![None; a.sentence_count()];
    for p in pairs.iter() {
        partner[p.a] = Some(p.b);
    }
    let mut added = Vec::new();
    for i in 0..a.sentence_count() {
        let ca = a.sentence_content(i);
        if partner[i].is_some() || ca.len() < MIN_SENTENCE_CONTENT {
            continue;
        }
        let before = partner[..i].iter().rev().find_map(|p| *p);
        let after = partner[i + 1..].iter().find_map(|p| *p);
        let lo = before.map_or(0, |j| j + 1);
        let hi = after.unwrap_or(b.sentence_count());
        if lo >= hi || (before.is_none() && after.is_none()) {
            continue;
        }
        let best = (lo..hi)
            .filter(|&j| !used_b[j] && b.sentence_content(j).len() >= MIN_SENTENCE_CONTENT)
            .map(|j| (dice(ca, b.sentence_content(j)), j))
            .max_by(|x, y| x.0.total_cmp(&y.0));
        if let Some((similarity, j)) = best.filter(|(s, _)| *s >= GAP_SIMILARITY) {
            used_b[j] = true;
            partner[i] = Some(j);
            added.push(SentencePair {
                a: i,
                b: j,
                similarity,
            });
        }
    }
    if !added.is_empty() {
        pairs.extend(added);
        pairs.sort_by_key(|p| p.a);
    }
}

/// Word-level differences between aligned sentences, typos excepted.
#[derive(Debug, Default)]
struct Edits {
    /// Words in one-for-one swaps of short spans.
    substituted: usize,
    /// Words changed in any way.
    changed: usize,
    /// Words compared.
    compared: usize,
    /// Sentence pairs with at least one swap.
    swapped_sentences: usize,
    /// Words in one-for-one swaps of an immutable for another (a number for a number, a name for a
    /// name): a template's fields filled in, not a spinner's work, so not in `substituted`.
    filled: usize,
    /// Sentence pairs counted (where the caller counts them).
    pairs: usize,
}

/// Spans longer than this on either side are rewrites, not a spinner's word swaps.
const SWAP_SPAN: usize = 3;

impl Edits {
    fn merge(&mut self, other: &Edits) {
        self.substituted += other.substituted;
        self.changed += other.changed;
        self.compared += other.compared;
        self.swapped_sentences += other.swapped_sentences;
        self.filled += other.filled;
    }

    fn add(&mut self, a: &Profile, i: usize, b: &Profile, j: usize) {
        let (ha, hb) = (a.sentence_hashes(i), b.sentence_hashes(j));
        let before = self.substituted;
        match lone_edit(ha, hb) {
            Some(Some(op)) => self.count(a, i, b, j, op),
            Some(None) => {}
            None => {
                for op in word_diff(ha, hb) {
                    self.count(a, i, b, j, op);
                }
            }
        }
        self.compared += ha.len().max(hb.len());
        if self.substituted > before {
            self.swapped_sentences += 1;
        }
    }

    /// Counts one operation of the word diff of sentence `i` of `a` and sentence `j` of `b`.
    fn count(&mut self, a: &Profile, i: usize, b: &Profile, j: usize, op: DiffOp) {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete { old_len, .. } => self.changed += old_len,
            DiffOp::Insert { new_len, .. } => self.changed += new_len,
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let (mut typos, mut fills) = (0, 0);
                for k in 0..old_len.min(new_len) {
                    let (x, y) = (old_index + k, new_index + k);
                    if is_typo(a.word(i, x), b.word(j, y)) {
                        typos += 1;
                    } else if let Some(kind) = a.immutable(i, x) {
                        if b.immutable(j, y) == Some(kind) {
                            fills += 1;
                        }
                    }
                }
                let real = old_len.max(new_len) - typos;
                self.changed += real;
                if old_len <= SWAP_SPAN && new_len <= SWAP_SPAN {
                    self.substituted += real - fills;
                    self.filled += fills;
                }
            }
        }
    }
}

/// The word diff of two sentences (as word hashes): Myers' diff, compacted, with each run of
/// deletions and insertions between equal words as one replacement.
fn word_diff(old: &[u64], new: &[u64]) -> Vec<DiffOp> {
    capture_diff_slices(Algorithm::Myers, old, new)
}

/// Runs of differing words this short, at most, are compared word by word for [`lone_edit`].
const LONE_EDIT_PAIRS: usize = 16;

/// The one change between two sentences that differ in a single run of words (a typo, a swapped
/// word: most aligned sentences of a light copy), as [`word_diff`] reports it, without the diff:
/// `Some(None)` if the two are the same, `Some(Some(op))` for one deletion, insertion or
/// replacement; `None` where the difference is not that simple, for the diff to work out.
///
/// The run is what lies between the longest common prefix and suffix. When its two sides share no
/// word, no diff can find an equal word inside it, and when the words around it do not repeat its
/// ends, compaction cannot slide it: the diff reports exactly this run.
fn lone_edit(old: &[u64], new: &[u64]) -> Option<Option<DiffOp>> {
    let prefix = old.iter().zip(new).take_while(|(x, y)| x == y).count();
    let (old_rest, new_rest) = (&old[prefix..], &new[prefix..]);
    let suffix = old_rest
        .iter()
        .rev()
        .zip(new_rest.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let run_old = &old_rest[..old_rest.len() - suffix];
    let run_new = &new_rest[..new_rest.len() - suffix];
    if run_old.len() * run_new.len() > LONE_EDIT_PAIRS
        || run_old.iter().any(|w| run_new.contains(w))
    {
        return None;
    }
    let before = prefix.checked_sub(1).map(|k| old[k]);
    let after = old_rest.get(run_old.len()).copied();
    let slides =
        |end: Option<&u64>, neighbour: Option<u64>| end.is_some() && end.copied() == neighbour;
    if [run_old, run_new]
        .iter()
        .any(|run| slides(run.last(), before) || slides(run.first(), after))
    {
        return None;
    }
    Some(match (run_old.len(), run_new.len()) {
        (0, 0) => None,
        (old_len, 0) => Some(DiffOp::Delete {
            old_index: prefix,
            old_len,
            new_index: prefix,
        }),
        (0, new_len) => Some(DiffOp::Insert {
            old_index: prefix,
            new_index: prefix,
            new_len,
        }),
        (old_len, new_len) => Some(DiffOp::Replace {
            old_index: prefix,
            old_len,
            new_index: prefix,
            new_len,
        }),
    })
}

/// Whether `y` is a misspelling of `x`: one or two edits, and most of the word intact.
fn is_typo(x: &str, y: &str) -> bool {
    let (nx, ny) = (x.chars().count(), y.chars().count());
    let longest = nx.max(ny);
    let most = 2.min(longest / 3).max(1);
    // Cheap lower bounds on the distance first: most swaps exceed them. Then the optimal string
    // alignment distance, an upper bound of Damerau–Levenshtein computed without its alphabet map:
    // words passing the bounds are nearly always typos, and it settles them.
    longest >= 3
        && nx.abs_diff(ny) <= most
        && letters_apart(x, y) <= most
        && (strsim::osa_distance(x, y) <= most || strsim::damerau_levenshtein(x, y) <= most)
}

/// A lower bound on the edit distance of two words: every edit (insertion, deletion, substitution,
/// transposition) adds at most one letter to, and takes at most one from, a word's multiset of
/// letters, so the letters one word has beyond the other count edits. 0 for words not all ASCII.
fn letters_apart(x: &str, y: &str) -> usize {
    if !x.is_ascii() || !y.is_ascii() {
        return 0;
    }
    let mut count = [0i16; 128];
    for b in x.bytes() {
        count[usize::from(b)] += 1;
    }
    for b in y.bytes() {
        count[usize::from(b)] -= 1;
    }
    // Each letter's count once (cleared as it is read), over the letters the words have rather
    // than the whole table.
    let (mut surplus, mut deficit) = (0, 0);
    for b in x.bytes().chain(y.bytes()) {
        let c = std::mem::take(&mut count[usize::from(b)]);
        surplus += c.max(0) as usize;
        deficit += (-c).max(0) as usize;
    }
    surplus.max(deficit)
}

/// Length of the longest strictly increasing subsequence.
fn longest_increasing(seq: impl Iterator<Item = usize>) -> usize {
    let mut tails: Vec<usize> = Vec::new();
    for x in seq {
        match tails.binary_search(&x) {
            Ok(_) => {}
            Err(i) if i == tails.len() => tails.push(x),
            Err(i) => tails[i] = x,
        }
    }
    tails.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINAL: &str = "US President Joe Biden will soon tell his Russian counterpart Vladimir Putin \
that Washington wants a more predictable relationship with Moscow, the top American diplomat Antony \
Blinken revealed in an interview. Biden should speak with Putin in the near future, Blinken told \
Reuters on Friday. He will tell the Russian leader that the United States will stand up to any \
reckless or aggressive action by Russia. The two leaders last met in Geneva, Switzerland in June.";

    const SPUN: &str = "US President Joe Biden will do it soon tell his Russian counterpart Vladimir \
Putin that Washington wishes a more predictable human relationship with Moscow, the top American \
diplomat Antony Blinken revealed in an consultation. Biden should speak with To put in in the near \
future, Blinken told Reuters on Friday. He will state the Russian leader that the United States will \
stand in feet up to any heedless or aggressive action by Russia. The two leaders final met in Geneva, \
Switzerland in June.";

    const TYPOS: &str = "US President Joe Biden will soon tell his Russian counterpart Vladimir Putin \
that Washington wants a more predictible relationship with Moscow, the top American diplomat Antony \
Blinken revealed in an interveiw. Biden should speak with Putin in the near future, Blinken told \
Reuters on Friday. He will tell the Russian leader that the United States will stand up to any \
reckless or agressive action by Russia. The two leaders last met in Geneva, Switzerland in June.";

    const OTHER: &str = "Russian Foreign Minister Sergei Lavrov met Blinken in Reykjavik on the \
sidelines of an Arctic Council meeting. The two sides agreed they have serious differences. Lavrov \
said the world would be safer if Moscow and Washington could forge some understanding. Blinken \
pointed to the need for a predictable relationship with Russia on climate and Iran.";

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Where a sentence pair differs in one run of words, that run is what the word diff
        /// reports, to the word. A small vocabulary makes words repeat, around and inside runs.
        #[test]
        fn a_lone_edit_is_what_the_diff_reports(
            old in proptest::collection::vec(0u64..6, 0..12),
            start in 0usize..12,
            removed in 0usize..4,
            inserted in proptest::collection::vec(0u64..6, 0..4),
            other in proptest::collection::vec(0u64..6, 0..12),
            unrelated in proptest::prelude::any::<bool>(),
        ) {
            // Mostly a copy with one run of words changed; sometimes another sentence.
            let start = start.min(old.len());
            let end = (start + removed).min(old.len());
            let new = if unrelated {
                other
            } else {
                [&old[..start], &inserted[..], &old[end..]].concat()
            };
            if let Some(edit) = lone_edit(&old, &new) {
                let ops: Vec<DiffOp> = word_diff(&old, &new)
                    .into_iter()
                    .filter(|op| !matches!(op, DiffOp::Equal { .. }))
                    .collect();
                proptest::prop_assert_eq!(ops, edit.into_iter().collect::<Vec<_>>());
            }
        }
    }

    /// A sentence's key is the hash of its words' hashes, wherever it stands: repeated sentences
    /// share it, others do not.
    #[test]
    fn sentence_keys_hash_each_sentences_words() {
        let p =
            Profile::new("Talks ended. Markets rose sharply.\nTalks ended: markets rose sharply.");
        let mut keys = p.sentence_keys.clone();
        keys.sort_unstable_by_key(|&(_, i)| i);
        for &(key, i) in &keys {
            let bytes: Vec<u8> = (p.sentence_hashes(i as usize).iter())
                .flat_map(|h| h.to_le_bytes())
                .collect();
            assert_eq!(key, xxh3_64(&bytes));
        }
        let key = |i: usize| keys[i].0;
        assert_eq!(p.sentence_count(), 4);
        assert_eq!((key(0), key(1)), (key(2), key(3)));
        assert_ne!(key(0), key(1));
    }

    #[test]
    fn spun_text_aligns_with_substitutions() {
        let al = align(&Profile::new(SPUN), &Profile::new(ORIGINAL));
        assert_eq!(al.pairs.len(), 4);
        assert!(al.score() > 0.95, "{al:?}");
        assert!(al.substitution_rate > 0.08, "{al:?}");
        assert_eq!(al.swapped_sentences, 1.0, "{al:?}");
        assert!(al.immutables > 0.9);
        assert_eq!(al.in_order, 1.0);
    }

    #[test]
    fn a_template_fills_in_numbers_and_names_where_a_spinner_swaps_words() {
        let filed = "The U.S. Agriculture Department rated 77 percent of the corn crop in good \
                     condition in the week ended June 10, against 79 percent a week earlier. \
                     Analysts polled by Reuters had expected 78 percent.";
        let next_week =
            "The U.S. Agriculture Department rated 78 percent of the corn crop in good \
                         condition in the week ended June 17, against 77 percent a week earlier. \
                         Analysts polled by Reuters had expected 77 percent.";
        let al = align(&Profile::new(filed), &Profile::new(next_week));
        assert!(al.filled_rate > 0.1, "{al:?}");
        assert_eq!(al.substitution_rate, 0.0, "{al:?}");
        // The spun copy keeps its numbers and names: one capitalised word swapped, against many
        // common words.
        let al = align(&Profile::new(SPUN), &Profile::new(ORIGINAL));
        assert!(al.filled_rate < 0.02, "{al:?}");
        assert!(al.substitution_rate > 4.0 * al.filled_rate, "{al:?}");
    }

    #[test]
    fn a_template_fills_a_number_for_a_number_and_a_name_for_a_name_only() {
        let al = |a: &str, b: &str| align(&Profile::new(a), &Profile::new(b));
        let talks = "The two delegations met for talks in Geneva on the third day of the summit.";
        // A name for a name is a field filled in; a name for a number is a word swapped.
        let moved = al(talks, &talks.replace("Geneva", "Vienna"));
        assert_eq!(
            (moved.filled, moved.substitution_rate),
            (1, 0.0),
            "{moved:?}"
        );
        let dated = al(talks, &talks.replace("Geneva", "2018"));
        assert_eq!(dated.filled, 0, "{dated:?}");
        assert!(dated.substitution_rate > 0.0, "{dated:?}");
    }

    #[test]
    fn typos_are_not_substitutions() {
        let al = align(&Profile::new(TYPOS), &Profile::new(ORIGINAL));
        assert!(al.score() > 0.95);
        assert_eq!(al.substitution_rate, 0.0, "{al:?}");
        assert_eq!(al.edit_rate, 0.0, "{al:?}");
    }

    #[test]
    fn an_inserted_phrase_is_an_edit_not_a_substitution() {
        let updated = ORIGINAL.replace(
            "revealed in an interview",
            "revealed in an interview broadcast late on Thursday evening across the United States",
        );
        let al = align(&Profile::new(&updated), &Profile::new(ORIGINAL));
        assert_eq!(al.substitution_rate, 0.0, "{al:?}");
        assert!(al.edit_rate > 0.05, "{al:?}");
    }

    #[test]
    fn a_different_story_on_the_same_topic_does_not_align() {
        let al = align(&Profile::new(OTHER), &Profile::new(ORIGINAL));
        assert!(al.score() < 0.3, "{al:?}");
    }

    #[test]
    fn shuffled_sentences_align_out_of_order() {
        let shuffled: Vec<&str> = ORIGINAL.split_inclusive(". ").collect();
        let reordered = format!(
            "{}{}{}{}",
            shuffled[3], shuffled[1], shuffled[0], shuffled[2]
        );
        let al = align(&Profile::new(&reordered), &Profile::new(ORIGINAL));
        assert!(al.score() > 0.95);
        assert!(al.in_order < 1.0);
    }

    #[test]
    fn profile_sentences_and_immutables() {
        let p = Profile::new("Talks began in Geneva. They ended on June 16, 2021!\nA headline\n");
        assert_eq!(p.sentence_count(), 3);
        assert_eq!(p.sentence_text(1), "they ended on june 16, 2021");
        assert_eq!(p.sentence_text(2), "a headline");
        // Geneva and June ("Talks" and "They" start sentences); 16 and 2021.
        assert_eq!((p.names.len(), p.numbers.len()), (2, 2));
        let n: Vec<&str> = numbers("Revs 6,769,000 vs 4,992,000, up 1.45% in 2004.").collect();
        assert_eq!(n, ["6,769,000", "4,992,000", "1.45", "2004"]);
    }

    #[test]
    fn sentences_are_not_cut_at_abbreviations_initials_or_decimals() {
        // (text, its sentences as the profile and the report split it)
        let cases: [(&str, &[&str]); 8] = [
            (
                "Russia meddled in the 2016 U.S. presidential election, U.S. officials said.",
                &["russia meddled in the 2016 u.s. presidential election, u.s. officials said"],
            ),
            (
                "Mr. Trump met Gen. Joseph Votel and Sen. John McCain. They spoke.",
                &[
                    "mr. trump met gen. joseph votel and sen. john mccain",
                    "they spoke",
                ],
            ),
            (
                "Robert S. Mueller III charged 12 officers. J. Edgar Hoover did not.",
                &[
                    "robert s. mueller iii charged 12 officers",
                    "j. edgar hoover did not",
                ],
            ),
            (
                "Growth slowed to 2.5 percent on Sept. 14 in the U.K. Markets fell.",
                &["growth slowed to 2.5 percent on sept. 14 in the u.k. markets fell"],
            ),
            (
                "\"It was a disaster.\" He left. Why? Nobody knows!",
                &["it was a disaster", "he left", "why", "nobody knows"],
            ),
            (
                "The report is at nytimes.com today. Putin smiled: he had won.",
                &[
                    "the report is at nytimes.com today",
                    "putin smiled",
                    "he had won",
                ],
            ),
            (
                "He said so in the U.S.\" Then he left.",
                &["he said so in the u.s", "then he left"],
            ),
            (
                "Plans (in the U.S.) changed.",
                &["plans (in the u.s.) changed"],
            ),
        ];
        for (text, want) in cases {
            let p = Profile::new(text);
            let got: Vec<&str> = (0..p.sentence_count())
                .map(|i| p.sentence_text(i))
                .collect();
            assert_eq!(got, want, "{text}");
            // The report splits lines as they were written the same way.
            assert_eq!(sentences(text).count(), want.len(), "{text}");
        }
        // After an abbreviation, a capitalised word is still a name: "Gen" and "Miller" both.
        let p = Profile::new("Votel met Gen. Miller there.");
        assert_eq!(p.names.len(), 2);
    }

    #[test]
    fn quoted_sentences_are_marked_and_add_nothing_to_a_shared_passage() {
        let text = "Trump spoke in Helsinki on Monday morning with reporters. \"We will win the talks easily. We are strong and rich and powerful again now.\" Then he left the palace by car.";
        let p = Profile::new(text);
        assert_eq!(p.sentence_count(), 4);
        assert_eq!(p.quoted, [false, true, true, false]);
        // Two articles sharing the same quote in the same order share no passage by it.
        let other = "Putin arrived late to the summit in Finland. \"We will win the talks easily. We are strong and rich and powerful again now.\" Nobody answered him then.";
        let al = align(&p, &Profile::new(other));
        assert_eq!(al.pairs.len(), 2);
        assert_eq!((al.passage.words, al.passage.narrative), (15, 0));
        // A quoted statement repeated unquoted (an embedded tweet) is still a quote.
        let embedded = Profile::new(
            "\"We will win the talks easily.\" He said so.\nWe will win the talks easily.",
        );
        assert_eq!(embedded.quoted, [true, false, true]);
        // The same sentences unquoted are a passage.
        let plain = |t: &str| Profile::new(&t.replace('"', ""));
        let al = align(&plain(text), &plain(other));
        assert_eq!((al.passage.sentences, al.passage.narrative), (2, 15));
    }

    #[test]
    fn stopwords_are_found_and_nothing_else() {
        let list: std::collections::BTreeSet<&str> = words(include_str!("stopwords.txt")).collect();
        assert!(list.len() > 200 && list.len() * 4 <= 1 << Stopwords::BITS);
        for word in &list {
            assert_ne!(hash_word(word), 0, "{word} hashes to the empty-slot marker");
            assert!(is_stopword(hash_word(word)), "{word}");
        }
        for word in ["putin", "summit", "government", "wants", "2021", ""] {
            assert!(!is_stopword(hash_word(word)), "{word}");
        }
        assert!(!is_stopword(0));
    }

    #[test]
    fn typo_rule() {
        assert!(is_typo("government", "goverment"));
        assert!(is_typo("mobile", "moile"));
        assert!(!is_typo("later", "posterior"));
        assert!(!is_typo("the", "a"));
        assert!(!is_typo("relationship", "human relationship"));
        assert!(is_typo("agressive", "aggressive"));
    }

    proptest::proptest! {
        /// The letter count never exceeds the distance it bounds, and the optimal string alignment
        /// distance never falls below it.
        #[test]
        fn letters_apart_and_osa_bound_the_distance(x in "[a-e]{0,8}", y in "[a-e]{0,8}") {
            let distance = strsim::damerau_levenshtein(&x, &y);
            proptest::prop_assert!(letters_apart(&x, &y) <= distance);
            proptest::prop_assert!(strsim::osa_distance(&x, &y) >= distance);
        }

        /// The letters one word has beyond the other, counted letter by letter.
        #[test]
        fn letters_apart_counts_the_letters_beyond(x in "[a-eA]{0,10}", y in "[a-eA]{0,10}") {
            let beyond = |x: &str, y: &str| {
                let mut left: Vec<char> = y.chars().collect();
                x.chars()
                    .filter(|c| match left.iter().position(|l| l == c) {
                        Some(i) => {
                            left.swap_remove(i);
                            false
                        }
                        None => true,
                    })
                    .count()
            };
            let want = beyond(&x, &y).max(beyond(&y, &x));
            proptest::prop_assert_eq!(letters_apart(&x, &y), want);
        }
    }

    /// The names of a whole body read the plain way, word by word over the raw text: the reference
    /// for the names [`Profile::new`] reads off its words as it goes.
    fn names_of_body(body: &str) -> Vec<u64> {
        let mut out = Vec::new();
        let mut sentence_start = true;
        let mut pos = 0;
        let mut before: &[u8] = b"";
        for word in words(body) {
            let start = word.as_ptr() as usize - body.as_ptr() as usize;
            let gap = &body.as_bytes()[pos..start];
            if gap.contains(&b'\n') || opens_sentence(before, gap) {
                sentence_start = true;
            }
            pos = start + word.len();
            before = word.as_bytes();
            let capitalised = word.chars().next().is_some_and(char::is_uppercase);
            if capitalised && !sentence_start && !word.bytes().any(|b| b.is_ascii_digit()) {
                out.push(hash_word(&crate::normalize::normalize(word)));
            }
            sentence_start = false;
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    proptest::proptest! {
        /// Names are the same whether a line is read in place (ASCII, nothing to collapse) or on
        /// its own (accents, curly quotes, runs of spaces, tabs, padding).
        #[test]
        fn names_are_read_alike_in_place_and_not(
            lines in proptest::collection::vec(
                (
                    "|[ \t]",
                    proptest::collection::vec(
                        (
                            "[A-Za-z][a-z0-9]{0,3}|[0-9]{1,3}|[ÉA-Z][a-zé]{1,3}|“[A-Z][a-z]{1,3}”",
                            proptest::sample::select(vec![" ", " ", ", ", ". ", "? ", "! ", "; ", ": ", "  ", " \t"]),
                        ),
                        1..10,
                    ),
                    "|[.!? ]",
                ),
                0..6,
            )
        ) {
            let body: Vec<String> = lines
                .iter()
                .map(|(pad, words, end)| {
                    let line: String = words.iter().map(|(w, gap)| format!("{w}{gap}")).collect();
                    format!("{pad}{}{end}", line.trim_end())
                })
                .collect();
            let body = body.join("\n");
            proptest::prop_assert_eq!(&Profile::new(&body).names, &names_of_body(&body));
        }
    }

    proptest::proptest! {
        /// A profile made from lines normalised beforehand is the profile of their body.
        #[test]
        fn profiles_from_normalised_lines_are_the_bodys(
            lines in proptest::collection::vec("[ \t]?([A-Za-z0-9\u{e9}\u{2019}\u{201c}]{1,6}[ ,.!?;:]{1,2}){0,6}", 0..6)
        ) {
            let body = lines.join("\n");
            let normalized: Vec<String> = body.lines().map(crate::normalize::normalize).collect();
            let from_lines = Profile::from_normalized_lines(
                body.lines().zip(normalized.iter().map(String::as_str)),
            );
            proptest::prop_assert_eq!(from_lines, Profile::new(&body));
        }
    }

    #[test]
    fn increasing_run() {
        assert_eq!(longest_increasing([3, 1, 2, 5, 4].into_iter()), 3);
        assert_eq!(longest_increasing(std::iter::empty()), 0);
    }
}
