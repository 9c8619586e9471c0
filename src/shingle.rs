//! Normalised text → words → sorted, deduplicated `u64` shingle hashes (xxh3).
//!
//! A word is a maximal run of alphanumeric characters. Each word is hashed once with xxh3; a shingle of
//! `k` consecutive words is the xxh3 hash of those `k` word hashes, so shingles cost one small hash
//! each and nothing is allocated per word or per shingle: callers pass scratch vectors that are reused
//! from document to document.

use std::ops::Range;

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// The longest shingle, in words, that [`shingles_into`] accepts.
pub const MAX_SHINGLE: usize = 16;

/// The words of normalised text, in order: maximal runs of alphanumeric characters.
pub fn words(text: &str) -> Words<'_> {
    Words {
        text,
        blocks: Blocks {
            text,
            start: 0,
            last_alnum: false,
        },
        block: 0,
        boundaries: 0,
        open: None,
    }
}

/// Bytes classified at a time by [`Words`]: one bit each in a `u64`.
const BLOCK: usize = 64;

/// Whether each ASCII byte is alphanumeric, as 0 or 1.
const ASCII_ALNUM: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).is_ascii_alphanumeric() as u8;
        b += 1;
    }
    table
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// High bit of each byte of `x` set where that byte is at least `c`; meaningful for bytes below
/// 0x80 and `c` at most 0x80 (setting the high bit first keeps borrows inside each byte).
#[inline]
fn at_least(x: u64, c: u8) -> u64 {
    ((x | HIGH) - ONES * u64::from(c)) & HIGH
}

/// High bit of each byte of `x` set where that byte is an ASCII digit.
#[inline]
fn digit_lanes(x: u64) -> u64 {
    at_least(x, b'0') & !at_least(x, b'9' + 1)
}

/// One bit for each of the eight bytes of `x` (lowest byte first) that is an ASCII letter or digit;
/// bytes of 0x80 and above give meaningless bits, which the caller discards.
#[inline]
fn alnum_lanes(x: u64) -> u8 {
    let folded = x | (ONES * 0x20);
    let letter = at_least(folded, b'a') & !at_least(folded, b'z' + 1);
    // Gather the eight high bits into one byte: bit 8i lands at 56 + i.
    ((((digit_lanes(x) | letter) >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56) as u8
}

/// Where the first ASCII digit of `bytes` at or after `from` is, or `bytes.len()` if none is:
/// eight bytes at a time, as most text has few digits.
pub fn next_ascii_digit(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(lane) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(lane.try_into().expect("eight bytes"));
        // Bytes of 0x80 and above (`x`'s high bit set) are not digits.
        let digits = digit_lanes(x) & !x;
        if digits != 0 {
            return i + digits.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    bytes[i.min(bytes.len())..]
        .iter()
        .position(u8::is_ascii_digit)
        .map_or(bytes.len(), |p| i + p)
}

/// Iterator over the words of a text; see [`words`].
///
/// This runs over every byte of every article, several times, so it avoids a branch per byte: the
/// text is classified 64 bytes at a time into a bit mask of alphanumeric bytes (ASCII bytes by
/// table, other characters by decoding them), and the places where the class changes — word starts
/// and ends, alternately — are taken from the mask with `trailing_zeros`.
#[derive(Debug, Clone)]
pub struct Words<'a> {
    text: &'a str,
    blocks: Blocks<'a>,
    /// Where the current block starts.
    block: usize,
    /// The class changes left in the current block, as bits (bit `i`: byte `block + i`).
    boundaries: u64,
    /// Where the word being read started, once its start is found and its end is not.
    open: Option<usize>,
}

/// A text's 64-byte blocks in order, each with its mask of alphanumeric bytes.
#[derive(Debug, Clone)]
struct Blocks<'a> {
    text: &'a str,
    /// Where the next block starts.
    start: usize,
    /// Whether the last byte classified is alphanumeric.
    last_alnum: bool,
}

/// One block of [`Blocks`].
struct Block {
    start: usize,
    len: usize,
    /// Bit `i` set where byte `start + i` is alphanumeric.
    mask: u64,
    /// Whether the byte before the block is alphanumeric.
    after_alnum: bool,
}

impl Iterator for Blocks<'_> {
    type Item = Block;

    fn next(&mut self) -> Option<Block> {
        if self.start >= self.text.len() {
            return None;
        }
        let len = BLOCK.min(self.text.len() - self.start);
        let block = Block {
            start: self.start,
            len,
            mask: classify(self.text, self.start, len, self.last_alnum),
            after_alnum: self.last_alnum,
        };
        self.last_alnum = block.mask >> (len - 1) & 1 == 1;
        self.start += len;
        Some(block)
    }
}

/// The alphanumeric mask of `len` (at most 64) bytes of `text` from `start`; `last_alnum` says
/// whether the byte before `start` is alphanumeric.
fn classify(text: &str, start: usize, len: usize, last_alnum: bool) -> u64 {
    let bytes = &text.as_bytes()[start..start + len];
    let (mut mask, mut high) = (0u64, 0u64);
    // Eight bytes at a time, as the lanes of a u64 (SWAR).
    let mut lanes = bytes.chunks_exact(8);
    for (k, lane) in lanes.by_ref().enumerate() {
        let x = u64::from_le_bytes(lane.try_into().expect("eight bytes"));
        high |= x;
        mask |= u64::from(alnum_lanes(x)) << (8 * k);
    }
    let tail = lanes.remainder();
    for (i, &b) in tail.iter().enumerate() {
        mask |= u64::from(ASCII_ALNUM[usize::from(b & 0x7f)]) << (len - tail.len() + i);
        high |= u64::from(b);
    }
    if high & 0x8080_8080_8080_8080 == 0 {
        return mask;
    }
    // Some characters are not ASCII: classify them (all their bytes alike) by decoding. A
    // character may have begun in the previous block; its bytes here are continuation bytes.
    let mut mask = 0u64;
    let mut i = 0;
    while i < len && !text.is_char_boundary(start + i) {
        mask |= u64::from(last_alnum) << i;
        i += 1;
    }
    while i < len {
        let c = text[start + i..]
            .chars()
            .next()
            .expect("a char starts here");
        if c.is_alphanumeric() {
            let end = (i + c.len_utf8()).min(len);
            mask |= (u64::MAX >> (BLOCK - (end - i))) << i;
        }
        i += c.len_utf8();
    }
    mask
}

impl Words<'_> {
    /// Takes the class changes of the next block into `boundaries`; `false` past the end of the
    /// text. Out of line, so that the per-word path of `next` stays small enough to inline.
    #[inline(never)]
    fn refill(&mut self) -> bool {
        let Some(block) = self.blocks.next() else {
            return false;
        };
        // Bit i is set where byte i's class differs from byte i - 1's; a word open at the end of a
        // short (last) block ends with the text.
        let shifted = (block.mask << 1) | u64::from(block.after_alnum);
        let valid = if block.len == BLOCK {
            u64::MAX
        } else {
            (1u64 << block.len) - 1
        };
        self.boundaries = (block.mask ^ shifted) & valid;
        self.block = block.start;
        true
    }
}

impl Words<'_> {
    /// The next word's byte range in the text. Hot loops take words this way and read their bytes:
    /// a `str` slice checks that both ends fall on character boundaries, which word boundaries
    /// always do.
    // Always inlined: its callers are per-word loops large enough that the compiler would not.
    #[inline(always)]
    pub fn next_span(&mut self) -> Option<Range<usize>> {
        loop {
            while self.boundaries == 0 {
                if !self.refill() {
                    // Past the end: a word still open ends with the text.
                    return self.open.take().map(|start| start..self.text.len());
                }
            }
            let at = self.block + self.boundaries.trailing_zeros() as usize;
            self.boundaries &= self.boundaries - 1;
            match self.open.take() {
                Some(start) => return Some(start..at),
                None => self.open = Some(at),
            }
        }
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    #[inline(always)]
    fn next(&mut self) -> Option<&'a str> {
        let text = self.text;
        self.next_span().map(|span| &text[span])
    }
}

/// The byte range of every word of `text`, as [`words`] finds them.
#[inline]
pub fn word_spans(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut words = words(text);
    std::iter::from_fn(move || words.next_span())
}

/// The number of words in `text` (as `words` counts them): the word starts in each block's mask.
pub fn count_words(text: &str) -> usize {
    words(text)
        .blocks
        .map(|b| (b.mask & !((b.mask << 1) | u64::from(b.after_alnum))).count_ones() as usize)
        .sum()
}

/// The xxh3 hash of one word.
#[inline]
pub fn hash_word(word: &str) -> u64 {
    hash_word_bytes(word.as_bytes())
}

/// [`hash_word`] of a word given as its bytes, as hot loops take words (see [`Words::next_span`]).
#[inline]
pub fn hash_word_bytes(word: &[u8]) -> u64 {
    xxh3_64(word)
}

/// Appends the hash of every word of `text` to `out`.
pub fn word_hashes_into(text: &str, out: &mut Vec<u64>) {
    let bytes = text.as_bytes();
    out.extend(word_spans(text).map(|span| hash_word_bytes(&bytes[span])));
}

/// Hashes every run of `k` consecutive items of `tokens` into `out` (cleared first), then sorts and
/// deduplicates `out`. A sequence shorter than `k` (but not empty) yields one shingle of all of it.
///
/// # Panics
/// If `k` is 0 or more than `MAX_SHINGLE`; [`Config::validate`](crate::Config::validate) rules
/// both out before any text is read.
pub fn shingles_into(tokens: &[u64], k: usize, out: &mut Vec<u64>) {
    shingles_with(tokens, k, out, &mut Vec::new());
}

/// [`shingles_into`], with `spare` as scratch for the sort (a bucket sort of the hashes): callers
/// that shingle document after document keep one, as the pipeline's fingerprints do.
pub fn shingles_with(tokens: &[u64], k: usize, out: &mut Vec<u64>, spare: &mut Vec<u64>) {
    assert!(
        (1..=MAX_SHINGLE).contains(&k),
        "shingle size {k} out of range"
    );
    out.clear();
    if tokens.is_empty() {
        return;
    }
    let mut buf = [0u8; 8 * MAX_SHINGLE];
    let mut hash =
        |window: &[u64]| xxh3_64_with_seed(le_bytes(window, &mut buf), window.len() as u64);
    if tokens.len() < k {
        out.push(hash(tokens));
    } else {
        out.extend(tokens.windows(k).map(&mut hash));
    }
    sort_hashes_with(out, spare);
    out.dedup();
}

/// The bytes of `words` laid end to end, each little-endian: what a shingle's hash reads. On a
/// little-endian machine they are the words' own memory, read where they are (a copy per shingle
/// was a call to `memcpy` per word of every article).
#[cfg(target_endian = "little")]
fn le_bytes<'a>(words: &'a [u64], _buf: &'a mut [u8; 8 * MAX_SHINGLE]) -> &'a [u8] {
    bytemuck::cast_slice(words)
}

/// The bytes of `words` laid end to end, each little-endian, put together in `buf`.
#[cfg(not(target_endian = "little"))]
fn le_bytes<'a>(words: &'a [u64], buf: &'a mut [u8; 8 * MAX_SHINGLE]) -> &'a [u8] {
    for (slot, h) in buf.chunks_exact_mut(8).zip(words) {
        slot.copy_from_slice(&h.to_le_bytes());
    }
    &buf[..8 * words.len()]
}

/// Sorts hash values, using `spare` as scratch: [`sort_spread_with`], the hashes being their own
/// evenly spread keys.
pub fn sort_hashes_with(values: &mut [u64], spare: &mut Vec<u64>) {
    sort_spread_with(values, spare, |&v| v);
}

/// Sorts `values` by buckets of their keys' top bits (see [`sort_spread_with`]).
pub fn sort_spread<T: Ord + Copy>(values: &mut [T], key: impl Fn(&T) -> u64) {
    sort_spread_with(values, &mut Vec::new(), key);
}

/// Sorts `values` whose `key` agrees with their order (a value of a smaller key is smaller) and is
/// spread evenly from its top bit (a hash, or a hash shifted past bits that all values share),
/// using `spare` as scratch. One pass puts each value among those of the same top bits of the key,
/// with about as many such buckets as values, which leaves them all but sorted: a value has a
/// neighbour or two to pass, and one pass of insertion sort finishes. That is about half the work
/// of a comparison sort (shingle sets, LSH band lists, anchor postings), and a third less than
/// sorting buckets of the top byte one by one (a loop over 256 buckets a set, each a call). Any
/// such values sort correctly, however the buckets fill; values crowded into few buckets (copies
/// sharing a band key, a common anchor, or crafted input) would make insertion quadratic: the
/// bucket sizes tell, and the standard sort takes each crowded bucket, which insertion then passes
/// in one step a value (a common anchor's postings are most of an anchor part, and come in order).
pub fn sort_spread_with<T: Ord + Copy>(
    values: &mut [T],
    spare: &mut Vec<T>,
    key: impl Fn(&T) -> u64,
) {
    // Below this many, the buckets cost more than they save.
    const SMALL: usize = 64;
    // Buckets by the top 6 to 12 bits: one bucket per value, or 4,096 for larger sets. (Counted
    // in an array on the stack: counts in a vector sized to the set measured slower.)
    const MAX_BITS: u32 = 12;
    let n = values.len();
    if n < SMALL {
        values.sort_unstable();
        return;
    }
    let bits = (usize::BITS - (n - 1).leading_zeros()).min(MAX_BITS);
    let (shift, buckets) = (u64::BITS - bits, 1usize << bits);
    let bucket = |v: &T| (key(v) >> shift) as usize;
    let mut next = [0u32; (1 << MAX_BITS) + 1];
    for v in values.iter() {
        next[bucket(v) + 1] += 1;
    }
    let crowded = too_crowded(&next[..=buckets], n);
    for b in 0..buckets {
        next[b + 1] += next[b];
    }
    spare.clear();
    spare.resize(n, values[0]);
    for v in values.iter() {
        let slot = &mut next[bucket(v)];
        spare[*slot as usize] = *v;
        *slot += 1;
    }
    // Each bucket now ends where the next one starts.
    if crowded {
        let mut start = 0;
        for &end in &next[..buckets] {
            let bucket = &mut spare[start..end as usize];
            if bucket.len() > CROWDED_BUCKET {
                bucket.sort_unstable();
            }
            start = end as usize;
        }
    }
    // Insertion sort from `spare` into `values`: every earlier bucket holds smaller values.
    for (i, &v) in spare.iter().enumerate() {
        let mut j = i;
        while j > 0 && values[j - 1] > v {
            values[j] = values[j - 1];
            j -= 1;
        }
        values[j] = v;
    }
}

/// A bucket of more values than this, among buckets [`too_crowded`] for one pass of insertion
/// sort, is sorted on its own first.
const CROWDED_BUCKET: usize = 32;

/// Whether `n` values with these bucket sizes are too crowded for one pass of insertion sort.
/// Insertion moves each value past the larger ones of its bucket: about the sum of the squares
/// of the bucket sizes in all. Evenly spread, that is twice the values; past sixteen times, the
/// standard sort is cheaper.
fn too_crowded(bucket_sizes: &[u32], n: usize) -> bool {
    let crowding: usize = (bucket_sizes.iter())
        .map(|&c| c as usize * c as usize)
        .sum();
    crowding > 16 * n
}

/// Size of the intersection of two sorted, deduplicated slices.
pub fn intersection_size<T: Ord + Copy>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    // Without a branch on the comparison: hashes compare at random, so a branch would be
    // mispredicted half the time.
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
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

        /// The same over texts of several 64-byte blocks, mostly ASCII as news is, with
        /// multi-byte characters falling across block boundaries.
        #[test]
        fn words_match_a_plain_split_across_blocks(text in "([a-z0-9]{1,9}[ ,.\n]{1,2}|[\u{e9}\u{2019}\u{201c}\u{4e2d}\u{1f600}\u{a0}]){0,120}") {
            let plain: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
            proptest::prop_assert_eq!(count_words(&text), plain.len());
            proptest::prop_assert_eq!(&words(&text).collect::<Vec<_>>(), &plain);
            // Word hashes, read off the words' byte spans, are the plain words' hashes.
            let mut hashes = Vec::new();
            word_hashes_into(&text, &mut hashes);
            proptest::prop_assert_eq!(hashes, plain.iter().map(|w| hash_word(w)).collect::<Vec<_>>());
        }

        /// The merge counts what a set intersection holds.
        #[test]
        fn intersection_counts_shared_members(
            a in proptest::collection::btree_set(0u64..64, 0..40),
            b in proptest::collection::btree_set(0u64..64, 0..40),
        ) {
            let (x, y): (Vec<u64>, Vec<u64>) = (a.iter().copied().collect(), b.iter().copied().collect());
            proptest::prop_assert_eq!(intersection_size(&x, &y), a.intersection(&b).count());
        }
    }

    proptest::proptest! {
        /// The next digit found eight bytes at a time is the one a byte-by-byte search finds.
        #[test]
        fn next_digit_is_found_as_byte_by_byte(
            bytes in proptest::collection::vec(proptest::prop_oneof![
                proptest::prelude::any::<u8>(),
                proptest::prelude::Just(b' '),
                b'0'..=b'9',
            ], 0..40),
            from in 0usize..45,
        ) {
            let want = bytes
                .iter()
                .enumerate()
                .skip(from)
                .find(|(_, b)| b.is_ascii_digit())
                .map_or(bytes.len(), |(i, _)| i);
            proptest::prop_assert_eq!(next_ascii_digit(&bytes, from), want);
        }
    }

    proptest::proptest! {
        /// Sorting pairs by buckets of their first member's bits is sorting, equal hashes
        /// included.
        #[test]
        fn pairs_sort_as_the_standard_sort_sorts(
            mut values in proptest::collection::vec((0u64..1 << 12, proptest::prelude::any::<u32>()), 0..300),
        ) {
            let mut want = values.clone();
            want.sort_unstable();
            sort_spread(&mut values, |&(h, _)| h << 52);
            proptest::prop_assert_eq!(values, want);
        }

        /// Sorting hashes by their top byte first is sorting, also when many share a top byte.
        #[test]
        fn hashes_sort_as_the_standard_sort_sorts(
            mut values in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..300),
            crowded in proptest::collection::vec(0u64..1 << 20, 0..200),
        ) {
            values.extend(crowded.iter().map(|v| v | 0xab << 56));
            let mut want = values.clone();
            want.sort_unstable();
            sort_hashes_with(&mut values, &mut Vec::new());
            proptest::prop_assert_eq!(values, want);
        }

        /// Sorting hashes through buckets of their top bits is sorting, for sets of every size
        /// (the number of buckets follows the size), many equal or crowded values included (then
        /// the standard sort takes over).
        #[test]
        fn hashes_sort_as_the_standard_sort_sorts_at_every_size(
            mut values in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..9000),
            crowded in proptest::collection::vec(0u64..1 << 40, 0..3000),
            repeated in proptest::collection::vec(0u64..4, 0..3000),
        ) {
            let mut spare = vec![7; 3];
            values.extend(crowded.iter().map(|v| v | 0xab << 56));
            values.extend(repeated.iter().map(|v| v << 62));
            let mut want = values.clone();
            want.sort_unstable();
            sort_hashes_with(&mut values, &mut spare);
            proptest::prop_assert_eq!(values, want);
        }
    }

    /// Values all in one bucket, descending (insertion's worst case), come out sorted.
    #[test]
    fn hashes_crowded_into_one_bucket_sort() {
        let mut values: Vec<u64> = (0..5000u64).rev().collect();
        sort_hashes_with(&mut values, &mut Vec::new());
        assert!(values.windows(2).all(|w| w[0] < w[1]));
    }

    /// Values crowded into one bucket, or a few, go to the standard sort rather than take
    /// insertion's quadratic time; values spread a few a bucket, or a crowded bucket among
    /// thousands spread evenly, do not.
    #[test]
    fn crowded_buckets_go_to_the_standard_sort_and_spread_ones_do_not() {
        let mut sizes = vec![0u32; 4096];
        sizes[7] = 5000;
        assert!(too_crowded(&sizes, 5000));
        let sizes: Vec<u32> = (0..4096).map(|b| [0, 1, 2, 1][b % 4]).collect();
        assert!(!too_crowded(&sizes, 4096));
        let mut sizes = vec![1u32; 4096];
        sizes[0] = 200;
        assert!(!too_crowded(&sizes, 4096 + 199));
        sizes[0] = 300;
        assert!(too_crowded(&sizes, 4096 + 299));
        let sixteen_of_64 = [16u32, 16, 16, 16];
        assert!(!too_crowded(&sixteen_of_64, 64) && too_crowded(&[32, 32], 64));
    }

    #[test]
    fn eight_bytes_are_classified_at_once_as_one_by_one() {
        for b in 0u8..0x80 {
            for pos in 0..8 {
                let mut lane = [b' '; 8];
                lane[pos] = b;
                let want = u8::from(b.is_ascii_alphanumeric()) << pos;
                assert_eq!(
                    alnum_lanes(u64::from_le_bytes(lane)),
                    want,
                    "byte {b:#x} at {pos}"
                );
            }
        }
        assert_eq!(alnum_lanes(u64::from_le_bytes(*b"aZ09 @[`")), 0b0000_1111);
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
    fn a_shingle_hashes_its_words_little_endian() {
        let words = [0x0102_0304_0506_0708u64, u64::MAX - 5, 42];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let mut out = Vec::new();
        shingles_into(&words, 3, &mut out);
        assert_eq!(out, [xxh3_64_with_seed(&bytes, 3)]);
        shingles_into(&words, 2, &mut out);
        let mut want = [
            xxh3_64_with_seed(&bytes[..16], 2),
            xxh3_64_with_seed(&bytes[8..], 2),
        ];
        want.sort_unstable();
        assert_eq!(out, want);
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
