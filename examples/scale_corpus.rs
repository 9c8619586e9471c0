//! Builds a corpus of mostly *distinct* articles, for measuring an index at scale (the synth corpus
//! is heavily duplicated, which a stream of news is not).
//!
//! ```text
//! cargo run --release --example scale_corpus -- ../shared/corpus/bbc-news.jsonl 100000 /tmp/scale-100k.jsonl [SEED]
//! ```
//!
//! Originals are drawn from a word-level Markov chain (first order, over the BBC articles' words,
//! punctuation attached): a title of 6–11 words, then 250–900 words in paragraphs of 30–90. One
//! document in five is a reprint of an earlier original: wrapped in a site's chrome, trimmed of its
//! last paragraphs, lightly edited, or cut to an excerpt. Each record has `id`, `source`,
//! `published` (one minute apart, in order) and `text`. The output is deterministic for a given
//! input, size and seed (ChaCha8).

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

const SITES: [&str; 12] = [
    "Daily Planet",
    "Metro Wire",
    "The Courier",
    "Evening Post",
    "World Digest",
    "Capital Report",
    "Harbor Herald",
    "City Chronicle",
    "Morning Dispatch",
    "The Sentinel",
    "Summit Daily",
    "National Tribune",
];

/// Originals a reprint may copy: the most recent ones.
const RECENT: usize = 5000;

/// A first-order word chain: for each word, the words that follow it in the source texts.
struct Chain {
    words: Vec<String>,
    next: Vec<Vec<u32>>,
    starts: Vec<u32>,
}

impl Chain {
    fn new(texts: &[String]) -> Chain {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut words = Vec::new();
        let mut next: Vec<Vec<u32>> = Vec::new();
        let mut starts = Vec::new();
        let mut id = |w: &str, words: &mut Vec<String>, next: &mut Vec<Vec<u32>>| {
            *ids.entry(w.to_string()).or_insert_with(|| {
                words.push(w.to_string());
                next.push(Vec::new());
                words.len() as u32 - 1
            })
        };
        for text in texts {
            let mut prev: Option<u32> = None;
            for w in text.split_whitespace() {
                let w_id = id(w, &mut words, &mut next);
                match prev {
                    Some(p) => next[p as usize].push(w_id),
                    None => starts.push(w_id),
                }
                if w.ends_with('.') {
                    // The word after a sentence's end starts a sentence.
                    prev = None;
                    next[w_id as usize].push(u32::MAX);
                } else {
                    prev = Some(w_id);
                }
            }
        }
        Chain {
            words,
            next,
            starts,
        }
    }

    /// About `n` words, ending at a sentence's end where the chain allows.
    fn words(&self, n: usize, rng: &mut ChaCha8Rng) -> Vec<&str> {
        let mut out = Vec::with_capacity(n + 20);
        let mut at = self.starts[rng.random_range(0..self.starts.len())];
        while out.len() < n + 40 {
            out.push(self.words[at as usize].as_str());
            let follow = &self.next[at as usize];
            let pick = if follow.is_empty() {
                u32::MAX
            } else {
                follow[rng.random_range(0..follow.len())]
            };
            if pick == u32::MAX {
                if out.len() >= n {
                    break;
                }
                at = self.starts[rng.random_range(0..self.starts.len())];
            } else {
                at = pick;
            }
        }
        out
    }
}

fn original(chain: &Chain, rng: &mut ChaCha8Rng) -> String {
    let title_words = rng.random_range(6..12);
    let mut title = chain.words(title_words, rng);
    title.truncate(title_words);
    let mut text = title.join(" ").trim_end_matches('.').to_string();
    let total = rng.random_range(250..=900);
    let mut written = 0;
    while written < total {
        let para = chain.words(rng.random_range(30..90).min(total - written + 10), rng);
        written += para.len();
        text.push('\n');
        text.push_str(&para.join(" "));
    }
    text
}

/// A reprint of `text` by `site`: chrome around it, and one of: nothing else, a trim, light edits,
/// an excerpt.
fn reprint(text: &str, site: &str, rng: &mut ChaCha8Rng) -> String {
    let mut paras: Vec<String> = text.lines().map(str::to_string).collect();
    match rng.random_range(0..4) {
        1 if paras.len() > 4 => {
            let keep = paras.len() * rng.random_range(60..90) / 100;
            paras.truncate(keep.max(3));
        }
        2 => {
            for p in paras.iter_mut().skip(1) {
                let mut words: Vec<&str> = p.split_whitespace().collect();
                if words.len() > 10 && rng.random_bool(0.5) {
                    let at = rng.random_range(0..words.len());
                    words.remove(at);
                }
                *p = words.join(" ");
            }
        }
        3 if paras.len() > 3 => {
            let n = rng.random_range(1..=2);
            paras.truncate(1 + n);
        }
        _ => {}
    }
    let mut out = format!("{site} | News\n");
    out.push_str(&paras.join("\n"));
    out.push_str(&format!(
        "\nShare this article\nCopyright {site}. All rights reserved."
    ));
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, count, output, rest @ ..] = args.as_slice() else {
        return Err("usage: scale_corpus BBC.jsonl COUNT OUT.jsonl [SEED]".into());
    };
    let count: usize = count.parse()?;
    let seed: u64 = rest.first().map_or(Ok(0x5ca1e), |s| s.parse())?;
    let texts: Vec<String> = BufReader::new(File::open(input)?)
        .lines()
        .map(|line| -> Result<String, Box<dyn std::error::Error>> {
            let v: Value = serde_json::from_str(&line?)?;
            Ok(v["text"].as_str().unwrap_or_default().to_string())
        })
        .collect::<Result<_, _>>()?;
    let chain = Chain::new(&texts);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = BufWriter::new(File::create(output)?);
    // The recent originals a reprint may copy, as news is reprinted within days.
    let mut recent: VecDeque<String> = VecDeque::with_capacity(RECENT + 1);
    for n in 0..count {
        let site = SITES[rng.random_range(0..SITES.len())];
        let text = if !recent.is_empty() && rng.random_bool(0.2) {
            let of = rng.random_range(0..recent.len());
            reprint(&recent[of], site, &mut rng)
        } else {
            let text = original(&chain, &mut rng);
            recent.push_back(text.clone());
            if recent.len() > RECENT {
                recent.pop_front();
            }
            text
        };
        let minutes = n as u64;
        let published = format!(
            "2025-{:02}-{:02}T{:02}:{:02}:00Z",
            1 + (minutes / (60 * 24 * 28)) % 12,
            1 + (minutes / (60 * 24)) % 28,
            (minutes / 60) % 24,
            minutes % 60
        );
        let record = json!({
            "id": format!("s{n:07}"),
            "source": site,
            "published": published,
            "text": text,
        });
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    eprintln!("wrote {count} documents to {output}");
    Ok(())
}
