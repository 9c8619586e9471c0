//! Signatures → candidate pairs, by LSH banding.
//!
//! A signature of `K` positions is cut into `b` bands of `r` rows (`b·r ≤ K`); each band is hashed to
//! one `u64` key, and two documents are candidates when any band key is equal. Two documents of
//! Jaccard similarity `s` become candidates with probability `1 - (1 - s^r)^b`, an S-curve whose steep
//! part sits near `(1/b)^(1/r)`. [`Banding::for_threshold`] picks `b` and `r` for a threshold so users
//! never have to; it weighs a missed pair above a false candidate, because every candidate is verified
//! on its real shingle sets afterwards and a false one only costs a little time.
//!
//! Each band is processed independently (in parallel): its keys are sorted, equal keys form buckets,
//! and each bucket yields its pairs. Work is `O(n log n)` per band for `n` documents, and linear output
//! for a corpus without duplicates.

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::minhash::estimate_jaccard;
use crate::shingle::sort_spread;

/// How a signature is cut into bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Banding {
    /// Number of bands.
    pub bands: usize,
    /// Signature positions per band.
    pub rows: usize,
}

/// Relative cost of a missed pair against a false candidate, when choosing the banding.
const MISS_WEIGHT: f64 = 0.8;

impl Banding {
    /// The banding for `num_perm` positions that minimises the weighted area of false candidates below
    /// `threshold` and missed pairs above it (as datasketch does, weighted toward recall).
    pub fn for_threshold(num_perm: usize, threshold: f64) -> Banding {
        let mut best = Banding {
            bands: 1,
            rows: num_perm.max(1),
        };
        let mut best_cost = f64::INFINITY;
        for bands in 1..=num_perm {
            let rows = num_perm / bands;
            if rows == 0 {
                break;
            }
            let candidate = Banding { bands, rows };
            let false_area = integrate(0.0, threshold, |s| candidate.probability(s));
            let miss_area = integrate(threshold, 1.0, |s| 1.0 - candidate.probability(s));
            let cost = (1.0 - MISS_WEIGHT) * false_area + MISS_WEIGHT * miss_area;
            if cost < best_cost {
                best_cost = cost;
                best = candidate;
            }
        }
        best
    }

    /// The probability that two documents of Jaccard similarity `s` become candidates.
    pub fn probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// The similarity at which the S-curve is steepest, roughly `(1/b)^(1/r)`.
    pub fn midpoint(&self) -> f64 {
        (1.0 / self.bands as f64).powf(1.0 / self.rows as f64)
    }
}

fn integrate(lo: f64, hi: f64, f: impl Fn(f64) -> f64) -> f64 {
    const STEPS: usize = 200;
    if hi <= lo {
        return 0.0;
    }
    let step = (hi - lo) / STEPS as f64;
    (0..STEPS)
        .map(|i| f(lo + (i as f64 + 0.5) * step))
        .sum::<f64>()
        * step
}

/// Candidate pairs `(a, b)` with `a < b` among the documents `members`, whose signatures are rows of
/// `signatures` (`num_perm` values each, row `i` for document `i`). A bucket of more than
/// 32 members is split by the key of the next band, and its parts again, until each
/// part is small enough to yield all its pairs: a bucket's pairs cost the square of its size, and
/// the large buckets of a big corpus are mostly documents that share only common words (their
/// number grows with the corpus, and so the pairs each of them yields), while copies of one text
/// share most bands and stay together. Members sharing every band's key, more than `max_bucket` of
/// them, only link each to the next, which keeps them connected without emitting their quadratic
/// number of pairs. Pairs whose signatures estimate a Jaccard similarity below `min_estimate` are
/// dropped: banding lets some dissimilar pairs through, and in a corpus of widely reprinted stories
/// one such pair of stories becomes a pair for every two of their copies. The result is sorted and
/// deduplicated.
pub fn candidate_pairs(
    signatures: &[u32],
    num_perm: usize,
    banding: Banding,
    members: &[u32],
    max_bucket: usize,
    min_estimate: f64,
) -> Vec<(u32, u32)> {
    let buckets = Buckets {
        split: SPLIT_BUCKET,
        max: max_bucket,
    };
    split_candidate_pairs(
        signatures,
        num_perm,
        banding,
        members,
        buckets,
        min_estimate,
    )
}

/// The bucket sizes at which [`split_candidate_pairs`] splits and chains.
#[derive(Debug, Clone, Copy)]
struct Buckets {
    /// Larger buckets are split by the next bands' keys.
    split: usize,
    /// Larger groups sharing every band's key are chained.
    max: usize,
}

impl Buckets {
    /// Whether a bucket of `len` members does not simply yield all its pairs.
    fn not_plain(&self, len: usize) -> bool {
        len > self.split.min(self.max)
    }
}

/// [`candidate_pairs`], splitting buckets larger than `buckets.split`.
fn split_candidate_pairs(
    signatures: &[u32],
    num_perm: usize,
    banding: Banding,
    members: &[u32],
    buckets: Buckets,
    min_estimate: f64,
) -> Vec<(u32, u32)> {
    assert!(banding.bands * banding.rows <= num_perm);
    let bands = banding.bands;
    // Every member's band keys, member by member: a pair's keys in earlier bands are looked up to
    // emit it only once.
    let keys: Vec<u64> = members
        .par_iter()
        .flat_map_iter(|&doc| {
            let signature = &signatures[doc as usize * num_perm..][..num_perm];
            (0..bands).map(move |band| {
                let lo = band * banding.rows;
                band_key(&signature[lo..lo + banding.rows], band as u64)
            })
        })
        .collect();
    let key = |member: u32, band: usize| keys[member as usize * bands + band];
    // A band's buckets: its `(key, member)` list, sorted.
    let band_list = |band: usize| {
        let mut list: Vec<(u64, u32)> = (0..members.len() as u32)
            .map(|m| (key(m, band), m))
            .collect();
        // Band keys are hashes: spread evenly from their top bit.
        sort_spread(&mut list, |&(key, _)| key);
        list
    };
    // Which members of each band sit in a bucket that is split (whose pairs it does not all
    // yield). A band's list is made again when its pairs are emitted: held for every band at once,
    // the lists would be 16 bytes a member a band (0.7 GB a channel at a million articles).
    let oversized: Vec<Vec<bool>> = (0..bands)
        .into_par_iter()
        .map(|band| {
            let mut oversized = vec![false; members.len()];
            for bucket in band_list(band).chunk_by(|x, y| x.0 == y.0) {
                if buckets.not_plain(bucket.len()) {
                    bucket
                        .iter()
                        .for_each(|&(_, m)| oversized[m as usize] = true);
                }
            }
            oversized
        })
        .collect();
    let row = |d: u32| &signatures[d as usize * num_perm..][..num_perm];
    // A bucket of normal size yields each of its pairs, unless an earlier band already did (the
    // two shared a normal bucket there); a larger one is split by the keys of the next bands.
    let per_band: Vec<Vec<(u32, u32)>> = (0..bands)
        .into_par_iter()
        .map(|band| {
            let emitted_before = |x: u32, y: u32| {
                (0..band).any(|i| key(x, i) == key(y, i) && !oversized[i][x as usize])
            };
            let doc = |m: u32| members[m as usize];
            let mut pairs = Vec::new();
            let mut split = Vec::new();
            for bucket in band_list(band).chunk_by(|x, y| x.0 == y.0) {
                if buckets.not_plain(bucket.len()) {
                    split.clear();
                    split.extend(bucket.iter().map(|&(_, m)| m));
                    let next_key = |m: u32, depth: usize| key(m, (band + depth) % bands);
                    split_bucket(&mut split, 1, bands, &next_key, buckets, &mut |x, y| {
                        pairs.push(ordered(doc(x), doc(y)))
                    });
                } else {
                    for (i, &(_, x)) in bucket.iter().enumerate() {
                        pairs.extend(
                            bucket[i + 1..]
                                .iter()
                                .filter(|&&(_, y)| !emitted_before(x, y))
                                .map(|&(_, y)| ordered(doc(x), doc(y))),
                        );
                    }
                }
            }
            // Checked band by band, so that only the pairs that pass are held.
            pairs.retain(|&(a, b)| estimate_jaccard(row(a), row(b)) >= min_estimate);
            pairs
        })
        .collect();
    let mut pairs: Vec<(u32, u32)> = per_band.into_iter().flatten().collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs
}

/// Buckets larger than this are split by the keys of the next bands (see [`candidate_pairs`]).
pub(crate) const SPLIT_BUCKET: usize = 32;

/// Yields the pairs of `group` (members sharing the keys of `depth` consecutive bands, the first
/// `next_key(m, 0)`'s): all of them if it has at most `buckets.split` members, else those of its
/// parts by the key of the next band, `next_key(m, depth)`. A group sharing every band's key (alike
/// in all but a few signature positions: copies of one text) yields all its pairs, or, if larger
/// than `buckets.max`, a chain linking each member to the next (so does a group no larger than
/// `buckets.split` but larger than `buckets.max`).
fn split_bucket(
    group: &mut [u32],
    depth: usize,
    bands: usize,
    next_key: &impl Fn(u32, usize) -> u64,
    buckets: Buckets,
    emit: &mut impl FnMut(u32, u32),
) {
    if group.len() <= buckets.split || depth == bands {
        if group.len() > buckets.max {
            group.sort_unstable();
            group.windows(2).for_each(|w| emit(w[0], w[1]));
        } else {
            for (i, &x) in group.iter().enumerate() {
                group[i + 1..].iter().for_each(|&y| emit(x, y));
            }
        }
        return;
    }
    group.sort_unstable_by_key(|&m| (next_key(m, depth), m));
    let mut rest = group;
    while !rest.is_empty() {
        let k = next_key(rest[0], depth);
        let len = rest
            .iter()
            .take_while(|&&m| next_key(m, depth) == k)
            .count();
        let (part, tail) = rest.split_at_mut(len);
        if part.len() > 1 {
            split_bucket(part, depth + 1, bands, next_key, buckets, emit);
        }
        rest = tail;
    }
}

fn ordered(a: u32, b: u32) -> (u32, u32) {
    if a < b {
        (a, b)
    } else {
        (b, a)
    }
}

/// The key of each band of one signature, band by band, as `candidate_pairs` files it; `salt` is
/// added to each band's seed, so that two channels' keys never meet (0 gives the pipeline's own
/// keys). An index files documents under these keys.
pub fn band_keys(signature: &[u32], banding: Banding, salt: u64) -> impl Iterator<Item = u64> + '_ {
    (0..banding.bands).map(move |band| {
        let lo = band * banding.rows;
        band_key(&signature[lo..lo + banding.rows], band as u64 + salt)
    })
}

/// A band's key: the hash of its rows' little-endian bytes, seeded by the band. On a little-endian
/// machine the bytes are the rows' own memory.
#[cfg(target_endian = "little")]
fn band_key(rows: &[u32], band: u64) -> u64 {
    xxh3_64_with_seed(bytemuck::cast_slice(rows), band)
}

/// A band's key: the hash of its rows' little-endian bytes, seeded by the band.
#[cfg(not(target_endian = "little"))]
fn band_key(rows: &[u32], band: u64) -> u64 {
    let bytes: Vec<u8> = rows.iter().flat_map(|v| v.to_le_bytes()).collect();
    xxh3_64_with_seed(&bytes, band)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Candidate pairs as plainly as they can be made: every band's pairs, merged, each bucket
    /// larger than `split` grouped again by the keys of the bands after it.
    fn reference(
        signatures: &[u32],
        num_perm: usize,
        banding: Banding,
        members: &[u32],
        buckets: Buckets,
    ) -> Vec<(u32, u32)> {
        let key = |d: u32, band: usize| {
            let lo = band * banding.rows;
            band_key(
                &signatures[d as usize * num_perm..][lo..lo + banding.rows],
                band as u64,
            )
        };
        // Documents grouped by their keys in `depth` bands from `band` on.
        fn pairs_of(
            group: Vec<u32>,
            band: usize,
            depth: usize,
            bands: usize,
            buckets: Buckets,
            key: &dyn Fn(u32, usize) -> u64,
            out: &mut Vec<(u32, u32)>,
        ) {
            if group.len() <= buckets.split || depth == bands {
                if group.len() > buckets.max {
                    let mut sorted = group.clone();
                    sorted.sort_unstable();
                    out.extend(sorted.windows(2).map(|w| ordered(w[0], w[1])));
                } else {
                    for (i, &a) in group.iter().enumerate() {
                        out.extend(group[i + 1..].iter().map(|&b| ordered(a, b)));
                    }
                }
                return;
            }
            let mut parts: std::collections::BTreeMap<u64, Vec<u32>> = Default::default();
            for d in group {
                parts
                    .entry(key(d, (band + depth) % bands))
                    .or_default()
                    .push(d);
            }
            for part in parts.into_values() {
                pairs_of(part, band, depth + 1, bands, buckets, key, out);
            }
        }
        let mut pairs = Vec::new();
        for band in 0..banding.bands {
            let mut parts: std::collections::BTreeMap<u64, Vec<u32>> = Default::default();
            for &d in members {
                parts.entry(key(d, band)).or_default().push(d);
            }
            for part in parts.into_values() {
                pairs_of(part, band, 1, banding.bands, buckets, &key, &mut pairs);
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }

    #[test]
    fn a_band_key_hashes_its_rows_little_endian() {
        let rows = [0x0102_0304u32, u32::MAX, 7];
        let bytes: Vec<u8> = rows.iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(band_key(&rows, 5), xxh3_64_with_seed(&bytes, 5));
    }

    proptest! {
        /// Emitting each pair in the first band that yields it gives every band's pairs, oversized
        /// buckets included: signatures over a tiny alphabet collide often, in buckets of all sizes.
        #[test]
        fn each_pair_once_is_every_bands_pairs(
            values in proptest::collection::vec(0u32..3, 8 * 30),
            max in 2usize..12,
            split in 2usize..8,
            skip in 0u32..30,
        ) {
            let banding = Banding { bands: 4, rows: 2 };
            let members: Vec<u32> = (0..30).filter(|&d| d != skip).collect();
            let buckets = Buckets { split, max };
            prop_assert_eq!(
                split_candidate_pairs(&values, 8, banding, &members, buckets, 0.0),
                reference(&values, 8, banding, &members, buckets)
            );
        }
    }

    #[test]
    fn banding_midpoint_follows_threshold() {
        for (threshold, k) in [(0.3, 128), (0.5, 128), (0.8, 128), (0.5, 256)] {
            let b = Banding::for_threshold(k, threshold);
            assert!(b.bands * b.rows <= k);
            assert!(
                (b.midpoint() - threshold).abs() < 0.12,
                "threshold {threshold}: {b:?} midpoint {}",
                b.midpoint()
            );
            // Recall-weighted: a pair at the threshold is more likely found than not.
            assert!(b.probability(threshold) > 0.5, "{b:?}");
            assert!(b.probability(threshold + 0.2) > 0.95, "{b:?}");
        }
    }

    #[test]
    fn equal_signatures_are_candidates_and_distinct_ones_are_not() {
        let k = 8;
        // Documents 0 and 2 equal; 1 differs everywhere.
        let sigs: Vec<u32> = [[1u32; 8], [2; 8], [1; 8]].concat();
        let pairs = candidate_pairs(
            &sigs,
            k,
            Banding { bands: 4, rows: 2 },
            &[0, 1, 2],
            100,
            0.0,
        );
        assert_eq!(pairs, vec![(0, 2)]);
    }

    /// Many documents sharing one band's key but nothing else (as articles sharing common words
    /// do) yield no pair, while copies sharing every band's key in a bucket as large yield all of
    /// theirs.
    #[test]
    fn large_buckets_keep_the_pairs_that_share_more_bands() {
        let k = 8;
        let banding = Banding { bands: 4, rows: 2 };
        let n = SPLIT_BUCKET as u32 * 3;
        let mut sigs = Vec::new();
        for d in 0..n {
            // Band 0 shared by all; the others each document's own, but for documents 0 and 1,
            // which share band 2 too.
            let own = if d < 2 { 1_000 } else { 1_000 + d };
            sigs.extend([7, 7, 10 + d, 10 + d, own, own, 500 + d, 500 + d]);
        }
        let members: Vec<u32> = (0..n).collect();
        assert_eq!(
            candidate_pairs(&sigs, k, banding, &members, 2_000, 0.0),
            vec![(0, 1)]
        );
        let copies: Vec<u32> = vec![7; k * n as usize];
        let all = candidate_pairs(&copies, k, banding, &members, 2_000, 0.0);
        assert_eq!(all.len(), (n * (n - 1) / 2) as usize);
    }

    #[test]
    fn oversized_buckets_are_chained() {
        let k = 4;
        let sigs: Vec<u32> = vec![7; 4 * 5];
        let members: Vec<u32> = (0..5).collect();
        let all = candidate_pairs(&sigs, k, Banding { bands: 2, rows: 2 }, &members, 10, 0.0);
        assert_eq!(all.len(), 10);
        let chained = candidate_pairs(&sigs, k, Banding { bands: 2, rows: 2 }, &members, 3, 0.0);
        assert_eq!(chained, vec![(0, 1), (1, 2), (2, 3), (3, 4)]);
    }

    #[test]
    fn pairs_estimated_below_the_floor_are_dropped() {
        // Documents 0 and 1 share the first band (2 of 8 positions: an estimate of 0.25).
        let sigs: Vec<u32> = [[1u32, 1, 2, 2, 2, 2, 2, 2], [1, 1, 3, 3, 3, 3, 3, 3]].concat();
        let banding = Banding { bands: 4, rows: 2 };
        assert_eq!(
            candidate_pairs(&sigs, 8, banding, &[0, 1], 10, 0.2),
            vec![(0, 1)]
        );
        assert!(candidate_pairs(&sigs, 8, banding, &[0, 1], 10, 0.3).is_empty());
    }

    #[test]
    fn only_members_are_paired() {
        let sigs: Vec<u32> = vec![7; 4 * 3];
        let pairs = candidate_pairs(&sigs, 4, Banding { bands: 1, rows: 4 }, &[0, 2], 10, 0.0);
        assert_eq!(pairs, vec![(0, 2)]);
    }
}
