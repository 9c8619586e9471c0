//! Text → normalised text, so that copies differing only in typography compare equal.
//!
//! Normalisation is Unicode NFKC, lower-casing, folding of curly quotes, primes and dashes to their
//! ASCII forms, and collapsing every run of white space to one space (leading and trailing white space
//! is dropped). It is idempotent: normalising normalised text changes nothing. Pure-ASCII text takes a
//! fast path that does no Unicode work.
//!
//! Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) get a
//! space around each of their characters, and the ideographic full stop and comma fold to `.` and
//! `,`: every later stage then reads such text one character to a word, so a document's word
//! n-grams are character n-grams where its script has no spaces and word n-grams where it has
//! (see [`is_unspaced`]).

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};
use xxhash_rust::xxh3::Xxh3;

/// Normalises `text` into `out` (cleared first), reusing `out`'s allocation.
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    out.reserve(text.len());
    append(text, out, &mut Sink::default());
}

/// Normalises `lines` as if joined by line breaks, into `out` (cleared first): the same as
/// [`normalize_into`] of the joined text, without making it.
pub fn normalize_lines_into<'a>(lines: impl IntoIterator<Item = &'a str>, out: &mut String) {
    out.clear();
    let mut sink = Sink::default();
    for line in lines {
        append(line, out, &mut sink);
        // The line break between lines is white space. (No normalisation step reaches across it:
        // it is a starter that composes with nothing.)
        sink.push('\n', out);
    }
}

/// The xxh3 hash of what [`normalize_lines_into`] makes of some lines, from the lines normalised one
/// by one (as [`normalize_into`] gives each), without joining them: the non-empty ones, separated
/// by one space (the line break between them collapses with any white space).
pub struct NormalizedLinesHash {
    hasher: Xxh3,
    empty: bool,
}

impl Default for NormalizedLinesHash {
    fn default() -> Self {
        NormalizedLinesHash {
            hasher: Xxh3::new(),
            empty: true,
        }
    }
}

impl NormalizedLinesHash {
    /// Adds the next line, normalised.
    pub fn add(&mut self, normalized: &str) {
        if !normalized.is_empty() {
            if !self.empty {
                self.hasher.update(b" ");
            }
            self.hasher.update(normalized.as_bytes());
            self.empty = false;
        }
    }

    /// The hash of the lines added so far.
    pub fn digest(&self) -> u64 {
        self.hasher.digest()
    }
}

/// Appends normalised `text` to what `sink` has written to `out`.
fn append(text: &str, out: &mut String, sink: &mut Sink) {
    let (start, start_sink) = (out.len(), *sink);
    // Where a shortcut does not apply, the general path redoes all of `text`.
    let general = |out: &mut String, sink: &mut Sink| {
        out.truncate(start);
        *sink = start_sink;
        slow(text, out, sink);
    };
    // ASCII runs take the ASCII path. Most non-ASCII news text is NFKC already (a stray "£" or
    // curly quote): then only characters that lower-case to one character can be handled without
    // decomposing anything. ASCII characters are NFKC-stable starters, so the quick check can be made
    // run by run: every run passes it exactly when the whole text does.
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let ascii_end = i + ascii_prefix(&bytes[i..]);
        if ascii_end > i {
            ascii(&text[i..ascii_end], out, sink);
        }
        if ascii_end == bytes.len() {
            return;
        }
        let run_end = bytes[ascii_end..]
            .iter()
            .position(u8::is_ascii)
            .map_or(bytes.len(), |n| ascii_end + n);
        let run = &text[ascii_end..run_end];
        if is_nfkc_quick(run.chars()) != IsNormalized::Yes {
            return general(out, sink);
        }
        for c in run.chars() {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None)
                    if l.is_ascii()
                        || l == c
                        || is_nfkc_quick(std::iter::once(l)) == IsNormalized::Yes =>
                {
                    if let Some(f) = fold(l) {
                        sink.push(f, out);
                    }
                }
                _ => return general(out, sink),
            }
        }
        i = run_end;
    }
}

/// The length of the longest all-ASCII prefix of `bytes`, checked 16 bytes at a time.
fn ascii_prefix(bytes: &[u8]) -> usize {
    let whole = bytes.chunks_exact(16).take_while(|c| c.is_ascii()).count() * 16;
    let rest = &bytes[whole..];
    whole
        + rest
            .iter()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len())
}

/// What the ASCII path writes for each byte: lower case, the backtick folded as [`fold`] folds it,
/// every white space character (as `char::is_whitespace` has them) a space.
const ASCII_MAP: [u8; 128] = {
    let mut map = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        map[b] = match b as u8 {
            b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' => b' ',
            b'`' => b'\'',
            c => c.to_ascii_lowercase(),
        };
        b += 1;
    }
    map
};

/// The ASCII path (for ASCII `text`, which may continue what `sink` has appended): no character
/// decoding and no branch per byte; bytes are mapped and white space collapsed a stack buffer at a
/// time.
fn ascii(text: &str, out: &mut String, sink: &mut Sink) {
    // Whether white space here adds nothing: at the start of `out`, or after a space.
    let mut after_space = out.is_empty();
    if sink.pending_space {
        out.push(' ');
        sink.pending_space = false;
        after_space = true;
    }
    const CHUNK: usize = 256;
    let mut buf = [0u8; CHUNK];
    for piece in text.as_bytes().chunks(CHUNK) {
        let mut n = 0;
        let mut lanes = piece.chunks_exact(8);
        for lane in lanes.by_ref() {
            // Eight bytes at a time where they need no more than lower-casing: no control
            // character (white space other than a space among them), no backtick, no space after
            // white space. Prose is mostly such runs.
            let x = u64::from_le_bytes(lane.try_into().expect("eight bytes"));
            let spaces = equal_lanes(x, b' ');
            let after = (spaces << 8) | (u64::from(after_space) << 7);
            if (below_lanes(x, 0x20) | equal_lanes(x, b'`') | (spaces & after)) == 0 {
                let upper = below_lanes(x, b'Z' + 1) & !below_lanes(x, b'A');
                // `n` is at most the bytes read before this lane: the eight fit.
                buf[n..n + 8].copy_from_slice(&(x | (upper >> 2)).to_le_bytes());
                n += 8;
                after_space = spaces >> 63 == 1;
                continue;
            }
            for &b in lane {
                n = ascii_byte(b, &mut buf, n, &mut after_space);
            }
        }
        for &b in lanes.remainder() {
            n = ascii_byte(b, &mut buf, n, &mut after_space);
        }
        out.push_str(std::str::from_utf8(&buf[..n]).expect("ASCII is UTF-8"));
    }
    // A space is only written before the next non-space character, wherever that comes from.
    if out.ends_with(' ') {
        out.pop();
        sink.pending_space = true;
    }
}

/// One byte of [`ascii`]'s slow lane: mapped, and written at `buf[n]` unless it is white space
/// after white space. Returns the next `n`.
#[inline]
fn ascii_byte(b: u8, buf: &mut [u8; 256], n: usize, after_space: &mut bool) -> usize {
    let mapped = ASCII_MAP[usize::from(b & 0x7f)];
    let is_space = mapped == b' ';
    // `n` stays below the buffer's length; the mask tells the compiler so.
    buf[n & 255] = mapped;
    let n = n + usize::from(!(is_space && *after_space));
    *after_space = is_space;
    n
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// High bit of each byte of `x` set where that byte is below `c`; for ASCII bytes and `c` at most
/// 0x80 (setting the high bit first keeps borrows inside each byte).
#[inline]
fn below_lanes(x: u64, c: u8) -> u64 {
    !((x | HIGH) - ONES * u64::from(c)) & HIGH
}

/// High bit of each byte of `x` set where that byte is `c` (exactly: no borrow crosses bytes).
#[inline]
fn equal_lanes(x: u64, c: u8) -> u64 {
    let y = x ^ (ONES * u64::from(c));
    !(((y & !HIGH) + !HIGH) | y | !HIGH)
}

/// The general path: NFKC before and after lower-casing, since lower-casing can produce characters
/// that NFKC composes differently, and normalisation must be idempotent.
fn slow(text: &str, out: &mut String, sink: &mut Sink) {
    for c in text.nfkc().flat_map(char::to_lowercase).nfkc() {
        if let Some(c) = fold(c) {
            sink.push(c, out);
        }
    }
}

/// Collapses white space while characters are appended.
#[derive(Debug, Default, Clone, Copy)]
struct Sink {
    pending_space: bool,
}

impl Sink {
    #[inline]
    fn push(&mut self, c: char, out: &mut String) {
        if is_unspaced(c) {
            // A word of its own: spaced from what stands before and after it; a combining vowel
            // or tone mark stays with the letter it marks.
            if is_combining_mark(c) && out.chars().next_back().is_some_and(is_unspaced) {
                self.pending_space = false;
            } else {
                self.pending_space |= !out.is_empty() && !out.ends_with(' ');
            }
            self.push_visible(c, out);
            self.pending_space = true;
        } else if c.is_whitespace() {
            self.pending_space = !out.is_empty();
        } else {
            self.push_visible(c, out);
        }
    }

    #[inline]
    fn push_visible(&mut self, c: char, out: &mut String) {
        if self.pending_space {
            out.push(' ');
            self.pending_space = false;
        }
        out.push(c);
    }
}

/// Whether a character belongs to a script written without spaces between words, whose
/// characters are each read as a word: Han ideographs, Hiragana and Katakana, Thai, Lao, Khmer and
/// Myanmar. (Korean Hangul is written with spaces.)
pub fn is_unspaced(c: char) -> bool {
    matches!(c,
        '\u{0E00}'..='\u{0EFF}'       // Thai, Lao
        | '\u{1000}'..='\u{109F}'     // Myanmar
        | '\u{1780}'..='\u{17FF}'     // Khmer
        | '\u{3040}'..='\u{30FF}'     // Hiragana, Katakana
        | '\u{31F0}'..='\u{31FF}'     // Katakana extensions
        | '\u{3400}'..='\u{4DBF}'     // Han, extension A
        | '\u{4E00}'..='\u{9FFF}'     // Han
        | '\u{F900}'..='\u{FAFF}'     // Han compatibility
        | '\u{20000}'..='\u{3134F}'   // Han, extensions B to G
    )
}

/// Normalises `text` into a new string.
pub fn normalize(text: &str) -> String {
    let mut out = String::new();
    normalize_into(text, &mut out);
    out
}

/// Folds typographic variants that NFKC leaves alone; `None` drops an invisible character.
fn fold(c: char) -> Option<char> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{02BC}'
        | '\u{00B4}' | '\u{0060}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => '-',
        // The ideographic full stop and comma end sentences and clauses as `.` and `,` do.
        '\u{3002}' => '.',
        '\u{3001}' => ',',
        // Soft hyphens and zero-width characters are invisible: drop them.
        '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => return None,
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let cases = [
            ("Hello  World", "hello world"),
            ("  leading and trailing \n", "leading and trailing"),
            (
                "\u{201C}Quoted\u{201D} \u{2014} it\u{2019}s",
                "\"quoted\" - it's",
            ),
            ("caf\u{0065}\u{0301}", "caf\u{00e9}"),
            ("\u{FB01}ne", "fine"),
            ("A\u{00A0}B\u{2003}C", "a b c"),
            ("soft\u{00AD}hyphen", "softhyphen"),
            // Scripts without spaces: a word per character; the ideographic stop is a full stop.
            ("\u{4E2D}\u{56FD}\u{3002}OK", "\u{4E2D} \u{56FD} .ok"),
            ("x\u{3072}\u{3089}y", "x \u{3072} \u{3089} y"),
            ("\u{0E44}\u{0E17}\u{0E22}", "\u{0E44} \u{0E17} \u{0E22}"),
            ("\u{0E01}\u{0E34}\u{0E19}", "\u{0E01}\u{0E34} \u{0E19}"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input), want, "input {input:?}");
        }
    }

    #[test]
    fn ascii_path_agrees_with_the_general_path() {
        let text = " Hello,\tWorld!\x0b\x0c Line\r\nTwo  ";
        let mut general = String::new();
        slow(text, &mut general, &mut Sink::default());
        assert_eq!(normalize(text), general);
    }

    #[test]
    fn fast_path_agrees_with_the_general_path() {
        for text in [
            "Price: \u{a3}9m (\u{20ac}12m) \u{2014} \u{201c}Quoted\u{201d}",
            "\u{c9}COLE \u{e0} PARIS \u{df}",
            "\u{130}STANBUL",
            "\u{3a3}\u{39f}\u{3a6}\u{399}\u{391}",
        ] {
            let mut general = String::new();
            slow(text, &mut general, &mut Sink::default());
            assert_eq!(normalize(text), general, "{text:?}");
        }
    }

    #[test]
    fn typographic_variants_match_plain_ascii() {
        assert_eq!(
            normalize("Biden\u{2019}s \u{201C}reckless\u{201D} plan \u{2013} 2021"),
            normalize("Biden's \"reckless\" plan - 2021")
        );
    }

    proptest! {
        #[test]
        fn idempotent(s in "\\PC{0,64}") {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once);
        }

        /// The ASCII and NFKC-quick paths are shortcuts: they agree with the general path.
        #[test]
        fn fast_paths_agree_with_the_general_path(s in "([a-zA-Z0-9 .,\t\n]{0,12}[\u{a3}\u{e9}\u{c9}\u{2019}\u{201C}\u{2014}\u{130}\u{df}\u{fb01}\u{3a3} ]?){0,6}") {
            let mut general = String::new();
            slow(&s, &mut general, &mut Sink::default());
            prop_assert_eq!(normalize(&s), general);
        }

        /// The same, for any printable text and every kind of ASCII white space.
        #[test]
        fn fast_paths_agree_on_any_text(s in "[\\PC\t\n\r\x0b\x0c]{0,80}") {
            let mut general = String::new();
            slow(&s, &mut general, &mut Sink::default());
            prop_assert_eq!(normalize(&s), general);
        }

        /// The ASCII path's eight-byte lanes agree with the general path, on ASCII text of
        /// several lanes with capitals, runs of spaces, every ASCII white space and control
        /// character, backticks and DEL falling anywhere in a lane or across lanes.
        #[test]
        fn ascii_lanes_agree_with_the_general_path(
            s in "([a-zA-Z0-9@\\[\\]^_{}~.,'`\x7f]{0,9}[ \t\n\r\x0b\x0c\x00\x01\x1f]{0,3}){0,60}"
        ) {
            let mut general = String::new();
            slow(&s, &mut general, &mut Sink::default());
            prop_assert_eq!(normalize(&s), general);
        }

        /// Lines normalised one by one are the joined text normalised.
        #[test]
        fn lines_normalise_as_their_joined_text(lines in proptest::collection::vec("[\\PC\t\r\x0b\x0c]{0,30}", 0..6)) {
            let mut out = String::new();
            normalize_lines_into(lines.iter().map(String::as_str), &mut out);
            prop_assert_eq!(out, normalize(&lines.join("\n")));
        }

        #[test]
        fn idempotent_on_mixed_scripts(s in "[a-zA-Z \u{3001}\u{3002}\u{4E00}-\u{4E20}\u{3041}-\u{3050}\u{0E01}-\u{0E10}\u{0E31}\u{0E34}\u{2018}-\u{201F}\u{0130}\u{00DF}\u{FB01}\u{0301}\u{00C5}\u{212B}\t\n]{0,40}") {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once);
        }
    }
}
