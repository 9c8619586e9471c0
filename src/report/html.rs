//! The editors' report: one self-contained HTML file (no network, no CDN) that answers "what in
//! this batch is a copy of what, and how sure are we?".
//!
//! This module only gathers facts; `templates/report.html` lays them out (askama, compiled in,
//! escaping every value). The page has three parts:
//! - an overview: counts, pairs by kind, clusters by size, boilerplate stripped, and a chart of the
//!   score distribution drawn as inline SVG;
//! - the clusters, largest first, each with its original (and why it was chosen) and every copy
//!   with its kind, score and the share of the original it reproduces; rendered as HTML, sorted,
//!   filtered and paginated by a small inline script;
//! - a pair view per copy: the original and the copy side by side, aligned sentences highlighted
//!   with their changed words marked, stripped boilerplate greyed out and labelled with its rule.
//!   The texts and the marks travel once, as JSON in a `<script type="application/json">` element
//!   (every `<` escaped), and a view is drawn only when it is opened, with `textContent`: article
//!   text is never parsed as HTML.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Write};
use std::ops::Range;

use askama::Template;
use rayon::prelude::*;
use serde::Serialize;
use similar::{capture_diff_slices, Algorithm, DiffTag};

use super::{shorten, title, Links};
use crate::align::{align, sentences, Alignment, Profile};
use crate::boilerplate::Stripped;
use crate::cluster::{CanonicalReason, Cluster};
use crate::config::Config;
use crate::corpus::Document;
use crate::corpus::{Corpus, DocId};
use crate::dedupe::{Deduper, Outcome, Progress};
use crate::normalize::{normalize, normalize_into};
use crate::shingle::words;
use crate::verify::{Kind, Overlap};

/// Clusters shown per page of the clusters table.
const PAGE_SIZE: usize = 500;

/// Titles are shortened (at a word) to this many characters.
const TITLE_CHARS: usize = 120;

/// Bins of the score chart, over `[0, 1]`.
const CHART_BINS: usize = 20;

/// Groups shown in full by default: the first page of the groups table.
pub const DEFAULT_MAX_GROUPS: usize = PAGE_SIZE;

/// Article text embedded by default, in bytes. With the marks of the side-by-side views and the
/// rows of the groups, a report weighs some two to three times its texts; this keeps a report of
/// any corpus under some 30 MB (10,000 listed groups included), which a browser opens in seconds.
pub const DEFAULT_TEXT_BUDGET: usize = 8 << 20;

/// Groups listed (without their copies and texts) after those shown in full.
const MAX_LISTED: usize = 10_000;

/// Which groups a report shows in full, with their copies, texts and side-by-side views; the
/// others are listed (up to 10,000 of them) and counted.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// At most this many groups in full, largest first.
    pub max_groups: usize,
    /// At most this many bytes of article text in all (whole groups only); `None` for no limit.
    pub max_text_bytes: Option<usize>,
    /// Only these groups in full, by index in the clusters (the report's group number less one),
    /// whatever their size; when empty, the largest groups within the limits above.
    pub groups: Vec<usize>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            max_groups: DEFAULT_MAX_GROUPS,
            max_text_bytes: Some(DEFAULT_TEXT_BUDGET),
            groups: Vec::new(),
        }
    }
}

/// What a report shows and leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    /// Groups of copies in the run.
    pub groups: usize,
    /// Groups shown in full.
    pub in_full: usize,
    /// Articles in the groups shown in full.
    pub articles_in_full: usize,
    /// Groups listed without their copies and texts.
    pub listed: usize,
}

impl Coverage {
    /// A sentence on what was left out, if anything was.
    pub fn left_out(&self) -> Option<String> {
        if self.in_full == self.groups {
            return None;
        }
        let mut note = format!(
            "{} of {} groups shown in full ({} articles); ",
            self.in_full, self.groups, self.articles_in_full
        );
        let others = self.groups - self.in_full;
        if self.listed == others {
            note.push_str(&format!(
                "the other {others} are listed without their texts"
            ));
        } else {
            note.push_str(&format!(
                "{} more listed without their texts, {} not listed",
                self.listed,
                others - self.listed
            ));
        }
        note.push_str("; open any group with `reprint report … --group N`");
        Some(note)
    }
}

/// Writes the HTML report of a run, and says what it shows.
pub fn write_report(
    out: &mut dyn Write,
    corpus: &Corpus,
    outcome: &Outcome,
    deduper: &Deduper,
    options: &ReportOptions,
    progress: &dyn Progress,
) -> io::Result<Coverage> {
    let page = Page::new(corpus, outcome, deduper, options, progress);
    let coverage = page.coverage;
    progress.start("writing report", 0);
    page.write_into(out)?;
    progress.finish();
    Ok(coverage)
}

/// The group (its index in the clusters) that `id` names: a group number as the report shows it
/// (from 1), or the id of any of its articles.
pub fn find_group(corpus: &Corpus, outcome: &Outcome, id: &str) -> Option<usize> {
    if let Some(d) = corpus.lookup(id) {
        if let Some(g) = outcome.clusters.iter().position(|c| c.members.contains(&d)) {
            return Some(g);
        }
    }
    let number: usize = id.parse().ok()?;
    (1..=outcome.clusters.len())
        .contains(&number)
        .then(|| number - 1)
}

/// Which clusters are shown in full.
fn in_full(corpus: &Corpus, outcome: &Outcome, options: &ReportOptions) -> Vec<bool> {
    let mut full = vec![false; outcome.clusters.len()];
    if !options.groups.is_empty() {
        for &g in &options.groups {
            if let Some(f) = full.get_mut(g) {
                *f = true;
            }
        }
        return full;
    }
    let mut budget = options.max_text_bytes.unwrap_or(usize::MAX);
    for (c, f) in outcome
        .clusters
        .iter()
        .zip(&mut full)
        .take(options.max_groups)
    {
        let bytes: usize = c.members.iter().map(|&m| corpus.text_len(m)).sum();
        if bytes > budget {
            break;
        }
        budget -= bytes;
        *f = true;
    }
    full
}

/// A kind of copy, as the page names and colours it.
#[derive(Debug, Clone, Copy)]
struct KindLabel {
    /// The name in the data (`near_duplicate`), also the CSS class.
    name: &'static str,
    /// The name an editor reads.
    label: &'static str,
    /// One sentence on what it means.
    about: &'static str,
}

impl KindLabel {
    fn of(kind: Kind) -> KindLabel {
        let (label, about) = match kind {
            Kind::Exact => ("exact copy", "the same text once boilerplate is removed"),
            Kind::NearDuplicate => (
                "near-duplicate",
                "the same text, lightly edited, updated or trimmed",
            ),
            Kind::Excerpt => (
                "excerpt",
                "a part of the original (or its headline) reprinted",
            ),
            Kind::Spun => (
                "spun copy",
                "the original reworded sentence by sentence to hide the copying",
            ),
            Kind::Version => (
                "version",
                "the same story in another edition: expanded, trimmed, re-led or updated",
            ),
            Kind::Partial => (
                "partial",
                "a different article sharing a passage of several paragraphs (not grouped)",
            ),
        };
        KindLabel {
            name: kind.as_str(),
            label,
            about,
        }
    }
}

struct KindCount {
    kind: KindLabel,
    count: usize,
}

struct Count {
    label: String,
    count: usize,
}

struct Overview {
    documents: usize,
    skipped_total: usize,
    skipped: Vec<Count>,
    pairs: usize,
    kinds: Vec<KindCount>,
    clusters: usize,
    copies: usize,
    unique: usize,
    original_percent: String,
    sizes: Vec<Count>,
    stripped_percent: String,
    learned_lines: usize,
    refused: usize,
}

struct Bar {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    kind: &'static str,
    tip: String,
}

struct Tick {
    x: f64,
    label: String,
}

/// The score histogram, laid out in SVG user units (the template draws it, the numbers are here).
struct Chart {
    bars: Vec<Bar>,
    ticks: Vec<Tick>,
    threshold_x: f64,
    threshold: String,
    max_count: usize,
    /// Pairs left out of the chart: exact copies, whose score is always 1.
    exact: usize,
}

impl Chart {
    const WIDTH: f64 = 600.0;
    const HEIGHT: f64 = 160.0;
    const LEFT: f64 = 40.0;
    const TOP: f64 = 10.0;

    fn new(outcome: &Outcome, config: &Config) -> Chart {
        let stacked = [Kind::NearDuplicate, Kind::Excerpt, Kind::Spun];
        let mut counts = [[0usize; 3]; CHART_BINS];
        let mut exact = 0;
        for pair in &outcome.pairs {
            let v = &pair.verdict;
            let Some(k) = stacked.iter().position(|&k| k == v.kind) else {
                exact += usize::from(v.kind == Kind::Exact);
                continue;
            };
            let bin = ((v.score * CHART_BINS as f64) as usize).min(CHART_BINS - 1);
            counts[bin][k] += 1;
        }
        let max_count = counts
            .iter()
            .map(|c| c.iter().sum::<usize>())
            .max()
            .unwrap_or(0)
            .max(1);
        let plot = Chart::WIDTH - Chart::LEFT;
        let bin_width = plot / CHART_BINS as f64;
        let x_of = |score: f64| Chart::LEFT + score * plot;
        let mut bars = Vec::new();
        for (bin, c) in counts.iter().enumerate() {
            let mut base = Chart::TOP + Chart::HEIGHT;
            for (k, &n) in c.iter().enumerate() {
                if n == 0 {
                    continue;
                }
                let height = Chart::HEIGHT * n as f64 / max_count as f64;
                base -= height;
                let from = bin as f64 / CHART_BINS as f64;
                bars.push(Bar {
                    x: x_of(from) + 1.0,
                    y: base,
                    width: bin_width - 2.0,
                    height,
                    kind: stacked[k].as_str(),
                    tip: format!(
                        "{n} {} with score {from:.2}–{:.2}",
                        KindLabel::of(stacked[k]).label,
                        from + 1.0 / CHART_BINS as f64
                    ),
                });
            }
        }
        Chart {
            bars,
            ticks: (0..=4)
                .map(|i| Tick {
                    x: x_of(i as f64 / 4.0),
                    label: format!("{:.2}", i as f64 / 4.0),
                })
                .collect(),
            threshold_x: x_of(config.near_duplicate),
            threshold: format!("{:.2}", config.near_duplicate),
            max_count,
            exact,
        }
    }
}

/// A document as a row shows it.
struct DocRow<'a> {
    id: &'a str,
    title: String,
    source: &'a str,
    published: String,
    words: usize,
}

impl<'a> DocRow<'a> {
    fn new(corpus: &'a Corpus, outcome: &Outcome, d: DocId) -> Self {
        let doc = corpus.get(d);
        DocRow {
            id: &doc.id,
            title: shorten(
                title(doc, &corpus.text(d), &outcome.documents[d.index()].stripped),
                TITLE_CHARS,
            ),
            source: doc.meta_str("source").unwrap_or(""),
            published: doc
                .meta
                .get("published")
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default(),
            words: outcome.documents[d.index()].words,
        }
    }
}

struct MemberRow<'a> {
    doc: DocRow<'a>,
    kind: KindLabel,
    score: String,
    score_value: f64,
    /// Share of the original's text the copy reproduces, in percent.
    share: String,
    /// The document this one is linked through, when it has no pair with the original itself.
    via: Option<&'a str>,
    /// Index of its pair view.
    view: usize,
}

struct ClusterRow<'a> {
    number: usize,
    /// Articles in the group, the original included.
    size: usize,
    /// Listed only: its copies and texts are not in this file.
    listed: bool,
    original: DocRow<'a>,
    reason: String,
    members: Vec<MemberRow<'a>>,
    kinds: Vec<KindCount>,
    /// Kind names present, space-separated, for filtering.
    kind_names: String,
    top_score: String,
}

/// Everything a pair view needs besides the texts, in UTF-16 offsets (JavaScript's string indices).
#[derive(Serialize)]
struct View {
    /// Index of the original in `docs`.
    a: usize,
    /// Index of the copy in `docs`.
    b: usize,
    /// The verdict on the two texts shown, compared with each other: kind (none if they are not
    /// copies on their own), its label and score.
    kind: Option<&'static str>,
    label: &'static str,
    score: Option<f64>,
    /// How the copy joined the group when it has no pair with the original itself.
    link: Option<String>,
    /// Measures worth an editor's eye, as (name, value) pairs.
    measures: Vec<(&'static str, String)>,
    /// Similarity of each aligned sentence pair, by pair number.
    sims: Vec<f64>,
    /// Marked stretches of each text: `[start, end, type, n]`, sorted and disjoint. Type 0 is
    /// stripped boilerplate (`n` indexes `rules`), 1 an aligned sentence (`n` its pair number),
    /// 2 a changed word inside aligned sentence `n`.
    marks: [Vec<[u32; 4]>; 2],
}

#[derive(Serialize)]
struct DocData<'a> {
    id: &'a str,
    title: String,
    source: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct Data<'a> {
    rules: Vec<String>,
    docs: Vec<DocData<'a>>,
    views: Vec<View>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    overview: Overview,
    chart: Chart,
    clusters: Vec<ClusterRow<'a>>,
    kinds: Vec<KindLabel>,
    page_size: usize,
    /// The views' data as JSON, safe inside a `<script>` element.
    data: String,
    coverage: Coverage,
    /// What was left out, for the page.
    left_out: Option<String>,
}

fn percent(part: usize, whole: usize) -> String {
    format!("{:.1}", 100.0 * part as f64 / whole.max(1) as f64)
}

impl<'a> Page<'a> {
    fn new(
        corpus: &'a Corpus,
        outcome: &'a Outcome,
        deduper: &Deduper,
        options: &ReportOptions,
        progress: &dyn Progress,
    ) -> Self {
        let config = deduper.config();
        let full = in_full(corpus, outcome, options);
        // Every document of a group shown in full gets a local index, a profile and its
        // sentences' places in the original text.
        let clustered: Vec<DocId> = outcome
            .clusters
            .iter()
            .zip(&full)
            .filter(|(_, &f)| f)
            .flat_map(|(c, _)| c.members.iter().copied())
            .collect();
        let local: HashMap<DocId, usize> =
            clustered.iter().enumerate().map(|(i, &d)| (d, i)).collect();
        // The texts of the articles shown in full (read back, if the corpus spilled them).
        let texts: Vec<Cow<'_, str>> = clustered.par_iter().map(|&d| corpus.text(d)).collect();
        let prepared: Vec<(Profile, Vec<Range<usize>>)> = (clustered.par_iter().zip(&texts))
            .map(|(&d, text)| {
                let stripped = &outcome.documents[d.index()].stripped;
                (
                    Profile::new(&stripped.body(text)),
                    sentence_spans(text, stripped),
                )
            })
            .collect();

        let links = Links::new(corpus.len(), &outcome.pairs);
        let mut rules = RuleNames::default();
        let mut views = Vec::new();
        let mut clusters = Vec::with_capacity(outcome.clusters.len());
        let in_full_count = full.iter().filter(|&&f| f).count();
        progress.start("report", in_full_count as u64);
        let mut listed = 0;
        for (number, (c, &full)) in outcome.clusters.iter().zip(&full).enumerate() {
            if !full {
                if listed < MAX_LISTED {
                    listed += 1;
                    clusters.push(ClusterRow::listed(corpus, outcome, &links, number, c));
                }
                continue;
            }
            progress.advance(1);
            let copies: Vec<DocId> = c
                .members
                .iter()
                .copied()
                .filter(|&m| m != c.canonical)
                .collect();
            let original = &prepared[local[&c.canonical]];
            let alignments: Vec<Alignment> = copies
                .par_iter()
                .map(|&m| align(&original.0, &prepared[local[&m]].0))
                .collect();
            let mut members = Vec::with_capacity(copies.len());
            for (&m, al) in copies.iter().zip(&alignments) {
                let Some((other, pair)) = links.link(m, c.canonical) else {
                    continue;
                };
                let v = &pair.verdict;
                let kind = KindLabel::of(v.kind);
                let via = (other != c.canonical).then(|| corpus.get(other).id.as_str());
                let sides = [
                    Side::new(&texts, &local, outcome, c.canonical, &original.1),
                    Side::new(&texts, &local, outcome, m, &prepared[local[&m]].1),
                ];
                // A copy linked through another member is shown beside the original: the view
                // gives the verdict on these two texts, compared on their own, not the link's.
                let (shown, overlap) = match via {
                    None => (Some(v.as_ref().clone()), v.measures.overlap),
                    Some(_) => {
                        let body = |d: DocId| {
                            let doc = corpus.get(d);
                            let stripped = &outcome.documents[d.index()].stripped;
                            Document::new(doc.id.as_str(), stripped.body(&texts[local[&d]]))
                        };
                        let cmp = deduper.compare(&body(c.canonical), &body(m));
                        (cmp.verdict, cmp.measures.overlap)
                    }
                };
                let shown_kind = shown.as_ref().map(|v| KindLabel::of(v.kind));
                members.push(MemberRow {
                    doc: DocRow::new(corpus, outcome, m),
                    kind,
                    score: format!("{:.2}", v.score),
                    score_value: v.score,
                    // Exact copies are the same text once stripped, whatever the alignment of
                    // their sentences finds.
                    share: if v.kind == Kind::Exact && via.is_none() {
                        "100".to_owned()
                    } else {
                        format!("{:.0}", 100.0 * al.covered_a)
                    },
                    via,
                    view: views.len(),
                });
                views.push(View {
                    a: local[&c.canonical],
                    b: local[&m],
                    kind: shown_kind.map(|k| k.name),
                    label: shown_kind.map_or("not a copy of the original on its own", |k| k.label),
                    score: shown.as_ref().map(|v| round2(v.score)),
                    link: via.map(|via| {
                        format!(
                            "in the group through {via} ({}, score {:.2})",
                            kind.label, v.score
                        )
                    }),
                    measures: view_measures(&overlap, al),
                    sims: al.pairs.iter().map(|p| round2(p.similarity)).collect(),
                    marks: marks(&sides, al, &mut rules),
                });
            }
            let top = members.iter().map(|m| m.score_value).max_by(f64::total_cmp);
            let mut row = ClusterRow::listed(corpus, outcome, &links, number, c);
            row.listed = false;
            row.top_score = top.map_or(String::new(), |s| format!("{s:.2}"));
            row.members = members;
            clusters.push(row);
        }
        progress.finish();
        let coverage = Coverage {
            groups: outcome.clusters.len(),
            in_full: in_full_count,
            articles_in_full: clustered.len(),
            listed,
        };

        let docs = (clustered.iter().zip(&texts))
            .map(|(&d, text)| {
                let doc = corpus.get(d);
                DocData {
                    id: &doc.id,
                    title: shorten(
                        title(doc, text, &outcome.documents[d.index()].stripped),
                        TITLE_CHARS,
                    ),
                    source: doc.meta_str("source").unwrap_or(""),
                    text,
                }
            })
            .collect();
        let data = Data {
            rules: rules.names,
            docs,
            views,
        };
        Page {
            overview: Overview::new(corpus, outcome),
            chart: Chart::new(outcome, config),
            clusters,
            kinds: Kind::ALL.iter().map(|&k| KindLabel::of(k)).collect(),
            page_size: PAGE_SIZE,
            data: script_json(&data),
            left_out: coverage.left_out(),
            coverage,
        }
    }
}

impl<'a> ClusterRow<'a> {
    /// The row of group `number` (from 0) without its copies: its size, kinds, best score and
    /// original.
    fn listed(
        corpus: &'a Corpus,
        outcome: &Outcome,
        links: &Links<'_>,
        number: usize,
        c: &Cluster,
    ) -> Self {
        let kinds: Vec<KindCount> = links
            .copies_by_kind(c)
            .into_iter()
            .map(|(kind, count)| KindCount {
                kind: KindLabel::of(kind),
                count,
            })
            .collect();
        let top = c
            .members
            .iter()
            .filter_map(|&m| links.link(m, c.canonical))
            .map(|(_, pair)| pair.verdict.score)
            .max_by(f64::total_cmp);
        ClusterRow {
            number: number + 1,
            size: c.members.len(),
            listed: true,
            original: DocRow::new(corpus, outcome, c.canonical),
            reason: match c.reason {
                CanonicalReason::EarliestPublished => "published first".to_owned(),
                CanonicalReason::MostComplete => {
                    "the most complete text, the one the copies share most".to_owned()
                }
            },
            kind_names: kinds
                .iter()
                .map(|k| k.kind.name)
                .collect::<Vec<_>>()
                .join(" "),
            top_score: top.map_or(String::new(), |s| format!("{s:.2}")),
            kinds,
            members: Vec::new(),
        }
    }
}

impl Overview {
    fn new(corpus: &Corpus, outcome: &Outcome) -> Overview {
        let skipped: Vec<Count> = corpus
            .skipped_by_reason()
            .into_iter()
            .map(|(reason, count)| Count {
                label: reason.replace('_', " "),
                count,
            })
            .collect();
        let clustered: usize = outcome.clusters.iter().map(|c| c.members.len()).sum();
        let copies = clustered - outcome.clusters.len();
        let unique = corpus.len() - copies;
        let buckets: [(usize, usize, &str); 6] = [
            (2, 2, "2"),
            (3, 3, "3"),
            (4, 5, "4–5"),
            (6, 10, "6–10"),
            (11, 20, "11–20"),
            (21, usize::MAX, "more than 20"),
        ];
        let sizes = buckets
            .iter()
            .map(|&(lo, hi, label)| Count {
                label: label.to_owned(),
                count: outcome
                    .clusters
                    .iter()
                    .filter(|c| (lo..=hi).contains(&c.members.len()))
                    .count(),
            })
            .filter(|c| c.count > 0)
            .collect();
        let total_bytes = corpus.text_bytes();
        Overview {
            documents: corpus.len(),
            skipped_total: skipped.iter().map(|c| c.count).sum(),
            skipped,
            pairs: outcome.pairs.len(),
            kinds: outcome
                .pairs_by_kind()
                .into_iter()
                .map(|(kind, count)| KindCount {
                    kind: KindLabel::of(kind),
                    count,
                })
                .collect(),
            clusters: outcome.clusters.len(),
            copies,
            unique,
            original_percent: percent(unique, corpus.len()),
            sizes,
            stripped_percent: percent(outcome.stats.stripped_bytes, total_bytes),
            learned_lines: outcome.stats.learned_chrome_lines,
            refused: outcome.stats.strip_refused,
        }
    }
}

/// The measures a pair view lists: the overlaps of the two texts shown and what their alignment
/// found.
fn view_measures(o: &Overlap, al: &Alignment) -> Vec<(&'static str, String)> {
    let share = |x: f64| format!("{:.0}%", 100.0 * x);
    let mut measures = vec![
        (
            "shared word sequences (Jaccard)",
            format!("{:.2}", o.jaccard),
        ),
        (
            "shorter text inside the longer",
            format!("{:.2}", o.containment),
        ),
    ];
    measures.extend([
        ("aligned sentences", al.pairs.len().to_string()),
        ("original reproduced", share(al.covered_a)),
        ("copy aligned", share(al.covered_b)),
        ("words swapped", share(al.substitution_rate)),
        ("names and numbers kept", share(al.immutables)),
    ]);
    measures
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Rule names, numbered in order of first use.
#[derive(Default)]
struct RuleNames {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl RuleNames {
    fn get(&mut self, rule: &str) -> usize {
        if let Some(&i) = self.index.get(rule) {
            return i;
        }
        self.names.push(rule.to_owned());
        self.index.insert(rule.to_owned(), self.names.len() - 1);
        self.names.len() - 1
    }
}

/// The place, in the original text, of each sentence of the document's [`Profile`] (same order).
///
/// The profile splits each kept line after normalising it; the same split of the original line
/// gives the same sentences unless normalisation moved a sentence boundary (rare: NFKC folding
/// punctuation), in which case each of that line's sentences is shown as the whole line.
fn sentence_spans(text: &str, stripped: &Stripped) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut normalized = String::new();
    for line in stripped.kept() {
        normalize_into(&text[line.clone()], &mut normalized);
        if normalized.is_empty() {
            continue;
        }
        let wanted = sentences(&normalized).count();
        let before = spans.len();
        spans.extend(
            sentences(&text[line.clone()]).map(|s| s.start + line.start..s.end + line.start),
        );
        if spans.len() - before != wanted {
            spans.truncate(before);
            spans.extend(std::iter::repeat_n(line.clone(), wanted));
        }
    }
    spans
}

/// One side of a pair view.
struct Side<'a> {
    text: &'a str,
    stripped: &'a Stripped,
    spans: &'a [Range<usize>],
}

impl<'a> Side<'a> {
    /// Document `d`'s side: its text is `texts[local[&d]]`.
    fn new(
        texts: &'a [Cow<'a, str>],
        local: &HashMap<DocId, usize>,
        outcome: &'a Outcome,
        d: DocId,
        spans: &'a [Range<usize>],
    ) -> Self {
        Side {
            text: &texts[local[&d]],
            stripped: &outcome.documents[d.index()].stripped,
            spans,
        }
    }
}

/// The marks of both texts of a pair view: boilerplate, aligned sentences, changed words.
fn marks(sides: &[Side<'_>; 2], al: &Alignment, rules: &mut RuleNames) -> [Vec<[u32; 4]>; 2] {
    let mut marks: [Vec<(Range<usize>, u32, u32)>; 2] = [Vec::new(), Vec::new()];
    for (side, out) in sides.iter().zip(marks.iter_mut()) {
        for r in side.stripped.removals() {
            out.push((r.range.clone(), 0, rules.get(&r.rule) as u32));
        }
    }
    for (k, p) in al.pairs.iter().enumerate() {
        let spans = [sides[0].spans[p.a].clone(), sides[1].spans[p.b].clone()];
        let changed = changed_words(
            &sides[0].text[spans[0].clone()],
            &sides[1].text[spans[1].clone()],
        );
        for ((span, changed), out) in spans.iter().zip(changed).zip(marks.iter_mut()) {
            let mut at = span.start;
            for c in changed {
                let c = c.start + span.start..c.end + span.start;
                if c.start > at {
                    out.push((at..c.start, 1, k as u32));
                }
                out.push((c.clone(), 2, k as u32));
                at = c.end;
            }
            if span.end > at {
                out.push((at..span.end, 1, k as u32));
            }
        }
    }
    let mut result: [Vec<[u32; 4]>; 2] = [Vec::new(), Vec::new()];
    for ((side, mut marks), out) in sides.iter().zip(marks).zip(result.iter_mut()) {
        marks.sort_by_key(|(r, _, _)| (r.start, r.end));
        let mut utf16 = Utf16Offsets::new(side.text);
        let mut covered = 0;
        for (r, kind, n) in marks {
            // Overlaps (a sentence aligned twice, a removal inside a kept line) keep the first mark.
            let start = r.start.max(covered);
            if start >= r.end {
                continue;
            }
            covered = r.end;
            out.push([utf16.at(start), utf16.at(r.end), kind, n]);
        }
    }
    result
}

/// The words that differ between two aligned sentences (compared normalised), as byte ranges of
/// each; neighbouring changed words are merged into one range.
fn changed_words(a: &str, b: &str) -> [Vec<Range<usize>>; 2] {
    let tokens = |s: &str| -> Vec<(Range<usize>, String)> {
        words(s)
            .map(|w| {
                let start = w.as_ptr() as usize - s.as_ptr() as usize;
                (start..start + w.len(), normalize(w))
            })
            .collect()
    };
    let (ta, tb) = (tokens(a), tokens(b));
    let na: Vec<&str> = ta.iter().map(|t| t.1.as_str()).collect();
    let nb: Vec<&str> = tb.iter().map(|t| t.1.as_str()).collect();
    let mut out = [Vec::new(), Vec::new()];
    for op in capture_diff_slices(Algorithm::Myers, &na, &nb) {
        let (tag, old, new) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            continue;
        }
        let [out_a, out_b] = &mut out;
        for (range, tokens, out) in [(old, &ta, out_a), (new, &tb, out_b)] {
            if !range.is_empty() {
                out.push(tokens[range.start].0.start..tokens[range.end - 1].0.end);
            }
        }
    }
    out
}

/// Converts increasing byte offsets of a text into UTF-16 offsets in one pass.
struct Utf16Offsets<'a> {
    text: &'a str,
    byte: usize,
    utf16: u32,
}

impl<'a> Utf16Offsets<'a> {
    fn new(text: &'a str) -> Self {
        Utf16Offsets {
            text,
            byte: 0,
            utf16: 0,
        }
    }

    /// The UTF-16 offset of byte offset `at` (a character boundary, at least the previous one).
    fn at(&mut self, at: usize) -> u32 {
        self.utf16 += self.text[self.byte..at].encode_utf16().count() as u32;
        self.byte = at;
        self.utf16
    }
}

/// JSON that can stand inside a `<script>` element: `<` is escaped, so no `</script>` or `<!--`
/// in an article can end the element early.
fn script_json(data: &impl Serialize) -> String {
    serde_json::to_string(data)
        .expect("report data serialises")
        .replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_words_marks_only_the_differences() {
        let a = "The minister said on Monday that taxes would rise.";
        let b = "The minister stated on Monday that taxes would go up.";
        let [ca, cb] = changed_words(a, b);
        let shown = |s: &str, r: &[Range<usize>]| {
            r.iter()
                .map(|r| s[r.clone()].to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(shown(a, &ca), ["said", "rise"]);
        assert_eq!(shown(b, &cb), ["stated", "go up"]);
    }

    #[test]
    fn utf16_offsets_count_code_units() {
        let text = "a€b😀c";
        let mut u = Utf16Offsets::new(text);
        assert_eq!(u.at(1), 1);
        assert_eq!(u.at(4), 2); // after the euro sign (3 bytes, 1 unit)
        assert_eq!(u.at(9), 5); // after the emoji (4 bytes, 2 units)
        assert_eq!(u.at(text.len()), 6);
    }

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let json =
            script_json(&serde_json::json!({"text": "</script><script>alert(1)</script><!--"}));
        assert!(!json.contains('<'));
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["text"], "</script><script>alert(1)</script><!--");
    }

    fn devsample() -> (Corpus, Outcome, Deduper) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample/docs.jsonl");
        let corpus =
            Corpus::from_inputs([crate::Input::parse(path)], &crate::ReadOptions::default())
                .unwrap();
        let deduper = Deduper::new(Config::default()).unwrap();
        let outcome = deduper.run(&corpus, &crate::NoProgress);
        (corpus, outcome, deduper)
    }

    fn make_page<'a>(
        corpus: &'a Corpus,
        outcome: &'a Outcome,
        deduper: &Deduper,
        options: &ReportOptions,
    ) -> Page<'a> {
        Page::new(corpus, outcome, deduper, options, &crate::NoProgress)
    }

    fn json(page: &Page<'_>) -> serde_json::Value {
        serde_json::from_str(&page.data).unwrap()
    }

    /// A copy that joined its group through another member is shown beside the original with
    /// the verdict on those two texts, not the verdict of its link (`d000550`, an excerpt of
    /// `d000552`, shares too few names and numbers with the original `d000548` to be its copy).
    #[test]
    fn a_copy_linked_through_another_shows_its_own_comparison_with_the_original() {
        let (corpus, outcome, deduper) = devsample();
        let page = make_page(&corpus, &outcome, &deduper, &ReportOptions::default());
        let data = json(&page);
        let mut linked = 0;
        for view in data["views"].as_array().unwrap() {
            let id = |side: &str| {
                data["docs"][view[side].as_u64().unwrap() as usize]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            };
            let (a, b) = (
                corpus.lookup(&id("a")).unwrap(),
                corpus.lookup(&id("b")).unwrap(),
            );
            let body = |d: DocId| {
                let doc = corpus.get(d);
                Document::new(
                    doc.id.as_str(),
                    outcome.documents[d.index()].stripped.body(&doc.text),
                )
            };
            let own = deduper.compare(&body(a), &body(b)).verdict;
            let direct = outcome
                .pairs
                .iter()
                .find(|p| (p.a, p.b) == (a.min(b), a.max(b)));
            if view["link"].is_null() {
                let v = &direct.expect("a view without a link shows a pair").verdict;
                assert_eq!(view["kind"], v.kind.as_str());
                assert_eq!(view["score"], round2(v.score));
                continue;
            }
            linked += 1;
            assert!(direct.is_none());
            assert_eq!(view["kind"].as_str(), own.as_ref().map(|v| v.kind.as_str()));
            assert_eq!(
                view["score"].as_f64(),
                own.as_ref().map(|v| round2(v.score))
            );
            let link = view["link"].as_str().unwrap();
            assert!(link.starts_with("in the group through "), "{link}");
        }
        assert!(linked > 0, "the sample has a copy linked through another");
    }

    #[test]
    fn exact_copies_reproduce_all_of_the_original() {
        let (corpus, outcome, deduper) = devsample();
        let page = make_page(&corpus, &outcome, &deduper, &ReportOptions::default());
        let exact: Vec<&MemberRow<'_>> = page
            .clusters
            .iter()
            .flat_map(|c| &c.members)
            .filter(|m| m.kind.name == "exact" && m.via.is_none())
            .collect();
        assert!(!exact.is_empty());
        for m in exact {
            assert_eq!(m.share, "100", "{}", m.doc.id);
        }
    }

    /// Only the groups shown in full carry their texts and views; the others are rows that say
    /// how to open them, and the page and the summary say what was left out.
    #[test]
    fn a_report_embeds_only_the_groups_shown_in_full() {
        let (corpus, outcome, deduper) = devsample();
        let options = ReportOptions {
            max_groups: 3,
            ..ReportOptions::default()
        };
        let page = make_page(&corpus, &outcome, &deduper, &options);
        let data = json(&page);
        let articles: usize = outcome.clusters[..3].iter().map(|c| c.members.len()).sum();
        assert_eq!(data["docs"].as_array().unwrap().len(), articles);
        assert_eq!(data["views"].as_array().unwrap().len(), articles - 3);
        let groups = outcome.clusters.len();
        assert_eq!(
            page.coverage,
            Coverage {
                groups,
                in_full: 3,
                articles_in_full: articles,
                listed: groups - 3,
            }
        );
        assert_eq!(page.clusters.len(), groups);
        assert!(page.clusters[3..]
            .iter()
            .all(|c| c.listed && c.members.is_empty()));
        let html = page.render().unwrap();
        assert!(html.contains(&format!("--group {groups} -o group-{groups}.html")));
        assert!(html.contains(&format!(
            "3 of {groups} groups shown in full ({articles} articles)"
        )));

        // A budget of text keeps whole groups only, largest first.
        let first: usize = outcome.clusters[0]
            .members
            .iter()
            .map(|&m| corpus.text_len(m))
            .sum();
        let options = ReportOptions {
            max_text_bytes: Some(first),
            ..ReportOptions::default()
        };
        assert_eq!(in_full_count(&corpus, &outcome, &options), 1);
        // Chosen groups, whatever their place.
        let options = ReportOptions {
            groups: vec![groups - 1],
            ..ReportOptions::default()
        };
        let full = in_full(&corpus, &outcome, &options);
        assert_eq!(full.iter().position(|&f| f), Some(groups - 1));
        assert_eq!(full.iter().filter(|&&f| f).count(), 1);
        let last = &outcome.clusters[groups - 1];
        assert_eq!(
            find_group(&corpus, &outcome, &groups.to_string()),
            Some(groups - 1)
        );
        let member = &corpus.get(last.members[0]).id;
        assert_eq!(find_group(&corpus, &outcome, member), Some(groups - 1));
        assert_eq!(find_group(&corpus, &outcome, "0"), None);
        assert_eq!(find_group(&corpus, &outcome, "no such article"), None);
    }

    fn in_full_count(corpus: &Corpus, outcome: &Outcome, options: &ReportOptions) -> usize {
        in_full(corpus, outcome, options)
            .iter()
            .filter(|&&f| f)
            .count()
    }

    /// Every row of the groups table has one cell under each heading (the word count under
    /// "Words", not "Published").
    #[test]
    fn every_row_has_a_cell_under_its_heading() {
        let (corpus, outcome, deduper) = devsample();
        let options = ReportOptions {
            max_groups: 10,
            ..ReportOptions::default()
        };
        let page = make_page(&corpus, &outcome, &deduper, &options);
        let html = page.render().unwrap();
        let table = &html[html.find(r#"<table class="clusters""#).unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        let head = &table[..table.find("</thead>").unwrap()];
        let headings: Vec<&str> = head.split("<th ").skip(1).collect();
        assert_eq!(
            head.matches("<col").count() - 1,
            headings.len(),
            "one <col> each"
        );
        let words = headings.iter().position(|h| h.contains(">Words<")).unwrap();
        for row in table.split("<tr class=").skip(1) {
            let row = &row[..row.find("</tr>").unwrap()];
            if row.starts_with("\"note\"") {
                continue;
            }
            let cells: Vec<&str> = row.split("<td").skip(1).collect();
            assert_eq!(cells.len(), headings.len(), "{row}");
            let count = cells[words];
            let value = &count[count.find('>').unwrap() + 1..count.find("</td>").unwrap()];
            assert!(
                value.parse::<usize>().is_ok(),
                "a word count under Words: {row}"
            );
        }
    }

    /// The green of matched sentences is dark enough to see against the white page: contrast
    /// ratio with white of at least 1.35 (#d8edcf, the old colour, has 1.19).
    #[test]
    fn matched_sentences_stand_out_from_the_page() {
        let template = include_str!("../../templates/report.html");
        for var in ["--aligned:", "--aligned-alt:"] {
            let at = template.find(var).unwrap() + var.len();
            let hex = template[at..].trim_start()[1..7].to_owned();
            let channel = |i: usize| {
                let c = u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64 / 255.0;
                if c <= 0.039_28 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            };
            let luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
            let contrast = 1.05 / (luminance + 0.05);
            assert!(contrast >= 1.35, "{var} #{hex}: {contrast:.2}");
        }
    }
}
