//! Stage functions for distributed engines (Spark, Ray, Dask): the pipeline of
//! [`Deduper::run`](crate::Deduper::run) cut at the points where an engine shuffles.
//!
//! [`Deduper::run`](crate::Deduper::run) holds a whole corpus in one process. An engine instead runs
//! a function over each partition of a table and moves rows between machines by key. The pipeline
//! splits at its shuffles:
//!
//! 1. **Learning chrome** ([`Stages::line_keys`], [`block_shares`], [`is_learned`]): the learned
//!    chrome of [`LearnedChrome::learn`](crate::boilerplate::LearnedChrome::learn) is an aggregation
//!    over line statistics. Per document, the keys of the lines the rules keep; per line, the
//!    documents and the documents of each source it stands in (a count by key); per document again,
//!    with those counts joined back, the share of the document that recurs with each frequent line
//!    ([`block_shares`]); per line, the mean of those shares ([`is_learned`]). The learned lines
//!    are few and go to every worker ([`Stages::new`]).
//! 2. **Preparing** ([`Stages::prepare`]): per document, stripping (rules, then the learned lines),
//!    the body's and title's hashes, word count, LSH band keys of both signatures and the anchors of
//!    the containment channel: the keys the engine shuffles on.
//! 3. **Verifying** ([`Stages::verify`]): per candidate pair, with its two texts, the verdict.
//! 4. **Clusters** ([`Stages::cluster`]): per connected component, the canonical original.
//!
//! Every function is built on the crate's one per-document route, [`Deduper::prepare`] and
//! [`Deduper::verify`], so its answers are the in-process pipeline's: the tests hold stripping,
//! learning and verdicts to [`Deduper::run`]'s.

use rustc_hash::FxHashSet;

use crate::anchor::is_anchor;
use crate::boilerplate::{LearnedChrome, LineKey, Stripped};
use crate::cluster::{self, clusters, Cluster, MemberInfo, Published};
use crate::config::{BoilerplateConfig, Config};
use crate::corpus::{DocId, Document};
use crate::dedupe::{self, Deduper};
use crate::error::Error;
use crate::lsh::{band_keys, Banding};
use crate::minhash::estimate_jaccard;
use crate::verify::{Kind, Verdict, MIN_TITLE_WORDS};

/// How far below a channel's threshold a candidate's signature estimate may fall, as in
/// [`Deduper::run`](crate::Deduper::run): 2.5 standard errors of a 128-position estimate at worst.
pub const ESTIMATE_MARGIN: f64 = 0.11;

/// The candidate channels a pair came from, as bits: see [`Stages::verify`].
pub mod channel {
    /// LSH over word-shingle signatures (verbatim copies).
    pub const SHINGLES: u8 = 1;
    /// LSH over content-word signatures (reworded copies).
    pub const CONTENT: u8 = 2;
    /// Shared anchors (excerpts).
    pub const ANCHORS: u8 = 4;
    /// A headline-only document and the document it is the title of.
    pub const HEADLINE: u8 = 8;
}

/// Learning, per document: for each line of `lines` (a document's [`Stages::line_keys`]) that is
/// frequent, the share of the document's bytes in lines that recur with it (as
/// [`LearnedChrome::learn`](crate::boilerplate::LearnedChrome::learn) defines it). `df(h)` is the
/// number of documents of the corpus a line stands in; `frequent(h)` whether it is frequent enough
/// to be learned (in at least `min_df` documents, or `min_source_df` of this document's source).
pub fn block_shares(
    lines: &[LineKey],
    df: impl Fn(u64) -> u64,
    frequent: impl Fn(u64) -> bool,
) -> Vec<(u64, f64)> {
    crate::boilerplate::block_shares(lines, |h| df(h) as f64, frequent)
}

/// Learning, per line: whether a frequent line whose [`block_shares`] over the documents it stands
/// in sum to `share_sum` (over `count` documents) is chrome.
pub fn is_learned(share_sum: f64, count: u64, config: &BoilerplateConfig) -> bool {
    count > 0 && share_sum / count as f64 <= config.max_block_share
}

/// Learning, per line learned as chrome: whether it is a story's text after all, kept as the batch
/// learner keeps it: a paragraph of prose (`prose`, at least
/// [`PROSE_WORDS`](crate::boilerplate::PROSE_WORDS) `words`) spread across sources
/// ([`is_spread_across_sources`](crate::boilerplate::is_spread_across_sources)).
pub fn is_story_line(prose: bool, words: u32, sources: u32, most: u32, df: u32) -> bool {
    prose
        && words as usize >= crate::boilerplate::PROSE_WORDS
        && crate::boilerplate::is_spread_across_sources(sources, most, df)
}

/// What an engine keeps of one document to find its candidates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocKeys {
    /// The hash of the stripped, normalised body (`None`: no words); equal hashes are exact copies.
    pub body_hash: Option<u64>,
    /// The hash of the normalised first line: a headline-only document pairs with the documents whose
    /// title it is.
    pub title_hash: u64,
    /// Words in the stripped body.
    pub words: usize,
    /// Share of the text removed as chrome.
    pub removed_share: f64,
    /// The band keys of the word-shingle signature, one per band (empty when the body is shorter than
    /// `min_words`).
    pub shingle_bands: Vec<u64>,
    /// The band keys of the content-word signature, one per band (empty when short).
    pub content_bands: Vec<u64>,
    /// The anchors among the word shingles (empty when short).
    pub anchors: Vec<u64>,
}

impl DocKeys {
    /// Whether the document takes part in the LSH and anchor channels (long enough to compare).
    pub fn is_member(&self, config: &Config) -> bool {
        self.words >= config.min_words
    }

    /// Whether the document is headline-only: too short to compare, long enough to be a title.
    pub fn is_headline(&self, config: &Config) -> bool {
        (MIN_TITLE_WORDS..config.min_words).contains(&self.words)
    }
}

/// The engine-facing stages, for one configuration and the chrome learned from the corpus.
#[derive(Debug, Clone)]
pub struct Stages {
    deduper: Deduper,
    chrome: LearnedChrome,
    chrome_lines: usize,
    content_banding: Banding,
}

impl Stages {
    /// The stages for `config` (validated) with the built-in rules, stripping after them the
    /// learned `chrome` lines (by [`LineKey::hash`]), of which `site_chrome` are some site's own
    /// chrome (frequent within one source: removed even where they stand first).
    pub fn new(config: Config, chrome: &[u64], site_chrome: &[u64]) -> Result<Stages, Error> {
        let deduper = Deduper::new(config)?;
        let c = deduper.config();
        let site: FxHashSet<u64> = site_chrome.iter().copied().collect();
        let lines: FxHashSet<u64> = chrome.iter().copied().collect();
        let chrome_lines = lines.len();
        let chrome = LearnedChrome::from_lines(
            lines.into_iter().map(|h| (h, site.contains(&h))),
            c.boilerplate.short_words,
        );
        let content_banding = Banding::for_threshold(c.num_perm, c.content_threshold);
        Ok(Stages {
            deduper,
            chrome,
            chrome_lines,
            content_banding,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        self.deduper.config()
    }

    /// Number of learned chrome lines stripped after the rules.
    pub fn chrome_lines(&self) -> usize {
        self.chrome_lines
    }

    /// The bandings of the word-shingle and content-word channels.
    pub fn bandings(&self) -> (Banding, Banding) {
        (self.deduper.banding(), self.content_banding)
    }

    /// Learning, per document: the keys of the lines the rules keep of `text`, in order.
    pub fn line_keys(&self, text: &str) -> Vec<LineKey> {
        self.deduper.strip_rules(&Document::new("", text)).1
    }

    fn prepared(&self, text: &str) -> dedupe::Prepared {
        self.deduper
            .prepare(&Document::new("", text), Some(&self.chrome))
    }

    /// Strips `text` by the rules, then by the learned lines, as the corpus pipeline strips it.
    pub fn strip(&self, text: &str) -> Stripped {
        self.prepared(text).stripped
    }

    /// Prepares one document: strips it, fingerprints it, and gives the keys its candidates are
    /// found by.
    pub fn prepare(&self, text: &str) -> DocKeys {
        let p = self.prepared(text);
        let c = self.config();
        let mut prepared = DocKeys {
            body_hash: (p.print.words > 0).then_some(p.print.body_hash),
            title_hash: p.print.title_hash,
            words: p.print.words,
            removed_share: p.stripped.removed_share(),
            ..DocKeys::default()
        };
        if prepared.is_member(c) {
            let (shingles, content) = self.bandings();
            prepared.shingle_bands = band_keys(&p.shingle_signature, shingles, 0).collect();
            prepared.content_bands = band_keys(&p.content_signature, content, 0).collect();
            prepared.anchors = (p.print.shingles.iter().copied())
                .filter(|&h| is_anchor(h, c.anchor_sampling))
                .collect();
        }
        prepared
    }

    /// The verdict on a candidate pair, from its two texts, or `None` if they are not copies.
    /// `channels` are the [`channel`] bits of the channels that proposed the pair: as in
    /// [`Deduper::run`], a pair proposed by an LSH channel alone is dropped when its signatures
    /// estimate a similarity more than [`ESTIMATE_MARGIN`] below that channel's threshold. Pass
    /// every bit to verify a pair regardless.
    pub fn verify(&self, a: &str, b: &str, channels: u8) -> Option<Verdict> {
        let (pa, pb) = (self.prepared(a), self.prepared(b));
        let c = self.config();
        let lsh_passes = |bit: u8, sa: &[u32], sb: &[u32], threshold: f64| {
            channels & bit != 0 && estimate_jaccard(sa, sb) >= threshold - ESTIMATE_MARGIN
        };
        let proposed = channels & (channel::ANCHORS | channel::HEADLINE) != 0
            || lsh_passes(
                channel::SHINGLES,
                &pa.shingle_signature,
                &pb.shingle_signature,
                c.candidate_threshold,
            )
            || lsh_passes(
                channel::CONTENT,
                &pa.content_signature,
                &pb.content_signature,
                c.content_threshold,
            );
        proposed.then(|| self.deduper.verify(&pa, &pb)).flatten()
    }

    /// The pairs of one connected component (of the pairs that join clusters) that a hub would
    /// cluster by and must not, as `Deduper::run` finds them ([`crate::cluster::hub_cuts`]):
    /// `links` are `(a, b, kind, score)` over members `0..n`. Returns their indices; an engine
    /// reports those pairs as `partial` ([`Verdict::as_partial`]: the passage's share as the
    /// score) and clusters the components of the others.
    pub fn hub_cuts(n: usize, links: &[(u32, u32, Kind, f64)]) -> Vec<usize> {
        let links: Vec<(u32, u32, bool, f64)> = links
            .iter()
            .map(|&(a, b, kind, score)| (a, b, cluster::is_weak(kind), score))
            .collect();
        // Members named beyond `n` are members too.
        let n = (links.iter())
            .map(|&(a, b, _, _)| a.max(b) as usize + 1)
            .fold(n, usize::max);
        cluster::hub_cuts(n, &links)
    }

    /// The cluster of one connected component of verified pairs: `texts` and `published` (each
    /// member's `published` metadata, if any) in the corpus order of the members, `pairs` as
    /// indices into them. Returns the cluster with its canonical member (as an index into `texts`),
    /// or `None` if `pairs` link fewer than two members.
    pub fn cluster(
        &self,
        texts: &[&str],
        published: &[Option<Published>],
        pairs: &[(u32, u32)],
    ) -> Option<Cluster> {
        let prepared: Vec<dedupe::Prepared> = texts.iter().map(|t| self.prepared(t)).collect();
        let info: Vec<MemberInfo<'_>> = prepared
            .iter()
            .enumerate()
            .map(|(i, p)| MemberInfo {
                words: p.print.words,
                published: published.get(i).cloned().flatten(),
                content: &p.print.content,
                stripped_share: p.stripped.removed_share(),
            })
            .collect();
        let linked: Vec<(DocId, DocId)> = pairs
            .iter()
            .filter(|&&(a, b)| (a as usize) < texts.len() && (b as usize) < texts.len())
            .map(|&(a, b)| (DocId(a), DocId(b)))
            .collect();
        clusters(&info, &linked).into_iter().next()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::corpus::{Corpus, Document, Input, ReadOptions};
    use crate::dedupe::NoProgress;

    /// The bundled sample, each document given one of two sources (the sample has none) so that
    /// learning within a source is exercised too.
    fn sample() -> Corpus {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample/docs.jsonl");
        let corpus = Corpus::from_inputs([Input::parse(path)], &ReadOptions::default())
            .expect("the bundled sample reads");
        Corpus::from_documents(corpus.documents().iter().enumerate().map(|(i, doc)| {
            let mut doc: Document = doc.clone();
            let source = format!("site{}", i % 2);
            doc.meta.insert("source".into(), source.into());
            doc
        }))
    }

    /// The learning aggregation as an engine runs it, with maps for its shuffles.
    /// Returns the learned lines and the site lines among them, sorted.
    fn learn_by_passes(stages: &Stages, docs: &[Document]) -> (Vec<u64>, Vec<u64>) {
        let keys: Vec<Vec<LineKey>> = docs.iter().map(|d| stages.line_keys(&d.text)).collect();
        let mut df: HashMap<u64, u64> = HashMap::new();
        let mut source_df: HashMap<(&str, u64), u64> = HashMap::new();
        for (doc, keys) in docs.iter().zip(&keys) {
            let mut distinct: Vec<u64> = keys.iter().map(|k| k.hash).collect();
            distinct.sort_unstable();
            distinct.dedup();
            for h in distinct {
                *df.entry(h).or_default() += 1;
                if let Some(source) = doc.meta_str("source") {
                    *source_df.entry((source, h)).or_default() += 1;
                }
            }
        }
        let b = &stages.config().boilerplate;
        let mut sums: HashMap<u64, (f64, u64)> = HashMap::new();
        for (doc, keys) in docs.iter().zip(&keys) {
            let source = doc.meta_str("source");
            let frequent = |h: u64| {
                df[&h] as usize >= b.min_df
                    || source.is_some_and(|s| source_df[&(s, h)] as usize >= b.min_source_df)
            };
            for (h, share) in block_shares(keys, |h| df[&h], frequent) {
                let sum = sums.entry(h).or_default();
                sum.0 += share;
                sum.1 += 1;
            }
        }
        let mut lines: Vec<u64> = (sums.iter())
            .filter(|&(_, &(sum, n))| is_learned(sum, n, b))
            .map(|(&h, _)| h)
            .collect();
        lines.sort_unstable();
        let mut site: Vec<u64> = (source_df.iter())
            .filter(|&(&(_, h), &n)| {
                n as usize >= b.min_source_df && lines.binary_search(&h).is_ok()
            })
            .map(|(&(_, h), _)| h)
            .collect();
        site.sort_unstable();
        site.dedup();
        (lines, site)
    }

    /// Chrome learned by the engine's passes strips every document as the in-process pipeline
    /// (which learns in one place) strips it: the same lines kept, the same share removed.
    #[test]
    fn learning_by_passes_strips_as_the_corpus_pipeline() {
        let corpus = sample();
        let config = Config::default();
        let unlearned = Stages::new(config.clone(), &[], &[]).unwrap();
        let (chrome, site) = learn_by_passes(&unlearned, corpus.documents());
        assert!(!chrome.is_empty(), "the sample has chrome to learn");
        assert!(!site.is_empty(), "and lines frequent in one source");
        let stages = Stages::new(config.clone(), &chrome, &site).unwrap();
        let deduper = Deduper::new(config).unwrap();
        let (stripped, learned) = deduper.strip_corpus(&corpus, &NoProgress);
        assert_eq!(learned, stages.chrome_lines());
        let mut differ_from_rules = 0;
        for (doc, expected) in corpus.documents().iter().zip(&stripped) {
            let body = stages.strip(&doc.text);
            assert_eq!(body.kept(), expected.kept(), "{}", doc.id);
            assert!(
                (body.removed_share() - expected.removed_share()).abs() < 1e-12,
                "{}",
                doc.id
            );
            differ_from_rules += usize::from(body.kept() != unlearned.strip(&doc.text).kept());
        }
        assert!(differ_from_rules > 0, "learned lines were stripped");
    }

    /// Every pair the in-process pipeline finds gets the same verdict from its two texts, and the
    /// band keys and hashes the engine shuffles on put its exact copies and candidates together.
    #[test]
    fn verdicts_and_keys_agree_with_the_corpus_pipeline() {
        let corpus = sample();
        let config = Config::default();
        let unlearned = Stages::new(config.clone(), &[], &[]).unwrap();
        let (chrome, site) = learn_by_passes(&unlearned, corpus.documents());
        let stages = Stages::new(config.clone(), &chrome, &site).unwrap();
        let outcome = Deduper::new(config.clone())
            .unwrap()
            .run(&corpus, &NoProgress);
        assert!(outcome.pairs.len() > 100);
        let text = |d: DocId| corpus.get(d).text.as_str();
        let all = channel::SHINGLES | channel::CONTENT | channel::ANCHORS | channel::HEADLINE;
        for pair in &outcome.pairs {
            let verdict = stages
                .verify(text(pair.a), text(pair.b), all)
                .unwrap_or_else(|| panic!("{:?} verified", (pair.a, pair.b)));
            assert_eq!(verdict.kind, pair.verdict.kind);
            assert!((verdict.score - pair.verdict.score).abs() < 1e-9);
            let (pa, pb) = (stages.prepare(text(pair.a)), stages.prepare(text(pair.b)));
            // Exact copies share a body hash (and are grouped by it, never shuffled by band);
            // other pairs of members share a key in some channel.
            let shares = |x: &[u64], y: &[u64]| x.iter().zip(y).any(|(p, q)| p == q);
            let anchors_shared = pa.anchors.iter().any(|h| pb.anchors.contains(h));
            assert!(
                pa.body_hash == pb.body_hash
                    || shares(&pa.shingle_bands, &pb.shingle_bands)
                    || shares(&pa.content_bands, &pb.content_bands)
                    || anchors_shared
                    || pa.is_headline(&config)
                    || pb.is_headline(&config),
                "{:?} share no key",
                (pair.a, pair.b)
            );
        }
    }

    /// A spun copy whose word-shingle signatures are far apart is dropped when only the
    /// word-shingle channel proposed it, as the corpus pipeline drops it, and verified when anchors
    /// (or content words) proposed it.
    #[test]
    fn lsh_candidates_far_below_the_threshold_are_dropped() {
        let corpus = sample();
        let config = Config::default();
        let outcome = Deduper::new(config.clone())
            .unwrap()
            .run(&corpus, &NoProgress);
        let floor = config.candidate_threshold - ESTIMATE_MARGIN;
        let spun = (outcome.pairs.iter())
            .find(|p| p.verdict.measures.overlap.jaccard < floor - 0.1)
            .expect("a reworded copy in the sample");
        let stages = Stages::new(config, &[], &[]).unwrap();
        let (a, b) = (&corpus.get(spun.a).text, &corpus.get(spun.b).text);
        assert!(stages.verify(a, b, channel::SHINGLES).is_none());
        assert!(stages.verify(a, b, channel::ANCHORS).is_some());
        assert!(stages.verify(a, a, channel::SHINGLES).is_some());
    }

    /// A component's canonical member is the one the corpus pipeline picks: the earliest published.
    #[test]
    fn a_component_gets_its_canonical_original() {
        let stages = Stages::new(Config::default(), &[], &[]).unwrap();
        let story = "The central bank raised its main interest rate by a quarter point on \
                     Thursday, citing persistent inflation in services and a tight labour market.";
        let copy = format!("{story}\nShare this article");
        let published = [
            Published::from_json(&"2024-05-02".into()),
            Published::from_json(&"2024-05-01".into()),
        ];
        let cluster = stages
            .cluster(&[story, &copy], &published, &[(0, 1)])
            .expect("one cluster");
        assert_eq!(cluster.canonical, DocId(1));
        assert_eq!(cluster.members, [DocId(0), DocId(1)]);
        assert!(stages.cluster(&[story, &copy], &published, &[]).is_none());
    }
}
