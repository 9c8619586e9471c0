//! Integration tests: the `reprint` binary and the public API, on the bundled fixtures.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use reprint::{Config, Corpus, Deduper, Document, Kind, NoProgress};
use serde_json::Value;

mod common;
use common::{fixture, json_lines, reprint, score, stderr, stdout};

fn reprint_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reprint"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("reprint starts");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn dev_truth() -> HashMap<String, String> {
    common::truth(&fixture("devsample/truth.jsonl"))
}

#[test]
fn five_different_stories_on_one_topic_make_no_pair() {
    let out = reprint(&["dedupe", "fixtures/seeds"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "the five seeds are different stories");
    assert!(
        stderr(&out).contains("5 documents, 0 skipped"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn seeds_with_garbled_spun_and_rewrapped_copies_make_exactly_those_pairs() {
    let out = reprint(&[
        "dedupe",
        "fixtures/seeds",
        "fixtures/seed-copies",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut pairs: Vec<(String, String, String)> = json_lines(&stdout(&out))
        .iter()
        .map(|p| {
            (
                p["a"].as_str().unwrap().to_string(),
                p["b"].as_str().unwrap().to_string(),
                p["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    pairs.sort();
    // A file's id is its path as given.
    let want = [
        (
            "fixtures/seeds/001_e58e3b0ddc063ad7.txt",
            "fixtures/seed-copies/garbled-of-001.txt",
            "spun",
        ),
        (
            "fixtures/seeds/002_39a7efb761f925a0.txt",
            "fixtures/seed-copies/rewrapped-of-002.txt",
            "",
        ),
        (
            "fixtures/seeds/004_1a566caebe071b52.txt",
            "fixtures/seed-copies/spun-of-004.txt",
            "spun",
        ),
    ];
    assert_eq!(pairs.len(), 3, "{pairs:?}");
    for ((a, b, kind), (wa, wb, wkind)) in pairs.iter().zip(want) {
        assert_eq!((a.as_str(), b.as_str()), (wa, wb));
        if wkind.is_empty() {
            assert!(
                kind == "exact" || kind == "near_duplicate",
                "re-wrapped copy is {kind}"
            );
        } else {
            assert_eq!(kind, wkind);
        }
    }
}

#[test]
fn labelled_sample_is_found_with_no_false_pair() {
    let dir = tempdir();
    let pairs_path = dir.path().join("pairs.jsonl");
    let out = reprint(&[
        "dedupe",
        "fixtures/devsample/docs.jsonl",
        "--pairs",
        pairs_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let pairs: Vec<(String, String)> = json_lines(&std::fs::read_to_string(&pairs_path).unwrap())
        .iter()
        .map(|p| {
            (
                p["a"].as_str().unwrap().into(),
                p["b"].as_str().unwrap().into(),
            )
        })
        .collect();
    let (precision, recall, false_pairs) = score(&dev_truth(), &pairs);
    assert_eq!(false_pairs, 0);
    assert!(
        precision == 1.0 && recall > 0.97,
        "precision {precision}, recall {recall}"
    );
}

#[test]
fn bad_jsonl_lines_are_skipped_and_named_by_file_and_line() {
    let dir = tempdir();
    let input = dir.path().join("feed.jsonl");
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"{\"id\":\"a\",\"text\":\"The council approved the new budget for schools and roads on Monday evening.\"}\n");
    bytes.extend_from_slice(b"{\"id\":\"b\",\"text\":\"truncated\n");
    bytes.extend_from_slice(b"{\"id\":\"c\",\"text\":\"caf\xe9 au lait\"}\n");
    bytes.extend_from_slice(b"{\"id\":\"d\",\"text\":\"   \"}\n");
    bytes.extend_from_slice(b"{\"id\":\"a\",\"text\":\"again\"}\n");
    bytes.extend_from_slice(b"{\"text\":\"no id\"}\n");
    bytes.extend_from_slice(b"{\"id\":\"e\",\"text\":\"The council approved the new budget for schools and roads on Monday evening.\"}\n");
    std::fs::write(&input, bytes).unwrap();
    let path = input.to_str().unwrap();

    let out = reprint(&["dedupe", path]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    for want in [
        format!("{path}:2: malformed JSON"),
        format!("{path}:3: not valid UTF-8 at byte 21; 1 byte read as Windows-1252"),
        format!("{path}:4: empty document"),
        format!("{path}:5: duplicate id \"a\" (first seen at {path}:1)"),
        format!("{path}:6: no `id` field"),
    ] {
        assert!(err.contains(&want), "missing {want:?} in\n{err}");
    }
    assert!(err.contains("3 documents, 4 skipped"), "{err}");
    // What was readable still runs: a and e are exact copies.
    let pairs = json_lines(&stdout(&out));
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0]["kind"], "exact");

    let strict = reprint(&["dedupe", path, "--strict"]);
    assert_eq!(strict.status.code(), Some(2));
    assert!(
        stderr(&strict).contains(&format!("{path}:2: malformed JSON")),
        "{}",
        stderr(&strict)
    );
    assert_eq!(stdout(&strict), "");
}

#[test]
fn directory_files_in_another_encoding_are_read_and_empty_ones_skipped_with_their_name() {
    let dir = tempdir();
    std::fs::write(dir.path().join("good.txt"), "An article about the harbour.").unwrap();
    std::fs::write(dir.path().join("bad.txt"), b"caf\xe9").unwrap();
    std::fs::write(dir.path().join("empty.md"), "\n\n").unwrap();
    std::fs::write(dir.path().join("ignored.csv"), "not an article").unwrap();
    let out = reprint(&["dedupe", dir.path().to_str().unwrap()]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("bad.txt: not valid UTF-8 at byte 3; 1 byte read as Windows-1252"),
        "{err}"
    );
    assert!(err.contains("empty.md: empty document"), "{err}");
    assert!(
        err.contains("2 documents, 1 skipped (empty_text 1)"),
        "{err}"
    );
}

#[test]
fn missing_input_and_unknown_kinds_are_errors_with_exit_status_2() {
    let out = reprint(&["dedupe", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: no/such/dir: "),
        "{}",
        stderr(&out)
    );
    let out = reprint(&["dedupe", "Cargo.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("Cargo.toml: not a directory"),
        "{}",
        stderr(&out)
    );
    let usage = reprint(&["dedupe"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn jsonl_on_stdin_with_other_field_names() {
    let input = b"{\"uid\":1,\"body\":\"Rain flooded the old town overnight and firefighters pumped out cellars.\",\"source\":\"x\"}\n\
                  {\"uid\":2,\"body\":\"Rain flooded the old town overnight and firefighters pumped out cellars.\",\"source\":\"y\"}\n";
    let out = reprint_with_stdin(
        &[
            "dedupe",
            "-",
            "--id-field",
            "uid",
            "--text-field",
            "body",
            "-q",
        ],
        input,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let pairs = json_lines(&stdout(&out));
    assert_eq!(
        (pairs[0]["a"].as_str(), pairs[0]["b"].as_str()),
        (Some("1"), Some("2"))
    );
}

#[test]
fn outputs_are_written_whole_and_keep_the_metadata() {
    let dir = tempdir();
    let input = dir.path().join("in.jsonl");
    let story = "The central bank raised its main interest rate by a quarter point on Thursday, citing persistent inflation in services.";
    let lines = [
        serde_json::json!({"id": "wire", "text": story, "published": "2024-03-01T09:00:00Z", "source": "Wire"}),
        serde_json::json!({"id": "copy", "text": format!("{story}\nShare this article"), "published": "2024-03-01T11:00:00Z", "source": "Daily"}),
        serde_json::json!({"id": "other", "text": "The city opened a new library branch with a reading garden.", "source": "Daily"}),
    ];
    std::fs::write(
        &input,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let (pairs, clusters, keep) = (
        dir.path().join("p.jsonl"),
        dir.path().join("c.json"),
        dir.path().join("k.jsonl"),
    );
    let out = reprint(&[
        "dedupe",
        input.to_str().unwrap(),
        "--pairs",
        pairs.to_str().unwrap(),
        "--clusters",
        clusters.to_str().unwrap(),
        "--keep",
        keep.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "",
        "with output files, nothing goes to stdout"
    );

    let clusters: Value =
        serde_json::from_str(&std::fs::read_to_string(&clusters).unwrap()).unwrap();
    let c = &clusters["clusters"][0];
    assert_eq!(c["canonical"], "wire");
    assert_eq!(c["reason"], "earliest_published");
    assert_eq!(c["size"], 2);
    let kept = json_lines(&std::fs::read_to_string(&keep).unwrap());
    let ids: Vec<&str> = kept.iter().map(|k| k["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["wire", "other"]);
    assert_eq!(kept[0]["source"], "Wire");
    assert_eq!(kept[0]["published"], "2024-03-01T09:00:00Z");
    let pair = &json_lines(&std::fs::read_to_string(&pairs).unwrap())[0];
    assert!(
        pair["stripped_b"].as_f64().unwrap() > 0.0,
        "the share bar was stripped: {pair}"
    );
    // No temporary files are left behind.
    let names: BTreeSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["c.json", "in.jsonl", "k.jsonl", "p.jsonl"]
            .map(String::from)
            .into()
    );
}

#[test]
fn pairs_as_csv_for_spreadsheets() {
    let out = reprint(&[
        "dedupe",
        "fixtures/seeds",
        "fixtures/seed-copies",
        "--format",
        "csv",
        "-q",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut rows = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(
        rows.headers().unwrap(),
        vec!["id_a", "id_b", "kind", "score", "title_a", "title_b", "source_a", "source_b"]
    );
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 3);
    assert_eq!(&records[0][0], "fixtures/seeds/001_e58e3b0ddc063ad7.txt");
    assert_eq!(&records[0][2], "spun");
    // Without a title field, the title is the first kept line of three words or more (this seed
    // opens with "Key takeaways:").
    assert!(
        records[2][4].starts_with("- U.S. Secretary of State Antony Blinken"),
        "{:?}",
        &records[2][4]
    );
}

#[test]
fn the_summary_lists_the_largest_clusters() {
    let dir = tempdir();
    let pairs = dir.path().join("pairs.jsonl");
    let out = reprint(&[
        "dedupe",
        "fixtures/devsample/docs.jsonl",
        "--pairs",
        pairs.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    // Two lines a cluster: its size and original, then its copies (every member but the
    // original, each once).
    let table: Vec<&str> = err
        .lines()
        .skip_while(|l| !l.starts_with("  largest:"))
        .take(10)
        .collect();
    assert_eq!(table.len(), 10, "{err}");
    for rows in table.chunks(2) {
        assert!(rows[0][12..].starts_with("5 articles, original "), "{err}");
        let copies: usize = rows[1]
            .trim_start()
            .strip_prefix("copies: ")
            .unwrap()
            .split(", ")
            .map(|k| k.split(' ').next().unwrap().parse::<usize>().unwrap())
            .sum();
        assert_eq!(copies, 4, "{err}");
    }
}

/// Writing through a symbolic link replaces its target and keeps the link; a device is written to,
/// never replaced.
#[test]
#[cfg(unix)]
fn outputs_follow_links_and_never_replace_devices() {
    let dir = tempdir();
    let target = dir.path().join("target.jsonl");
    let link = dir.path().join("link.jsonl");
    std::fs::write(&target, "old\n").unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = reprint(&[
        "dedupe",
        "fixtures/seeds",
        "fixtures/seed-copies",
        "--pairs",
        link.to_str().unwrap(),
        "-q",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap().lines().count(), 3);

    // /dev/stdout is a link to /proc/self/fd/1, here a pipe: the pairs go down the pipe.
    let out = reprint(&[
        "dedupe",
        "fixtures/seeds",
        "fixtures/seed-copies",
        "--pairs",
        "/dev/stdout",
        "-q",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 3);
    assert!(std::fs::symlink_metadata("/dev/stdout")
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn an_output_that_cannot_be_written_is_an_error_that_names_it() {
    let out = reprint(&[
        "dedupe",
        "fixtures/seeds",
        "--pairs",
        "no/such/dir/pairs.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no/such/dir/pairs.jsonl"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reprint"))
        .args(["dedupe", "fixtures/devsample/docs.jsonl", "-q"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "status {:?}: {}",
        out.status,
        stderr(&out)
    );
    assert_eq!(stderr(&out), "");
}

#[test]
fn strip_explains_what_it_removed_from_a_seed() {
    let out = reprint(&[
        "strip",
        "--explain",
        "fixtures/seeds/000_8c001c9d544d252b.txt",
    ]);
    assert!(out.status.success());
    let text = stdout(&out);
    for rule in [
        "cross-link/to-know-more",
        "cross-link/read-also",
        "credit/source",
        "disclaimer/denial",
        "disclaimer/news-source",
    ] {
        assert!(text.contains(rule), "{rule} missing from\n{text}");
    }
    let body = stdout(&reprint(&[
        "strip",
        "fixtures/seeds/000_8c001c9d544d252b.txt",
    ]));
    assert!(body.contains("Moscow has categorically denied the US allegations"));
    assert!(body.contains("They did not hold a joint press conference after the summit."));
    assert!(!body.contains("Denial of any Responsibility"));
    assert!(!body.contains("READ ALSO"));
}

#[test]
fn compare_explains_and_its_exit_status_says_whether_they_are_copies() {
    let copies = reprint(&[
        "compare",
        "fixtures/seeds/001_e58e3b0ddc063ad7.txt",
        "fixtures/seed-copies/garbled-of-001.txt",
    ]);
    assert_eq!(copies.status.code(), Some(0));
    let text = stdout(&copies);
    assert!(
        text.starts_with("001_e58e3b0ddc063ad7 and garbled-of-001 are copies: spun"),
        "{text}"
    );
    assert!(text.contains("aligned sentences (similarity):"));
    let different = reprint(&[
        "compare",
        "fixtures/seeds/001_e58e3b0ddc063ad7.txt",
        "fixtures/seeds/002_39a7efb761f925a0.txt",
        "--json",
    ]);
    assert_eq!(different.status.code(), Some(1));
    let record: Value = serde_json::from_slice(&different.stdout).unwrap();
    assert_eq!(record["copies"], false);
    assert!(record["stripped_b"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["rule"] == "comments/prompt"));
}

#[test]
fn user_rules_add_to_the_builtin_ones() {
    let dir = tempdir();
    let rules = dir.path().join("partners.txt");
    std::fs::write(&rules, "line  partner  ^brought to you by .{1,60}$\n").unwrap();
    let article = dir.path().join("a.txt");
    std::fs::write(
        &article,
        "The harbour reopened after repairs.\nBrought to you by Acme Widgets",
    )
    .unwrap();
    let out = reprint(&[
        "strip",
        "--explain",
        "--boilerplate",
        rules.to_str().unwrap(),
        article.to_str().unwrap(),
    ]);
    assert!(stdout(&out).contains("user:partner"), "{}", stdout(&out));
    std::fs::write(&rules, "line  broken  (unclosed\n").unwrap();
    let out = reprint(&[
        "strip",
        "--boilerplate",
        rules.to_str().unwrap(),
        article.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("partners.txt:1: pattern does not compile"),
        "{}",
        stderr(&out)
    );
}

/// Issue 3: forty different short briefs in one site's long chrome make no pair, and a second copy
/// of one of them in another site's chrome is still found. A brief is a headline and a lead
/// paragraph of at least fifteen words, from forty different stories of the labelled sample.
#[test]
fn briefs_in_the_same_long_chrome_are_not_copies_of_each_other() {
    let truth = dev_truth();
    let originals: Vec<String> = std::fs::read_to_string(fixture("devsample/docs.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|d| {
            truth
                .values()
                .filter(|g| **g == truth[d["id"].as_str().unwrap()])
                .count()
                == 1
        })
        .filter_map(|d| {
            let lines: Vec<&str> = d["text"].as_str().unwrap().lines().take(2).collect();
            (lines.len() == 2 && lines[1].split_whitespace().count() >= 15)
                .then(|| lines.join("\n"))
        })
        .take(40)
        .collect();
    assert_eq!(originals.len(), 40);
    let chrome_top = "Harbor Herald | Home | Local | Business | Sport | Weather\n\
                      Advertisement\n\
                      Harbor Herald is your trusted source for local news, weather and events across the bay area since 1952.";
    let chrome_bottom = "Share this article\n\
                         Sign up for the Harbor Herald morning newsletter and get the day's top stories in your inbox.\n\
                         Related stories\nCouncil approves ferry timetable\nHigh school wins regional title\nNew bakery opens on Main Street\n\
                         Copyright 2024 Harbor Herald. All rights reserved.";
    let mut docs: Vec<Document> = originals
        .iter()
        .enumerate()
        .map(|(i, brief)| {
            Document::new(
                format!("brief-{i:02}"),
                format!("{chrome_top}\n{brief}\n{chrome_bottom}"),
            )
        })
        .collect();
    docs.push(Document::new(
        "reprint-of-07",
        format!(
            "Valley Times | News\nBy Valley Times staff\n{}\nFollow us on Twitter\nLeave a Reply",
            originals[7]
        ),
    ));
    let corpus = Corpus::from_documents(docs);
    let outcome = Deduper::new(Config::default())
        .unwrap()
        .run(&corpus, &NoProgress);
    let pairs: Vec<(&str, &str)> = outcome
        .pairs
        .iter()
        .map(|p| (corpus.get(p.a).id.as_str(), corpus.get(p.b).id.as_str()))
        .collect();
    assert_eq!(pairs, [("brief-07", "reprint-of-07")]);
}

/// Template look-alikes (one sentence pattern, other companies and figures) are not copies, however
/// much wording they share.
#[test]
fn briefs_from_one_template_are_not_copies() {
    let names = [
        "Acme",
        "Globex",
        "Initech",
        "Umbrella",
        "Hooli",
        "Vandelay",
        "Stark",
        "Wayne",
        "Tyrell",
        "Cyberdyne",
    ];
    let docs = names.iter().enumerate().map(|(i, name)| {
        let n = i as u32;
        Document::new(
            *name,
            format!(
                "{name} shares jump after profit beat\nShares in {name} rose {}% to {}p in London trading on Monday, \
                 after the company reported {} million pounds in quarterly profit, beating analysts' forecasts of {} million. \
                 Chief executive John Smith said demand had been strong across all regions.",
                2 + n,
                80 + 37 * n,
                10 + 23 * n,
                9 + 21 * n
            ),
        )
    });
    let corpus = Corpus::from_documents(docs);
    let outcome = Deduper::new(Config::default())
        .unwrap()
        .run(&corpus, &NoProgress);
    assert!(
        outcome.pairs.is_empty(),
        "{:?}",
        outcome.pairs.iter().map(|p| (p.a, p.b)).collect::<Vec<_>>()
    );
}

/// The library API: a pipeline asks whether a new article copies one it has.
#[test]
fn library_api_finds_the_copy_and_names_its_kind() {
    let corpus = Corpus::from_documents([
        Document::new(
            "orig",
            std::fs::read_to_string(fixture("seeds/004_1a566caebe071b52.txt")).unwrap(),
        ),
        Document::new(
            "spun",
            std::fs::read_to_string(fixture("seed-copies/spun-of-004.txt")).unwrap(),
        ),
        Document::new(
            "other",
            std::fs::read_to_string(fixture("seeds/003_33d0c8a4c591b570.txt")).unwrap(),
        ),
    ]);
    let outcome = Deduper::new(Config::default())
        .unwrap()
        .run(&corpus, &NoProgress);
    assert_eq!(outcome.pairs.len(), 1);
    assert_eq!(outcome.pairs[0].verdict.kind, Kind::Spun);
    let cluster = &outcome.clusters[0];
    assert_eq!(
        corpus.get(cluster.canonical).id,
        "orig",
        "the original is the canonical copy"
    );
    let al = outcome.pairs[0]
        .verdict
        .measures
        .alignment
        .as_ref()
        .unwrap();
    assert!(al.pairs.len() >= 5 && al.immutables > 0.9, "{al:?}");
}

#[test]
fn help_teaches_inputs_outputs_and_exit_status() {
    let help = stdout(&reprint(&["dedupe", "--help"]));
    for want in [
        "JSONL",
        "--pairs",
        "--clusters",
        "--keep",
        "--strict",
        "Exit status",
        "near_duplicate",
    ] {
        assert!(help.contains(want), "{want} missing from dedupe --help");
    }
}

/// Issue 3: `reprint strip` removes each seed's chrome and keeps every line of its article body.
/// (Seed 002 has a non-breaking space after "See also": lines are compared with it folded.)
#[test]
fn strip_removes_each_seeds_chrome_and_keeps_its_body() {
    let read_next_block: Vec<&str> = {
        let seed = include_str!("../fixtures/seeds/003_33d0c8a4c591b570.txt");
        seed.lines().skip_while(|l| *l != "Read next").collect()
    };
    let cases: [(&str, Vec<&str>); 5] = [
        (
            "000_8c001c9d544d252b",
            vec![
                "TO KNOW MORE: Russia has a date for Putin-Biden talks",
                "READ ALSO: The lights come on out at diplomatic meetings with Blinken & Lavrov (VIDEO)",
                "Read More: World News",
                "Source RT News.",
                "Denial of any Responsibility!",
            ],
        ),
        ("001_e58e3b0ddc063ad7", vec![]),
        (
            "002_39a7efb761f925a0",
            vec![
                "See also  Bella Thorne vs Tana Mongeau: Feud Explained: History and Timeline",
                "Stay with Stanford Arts Review for More Updates.",
                "Leave a Reply",
            ],
        ),
        ("003_33d0c8a4c591b570", read_next_block),
        ("004_1a566caebe071b52", vec!["Be First to Comment"]),
    ];
    for (seed, chrome) in cases {
        let path = format!("fixtures/seeds/{seed}.txt");
        let original = std::fs::read_to_string(fixture(&format!("seeds/{seed}.txt"))).unwrap();
        let out = reprint(&["strip", &path]);
        assert!(out.status.success());
        let kept: BTreeSet<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
        for line in original.lines().map(str::trim).filter(|l| !l.is_empty()) {
            // The aggregator's disclaimer paragraph follows its "Denial of any Responsibility!" line.
            let plain = line.replace('\u{a0}', " ");
            let is_chrome =
                chrome.contains(&plain.as_str()) || line.starts_with("AsumeTech is a News Source");
            assert_eq!(kept.contains(line), !is_chrome, "{seed}: {line:?}");
        }
    }
}

#[test]
#[cfg(unix)]
fn outputs_get_the_permissions_of_an_ordinary_new_file_or_keep_the_old_ones() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempdir();
    // What a plain new file gets here: 0666 less the umask.
    let reference = dir.path().join("reference");
    std::fs::File::create(&reference).unwrap();
    let (fresh, kept) = (
        dir.path().join("fresh.jsonl"),
        dir.path().join("kept.jsonl"),
    );
    std::fs::write(&kept, "old\n").unwrap();
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
    for path in [&fresh, &kept] {
        let out = reprint(&[
            "dedupe",
            "fixtures/seeds",
            "--pairs",
            path.to_str().unwrap(),
            "-q",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(mode(&fresh), mode(&reference));
    assert_eq!(mode(&kept), 0o640);
}

/// The JSON data of an HTML report (texts, alignments), from its `<script type="application/json">`.
fn report_data(html: &str) -> Value {
    let open = r#"<script type="application/json" id="data">"#;
    let start = html.find(open).expect("the report has its data") + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).expect("the data is JSON")
}

/// The text of the element with `id` (the first `>` after it to the next `<`).
fn element_text<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no #{id}"));
    let start = at + html[at..].find('>').unwrap() + 1;
    &html[start..start + html[start..].find('<').unwrap()]
}

#[test]
fn the_report_shows_every_cluster_copy_and_kind_of_the_run() {
    let dir = tempdir();
    let (report, clusters, pairs) = (
        dir.path().join("report.html"),
        dir.path().join("c.json"),
        dir.path().join("p.jsonl"),
    );
    let out = reprint(&[
        "dedupe",
        "fixtures/devsample/docs.jsonl",
        "--report",
        report.to_str().unwrap(),
        "--clusters",
        clusters.to_str().unwrap(),
        "--pairs",
        pairs.to_str().unwrap(),
        "-q",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&report).unwrap();
    let clusters: Value =
        serde_json::from_str(&std::fs::read_to_string(&clusters).unwrap()).unwrap();
    let clusters = clusters["clusters"].as_array().unwrap();
    let pairs = json_lines(&std::fs::read_to_string(&pairs).unwrap());

    // Overview: the counts of the run.
    assert_eq!(element_text(&html, "n-documents"), "280");
    assert_eq!(element_text(&html, "n-pairs"), pairs.len().to_string());
    assert_eq!(
        element_text(&html, "n-clusters"),
        clusters.len().to_string()
    );
    let copies: usize = clusters
        .iter()
        .map(|c| c["size"].as_u64().unwrap() as usize - 1)
        .sum();
    assert_eq!(element_text(&html, "n-copies"), copies.to_string());
    for kind in ["exact", "near_duplicate", "excerpt", "spun"] {
        let n = pairs.iter().filter(|p| p["kind"] == kind).count();
        assert!(n > 0, "the sample has {kind} pairs");
        let cell = format!(r#"data-kind="{kind}">{n}<"#);
        assert!(html.contains(&cell), "pairs by kind shows {cell}");
    }

    // Every cluster is a group in the table, in the same order, naming its original; every copy
    // is a row with its kind and a link to its pair view.
    assert_eq!(
        html.matches(r#"<tbody class="cluster"#).count(),
        clusters.len()
    );
    let mut at = 0;
    for c in clusters {
        let original = format!(
            r#"<span class="id">{}</span>"#,
            c["canonical"].as_str().unwrap()
        );
        at += html[at..]
            .find(&original)
            .expect("clusters in order, each with its original");
    }
    assert_eq!(html.matches(r#"<tr class="member""#).count(), copies);
    for kind in ["exact", "near_duplicate", "excerpt", "spun"] {
        let members = clusters
            .iter()
            .flat_map(|c| c["members"].as_array().unwrap())
            .filter(|m| m["kind"] == kind)
            .count();
        let row = format!(r#"<tr class="member" data-kind="{kind}""#);
        assert_eq!(html.matches(&row).count(), members, "{kind} copies");
    }

    // Pair views: one per copy; marks sorted, disjoint and inside the texts; every spun copy has
    // aligned sentences, and its changed words marked, on both sides.
    let data = report_data(&html);
    let views = data["views"].as_array().unwrap();
    assert_eq!(views.len(), copies);
    for (i, view) in views.iter().enumerate() {
        assert!(html.contains(&format!(r##"href="#view-{i}""##)));
        for (side, doc) in [("a", 0), ("b", 1)] {
            let text = data["docs"][view[side].as_u64().unwrap() as usize]["text"]
                .as_str()
                .unwrap();
            let units = text.encode_utf16().count() as u64;
            let mut end = 0;
            for mark in view["marks"][doc].as_array().unwrap() {
                let (s, e) = (mark[0].as_u64().unwrap(), mark[1].as_u64().unwrap());
                assert!(end <= s && s < e && e <= units, "mark {mark} of view {i}");
                end = e;
            }
        }
        if view["kind"] == "spun" {
            for doc in 0..2 {
                let marks = view["marks"][doc].as_array().unwrap();
                assert!(
                    marks.iter().any(|m| m[2] == 1),
                    "view {i} shows aligned sentences"
                );
                assert!(
                    marks.iter().any(|m| m[2] == 2),
                    "view {i} shows changed words"
                );
            }
        }
    }
}

#[test]
fn the_report_shows_markup_in_articles_as_text() {
    let dir = tempdir();
    let report = dir.path().join("report.html");
    let out = reprint(&[
        "dedupe",
        "fixtures/hostile.jsonl",
        "--report",
        report.to_str().unwrap(),
        "-q",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&report).unwrap();
    // The page's own two scripts (its data and its code), and no other element from an article.
    assert_eq!(
        html.matches("<script").count(),
        2,
        "no script element from an article"
    );
    for injected in [
        "<b>new",
        "<i>Herald",
        "<img",
        "<a href=\"javascript",
        "alert('t')</script>",
    ] {
        assert!(!html.contains(injected), "{injected} escaped");
    }
    // Titles, ids and sources are escaped in the table, entities included.
    assert!(html.contains("orig-&#60;script&#62;"));
    assert!(html.contains("Council approves &#60;b&#62;new&#60;/b&#62; budget"));
    assert!(html.contains("Council approves budget &#38;lt;b&#38;gt;"));
    // The texts travel as data, unchanged.
    let data = report_data(&html);
    let text = data["docs"][0]["text"].as_str().unwrap();
    assert!(text.contains("the plan <script>alert('pwned')</script> would pay"));
    assert!(text.contains("residents &amp; small businesses"));
}

#[test]
fn a_report_can_be_made_from_an_earlier_runs_files() {
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let input = "fixtures/devsample/docs.jsonl";
    let (pairs, clusters, direct, later) = (
        path("p.jsonl"),
        path("c.json"),
        path("direct.html"),
        path("later.html"),
    );
    let out = reprint(&[
        "dedupe",
        input,
        "--pairs",
        &pairs,
        "--clusters",
        &clusters,
        "--report",
        &direct,
        "-q",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = reprint(&[
        "report",
        input,
        "--pairs",
        &pairs,
        "--clusters",
        &clusters,
        "-o",
        &later,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("report of 280 documents"),
        "{}",
        stderr(&out)
    );
    let (first, second) = (
        std::fs::read_to_string(&direct).unwrap(),
        std::fs::read_to_string(&later).unwrap(),
    );
    // The same groups, texts, chrome and alignments; only scores may differ in the last digit, as
    // the files round them to four.
    for id in [
        "n-documents",
        "n-pairs",
        "n-clusters",
        "n-copies",
        "n-stripped",
    ] {
        assert_eq!(element_text(&first, id), element_text(&second, id), "{id}");
    }
    let (a, b) = (report_data(&first), report_data(&second));
    assert_eq!(a["docs"], b["docs"]);
    assert_eq!(a["rules"], b["rules"]);
    let marks = |d: &Value| -> Vec<Value> {
        d["views"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["marks"].clone())
            .collect()
    };
    assert_eq!(marks(&a), marks(&b));

    // A pairs file that does not fit the corpus is an error naming the file and line.
    let wrong = path("wrong.jsonl");
    let text = std::fs::read_to_string(&pairs).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replacen("\"a\":\"", "\"a\":\"no-such-", 1);
    std::fs::write(&wrong, lines.join("\n")).unwrap();
    let out = reprint(&[
        "report",
        input,
        "--pairs",
        &wrong,
        "--clusters",
        &clusters,
        "-o",
        &later,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("{wrong}:3: `no-such-")),
        "{}",
        stderr(&out)
    );
}

/// A report shows the largest groups in full and lists the others; `reprint report --group` opens
/// any group, by its number or by an article's id; the summary says what the report left out.
#[test]
fn a_report_opens_groups_left_out_by_number_or_article() {
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let input = "fixtures/devsample/docs.jsonl";
    let (pairs, clusters, report, group) = (
        path("p.jsonl"),
        path("c.json"),
        path("r.html"),
        path("g.html"),
    );
    let out = reprint(&[
        "dedupe",
        input,
        "--pairs",
        &pairs,
        "--clusters",
        &clusters,
        "--report",
        &report,
        "--max-groups",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed: Value = serde_json::from_str(&std::fs::read_to_string(&clusters).unwrap()).unwrap();
    let listed = listed["clusters"].as_array().unwrap();
    let size = |i: usize| listed[i]["size"].as_u64().unwrap() as usize;
    let flat = stderr(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains(&format!(
            "report: 2 of {} groups shown in full ({} articles)",
            listed.len(),
            size(0) + size(1)
        )),
        "{flat}"
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains(r#"id="left-out""#));
    assert_eq!(
        report_data(&html)["docs"].as_array().unwrap().len(),
        size(0) + size(1)
    );
    assert_eq!(
        html.matches(r#"<tbody class="cluster open listed""#)
            .count(),
        listed.len() - 2
    );
    assert!(html.contains("--group 3 -o group-3.html"));

    // Group 3 by number, and the last group by the id of one of its articles.
    let last = listed.len() - 1;
    let member = listed[last]["members"][0]["id"].as_str().unwrap();
    let out = reprint(&[
        "report",
        input,
        "--pairs",
        &pairs,
        "--clusters",
        &clusters,
        "--group",
        "3",
        "--group",
        member,
        "-o",
        &group,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&group).unwrap();
    let mut ids: Vec<String> = report_data(&html)["docs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    let mut want: Vec<String> = [2, last]
        .iter()
        .flat_map(|&i| listed[i]["members"].as_array().unwrap())
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort_unstable();
    want.sort_unstable();
    assert_eq!(ids, want);

    let out = reprint(&[
        "report",
        input,
        "--pairs",
        &pairs,
        "--clusters",
        &clusters,
        "--group",
        "9999",
        "-o",
        &group,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--group 9999: no group"),
        "{}",
        stderr(&out)
    );
}

/// The engines a pipeline shares between threads (a server's handlers, a worker pool) can be.
#[test]
fn the_public_engines_are_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<Deduper>();
    shared::<reprint::Index>();
    shared::<Corpus>();
    shared::<Config>();
    shared::<reprint::boilerplate::Rules>();
}
