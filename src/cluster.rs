//! Verified pairs → clusters of copies, each with a canonical original.
//!
//! Clusters are the connected components of the verified pairs (union-find). The canonical document is
//! the earliest published one where every member carries a comparable `published` date; otherwise the
//! most complete text (within 10% of the longest), and among those the most central one (the highest
//! sum of pair scores inside the cluster), since an original resembles each of its copies more than
//! the copies resemble one another. Ties go to the lowest id, so output is deterministic.

use std::cmp::Ordering;

use serde::Serialize;

use crate::corpus::DocId;

/// Why a cluster's canonical document was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CanonicalReason {
    /// It has the earliest `published` date.
    EarliestPublished,
    /// It has the most complete text, and is the most similar to the other members.
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
pub struct MemberInfo {
    /// Words in the stripped body.
    pub words: usize,
    /// The parsed `published` field, if any.
    pub published: Option<Published>,
}

/// Groups documents `0..n` by the verified `pairs` (with their scores) and picks each group's
/// canonical document. Singletons are not clusters. Clusters come largest first, then by canonical id.
pub fn clusters(info: &[MemberInfo], pairs: &[(DocId, DocId, f64)]) -> Vec<Cluster> {
    let n = info.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    for &(a, b, _) in pairs {
        let (ra, rb) = (find(&mut parent, a.0), find(&mut parent, b.0));
        if ra != rb {
            parent[ra.max(rb) as usize] = ra.min(rb);
        }
    }
    let mut centrality = vec![0.0f64; n];
    for &(a, b, score) in pairs {
        centrality[a.index()] += score;
        centrality[b.index()] += score;
    }
    let mut groups: Vec<Vec<DocId>> = vec![Vec::new(); n];
    for x in 0..n as u32 {
        let root = find(&mut parent, x);
        groups[root as usize].push(DocId(x));
    }
    let mut out: Vec<Cluster> = groups
        .into_iter()
        .filter(|g| g.len() > 1)
        .map(|members| {
            let (canonical, reason) = choose_canonical(&members, info, &centrality);
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

fn choose_canonical(
    members: &[DocId],
    info: &[MemberInfo],
    centrality: &[f64],
) -> (DocId, CanonicalReason) {
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
    let longest = members
        .iter()
        .map(|m| info[m.index()].words)
        .max()
        .unwrap_or(0);
    let best = members
        .iter()
        .filter(|m| info[m.index()].words as f64 >= 0.9 * longest as f64)
        .min_by(|a, b| {
            centrality[b.index()]
                .partial_cmp(&centrality[a.index()])
                .unwrap_or(Ordering::Equal)
                .then(a.cmp(b))
        })
        .copied()
        .expect("the longest member qualifies");
    (best, CanonicalReason::MostComplete)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn info(words: &[usize]) -> Vec<MemberInfo> {
        words
            .iter()
            .map(|&w| MemberInfo {
                words: w,
                published: None,
            })
            .collect()
    }

    #[test]
    fn components_and_canonical_by_completeness() {
        // 0-1-2 chained, 3 alone, 4-5 pair. Doc 1 is the longest and most central.
        let pairs = [
            (DocId(0), DocId(1), 0.9),
            (DocId(1), DocId(2), 0.8),
            (DocId(4), DocId(5), 1.0),
        ];
        let c = clusters(&info(&[50, 100, 95, 10, 30, 30]), &pairs);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].members, vec![DocId(0), DocId(1), DocId(2)]);
        assert_eq!(c[0].canonical, DocId(1));
        assert_eq!(c[0].reason, CanonicalReason::MostComplete);
        assert_eq!(c[1].canonical, DocId(4), "ties go to the lowest id");
    }

    #[test]
    fn earliest_published_wins_when_all_dates_compare() {
        let mut members = info(&[100, 50]);
        members[0].published = Published::from_json(&json!("2018-07-16T10:00:00Z"));
        members[1].published = Published::from_json(&json!("2018-07-15"));
        let c = clusters(&members, &[(DocId(0), DocId(1), 0.9)]);
        assert_eq!(
            (c[0].canonical, c[0].reason),
            (DocId(1), CanonicalReason::EarliestPublished)
        );
        // A date that does not parse falls back to completeness.
        members[1].published = Published::from_json(&json!("July 15"));
        let c = clusters(&members, &[(DocId(0), DocId(1), 0.9)]);
        assert_eq!(
            (c[0].canonical, c[0].reason),
            (DocId(0), CanonicalReason::MostComplete)
        );
    }

    proptest! {
        /// Clusters are exactly the connected components of the pairs.
        #[test]
        fn clusters_are_connected_components(edges in proptest::collection::vec((0u32..30, 0u32..30), 0..40)) {
            let n = 30;
            let pairs: Vec<(DocId, DocId, f64)> = edges.iter().filter(|(a, b)| a != b).map(|&(a, b)| (DocId(a), DocId(b), 1.0)).collect();
            let c = clusters(&info(&vec![10; n]), &pairs);
            // Reference: label propagation until stable.
            let mut label: Vec<u32> = (0..n as u32).collect();
            loop {
                let mut changed = false;
                for &(a, b, _) in &pairs {
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
