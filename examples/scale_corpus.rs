//! Builds a corpus like a real archive, at any size: mostly distinct articles of news length, a
//! fifth of them reprints.
//!
//! ```text
//! cargo run --release --example scale_corpus -- ../shared/corpus/bbc-news.jsonl 100000 /tmp/scale-100k.jsonl
//! cargo run --release --example scale_corpus -- ../shared/corpus/bbc-news.jsonl 1000000 /tmp/scale-1m.jsonl \
//!     ../shared/corpus/helsinki-summit-articles.csv
//! ```
//!
//! Every original is new text: a title and 250–900 words of paragraphs drawn from a word-level
//! Markov chain of order 2 over the BBC articles (and the Helsinki CSV's texts, if given), so the
//! corpus never repeats a few thousand stories however large it grows, while its common words and
//! phrases recur as a real archive's do. One article in five is a reprint of a recent original by
//! another site: wrapped in that site's chrome (header, share bar, related links, footer), often
//! trimmed (the last paragraphs dropped), often lightly edited (typos, a sentence dropped, a
//! number changed). Each record has `id`, `title`, `source`, `published` and `text`; an original's
//! id is `a<n>`, a reprint's `a<n>-r<k>` (its original's id, then a count), so the truth is in the
//! ids.
//!
//! The output is deterministic for a given input and size (ChaCha8 seeded with a constant), and
//! written as it is made: memory holds the chain and the last 4,096 originals, whatever the size.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap;
use serde::Serialize;

#[path = "support/sites.rs"]
mod sites;
use sites::{footer, header, typo, SITES};

/// Publishers of originals: 12 × 12 names.
const FIRST: [&str; 12] = [
    "North", "Central", "Western", "Metro", "Capital", "River", "Atlantic", "Pacific", "Union",
    "Liberty", "Pioneer", "Crown",
];
const SECOND: [&str; 12] = [
    "Wire", "Press", "Herald", "Times", "Tribune", "Post", "Gazette", "Star", "Journal", "Report",
    "Ledger", "Record",
];

/// Recent originals that reprints are drawn from.
const RECENT: usize = 4096;
/// Share of the articles that are reprints.
const REPRINT_SHARE: f64 = 0.2;

/// A word-level Markov chain of order 2: for each pair of words, the words that followed it (with
/// repeats, so drawing one at random follows the source's frequencies). Sentences start from the
/// context `(START, START)`.
struct Chain {
    words: Vec<String>,
    next: FxHashMap<(u32, u32), (u32, u32)>,
    followers: Vec<u32>,
}

const START: u32 = 0;

impl Chain {
    fn new(texts: impl Iterator<Item = String>) -> Chain {
        let mut ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut words = vec![String::new()];
        let mut pairs: FxHashMap<(u32, u32), Vec<u32>> = FxHashMap::default();
        for text in texts {
            let (mut a, mut b) = (START, START);
            for word in text.split_whitespace() {
                let id = *ids.entry(word.to_string()).or_insert_with(|| {
                    words.push(word.to_string());
                    words.len() as u32 - 1
                });
                pairs.entry((a, b)).or_default().push(id);
                (a, b) = (b, id);
                if ends_sentence(word) {
                    (a, b) = (START, START);
                }
            }
        }
        // Flattened, in a fixed order: the map's iteration order must not decide the output.
        let mut keys: Vec<(u32, u32)> = pairs.keys().copied().collect();
        keys.sort_unstable();
        let mut next = FxHashMap::default();
        let mut followers = Vec::new();
        for key in keys {
            let list = &pairs[&key];
            next.insert(key, (followers.len() as u32, list.len() as u32));
            followers.extend_from_slice(list);
        }
        Chain {
            words,
            next,
            followers,
        }
    }

    /// One sentence, appended to `out` (words separated by spaces); at most `max` words.
    fn sentence(&self, rng: &mut ChaCha8Rng, max: usize, out: &mut String) -> usize {
        let (mut a, mut b) = (START, START);
        let mut n = 0;
        while n < max {
            let Some(&(start, len)) = self.next.get(&(a, b)) else {
                break;
            };
            let word = self.followers[(start + rng.random_range(0..len)) as usize];
            if n > 0 {
                out.push(' ');
            }
            let text = &self.words[word as usize];
            out.push_str(text);
            n += 1;
            if ends_sentence(text) {
                break;
            }
            (a, b) = (b, word);
        }
        n
    }
}

fn ends_sentence(word: &str) -> bool {
    matches!(word.as_bytes().last(), Some(b'.' | b'!' | b'?'))
        || word.ends_with(".\"")
        || word.ends_with(".'")
}

/// An original article: title, paragraphs, publisher and date.
struct Article {
    id: String,
    title: String,
    paragraphs: Vec<String>,
    published: u64,
    reprints: u32,
}

fn title(chain: &Chain, rng: &mut ChaCha8Rng) -> String {
    let mut title = String::new();
    // A sentence's opening words, without its final stop.
    for _ in 0..4 {
        title.clear();
        let words = rng.random_range(5..11);
        chain.sentence(rng, words, &mut title);
        if title.split(' ').count() >= 4 {
            break;
        }
    }
    title.trim_end_matches(['.', ',', ';', ':']).to_string()
}

fn article(chain: &Chain, n: u64, published: u64, rng: &mut ChaCha8Rng) -> Article {
    let target = rng.random_range(250..=900);
    let mut paragraphs = Vec::new();
    let mut words = 0;
    while words < target {
        let mut paragraph = String::new();
        let sentences = rng.random_range(1..=4);
        for s in 0..sentences {
            if words >= target {
                break;
            }
            if s > 0 {
                paragraph.push(' ');
            }
            words += chain.sentence(rng, 60, &mut paragraph);
        }
        paragraphs.push(paragraph);
    }
    Article {
        id: format!("a{n:07}"),
        title: title(chain, rng),
        paragraphs,
        published,
        reprints: 0,
    }
}

/// A light edit of one paragraph: a typo in some words, a number changed now and then.
fn edit(paragraph: &str, typos: f64, rng: &mut ChaCha8Rng) -> String {
    let words: Vec<String> = paragraph
        .split(' ')
        .map(|w| {
            if w.bytes().any(|b| b.is_ascii_digit()) && rng.random_bool(0.2) {
                w.replace(
                    |c: char| c.is_ascii_digit(),
                    &rng.random_range(1..10).to_string(),
                )
            } else if rng.random_bool(typos) {
                typo(w, rng)
            } else {
                w.to_string()
            }
        })
        .collect();
    words.join(" ")
}

/// A reprint of `original` by a site: chrome around the story, often trimmed, often edited.
fn reprint(original: &Article, related: &[&str], rng: &mut ChaCha8Rng) -> (String, &'static str) {
    let site = *SITES.choose(rng).expect("sites");
    let mut paragraphs: Vec<String> = original.paragraphs.clone();
    if paragraphs.len() > 3 && rng.random_bool(0.4) {
        // Trimmed: the last paragraphs dropped, at least half kept.
        let keep = (paragraphs.len() as f64 * rng.random_range(0.5..0.95)).ceil() as usize;
        paragraphs.truncate(keep.max(2));
    }
    if rng.random_bool(0.4) {
        // Lightly edited: typos, a number changed, one sentence dropped.
        let typos = rng.random_range(0.002..0.02);
        paragraphs = paragraphs.iter().map(|p| edit(p, typos, rng)).collect();
        let i = rng.random_range(0..paragraphs.len());
        if let Some(cut) = paragraphs[i].find(". ") {
            paragraphs[i] = paragraphs[i][cut + 2..].to_string();
        }
    }
    let mut lines = header(site, rng);
    lines.push(original.title.clone());
    lines.extend(paragraphs);
    lines.extend(footer(site, related, rng));
    (lines.join("\n"), site)
}

#[derive(Serialize)]
struct Record<'a> {
    id: &'a str,
    title: &'a str,
    source: &'a str,
    published: String,
    text: &'a str,
}

/// `minutes` after 2020-01-01T00:00:00Z, as an RFC 3339 timestamp.
fn timestamp(minutes: u64) -> String {
    let days = minutes / 1440;
    let (y, m, d) = civil_from_days(days as i64 + 18262); // 2020-01-01 is day 18262 of 1970.
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:00Z",
        minutes / 60 % 24,
        minutes % 60
    )
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The article texts of the BBC JSONL (`text` field) or the Helsinki CSV (`text` column, its
/// paragraphs separated by `###`).
fn source_texts(path: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    if path.ends_with(".csv") {
        let mut reader = csv::Reader::from_path(path)?;
        let column = reader
            .headers()?
            .iter()
            .position(|h| h == "text")
            .ok_or("no text column")?;
        let mut texts = Vec::new();
        for record in reader.records() {
            if let Some(text) = record?.get(column) {
                texts.push(text.replace("###", "\n"));
            }
        }
        return Ok(texts);
    }
    let mut texts = Vec::new();
    for line in BufReader::new(File::open(path)?).lines() {
        let record: serde_json::Value = serde_json::from_str(&line?)?;
        if let Some(text) = record["text"].as_str() {
            texts.push(text.to_string());
        }
    }
    Ok(texts)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (input, size, output, extra) = match &args[1..] {
        [input, size, output] => (input, size, output, None),
        [input, size, output, extra] => (input, size, output, Some(extra)),
        _ => return Err("usage: scale_corpus BBC.jsonl N OUT.jsonl [HELSINKI.csv]".into()),
    };
    let size: u64 = size.parse()?;
    let mut texts = source_texts(input)?;
    if let Some(extra) = extra {
        texts.extend(source_texts(extra)?);
    }
    let chain = Chain::new(texts.into_iter());
    let publishers: Vec<String> = FIRST
        .iter()
        .flat_map(|a| SECOND.iter().map(move |b| format!("{a} {b}")))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0x5ca1_e2026);
    if let Some(dir) = std::path::Path::new(output).parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = BufWriter::with_capacity(1 << 20, File::create(output)?);
    let mut recent: VecDeque<Article> = VecDeque::with_capacity(RECENT);
    let (mut originals, mut reprints) = (0u64, 0u64);
    // Publication times: an article every two minutes or so.
    let mut clock = 0u64;
    for _ in 0..size {
        clock += rng.random_range(0..4);
        if !recent.is_empty() && rng.random_bool(REPRINT_SHARE) {
            let i = rng.random_range(0..recent.len());
            let related: Vec<&str> = (0..4)
                .map(|_| recent[rng.random_range(0..recent.len())].title.as_str())
                .collect();
            let (text, site) = reprint(&recent[i], &related, &mut rng);
            let original = &recent[i];
            let id = format!("{}-r{}", original.id, original.reprints + 1);
            let published = timestamp(original.published + rng.random_range(10..2880));
            let record = Record {
                id: &id,
                title: &original.title,
                source: site,
                published,
                text: &text,
            };
            serde_json::to_writer(&mut out, &record)?;
            recent[i].reprints += 1;
            reprints += 1;
        } else {
            let article = article(&chain, originals, clock, &mut rng);
            let mut text = article.title.clone();
            for p in &article.paragraphs {
                text.push('\n');
                text.push_str(p);
            }
            let record = Record {
                id: &article.id,
                title: &article.title,
                source: publishers.choose(&mut rng).expect("publishers"),
                published: timestamp(article.published),
                text: &text,
            };
            serde_json::to_writer(&mut out, &record)?;
            if recent.len() == RECENT {
                recent.pop_front();
            }
            recent.push_back(article);
            originals += 1;
        }
        out.write_all(b"\n")?;
    }
    out.flush()?;
    eprintln!("wrote {originals} originals and {reprints} reprints to {output}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_count_minutes_from_2020() {
        assert_eq!(timestamp(0), "2020-01-01T00:00:00Z");
        assert_eq!(timestamp(59 * 1440 + 61), "2020-02-29T01:01:00Z");
        assert_eq!(timestamp(366 * 1440), "2021-01-01T00:00:00Z");
    }

    #[test]
    fn the_chain_follows_only_observed_word_pairs() {
        let chain = Chain::new(["a b c. a b d. x y z.".to_string()].into_iter());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..50 {
            let mut s = String::new();
            chain.sentence(&mut rng, 60, &mut s);
            assert!(["a b c.", "a b d.", "x y z."].contains(&s.as_str()), "{s}");
        }
    }
}
