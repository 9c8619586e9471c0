//! Text → normalised text, so that copies differing only in typography compare equal.
//!
//! Normalisation is Unicode NFKC, lower-casing, folding of curly quotes, primes and dashes to their
//! ASCII forms, and collapsing every run of white space to one space (leading and trailing white space
//! is dropped). It is idempotent: normalising normalised text changes nothing. Pure-ASCII text takes a
//! fast path that does no Unicode work.

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Normalises `text` into `out` (cleared first), reusing `out`'s allocation.
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    out.reserve(text.len());
    let mut sink = Sink::default();
    if text.is_ascii() {
        ascii(text, out, &mut sink);
        return;
    }
    // Most non-ASCII news text is NFKC already (a stray "£" or curly quote): then only characters
    // that lower-case to one character can be handled without decomposing anything, and the ASCII
    // runs between them take the ASCII path.
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let ascii_end = bytes[i..]
                .iter()
                .position(|b| !b.is_ascii())
                .map_or(bytes.len(), |n| i + n);
            if ascii_end > i {
                ascii(&text[i..ascii_end], out, &mut sink);
                i = ascii_end;
                continue;
            }
            let c = text[i..].chars().next().expect("a char starts here");
            i += c.len_utf8();
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None)
                    if c.is_ascii()
                        || l.is_ascii()
                        || l == c
                        || is_nfkc_quick(std::iter::once(l)) == IsNormalized::Yes =>
                {
                    if let Some(f) = fold(l) {
                        sink.push(f, out);
                    }
                }
                _ => return slow(text, out),
            }
        }
        return;
    }
    slow(text, out);
}

/// The ASCII path (for ASCII `text`, which may continue what `sink` has appended): no character
/// decoding; each run of non-space bytes is copied whole and lower-cased in place.
fn ascii(text: &str, out: &mut String, sink: &mut Sink) {
    // The ASCII characters `char::is_whitespace` accepts.
    let space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let spaces = i;
        while i < bytes.len() && space(bytes[i]) {
            i += 1;
        }
        if i > spaces {
            sink.pending_space = !out.is_empty();
        }
        let start = i;
        while i < bytes.len() && !space(bytes[i]) {
            i += 1;
        }
        if start < i {
            if sink.pending_space {
                out.push(' ');
                sink.pending_space = false;
            }
            let from = out.len();
            out.push_str(&text[start..i]);
            out[from..].make_ascii_lowercase();
        }
    }
}

/// The general path: NFKC before and after lower-casing, since lower-casing can produce characters
/// that NFKC composes differently, and normalisation must be idempotent.
fn slow(text: &str, out: &mut String) {
    out.clear();
    let mut sink = Sink::default();
    for c in text.nfkc().flat_map(char::to_lowercase).nfkc() {
        if let Some(c) = fold(c) {
            sink.push(c, out);
        }
    }
}

/// Collapses white space while characters are appended.
#[derive(Default)]
struct Sink {
    pending_space: bool,
}

impl Sink {
    #[inline]
    fn push(&mut self, c: char, out: &mut String) {
        if c.is_whitespace() {
            self.pending_space = !out.is_empty();
        } else {
            if self.pending_space {
                out.push(' ');
                self.pending_space = false;
            }
            out.push(c);
        }
    }
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
        slow(text, &mut general);
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
            slow(text, &mut general);
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
            slow(&s, &mut general);
            prop_assert_eq!(normalize(&s), general);
        }

        #[test]
        fn idempotent_on_mixed_scripts(s in "[a-zA-Z \u{2018}-\u{201F}\u{0130}\u{00DF}\u{FB01}\u{0301}\u{00C5}\u{212B}\t\n]{0,40}") {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once);
        }
    }
}
