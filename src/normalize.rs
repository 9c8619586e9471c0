//! Text → normalised text, so that copies differing only in typography compare equal.
//!
//! Normalisation is Unicode NFKC, lower-casing, folding of curly quotes, primes and dashes to their
//! ASCII forms, and collapsing every run of white space to one space (leading and trailing white space
//! is dropped). It is idempotent: normalising normalised text changes nothing. Pure-ASCII text takes a
//! fast path that does no Unicode work.

use unicode_normalization::UnicodeNormalization;

/// Normalises `text` into `out` (cleared first), reusing `out`'s allocation.
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    out.reserve(text.len());
    let mut pending_space = false;
    let mut push = |c: char, out: &mut String| {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    };
    if text.is_ascii() {
        for b in text.bytes() {
            push(b.to_ascii_lowercase() as char, out);
        }
    } else {
        // NFKC before and after lower-casing: lower-casing can produce characters that NFKC
        // composes differently, and normalisation must be idempotent.
        for c in text.nfkc().flat_map(char::to_lowercase).nfkc() {
            if let Some(c) = fold(c) {
                push(c, out);
            }
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

        #[test]
        fn idempotent_on_mixed_scripts(s in "[a-zA-Z \u{2018}-\u{201F}\u{0130}\u{00DF}\u{FB01}\u{0301}\u{00C5}\u{212B}\t\n]{0,40}") {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once);
        }
    }
}
