//! Measures labelled pairs of a JSONL corpus as verification sees them, for choosing thresholds:
//!
//!     cargo run --example pair_features -- /tmp/helsinki.jsonl LABELS.jsonl > features.jsonl
//!
//! Each output line is a label (`a`, `b`, `label`) with the pair's measures after the corpus's
//! stripping (rules and learned chrome) and the verdict.
use std::io::BufRead;

use reprint::{Config, Corpus, Deduper, Document, NoProgress};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let mut docs = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(&args[1])?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let mut d = Document::new(
            v["id"].as_str().unwrap_or(""),
            v["text"].as_str().unwrap_or(""),
        );
        if let Some(s) = v.get("source") {
            d.meta.insert("source".into(), s.clone());
        }
        docs.push(d);
    }
    let corpus = Corpus::from_documents(docs);
    let deduper = Deduper::new(Config::default())?;
    let (stripped, _) = deduper.strip_corpus(&corpus, &NoProgress);
    for line in std::io::BufReader::new(std::fs::File::open(&args[2])?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let (Some(a), Some(b)) = (
            corpus.lookup(v["a"].as_str().unwrap_or("")),
            corpus.lookup(v["b"].as_str().unwrap_or("")),
        ) else {
            continue;
        };
        let body = |d: reprint::DocId| stripped[d.index()].body(&corpus.get(d).text);
        let (da, db) = (Document::new("a", body(a)), Document::new("b", body(b)));
        let c = deduper.compare(&da, &db);
        let al = c.measures.alignment.as_ref();
        let out = serde_json::json!({
            "a": v["a"], "b": v["b"], "label": v["label"],
            "words": [c.profiles[0].sentence_count(), c.profiles[1].sentence_count()],
            "measures": c.measures,
            "kind": c.verdict.as_ref().map(|v| v.kind.as_str()),
            "n_pairs": al.map(|al| al.pairs.len()),
            "pair_words": al.map(|al| al.pairs.iter().map(|p| c.profiles[0].sentence_text(p.a).split(' ').count()).collect::<Vec<_>>()),
            "sentence_words": c.profiles.iter().map(|p| (0..p.sentence_count()).map(|i| p.sentence_text(i).split(' ').count()).sum::<usize>()).collect::<Vec<_>>(),
        });
        println!("{out}");
    }
    Ok(())
}
