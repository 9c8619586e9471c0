//! The pipeline: corpus → fingerprints → candidates → verified pairs → clusters.
//!
//! Each stage is a plain function of the previous stage's output; this module only wires them, runs
//! the per-document stages in parallel, and reports progress. Output is sorted after every parallel
//! stage, so a run is deterministic whatever the thread count.
//!
//! [`Deduper`]'s methods read as the list of stages; the parts they wire live in submodules, each
//! answering one question: what is known of every distinct line (`lines`), which documents are
//! exact copies (`exact`), where a large corpus's shingle sets wait (`spill`), which pairs are
//! worth verifying (`candidates`), and what a run gives back (`outcome`).

mod candidates;
mod exact;
mod lines;
mod outcome;
mod spill;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use crate::align::{align, Profile};
use crate::boilerplate::{
    line_keys, DocLines, LearnConfig, LearnedChrome, LineKey, Rules, Stripped, Stripper,
};
use crate::cluster::{self, MemberInfo, Published};
use crate::config::Config;
use crate::corpus::{Corpus, DocId, Document};
use crate::error::Error;
use crate::fingerprint::{fingerprint, Fingerprint, Scratch, SignatureSlots};
use crate::lsh::Banding;
use crate::minhash::MinHasher;
use crate::verify::{measure, verify, Evidence, Measures, Overlap, Verdict};

pub(crate) use candidates::ESTIMATE_MARGIN;
pub use outcome::{DocSummary, NoProgress, Outcome, Pair, Progress, Stats};

use candidates::{ComponentBatches, VERIFY_BATCH};
use exact::ExactGroups;
use lines::{aligned_profile, LineTable, StrippedCorpus};
use outcome::Stopwatch;
use spill::{ShingleSpill, SPILL_BYTES};

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
            || {
                candidates::gather(
                    &self.config,
                    self.banding,
                    self.content_banding,
                    &prints,
                    &shingle_sigs,
                    &content_sigs,
                    &exact,
                )
            },
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
        // A `partial` pair is two different stories sharing a passage: reported, never grouped;
        // so is a weak link by which a hub would join two groups that nothing else links.
        let mut pairs = pairs;
        let hub_links_cut = cluster::guard_hubs(docs.len(), &mut pairs);
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
            hub_links_cut,
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
