//! Verified pairs → clusters of copies, each with a canonical original.
//!
//! Clusters are the connected components of the verified pairs (union-find). The canonical document is
//! the earliest published one where every member carries a comparable `published` date; otherwise,
//! among the complete texts (within 10% of the longest), the one whose content words the other
//! members share most: copies deviate from their original each in its own way, so the original's
//! wording is what they have in common. Ties go to the text with the least boilerplate stripped (the
//! publisher's own page, not an aggregator's), then the lowest id, so output is deterministic.

use std::cmp::Ordering;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::corpus::DocId;

/// Why a cluster's canonical document was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CanonicalReason {
    /// It has the earliest `published` date.
    EarliestPublished,
    /// Its text is complete (within 10% of the longest) and its words are the most shared by the
    /// other members; ties go to the one with the least boilerplate stripped.
    MostComplete,
}

/// A set of documents that are copies of one another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// The document taken as the original.
    pub canonical: DocId,
    /// Why it was chosen.
    pub reason: CanonicalReason,
    /// Every member, canonical included, in id order.
    pub members: Vec<DocId>,
}

/// A date that orders: a number (epoch seconds) or an ISO-8601-like string (`YYYY-MM-DD…`).
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum Published {
    /// Seconds (or any monotone number).
    Number(f64),
    /// An ISO-8601 date or timestamp, compared as text.
    Iso(String),
}

impl Published {
    /// Reads a `published` value; `None` for anything that does not order reliably.
    pub fn from_json(value: &serde_json::Value) -> Option<Published> {
        match value {
            serde_json::Value::Number(n) => n.as_f64().map(Published::Number),
            serde_json::Value::String(s) => {
                let b = s.as_bytes();
                let iso = b.len() >= 10
                    && b[..4].iter().all(u8::is_ascii_digit)
                    && b[4] == b'-'
                    && b[5..7].iter().all(u8::is_ascii_digit)
                    && b[7] == b'-'
                    && b[8..10].iter().all(u8::is_ascii_digit);
                iso.then(|| Published::Iso(s.clone()))
            }
            _ => None,
        }
    }

    fn same_kind(&self, other: &Published) -> bool {
        matches!(
            (self, other),
            (Published::Number(_), Published::Number(_)) | (Published::Iso(_), Published::Iso(_))
        )
    }
}

/// What clustering needs to know about each document.
pub struct MemberInfo<'a> {
    /// Words in the stripped body.
    pub words: usize,
    /// The parsed `published` field, if any.
    pub published: Option<Published>,
    /// Sorted, deduplicated hashes of its content words.
    pub content: &'a [u64],
    /// Share of its text removed as boilerplate.
    pub stripped_share: f64,
}

/// Groups documents `0..n` by the verified `pairs` and picks each group's canonical document.
/// Singletons are not clusters. Clusters come largest first, then by canonical id.
pub fn clusters(info: &[MemberInfo<'_>], pairs: &[(DocId, DocId)]) -> Vec<Cluster> {
    let groups = components(info.len(), pairs);
    let mut out: Vec<Cluster> = groups
        .into_par_iter()
        .map(|members| {
            let (canonical, reason) = choose_canonical(&members, info);
            Cluster {
                canonical,
                reason,
                members,
            }
        })
        .collect();
    out.sort_by(|x, y| {
        y.members
            .len()
            .cmp(&x.members.len())
            .then(x.canonical.cmp(&y.canonical))
    });
    out
}

/// The connected component of each of the documents `0..n` linked by `pairs` (union-find), named by
/// its lowest member.
pub(crate) fn component_roots(n: usize, pairs: impl IntoIterator<Item = (u32, u32)>) -> Vec<u32> {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    for (a, b) in pairs {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb) as usize] = ra.min(rb);
        }
    }
    (0..n as u32).map(|x| find(&mut parent, x)).collect()
}

/// The connected components of documents `0..n` linked by `pairs` with two members or more, each
/// in id order.
fn components(n: usize, pairs: &[(DocId, DocId)]) -> Vec<Vec<DocId>> {
    let roots = component_roots(n, pairs.iter().map(|&(a, b)| (a.0, b.0)));
    let mut groups: Vec<Vec<DocId>> = vec![Vec::new(); n];
    for (x, root) in roots.into_iter().enumerate() {
        groups[root as usize].push(DocId(x as u32));
    }
    groups.retain(|g| g.len() > 1);
    groups
}

fn choose_canonical(members: &[DocId], info: &[MemberInfo<'_>]) -> (DocId, CanonicalReason) {
    let dates: Option<Vec<&Published>> = members
        .iter()
        .map(|m| info[m.index()].published.as_ref())
        .collect();
    if let Some(dates) = dates {
        if dates.windows(2).all(|w| w[0].same_kind(w[1])) {
            let earliest = members
                .iter()
                .zip(&dates)
                .min_by(|(ia, da), (ib, db)| {
                    da.partial_cmp(db)
                        .unwrap_or(Ordering::Equal)
                        .then(ia.cmp(ib))
                })
                .map(|(id, _)| *id)
                .expect("clusters have members");
            return (earliest, CanonicalReason::EarliestPublished);
        }
    }
    // Copies deviate from the original each in their own way (a spinner's synonyms, an editor's
    // cuts), so the original's words are the ones the other members share: its support is the
    // average share of the other members that contain each of its content words.
    // Content words are xxh3 hashes already: Fx's one multiply spreads them well enough. Exact
    // copies share one content set (the same slice): each distinct set is counted once, times the
    // members holding it.
    // A set is known by its address and length.
    let set_of = |m: &DocId| {
        let content = info[m.index()].content;
        ((content.as_ptr() as usize, content.len()), content)
    };
    let mut sets: Vec<((usize, usize), &[u64])> = members.iter().map(set_of).collect();
    sets.sort_unstable_by_key(|&(key, _)| key);
    // Each distinct set, with the number of members holding it.
    let distinct: Vec<((usize, usize), &[u64], u32)> = sets
        .chunk_by(|x, y| x.0 == y.0)
        .map(|run| (run[0].0, run[0].1, run.len() as u32))
        .collect();
    let mut holders: FxHashMap<u64, u32> = FxHashMap::default();
    for &(_, content, held_by) in &distinct {
        for &w in content {
            *holders.entry(w).or_default() += held_by;
        }
    }
    let others = (members.len() - 1) as f64;
    // Each distinct set's support once, found again by the set's key.
    let supports: Vec<((usize, usize), f64)> = distinct
        .iter()
        .map(|&(key, content, _)| {
            let shared: u32 = content.iter().map(|w| holders[w] - 1).sum();
            (key, shared as f64 / (content.len().max(1) as f64 * others))
        })
        .collect();
    let support = |m: DocId| {
        let (key, _) = set_of(&m);
        let i = supports
            .binary_search_by_key(&key, |&(k, _)| k)
            .expect("every member's set has its support");
        supports[i].1
    };
    let longest = members
        .iter()
        .map(|m| info[m.index()].words)
        .max()
        .unwrap_or(0);
    let best = members
        .iter()
        .filter(|m| info[m.index()].words as f64 >= 0.9 * longest as f64)
        .map(|&m| (m, support(m), info[m.index()].stripped_share))
        .max_by(|(a, sa, xa), (b, sb, xb)| sa.total_cmp(sb).then(xb.total_cmp(xa)).then(b.cmp(a)))
        .map(|(m, _, _)| m)
        .expect("the longest member qualifies");
    (best, CanonicalReason::MostComplete)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn member(words: usize, content: &[u64], stripped_share: f64) -> MemberInfo<'_> {
        MemberInfo {
            words,
            published: None,
            content,
            stripped_share,
        }
    }

    fn info(words: &[usize]) -> Vec<MemberInfo<'static>> {
        words.iter().map(|&w| member(w, &[], 0.0)).collect()
    }

    #[test]
    fn components_are_clusters_largest_first() {
        // 0-1-2 chained, 3 alone, 4-5 pair.
        let pairs = [
            (DocId(0), DocId(1)),
            (DocId(1), DocId(2)),
            (DocId(4), DocId(5)),
        ];
        let c = clusters(&info(&[50, 100, 95, 10, 30, 30]), &pairs);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].members, vec![DocId(0), DocId(1), DocId(2)]);
        assert_eq!(c[0].reason, CanonicalReason::MostComplete);
        assert_eq!(c[1].members, vec![DocId(4), DocId(5)]);
    }

    #[test]
    fn the_original_is_the_complete_text_whose_words_the_copies_share() {
        // An original (words 1..=20), a spun copy that swapped six words for seven and is longer,
        // and an excerpt of the first ten words.
        let original: Vec<u64> = (1..=20).collect();
        let spun: Vec<u64> = (1..=14).chain(100..=106).collect();
        let excerpt: Vec<u64> = (1..=10).collect();
        let members = [
            member(104, &spun, 0.0),
            member(100, &original, 0.0),
            member(40, &excerpt, 0.0),
        ];
        let c = clusters(&members, &[(DocId(0), DocId(1)), (DocId(1), DocId(2))]);
        assert_eq!(c[0].canonical, DocId(1));
    }

    #[test]
    fn identical_texts_prefer_the_one_with_least_chrome_then_the_lowest_id() {
        let text: Vec<u64> = (1..=10).collect();
        let members = [
            member(50, &text, 0.4),
            member(50, &text, 0.1),
            member(50, &text, 0.1),
        ];
        let c = clusters(&members, &[(DocId(0), DocId(1)), (DocId(1), DocId(2))]);
        assert_eq!(c[0].canonical, DocId(1));
    }

    #[test]
    fn earliest_published_wins_when_all_dates_compare() {
        let mut members = info(&[100, 50]);
        members[0].published = Published::from_json(&json!("2018-07-16T10:00:00Z"));
        members[1].published = Published::from_json(&json!("2018-07-15"));
        let c = clusters(&members, &[(DocId(0), DocId(1))]);
        assert_eq!(
            (c[0].canonical, c[0].reason),
            (DocId(1), CanonicalReason::EarliestPublished)
        );
        // A date that does not parse falls back to completeness.
        members[1].published = Published::from_json(&json!("July 15"));
        let c = clusters(&members, &[(DocId(0), DocId(1))]);
        assert_eq!(
            (c[0].canonical, c[0].reason),
            (DocId(0), CanonicalReason::MostComplete)
        );
    }

    proptest! {
        /// Exact copies share their representative's content set (one slice): the canonical choice
        /// counts each shared set once per member holding it, as if every member had its own.
        #[test]
        fn shared_content_sets_count_once_per_member(
            texts in proptest::collection::vec(proptest::collection::btree_set(0u64..40, 1..12), 1..5),
            copies in proptest::collection::vec((0usize..5, 0usize..3), 2..12),
            words in proptest::collection::vec(90usize..100, 12),
        ) {
            let texts: Vec<Vec<u64>> = texts.into_iter().map(|t| t.into_iter().collect()).collect();
            let of = |c: &(usize, usize)| &texts[c.0 % texts.len()];
            let own: Vec<Vec<u64>> = copies.iter().map(|c| of(c).clone()).collect();
            let shared: Vec<MemberInfo<'_>> = copies
                .iter()
                .zip(&words)
                .map(|(c, &w)| member(w, of(c), c.1 as f64 / 10.0))
                .collect();
            let apart: Vec<MemberInfo<'_>> = own
                .iter()
                .zip(copies.iter().zip(&words))
                .map(|(content, (c, &w))| member(w, content, c.1 as f64 / 10.0))
                .collect();
            let members: Vec<DocId> = (0..copies.len() as u32).map(DocId).collect();
            prop_assert_eq!(
                choose_canonical(&members, &shared),
                choose_canonical(&members, &apart)
            );
        }

        /// Clusters are exactly the connected components of the pairs.
        #[test]
        fn clusters_are_connected_components(edges in proptest::collection::vec((0u32..30, 0u32..30), 0..40)) {
            let n = 30;
            let pairs: Vec<(DocId, DocId)> = edges.iter().filter(|(a, b)| a != b).map(|&(a, b)| (DocId(a), DocId(b))).collect();
            let c = clusters(&info(&vec![10; n]), &pairs);
            // Reference: label propagation until stable.
            let mut label: Vec<u32> = (0..n as u32).collect();
            loop {
                let mut changed = false;
                for &(a, b) in &pairs {
                    let m = label[a.index()].min(label[b.index()]);
                    for x in [a, b] {
                        if label[x.index()] != m { label[x.index()] = m; changed = true; }
                    }
                }
                if !changed { break; }
            }
            let mut covered = 0;
            for cluster in &c {
                let l = label[cluster.members[0].index()];
                let want: Vec<DocId> = (0..n as u32).filter(|&x| label[x as usize] == l).map(DocId).collect();
                prop_assert_eq!(&cluster.members, &want);
                prop_assert!(cluster.members.contains(&cluster.canonical));
                covered += cluster.members.len();
            }
            let in_pairs = (0..n).filter(|&x| (0..n).any(|y| y != x && label[y] == label[x])).count();
            prop_assert_eq!(covered, in_pairs);
        }
    }
}
