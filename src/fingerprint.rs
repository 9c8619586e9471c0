//! Stripped text → everything later stages need about one document: the hash of its normalised body,
//! its word count, its shingle set and its MinHash signature.
//!
//! A [`Scratch`] carries the buffers reused from one document to the next (one per rayon worker), so
//! fingerprinting allocates only the shingle set it keeps.

use xxhash_rust::xxh3::xxh3_64;

use crate::minhash::MinHasher;
use crate::normalize::normalize_into;
use crate::shingle::{shingles_into, word_hashes_into};

/// Per-thread buffers for [`fingerprint`].
#[derive(Debug, Default)]
pub struct Scratch {
    normalized: String,
    words: Vec<u64>,
    shingles: Vec<u64>,
    bins: Vec<u64>,
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
}

/// Fingerprints one (already stripped) body and writes its signature into `signature`.
pub fn fingerprint(
    body: &str,
    shingle_size: usize,
    hasher: &MinHasher,
    scratch: &mut Scratch,
    signature: &mut [u32],
) -> Fingerprint {
    normalize_into(body, &mut scratch.normalized);
    scratch.words.clear();
    word_hashes_into(&scratch.normalized, &mut scratch.words);
    shingles_into(&scratch.words, shingle_size, &mut scratch.shingles);
    hasher.sign_into(&scratch.shingles, &mut scratch.bins, signature);
    Fingerprint {
        body_hash: xxh3_64(scratch.normalized.as_bytes()),
        words: scratch.words.len(),
        shingles: scratch.shingles.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typography_does_not_change_the_fingerprint() {
        let hasher = MinHasher::new(32, 1);
        let mut scratch = Scratch::default();
        let (mut s1, mut s2) = (vec![0; 32], vec![0; 32]);
        let a = fingerprint(
            "It\u{2019}s  \u{201C}Done\u{201D}.",
            3,
            &hasher,
            &mut scratch,
            &mut s1,
        );
        let b = fingerprint("it's \"done\".", 3, &hasher, &mut scratch, &mut s2);
        assert_eq!(a.body_hash, b.body_hash);
        assert_eq!(a.shingles, b.shingles);
        assert_eq!(s1, s2);
        assert_eq!(a.words, 3);
    }
}
