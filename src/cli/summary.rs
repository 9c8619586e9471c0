//! The summary `dedupe` prints on stderr: what was read, what was found, where the time went.
//!
//! Every count comes from one place: pairs by kind from the pairs, a group's copies from the links
//! the clusters file and the report use too (`report::write_top_clusters`), and the time is the sum
//! of the stages listed beside it. Lines fit in [`WIDTH`] columns, wrapped between words.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use reprint::report::write_top_clusters;
use reprint::{Corpus, Kind, Outcome};

/// Columns the summary fits in: a terminal's default width.
pub const WIDTH: usize = 80;

/// Clusters listed in the summary.
const TOP_CLUSTERS: usize = 5;

/// Documents named where the summary lists some.
const NAMED: usize = 3;

/// The label column: `  pairs:    ` and its like.
const LABEL: usize = 12;

/// What the summary reports beyond the corpus and the outcome.
pub struct Extras {
    /// Time spent reading the inputs, before the pipeline ran.
    pub reading: Duration,
    /// Time spent writing the outputs, after it.
    pub writing: Duration,
    /// What the report left out, as a sentence, when a report was written and it left out groups.
    pub report_note: Option<String>,
    /// The process's peak resident memory in bytes, where the system tells it.
    pub peak_memory: Option<u64>,
}

/// `n` and the noun, singular for one: "1 document", "2 documents".
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// A space the summary never breaks a line at: between a count and what it counts.
const GLUE: char = '\u{a0}';

/// `name` and `n` glued together: "spun 740", never broken across lines.
fn named(name: &str, n: usize) -> String {
    format!("{name}{GLUE}{n}")
}

/// One field of the summary: `label` in the label column, `text` wrapped between words into
/// [`WIDTH`] columns, continuation lines indented to the text's column.
pub fn field(out: &mut dyn Write, label: &str, text: &str) -> io::Result<()> {
    let label = if label == "reprint:" {
        "reprint: ".to_owned()
    } else {
        format!("  {label:<width$}", width = LABEL - 2)
    };
    wrap(out, &label, text)
}

/// `text` after `first`, wrapped between words (not at [`GLUE`]) into [`WIDTH`] columns,
/// continuation lines indented [`LABEL`] columns.
fn wrap(out: &mut dyn Write, first: &str, text: &str) -> io::Result<()> {
    let mut line = first.to_owned();
    let mut empty = true;
    let mut end = |line: &str| writeln!(out, "{}", line.replace(GLUE, " "));
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let len = line.chars().count();
        if !empty && len + 1 + word.chars().count() > WIDTH {
            end(&line)?;
            line = " ".repeat(LABEL);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    end(&line)
}

/// Writes the summary of a run.
pub fn write_summary(
    out: &mut dyn Write,
    corpus: &Corpus,
    outcome: &Outcome,
    extras: &Extras,
) -> io::Result<()> {
    let skipped = corpus.skipped_by_reason();
    let skipped_total: usize = skipped.iter().map(|(_, n)| n).sum();
    let mut head = format!(
        "{}, {} skipped",
        count(corpus.len(), "document", "documents"),
        skipped_total
    );
    if !skipped.is_empty() {
        let parts: Vec<String> = skipped.iter().map(|(r, n)| format!("{r} {n}")).collect();
        head.push_str(&format!(" ({})", parts.join(", ")));
    }
    field(out, "reprint:", &head)?;
    let without_text = outcome.without_text();
    if !without_text.is_empty() {
        let named: Vec<&str> = without_text
            .iter()
            .take(NAMED)
            .map(|&d| corpus.get(d).id.as_str())
            .collect();
        let more = if without_text.len() > NAMED {
            ", …"
        } else {
            ""
        };
        field(
            out,
            "no text:",
            &format!(
                "{} with no article text once stripped, in no pair ({}{more})",
                count(without_text.len(), "document", "documents"),
                named.join(", ")
            ),
        )?;
    }

    let kinds: Vec<String> = outcome
        .pairs_by_kind()
        .iter()
        .filter(|&&(_, n)| n > 0)
        .map(|&(k, n)| named(k.as_str(), n))
        .collect();
    let pairs = count(outcome.pairs.len(), "pair", "pairs");
    if kinds.is_empty() {
        field(out, "pairs:", &pairs)?;
    } else {
        field(out, "pairs:", &format!("{pairs} ({})", kinds.join(", ")))?;
    }
    field(out, "compared:", &compared(outcome))?;

    let stats = &outcome.stats;
    let total_bytes = corpus.text_bytes();
    field(
        out,
        "chrome:",
        &format!(
            "{:.1}% of the text stripped as boilerplate; {} learned as chrome; {} kept whole \
             where stripping would have taken too much",
            100.0 * stats.stripped_bytes as f64 / total_bytes.max(1) as f64,
            count(
                stats.learned_chrome_lines,
                "recurring line",
                "recurring lines"
            ),
            count(stats.strip_refused, "document", "documents"),
        ),
    )?;
    let in_clusters: usize = outcome.clusters.iter().map(|c| c.members.len()).sum();
    let mut clusters = format!(
        "{} of copies, {} kept as unique",
        count(outcome.clusters.len(), "group", "groups"),
        count(
            corpus.len() - in_clusters + outcome.clusters.len(),
            "document",
            "documents"
        ),
    );
    if let Some(largest) = outcome.clusters.first() {
        clusters.push_str(&format!(" (largest {})", largest.members.len()));
    }
    field(out, "clusters:", &clusters)?;
    write_top_clusters(out, corpus, outcome, TOP_CLUSTERS, WIDTH)?;
    if let Some(note) = &extras.report_note {
        field(out, "report:", note)?;
    }

    let stages: Vec<(&str, Duration)> = std::iter::once(("reading", extras.reading))
        .chain(stats.stages.iter().copied())
        .chain(std::iter::once(("writing", extras.writing)))
        .collect();
    let total: Duration = stages.iter().map(|(_, d)| *d).sum();
    let listed: Vec<String> = stages
        .iter()
        .map(|(name, d)| format!("{name}{GLUE}{:.2}s", d.as_secs_f64()))
        .collect();
    field(
        out,
        "time:",
        &format!("{:.2}s ({})", total.as_secs_f64(), listed.join(", ")),
    )?;
    match extras.peak_memory {
        Some(bytes) => field(
            out,
            "memory:",
            &format!("peak {:.2} GB", bytes as f64 / 1e9),
        ),
        None => Ok(()),
    }
}

/// How the pairs were found: candidates compared, how many were copies, and how many pairs follow
/// from exact copies (found by hash, never candidates: a copy of one member of an exact-copy group
/// is a copy of every member).
fn compared(outcome: &Outcome) -> String {
    // Each verified candidate has its own verdict; the pairs an exact-copy group implies share it.
    let mut verdicts: Vec<usize> = outcome
        .pairs
        .iter()
        .filter(|p| p.verdict.kind != Kind::Exact)
        .map(|p| Arc::as_ptr(&p.verdict) as usize)
        .collect();
    verdicts.sort_unstable();
    verdicts.dedup();
    let verified = verdicts.len();
    let stats = &outcome.stats;
    let [shingles, content, anchors, headlines] = stats.candidates_by_channel;
    let mut text = format!(
        "{} (shingles{GLUE}{shingles}, content words{GLUE}{content}, anchors{GLUE}{anchors}, \
         headlines{GLUE}{headlines}), {} copies",
        count(stats.candidates, "candidate pair", "candidate pairs"),
        verified
    );
    let implied = outcome.pairs.len() - verified;
    if implied > 0 {
        text.push_str(&format!(
            "; {} from exact copies",
            count(implied, "pair follows", "pairs follow")
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use reprint::cluster::{CanonicalReason, Cluster};
    use reprint::verify::Verdict;
    use reprint::{Config, Deduper, DocId, Document, Input, NoProgress, Pair, ReadOptions};

    fn summary(corpus: &Corpus, outcome: &Outcome) -> String {
        let extras = Extras {
            reading: Duration::from_millis(250),
            writing: Duration::from_millis(1000),
            report_note: None,
            peak_memory: Some(1_234_000_000),
        };
        let mut out = Vec::new();
        write_summary(&mut out, corpus, outcome, &extras).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn devsample() -> (Corpus, Outcome) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample/docs.jsonl");
        let corpus = Corpus::from_inputs([Input::parse(path)], &ReadOptions::default()).unwrap();
        let outcome = Deduper::new(Config::default())
            .unwrap()
            .run(&corpus, &NoProgress);
        (corpus, outcome)
    }

    #[test]
    fn the_summary_fits_eighty_columns_and_breaks_only_between_words() {
        let (corpus, outcome) = devsample();
        let text = summary(&corpus, &outcome);
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "{line:?}");
        }
        // Lines were broken between words only: a long field's text, put back on one line, reads
        // as written.
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let [shingles, content, anchors, headlines] = outcome.stats.candidates_by_channel;
        let channels = format!(
            "(shingles {shingles}, content words {content}, anchors {anchors}, headlines \
             {headlines})"
        );
        assert!(flat.contains(&channels), "{flat}");
        assert!(
            flat.contains("kept whole where stripping would have taken too much"),
            "{flat}"
        );
        assert!(
            text.lines().count() > 8,
            "long fields were wrapped:\n{text}"
        );
    }

    #[test]
    fn counts_are_singular_for_one() {
        let text = "The council approved the budget for the new school on Tuesday evening after \
                    a long debate about the cost of the building and the teachers it will need.";
        let corpus = Corpus::from_documents([Document::new("a", text)]);
        let outcome = Deduper::new(Config::default())
            .unwrap()
            .run(&corpus, &NoProgress);
        let out = summary(&corpus, &outcome);
        assert!(out.starts_with("reprint: 1 document, 0 skipped\n"), "{out}");
        assert!(out.contains("  pairs:    0 pairs\n"), "{out}");
        assert!(
            out.contains("0 groups of copies, 1 document kept as unique"),
            "{out}"
        );

        let corpus = Corpus::from_documents([Document::new("a", text), Document::new("b", text)]);
        let outcome = Deduper::new(Config::default())
            .unwrap()
            .run(&corpus, &NoProgress);
        let out = summary(&corpus, &outcome);
        assert!(out.contains("  pairs:    1 pair (exact 1)\n"), "{out}");
        // The exact pair was found by hash, not among the candidates.
        assert!(
            out.contains("0 candidate pairs (")
                && out.contains("0 copies; 1 pair follows from exact copies"),
            "{out}"
        );
        assert!(
            out.contains("1 group of copies, 1 document kept as unique (largest 2)"),
            "{out}"
        );
    }

    #[test]
    fn documents_with_no_article_text_are_counted_and_named() {
        let text = "The council approved the budget for the new school on Tuesday evening after \
                    a long debate about the cost of the building and the teachers it will need.";
        let corpus = Corpus::from_documents([
            Document::new("story", text),
            Document::new("chrome-1", "* * *"),
            Document::new("chrome-2", "— —"),
        ]);
        let outcome = Deduper::new(Config::default())
            .unwrap()
            .run(&corpus, &NoProgress);
        let out = summary(&corpus, &outcome);
        let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(
                "no text: 2 documents with no article text once stripped, in no pair \
                 (chrome-1, chrome-2)"
            ),
            "{out}"
        );
    }

    #[test]
    fn the_time_is_the_sum_of_the_stages_writing_included() {
        let (corpus, mut outcome) = devsample();
        outcome.stats.stages = vec![
            ("boilerplate", Duration::from_millis(500)),
            ("verification", Duration::from_millis(1060)),
        ];
        let out = summary(&corpus, &outcome);
        let time = &out[out.find("  time:").unwrap()..];
        assert_eq!(
            time.split_whitespace().collect::<Vec<_>>().join(" "),
            "time: 2.81s (reading 0.25s, boilerplate 0.50s, verification 1.06s, writing 1.00s) \
             memory: peak 1.23 GB"
        );
    }

    /// A group's copies are its members, each counted once under the kind of its link, also when
    /// it is linked to the original only through another copy.
    #[test]
    fn top_clusters_count_every_member_not_only_direct_pairs() {
        let (corpus, mut outcome) = devsample();
        let verdict = |kind| {
            let mut v = Verdict::exact();
            v.kind = kind;
            v.score = if kind == Kind::Spun { 0.7 } else { 0.9 };
            Arc::new(v)
        };
        let (d0, d1, d2, d3) = (DocId(0), DocId(1), DocId(2), DocId(3));
        let pair = |a, b, kind| Pair {
            a,
            b,
            verdict: verdict(kind),
        };
        outcome.pairs = vec![
            pair(d0, d1, Kind::Exact),
            pair(d1, d2, Kind::NearDuplicate),
            pair(d2, d3, Kind::Spun),
        ];
        outcome.clusters = vec![Cluster {
            canonical: d0,
            reason: CanonicalReason::MostComplete,
            members: vec![d0, d1, d2, d3],
        }];
        let out = summary(&corpus, &outcome);
        assert!(
            out.contains(&format!(
                "  largest:  4 articles, original {} \"",
                corpus.get(d0).id
            )),
            "{out}"
        );
        assert!(
            out.contains("              copies: 1 exact, 1 near_duplicate, 1 spun\n"),
            "{out}"
        );
    }
}
