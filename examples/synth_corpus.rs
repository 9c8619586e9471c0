//! Builds a syndication-heavy benchmark corpus from the BBC articles in `../shared/corpus`.
//!
//! ```text
//! cargo run --release --example synth_corpus -- ../shared/corpus/bbc-news.jsonl 20000 target/bench/syndication-20k.jsonl
//! ```
//!
//! Every BBC article is published once as an original, then reprinted by other sites: wrapped in the
//! site's chrome (header, share bar, related links, footer), sometimes lightly edited (typos, a
//! dropped sentence) or cut to an excerpt. A few stories are reprinted very widely, as wire copy is.
//! The output is deterministic for a given input and size (ChaCha8 seeded with a constant).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};

use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

#[path = "support/sites.rs"]
mod sites;
use sites::{footer, header, typo, SITES};

fn edit(body: &str, rng: &mut ChaCha8Rng) -> String {
    let mut sentences: Vec<String> = body.split_inclusive(". ").map(str::to_string).collect();
    if sentences.len() > 4 {
        let drop = rng.random_range(1..sentences.len());
        sentences.remove(drop);
    }
    sentences
        .into_iter()
        .map(|s| {
            s.split(' ')
                .map(|w| {
                    if rng.random_bool(0.02) {
                        typo(w, rng)
                    } else {
                        w.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn excerpt(body: &str, site: &str, rng: &mut ChaCha8Rng) -> String {
    let paragraphs: Vec<&str> = body.split('\n').collect();
    let keep = ((paragraphs.len() as f64) * rng.random_range(0.34..0.67)).ceil() as usize;
    format!(
        "{}\nRead the full story at {site}",
        paragraphs[..keep.max(1)].join("\n")
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, size, output] = &args[..] else {
        return Err("usage: synth_corpus BBC.jsonl N OUT.jsonl".into());
    };
    let size: usize = size.parse()?;
    let mut bases: Vec<(String, String)> = Vec::new();
    for line in BufReader::new(File::open(input)?).lines() {
        let record: Value = serde_json::from_str(&line?)?;
        let title = record["title"].as_str().unwrap_or_default().to_string();
        let text = record["text"].as_str().unwrap_or_default().to_string();
        bases.push((title, text));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_2024);
    bases.shuffle(&mut rng);
    let titles: Vec<&str> = bases.iter().map(|(t, _)| t.as_str()).collect();
    if let Some(dir) = std::path::Path::new(output).parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = BufWriter::new(File::create(output)?);
    let mut written = 0usize;
    let mut round = 0usize;
    'outer: loop {
        for (i, (title, text)) in bases.iter().enumerate() {
            // Round 0 publishes every original; later rounds reprint. One story in ten is wire copy
            // reprinted in every round; the others are reprinted in a third of the rounds.
            let wire = i % 10 == 0;
            if round > 0 && !wire && rng.random_bool(0.67) {
                continue;
            }
            let (id, body, source) = if round == 0 {
                (
                    format!("s{i:05}-orig"),
                    format!("{title}\n{text}"),
                    "BBC News".to_string(),
                )
            } else {
                let site = *SITES.choose(&mut rng).expect("sites");
                let related: Vec<&str> = titles.choose_multiple(&mut rng, 4).copied().collect();
                let story = match rng.random_range(0..10) {
                    0..=5 => format!("{title}\n{text}"),
                    6..=8 => format!("{title}\n{}", edit(text, &mut rng)),
                    _ => format!("{title}\n{}", excerpt(text, site, &mut rng)),
                };
                let mut lines = header(site, &mut rng);
                lines.push(story);
                lines.extend(footer(site, &related, &mut rng));
                (
                    format!("s{i:05}-r{round}"),
                    lines.join("\n"),
                    site.to_string(),
                )
            };
            serde_json::to_writer(&mut out, &json!({"id": id, "text": body, "source": source}))?;
            out.write_all(b"\n")?;
            written += 1;
            if written == size {
                break 'outer;
            }
        }
        round += 1;
    }
    out.flush()?;
    eprintln!("wrote {written} documents to {output}");
    Ok(())
}
