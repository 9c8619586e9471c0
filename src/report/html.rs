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

use std::collections::HashMap;
use std::io::{self, Write};
use std::ops::Range;

use askama::Template;
use rayon::prelude::*;
use serde::Serialize;
use similar::{capture_diff_slices, Algorithm, DiffTag};

use super::{title, Links};
use crate::align::{align, sentences, Alignment, Profile};
use crate::boilerplate::Stripped;
use crate::cluster::CanonicalReason;
use crate::config::Config;
use crate::corpus::{Corpus, DocId};
use crate::dedupe::Outcome;
use crate::normalize::{normalize, normalize_into};
use crate::shingle::words;
use crate::verify::{Kind, Overlap};

/// Clusters shown per page of the clusters table.
const PAGE_SIZE: usize = 500;

/// Bins of the score chart, over `[0, 1]`.
const CHART_BINS: usize = 20;

/// Writes the HTML report of a run.
pub fn write_report(
    out: &mut dyn Write,
    corpus: &Corpus,
    outcome: &Outcome,
    config: &Config,
) -> io::Result<()> {
    Page::new(corpus, outcome, config).write_into(out)
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
            title: title(doc, &outcome.documents[d.index()].stripped)
                .chars()
                .take(120)
                .collect(),
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
    kind: &'static str,
    label: &'static str,
    score: f64,
    via: Option<String>,
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
}

fn percent(part: usize, whole: usize) -> String {
    format!("{:.1}", 100.0 * part as f64 / whole.max(1) as f64)
}

impl<'a> Page<'a> {
    fn new(corpus: &'a Corpus, outcome: &'a Outcome, config: &Config) -> Self {
        // Every clustered document gets a local index, a profile and its sentences' places in the
        // original text.
        let clustered: Vec<DocId> = outcome
            .clusters
            .iter()
            .flat_map(|c| c.members.iter().copied())
            .collect();
        let local: HashMap<DocId, usize> =
            clustered.iter().enumerate().map(|(i, &d)| (d, i)).collect();
        let prepared: Vec<(Profile, Vec<Range<usize>>)> = clustered
            .par_iter()
            .map(|&d| {
                let doc = corpus.get(d);
                let stripped = &outcome.documents[d.index()].stripped;
                (
                    Profile::new(&stripped.body(&doc.text)),
                    sentence_spans(&doc.text, stripped),
                )
            })
            .collect();

        let links = Links::new(corpus.len(), &outcome.pairs);
        let mut rules = RuleNames::default();
        let mut views = Vec::new();
        let mut clusters = Vec::with_capacity(outcome.clusters.len());
        for (number, c) in outcome.clusters.iter().enumerate() {
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
                    Side::new(corpus, outcome, c.canonical, &original.1),
                    Side::new(corpus, outcome, m, &prepared[local[&m]].1),
                ];
                members.push(MemberRow {
                    doc: DocRow::new(corpus, outcome, m),
                    kind,
                    score: format!("{:.2}", v.score),
                    score_value: v.score,
                    share: format!("{:.0}", 100.0 * al.covered_a),
                    via,
                    view: views.len(),
                });
                views.push(View {
                    a: local[&c.canonical],
                    b: local[&m],
                    kind: kind.name,
                    label: kind.label,
                    score: round2(v.score),
                    via: via.map(str::to_owned),
                    // The pair's overlaps are between the copy and the original only when the
                    // pair links those two; the alignment always is.
                    measures: view_measures(via.is_none().then_some(&v.measures.overlap), al),
                    sims: al.pairs.iter().map(|p| round2(p.similarity)).collect(),
                    marks: marks(&sides, al, &mut rules),
                });
            }
            let mut kinds: Vec<KindCount> = Vec::new();
            for &kind in &Kind::ALL {
                let count = members
                    .iter()
                    .filter(|m| m.kind.name == kind.as_str())
                    .count();
                if count > 0 {
                    kinds.push(KindCount {
                        kind: KindLabel::of(kind),
                        count,
                    });
                }
            }
            let top = members
                .iter()
                .map(|m| m.score_value)
                .max_by(f64::total_cmp)
                .map_or(String::new(), |s| format!("{s:.2}"));
            clusters.push(ClusterRow {
                number: number + 1,
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
                top_score: top,
                kinds,
                members,
            });
        }

        let docs = clustered
            .iter()
            .map(|&d| {
                let doc = corpus.get(d);
                DocData {
                    id: &doc.id,
                    title: title(doc, &outcome.documents[d.index()].stripped).to_owned(),
                    source: doc.meta_str("source").unwrap_or(""),
                    text: &doc.text,
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
        let total_bytes: usize = corpus.documents().iter().map(|d| d.text.len()).sum();
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

/// The measures a pair view lists: the pair's overlaps (when the pair is the copy's with the
/// original) and what the alignment of copy and original found.
fn view_measures(overlap: Option<&Overlap>, al: &Alignment) -> Vec<(&'static str, String)> {
    let share = |x: f64| format!("{:.0}%", 100.0 * x);
    let mut measures = Vec::new();
    if let Some(o) = overlap {
        measures.push((
            "shared word sequences (Jaccard)",
            format!("{:.2}", o.jaccard),
        ));
        measures.push((
            "shorter text inside the longer",
            format!("{:.2}", o.containment),
        ));
    }
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
    fn new(corpus: &'a Corpus, outcome: &'a Outcome, d: DocId, spans: &'a [Range<usize>]) -> Self {
        Side {
            text: &corpus.get(d).text,
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
}
