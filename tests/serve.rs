//! `reprint serve`: a real server process on loopback, over a real index, driven over HTTP.

mod common;
use common::reprint;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const TOKEN: &str = "test-token-0123456789abcdef";

/// A `reprint serve` child process, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts a server on a free loopback port and waits until it listens.
    fn start(index: &Path, dir: &Path) -> Server {
        let token_file = dir.join("token");
        std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_reprint"))
            .args(["serve", index.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .arg("--token-file")
            .arg(&token_file)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("reprint serve starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the server says where it listens")
                .unwrap();
            if let Some(addr) = line.strip_prefix("reprint serve: listening on ") {
                break addr.to_string();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Status and JSON body (or `Null`) of a request.
fn call(method: &str, url: &str, token: Option<&str>, body: Option<&str>) -> (u16, Value) {
    let agent = agent();
    let auth = token.map(|t| format!("Bearer {t}"));
    let response = match (method, body) {
        ("GET", _) | ("DELETE", _) => {
            let req = if method == "GET" {
                agent.get(url)
            } else {
                agent.delete(url)
            };
            match &auth {
                Some(a) => req.header("Authorization", a).call(),
                None => req.call(),
            }
        }
        (_, body) => {
            let req = agent.post(url).header("Content-Type", "application/json");
            let req = match &auth {
                Some(a) => req.header("Authorization", a),
                None => req,
            };
            req.send(body.unwrap_or(""))
        }
    };
    let mut response = response.expect("the server answers");
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The status of a POST sent over a plain socket: the server may answer (413) before the body is
/// all sent and close the connection, which an HTTP client reports as a broken pipe instead.
fn raw_post_status(server: &Server, path: &str, body: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let addr = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut writer = stream.try_clone().unwrap();
    let body = body.to_vec();
    let sender = std::thread::spawn(move || {
        // The server may stop reading once it has answered: errors here are expected.
        let _ = writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(&body));
    });
    let mut answer = [0u8; 12];
    stream.read_exact(&mut answer).unwrap();
    drop(stream);
    let _ = sender.join();
    std::str::from_utf8(&answer[9..12])
        .unwrap()
        .parse()
        .unwrap()
}

fn new_index(dir: &Path) -> PathBuf {
    let index = dir.join("idx");
    let out = reprint(&["index", "create", index.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    index
}

const STORY: &str = "The central bank raised its main interest rate by a quarter point on Thursday, \
citing persistent inflation in services and a tight labour market. Officials said further increases \
were possible if wage growth did not slow, and markets moved to price in another rise by the autumn. \
The decision was unanimous, the bank said in a statement, and the governor will explain it to \
lawmakers next week.";

#[test]
fn requests_without_the_token_or_too_large_or_malformed_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&new_index(dir.path()), dir.path());
    let doc = json!({"id": "a", "text": STORY}).to_string();

    assert_eq!(call("GET", &server.url("/healthz"), None, None).0, 200);
    for path in ["/v1/stats", "/metrics", "/v1/documents/a"] {
        assert_eq!(call("GET", &server.url(path), None, None).0, 401, "{path}");
        assert_eq!(
            call(
                "GET",
                &server.url(path),
                Some("wrong-token-0123456789"),
                None
            )
            .0,
            401
        );
    }
    assert_eq!(
        call("POST", &server.url("/v1/check"), None, Some(&doc)).0,
        401
    );
    assert_eq!(
        call("POST", &server.url("/v1/documents"), None, Some(&doc)).0,
        401
    );
    assert_eq!(
        call("DELETE", &server.url("/v1/documents/a"), None, None).0,
        401
    );

    let huge = json!({"id": "big", "text": "word ".repeat(4 << 20)}).to_string();
    assert!(huge.len() > 20 << 20);
    assert_eq!(
        raw_post_status(&server, "/v1/documents", huge.as_bytes()),
        413
    );

    // A bad request is a 400 whose error names what is wrong.
    let refused = |route: &str, request: &str, names: &str| {
        let (status, body) = call("POST", &server.url(route), Some(TOKEN), Some(request));
        assert_eq!(status, 400, "{body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains(names), "{body}");
    };
    refused("/v1/check", "{\"id\": ", "malformed JSON");
    refused("/v1/documents", "{\"id\": \"x\"}", "\"text\"");
    let batch = json!([{"id": "ok", "text": STORY}, {"text": "no id"}]).to_string();
    refused("/v1/documents", &batch, "document 1: missing field \"id\"");
    // Nothing of a refused batch was stored.
    assert_eq!(
        call("GET", &server.url("/v1/documents/ok"), Some(TOKEN), None).0,
        404
    );
    assert_eq!(
        call("GET", &server.url("/v1/nothing"), Some(TOKEN), None).0,
        404
    );
}

#[test]
fn a_copy_is_matched_stored_clustered_and_removed_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&new_index(dir.path()), dir.path());
    let add = |body: Value| {
        call(
            "POST",
            &server.url("/v1/documents"),
            Some(TOKEN),
            Some(&body.to_string()),
        )
    };

    let (status, body) = add(json!({"id": "wire", "text": STORY, "source": "wire.example"}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"id": "wire", "status": "added", "matches": []})
    );

    let copy = format!("{STORY}\nShare this article");
    let (status, body) = call(
        "POST",
        &server.url("/v1/check"),
        Some(TOKEN),
        Some(&json!({"id": "outlet", "text": copy}).to_string()),
    );
    assert_eq!(status, 200);
    assert_eq!(body["matches"][0]["id"], "wire", "{body}");
    assert_eq!(body["matches"][0]["kind"], "exact");
    // A check stores nothing.
    assert_eq!(
        call(
            "GET",
            &server.url("/v1/documents/outlet"),
            Some(TOKEN),
            None
        )
        .0,
        404
    );

    let (status, body) = add(
        json!([{"id": "outlet", "text": copy}, {"id": "other", "text": "Heavy rain \
        flooded several streets in the old town overnight, and the fire service pumped out dozens \
        of cellars while residents watched."}]),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["matches"][0]["id"], "wire");
    assert_eq!(body[1]["matches"], json!([]));

    let (status, body) = call(
        "GET",
        &server.url("/v1/documents/outlet"),
        Some(TOKEN),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(body["meta"]["source"], Value::Null);
    let members = body["cluster"]["members"]
        .as_array()
        .expect("a cluster")
        .len();
    assert_eq!(members, 2, "{body}");

    let (status, stats) = call("GET", &server.url("/v1/stats"), Some(TOKEN), None);
    assert_eq!((status, stats["documents"].as_u64()), (200, Some(3)));
    let (_, metrics) = call("GET", &server.url("/metrics"), Some(TOKEN), None);
    assert_eq!(metrics, Value::Null); // Prometheus text, not JSON
    let agent = agent();
    let text = agent
        .get(&server.url("/metrics"))
        .header("Authorization", &format!("Bearer {TOKEN}"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        text.contains(
            "reprint_requests_total{method=\"POST\",route=\"/v1/documents\",status=\"200\"} 2"
        ),
        "{text}"
    );
    assert!(text.contains("reprint_index_documents 3"), "{text}");

    assert_eq!(
        call(
            "DELETE",
            &server.url("/v1/documents/outlet"),
            Some(TOKEN),
            None
        )
        .0,
        200
    );
    assert_eq!(
        call(
            "DELETE",
            &server.url("/v1/documents/outlet"),
            Some(TOKEN),
            None
        )
        .0,
        404
    );
    let (_, stats) = call("GET", &server.url("/v1/stats"), Some(TOKEN), None);
    assert_eq!(stats["documents"].as_u64(), Some(2));
}

/// The corpus for the load tests: the whole dev corpus where `../shared` is beside the checkout,
/// else the committed sample of it.
fn load_corpus() -> (Vec<Value>, std::collections::HashMap<String, String>) {
    match (
        common::shared("corpus/devset/docs.jsonl"),
        common::shared("corpus/devset/truth.jsonl"),
    ) {
        (Some(docs), Some(truth)) => (common::records(&docs), common::truth(&truth)),
        _ => (
            common::records(&common::fixture("devsample/docs.jsonl")),
            common::truth(&common::fixture("devsample/truth.jsonl")),
        ),
    }
}

/// Four clients add documents one a request, round robin, until `stop` says so. Returns the ids
/// whose add was acknowledged with a 2xx.
fn four_clients(
    server: &Server,
    docs: &Arc<Vec<Value>>,
    stop: impl Fn(usize) -> bool + Send + Sync + 'static,
) -> (Vec<String>, usize) {
    let acked = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(stop);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (docs, acked, failed, next, stop) = (
                docs.clone(),
                acked.clone(),
                failed.clone(),
                next.clone(),
                stop.clone(),
            );
            let url = server.url("/v1/documents");
            std::thread::spawn(move || {
                let agent = agent();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= docs.len() || stop(acked.lock().unwrap().len()) {
                        return;
                    }
                    let sent = agent
                        .post(&url)
                        .header("Authorization", &format!("Bearer {TOKEN}"))
                        .send(docs[i].to_string());
                    match sent {
                        Ok(r) if r.status().is_success() => acked
                            .lock()
                            .unwrap()
                            .push(docs[i]["id"].as_str().unwrap().to_string()),
                        _ => {
                            failed.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    (acked, failed.load(Ordering::SeqCst))
}

#[test]
fn four_concurrent_clients_add_the_dev_corpus_and_every_add_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let index = new_index(dir.path());
    let (docs, truth) = load_corpus();
    let docs = Arc::new(docs);
    let server = Server::start(&index, dir.path());
    let (acked, failed) = four_clients(&server, &docs, |_| false);
    assert_eq!(
        (acked.len(), failed),
        (docs.len(), 0),
        "every request answered 2xx"
    );
    let (_, stats) = call("GET", &server.url("/v1/stats"), Some(TOKEN), None);
    assert_eq!(stats["documents"].as_u64(), Some(docs.len() as u64));
    drop(server);

    let pairs = dir.path().join("pairs.jsonl");
    let out = reprint(&[
        "index",
        "export",
        index.to_str().unwrap(),
        "--pairs",
        pairs.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scored = common::score(
        &truth,
        &common::pair_ids(&std::fs::read_to_string(&pairs).unwrap()),
    );
    assert!(
        common::f1(scored) >= 0.99,
        "F1 {:.4} (P {:.4} R {:.4})",
        common::f1(scored),
        scored.0,
        scored.1
    );
}

#[test]
fn kill_9_during_adds_loses_no_acknowledged_document() {
    let dir = tempfile::tempdir().unwrap();
    let index = new_index(dir.path());
    let (docs, _) = load_corpus();
    let docs = Arc::new(docs);
    let mut server = Server::start(&index, dir.path());
    let target = docs.len() / 3;
    // The clients run while the server is killed mid-load: some requests fail, none may be lost
    // once acknowledged.
    let killer = {
        let pid = server.child.id();
        let url = server.url("/v1/stats");
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while Instant::now() < deadline {
                let (_, stats) = call("GET", &url, Some(TOKEN), None);
                if stats["documents"].as_u64().unwrap_or(0) as usize >= target {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status()
                .unwrap();
        })
    };
    let (acked, failed) = four_clients(&server, &docs, |_| false);
    killer.join().unwrap();
    let _ = server.child.wait();
    assert!(
        !acked.is_empty() && failed > 0,
        "the kill came mid-load ({} acked, {failed} failed)",
        acked.len()
    );

    let server = Server::start(&index, dir.path());
    for id in &acked {
        let (status, _) = call(
            "GET",
            &server.url(&format!("/v1/documents/{id}")),
            Some(TOKEN),
            None,
        );
        assert_eq!(status, 200, "acknowledged document {id} lost");
    }
    let (_, stats) = call("GET", &server.url("/v1/stats"), Some(TOKEN), None);
    assert!(stats["documents"].as_u64().unwrap() as usize >= acked.len());
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&new_index(dir.path()), dir.path());
    let batch: Vec<Value> = (0..200)
        .map(|i| json!({"id": format!("d{i}"), "text": format!("{STORY} Item {i} of the batch.")}))
        .collect();
    let body = Value::Array(batch).to_string();
    let url = server.url("/v1/documents");
    let request = std::thread::spawn(move || call("POST", &url, Some(TOKEN), Some(&body)).0);
    std::thread::sleep(Duration::from_millis(50));
    Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    let status = server.child.wait().unwrap();
    assert!(status.success(), "exit {status:?}");
    assert_eq!(
        request.join().unwrap(),
        200,
        "the request in flight was answered"
    );
}

#[test]
fn two_servers_and_the_cli_share_one_index() {
    let dir = tempfile::tempdir().unwrap();
    let index = new_index(dir.path());
    let (first, second) = (
        Server::start(&index, dir.path()),
        Server::start(&index, dir.path()),
    );
    let body = json!({"id": "wire", "text": STORY}).to_string();
    assert_eq!(
        call(
            "POST",
            &first.url("/v1/documents"),
            Some(TOKEN),
            Some(&body)
        )
        .0,
        200
    );
    // What one server committed, the other serves, and `reprint index check` sees.
    let (status, found) = call("GET", &second.url("/v1/documents/wire"), Some(TOKEN), None);
    assert_eq!(status, 200, "{found}");
    let copy = json!({"id": "outlet", "text": format!("{STORY}\nShare this article")}).to_string();
    let (_, checked) = call("POST", &second.url("/v1/check"), Some(TOKEN), Some(&copy));
    assert_eq!(checked["matches"][0]["id"], "wire", "{checked}");
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(&feed, format!("{copy}\n")).unwrap();
    let out = reprint(&[
        "index",
        "check",
        index.to_str().unwrap(),
        feed.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["matches"][0]["id"], "wire", "{line}");
}
