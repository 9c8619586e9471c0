//! What several integration test binaries share: fixtures, truth files and the pairwise scorer.
#![allow(dead_code)] // each test binary uses its own part

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Runs the `reprint` binary in `dir` and waits for it.
pub fn reprint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reprint"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("reprint runs")
}

/// Runs the `reprint` binary in the project's directory and waits for it.
pub fn reprint(args: &[&str]) -> Output {
    reprint_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// A finished process's stdout, as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A finished process's stderr, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// Each line of a text as JSON.
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// A file under `fixtures/`.
pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

/// The shared data directory (`../shared`), if this checkout has one beside it.
pub fn shared(path: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(path);
    p.exists().then_some(p)
}

/// A truth file's `id → group`.
pub fn truth(path: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_string(),
                v["group"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Pairwise precision and recall of predicted pairs (closed transitively) against truth groups, as
/// `../shared/tools/score.py` computes them, plus the number of false pairs.
pub fn score(truth: &HashMap<String, String>, pairs: &[(String, String)]) -> (f64, f64, usize) {
    let ids: Vec<&String> = truth.keys().collect();
    let index: HashMap<&String, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut parent: Vec<usize> = (0..ids.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for (a, b) in pairs {
        let (ra, rb) = (find(&mut parent, index[a]), find(&mut parent, index[b]));
        parent[ra] = rb;
    }
    let pairs_of = |n: usize| n * (n - 1) / 2;
    let mut predicted: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..ids.len() {
        predicted.entry(find(&mut parent, i)).or_default().push(i);
    }
    let mut true_groups: HashMap<&String, usize> = HashMap::new();
    for g in truth.values() {
        *true_groups.entry(g).or_default() += 1;
    }
    let positives: usize = true_groups.values().map(|&n| pairs_of(n)).sum();
    let (mut predicted_pairs, mut true_pairs) = (0, 0);
    for members in predicted.values() {
        predicted_pairs += pairs_of(members.len());
        let mut by_group: HashMap<&String, usize> = HashMap::new();
        for &m in members {
            *by_group.entry(&truth[ids[m]]).or_default() += 1;
        }
        true_pairs += by_group.values().map(|&n| pairs_of(n)).sum::<usize>();
    }
    (
        true_pairs as f64 / predicted_pairs.max(1) as f64,
        true_pairs as f64 / positives.max(1) as f64,
        predicted_pairs - true_pairs,
    )
}

/// F1 of a precision and a recall.
pub fn f1((precision, recall, _): (f64, f64, usize)) -> f64 {
    2.0 * precision * recall / (precision + recall).max(f64::MIN_POSITIVE)
}

/// The `(a, b)` ids of a pairs file's lines.
pub fn pair_ids(jsonl: &str) -> Vec<(String, String)> {
    jsonl
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["a"].as_str().unwrap().to_string(),
                v["b"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A JSONL file's records, as JSON values.
pub fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
