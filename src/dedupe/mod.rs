//! The pipeline: corpus → fingerprints → candidates → verified pairs → clusters.
//!
//! Each stage is a plain function of the previous stage's output; this module only wires them, runs
//! the per-document stages in parallel, and reports progress. Output is sorted after every parallel
//! stage, so a run is deterministic whatever the thread count.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

use crate::align::{align, Profile};
use crate::anchor::{containment_pairs, is_anchor};
use crate::boilerplate::{
    line_keys, line_ranges, BodyHasher, DocLines, LearnConfig, LearnedChrome, LineFacts, LineKey,
    Rules, Stripped, Stripper,
};
use crate::cluster::{self, Cluster, MemberInfo, Published};
use crate::config::Config;
use crate::corpus::{Corpus, DocId, Document};
use crate::error::Error;
use crate::fingerprint::{
    fingerprint, fingerprint_hashed_lines, fingerprint_normalized_lines, Fingerprint, Hashes,
    Scratch, SignatureSlots,
};
use crate::lsh::{candidate_pairs, Banding};
use crate::minhash::MinHasher;
use crate::verify::{measure, verify, Evidence, Kind, Measures, Overlap, Verdict, MIN_TITLE_WORDS};

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
struct Stopwatch {
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Stopwatch {
    fn new() -> Self {
        Stopwatch {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, stage: &'static str) {
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

/// Finds the copies in a corpus. Build one with a validated [`Config`], then [`run`](Self::run) it on
/// any number of corpora.
#[derive(Debug, Clone)]
pub struct Deduper {
    config: Config,
    stripper: Stripper,
    hasher: MinHasher,
    banding: Banding,
    content_banding: Banding,
}

/// How far below a channel's threshold a candidate's signature estimate may fall: 2.5 standard
/// errors of a 128-position estimate at worst (J = 0.5).
pub(crate) const ESTIMATE_MARGIN: f64 = 0.11;

fn evidence<'a>(
    print: &'a Fingerprint,
    shingles: &'a [u64],
    profile: &'a (dyn Fn() -> &'a Profile + Sync),
) -> Evidence<'a> {
    Evidence {
        body_hash: print.body_hash,
        words: print.words,
        shingles,
        content: &print.content,
        profile,
        title_hash: print.title_hash,
    }
}

/// Two documents compared on their own: see [`Deduper::compare`].
#[derive(Debug, Clone)]
pub struct Comparison {
    /// What boilerplate stripping kept and removed, for each document.
    pub stripped: [Stripped; 2],
    /// Each stripped body's sentences, to show the aligned ones.
    pub profiles: [Profile; 2],
    /// Every measure, the sentence alignment included.
    pub measures: Measures,
    /// The verdict, if the two are copies.
    pub verdict: Option<Verdict>,
    /// Words in each stripped body. A document with none has no article text (it is all
    /// boilerplate, or empty) and is nobody's copy.
    pub words: [usize; 2],
}

impl Comparison {
    /// Whether either document has no article text once stripped: then there is no verdict.
    pub fn lacks_text(&self) -> bool {
        self.words.contains(&0)
    }
}

/// One document made ready for comparison by [`Deduper::prepare`]: stripped of boilerplate, its
/// body fingerprinted and signed. Everything verification needs, and what an index stores of it.
#[derive(Debug)]
pub struct Prepared {
    /// What boilerplate stripping kept and removed.
    pub stripped: Stripped,
    /// The body's hashes, word count, shingle and content-word sets.
    pub print: Fingerprint,
    /// The MinHash signature of the word shingles.
    pub shingle_signature: Box<[u32]>,
    /// The MinHash signature of the content words.
    pub content_signature: Box<[u32]>,
    body: String,
    profile: OnceLock<Profile>,
}

impl Prepared {
    /// The stripped body: the kept lines, joined by newlines.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The body's sentence profile, for alignment; made the first time it is asked for.
    pub fn profile(&self) -> &Profile {
        self.profile.get_or_init(|| Profile::new(&self.body))
    }

    fn into_profile(self) -> Profile {
        let Prepared { profile, body, .. } = self;
        profile.into_inner().unwrap_or_else(|| Profile::new(&body))
    }
}

/// Documents with identical stripped, normalised bodies. Only each group's representative (its
/// lowest id) goes through candidate generation and verification; its verdicts then hold for every
/// member. In a syndication-heavy corpus most reprints are exact copies once their chrome is gone,
/// and this turns a cluster's quadratic number of verifications into one per distinct text.
struct ExactGroups {
    /// Each document's representative.
    rep: Vec<u32>,
    /// The members of every group of two or more, by representative, in id order.
    groups: HashMap<u32, Vec<u32>>,
}

impl ExactGroups {
    /// Groups documents by the hash of their normalised body (`None`: a body with no words, which
    /// is nobody's copy).
    fn new(body_hashes: &[Option<u64>]) -> ExactGroups {
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
    fn rep(&self, d: usize) -> usize {
        self.rep[d] as usize
    }

    fn is_rep(&self, d: u32) -> bool {
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
    fn expand(&self, verified: Vec<Pair>, max_group: usize) -> Vec<Pair> {
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

/// Each document's lines, and the facts of every distinct line. Reprints repeat most of their
/// lines (a syndicated story's paragraphs, a site's chrome): each distinct line is matched against
/// the rules and normalised once.
struct LineTable {
    /// Per document: its lines and the hash of each.
    lines: Vec<DocLineHashes>,
    /// The facts of each distinct line, by the hash of its text.
    facts: FxHashMap<u64, LineFacts>,
}

/// One document's trimmed, non-empty lines and the xxh3 hash of each.
struct DocLineHashes {
    ranges: Vec<std::ops::Range<usize>>,
    hashes: Vec<u64>,
}

impl LineTable {
    fn new(docs: &[Document], stripper: &Stripper) -> LineTable {
        let lines: Vec<DocLineHashes> = docs
            .par_iter()
            .map(|doc| {
                // Room for every line, counted first: a vector grown line by line is copied
                // over and over.
                let breaks = memchr::memchr_iter(b'\n', doc.text.as_bytes()).count();
                let mut ranges = Vec::with_capacity(breaks + 1);
                ranges.extend(line_ranges(&doc.text));
                let hashes = ranges
                    .iter()
                    .map(|r| xxh3_64(doc.text[r.clone()].as_bytes()))
                    .collect();
                DocLineHashes { ranges, hashes }
            })
            .collect();
        // A place where each distinct line stands, found by sorting (document, line) by hash: any
        // one serves, as a line's facts depend on its text alone.
        let mut first: Vec<(u64, u32, u32)> = lines
            .iter()
            .zip(0..)
            .flat_map(|(l, d)| l.hashes.iter().zip(0..).map(move |(&h, i)| (h, d, i)))
            .collect();
        first.par_sort_unstable_by_key(|x| x.0);
        first.dedup_by_key(|x| x.0);
        let facts = first
            .par_iter()
            .map_init(String::new, |scratch, &(hash, d, i)| {
                let text = &docs[d as usize].text;
                let range = lines[d as usize].ranges[i as usize].clone();
                (hash, stripper.line_facts(&text[range], scratch))
            })
            .collect();
        LineTable { lines, facts }
    }

    fn facts(&self, hash: u64) -> &LineFacts {
        &self.facts[&hash]
    }

    /// The facts of the lines `stripped` kept of document `d`, in order.
    fn kept<'a>(
        &'a self,
        d: usize,
        stripped: &'a Stripped,
    ) -> impl Iterator<Item = &'a LineFacts> + Clone {
        let lines = &self.lines[d];
        // The kept lines are some of the document's lines, in order.
        let mut i = 0;
        stripped.kept().iter().map(move |kept| {
            while lines.ranges[i] != *kept {
                i += 1;
            }
            self.facts(lines.hashes[i])
        })
    }

    /// The lines `stripped` kept of document `d` (whose text is `text`), each with its normalised
    /// text, in order.
    #[cfg(test)]
    fn kept_normalized<'a>(
        &'a self,
        d: usize,
        text: &'a str,
        stripped: &'a Stripped,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + Clone {
        let raw = stripped.kept().iter().map(|r| &text[r.clone()]);
        raw.zip(self.kept(d, stripped).map(|f| &*f.normalized))
    }

    /// The hash of the body `stripped` kept of document `d`, as
    /// [`body_hash`](crate::fingerprint::body_hash) gives it.
    fn body_hash(&self, d: usize, stripped: &Stripped) -> Option<u64> {
        let mut body = BodyHasher::default();
        for facts in self.kept(d, stripped) {
            body.add(&facts.key, &facts.normalized);
        }
        body.finish()
    }
}

/// A corpus stripped of its boilerplate.
struct StrippedCorpus {
    /// Each document's stripping, in corpus order.
    stripped: Vec<Stripped>,
    /// The table the corpus was stripped through: each kept line's normalised text, for later stages.
    table: LineTable,
    /// Each stripped body's [`body_hash`](crate::fingerprint::body_hash).
    body_hashes: Vec<Option<u64>>,
    /// The chrome learned from the corpus (empty if learning is off).
    chrome: LearnedChrome,
}

impl StrippedCorpus {
    /// The [`fingerprint`] of document `d`'s stripped body, from its lines normalised and hashed
    /// already and the body's hash.
    fn fingerprint(
        &self,
        d: usize,
        shingle_size: usize,
        hasher: &MinHasher,
        scratch: &mut Scratch,
        slots: SignatureSlots<'_>,
    ) -> Fingerprint {
        let lines = self.table.kept(d, &self.stripped[d]);
        let normalized = lines.clone().map(|facts| &*facts.normalized);
        // A body without words has no hash from stripping: it is hashed here.
        let Some(body) = self.body_hashes[d] else {
            return fingerprint_normalized_lines(normalized, shingle_size, hasher, scratch, slots);
        };
        // A line's key hashes its normalised text, as a title's hash does.
        let title = (lines.clone().next()).map_or_else(|| xxh3_64(b""), |f| f.key.hash);
        let hashes = Hashes { body, title };
        fingerprint_hashed_lines(normalized, hashes, shingle_size, hasher, scratch, slots)
    }
}

/// The sentence profile of a document's stripped body, for alignment, made from its text.
fn aligned_profile(text: &str, stripped: &Stripped) -> Profile {
    Profile::new(&stripped.body(text))
}

/// A corpus of more than this many bytes of text has its word-shingle sets spilled to disk (see
/// [`SpilledShingles`]); its sets would take about as much again.
const SPILL_BYTES: usize = 256 << 20;

/// Every document's word-shingle set, written to a temporary file (deleted when closed) as it is
/// made, while each document keeps in memory only its anchors (one shingle in `anchor_sampling`),
/// all the anchor index needs. Verification reads back the sets of the documents of one batch. The
/// sets are the largest thing a run holds for every document (4.6 KB an article of news length).
struct SpilledShingles {
    file: std::fs::File,
    /// Each document's set: where it starts in the file, in hashes, and its length; `None` if it
    /// was not written (a copy's, or after a failed write).
    spans: Vec<Option<(u64, u32)>>,
}

/// Writes shingle sets to the spill file from worker threads, in the order they come.
struct ShingleSpill {
    file: std::fs::File,
    /// The writer and the number of hashes written (`None` once a write failed).
    out: std::sync::Mutex<(std::io::BufWriter<std::fs::File>, Option<u64>)>,
}

impl ShingleSpill {
    /// A spill file, if the system can make one and read it by offset.
    fn new() -> Option<ShingleSpill> {
        if !cfg!(unix) {
            return None;
        }
        let file = tempfile::tempfile().ok()?;
        let writer = std::io::BufWriter::with_capacity(1 << 20, file.try_clone().ok()?);
        Some(ShingleSpill {
            file,
            out: std::sync::Mutex::new((writer, Some(0))),
        })
    }

    /// Writes `print`'s shingle set and leaves it only its anchors; where the set lies, if written.
    fn write(&self, print: &mut Fingerprint, sampling: u64) -> Option<(u64, u32)> {
        let span = self.out.lock().ok().and_then(|mut out| {
            let (writer, at) = &mut *out;
            let start = (*at)?;
            let written = writer.write_all(bytemuck::cast_slice(&print.shingles));
            // After a failed write the file's length is unknown: nothing more is written.
            *at = written.ok().map(|()| start + print.shingles.len() as u64);
            at.map(|_| (start, print.shingles.len() as u32))
        });
        print.shingles.retain(|&h| is_anchor(h, sampling));
        print.shingles.shrink_to_fit();
        span
    }

    /// The spilled sets, their spans given by document.
    fn finish(self, mut spans: Vec<Option<(u64, u32)>>) -> SpilledShingles {
        let flushed = match self.out.into_inner() {
            Ok((mut writer, Some(_))) => writer.flush().is_ok(),
            _ => false,
        };
        if !flushed {
            spans.iter_mut().for_each(|span| *span = None);
        }
        SpilledShingles {
            file: self.file,
            spans,
        }
    }
}

impl SpilledShingles {
    /// Document `d`'s shingle set, read back.
    fn read(&self, d: usize) -> std::io::Result<Vec<u64>> {
        let (start, len) = self.spans[d].ok_or(std::io::ErrorKind::NotFound)?;
        let mut set = vec![0u64; len as usize];
        read_exact_at(&self.file, bytemuck::cast_slice_mut(&mut set), start * 8)?;
        Ok(set)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(_: &std::fs::File, _: &mut [u8], _: u64) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Candidate pairs verified together, at the least (whole components are never split).
const VERIFY_BATCH: usize = 1024;

/// Candidate pairs ordered by the connected component of the candidate graph they belong to, and cut
/// into batches of whole components: no document of a batch has a candidate pair outside it.
struct ComponentBatches {
    pairs: Vec<(u32, u32)>,
    /// Where each batch ends in `pairs`.
    ends: Vec<usize>,
}

impl ComponentBatches {
    fn new(n: usize, mut pairs: Vec<(u32, u32)>, at_least: usize) -> ComponentBatches {
        let root = cluster::component_roots(n, pairs.iter().copied());
        pairs.par_sort_unstable_by_key(|&(a, b)| (root[a as usize], a, b));
        let mut ends = Vec::new();
        let mut start = 0;
        for (i, w) in pairs.windows(2).enumerate() {
            let component_ends = root[w[0].0 as usize] != root[w[1].0 as usize];
            if component_ends && i + 1 - start >= at_least {
                ends.push(i + 1);
                start = i + 1;
            }
        }
        if start < pairs.len() {
            ends.push(pairs.len());
        }
        ComponentBatches { pairs, ends }
    }

    fn batches(&self) -> impl Iterator<Item = &[(u32, u32)]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.pairs[start..end])
    }
}

/// Candidate pairs from every channel, merged.
struct Candidates {
    pairs: Vec<(u32, u32)>,
    by_channel: [usize; 4],
}

/// Pairs of a headline-only document (too short to compare, at least
/// [`MIN_TITLE_WORDS`] words) with each longer document whose title it is.
fn title_pairs(prints: &[Fingerprint], min_words: usize, exact: &ExactGroups) -> Vec<(u32, u32)> {
    let mut titles: HashMap<u64, Vec<u32>> = HashMap::new();
    for (d, p) in prints.iter().enumerate() {
        if p.words >= min_words && exact.is_rep(d as u32) {
            titles.entry(p.title_hash).or_default().push(d as u32);
        }
    }
    let mut pairs = Vec::new();
    for (d, p) in prints.iter().enumerate() {
        if (MIN_TITLE_WORDS..min_words).contains(&p.words) && exact.is_rep(d as u32) {
            for &other in titles.get(&p.body_hash).map_or(&[][..], Vec::as_slice) {
                pairs.push((other.min(d as u32), other.max(d as u32)));
            }
        }
    }
    pairs
}

impl Deduper {
    /// A deduper for `config`, which is validated first, with the built-in boilerplate rules (unless
    /// `config.boilerplate.builtin_rules` is off).
    pub fn new(config: Config) -> Result<Deduper, Error> {
        Deduper::with_user_rules(config, None)
    }

    /// A deduper for `config`, with the built-in rules (unless `config.boilerplate.builtin_rules`
    /// is off) and the rules of a user file, if given.
    pub fn with_user_rules(config: Config, user_rules: Option<&Path>) -> Result<Deduper, Error> {
        let rules = if config.boilerplate.builtin_rules {
            Rules::builtin()
        } else {
            Rules::none()
        };
        let rules = match user_rules {
            Some(path) => rules.with_file(path)?,
            None => rules,
        };
        Deduper::with_rules(config, rules)
    }

    /// A deduper with these boilerplate rules, e.g. the built-in ones plus a user file
    /// (`Rules::builtin().with_file(path)`).
    pub fn with_rules(config: Config, rules: Rules) -> Result<Deduper, Error> {
        config.validate()?;
        let hasher = MinHasher::new(config.num_perm, config.seed);
        let banding = Banding::for_threshold(config.num_perm, config.candidate_threshold);
        let content_banding = Banding::for_threshold(config.num_perm, config.content_threshold);
        let stripper = Stripper::new(rules, config.boilerplate.max_share);
        Ok(Deduper {
            config,
            stripper,
            hasher,
            banding,
            content_banding,
        })
    }

    /// Candidate pairs from the three channels: LSH over word shingles (verbatim copies), LSH over
    /// content words (reworded copies), and shared anchors (excerpts).
    fn candidates(
        &self,
        prints: &[Fingerprint],
        shingle_sigs: &[u32],
        content_sigs: &[u32],
        exact: &ExactGroups,
    ) -> Candidates {
        let c = &self.config;
        let k = c.num_perm;
        // One representative per exact-copy group, long enough to compare: exact copies are
        // grouped already, and headline-only documents have their own channel.
        let members: Vec<u32> = (0..prints.len() as u32)
            .filter(|&d| exact.is_rep(d) && prints[d as usize].words >= c.min_words)
            .collect();
        let sets: Vec<&[u64]> = prints.iter().map(|p| p.shingles.as_slice()).collect();
        // Banding lets a few pairs well below the threshold through; their estimate is checked.
        let floor = |threshold: f64| threshold - ESTIMATE_MARGIN;
        // The anchors first: their index has serial steps, which the two LSH channels' parallel
        // work fills in around.
        let (contained, (verbatim, reworded)) = rayon::join(
            || {
                containment_pairs(
                    &sets,
                    &members,
                    c.anchor_sampling,
                    c.min_shared_anchors,
                    c.anchor_containment,
                    c.anchor_max_df,
                )
            },
            || {
                rayon::join(
                    || {
                        candidate_pairs(
                            shingle_sigs,
                            k,
                            self.banding,
                            &members,
                            c.max_bucket,
                            floor(c.candidate_threshold),
                        )
                    },
                    || {
                        candidate_pairs(
                            content_sigs,
                            k,
                            self.content_banding,
                            &members,
                            c.max_bucket,
                            floor(c.content_threshold),
                        )
                    },
                )
            },
        );
        let headlines = title_pairs(prints, c.min_words, exact);
        let by_channel = [
            verbatim.len(),
            reworded.len(),
            contained.len(),
            headlines.len(),
        ];
        let mut pairs = verbatim;
        pairs.extend(reworded);
        pairs.extend(contained);
        pairs.extend(headlines);
        pairs.par_sort_unstable();
        pairs.dedup();
        Candidates { pairs, by_channel }
    }

    /// Strips a document by the boilerplate rules alone, and gives the learning key of each line
    /// kept: what [`prepare_stripped`](Self::prepare_stripped) needs, and what an index counts to
    /// learn chrome from a stream of documents.
    pub fn strip_rules(&self, doc: &Document) -> (Stripped, Vec<LineKey>) {
        let stripped = self.stripper.strip(&doc.text);
        let mut keys = Vec::with_capacity(stripped.kept().len());
        line_keys(&doc.text, &stripped, &mut String::new(), &mut keys);
        (stripped, keys)
    }

    /// Prepares one document for comparison: strips it by the rules and by `chrome` (lines learned
    /// elsewhere: from a corpus, or from an index's line statistics), normalises, fingerprints and
    /// signs it. This is the one per-document route: [`compare`](Self::compare) and
    /// [`Index`](crate::Index) take it, and the batch pipeline's fast path (a table of distinct
    /// lines) is held to it by a test.
    pub fn prepare(&self, doc: &Document, chrome: Option<&LearnedChrome>) -> Prepared {
        let (stripped, keys) = self.strip_rules(doc);
        self.prepare_stripped(doc, stripped, &keys, chrome)
    }

    /// [`prepare`](Self::prepare) of a document already stripped by the rules, with the keys of its
    /// kept lines, as [`strip_rules`](Self::strip_rules) gives them.
    pub fn prepare_stripped(
        &self,
        doc: &Document,
        by_rules: Stripped,
        keys: &[LineKey],
        chrome: Option<&LearnedChrome>,
    ) -> Prepared {
        let stripped = match chrome {
            Some(chrome) if self.config.boilerplate.learn => {
                self.stripper.strip_learned(by_rules, keys, chrome)
            }
            _ => by_rules,
        };
        let body = stripped.body(&doc.text);
        let k = self.config.num_perm;
        let (mut shingle_sig, mut content_sig) = (vec![0u32; k], vec![0u32; k]);
        let slots = SignatureSlots {
            shingles: &mut shingle_sig,
            content: &mut content_sig,
        };
        let (size, hasher) = (self.config.shingle_size, &self.hasher);
        let print = fingerprint(&body, size, hasher, &mut Scratch::default(), slots);
        Prepared {
            stripped,
            print,
            shingle_signature: shingle_sig.into(),
            content_signature: content_sig.into(),
            body,
            profile: OnceLock::new(),
        }
    }

    /// Verifies two prepared documents as the pipeline verifies a candidate pair: the verdict if
    /// they are copies.
    pub fn verify(&self, a: &Prepared, b: &Prepared) -> Option<Verdict> {
        // A page with no words once stripped (all chrome, or empty) is nobody's copy, even of
        // another such page: their empty bodies are equal, but there is no article to copy.
        if a.print.words == 0 || b.print.words == 0 {
            return None;
        }
        let (pa, pb) = (|| a.profile(), || b.profile());
        verify(
            &evidence(&a.print, &a.print.shingles, &pa),
            &evidence(&b.print, &b.print.shingles, &pb),
            &self.config,
        )
    }

    /// Compares two documents on their own and explains the verdict: what was stripped from each,
    /// every measure (with the sentence alignment always made), and the verdict, if they are copies.
    /// Chrome is stripped by the rules only: learning needs a corpus.
    pub fn compare(&self, a: &Document, b: &Document) -> Comparison {
        let prepared = [self.prepare(a, None), self.prepare(b, None)];
        let verdict = self.verify(&prepared[0], &prepared[1]);
        let [a, b] = prepared;
        let words = [a.print.words, b.print.words];
        let (pa, pb) = (|| a.profile(), || b.profile());
        let (ea, eb) = (
            evidence(&a.print, &a.print.shingles, &pa),
            evidence(&b.print, &b.print.shingles, &pb),
        );
        let mut measures = measure(&ea, &eb, &self.config).unwrap_or(Measures {
            overlap: Overlap::of(&a.print.shingles, &b.print.shingles),
            content: Overlap::of(&a.print.content, &b.print.content),
            alignment: None,
        });
        if measures.alignment.is_none() {
            measures.alignment = Some(align(a.profile(), b.profile()));
        }
        let [(stripped_a, profile_a), (stripped_b, profile_b)] =
            [a, b].map(|p| (p.stripped.clone(), p.into_profile()));
        Comparison {
            stripped: [stripped_a, stripped_b],
            profiles: [profile_a, profile_b],
            measures,
            verdict,
            words,
        }
    }

    /// The boilerplate stripper in force.
    pub fn stripper(&self) -> &Stripper {
        &self.stripper
    }

    /// Strips every document of a corpus by the rules, then by the chrome learned from them all (if
    /// learning is on). Returns each document's [`Stripped`] (in corpus order) and the number of
    /// distinct lines learned as chrome.
    pub fn strip_corpus(&self, corpus: &Corpus, progress: &dyn Progress) -> (Vec<Stripped>, usize) {
        let stripped = self.strip_and_hash(corpus, progress);
        (stripped.stripped, stripped.chrome.len())
    }

    /// [`strip_corpus`](Self::strip_corpus), with each stripped body's hash as
    /// [`body_hash`](crate::fingerprint::body_hash) gives it: stripping normalises every kept line
    /// anyway.
    fn strip_and_hash(&self, corpus: &Corpus, progress: &dyn Progress) -> StrippedCorpus {
        let docs = corpus.documents();
        let learn = self.config.boilerplate.learn;
        progress.start("stripping", docs.len() as u64);
        let table = LineTable::new(docs, &self.stripper);
        let by_rules: Vec<Stripped> = docs
            .par_iter()
            .zip(&table.lines)
            .map(|(doc, lines)| {
                let stripped = self.stripper.strip_lines(&doc.text, &lines.ranges, |i| {
                    table.facts(lines.hashes[i]).rule
                });
                progress.advance(1);
                stripped
            })
            .collect();
        progress.finish();
        let (stripped, chrome) = if learn {
            self.learn_and_strip(docs, &table, by_rules)
        } else {
            (by_rules, LearnedChrome::default())
        };
        // Each body is hashed once stripped of everything: by the rules, and by learning if on.
        let body_hashes = (stripped.par_iter().enumerate())
            .map(|(d, s)| table.body_hash(d, s))
            .collect();
        StrippedCorpus {
            stripped,
            table,
            body_hashes,
            chrome,
        }
    }

    /// Learns chrome from the documents as the rules stripped them (`by_rules`), and strips it too.
    /// Returns each document's stripping and the chrome learned.
    fn learn_and_strip(
        &self,
        docs: &[Document],
        table: &LineTable,
        by_rules: Vec<Stripped>,
    ) -> (Vec<Stripped>, LearnedChrome) {
        let keys: Vec<Vec<LineKey>> = (by_rules.par_iter().enumerate())
            .map(|(d, stripped)| table.kept(d, stripped).map(|f| f.key).collect())
            .collect();
        let b = &self.config.boilerplate;
        let views: Vec<DocLines<'_>> = docs
            .iter()
            .zip(&keys)
            .map(|(doc, keys)| DocLines {
                source: doc.meta_str("source"),
                lines: keys,
            })
            .collect();
        let chrome = LearnedChrome::learn(
            &views,
            &LearnConfig {
                min_df: b.min_df,
                min_source_df: b.min_source_df,
                short_words: b.short_words,
                max_block_share: b.max_block_share,
            },
        );
        let stripped = (by_rules.into_par_iter().zip(&keys))
            .map(|(stripped, keys)| self.stripper.strip_learned(stripped, keys, &chrome))
            .collect();
        (stripped, chrome)
    }

    /// The word-shingle set of a document's stripped body, made from its text as fingerprinting
    /// makes it.
    fn shingles_of(&self, text: &str, stripped: &Stripped) -> Vec<u64> {
        let k = self.config.num_perm;
        let (mut shingles, mut content) = (vec![0u32; k], vec![0u32; k]);
        let slots = SignatureSlots {
            shingles: &mut shingles,
            content: &mut content,
        };
        let body = stripped.body(text);
        let mut scratch = Scratch::default();
        fingerprint(
            &body,
            self.config.shingle_size,
            &self.hasher,
            &mut scratch,
            slots,
        )
        .shingles
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The LSH banding derived from the configuration.
    pub fn banding(&self) -> Banding {
        self.banding
    }

    /// Runs the whole pipeline on a corpus.
    pub fn run(&self, corpus: &Corpus, progress: &dyn Progress) -> Outcome {
        self.run_spilling(corpus, progress, SPILL_BYTES)
    }

    /// [`run`](Self::run), the word-shingle sets spilled to disk if the corpus's texts take more
    /// than `spill_bytes`.
    fn run_spilling(
        &self,
        corpus: &Corpus,
        progress: &dyn Progress,
        spill_bytes: usize,
    ) -> Outcome {
        let k = self.config.num_perm;
        let docs = corpus.documents();
        let mut watch = Stopwatch::new();
        let stripped_corpus = self.strip_and_hash(corpus, progress);
        watch.lap("boilerplate");

        // Exact copies first: only one document of each group of identical bodies is fingerprinted
        // (and goes on to candidates and verification); the others are its copies.
        let exact = ExactGroups::new(&stripped_corpus.body_hashes);
        progress.start("fingerprinting", docs.len() as u64);
        // `prints[d]` is `d`'s fingerprint if `d` represents its group, else empty: a copy's
        // fingerprint is its representative's (`prints[exact.rep(d)]`).
        let mut shingle_sigs = vec![0u32; docs.len() * k];
        let mut content_sigs = vec![0u32; docs.len() * k];
        // A large corpus's shingle sets go to disk as they are made, each document keeping only its
        // anchors.
        let text_bytes: usize = docs.iter().map(|doc| doc.text.len()).sum();
        let spill = (text_bytes > spill_bytes).then(ShingleSpill::new).flatten();
        let (prints, spans): (Vec<Fingerprint>, Vec<Option<(u64, u32)>>) = shingle_sigs
            .par_chunks_mut(k)
            .zip(content_sigs.par_chunks_mut(k))
            .enumerate()
            .map_init(Scratch::default, |scratch, (d, (s_sig, c_sig))| {
                progress.advance(1);
                if !exact.is_rep(d as u32) {
                    return (Fingerprint::default(), None);
                }
                let slots = SignatureSlots {
                    shingles: s_sig,
                    content: c_sig,
                };
                let (k, hasher) = (self.config.shingle_size, &self.hasher);
                let mut print = stripped_corpus.fingerprint(d, k, hasher, scratch, slots);
                let span = (spill.as_ref())
                    .and_then(|spill| spill.write(&mut print, self.config.anchor_sampling));
                (print, span)
            })
            .unzip();
        let spilled = spill.map(|spill| spill.finish(spans));
        progress.finish();
        watch.lap("fingerprints");
        let StrippedCorpus {
            stripped,
            table,
            chrome,
            ..
        } = stripped_corpus;
        let learned_chrome_lines = chrome.len();

        progress.start("candidates", 0);
        // The line table's normalised lines served stripping and fingerprints; verification
        // normalises again the few documents it aligns, so the table (a normalised copy of every
        // distinct line of the corpus) is freed while candidates are found.
        let (candidates, ()) = rayon::join(
            || self.candidates(&prints, &shingle_sigs, &content_sigs, &exact),
            || drop(table),
        );
        progress.finish();
        drop((shingle_sigs, content_sigs));
        let (candidate_count, by_channel) = (candidates.pairs.len(), candidates.by_channel);
        watch.lap("candidates");

        // Sentence profiles are made the first time a pair needs its documents aligned, and dropped
        // once every pair that could need them is verified: candidates are verified a few connected
        // components at a time, so only the profiles of those components are kept at once (not one
        // per document of the corpus), and their memory serves the next ones.
        let mut profiles: Vec<OnceLock<Profile>> =
            (0..docs.len()).map(|_| OnceLock::new()).collect();
        // Spilled shingle sets are read back, like profiles, for one batch at a time.
        let mut sets: Vec<OnceLock<Vec<u64>>> = match spilled {
            Some(_) => (0..docs.len()).map(|_| OnceLock::new()).collect(),
            None => Vec::new(),
        };
        let by_component = ComponentBatches::new(docs.len(), candidates.pairs, VERIFY_BATCH);
        progress.start("verifying", by_component.pairs.len() as u64);
        let mut verified: Vec<Pair> = Vec::new();
        for batch in by_component.batches() {
            let profile = |d: u32| {
                let d = d as usize;
                profiles[d].get_or_init(|| aligned_profile(&docs[d].text, &stripped[d]))
            };
            let shingles = |d: u32| -> &[u64] {
                let d = d as usize;
                match &spilled {
                    None => &prints[d].shingles,
                    Some(spilled) => sets[d].get_or_init(|| {
                        // Should the file fail, the set is made again from the text.
                        spilled
                            .read(d)
                            .unwrap_or_else(|_| self.shingles_of(&docs[d].text, &stripped[d]))
                    }),
                }
            };
            verified.par_extend(batch.par_iter().filter_map(|&(a, b)| {
                let (profile_a, profile_b) = (|| profile(a), || profile(b));
                let verdict = verify(
                    &evidence(&prints[a as usize], shingles(a), &profile_a),
                    &evidence(&prints[b as usize], shingles(b), &profile_b),
                    &self.config,
                );
                progress.advance(1);
                verdict.map(|verdict| Pair {
                    a: DocId(a),
                    b: DocId(b),
                    verdict: Arc::new(verdict),
                })
            }));
            for &(a, b) in batch {
                drop((profiles[a as usize].take(), profiles[b as usize].take()));
                if spilled.is_some() {
                    drop((sets[a as usize].take(), sets[b as usize].take()));
                }
            }
        }
        progress.finish();
        let ((), pairs) = rayon::join(
            || drop((profiles, sets, spilled)),
            || exact.expand(verified, self.config.max_bucket),
        );
        watch.lap("verification");

        let info: Vec<MemberInfo> = docs
            .par_iter()
            .zip(&stripped)
            .enumerate()
            .map(|(d, (doc, stripped))| {
                let print = &prints[exact.rep(d)];
                MemberInfo {
                    words: print.words,
                    published: doc.meta.get("published").and_then(Published::from_json),
                    content: &print.content,
                    stripped_share: stripped.removed_share(),
                }
            })
            .collect();
        // A `partial` pair is two different stories sharing a passage: reported, never grouped.
        let linked: Vec<(DocId, DocId)> = (pairs.iter())
            .filter(|p| p.verdict.kind.joins_clusters())
            .map(|p| (p.a, p.b))
            .collect();
        let clusters = cluster::clusters(&info, &linked);
        watch.lap("clusters");

        let stats = Stats {
            candidates_by_channel: by_channel,
            banding: Some(self.banding),
            content_banding: Some(self.content_banding),
            candidates: candidate_count,
            stages: watch.laps,
            ..Stats::of_stripping(&stripped, learned_chrome_lines)
        };
        Outcome {
            pairs,
            clusters,
            documents: stripped
                .into_iter()
                .enumerate()
                .map(|(d, stripped)| DocSummary {
                    words: prints[exact.rep(d)].words,
                    stripped,
                })
                .collect(),
            stats,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::body_hash;
    use crate::{Input, ReadOptions};

    proptest::proptest! {
        /// Verification batches hold every candidate pair once, never split a component (no
        /// document has pairs in two batches), and are as large as asked but for the last.
        #[test]
        fn batches_are_whole_components(
            pairs in proptest::collection::btree_set((0u32..40, 0u32..40), 0..60),
            at_least in 1usize..8,
        ) {
            let pairs: Vec<(u32, u32)> = pairs.into_iter().filter(|(a, b)| a < b).collect();
            let batches = ComponentBatches::new(40, pairs.clone(), at_least);
            let mut seen: Vec<(u32, u32)> = batches.batches().flatten().copied().collect();
            seen.sort_unstable();
            proptest::prop_assert_eq!(&seen, &pairs);
            let mut batch_of = [None; 40];
            let count = batches.batches().count();
            for (i, batch) in batches.batches().enumerate() {
                proptest::prop_assert!(batch.len() >= at_least || i + 1 == count);
                for &(a, b) in batch {
                    for d in [a, b] {
                        proptest::prop_assert!(batch_of[d as usize].is_none_or(|j| j == i));
                        batch_of[d as usize] = Some(i);
                    }
                }
            }
        }
    }

    #[test]
    fn peak_memory_is_read_from_vmhwm_in_bytes() {
        let status = "Name:\treprint\nVmPeak:\t  900 kB\nVmHWM:\t    2684108 kB\nVmRSS:\t 10 kB\n";
        assert_eq!(peak_from_status(status), Some(2_684_108 * 1024));
        assert_eq!(peak_from_status("Name:\treprint\n"), None);
        if cfg!(target_os = "linux") {
            assert!(Stats::peak_memory().is_some_and(|b| b > 0));
        }
    }

    /// A run whose shingle sets are spilled to disk (each document keeping its anchors) finds the
    /// pairs, candidates and clusters of one that holds them.
    #[test]
    fn spilled_shingle_sets_give_the_same_outcome() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample/docs.jsonl");
        let corpus = Corpus::from_inputs([Input::parse(path)], &ReadOptions::default())
            .expect("the bundled sample reads");
        let deduper = Deduper::new(Config::default()).expect("valid config");
        let held = deduper.run_spilling(&corpus, &NoProgress, usize::MAX);
        let spilled = deduper.run_spilling(&corpus, &NoProgress, 0);
        assert!(!held.pairs.is_empty());
        assert_eq!(spilled.pairs, held.pairs);
        assert_eq!(
            spilled.stats.candidates_by_channel,
            held.stats.candidates_by_channel
        );
        assert_eq!(spilled.clusters, held.clusters);
        // And a set read back is the one fingerprinting made.
        let spill = ShingleSpill::new().expect("a spill file");
        let mut print = Fingerprint {
            shingles: vec![1 << 40, 3, 9 << 40],
            ..Fingerprint::default()
        };
        let span = spill.write(&mut print, 4);
        // Only 3 has top bits that are a multiple of 4: the one anchor.
        assert_eq!(print.shingles, vec![3]);
        let file = spill.finish(vec![None, span]);
        assert_eq!(file.read(1).expect("read back"), vec![1 << 40, 3, 9 << 40]);
        assert!(file.read(0).is_err());
    }

    /// Verification's profiles, made from each document's text once the line table is freed, are
    /// those the table's normalised lines make.
    #[test]
    fn profiles_from_the_text_are_the_line_tables() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample/docs.jsonl");
        let corpus = Corpus::from_inputs([Input::parse(path)], &ReadOptions::default())
            .expect("the bundled sample reads");
        let deduper = Deduper::new(Config::default()).expect("valid config");
        let out = deduper.strip_and_hash(&corpus, &NoProgress);
        for (d, (doc, stripped)) in corpus.documents().iter().zip(&out.stripped).enumerate() {
            let by_table =
                Profile::from_normalized_lines(out.table.kept_normalized(d, &doc.text, stripped));
            assert_eq!(aligned_profile(&doc.text, stripped), by_table, "{}", doc.id);
        }
    }

    /// Stripping a corpus through its table of distinct lines gives what stripping each document
    /// alone gives, each body's hash is `body_hash` of the lines kept, and each fingerprint made
    /// from the table is `fingerprint` of the body, learning on or off.
    #[test]
    fn the_line_table_strips_hashes_and_fingerprints_as_each_document_alone() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample/docs.jsonl");
        let corpus = Corpus::from_inputs([Input::parse(path)], &ReadOptions::default())
            .expect("the bundled sample reads");
        let mut scratch = String::new();
        for learn in [false, true] {
            let mut config = Config::default();
            config.boilerplate.learn = learn;
            let deduper = Deduper::new(config).expect("valid config");
            let out = deduper.strip_and_hash(&corpus, &NoProgress);
            assert_eq!(out.stripped.len(), corpus.len());
            for ((doc, stripped), hash) in corpus
                .documents()
                .iter()
                .zip(&out.stripped)
                .zip(&out.body_hashes)
            {
                if !learn {
                    assert_eq!(*stripped, deduper.stripper().strip(&doc.text), "{}", doc.id);
                }
                assert_eq!(
                    *hash,
                    body_hash(stripped.lines(&doc.text), &mut scratch),
                    "{}",
                    doc.id
                );
            }
            // And each document's fingerprint from the table is its stripped body's.
            let (hasher, k) = (MinHasher::new(16, 7), 3);
            let mut sigs = [[0u32; 16]; 4];
            let mut prints = Scratch::default();
            for (d, (doc, stripped)) in corpus.documents().iter().zip(&out.stripped).enumerate() {
                let [s1, c1, s2, c2] = &mut sigs;
                let slots = |shingles, content| SignatureSlots { shingles, content };
                let by_table = out.fingerprint(d, k, &hasher, &mut prints, slots(s1, c1));
                let body = stripped.body(&doc.text);
                let alone = fingerprint(&body, k, &hasher, &mut prints, slots(s2, c2));
                assert_eq!(
                    (by_table.body_hash, by_table.title_hash, by_table.words),
                    (alone.body_hash, alone.title_hash, alone.words),
                    "{}",
                    doc.id
                );
                assert_eq!(
                    (&by_table.shingles, &by_table.content),
                    (&alone.shingles, &alone.content)
                );
                assert_eq!((s1, c1), (s2, c2));
            }
            assert_eq!(!out.chrome.is_empty(), learn);
            // And the one per-document route, given the chrome the corpus taught, prepares each
            // document as the table did: the same stripping, fingerprint and signatures.
            let k = deduper.config().num_perm;
            let (mut s1, mut c1) = (vec![0u32; k], vec![0u32; k]);
            for (d, (doc, stripped)) in corpus.documents().iter().zip(&out.stripped).enumerate() {
                let prepared = deduper.prepare(doc, Some(&out.chrome));
                assert_eq!(prepared.stripped, *stripped, "{}", doc.id);
                let slots = SignatureSlots {
                    shingles: &mut s1,
                    content: &mut c1,
                };
                let hasher = &deduper.hasher;
                let by_table =
                    out.fingerprint(d, deduper.config().shingle_size, hasher, &mut prints, slots);
                let p = &prepared.print;
                assert_eq!(
                    (p.body_hash, p.title_hash, p.words, &p.shingles, &p.content),
                    (
                        by_table.body_hash,
                        by_table.title_hash,
                        by_table.words,
                        &by_table.shingles,
                        &by_table.content
                    ),
                    "{}",
                    doc.id
                );
                if by_table.words > 0 {
                    assert_eq!(
                        (&*prepared.shingle_signature, &*prepared.content_signature),
                        (&s1[..], &c1[..])
                    );
                }
            }
        }
    }
}
