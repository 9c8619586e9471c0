//! Normalised text → words → sorted, deduplicated `u64` shingle hashes (xxh3).
//!
//! A word is a maximal run of alphanumeric characters. Each word is hashed once with xxh3; a shingle of
//! `k` consecutive words is the xxh3 hash of those `k` word hashes, so shingles cost one small hash
//! each and nothing is allocated per word or per shingle: callers pass scratch vectors that are reused
//! from document to document.

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// The longest shingle, in words, that [`shingles_into`] accepts.
pub const MAX_SHINGLE: usize = 16;

/// The words of normalised text, in order: maximal runs of alphanumeric characters.
pub fn words(text: &str) -> Words<'_> {
    Words { text, pos: 0 }
}

/// Iterator over the words of a text; see [`words`]. ASCII bytes are classified without decoding
/// characters, which matters because this runs over every byte of every article.
#[derive(Debug, Clone)]
pub struct Words<'a> {
    text: &'a str,
    pos: usize,
}

impl Words<'_> {
    /// From byte `i`, the first byte whose character is (`alnum`) or is not (`!alnum`)
    /// alphanumeric, or the text's end. ASCII bytes take a tight loop.
    #[inline(always)]
    fn find_class(&self, mut i: usize, alnum: bool) -> usize {
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(i) {
            if b.is_ascii() {
                if b.is_ascii_alphanumeric() == alnum {
                    break;
                }
                i += 1;
            } else {
                let c = self.text[i..].chars().next().expect("a char starts here");
                if c.is_alphanumeric() == alnum {
                    break;
                }
                i += c.len_utf8();
            }
        }
        i
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let start = self.find_class(self.pos, true);
        if start == self.text.len() {
            self.pos = start;
            return None;
        }
        self.pos = self.find_class(start, false);
        Some(&self.text[start..self.pos])
    }
}

/// The number of words in `text` (as [`words`] counts them), with a byte loop for ASCII text.
pub fn count_words(text: &str) -> usize {
    if !text.is_ascii() {
        return words(text).count();
    }
    let mut count = 0;
    let mut in_word = false;
    for &b in text.as_bytes() {
        let alnum = b.is_ascii_alphanumeric();
        count += usize::from(alnum && !in_word);
        in_word = alnum;
    }
    count
}

/// The xxh3 hash of one word.
#[inline]
pub fn hash_word(word: &str) -> u64 {
    xxh3_64(word.as_bytes())
}

/// Appends the hash of every word of `text` to `out`.
pub fn word_hashes_into(text: &str, out: &mut Vec<u64>) {
    out.extend(words(text).map(hash_word));
}

/// Hashes every run of `k` consecutive items of `tokens` into `out` (cleared first), then sorts and
/// deduplicates `out`. A sequence shorter than `k` (but not empty) yields one shingle of all of it.
///
/// # Panics
/// If `k` is 0 or more than [`MAX_SHINGLE`]; [`Config::validate`](crate::Config::validate) rules
/// both out before any text is read.
pub fn shingles_into(tokens: &[u64], k: usize, out: &mut Vec<u64>) {
    assert!(
        (1..=MAX_SHINGLE).contains(&k),
        "shingle size {k} out of range"
    );
    out.clear();
    if tokens.is_empty() {
        return;
    }
    let mut buf = [0u8; 8 * MAX_SHINGLE];
    let mut hash = |window: &[u64]| {
        for (slot, h) in buf.chunks_exact_mut(8).zip(window) {
            slot.copy_from_slice(&h.to_le_bytes());
        }
        xxh3_64_with_seed(&buf[..8 * window.len()], window.len() as u64)
    };
    if tokens.len() < k {
        out.push(hash(tokens));
    } else {
        out.extend(tokens.windows(k).map(&mut hash));
    }
    out.sort_unstable();
    out.dedup();
}

/// Size of the intersection of two sorted, deduplicated slices.
pub fn intersection_size<T: Ord>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shingles(text: &str, k: usize) -> Vec<u64> {
        let mut words = Vec::new();
        word_hashes_into(text, &mut words);
        let mut out = Vec::new();
        shingles_into(&words, k, &mut out);
        out
    }

    proptest::proptest! {
        /// The byte-level tokenizer agrees with splitting on non-alphanumeric characters.
        #[test]
        fn words_match_a_plain_split(text in "\\PC{0,80}") {
            let plain: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
            proptest::prop_assert_eq!(words(&text).collect::<Vec<_>>(), plain);
        }
    }

    #[test]
    fn words_split_on_punctuation() {
        let w: Vec<&str> = words("it's 3.5bn -- \"quoted\", état").collect();
        assert_eq!(w, ["it", "s", "3", "5bn", "quoted", "état"]);
    }

    #[test]
    fn word_counts_agree_with_words() {
        for text in [
            "",
            "one",
            " two  words ",
            "it's 3.5bn -- \"quoted\"",
            "état, café au lait",
        ] {
            assert_eq!(count_words(text), words(text).count(), "{text:?}");
        }
    }

    #[test]
    fn shingle_counts() {
        assert_eq!(shingles("a b c d e", 3).len(), 3);
        assert_eq!(shingles("a b", 3).len(), 1);
        assert_eq!(shingles("", 3).len(), 0);
        // Repeated shingles are deduplicated.
        assert_eq!(shingles("a b a b a b", 2).len(), 2);
    }

    #[test]
    fn punctuation_does_not_change_shingles() {
        assert_eq!(
            shingles("one, two; three four", 2),
            shingles("one two three four", 2)
        );
    }

    #[test]
    fn short_sequence_differs_from_its_prefix_shingle() {
        // The one-shingle fallback for short texts is seeded by length, so "a b" as a whole
        // never equals a 2-shingle hashed at another size.
        assert_ne!(shingles("a b", 3), shingles("a b c", 3));
    }

    #[test]
    fn intersection() {
        assert_eq!(intersection_size(&[1, 3, 5, 7], &[2, 3, 4, 7, 9]), 2);
        assert_eq!(intersection_size::<u32>(&[], &[1]), 0);
    }
}
