//! The pipeline: corpus → fingerprints → candidates → verified pairs → clusters.
//!
//! Each stage is a plain function of the previous stage's output; this module only wires them, runs
//! the per-document stages in parallel, and reports progress. Output is sorted after every parallel
//! stage, so a run is deterministic whatever the thread count.
//!
//! [`Deduper`]'s methods read as the list of stages; the parts they wire live in submodules, each
//! answering one question: what is known of every distinct line of a chunk of documents (`lines`),
//! which documents are exact copies (`exact`), where a large corpus's anchors wait (`spill`), which
//! pairs are worth verifying (`candidates`), and what a run gives back (`outcome`).
//!
//! Memory grows with per-document fixed-size data, not texts: a corpus whose texts wait on disk
//! ([`Corpus::with_text_budget`]) is stripped and fingerprinted a chunk of documents at a time, in
//! two passes (the first gives the lines chrome is learned from), and the sets a stage needs are
//! made again from the texts read back.

mod candidates;
mod exact;
mod lines;
mod outcome;
mod spill;

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

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
use lines::{aligned_profile, LineTable, CHUNK_BYTES};
pub(crate) use outcome::guard_hubs;
use outcome::Stopwatch;
use spill::{AnchorParts, SPILL_BYTES};

/// Every document of a corpus stripped by the rules, and what the next stages need of that pass.
struct ByRules<'c> {
    /// Each document's stripping by the rules, in corpus order.
    stripped: Vec<Stripped>,
    /// The learning keys of each document's kept lines (none if learning is off).
    keys: Vec<Vec<LineKey>>,
    /// A corpus of one chunk: its texts and table of lines, for fingerprinting.
    held: Option<(Vec<Cow<'c, str>>, LineTable)>,
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

fn evidence<'a>(
    print: &'a Fingerprint,
    shingles: &'a [u64],
    content: &'a [u64],
    profile: &'a (dyn Fn() -> &'a Profile + Sync),
) -> Evidence<'a> {
    Evidence {
        body_hash: print.body_hash,
        words: print.words,
        shingles,
        content,
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
            &evidence(&a.print, &a.print.shingles, &a.print.content, &pa),
            &evidence(&b.print, &b.print.shingles, &b.print.content, &pb),
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
            evidence(&a.print, &a.print.shingles, &a.print.content, &pa),
            evidence(&b.print, &b.print.shingles, &b.print.content, &pb),
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
        let chunks = lines::chunks(corpus, CHUNK_BYTES);
        let ByRules {
            stripped, mut keys, ..
        } = self.strip_by_rules(corpus, &chunks, true, progress);
        if !self.config.boilerplate.learn {
            return (stripped, 0);
        }
        let chrome = self.learn(corpus, &keys);
        let stripped = (stripped.into_par_iter().zip(&mut keys))
            .map(|(stripped, keys)| self.strip_learned(stripped, keys, &chrome))
            .collect();
        (stripped, chrome.len())
    }

    /// Strips every document by the rules, a chunk of documents at a time (each through its own
    /// table of lines), and gives the learning keys of the lines each kept (if learning is on),
    /// and each document's stripping if `keep` (else the next pass strips each chunk again, through
    /// its table: a stripping is some 350 bytes an article, held for every one). A corpus of one
    /// chunk keeps its texts and table for fingerprinting.
    fn strip_by_rules<'c>(
        &self,
        corpus: &'c Corpus,
        chunks: &[Range<usize>],
        keep: bool,
        progress: &dyn Progress,
    ) -> ByRules<'c> {
        let learn = self.config.boilerplate.learn;
        progress.start("stripping", corpus.len() as u64);
        let mut stripped: Vec<Stripped> = Vec::with_capacity(if keep { corpus.len() } else { 0 });
        let mut keys: Vec<Vec<LineKey>> = Vec::with_capacity(if learn { corpus.len() } else { 0 });
        let mut held = None;
        for chunk in chunks {
            let texts = lines::texts(corpus, chunk.clone());
            let table = LineTable::new(&texts, &self.stripper);
            let by_rules = self.strip_chunk_by_rules(&texts, &table, progress);
            keys.extend(self.keys_of_chunk(&table, &by_rules));
            if keep {
                stripped.extend(by_rules);
            }
            if chunks.len() == 1 {
                held = Some((texts, table));
            }
        }
        progress.finish();
        ByRules {
            stripped,
            keys,
            held,
        }
    }

    /// A chunk's documents (`texts`, through their `table`) stripped by the rules.
    fn strip_chunk_by_rules<T: AsRef<str> + Sync>(
        &self,
        texts: &[T],
        table: &LineTable,
        progress: &dyn Progress,
    ) -> Vec<Stripped> {
        (texts.par_iter().zip(&table.lines))
            .map(|(text, lines)| {
                let stripped = (self.stripper).strip_lines(text.as_ref(), &lines.ranges, |i| {
                    table.facts(lines.ids[i]).rule
                });
                progress.advance(1);
                stripped
            })
            .collect()
    }

    /// The learning keys of the lines each of a chunk's documents kept (through its `table`), if
    /// learning is on; else none.
    fn keys_of_chunk(&self, table: &LineTable, by_rules: &[Stripped]) -> Vec<Vec<LineKey>> {
        if !self.config.boilerplate.learn {
            return Vec::new();
        }
        (by_rules.par_iter().enumerate())
            .map(|(d, stripped)| table.kept(d, stripped).map(|f| f.key).collect())
            .collect()
    }

    /// The chrome learned from the documents as the rules stripped them (each one's kept lines'
    /// `keys`); none if learning is off.
    fn learn(&self, corpus: &Corpus, keys: &[Vec<LineKey>]) -> LearnedChrome {
        if !self.config.boilerplate.learn {
            return LearnedChrome::default();
        }
        let b = &self.config.boilerplate;
        let views: Vec<DocLines<'_>> = (corpus.documents().iter().zip(keys))
            .map(|(doc, keys)| DocLines {
                source: doc.meta_str("source"),
                lines: keys,
            })
            .collect();
        LearnedChrome::learn(
            &views,
            &LearnConfig {
                min_df: b.min_df,
                min_source_df: b.min_source_df,
                short_words: b.short_words,
                max_block_share: b.max_block_share,
            },
        )
    }

    /// A document as the rules stripped it, stripped of the learned `chrome` too (if learning is
    /// on); its `keys` are freed.
    fn strip_learned(
        &self,
        by_rules: Stripped,
        keys: &mut Vec<LineKey>,
        chrome: &LearnedChrome,
    ) -> Stripped {
        let keys = std::mem::take(keys);
        if self.config.boilerplate.learn {
            self.stripper.strip_learned(by_rules, &keys, chrome)
        } else {
            by_rules
        }
    }

    /// Every document stripped (by the rules, then by the chrome learned from the corpus), the hash
    /// of each stripped body, and the chrome: one chunk's table, for tests of the table.
    #[cfg(test)]
    fn strip_and_hash(
        &self,
        corpus: &Corpus,
    ) -> (Vec<Stripped>, LineTable, Vec<Option<u64>>, LearnedChrome) {
        let chunks = lines::chunks(corpus, usize::MAX);
        let ByRules {
            stripped,
            mut keys,
            held,
        } = self.strip_by_rules(corpus, &chunks, true, &NoProgress);
        let (_, table) = held.expect("one chunk");
        let chrome = self.learn(corpus, &keys);
        keys.resize_with(stripped.len(), Vec::new);
        let stripped: Vec<Stripped> = (stripped.into_iter().zip(&mut keys))
            .map(|(stripped, keys)| self.strip_learned(stripped, keys, &chrome))
            .collect();
        let hashes = (stripped.iter().enumerate())
            .map(|(d, s)| table.body_hash(d, s))
            .collect();
        (stripped, table, hashes, chrome)
    }

    /// The word-shingle and content-word sets of a document's stripped body, made from its text as
    /// fingerprinting makes them.
    fn sets_of(&self, text: &str, stripped: &Stripped) -> (Vec<u64>, Vec<u64>) {
        let k = self.config.num_perm;
        let (mut shingles, mut content) = (vec![0u32; k], vec![0u32; k]);
        let slots = SignatureSlots {
            shingles: &mut shingles,
            content: &mut content,
        };
        let body = stripped.body(text);
        let mut scratch = Scratch::default();
        let print = fingerprint(
            &body,
            self.config.shingle_size,
            &self.hasher,
            &mut scratch,
            slots,
        );
        (print.shingles, print.content)
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
        // A corpus that holds its texts is one chunk: its table of lines serves both passes.
        let chunk_bytes = match corpus.texts_spilled() {
            true => CHUNK_BYTES,
            false => usize::MAX,
        };
        self.run_with(corpus, progress, SPILL_BYTES, chunk_bytes)
    }

    /// [`run`](Self::run), the documents' anchors spilled to disk and their sets made again when
    /// needed if the corpus's texts take more than `spill_bytes`, and documents stripped and
    /// fingerprinted in chunks of `chunk_bytes` of text.
    fn run_with(
        &self,
        corpus: &Corpus,
        progress: &dyn Progress,
        spill_bytes: usize,
        chunk_bytes: usize,
    ) -> Outcome {
        let k = self.config.num_perm;
        let n = corpus.len();
        let mut watch = Stopwatch::new();
        let chunks = lines::chunks(corpus, chunk_bytes);
        // A corpus of one chunk keeps its stripping by the rules and its table for the next pass;
        // a larger one keeps only the keys learning needs, and strips each chunk again.
        let ByRules {
            stripped: mut by_rules,
            mut keys,
            mut held,
        } = self.strip_by_rules(corpus, &chunks, chunks.len() == 1, progress);
        let chrome = self.learn(corpus, &keys);
        if held.is_none() {
            keys = Vec::new();
        }
        watch.lap("boilerplate");

        // Each chunk of documents is stripped of its learned chrome, and each body hashed: exact
        // copies are found as they come (a document whose body an earlier one has is a copy of
        // the first, its group's representative), and only representatives are fingerprinted (and
        // go on to candidates and verification); the others are their copies.
        progress.start("fingerprinting", n as u64);
        // `prints[d]` is `d`'s fingerprint if `d` represents its group, else empty: a copy's
        // fingerprint is its representative's (`prints[exact.rep(d)]`).
        let mut shingle_sigs = vec![0u32; n * k];
        let mut content_sigs = vec![0u32; n * k];
        // A large corpus's anchors go to disk as they are made, and its sets are not kept: the few
        // documents verification and the canonical choice need are fingerprinted again from their
        // text (some 7 KB of sets an article, where the text is 3.5 KB).
        let spill = corpus.text_bytes() > spill_bytes;
        let mut anchors = AnchorParts::new(spill);
        let mut stripped: Vec<Stripped> = Vec::with_capacity(n);
        let mut body_hashes: Vec<Option<u64>> = Vec::with_capacity(n);
        let mut prints: Vec<Fingerprint> = Vec::with_capacity(n);
        let mut first_with: FxHashMap<u64, u32> = FxHashMap::default();
        for chunk in &chunks {
            let (table, chunk_rules, mut chunk_keys) = match held.take() {
                Some((_, table)) => (
                    table,
                    std::mem::take(&mut by_rules),
                    std::mem::take(&mut keys),
                ),
                None => {
                    let texts = lines::texts(corpus, chunk.clone());
                    let table = LineTable::new(&texts, &self.stripper);
                    let by_rules = self.strip_chunk_by_rules(&texts, &table, &NoProgress);
                    let keys = self.keys_of_chunk(&table, &by_rules);
                    (table, by_rules, keys)
                }
            };
            chunk_keys.resize_with(chunk.len(), Vec::new);
            let chunk_stripped: Vec<Stripped> = (chunk_rules.into_par_iter().zip(&mut chunk_keys))
                .map(|(by_rules, keys)| self.strip_learned(by_rules, keys, &chrome))
                .collect();
            drop(chunk_keys);
            let hashes: Vec<Option<u64>> = (chunk_stripped.par_iter().enumerate())
                .map(|(i, s)| table.body_hash(i, s))
                .collect();
            let is_rep: Vec<bool> = (hashes.iter().zip(chunk.clone()))
                .map(|(hash, d)| {
                    hash.is_none_or(|h| *first_with.entry(h).or_insert(d as u32) == d as u32)
                })
                .collect();
            let sigs = chunk.start * k..chunk.end * k;
            let mut chunk_prints: Vec<Fingerprint> = (shingle_sigs[sigs.clone()].par_chunks_mut(k))
                .zip(content_sigs[sigs].par_chunks_mut(k))
                .enumerate()
                .map_init(Scratch::default, |scratch, (i, (s_sig, c_sig))| {
                    progress.advance(1);
                    if !is_rep[i] {
                        return Fingerprint::default();
                    }
                    let slots = SignatureSlots {
                        shingles: s_sig,
                        content: c_sig,
                    };
                    let (size, hasher) = (self.config.shingle_size, &self.hasher);
                    let stripped = &chunk_stripped[i];
                    table.fingerprint(i, stripped, hashes[i], size, hasher, scratch, slots)
                })
                .collect();
            // The anchors of the documents that go on to candidates: while the table is freed, or
            // (a large corpus, whose memory counts more than these few milliseconds) once it is.
            let min_words = self.config.min_words;
            let members: Vec<(u32, &[u64])> = (chunk_prints.iter().zip(chunk.start as u32..))
                .filter(|(p, d)| is_rep[(d - chunk.start as u32) as usize] && p.words >= min_words)
                .map(|(p, d)| (d, p.shingles.as_slice()))
                .collect();
            let add =
                |anchors: &mut AnchorParts| anchors.add(&members, self.config.anchor_sampling);
            if spill {
                drop(table);
                add(&mut anchors);
            } else {
                rayon::join(|| drop(table), || add(&mut anchors));
            }
            drop(members);
            if spill {
                chunk_prints.par_iter_mut().for_each(|print| {
                    print.shingles = Vec::new();
                    print.content = Vec::new();
                });
            }
            stripped.extend(chunk_stripped);
            body_hashes.extend(hashes);
            prints.extend(chunk_prints);
        }
        drop(first_with);
        let exact = ExactGroups::new(&body_hashes);
        drop(body_hashes);
        progress.finish();
        watch.lap("fingerprints");
        let learned_chrome_lines = chrome.len();

        progress.start("candidates", 0);
        let candidates = candidates::gather(
            &self.config,
            self.banding,
            self.content_banding,
            &prints,
            shingle_sigs,
            content_sigs,
            &exact,
            anchors.finish(),
            spill,
        );
        progress.finish();
        let (candidate_count, by_channel) = (candidates.pairs.len(), candidates.by_channel);
        watch.lap("candidates");

        // Sentence profiles are made the first time a pair needs its documents aligned, and dropped
        // once every pair that could need them is verified: candidates are verified a few connected
        // components at a time, so only the profiles of those components are kept at once (not one
        // per document of the corpus), and their memory serves the next ones.
        let mut profiles: Vec<OnceLock<Profile>> = (0..n).map(|_| OnceLock::new()).collect();
        // Sets not kept are made again, like profiles, for one batch at a time.
        let mut sets: Vec<OnceLock<(Vec<u64>, Vec<u64>)>> = match spill {
            true => (0..n).map(|_| OnceLock::new()).collect(),
            false => Vec::new(),
        };
        // The content sets made again for a verified pair that joins a group are kept for the
        // canonical choice.
        let mut kept_content: Vec<Vec<u64>> = match spill {
            true => vec![Vec::new(); n],
            false => Vec::new(),
        };
        let by_component = ComponentBatches::new(n, candidates.pairs, VERIFY_BATCH);
        progress.start("verifying", by_component.pairs.len() as u64);
        let mut verified: Vec<Pair> = Vec::new();
        for batch in by_component.batches() {
            let batch_start = verified.len();
            let profile = |d: u32| {
                profiles[d as usize]
                    .get_or_init(|| aligned_profile(&corpus.text(DocId(d)), &stripped[d as usize]))
            };
            let sets_of = |d: u32| -> (&[u64], &[u64]) {
                let d = d as usize;
                if !spill {
                    return (&prints[d].shingles, &prints[d].content);
                }
                let (shingles, content) = sets[d]
                    .get_or_init(|| self.sets_of(&corpus.text(DocId(d as u32)), &stripped[d]));
                (shingles, content)
            };
            verified.par_extend(batch.par_iter().filter_map(|&(a, b)| {
                let (profile_a, profile_b) = (|| profile(a), || profile(b));
                let ((shingles_a, content_a), (shingles_b, content_b)) = (sets_of(a), sets_of(b));
                let verdict = verify(
                    &evidence(&prints[a as usize], shingles_a, content_a, &profile_a),
                    &evidence(&prints[b as usize], shingles_b, content_b, &profile_b),
                    &self.config,
                );
                progress.advance(1);
                verdict.map(|verdict| Pair {
                    a: DocId(a),
                    b: DocId(b),
                    verdict: Arc::new(verdict),
                })
            }));
            if spill {
                let joined = verified[batch_start..]
                    .iter()
                    .filter(|p| p.verdict.kind.joins_clusters());
                for d in joined.flat_map(|p| [p.a.index(), p.b.index()]) {
                    if let Some((_, content)) = sets[d].take() {
                        kept_content[d] = content;
                    }
                }
            }
            for &(a, b) in batch {
                drop((profiles[a as usize].take(), profiles[b as usize].take()));
                if spill {
                    drop((sets[a as usize].take(), sets[b as usize].take()));
                }
            }
        }
        progress.finish();
        let ((), mut pairs) = rayon::join(
            || drop((profiles, sets)),
            || exact.expand(verified, self.config.max_bucket),
        );
        watch.lap("verification");

        // A `partial` pair is two different stories sharing a passage: reported, never grouped;
        // so is a weak link by which a hub would join two groups that nothing else links.
        let hub_links_cut = guard_hubs(n, &mut pairs);
        let linked: Vec<(DocId, DocId)> = (pairs.iter())
            .filter(|p| p.verdict.kind.joins_clusters())
            .map(|p| (p.a, p.b))
            .collect();
        // Choosing a group's original reads its members' content sets: those not kept (of a group
        // of exact copies with no other copy) are made again, for the representatives of the
        // documents in a group, and no others.
        let contents: Vec<Vec<u64>> = match spill {
            false => Vec::new(),
            true => {
                let mut grouped = vec![false; n];
                for &(a, b) in &linked {
                    grouped[exact.rep(a.index())] = true;
                    grouped[exact.rep(b.index())] = true;
                }
                (kept_content.into_par_iter().zip(grouped).enumerate())
                    .map(|(d, (kept, grouped))| match grouped && kept.is_empty() {
                        false => kept,
                        true => self.sets_of(&corpus.text(DocId(d as u32)), &stripped[d]).1,
                    })
                    .collect()
            }
        };
        let info: Vec<MemberInfo> = (corpus.documents().par_iter().zip(&stripped))
            .enumerate()
            .map(|(d, (doc, stripped))| {
                let rep = exact.rep(d);
                MemberInfo {
                    words: prints[rep].words,
                    published: doc.meta.get("published").and_then(Published::from_json),
                    content: contents.get(rep).unwrap_or(&prints[rep].content),
                    stripped_share: stripped.removed_share(),
                }
            })
            .collect();
        let clusters = cluster::clusters(&info, &linked);
        drop(info);
        drop(contents);
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
