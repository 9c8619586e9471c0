//! Times the library's `Index::check`, one document at a time, against an existing index.
//!
//! ```text
//! cargo run --release --example index_latency -- IDX NEW.jsonl
//! ```
//!
//! Prints the median, 90th and 99th percentile and the slowest check, the matches found, and the
//! process's peak resident memory (VmHWM).

use std::time::Instant;

use reprint::{Corpus, Index, Input, ReadOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, index, docs] = args.as_slice() else {
        return Err("usage: index_latency IDX NEW.jsonl".into());
    };
    let index = Index::open(index)?;
    let corpus = Corpus::from_inputs([Input::parse(docs)], &ReadOptions::default())?;
    let mut times = Vec::with_capacity(corpus.len());
    let mut matched = 0;
    for doc in corpus.documents() {
        let started = Instant::now();
        let matches = index.check(doc)?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        matched += usize::from(!matches.is_empty());
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_string()
    };
    // Resident memory: peak, and now split into the process's own (anonymous) and the index
    // file's pages mapped in (the kernel's page cache, shared, evictable).
    let peak = format!(
        "{} (now: anonymous {} kB, file {} kB)",
        field("VmHWM"),
        field("RssAnon"),
        field("RssFile")
    );
    println!(
        "{} checks against {} documents: median {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms; {matched} with matches; peak RSS {peak} kB",
        times.len(),
        index.stats()?.documents,
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
    );
    Ok(())
}
