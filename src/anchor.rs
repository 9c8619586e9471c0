//! Shingle sets → containment candidates, for excerpts and partial reprints.
//!
//! Jaccard-based LSH cannot see an excerpt: a third of an article shares only a third of its shingles,
//! a Jaccard of about 0.3 or much less. Containment needs a different index. One shingle in
//! `sampling` (chosen by its hash, so two documents sample the same shingles of a shared passage) is an
//! *anchor*; an inverted index maps each anchor to the documents that contain it, and documents
//! sharing at least `min_shared` anchors are candidates, however long either one is. Anchors found in
//! more than `max_df` documents (common phrases, chrome that survived stripping) are dropped so that
//! one posting list cannot produce a quadratic number of pairs. Like MOSS-style fingerprint sampling,
//! this is linear in corpus size plus the pairs it emits.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;

use crate::shingle::sort_spread;

/// Whether a shingle hash is an anchor at this sampling rate.
#[inline]
pub fn is_anchor(hash: u64, sampling: u64) -> bool {
    // The top bits: the low bits of these hashes also pick MinHash bins.
    let top = hash >> 40;
    // This runs for every shingle of the corpus: a division costs more than all the rest, and the
    // default sampling is a power of two.
    if sampling.is_power_of_two() {
        top & (sampling - 1) == 0
    } else {
        top % sampling == 0
    }
}

/// Candidate pairs `(a, b)`, `a < b`, of documents sharing at least `min_shared` anchors (or all
/// anchors of one with fewer: a one-sentence excerpt has only a handful), where the shared anchors
/// are at least `min_share` of the anchors of the document with fewer: an estimate of how much of
/// the smaller document the larger one contains. Documents sharing `passage` anchors or more are
/// candidates whatever share of either that is: two different articles that share several
/// paragraphs (a digest holding a story's first five) contain little of each other.
/// `shingles[d]` is document `d`'s sorted shingle set; documents not in `members` are ignored. The
/// result is sorted and deduplicated. (The pipeline adds anchors as it fingerprints:
/// [`containment_pairs_of_parts`].)
#[cfg(test)]
pub fn containment_pairs(
    shingles: &[&[u64]],
    members: &[u32],
    sampling: u64,
    min_shared: usize,
    min_share: f64,
    passage: usize,
    max_df: usize,
) -> Vec<(u32, u32)> {
    let parts = sorted_postings(shingles, members, sampling);
    let parts: Vec<std::sync::Mutex<Vec<(u64, u32)>>> =
        parts.into_iter().map(std::sync::Mutex::new).collect();
    let take = |p: usize| {
        parts[p]
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    };
    containment_pairs_of_parts(shingles.len(), take, min_shared, min_share, passage, max_df)
}

/// [`containment_pairs`] of `n` documents whose `(anchor, document)` postings come in [`PARTS`]
/// parts by the anchor's top byte: `part(p)` gives part `p` (in any order). Parts are taken a few at
/// a time (one per thread) and dropped once their shared anchors are noted, so a large corpus's
/// postings can wait on disk and never be in memory all at once.
pub(crate) fn containment_pairs_of_parts(
    n: usize,
    part: impl Fn(usize) -> Vec<(u64, u32)> + Sync,
    min_shared: usize,
    min_share: f64,
    passage: usize,
    max_df: usize,
) -> Vec<(u32, u32)> {
    // Each document's anchors, too-common ones left out, are the base of its containment estimate.
    // (An anchor's postings all lie in one part.)
    let anchors: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
    // The documents of each anchor shared by two or more (each list in id order), part by part;
    // and where each list ends.
    let shared: Vec<(Vec<u32>, Vec<usize>)> = (0..PARTS)
        .into_par_iter()
        .map(|p| {
            let mut postings = part(p);
            // A part's anchors share their top byte and are spread evenly from the bit after it.
            sort_spread(&mut postings, |&(h, _)| h << 8);
            let (mut docs, mut ends) = (Vec::new(), Vec::new());
            for list in postings.chunk_by(|x, y| x.0 == y.0) {
                if list.len() > max_df {
                    continue;
                }
                for &(_, d) in list {
                    anchors[d as usize].fetch_add(1, Ordering::Relaxed);
                }
                if list.len() > 1 {
                    docs.extend(list.iter().map(|&(_, d)| d));
                    ends.push(docs.len());
                }
            }
            (docs, ends)
        })
        .collect();
    let anchors: Vec<u32> = anchors.into_iter().map(AtomicU32::into_inner).collect();
    let mut list_docs: Vec<u32> = Vec::with_capacity(shared.iter().map(|(d, _)| d.len()).sum());
    let mut list_ends: Vec<usize> = Vec::new();
    for (docs, ends) in shared {
        let base = list_docs.len();
        list_docs.extend_from_slice(&docs);
        list_ends.extend(ends.into_iter().map(|end| base + end));
    }
    // For each document, where the documents after it in each of its lists are in `list_docs`, in
    // list order (a counting sort by document): each document then counts, in parallel and in its
    // own small buffer, how many anchors it shares with each later document.
    let mut starts = vec![0u32; n + 1];
    for &d in &list_docs {
        starts[d as usize + 1] += 1;
    }
    for d in 0..n {
        starts[d + 1] += starts[d];
    }
    let mut next = starts.clone();
    let mut later: Vec<std::ops::Range<u32>> = vec![0..0; list_docs.len()];
    let mut list_start = 0;
    for &list_end in &list_ends {
        for (k, &d) in (list_start..).zip(&list_docs[list_start..list_end]) {
            later[next[d as usize] as usize] = k as u32 + 1..list_end as u32;
            next[d as usize] += 1;
        }
        list_start = list_end;
    }
    drop(next);
    let by_doc: Vec<(u32, &[std::ops::Range<u32>])> = (0..n)
        .filter(|&d| starts[d] < starts[d + 1])
        .map(|d| (d as u32, &later[starts[d] as usize..starts[d + 1] as usize]))
        .collect();
    // A document shares an anchor with another at most once an anchor list it is in: a count
    // never exceeds the document's anchors. While none has more than 65,535, counts are kept in
    // 16 bits: at 20,000 documents their array is 40 KB, within the first-level cache, where it
    // was 80 KB (the count is some tenth of a run, a random increment per shared anchor).
    let count = |d: u32, o: u32, n: usize| {
        let fewest = anchors[d as usize].min(anchors[o as usize]) as usize;
        n >= passage || (n >= min_shared.min(fewest) && n as f64 >= min_share * fewest as f64)
    };
    if anchors.iter().all(|&a| a <= u32::from(u16::MAX)) {
        count_shared::<u16>(n, &by_doc, &list_docs, count)
    } else {
        count_shared::<u32>(n, &by_doc, &list_docs, count)
    }
}

/// A count of shared anchors, in the width [`count_shared`] keeps it in.
trait Count: Copy + Default + Send + Eq {
    /// One more.
    fn increment(self) -> Self;
    /// As a number.
    fn get(self) -> usize;
}

impl Count for u16 {
    #[inline(always)]
    fn increment(self) -> Self {
        self.wrapping_add(1)
    }
    #[inline(always)]
    fn get(self) -> usize {
        usize::from(self)
    }
}

impl Count for u32 {
    #[inline(always)]
    fn increment(self) -> Self {
        self.wrapping_add(1)
    }
    #[inline(always)]
    fn get(self) -> usize {
        self as usize
    }
}

/// The pairs `(d, o)` of the documents of `by_doc` (each with the ranges of `list_docs` holding the
/// documents after it in its anchor lists) with the documents `o` they share anchors with, where
/// `passes(d, o, shared)`: counted in `C`, which must hold any document's number of anchors.
fn count_shared<C: Count>(
    n: usize,
    by_doc: &[(u32, &[std::ops::Range<u32>])],
    list_docs: &[u32],
    passes: impl Fn(u32, u32, usize) -> bool + Sync,
) -> Vec<(u32, u32)> {
    // Per thread: anchors shared with each document, and the documents counted. Made once a
    // thread, not once a piece of work, so that the work can be cut small: a document meets the
    // documents after it, so the first ones do the most, and a large last piece left one thread
    // counting alone.
    let scratch: Vec<Mutex<(Vec<C>, Vec<u32>)>> = (0..rayon::current_num_threads())
        .map(|_| Mutex::default())
        .collect();
    by_doc
        .par_iter()
        .with_max_len(SMALL_WORK)
        .map(|&(d, later_of_doc)| {
            let thread = rayon::current_thread_index().unwrap_or(0) % scratch.len();
            let mut scratch = scratch[thread]
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let (shared_with, others) = &mut *scratch;
            if shared_with.len() < n {
                shared_with.resize(n, C::default());
            }
            // Each document is written at the end of `others` as it comes, and the end moves
            // past it only the first time: whether a document was met already is as good as
            // random, and a branch on it was mispredicted once in every few anchors shared.
            let most = later_of_doc.iter().map(|r| r.len()).sum::<usize>();
            if others.len() < most {
                others.resize(most, 0);
            }
            let mut met = 0;
            for range in later_of_doc {
                for &o in &list_docs[range.start as usize..range.end as usize] {
                    let count = &mut shared_with[o as usize];
                    others[met] = o;
                    met += usize::from(*count == C::default());
                    *count = count.increment();
                }
            }
            // Only the few documents that pass are sorted, not every one counted.
            let mut pairs: Vec<(u32, u32)> = others[..met]
                .iter()
                .filter(|&&o| passes(d, o, std::mem::take(&mut shared_with[o as usize]).get()))
                .map(|&o| (d, o))
                .collect();
            pairs.sort_unstable();
            pairs
        })
        .flatten_iter()
        .collect()
}

/// Documents counted in one piece of work, at most: see [`containment_pairs_of_parts`].
const SMALL_WORK: usize = 64;

/// Parts of the postings, by the top byte of the anchor: sorted one by one, in order, they are
/// sorted, and each part is small enough to sort in cache.
pub(crate) const PARTS: usize = 256;

/// The part of [`PARTS`] an anchor's postings go to.
#[inline]
pub(crate) fn part_of(anchor: u64) -> usize {
    (anchor >> 56) as usize
}

/// The `(anchor, document)` postings of some documents' shingle sets, in [`PARTS`] parts (see
/// [`part_of`]), unsorted: `docs` gives each document's id and sorted shingle set.
pub(crate) fn postings_in_parts<'a>(
    docs: impl Iterator<Item = (u32, &'a [u64])>,
    sampling: u64,
    expected: usize,
) -> Vec<Vec<(u64, u32)>> {
    // Anchors are spread evenly over the parts: room for a few more than each's share.
    let share = expected / sampling as usize / PARTS;
    let mut parts: Vec<Vec<(u64, u32)>> = (0..PARTS)
        .map(|_| Vec::with_capacity(share + share / 4 + 4))
        .collect();
    for (d, set) in docs {
        for &h in set.iter().filter(|&&h| is_anchor(h, sampling)) {
            parts[part_of(h)].push((h, d));
        }
    }
    parts
}

/// Every `(anchor, document)` of the members, sorted, in parts by the anchor's top byte (the parts
/// in order: concatenated, they are sorted).
#[cfg(test)]
fn sorted_postings(shingles: &[&[u64]], members: &[u32], sampling: u64) -> Vec<Vec<(u64, u32)>> {
    let chunks: Vec<Vec<Vec<(u64, u32)>>> = members
        .par_chunks(members.len().div_ceil(64).max(1))
        .map(|chunk| {
            let expected: usize = chunk.iter().map(|&d| shingles[d as usize].len()).sum();
            let docs = chunk.iter().map(|&d| (d, shingles[d as usize]));
            postings_in_parts(docs, sampling, expected)
        })
        .collect();
    // Each part's pieces, moved (not copied) out of the chunks: a part's pieces are freed as soon as
    // the part is gathered, so the postings are not held twice.
    let mut pieces: Vec<Vec<Vec<(u64, u32)>>> = (0..PARTS).map(|_| Vec::new()).collect();
    for chunk in chunks {
        for (p, piece) in chunk.into_iter().enumerate() {
            pieces[p].push(piece);
        }
    }
    pieces
        .into_par_iter()
        .map(|pieces| {
            let mut postings: Vec<(u64, u32)> =
                Vec::with_capacity(pieces.iter().map(Vec::len).sum());
            for piece in pieces {
                postings.extend_from_slice(&piece);
            }
            // A part's anchors share their top byte and are spread evenly from the next bit.
            sort_spread(&mut postings, |&(h, _)| h << 8);
            postings
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Sorting part by part is sorting.
        #[test]
        fn postings_come_out_sorted(
            sets in proptest::collection::vec(proptest::collection::btree_set(any::<u64>(), 0..60), 1..20),
        ) {
            let sets: Vec<Vec<u64>> = sets.into_iter().map(|s| s.into_iter().collect()).collect();
            let views: Vec<&[u64]> = sets.iter().map(Vec::as_slice).collect();
            let members: Vec<u32> = (0..sets.len() as u32).collect();
            let mut want: Vec<(u64, u32)> = members
                .iter()
                .flat_map(|&d| sets[d as usize].iter().filter(|&&h| is_anchor(h, 2)).map(move |&h| (h, d)))
                .collect();
            want.sort_unstable();
            prop_assert_eq!(sorted_postings(&views, &members, 2).concat(), want);
        }
    }

    proptest! {
        /// The pairs are those a comparison of every two documents finds.
        #[test]
        fn pairs_are_those_of_comparing_every_two(
            sets in proptest::collection::vec(proptest::collection::btree_set(0u64..30, 0..12), 1..14),
            min_shared in 1usize..4,
            passage in 1usize..8,
            max_df in 2usize..8,
        ) {
            let sets: Vec<Vec<u64>> = sets.into_iter().map(|s| s.into_iter().map(|h| h << 40).collect()).collect();
            let views: Vec<&[u64]> = sets.iter().map(Vec::as_slice).collect();
            let members: Vec<u32> = (0..sets.len() as u32).collect();
            let df = |h: u64| sets.iter().filter(|s| s.contains(&h)).count();
            let counted = |d: usize| sets[d].iter().filter(|&&h| df(h) <= max_df).count();
            let mut want = Vec::new();
            for d in 0..sets.len() {
                for o in d + 1..sets.len() {
                    let n = sets[d].iter().filter(|&&h| df(h) <= max_df && sets[o].contains(&h)).count();
                    let fewest = counted(d).min(counted(o));
                    let contained = n >= min_shared.min(fewest) && n as f64 >= 0.5 * fewest as f64;
                    if n > 0 && (n >= passage || contained) {
                        want.push((d as u32, o as u32));
                    }
                }
            }
            let mut got = containment_pairs(&views, &members, 1, min_shared, 0.5, passage, max_df);
            got.sort_unstable();
            prop_assert_eq!(got, want);
        }
    }

    proptest! {
        /// An anchor is a hash whose top bits are a multiple of the sampling rate, whether the rate
        /// is a power of two (taken with a mask) or not (with a division).
        #[test]
        fn anchors_are_multiples_of_the_sampling_rate(hash in any::<u64>(), sampling in 1u64..20) {
            prop_assert_eq!(is_anchor(hash, sampling), (hash >> 40) % sampling == 0);
        }
    }

    fn anchors(n: u64, offset: u64) -> Vec<u64> {
        // Hashes whose top bits make every one an anchor at sampling 1.
        let mut v: Vec<u64> = (offset..offset + n).map(|x| x << 40).collect();
        v.sort_unstable();
        v
    }

    /// Documents are counted in small pieces of work on several threads, each thread with its own
    /// counts: the pairs are those of one thread, and every document of a family of copies pairs
    /// with the others.
    #[test]
    fn many_documents_on_several_threads_find_the_pairs_of_one() {
        // 60 families of 5 copies, each copy a different excerpt of the family's 40 anchors, plus
        // common anchors that every fifth document shares.
        let sets: Vec<Vec<u64>> = (0..300u64)
            .map(|d| {
                let family = d / 5;
                let mut set: Vec<u64> = (0..40 - (d % 5) * 4)
                    .map(|i| (family * 1000 + i) << 40)
                    .chain((d % 5 == 0).then_some(999_999 << 40))
                    .collect();
                set.sort_unstable();
                set
            })
            .collect();
        let views: Vec<&[u64]> = sets.iter().map(Vec::as_slice).collect();
        let members: Vec<u32> = (0..300).collect();
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            let mut pairs =
                pool.install(|| containment_pairs(&views, &members, 1, 2, 0.5, 24, 100));
            pairs.sort_unstable();
            pairs
        };
        let one = on(1);
        assert_eq!(on(3), one);
        // Each family's 10 pairs, and the 60 documents sharing the common anchor pair with each
        // other only through it: one anchor of 40 is not containment.
        assert_eq!(one.len(), 60 * 10);
        assert!(one.iter().all(|&(a, b)| a / 5 == b / 5));
    }

    #[test]
    fn an_excerpt_is_a_candidate_of_its_source_however_long_the_source() {
        let long = anchors(1000, 0);
        let excerpt = anchors(20, 0);
        let other = anchors(20, 5000);
        let sets: Vec<&[u64]> = vec![&long, &excerpt, &other];
        let pairs = containment_pairs(&sets, &[0, 1, 2], 1, 2, 0.5, usize::MAX, 10);
        assert_eq!(pairs, vec![(0, 1)]);
    }

    #[test]
    fn a_document_counts_only_its_own_shared_documents_after_one_that_shared_more() {
        // On one thread, document 0 meets 1, 2 and 3 (everything shared); document 1 then meets
        // only 2 and 3, through fewer anchors: the documents 0 met stay in the buffer past 1's.
        let all = anchors(40, 0);
        let sets: Vec<&[u64]> = vec![&all, &all, &all[..20], &all[20..]];
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a thread pool");
        let pairs = pool.install(|| containment_pairs(&sets, &[0, 1, 2, 3], 1, 2, 0.5, 30, 10));
        assert_eq!(pairs, vec![(0, 1), (0, 2), (0, 3), (1, 2), (1, 3)]);
    }

    #[test]
    fn a_document_with_one_anchor_needs_to_share_only_that_one() {
        let long = anchors(100, 0);
        let tiny = anchors(1, 50);
        let sets: Vec<&[u64]> = vec![&long, &tiny];
        assert_eq!(
            containment_pairs(&sets, &[0, 1], 1, 2, 0.5, usize::MAX, 10),
            vec![(0, 1)]
        );
    }

    #[test]
    fn sharing_a_small_part_of_the_smaller_document_is_not_containment() {
        // 100 and 40 anchors, 10 shared: a quarter of the smaller one.
        let a = anchors(100, 0);
        let b: Vec<u64> = anchors(10, 0).into_iter().chain(anchors(30, 500)).collect();
        let sets: Vec<&[u64]> = vec![&a, &b];
        assert!(containment_pairs(&sets, &[0, 1], 1, 2, 0.5, usize::MAX, 10).is_empty());
        assert_eq!(
            containment_pairs(&sets, &[0, 1], 1, 2, 0.2, usize::MAX, 10),
            vec![(0, 1)]
        );
    }

    #[test]
    fn a_shared_passage_is_a_candidate_however_little_of_either_it_makes() {
        // 200 anchors each, 30 shared: 15% of either, a passage of about 120 words.
        let a = anchors(200, 0);
        let b: Vec<u64> = anchors(30, 170)
            .into_iter()
            .chain(anchors(170, 1000))
            .collect();
        let sets: Vec<&[u64]> = vec![&a, &b];
        assert!(containment_pairs(&sets, &[0, 1], 1, 2, 0.5, usize::MAX, 10).is_empty());
        assert_eq!(
            containment_pairs(&sets, &[0, 1], 1, 2, 0.5, 30, 10),
            vec![(0, 1)]
        );
        assert!(containment_pairs(&sets, &[0, 1], 1, 2, 0.5, 31, 10).is_empty());
    }

    #[test]
    fn too_few_shared_anchors_or_too_common_anchors_are_not_enough() {
        let a = anchors(10, 0);
        let b: Vec<u64> = anchors(1, 9).into_iter().chain(anchors(10, 100)).collect();
        let sets: Vec<&[u64]> = vec![&a, &b];
        assert!(containment_pairs(&sets, &[0, 1], 1, 2, 0.5, usize::MAX, 10).is_empty());
        // Every document shares everything, but every anchor is in more than max_df documents.
        let same = anchors(10, 0);
        let sets: Vec<&[u64]> = vec![&same; 5];
        assert!(containment_pairs(&sets, &[0, 1, 2, 3, 4], 1, 2, 0.5, usize::MAX, 4).is_empty());
        assert_eq!(
            containment_pairs(&sets, &[0, 1, 2, 3, 4], 1, 2, 0.5, usize::MAX, 5).len(),
            10
        );
    }

    #[test]
    fn documents_sharing_more_anchors_than_sixteen_bits_count_are_counted_in_full() {
        // 70,000 anchors shared by two documents of 70,000 and 140,000: half of the larger and all
        // of the smaller. Counted in 16 bits, the count would wrap to 4,464, a sixteenth of the
        // smaller document.
        let shared = anchors(70_000, 0);
        let larger: Vec<u64> = shared
            .iter()
            .copied()
            .chain(anchors(70_000, 1 << 20))
            .collect();
        let sets: Vec<&[u64]> = vec![&shared, &larger];
        assert_eq!(
            containment_pairs(&sets, &[0, 1], 1, 2, 0.9, usize::MAX, 10),
            vec![(0, 1)]
        );
    }

    #[test]
    fn sampling_keeps_about_one_in_n() {
        let hashes: Vec<u64> = (0..100_000u64)
            .map(|x| x.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let kept = hashes.iter().filter(|&&h| is_anchor(h, 8)).count();
        assert!((11_000..14_000).contains(&kept), "{kept}");
    }
}
