//! Verified pairs → clusters of copies, each with a canonical original.
//!
//! Clusters are the connected components of the verified pairs (union-find). The canonical document is
//! the earliest published one where every member carries a comparable `published` date; otherwise,
//! among the complete texts (within 10% of the longest), the one whose content words the other
//! members share most: copies deviate from their original each in its own way, so the original's
//! wording is what they have in common. Ties go to the text with the least boilerplate stripped (the
//! publisher's own page, not an aggregator's), then the lowest id, so output is deterministic.
//!
//! Before clustering, `dedupe`'s `guard_hubs` keeps a document from chaining otherwise unlinked
//! documents by weak evidence alone: see [`hub_cuts`].

use std::cmp::Ordering;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::corpus::DocId;
use crate::verify::Kind;

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

/// Whether a verified pair of this kind is weak evidence for clustering: enough to join two
/// documents, not enough to join two groups that nothing else links. A `version` shares a passage
/// and the bulk of the shorter text, while each side has material of its own: an AP live file is a
/// version of the brief it quotes, and the brief of the story it opens, so a chain of versions can
/// join stories that share nothing (on the Helsinki labels, an early live file and a late entry;
/// on the dev corpus, the only two false pairs, BBC stories sharing a background passage). Every
/// other kind that joins clusters says most of one text is the other's (or, for `spun`, all of it
/// reworded).
pub fn is_weak(kind: Kind) -> bool {
    kind == Kind::Version
}

/// The links a hub document must not cluster by: `links[i]` is `(a, b, weak, score)` over documents
/// `0..n`; returns the indices of the links to leave out, in order.
///
/// A document is a *hub* when its neighbours fall apart without it: removing it splits its
/// connected component, and its links reach two or more of the parts (its *sides*). A side it
/// reaches by a strong link stays linked to it; a side it reaches by weak links alone is left out,
/// unless no side is reached strongly, and then the side with the highest sum of weak scores stays
/// (ties to the side of the lowest neighbour). So no document joins two groups that nothing
/// else links by weak evidence alone, and every document still joins the group its strongest
/// evidence names. Leaving links out can make a new hub (a document that hung from two by weak
/// links now hangs from one, which has a strong side too), so the rule is applied again to the
/// links left until it leaves out nothing more; each round leaves out one link at least. A round
/// is one depth-first search of each component (the sides are those of an articulation point) and
/// a sort of each hub's links: O(m log m) in the m links.
pub fn hub_cuts(n: usize, links: &[(u32, u32, bool, f64)]) -> Vec<usize> {
    let links: Vec<Link> = (links.iter())
        .map(|&(a, b, weak, score)| Link { a, b, weak, score })
        .collect();
    let mut cut = vec![false; links.len()];
    let mut left: Vec<usize> = (0..links.len()).collect();
    let mut remaining: Vec<Link> = links.clone();
    loop {
        let round = hub_cuts_once(n, &remaining);
        if round.is_empty() {
            break;
        }
        for &r in &round {
            cut[left[r]] = true;
        }
        left.retain(|&i| !cut[i]);
        remaining.clear();
        remaining.extend(left.iter().map(|&i| links[i]));
    }
    (0..links.len()).filter(|&i| cut[i]).collect()
}

/// A link of [`hub_cuts`], its `(a, b, weak, score)` named.
#[derive(Debug, Clone, Copy)]
struct Link {
    a: u32,
    b: u32,
    /// Weak evidence ([`is_weak`]).
    weak: bool,
    score: f64,
}

/// Links by document: each document's (neighbour, link index), in link order.
struct Adjacency {
    start: Vec<usize>,
    adj: Vec<(u32, usize)>,
}

impl Adjacency {
    fn new(n: usize, links: &[Link]) -> Adjacency {
        let mut start = vec![0usize; n + 1];
        for l in links {
            start[l.a as usize + 1] += 1;
            start[l.b as usize + 1] += 1;
        }
        for x in 0..n {
            start[x + 1] += start[x];
        }
        let mut next = start.clone();
        let mut adj = vec![(0u32, 0usize); start[n]];
        for (i, l) in links.iter().enumerate() {
            adj[next[l.a as usize]] = (l.b, i);
            next[l.a as usize] += 1;
            adj[next[l.b as usize]] = (l.a, i);
            next[l.b as usize] += 1;
        }
        Adjacency { start, adj }
    }

    fn edges(&self, x: u32) -> &[(u32, usize)] {
        &self.adj[self.start[x as usize]..self.start[x as usize + 1]]
    }
}

/// A depth-first search of every component: per document, its discovery order, the lowest
/// discovery its subtree reaches by one back edge, the end of its subtree's discovery range, and
/// its tree parent's link.
struct Search {
    disc: Vec<u32>,
    low: Vec<u32>,
    end: Vec<u32>,
    parent_link: Vec<usize>,
}

/// Not discovered: a document with no link.
const UNSEEN: u32 = u32::MAX;

impl Search {
    fn new(n: usize, graph: &Adjacency) -> Search {
        let mut s = Search {
            disc: vec![UNSEEN; n],
            low: vec![0u32; n],
            end: vec![0u32; n],
            parent_link: vec![usize::MAX; n],
        };
        let mut discovered = 0u32;
        let mut stack: Vec<(u32, usize)> = Vec::new();
        for root in 0..n as u32 {
            if s.disc[root as usize] != UNSEEN || graph.edges(root).is_empty() {
                continue;
            }
            s.disc[root as usize] = discovered;
            s.low[root as usize] = discovered;
            discovered += 1;
            stack.push((root, 0));
            while let Some(&mut (x, ref mut k)) = stack.last_mut() {
                if let Some(&(y, link)) = graph.edges(x).get(*k) {
                    *k += 1;
                    if s.disc[y as usize] == UNSEEN {
                        s.disc[y as usize] = discovered;
                        s.low[y as usize] = discovered;
                        discovered += 1;
                        s.parent_link[y as usize] = link;
                        stack.push((y, 0));
                    } else if link != s.parent_link[x as usize] {
                        s.low[x as usize] = s.low[x as usize].min(s.disc[y as usize]);
                    }
                } else {
                    stack.pop();
                    s.end[x as usize] = discovered;
                    if let Some(&(up, _)) = stack.last() {
                        s.low[up as usize] = s.low[up as usize].min(s.low[x as usize]);
                    }
                }
            }
        }
        s
    }
}

/// One round of [`hub_cuts`]: the links the hubs of `links` leave out, by the sides [`Search`]
/// finds, sorted.
fn hub_cuts_once(n: usize, links: &[Link]) -> Vec<usize> {
    let graph = Adjacency::new(n, links);
    let search = Search::new(n, &graph);
    let mut cuts = Vec::new();
    // Per document: its neighbours' sides, as (side, link index); a side is named by the tree
    // child whose subtree it is, or by the document itself for the rest of the component.
    let mut sides: Vec<(u32, usize)> = Vec::new();
    let mut children: Vec<(u32, u32, u32)> = Vec::new();
    for h in 0..n as u32 {
        let hd = search.disc[h as usize];
        if hd == UNSEEN {
            continue;
        }
        // Tree children whose subtree reaches nothing above h: each hangs from h alone. Their
        // discovery ranges are disjoint; a neighbour inside one is on that child's side.
        children.clear();
        children.extend(
            graph
                .edges(h)
                .iter()
                .filter(|&&(c, link)| {
                    search.parent_link[c as usize] == link && search.low[c as usize] >= hd
                })
                .map(|&(c, _)| (search.disc[c as usize], search.end[c as usize], c)),
        );
        if children.is_empty() {
            continue;
        }
        children.sort_unstable();
        sides.clear();
        for &(y, link) in graph.edges(h) {
            let yd = search.disc[y as usize];
            let i = children.partition_point(|&(d, _, _)| d <= yd);
            let side = match i.checked_sub(1).map(|i| children[i]) {
                Some((_, e, c)) if yd < e => c,
                _ => h,
            };
            sides.push((side, link));
        }
        sides.sort_unstable();
        let groups: Vec<&[(u32, usize)]> = sides.chunk_by(|x, y| x.0 == y.0).collect();
        if groups.len() < 2 {
            continue;
        }
        for (g, keep) in groups.iter().zip(kept_sides(h, &groups, links)) {
            if !keep {
                cuts.extend(g.iter().map(|&(_, l)| l));
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// Which of hub `h`'s sides (each its links, as (side, link index)) stay linked to it: those it
/// reaches strongly, or if none, the one with the most weak evidence (ties to the side of the
/// lowest neighbour).
fn kept_sides(h: u32, groups: &[&[(u32, usize)]], links: &[Link]) -> Vec<bool> {
    let strong = |group: &[(u32, usize)]| group.iter().any(|&(_, l)| !links[l].weak);
    if groups.iter().any(|g| strong(g)) {
        return groups.iter().map(|g| strong(g)).collect();
    }
    let weight = |g: &[(u32, usize)]| g.iter().map(|&(_, l)| links[l].score).sum::<f64>();
    let other = |l: usize| {
        if links[l].a == h {
            links[l].b
        } else {
            links[l].a
        }
    };
    let lowest = |g: &[(u32, usize)]| g.iter().map(|&(_, l)| other(l)).min();
    let best = (0..groups.len())
        .max_by(|&i, &j| {
            weight(groups[i])
                .total_cmp(&weight(groups[j]))
                .then(lowest(groups[j]).cmp(&lowest(groups[i])))
        })
        .unwrap_or(0);
    (0..groups.len()).map(|i| i == best).collect()
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

    /// The links `hub_cuts` leaves out, as (a, b) pairs.
    fn cut(n: usize, links: &[(u32, u32, bool, f64)]) -> Vec<(u32, u32)> {
        hub_cuts(n, links)
            .into_iter()
            .map(|i| (links[i].0, links[i].1))
            .collect()
    }

    #[test]
    fn a_hub_keeps_its_strong_side_and_its_best_weak_side_only_when_none_is_strong() {
        // 0 is a near-duplicate of 1 and a version of 2: 2 hangs from 0 by weak evidence alone.
        assert_eq!(cut(3, &[(0, 1, false, 0.9), (0, 2, true, 0.9)]), [(0, 2)]);
        // Two weak sides: the one with more evidence stays (2 and 3, copies of each other).
        let links = [
            (0, 1, true, 0.8),
            (0, 2, true, 0.6),
            (0, 3, true, 0.6),
            (2, 3, false, 1.0),
        ];
        assert_eq!(cut(4, &links), [(0, 1)]);
        // A chain of strong links, and a triangle of weak ones, have no hub to cut.
        assert!(cut(
            4,
            &[(0, 1, false, 0.9), (1, 2, false, 0.9), (2, 3, false, 0.9)]
        )
        .is_empty());
        assert!(cut(
            3,
            &[(0, 1, true, 0.6), (1, 2, true, 0.6), (0, 2, true, 0.6)]
        )
        .is_empty());
        // A brief that two linked editions both contain is no hub: they are linked without it.
        let links = [(0, 1, true, 0.7), (0, 2, true, 0.7), (1, 2, true, 0.6)];
        assert!(cut(3, &links).is_empty());
    }

    #[test]
    fn cutting_a_hubs_links_can_make_a_new_hub_and_that_is_cut_too() {
        // h (0) is a near-duplicate of D (1) and a version of p1 (2) and p2 (3); x (4) is a
        // version of p1 and a near-duplicate of p2. h's versions go; then p1 hangs from x by a
        // version while x has a strong side (p2), so that goes too.
        let links = [
            (0, 1, false, 0.9),
            (0, 2, true, 0.6),
            (0, 3, true, 0.6),
            (2, 4, true, 0.6),
            (3, 4, false, 0.9),
        ];
        assert_eq!(cut(5, &links), [(0, 2), (0, 3), (2, 4)]);
    }

    /// The same rule, by brute force: each document removed in turn, its neighbours' parts found
    /// by a search of what is left; again over the links left until none is left out.
    fn cut_by_brute_force(n: usize, links: &[(u32, u32, bool, f64)]) -> Vec<usize> {
        let mut cut: Vec<usize> = Vec::new();
        loop {
            let left: Vec<usize> = (0..links.len()).filter(|i| !cut.contains(i)).collect();
            let remaining: Vec<(u32, u32, bool, f64)> = left.iter().map(|&i| links[i]).collect();
            let round = cut_once_by_brute_force(n, &remaining);
            if round.is_empty() {
                cut.sort_unstable();
                return cut;
            }
            cut.extend(round.iter().map(|&r| left[r]));
        }
    }

    /// One round of the rule, by brute force.
    fn cut_once_by_brute_force(n: usize, links: &[(u32, u32, bool, f64)]) -> Vec<usize> {
        let mut cuts = Vec::new();
        for h in 0..n as u32 {
            let without: Vec<(u32, u32)> = links
                .iter()
                .filter(|l| l.0 != h && l.1 != h)
                .map(|l| (l.0, l.1))
                .collect();
            let part = component_roots(n, without);
            let mut sides: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
            for (i, l) in links.iter().enumerate() {
                if l.0 == h || l.1 == h {
                    let y = if l.0 == h { l.1 } else { l.0 };
                    sides.entry(part[y as usize]).or_default().push(i);
                }
            }
            if sides.len() < 2 {
                continue;
            }
            let strong = |ls: &Vec<usize>| ls.iter().any(|&i| !links[i].2);
            let any_strong = sides.values().any(strong);
            let weight = |ls: &Vec<usize>| ls.iter().map(|&i| links[i].3).sum::<f64>();
            let other = |i: usize| {
                if links[i].0 == h {
                    links[i].1
                } else {
                    links[i].0
                }
            };
            let lowest = |ls: &Vec<usize>| ls.iter().map(|&i| other(i)).min();
            let best = sides
                .values()
                .max_by(|x, y| {
                    weight(x)
                        .total_cmp(&weight(y))
                        .then(lowest(y).cmp(&lowest(x)))
                })
                .cloned();
            for ls in sides.values() {
                let keep = if any_strong {
                    strong(ls)
                } else {
                    Some(ls) == best.as_ref()
                };
                if !keep {
                    cuts.extend(ls);
                }
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        cuts
    }

    /// Real Helsinki bodies (2018, stripped): a Syracuse.com page (h11580) is a near-duplicate of
    /// a Sun-Times page (h5779), both the AP live file's "world wants us to get along" entry, and a
    /// version of a HotAir commentary (h7036) that quotes that entry and is a different article
    /// (the Sun-Times page and it are judged partial); a CNBC story (h6456) is a near-duplicate of
    /// its other edition (h4547) and a version of another CNBC story (h12903). Each hub joins
    /// the group its strong link names, and its version link to the other is reported `partial`.
    #[test]
    fn a_hub_does_not_chain_a_different_article_by_a_version_link_on_real_text() {
        use crate::{Config, Corpus, Deduper, Kind, NoProgress};
        let docs = crate::test_fixtures::documents(include_str!("../fixtures/realnews/hubs.jsonl"));
        let deduper = Deduper::new(Config::default()).expect("default config");
        // Alone, each hub link is a version.
        for (a, b) in [(0, 2), (3, 5)] {
            let verdict = deduper.compare(&docs[a], &docs[b]).verdict;
            assert_eq!(verdict.map(|v| v.kind), Some(Kind::Version), "{a} {b}");
        }
        let corpus = Corpus::from_documents(docs);
        let outcome = deduper.run(&corpus, &NoProgress);
        assert_eq!(outcome.stats.hub_links_cut, 2);
        let name = |d: DocId| corpus.get(d).id.as_str();
        let kinds: Vec<(&str, &str, Kind)> = outcome
            .pairs
            .iter()
            .map(|p| (name(p.a), name(p.b), p.verdict.kind))
            .collect();
        assert!(
            kinds.contains(&("h11580", "h7036", Kind::Partial)),
            "{kinds:?}"
        );
        assert!(
            kinds.contains(&("h6456", "h12903", Kind::Partial)),
            "{kinds:?}"
        );
        let groups: Vec<Vec<&str>> = outcome
            .clusters
            .iter()
            .map(|c| c.members.iter().map(|&m| name(m)).collect())
            .collect();
        assert_eq!(groups, [vec!["h11580", "h5779"], vec!["h6456", "h4547"]]);
    }

    /// The index clusters the same real hubs as `dedupe` does: `cluster_of` and `export` leave the
    /// hub's version link out and report it `partial`, while `add`, judging one pair at a time,
    /// lists it as the version it is (as README's "Index" and `index add --help` say).
    #[test]
    fn the_index_does_not_chain_through_the_real_hubs_either() {
        use crate::{AddOptions, Config, Document, Index, Kind};
        let docs: Vec<Document> =
            crate::test_fixtures::documents(include_str!("../fixtures/realnews/hubs.jsonl"));
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let index = Index::create(tmp.path(), Config::default(), None).expect("creates");
        let added = index.add_batch(&docs, AddOptions::default()).expect("adds");
        let commentary = added.iter().find(|r| r.id == "h7036").expect("added");
        let listed: Vec<(&str, Kind)> = (commentary.matches.iter())
            .map(|m| (m.id.as_str(), m.kind))
            .collect();
        assert!(listed.contains(&("h11580", Kind::Version)), "{listed:?}");
        let members = |id: &str| {
            index
                .cluster_of(id)
                .expect("clusters")
                .map(|c| c.members)
                .unwrap_or_default()
        };
        assert_eq!(members("h7036"), Vec::<String>::new());
        assert_eq!(members("h11580"), ["h11580", "h5779"]);
        assert_eq!(members("h4547"), ["h6456", "h4547"]);
        let (corpus, outcome) = index.export().expect("exports");
        let kind_of = |a: &str, b: &str| {
            outcome
                .pairs
                .iter()
                .find(|p| corpus.get(p.a).id == a && corpus.get(p.b).id == b)
                .map(|p| p.verdict.kind)
        };
        assert_eq!(kind_of("h11580", "h7036"), Some(Kind::Partial));
        assert_eq!(outcome.clusters.len(), 2);
    }

    /// An engine that verifies each pair from its texts and asks `Stages::hub_cuts` per component
    /// judges the real hubs' version links `partial` as `dedupe` does.
    #[test]
    fn the_engine_cuts_the_real_hubs_links_as_dedupe_does() {
        use crate::engine::{channel, Stages};
        use crate::{Config, Corpus, Deduper, Document, Kind, NoProgress};
        let docs: Vec<Document> =
            crate::test_fixtures::documents(include_str!("../fixtures/realnews/hubs.jsonl"));
        // The fixture's bodies are stripped already and too few to learn from: no learned lines.
        let mut config = Config::default();
        config.boilerplate.learn = false;
        let stages = Stages::new(config.clone(), &[], &[]).expect("stages");
        let every = channel::SHINGLES | channel::CONTENT | channel::ANCHORS | channel::HEADLINE;
        let mut verified = Vec::new();
        for a in 0..docs.len() {
            for b in a + 1..docs.len() {
                if let Some(v) = stages.verify(&docs[a].text, &docs[b].text, every) {
                    verified.push((a as u32, b as u32, v.kind, v.score));
                }
            }
        }
        let joining: Vec<(u32, u32, Kind, f64)> = verified
            .iter()
            .copied()
            .filter(|l| l.2.joins_clusters())
            .collect();
        let engine: Vec<(u32, u32)> = Stages::hub_cuts(docs.len(), &joining)
            .into_iter()
            .map(|i| (joining[i].0, joining[i].1))
            .collect();
        let corpus = Corpus::from_documents(docs);
        let outcome = Deduper::new(config)
            .expect("config")
            .run(&corpus, &NoProgress);
        let turned: Vec<(u32, u32)> = outcome
            .pairs
            .iter()
            .filter(|p| p.verdict.kind == Kind::Partial)
            .filter(|p| {
                verified
                    .iter()
                    .any(|l| (l.0, l.1) == (p.a.0, p.b.0) && l.2 == Kind::Version)
            })
            .map(|p| (p.a.0, p.b.0))
            .collect();
        assert_eq!(engine, turned);
        assert_eq!(engine, [(0, 2), (3, 5)]);
    }

    proptest! {
        /// The hub rule's articulation-point search finds what removing each document in turn
        /// finds.
        #[test]
        fn hub_cuts_are_those_of_removing_each_document(
            edges in proptest::collection::vec((0u32..12, 0u32..12, any::<bool>(), 1u8..4), 0..30),
        ) {
            let mut seen = std::collections::BTreeSet::new();
            let links: Vec<(u32, u32, bool, f64)> = edges
                .into_iter()
                .filter(|&(a, b, _, _)| a != b && seen.insert((a.min(b), a.max(b))))
                .map(|(a, b, weak, w)| (a.min(b), a.max(b), weak, f64::from(w) / 4.0))
                .collect();
            prop_assert_eq!(hub_cuts(12, &links), cut_by_brute_force(12, &links));
        }

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
