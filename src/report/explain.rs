//! Explaining one comparison to a person (`reprint compare`) or to a tool (`--json`).

use std::io::{self, Write};

use serde::Serialize;

use crate::corpus::Document;
use crate::dedupe::Comparison;
use crate::verify::{Kind, Measures};

/// One aligned sentence pair, as text.
#[derive(Debug, Serialize)]
pub struct AlignedSentences<'a> {
    /// The sentence of the first article (normalised).
    pub a: &'a str,
    /// The sentence of the second article (normalised).
    pub b: &'a str,
    /// Dice similarity of their content words.
    pub similarity: f64,
}

/// One stretch of boilerplate removed, as text.
#[derive(Debug, Serialize)]
pub struct StrippedText<'a> {
    /// The rule that removed it.
    pub rule: &'a str,
    /// The text removed.
    pub text: &'a str,
}

/// A comparison, ready to serialise.
#[derive(Debug, Serialize)]
pub struct ComparisonRecord<'a> {
    /// The first article's id (its file name).
    pub a: &'a str,
    /// The second article's id.
    pub b: &'a str,
    /// Whether they are copies.
    pub copies: bool,
    /// The articles (of `a`, `b`) with no article text once stripped: nobody's copy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub without_text: Vec<&'a str>,
    /// The kind of copy, if they are.
    pub kind: Option<Kind>,
    /// The verdict's score, if they are.
    pub score: Option<f64>,
    /// Every measure.
    pub measures: &'a Measures,
    /// The aligned sentences, in the first article's order.
    pub aligned: Vec<AlignedSentences<'a>>,
    /// Boilerplate stripped from the first article.
    pub stripped_a: Vec<StrippedText<'a>>,
    /// Boilerplate stripped from the second article.
    pub stripped_b: Vec<StrippedText<'a>>,
}

impl<'a> ComparisonRecord<'a> {
    /// The record of a comparison of `a` and `b`.
    pub fn new(a: &'a Document, b: &'a Document, cmp: &'a Comparison) -> Self {
        let stripped = |doc: &'a Document, i: usize| {
            cmp.stripped[i]
                .removals()
                .iter()
                .map(|r| StrippedText {
                    rule: &r.rule,
                    text: &doc.text[r.range.clone()],
                })
                .collect()
        };
        let aligned = cmp
            .measures
            .alignment
            .iter()
            .flat_map(|al| &al.pairs)
            .map(|p| AlignedSentences {
                a: cmp.profiles[0].sentence_text(p.a),
                b: cmp.profiles[1].sentence_text(p.b),
                similarity: p.similarity,
            })
            .collect();
        ComparisonRecord {
            a: &a.id,
            b: &b.id,
            copies: cmp.verdict.is_some(),
            without_text: [&a.id, &b.id]
                .into_iter()
                .zip(cmp.words)
                .filter(|&(_, words)| words == 0)
                .map(|(id, _)| id.as_str())
                .collect(),
            kind: cmp.verdict.as_ref().map(|v| v.kind),
            score: cmp.verdict.as_ref().map(|v| v.score),
            measures: &cmp.measures,
            aligned,
            stripped_a: stripped(a, 0),
            stripped_b: stripped(b, 1),
        }
    }
}

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// Writes a comparison for a person to read.
pub fn write_comparison(
    out: &mut dyn Write,
    a: &Document,
    b: &Document,
    cmp: &Comparison,
) -> io::Result<()> {
    let record = ComparisonRecord::new(a, b, cmp);
    let m = &cmp.measures;
    match &cmp.verdict {
        Some(v) => writeln!(
            out,
            "{} and {} are copies: {} (score {:.2})",
            a.id,
            b.id,
            v.kind.as_str(),
            v.score
        )?,
        None if cmp.lacks_text() => writeln!(
            out,
            "{} and {} are not copies: no article text in {} (nothing is left once boilerplate is stripped)",
            a.id,
            b.id,
            record.without_text.join(" or ")
        )?,
        None => writeln!(out, "{} and {} are not copies", a.id, b.id)?,
    }
    writeln!(
        out,
        "  shared wording:    {} of word 3-grams (Jaccard), {} of the shorter text",
        percent(m.overlap.jaccard),
        percent(m.overlap.containment)
    )?;
    writeln!(
        out,
        "  shared vocabulary: {} of content words (Jaccard), {} of the shorter text",
        percent(m.content.jaccard),
        percent(m.content.containment)
    )?;
    if let Some(al) = &m.alignment {
        writeln!(
            out,
            "  aligned sentences: {} covering {} of {} and {} of {}, {} in the same order",
            al.pairs.len(),
            percent(al.covered_a),
            a.id,
            percent(al.covered_b),
            b.id,
            percent(al.in_order)
        )?;
        writeln!(
            out,
            "  rewording:         {} of words swapped for others (in {} of sentences), {} changed in all; \
             numbers and names agree {}",
            percent(al.substitution_rate),
            percent(al.swapped_sentences),
            percent(al.edit_rate),
            percent(al.immutables)
        )?;
    }
    if !record.aligned.is_empty() {
        writeln!(out, "\naligned sentences (similarity):")?;
        for s in &record.aligned {
            writeln!(out, "  ({:.2}) {}", s.similarity, s.a)?;
            writeln!(out, "         {}", s.b)?;
        }
    }
    for (id, stripped) in [(&a.id, &record.stripped_a), (&b.id, &record.stripped_b)] {
        if stripped.is_empty() {
            continue;
        }
        writeln!(out, "\nboilerplate stripped from {id}:")?;
        for s in stripped.iter() {
            let one_line = s.text.replace('\n', " / ");
            let shown: String = one_line.chars().take(100).collect();
            let more = if shown.len() < one_line.len() {
                "…"
            } else {
                ""
            };
            writeln!(out, "  [{}] {shown}{more}", s.rule)?;
        }
    }
    Ok(())
}
