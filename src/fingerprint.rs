//! Stripped text → everything later stages need about one document: the hash of its normalised body,
//! its word count, its word-shingle set and its content-word set (each with a MinHash signature).
//!
//! The two sets feed two candidate channels: word shingles find verbatim copies, content words (the
//! words left when function words are dropped, which spinners and translators garble most) find
//! reworded ones.
//!
//! A [`Scratch`] carries the buffers reused from one document to the next (one per rayon worker), so
//! fingerprinting allocates only the shingle set it keeps.

use xxhash_rust::xxh3::xxh3_64;

use crate::align::is_stopword;
use crate::minhash::MinHasher;
use crate::normalize::{normalize_into, normalize_lines_into, NormalizedLinesHash};
use crate::shingle::{shingles_with, word_hashes_into, words};

/// Per-thread buffers for [`fingerprint`].
#[derive(Debug, Default)]
pub struct Scratch {
    normalized: String,
    normalized_title: String,
    words: Vec<u64>,
    shingles: Vec<u64>,
    bins: Vec<u64>,
    /// Scratch for sorting shingle hashes.
    spare: Vec<u64>,
}

/// What the pipeline keeps of one document.
#[derive(Debug, Clone, Default)]
pub struct Fingerprint {
    /// xxh3 of the normalised body: equal hashes mean exact copies.
    pub body_hash: u64,
    /// Words in the body.
    pub words: usize,
    /// Sorted, deduplicated word shingle hashes of the body.
    pub shingles: Vec<u64>,
    /// Sorted, deduplicated hashes of the body's content words.
    pub content: Vec<u64>,
    /// xxh3 of the normalised first line (the title, in most articles).
    pub title_hash: u64,
}

/// Where [`fingerprint`] writes a document's two signatures.
pub struct SignatureSlots<'a> {
    /// The word-shingle signature.
    pub shingles: &'a mut [u32],
    /// The content-word signature.
    pub content: &'a mut [u32],
}

/// The [`Fingerprint::body_hash`] of the body made of `lines`, without fingerprinting it; `None` if
/// the body has no words. `scratch` is reused. This is the definition the corpus path keeps to when it
/// groups copies by hashes streamed from its table of lines
/// ([`BodyHasher`](crate::boilerplate::BodyHasher)).
pub fn body_hash<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    scratch: &mut String,
) -> Option<u64> {
    normalize_lines_into(lines, scratch);
    words(scratch)
        .next()
        .is_some()
        .then(|| xxh3_64(scratch.as_bytes()))
}

/// Fingerprints one (already stripped) body and writes its signatures.
pub fn fingerprint(
    body: &str,
    shingle_size: usize,
    hasher: &MinHasher,
    scratch: &mut Scratch,
    slots: SignatureSlots<'_>,
) -> Fingerprint {
    normalize_into(body, &mut scratch.normalized);
    scratch.words.clear();
    word_hashes_into(&scratch.normalized, &mut scratch.words);
    normalize_into(
        body.lines().next().unwrap_or(""),
        &mut scratch.normalized_title,
    );
    let hashes = Hashes {
        body: xxh3_64(scratch.normalized.as_bytes()),
        title: xxh3_64(scratch.normalized_title.as_bytes()),
    };
    sign(hashes, shingle_size, hasher, scratch, slots)
}

/// [`fingerprint`] of the body made of these lines, given normalised (as
/// [`normalize_into`] gives each): the corpus path has every distinct line normalised already.
pub fn fingerprint_normalized_lines<'a>(
    lines: impl IntoIterator<Item = &'a str, IntoIter: Clone>,
    shingle_size: usize,
    hasher: &MinHasher,
    scratch: &mut Scratch,
    slots: SignatureSlots<'_>,
) -> Fingerprint {
    let lines = lines.into_iter();
    let mut body = NormalizedLinesHash::default();
    for line in lines.clone() {
        body.add(line);
    }
    let hashes = Hashes {
        body: body.digest(),
        title: xxh3_64(lines.clone().next().unwrap_or("").as_bytes()),
    };
    fingerprint_hashed_lines(lines, hashes, shingle_size, hasher, scratch, slots)
}

/// [`fingerprint_normalized_lines`] of a body whose [`Hashes`] are known already: the corpus path
/// hashed each body as it stripped it, and each line as it normalised it.
pub fn fingerprint_hashed_lines<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    hashes: Hashes,
    shingle_size: usize,
    hasher: &MinHasher,
    scratch: &mut Scratch,
    slots: SignatureSlots<'_>,
) -> Fingerprint {
    scratch.words.clear();
    // The normalised body's words are its lines' words.
    for line in lines {
        word_hashes_into(line, &mut scratch.words);
    }
    sign(hashes, shingle_size, hasher, scratch, slots)
}

/// The hashes of a normalised body: [`Fingerprint::body_hash`] and [`Fingerprint::title_hash`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hashes {
    /// xxh3 of the normalised body (its non-empty lines joined by a space).
    pub body: u64,
    /// xxh3 of its first normalised line (of the empty string if it has none).
    pub title: u64,
}

/// The fingerprint of the words in `scratch.words`, its signatures written to `slots`.
fn sign(
    hashes: Hashes,
    shingle_size: usize,
    hasher: &MinHasher,
    scratch: &mut Scratch,
    slots: SignatureSlots<'_>,
) -> Fingerprint {
    shingles_with(
        &scratch.words,
        shingle_size,
        &mut scratch.shingles,
        &mut scratch.spare,
    );
    hasher.sign_into(&scratch.shingles, &mut scratch.bins, slots.shingles);
    let shingles = scratch.shingles.clone();
    let words = scratch.words.len();
    // Function words dropped without a branch on each word: every word is written, and the next
    // one overwrites it if it is a function word (about every other word of English prose, so a
    // branch on it was mispredicted half the time).
    let mut kept = 0;
    for i in 0..scratch.words.len() {
        let w = scratch.words[i];
        scratch.words[kept] = w;
        kept += usize::from(!is_stopword(w));
    }
    scratch.words.truncate(kept);
    shingles_with(&scratch.words, 1, &mut scratch.shingles, &mut scratch.spare);
    hasher.sign_into(&scratch.shingles, &mut scratch.bins, slots.content);
    Fingerprint {
        title_hash: hashes.title,
        body_hash: hashes.body,
        words,
        shingles,
        content: scratch.shingles.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(
        text: &str,
        hasher: &MinHasher,
        scratch: &mut Scratch,
    ) -> (Fingerprint, Vec<u32>, Vec<u32>) {
        let (mut shingles, mut content) = (vec![0; 32], vec![0; 32]);
        let slots = SignatureSlots {
            shingles: &mut shingles,
            content: &mut content,
        };
        (
            fingerprint(text, 3, hasher, scratch, slots),
            shingles,
            content,
        )
    }

    proptest::proptest! {
        /// Fingerprinting a body's lines normalised beforehand gives the body's fingerprint and
        /// signatures.
        #[test]
        fn fingerprints_from_normalised_lines_are_the_bodys(
            lines in proptest::collection::vec("[ \t]?([A-Za-z0-9\u{e9}\u{2019}\u{201c}]{1,6}[ ,.!?;:]{1,2}){0,6}", 0..6)
        ) {
            let hasher = MinHasher::new(32, 1);
            let mut scratch = Scratch::default();
            let body = lines.join("\n");
            let (whole, shingles, content) = print(&body, &hasher, &mut scratch);
            let normalized: Vec<String> = body.lines().map(crate::normalize::normalize).collect();
            let (mut s, mut c) = (vec![0; 32], vec![0; 32]);
            let slots = SignatureSlots { shingles: &mut s, content: &mut c };
            let by_lines = fingerprint_normalized_lines(
                normalized.iter().map(String::as_str), 3, &hasher, &mut scratch, slots,
            );
            proptest::prop_assert_eq!(
                (by_lines.body_hash, by_lines.title_hash, by_lines.words, &by_lines.shingles, &by_lines.content),
                (whole.body_hash, whole.title_hash, whole.words, &whole.shingles, &whole.content)
            );
            proptest::prop_assert_eq!((s, c), (shingles, content));
        }
    }

    #[test]
    fn body_hash_is_the_fingerprints() {
        let hasher = MinHasher::new(32, 1);
        let mut scratch = Scratch::default();
        let lines = [
            "Talks  began in \u{201C}Geneva\u{201D}.",
            "",
            "\u{2014} They ended",
        ];
        let (print, _, _) = print(&lines.join("\n"), &hasher, &mut scratch);
        let mut normalized = String::new();
        assert_eq!(body_hash(lines, &mut normalized), Some(print.body_hash));
        assert_eq!(body_hash(["--", " "], &mut normalized), None);
    }

    #[test]
    fn typography_does_not_change_the_fingerprint() {
        let hasher = MinHasher::new(32, 1);
        let mut scratch = Scratch::default();
        let (a, a_shingles, a_content) =
            print("It\u{2019}s  \u{201C}Done\u{201D}.", &hasher, &mut scratch);
        let (b, b_shingles, b_content) = print("it's \"done\".", &hasher, &mut scratch);
        assert_eq!(a.body_hash, b.body_hash);
        assert_eq!(a.shingles, b.shingles);
        assert_eq!((a_shingles, a_content), (b_shingles, b_content));
        assert_eq!(a.words, 3);
        // "it" and "s" are function words: "done" is the only content word.
        assert_eq!(a.content.len(), 1);
    }
}
