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
//!    ([`ChromeLines`]) are few and go to every worker.
//! 2. **Preparing** ([`Stages::prepare`]): per document, stripping (rules, then the learned lines),
//!    the body's and title's hashes, word count, LSH band keys of both signatures and the anchors of
//!    the containment channel: the keys the engine shuffles on.
//! 3. **Verifying** ([`Stages::verify`]): per candidate pair, with its two texts, the verdict.
//! 4. **Clusters** ([`Stages::cluster`]): per connected component, the canonical original.
//!
//! Every function is built on the crate's public stages, so its answers are the in-process
//! pipeline's: the tests hold stripping, learning and verdicts to [`Deduper`]'s.

use std::ops::Range;

use rustc_hash::FxHashSet;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::align::Profile;
use crate::anchor::is_anchor;
use crate::boilerplate::{line_keys, line_ranges, LineKey, Stripped};
use crate::cluster::{clusters, Cluster, MemberInfo, Published};
use crate::config::{BoilerplateConfig, Config};
use crate::corpus::DocId;
use crate::dedupe::Deduper;
use crate::error::Error;
use crate::fingerprint::{fingerprint, Fingerprint, Scratch, SignatureSlots};
use crate::lsh::Banding;
use crate::minhash::{estimate_jaccard, MinHasher};
use crate::verify::{verify, Evidence, Verdict, MIN_TITLE_WORDS};

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

/// The lines learned as chrome from a whole corpus, as the learning aggregation found them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChromeLines {
    lines: FxHashSet<u64>,
    site_lines: FxHashSet<u64>,
}

impl ChromeLines {
    /// The learned lines (by [`LineKey::hash`]) and, of them, those that are some site's own chrome
    /// (frequent within one source: removed even where they stand first). Site lines that are not
    /// among `lines` are ignored.
    pub fn new(
        lines: impl IntoIterator<Item = u64>,
        site_lines: impl IntoIterator<Item = u64>,
    ) -> ChromeLines {
        let lines: FxHashSet<u64> = lines.into_iter().collect();
        let site_lines = site_lines
            .into_iter()
            .filter(|h| lines.contains(h))
            .collect();
        ChromeLines { lines, site_lines }
    }

    /// Number of learned lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether nothing was learned.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether a line (by hash) was learned.
    pub fn contains(&self, hash: u64) -> bool {
        self.lines.contains(&hash)
    }

    /// Whether a learned line is a site's own chrome.
    pub fn is_site_chrome(&self, hash: u64) -> bool {
        self.site_lines.contains(&hash)
    }
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
    let doc_bytes: u64 = lines.iter().map(|l| u64::from(l.bytes)).sum();
    if doc_bytes == 0 {
        return Vec::new();
    }
    let mut recurring: Vec<(&LineKey, f64)> = lines
        .iter()
        .map(|l| (l, df(l.hash) as f64))
        .filter(|&(_, df)| df >= 2.0)
        .collect();
    recurring.sort_by_key(|(l, _)| l.hash);
    recurring.dedup_by_key(|(l, _)| l.hash);
    recurring
        .iter()
        .filter(|(l, _)| frequent(l.hash))
        .map(|&(line, own)| {
            let block: u64 = recurring
                .iter()
                .filter(|&&(_, d)| d >= own / 2.0 && d <= own * 2.0)
                .map(|(o, _)| u64::from(o.bytes))
                .sum();
            (line.hash, block as f64 / doc_bytes as f64)
        })
        .collect()
}

/// Learning, per line: whether a frequent line whose [`block_shares`] over the documents it stands
/// in sum to `share_sum` (over `count` documents) is chrome.
pub fn is_learned(share_sum: f64, count: u64, config: &BoilerplateConfig) -> bool {
    count > 0 && share_sum / count as f64 <= config.max_block_share
}

/// A document stripped of its chrome: the lines kept, and how much was removed.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// Byte ranges of the kept lines, in order.
    pub kept: Vec<Range<usize>>,
    /// Share of the document's (non-blank) text removed.
    pub removed_share: f64,
}

impl Body {
    /// The body's text: the kept lines of `text`, joined by newlines.
    pub fn text(&self, text: &str) -> String {
        let lines: Vec<&str> = self.kept.iter().map(|r| &text[r.clone()]).collect();
        lines.join("\n")
    }
}

/// What an engine keeps of one document to find its candidates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prepared {
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

impl Prepared {
    /// Whether the document takes part in the LSH and anchor channels (long enough to compare).
    pub fn is_member(&self, config: &Config) -> bool {
        self.words >= config.min_words
    }

    /// Whether the document is headline-only: too short to compare, long enough to be a title.
    pub fn is_headline(&self, config: &Config) -> bool {
        (MIN_TITLE_WORDS..config.min_words).contains(&self.words)
    }
}

/// One document as fingerprinted by the stages, with its signatures.
struct Printed {
    body: Body,
    print: Fingerprint,
    shingle_sig: Vec<u32>,
    content_sig: Vec<u32>,
}

/// The engine-facing stages, for one configuration and the chrome learned from the corpus.
#[derive(Debug, Clone)]
pub struct Stages {
    deduper: Deduper,
    chrome: ChromeLines,
    hasher: MinHasher,
    content_banding: Banding,
}

impl Stages {
    /// The stages for `config` (validated) with the built-in rules, stripping `chrome` too.
    pub fn new(config: Config, chrome: ChromeLines) -> Result<Stages, Error> {
        let deduper = Deduper::new(config)?;
        let c = deduper.config();
        let hasher = MinHasher::new(c.num_perm, c.seed);
        let content_banding = Banding::for_threshold(c.num_perm, c.content_threshold);
        Ok(Stages {
            deduper,
            chrome,
            hasher,
            content_banding,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        self.deduper.config()
    }

    /// The chrome stripped after the rules.
    pub fn chrome(&self) -> &ChromeLines {
        &self.chrome
    }

    /// The bandings of the word-shingle and content-word channels.
    pub fn bandings(&self) -> (Banding, Banding) {
        (self.deduper.banding(), self.content_banding)
    }

    /// Learning, per document: the keys of the lines the rules keep of `text`, in order.
    pub fn line_keys(&self, text: &str) -> Vec<LineKey> {
        let stripped = self.deduper.stripper().strip(text);
        let mut keys = Vec::new();
        line_keys(text, &stripped, &mut String::new(), &mut keys);
        keys
    }

    /// Strips `text` by the rules, then by the learned lines, as
    /// [`Stripper::strip_learned`](crate::boilerplate::Stripper::strip_learned) does: a learned line
    /// is removed unless it stands first (the title's place) and is no site's own chrome; if that
    /// would remove more than `max_share` of the text, the long learned lines are kept.
    pub fn strip(&self, text: &str) -> Body {
        let by_rules = self.deduper.stripper().strip(text);
        let total: usize = line_ranges(text).map(|r| r.len()).sum();
        let share = |removed: usize| {
            if total == 0 {
                0.0
            } else {
                removed as f64 / total as f64
            }
        };
        let keys = if self.chrome.is_empty() {
            Vec::new()
        } else {
            let mut keys = Vec::new();
            line_keys(text, &by_rules, &mut String::new(), &mut keys);
            keys
        };
        self.strip_learned(&by_rules, &keys, total, share)
    }

    fn strip_learned(
        &self,
        by_rules: &Stripped,
        keys: &[LineKey],
        total: usize,
        share: impl Fn(usize) -> f64,
    ) -> Body {
        let rules_removed = by_rules.removed_bytes();
        if self.chrome.is_empty() {
            return Body {
                kept: by_rules.kept().to_vec(),
                removed_share: share(rules_removed),
            };
        }
        let short_words = self.config().boilerplate.short_words;
        let mut kept = Vec::with_capacity(by_rules.kept().len());
        // Learned removals, each with whether it is certain (a short line).
        let mut learned: Vec<(Range<usize>, bool)> = Vec::new();
        for (i, (line, key)) in by_rules.kept().iter().zip(keys).enumerate() {
            let remove =
                (i > 0 || self.chrome.is_site_chrome(key.hash)) && self.chrome.contains(key.hash);
            if remove {
                learned.push((line.clone(), key.words as usize <= short_words));
            } else {
                kept.push(line.clone());
            }
        }
        let learned_bytes = |learned: &[(Range<usize>, bool)]| -> usize {
            learned.iter().map(|(r, _)| r.len()).sum()
        };
        let would_remove = (rules_removed + learned_bytes(&learned)) as f64 / total.max(1) as f64;
        let max_share = self.config().boilerplate.max_share;
        if would_remove > max_share && learned.iter().any(|&(_, certain)| !certain) {
            kept.extend(
                learned
                    .iter()
                    .filter(|&&(_, certain)| !certain)
                    .map(|(r, _)| r.clone()),
            );
            kept.sort_by_key(|r| r.start);
            learned.retain(|&(_, certain)| certain);
        }
        Body {
            kept,
            removed_share: share(rules_removed + learned_bytes(&learned)),
        }
    }

    fn printed(&self, text: &str, scratch: &mut Scratch) -> Printed {
        let body = self.strip(text);
        let k = self.config().num_perm;
        let (mut shingle_sig, mut content_sig) = (vec![0u32; k], vec![0u32; k]);
        let print = fingerprint(
            &body.text(text),
            self.config().shingle_size,
            &self.hasher,
            scratch,
            SignatureSlots {
                shingles: &mut shingle_sig,
                content: &mut content_sig,
            },
        );
        Printed {
            body,
            print,
            shingle_sig,
            content_sig,
        }
    }

    /// Prepares one document: strips it, fingerprints it, and gives the keys its candidates are
    /// found by. `scratch` is reused from one document to the next.
    pub fn prepare(&self, text: &str, scratch: &mut Scratch) -> Prepared {
        let Printed {
            body,
            print,
            shingle_sig,
            content_sig,
        } = self.printed(text, scratch);
        let c = self.config();
        let mut prepared = Prepared {
            body_hash: (print.words > 0).then_some(print.body_hash),
            title_hash: print.title_hash,
            words: print.words,
            removed_share: body.removed_share,
            ..Prepared::default()
        };
        if prepared.is_member(c) {
            let (shingles, content) = self.bandings();
            prepared.shingle_bands = band_keys(&shingle_sig, shingles);
            prepared.content_bands = band_keys(&content_sig, content);
            prepared.anchors = (print.shingles.iter().copied())
                .filter(|&h| is_anchor(h, c.anchor_sampling))
                .collect();
        }
        prepared
    }

    /// The verdict on a candidate pair, from its two texts, or `None` if they are not copies.
    /// `channels` are the [`channel`] bits of the channels that proposed the pair: as in
    /// [`Deduper::run`](crate::Deduper::run), a pair proposed by an LSH channel alone is dropped
    /// when its signatures estimate a similarity more than [`ESTIMATE_MARGIN`] below that channel's
    /// threshold. Pass every bit to verify a pair regardless.
    pub fn verify(&self, a: &str, b: &str, channels: u8, scratch: &mut Scratch) -> Option<Verdict> {
        let (pa, pb) = (self.printed(a, scratch), self.printed(b, scratch));
        let c = self.config();
        let lsh_passes = |bit: u8, sa: &[u32], sb: &[u32], threshold: f64| {
            channels & bit != 0 && estimate_jaccard(sa, sb) >= threshold - ESTIMATE_MARGIN
        };
        let proposed = channels & (channel::ANCHORS | channel::HEADLINE) != 0
            || lsh_passes(
                channel::SHINGLES,
                &pa.shingle_sig,
                &pb.shingle_sig,
                c.candidate_threshold,
            )
            || lsh_passes(
                channel::CONTENT,
                &pa.content_sig,
                &pb.content_sig,
                c.content_threshold,
            );
        if !proposed {
            return None;
        }
        let (ta, tb) = (pa.body.text(a), pb.body.text(b));
        let (profile_a, profile_b) = (
            std::sync::OnceLock::<Profile>::new(),
            std::sync::OnceLock::<Profile>::new(),
        );
        let get_a = || profile_a.get_or_init(|| Profile::new(&ta));
        let get_b = || profile_b.get_or_init(|| Profile::new(&tb));
        verify(
            &evidence(&pa.print, &get_a),
            &evidence(&pb.print, &get_b),
            c,
        )
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
        let mut scratch = Scratch::default();
        let printed: Vec<Printed> = texts
            .iter()
            .map(|t| self.printed(t, &mut scratch))
            .collect();
        let info: Vec<MemberInfo<'_>> = printed
            .iter()
            .enumerate()
            .map(|(i, p)| MemberInfo {
                words: p.print.words,
                published: published.get(i).cloned().flatten(),
                content: &p.print.content,
                stripped_share: p.body.removed_share,
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

fn evidence<'a>(
    print: &'a Fingerprint,
    profile: &'a (dyn Fn() -> &'a Profile + Sync),
) -> Evidence<'a> {
    Evidence {
        body_hash: print.body_hash,
        words: print.words,
        shingles: &print.shingles,
        content: &print.content,
        profile,
        title_hash: print.title_hash,
    }
}

/// The band keys of a signature: each band's rows hashed (xxh3 of their little-endian bytes,
/// seeded by the band's number), as [`lsh::candidate_pairs`](crate::lsh::candidate_pairs) keys
/// them.
pub fn band_keys(signature: &[u32], banding: Banding) -> Vec<u64> {
    let mut bytes = Vec::with_capacity(banding.rows * 4);
    (0..banding.bands)
        .map(|band| {
            bytes.clear();
            let rows = &signature[band * banding.rows..(band + 1) * banding.rows];
            bytes.extend(rows.iter().flat_map(|v| v.to_le_bytes()));
            xxh3_64_with_seed(&bytes, band as u64)
        })
        .collect()
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
    fn learn_by_passes(stages: &Stages, docs: &[Document]) -> ChromeLines {
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
        let lines = (sums.iter())
            .filter(|&(_, &(sum, n))| is_learned(sum, n, b))
            .map(|(&h, _)| h);
        let site = (source_df.iter())
            .filter(|&(_, &n)| n as usize >= b.min_source_df)
            .map(|(&(_, h), _)| h);
        ChromeLines::new(lines, site)
    }

    /// Chrome learned by the engine's passes strips every document as the in-process pipeline
    /// (which learns in one place) strips it: the same lines kept, the same share removed.
    #[test]
    fn learning_by_passes_strips_as_the_corpus_pipeline() {
        let corpus = sample();
        let config = Config::default();
        let unlearned = Stages::new(config.clone(), ChromeLines::default()).unwrap();
        let chrome = learn_by_passes(&unlearned, corpus.documents());
        assert!(chrome.len() > 0, "the sample has chrome to learn");
        assert!(
            chrome.site_lines.len() > 0,
            "and lines frequent in one source"
        );
        let stages = Stages::new(config.clone(), chrome).unwrap();
        let deduper = Deduper::new(config).unwrap();
        let (stripped, learned) = deduper.strip_corpus(&corpus, &NoProgress);
        assert_eq!(learned, stages.chrome().len());
        let mut differ_from_rules = 0;
        for (doc, expected) in corpus.documents().iter().zip(&stripped) {
            let body = stages.strip(&doc.text);
            assert_eq!(body.kept, expected.kept(), "{}", doc.id);
            assert!(
                (body.removed_share - expected.removed_share()).abs() < 1e-12,
                "{}",
                doc.id
            );
            differ_from_rules += usize::from(body.kept != unlearned.strip(&doc.text).kept);
        }
        assert!(differ_from_rules > 0, "learned lines were stripped");
    }

    /// Every pair the in-process pipeline finds gets the same verdict from its two texts, and the
    /// band keys and hashes the engine shuffles on put its exact copies and candidates together.
    #[test]
    fn verdicts_and_keys_agree_with_the_corpus_pipeline() {
        let corpus = sample();
        let config = Config::default();
        let unlearned = Stages::new(config.clone(), ChromeLines::default()).unwrap();
        let chrome = learn_by_passes(&unlearned, corpus.documents());
        let stages = Stages::new(config.clone(), chrome).unwrap();
        let outcome = Deduper::new(config.clone())
            .unwrap()
            .run(&corpus, &NoProgress);
        assert!(outcome.pairs.len() > 100);
        let mut scratch = Scratch::default();
        let text = |d: DocId| corpus.get(d).text.as_str();
        let all = channel::SHINGLES | channel::CONTENT | channel::ANCHORS | channel::HEADLINE;
        for pair in &outcome.pairs {
            let verdict = stages
                .verify(text(pair.a), text(pair.b), all, &mut scratch)
                .unwrap_or_else(|| panic!("{:?} verified", (pair.a, pair.b)));
            assert_eq!(verdict.kind, pair.verdict.kind);
            assert!((verdict.score - pair.verdict.score).abs() < 1e-9);
            let (pa, pb) = (
                stages.prepare(text(pair.a), &mut scratch),
                stages.prepare(text(pair.b), &mut scratch),
            );
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
        let stages = Stages::new(config, ChromeLines::default()).unwrap();
        let (a, b) = (&corpus.get(spun.a).text, &corpus.get(spun.b).text);
        let mut scratch = Scratch::default();
        assert!(stages
            .verify(a, b, channel::SHINGLES, &mut scratch)
            .is_none());
        assert!(stages
            .verify(a, b, channel::ANCHORS, &mut scratch)
            .is_some());
        assert!(stages
            .verify(a, a, channel::SHINGLES, &mut scratch)
            .is_some());
    }

    /// A component's canonical member is the one the corpus pipeline picks: the earliest published.
    #[test]
    fn a_component_gets_its_canonical_original() {
        let stages = Stages::new(Config::default(), ChromeLines::default()).unwrap();
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
