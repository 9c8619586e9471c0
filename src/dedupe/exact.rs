//! Which documents are exact copies of each other once stripped, and what a verdict about one
//! copy implies for the others: each group of identical bodies is verified through one
//! representative, and its verdicts are spread back to every member.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::Pair;
use crate::corpus::DocId;
use crate::verify::Verdict;

/// Documents with identical stripped, normalised bodies. Only each group's representative (its
/// lowest id) goes through candidate generation and verification; its verdicts then hold for every
/// member. In a syndication-heavy corpus most reprints are exact copies once their chrome is gone,
/// and this turns a cluster's quadratic number of verifications into one per distinct text.
pub(super) struct ExactGroups {
    /// Each document's representative.
    rep: Vec<u32>,
    /// The members of every group of two or more, by representative, in id order.
    groups: HashMap<u32, Vec<u32>>,
}

impl ExactGroups {
    /// Groups documents by the hash of their normalised body (`None`: a body with no words, which
    /// is nobody's copy).
    pub(super) fn new(body_hashes: &[Option<u64>]) -> ExactGroups {
        let mut rep: Vec<u32> = (0..body_hashes.len() as u32).collect();
        let mut order: Vec<(u64, u32)> = body_hashes
            .iter()
            .zip(0..)
            .filter_map(|(hash, d)| hash.map(|h| (h, d)))
            .collect();
        order.sort_unstable();
        let mut groups = HashMap::new();
        for run in order.chunk_by(|x, y| x.0 == y.0) {
            if run.len() > 1 {
                for &(_, d) in run {
                    rep[d as usize] = run[0].1;
                }
                groups.insert(run[0].1, run.iter().map(|&(_, d)| d).collect());
            }
        }
        ExactGroups { rep, groups }
    }

    /// The representative of `d`'s group (`d` itself if it has no copy).
    pub(super) fn rep(&self, d: usize) -> usize {
        self.rep[d] as usize
    }

    pub(super) fn is_rep(&self, d: u32) -> bool {
        self.rep[d as usize] == d
    }

    fn members(&self, rep: u32) -> &[u32] {
        self.groups
            .get(&rep)
            .map_or(std::slice::from_ref(&self.rep[rep as usize]), Vec::as_slice)
    }

    /// Every pair the representatives' verdicts imply: the exact pairs inside each group (as a star
    /// around the representative for groups larger than `max_group`), and each verified pair of
    /// representatives for every pair of their members. Sorted by `(a, b)`.
    pub(super) fn expand(&self, verified: Vec<Pair>, max_group: usize) -> Vec<Pair> {
        let mut out: Vec<Pair> = Vec::with_capacity(verified.len());
        let exact = Arc::new(Verdict::exact());
        for (&rep, members) in &self.groups {
            if members.len() > max_group {
                out.extend(members[1..].iter().map(|&m| linked(rep, m, &exact)));
            } else {
                for (i, &x) in members.iter().enumerate() {
                    out.extend(members[i + 1..].iter().map(|&y| linked(x, y, &exact)));
                }
            }
        }
        for pair in verified {
            let (xs, ys) = (self.members(pair.a.0), self.members(pair.b.0));
            if xs.len() == 1 && ys.len() == 1 {
                out.push(pair);
                continue;
            }
            for &x in xs {
                out.extend(ys.iter().map(|&y| linked(x, y, &pair.verdict)));
            }
        }
        out.par_sort_unstable_by_key(|p| (p.a, p.b));
        out
    }
}

/// The pair of two documents (in id order) sharing a verdict.
fn linked(x: u32, y: u32, verdict: &Arc<Verdict>) -> Pair {
    Pair {
        a: DocId(x.min(y)),
        b: DocId(x.max(y)),
        verdict: Arc::clone(verdict),
    }
}
