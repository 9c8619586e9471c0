//! What a run gives back, and how it reports as it goes: the verified [`Pair`]s, each document's
//! [`DocSummary`], the run's [`Stats`] (counts, stage timings, peak memory), the whole [`Outcome`],
//! and the [`Progress`] a long stage reports to.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::boilerplate::Stripped;
use crate::cluster::{self, Cluster};
use crate::corpus::DocId;
use crate::lsh::Banding;
use crate::verify::{Kind, Verdict};

/// Receives progress from long stages. Implementations must be cheap: `advance` is called from
/// worker threads, once per document.
pub trait Progress: Sync {
    /// A stage with `total` steps begins; 0 if the number of steps is unknown.
    fn start(&self, _stage: &'static str, _total: u64) {}
    /// `n` more steps of the current stage are done.
    fn advance(&self, _n: u64) {}
    /// The current stage is finished.
    fn finish(&self) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// A verified copy relation between two documents, `a < b`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// The first document.
    pub a: DocId,
    /// The second document.
    pub b: DocId,
    /// Kind, score and the evidence behind them; shared by the pairs one verification implies
    /// (every pair of two exact-copy groups).
    pub verdict: Arc<Verdict>,
}

/// What the run learned about one document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocSummary {
    /// Words in the body after boilerplate stripping.
    pub words: usize,
    /// What boilerplate stripping kept and removed.
    pub stripped: Stripped,
}

/// Counts and timings of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Distinct lines learned as chrome from the corpus.
    pub learned_chrome_lines: usize,
    /// Documents whose stripping was refused for removing too much.
    pub strip_refused: usize,
    /// Bytes of boilerplate removed, over all documents.
    pub stripped_bytes: usize,
    /// The LSH banding used for word shingles.
    pub banding: Option<Banding>,
    /// The LSH banding used for content words.
    pub content_banding: Option<Banding>,
    /// Candidate pairs, all channels together.
    pub candidates: usize,
    /// Version links judged `partial` because a hub would join two groups by them alone
    /// (the hub guard, `guard_hubs` in `dedupe`).
    pub hub_links_cut: usize,
    /// Candidate pairs from each channel: word shingles, content words, containment anchors,
    /// headlines.
    pub candidates_by_channel: [usize; 4],
    /// Wall time of each stage, in order.
    #[serde(serialize_with = "stage_seconds")]
    pub stages: Vec<(&'static str, Duration)>,
}

impl Stats {
    /// The counts of boilerplate stripping, every other count zero.
    pub fn of_stripping(stripped: &[Stripped], learned_chrome_lines: usize) -> Stats {
        Stats {
            learned_chrome_lines,
            strip_refused: stripped.iter().filter(|s| s.refused().is_some()).count(),
            stripped_bytes: stripped.iter().map(Stripped::removed_bytes).sum(),
            ..Stats::default()
        }
    }
}

impl Stats {
    /// The process's peak resident memory so far, in bytes (`VmHWM` of `/proc/self/status`), where
    /// the system reports it (Linux).
    pub fn peak_memory() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        peak_from_status(&status)
    }
}

/// The `VmHWM` line of a `/proc/<pid>/status` text, in bytes.
fn peak_from_status(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line["VmHWM:".len()..]
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

fn stage_seconds<S: serde::Serializer>(
    stages: &[(&'static str, Duration)],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(stages.iter().map(|(name, d)| (name, d.as_secs_f64())))
}

/// Times consecutive stages.
pub(super) struct Stopwatch {
    last: Instant,
    pub(super) laps: Vec<(&'static str, Duration)>,
}

impl Stopwatch {
    pub(super) fn new() -> Self {
        Stopwatch {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    pub(super) fn lap(&mut self, stage: &'static str) {
        let now = Instant::now();
        self.laps.push((stage, now - self.last));
        self.last = now;
    }
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Verified pairs, sorted by `(a, b)`.
    pub pairs: Vec<Pair>,
    /// Clusters, largest first.
    pub clusters: Vec<Cluster>,
    /// Per-document facts, indexed by [`DocId`].
    pub documents: Vec<DocSummary>,
    /// Counts and timings.
    pub stats: Stats,
}

impl Outcome {
    /// The documents with no article text once stripped (all boilerplate, or no words at all), in
    /// id order: they are in no pair.
    pub fn without_text(&self) -> Vec<DocId> {
        (self.documents.iter().zip(0..))
            .filter(|(d, _)| d.words == 0)
            .map(|(_, i)| DocId(i))
            .collect()
    }

    /// Number of pairs of each kind, in [`Kind::ALL`] order.
    pub fn pairs_by_kind(&self) -> Vec<(Kind, usize)> {
        Kind::ALL
            .iter()
            .map(|&k| (k, self.pairs.iter().filter(|p| p.verdict.kind == k).count()))
            .collect()
    }
}

/// Pairs of documents `0..n` with the links [`hub_cuts`](crate::cluster::hub_cuts) leaves out (of the pairs that join
/// clusters, weak by [`is_weak`](crate::cluster::is_weak)) judged `partial` instead: two documents sharing a passage that
/// only a hub would have grouped, reported but never clustered, as different articles sharing a
/// passage are. Returns how many were changed.
pub(crate) fn guard_hubs(n: usize, pairs: &mut [Pair]) -> usize {
    let joining: Vec<usize> = (0..pairs.len())
        .filter(|&i| pairs[i].verdict.kind.joins_clusters())
        .collect();
    let links: Vec<(u32, u32, bool, f64)> = joining
        .iter()
        .map(|&i| {
            let p = &pairs[i];
            (
                p.a.0,
                p.b.0,
                cluster::is_weak(p.verdict.kind),
                p.verdict.score,
            )
        })
        .collect();
    let cuts = cluster::hub_cuts(n, &links);
    for &c in &cuts {
        let pair = &mut pairs[joining[c]];
        pair.verdict = std::sync::Arc::new(pair.verdict.as_partial());
    }
    cuts.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_memory_is_read_from_vmhwm_in_bytes() {
        let status = "Name:\treprint\nVmPeak:\t  900 kB\nVmHWM:\t    2684108 kB\nVmRSS:\t 10 kB\n";
        assert_eq!(peak_from_status(status), Some(2_684_108 * 1024));
        assert_eq!(peak_from_status("Name:\treprint\n"), None);
        if cfg!(target_os = "linux") {
            assert!(Stats::peak_memory().is_some_and(|b| b > 0));
        }
    }
}
