//! Load test of `reprint serve`: concurrent clients adding or checking documents over HTTP, with
//! throughput and latency percentiles.
//!
//! ```sh
//! # against a running server
//! cargo bench --bench load -- --addr http://127.0.0.1:8750 --token-file token \
//!     --input new.jsonl --mode check --clients 8 --requests 5000
//! # or self-contained: builds an index of --preload documents from --input in a temporary
//! # directory, serves it in this process on a free loopback port, then checks the rest
//! cargo bench --bench load -- --input corpus.jsonl --preload 100000 --mode check
//! ```
//!
//! Every loop is bounded by `--requests` and `--duration`; only loopback addresses are driven.

use std::io::BufRead;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::Value;

#[derive(Parser)]
struct Args {
    /// The server's base URL; without it, a server is started in this process.
    #[arg(long)]
    addr: Option<String>,
    /// The bearer token's file (with --addr).
    #[arg(long)]
    token_file: Option<std::path::PathBuf>,
    /// Documents to send, JSON Lines with "id" and "text".
    #[arg(long)]
    input: std::path::PathBuf,
    /// Without --addr: documents of --input added to the index before the load (in batches).
    #[arg(long, default_value_t = 0)]
    preload: usize,
    /// `check`, `add` (one document a request) or `mixed` (one add in ten).
    #[arg(long, default_value = "check")]
    mode: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Requests in all, at most.
    #[arg(long, default_value_t = 5000)]
    requests: usize,
    /// Seconds at most.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
    /// Accepted and ignored: cargo bench passes it.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() {
    let args = Args::parse();
    let docs: Vec<String> =
        std::io::BufReader::new(std::fs::File::open(&args.input).expect("--input opens"))
            .lines()
            .map(|l| l.expect("--input reads"))
            .filter(|l| !l.trim().is_empty())
            .collect();
    let (base, token, _server, sent) = match &args.addr {
        Some(addr) => {
            assert!(
                addr.starts_with("http://127.")
                    || addr.starts_with("http://localhost")
                    || addr.starts_with("http://[::1]"),
                "the load test drives loopback addresses only"
            );
            let token = std::fs::read_to_string(
                args.token_file.as_ref().expect("--token-file with --addr"),
            )
            .expect("the token file reads")
            .trim()
            .to_string();
            (addr.trim_end_matches('/').to_string(), token, None, docs)
        }
        None => {
            let (base, token, server) = serve_in_process(&docs[..args.preload.min(docs.len())]);
            (
                base,
                token,
                Some(server),
                docs[args.preload.min(docs.len())..].to_vec(),
            )
        }
    };
    assert!(!sent.is_empty(), "no documents left to send");
    let path = if args.mode == "check" {
        "/v1/check"
    } else {
        "/v1/documents"
    };
    let (next, statuses) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(Mutex::new(Vec::new())),
    );
    let deadline = Instant::now() + Duration::from_secs_f64(args.duration);
    let sent = Arc::new(sent);
    let started = Instant::now();
    let clients: Vec<_> = (0..args.clients)
        .map(|_| {
            let (next, statuses, sent, token) =
                (next.clone(), statuses.clone(), sent.clone(), token.clone());
            let (base, mode, requests) = (base.clone(), args.mode.clone(), args.requests);
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests || Instant::now() >= deadline {
                        break;
                    }
                    let route = if mode == "mixed" && i % 10 == 0 {
                        "/v1/documents"
                    } else {
                        path
                    };
                    let body = &sent[i % sent.len()];
                    let t = Instant::now();
                    let status = agent
                        .post(&format!("{base}{route}"))
                        .header("Authorization", &format!("Bearer {token}"))
                        .header("Content-Type", "application/json")
                        .send(body.as_str())
                        .map(|mut r| {
                            let _ = r.body_mut().read_to_string();
                            r.status().as_u16()
                        })
                        .unwrap_or(0);
                    mine.push((status, t.elapsed()));
                }
                statuses.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let results = statuses.lock().unwrap();
    let mut latencies: Vec<Duration> = results.iter().map(|&(_, d)| d).collect();
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1e3
    };
    let mut by_status = std::collections::BTreeMap::new();
    for &(s, _) in results.iter() {
        *by_status.entry(s).or_insert(0usize) += 1;
    }
    let report = serde_json::json!({
        "mode": args.mode,
        "clients": args.clients,
        "requests": results.len(),
        "seconds": (elapsed * 1000.0).round() / 1000.0,
        "per_second": (results.len() as f64 / elapsed).round(),
        "latency_ms": {"p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": pct(1.0)},
        "status": by_status.iter().map(|(s, n)| (s.to_string(), Value::from(*n))).collect::<serde_json::Map<_, _>>(),
    });
    println!("{report}");
}

/// Builds an index of `preload` documents in a temporary directory and serves it on a free
/// loopback port from a runtime on its own threads. Returns the base URL, the token, and what
/// must live as long as the server.
fn serve_in_process(
    preload: &[String],
) -> (
    String,
    String,
    (tempfile::TempDir, std::thread::JoinHandle<()>),
) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let index = reprint::Index::create(dir.path().join("idx"), reprint::Config::default(), None)
        .expect("the index is made");
    let started = Instant::now();
    for chunk in preload.chunks(5000) {
        let docs: Vec<reprint::Document> = chunk
            .iter()
            .map(|line| {
                let mut v: serde_json::Map<String, Value> =
                    serde_json::from_str(line).expect("a JSON object");
                let id = match v.remove("id") {
                    Some(Value::String(s)) => s,
                    other => other.expect("an id").to_string(),
                };
                let text = v
                    .remove("text")
                    .and_then(|t| t.as_str().map(str::to_string))
                    .expect("a text");
                let mut doc = reprint::Document::new(id, text);
                doc.meta = v;
                doc
            })
            .collect();
        index
            .add_batch(&docs, reprint::index::AddOptions::default())
            .expect("the batch is added");
    }
    eprintln!(
        "load: {} documents preloaded in {:.1} s",
        preload.len(),
        started.elapsed().as_secs_f64()
    );
    let token = "load-test-token-0123456789".to_string();
    let config = reprint::server::ServerConfig::new(token.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a port");
            tx.send(listener.local_addr().expect("an address")).unwrap();
            reprint::server::serve(listener, Arc::new(index), config, std::future::pending())
                .await
                .expect("the server runs");
        });
    });
    let addr = rx.recv().expect("the server starts");
    (format!("http://{addr}"), token, (dir, thread))
}
