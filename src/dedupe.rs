//! The pipeline: corpus → fingerprints → candidates → verified pairs → clusters.
//!
//! Each stage is a plain function of the previous stage's output; this module only wires them, runs
//! the per-document stages in parallel, and reports progress. Output is sorted after every parallel
//! stage, so a run is deterministic whatever the thread count.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::align::Profile;
use crate::anchor::containment_pairs;
use crate::boilerplate::{
    line_keys, DocLines, LearnConfig, LearnedChrome, LineKey, Rules, Stripped, Stripper,
};
use crate::cluster::{self, Cluster, MemberInfo, Published};
use crate::config::Config;
use crate::corpus::{Corpus, DocId};
use crate::error::Error;
use crate::fingerprint::{fingerprint, Fingerprint, Scratch, SignatureSlots};
use crate::lsh::{candidate_pairs, Banding};
use crate::minhash::MinHasher;
use crate::verify::{verify, Evidence, Kind, Verdict, MIN_TITLE_WORDS};

/// Receives progress from long stages. Implementations must be cheap: `advance` is called from
/// worker threads, once per document.
pub trait Progress: Sync {
    /// A stage with `total` steps begins.
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    /// The first document.
    pub a: DocId,
    /// The second document.
    pub b: DocId,
    /// Kind, score and the evidence behind them.
    pub verdict: Verdict,
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
    /// Documents fingerprinted.
    pub documents: usize,
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
    /// Verified pairs.
    pub pairs: usize,
    /// Time spent fingerprinting.
    #[serde(serialize_with = "seconds")]
    pub fingerprint_time: Duration,
    /// Time spent on candidates, verification and clustering.
    #[serde(serialize_with = "seconds")]
    pub match_time: Duration,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
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

/// Candidate pairs from every channel, merged.
struct Candidates {
    pairs: Vec<(u32, u32)>,
    by_channel: [usize; 4],
}

/// Pairs of a headline-only document (too short to compare, at least
/// [`MIN_TITLE_WORDS`] words) with each longer document whose title it is.
fn title_pairs(prints: &[Fingerprint], min_words: usize) -> Vec<(u32, u32)> {
    let mut titles: HashMap<u64, Vec<u32>> = HashMap::new();
    for (d, p) in prints.iter().enumerate() {
        if p.words >= min_words {
            titles.entry(p.title_hash).or_default().push(d as u32);
        }
    }
    let mut pairs = Vec::new();
    for (d, p) in prints.iter().enumerate() {
        if (MIN_TITLE_WORDS..min_words).contains(&p.words) {
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
        let rules = if config.boilerplate.builtin_rules {
            Rules::builtin()
        } else {
            Rules::none()
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
    ) -> Candidates {
        let c = &self.config;
        let k = c.num_perm;
        let members: Vec<u32> = (0..prints.len() as u32)
            .filter(|&d| prints[d as usize].words >= c.min_words)
            .collect();
        let all: Vec<u32> = (0..prints.len() as u32)
            .filter(|&d| !prints[d as usize].shingles.is_empty())
            .collect();
        let sets: Vec<&[u64]> = prints.iter().map(|p| p.shingles.as_slice()).collect();
        // Short documents can only be exact copies: the shingle channel sees them all.
        let (verbatim, (reworded, contained)) = rayon::join(
            || candidate_pairs(shingle_sigs, k, self.banding, &all, c.max_bucket),
            || {
                rayon::join(
                    || {
                        candidate_pairs(
                            content_sigs,
                            k,
                            self.content_banding,
                            &members,
                            c.max_bucket,
                        )
                    },
                    || {
                        containment_pairs(
                            &sets,
                            &members,
                            c.anchor_sampling,
                            c.min_shared_anchors,
                            c.anchor_max_df,
                        )
                    },
                )
            },
        );
        let headlines = title_pairs(prints, c.min_words);
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

    /// The boilerplate stripper in force.
    pub fn stripper(&self) -> &Stripper {
        &self.stripper
    }

    /// Strips every document of a corpus by the rules, then by the chrome learned from them all (if
    /// learning is on). Returns each document's [`Stripped`] (in corpus order) and the number of
    /// distinct lines learned as chrome.
    pub fn strip_corpus(&self, corpus: &Corpus, progress: &dyn Progress) -> (Vec<Stripped>, usize) {
        let docs = corpus.documents();
        progress.start("stripping", docs.len() as u64);
        let by_rules: Vec<(Stripped, Vec<LineKey>)> = docs
            .par_iter()
            .map_init(String::new, |scratch, doc| {
                let stripped = self.stripper.strip(&doc.text);
                let mut keys = Vec::new();
                if self.config.boilerplate.learn {
                    line_keys(&doc.text, &stripped, scratch, &mut keys);
                }
                progress.advance(1);
                (stripped, keys)
            })
            .collect();
        progress.finish();
        if !self.config.boilerplate.learn {
            return (by_rules.into_iter().map(|(s, _)| s).collect(), 0);
        }
        let b = &self.config.boilerplate;
        let views: Vec<DocLines<'_>> = docs
            .iter()
            .zip(&by_rules)
            .map(|(doc, (_, keys))| DocLines {
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
        let stripped = docs
            .par_iter()
            .zip(&by_rules)
            .map(|(doc, (stripped, _))| self.stripper.strip_learned(&doc.text, stripped, &chrome))
            .collect();
        (stripped, chrome.len())
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
        let k = self.config.num_perm;
        let docs = corpus.documents();
        let started = Instant::now();
        let (stripped, learned_chrome_lines) = self.strip_corpus(corpus, progress);

        progress.start("fingerprinting", docs.len() as u64);
        let mut shingle_sigs = vec![0u32; docs.len() * k];
        let mut content_sigs = vec![0u32; docs.len() * k];
        let prints: Vec<Fingerprint> = shingle_sigs
            .par_chunks_mut(k)
            .zip(content_sigs.par_chunks_mut(k))
            .zip(docs.par_iter().zip(&stripped))
            .map_init(
                Scratch::default,
                |scratch, ((s_sig, c_sig), (doc, stripped))| {
                    let print = fingerprint(
                        &stripped.body(&doc.text),
                        self.config.shingle_size,
                        &self.hasher,
                        scratch,
                        SignatureSlots {
                            shingles: s_sig,
                            content: c_sig,
                        },
                    );
                    progress.advance(1);
                    print
                },
            )
            .collect();
        progress.finish();
        let fingerprint_time = started.elapsed();
        let started = Instant::now();

        let candidates = self.candidates(&prints, &shingle_sigs, &content_sigs);
        drop((shingle_sigs, content_sigs));

        // Sentence profiles, only for documents that have a candidate.
        let mut needed = vec![false; docs.len()];
        for &(a, b) in &candidates.pairs {
            needed[a as usize] = true;
            needed[b as usize] = true;
        }
        let profiles: Vec<Option<Profile>> = docs
            .par_iter()
            .zip(&stripped)
            .zip(&needed)
            .map(|((doc, stripped), &needed)| {
                needed.then(|| Profile::new(&stripped.body(&doc.text)))
            })
            .collect();

        progress.start("verifying", candidates.pairs.len() as u64);
        let evidence = |d: u32| {
            let p = &prints[d as usize];
            Evidence {
                body_hash: p.body_hash,
                words: p.words,
                shingles: &p.shingles,
                content: &p.content,
                profile: profiles[d as usize]
                    .as_ref()
                    .expect("candidates are profiled"),
                title_hash: p.title_hash,
            }
        };
        let pairs: Vec<Pair> = candidates
            .pairs
            .par_iter()
            .filter_map(|&(a, b)| {
                let verdict = verify(&evidence(a), &evidence(b), &self.config);
                progress.advance(1);
                verdict.map(|verdict| Pair {
                    a: DocId(a),
                    b: DocId(b),
                    verdict,
                })
            })
            .collect();
        progress.finish();

        let info: Vec<MemberInfo> = docs
            .iter()
            .zip(&prints)
            .map(|(doc, print)| MemberInfo {
                words: print.words,
                published: doc.meta.get("published").and_then(Published::from_json),
            })
            .collect();
        let scored: Vec<(DocId, DocId, f64)> =
            pairs.iter().map(|p| (p.a, p.b, p.verdict.score)).collect();
        let clusters = cluster::clusters(&info, &scored);

        let stats = Stats {
            documents: docs.len(),
            candidates_by_channel: candidates.by_channel,
            learned_chrome_lines,
            strip_refused: stripped.iter().filter(|s| s.refused().is_some()).count(),
            stripped_bytes: stripped.iter().map(Stripped::removed_bytes).sum(),
            banding: Some(self.banding),
            content_banding: Some(self.content_banding),
            candidates: candidates.pairs.len(),
            pairs: pairs.len(),
            fingerprint_time,
            match_time: started.elapsed(),
        };
        Outcome {
            pairs,
            clusters,
            documents: prints
                .iter()
                .zip(stripped)
                .map(|(p, stripped)| DocSummary {
                    words: p.words,
                    stripped,
                })
                .collect(),
            stats,
        }
    }
}
