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
/// `signatures` (`num_perm` values each, row `i` for document `i`). Buckets larger than `max_bucket`
/// only link each document to the next one in the bucket, which keeps the bucket connected without
/// emitting its quadratic number of pairs. Pairs whose signatures estimate a Jaccard similarity
/// below `min_estimate` are dropped: banding lets some dissimilar pairs through, and in a corpus of
/// widely reprinted stories one such pair of stories becomes a pair for every two of their copies.
/// The result is sorted and deduplicated.
pub fn candidate_pairs(
    signatures: &[u32],
    num_perm: usize,
    banding: Banding,
    members: &[u32],
    max_bucket: usize,
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
    // Each band's buckets.
    let sorted: Vec<BandBuckets> = (0..bands)
        .into_par_iter()
        .map(|band| {
            let mut list: Vec<(u64, u32)> = (0..members.len() as u32)
                .map(|m| (key(m, band), m))
                .collect();
            // Band keys are hashes: spread evenly by their top byte.
            sort_spread(&mut list, |&(key, _)| (key >> 56) as u8);
            let mut oversized = vec![false; members.len()];
            for bucket in list.chunk_by(|x, y| x.0 == y.0) {
                if bucket.len() > max_bucket {
                    bucket
                        .iter()
                        .for_each(|&(_, m)| oversized[m as usize] = true);
                }
            }
            BandBuckets { list, oversized }
        })
        .collect();
    // A bucket of normal size yields each of its pairs, unless an earlier band already did (the
    // two shared a normal bucket there); an oversized one links each member to the next only.
    let per_band: Vec<Vec<(u32, u32)>> = (0..bands)
        .into_par_iter()
        .map(|band| {
            let emitted_before = |x: u32, y: u32| {
                (0..band).any(|i| key(x, i) == key(y, i) && !sorted[i].oversized[x as usize])
            };
            let doc = |m: u32| members[m as usize];
            let mut pairs = Vec::new();
            for bucket in sorted[band].list.chunk_by(|x, y| x.0 == y.0) {
                if bucket.len() > max_bucket {
                    pairs.extend(bucket.windows(2).map(|w| ordered(doc(w[0].1), doc(w[1].1))));
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
            pairs
        })
        .collect();
    let mut pairs: Vec<(u32, u32)> = per_band.into_iter().flatten().collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    let row = |d: u32| &signatures[d as usize * num_perm..][..num_perm];
    pairs
        .into_par_iter()
        .filter(|&(a, b)| estimate_jaccard(row(a), row(b)) >= min_estimate)
        .collect()
}

/// One band's buckets: its `(key, member)` list, sorted, and which members sit in an oversized
/// bucket.
struct BandBuckets {
    list: Vec<(u64, u32)>,
    oversized: Vec<bool>,
}

fn ordered(a: u32, b: u32) -> (u32, u32) {
    if a < b {
        (a, b)
    } else {
        (b, a)
    }
}

/// The key of each band of one signature, band by band, as [`candidate_pairs`] files it; `salt` is
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

    /// Candidate pairs as plainly as they can be made: every band's pairs, merged.
    fn reference(
        signatures: &[u32],
        num_perm: usize,
        banding: Banding,
        members: &[u32],
        max_bucket: usize,
    ) -> Vec<(u32, u32)> {
        let mut pairs = Vec::new();
        for band in 0..banding.bands {
            let lo = band * banding.rows;
            let mut keys: Vec<(u64, u32)> = members
                .iter()
                .map(|&d| {
                    let row = &signatures[d as usize * num_perm..][lo..lo + banding.rows];
                    (band_key(row, band as u64), d)
                })
                .collect();
            keys.sort_unstable();
            for bucket in keys.chunk_by(|x, y| x.0 == y.0) {
                if bucket.len() > max_bucket {
                    pairs.extend(bucket.windows(2).map(|w| ordered(w[0].1, w[1].1)));
                } else {
                    for (i, &(_, a)) in bucket.iter().enumerate() {
                        pairs.extend(bucket[i + 1..].iter().map(|&(_, b)| ordered(a, b)));
                    }
                }
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
            max_bucket in 2usize..6,
            skip in 0u32..30,
        ) {
            let banding = Banding { bands: 4, rows: 2 };
            let members: Vec<u32> = (0..30).filter(|&d| d != skip).collect();
            prop_assert_eq!(
                candidate_pairs(&values, 8, banding, &members, max_bucket, 0.0),
                reference(&values, 8, banding, &members, max_bucket)
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
