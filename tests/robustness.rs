//! Robustness of input, output and the command line (issue 13): no article lost to a file name,
//! an encoding or a broken link; outputs all or nothing, also when interrupted; closed pipes end a
//! run quietly; pages with no article text are nobody's copy; help that says what the tool does.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reprint::{Config, Corpus, Deduper, Document, NoProgress};
use serde_json::Value;

mod common;
use common::{json_lines, reprint, reprint_in, stderr, stdout};

fn pair_ids(out: &Output) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = json_lines(&stdout(out))
        .iter()
        .map(|p| {
            (
                p["a"].as_str().unwrap().into(),
                p["b"].as_str().unwrap().into(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

const STORY: &str = "The harbour authority approved a new ferry terminal on Monday after a long \
debate among the councillors about its cost, the noise for the neighbours and the future of the old \
pier, which will be turned into a park with a playground and a small market hall.";

const OTHER: &str = "Heavy rain flooded several streets in the old town overnight, and the fire \
service pumped out dozens of cellars while the river rose to its highest level in ten years.";

/// A JSONL corpus of `stories` stories with `copies` exact copies each: big enough to take a while
/// to write (its pairs grow with the square of `copies`). Each ends in a line of chrome.
fn write_big_corpus(path: &Path, stories: usize, copies: usize) {
    let mut out = String::new();
    for s in 0..stories {
        let mut story: String = (0..300)
            .map(|w| format!("word{} ", (s * 7919 + w * 104_729) % 100_003))
            .collect();
        story.push_str("\nShare this article");
        for c in 0..copies {
            let line = serde_json::json!({"id": format!("s{s}-c{c}"), "text": story});
            out.push_str(&format!("{line}\n"));
        }
    }
    std::fs::write(path, out).unwrap();
}

/// Names in a directory that look like reprint's temporaries.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(".reprint-") && name.ends_with(".tmp")
        })
        .collect()
}

// ---- 1. Ids derived from paths are unique across inputs ----------------------------------------

#[test]
fn same_file_name_in_two_folders_and_md_beside_txt_are_all_read_and_paired() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["outA", "outB"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        std::fs::write(dir.path().join(sub).join("story.txt"), STORY).unwrap();
    }
    std::fs::write(dir.path().join("outA/story.md"), STORY).unwrap();
    let out = reprint_in(dir.path(), &["dedupe", "outA", "./outB"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("3 documents, 0 skipped"),
        "{}",
        stderr(&out)
    );
    let pairs = pair_ids(&out);
    let want = [
        ("outA/story.md", "outA/story.txt"),
        ("outA/story.md", "outB/story.txt"),
        ("outA/story.txt", "outB/story.txt"),
    ]
    .map(|(a, b)| (a.to_string(), b.to_string()));
    assert_eq!(pairs, want);
}

#[test]
fn duplicate_ids_inside_jsonl_stay_a_counted_skip() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    let line = |id: &str, text: &str| format!("{}\n", serde_json::json!({"id": id, "text": text}));
    std::fs::write(&feed, line("x", STORY) + &line("x", OTHER)).unwrap();
    let out = reprint(&["dedupe", feed.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("1 document, 1 skipped (duplicate_id 1)"),
        "{}",
        stderr(&out)
    );
}

// ---- 2. Encodings --------------------------------------------------------------------------------

#[test]
fn one_latin1_byte_does_not_drop_an_article_and_the_warning_names_file_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), STORY).unwrap();
    // The copy has one Latin-1 é among its UTF-8 text.
    let copy = [STORY.as_bytes(), b" Caf\xe9 owners welcomed it."].concat();
    std::fs::write(dir.path().join("b.txt"), &copy).unwrap();
    let out = reprint_in(dir.path(), &["dedupe", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    let at = STORY.len() + 4;
    let want = format!("b.txt: not valid UTF-8 at byte {at}; 1 byte read as Windows-1252");
    assert!(
        stderr(&out).contains(&format!("warning: ./{want}")),
        "{}",
        stderr(&out)
    );
    assert_eq!(pair_ids(&out), [("a.txt".to_string(), "b.txt".to_string())]);

    // `strip` prints the article, é and all.
    let out = reprint_in(dir.path(), &["strip", "b.txt"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("Café owners"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(&format!("warning: {want}")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn utf16_files_with_a_byte_order_mark_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(STORY.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(dir.path().join("a.txt"), STORY).unwrap();
    std::fs::write(dir.path().join("b.txt"), utf16).unwrap();
    let out = reprint_in(dir.path(), &["dedupe", "."]);
    assert!(
        stderr(&out).contains("b.txt: read as UTF-16LE"),
        "{}",
        stderr(&out)
    );
    assert_eq!(pair_ids(&out).len(), 1);
}

// ---- 3. --keep gives back the records as they were -----------------------------------------------

#[test]
fn keep_gives_back_the_input_records_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    let esc = |s: &str| serde_json::to_string(s).unwrap();
    // Numeric ids, odd spacing, key order, escapes that re-serialising would change, a CRLF line,
    // and a Latin-1 byte: each kept record must come back exactly.
    let records: Vec<Vec<u8>> = vec![
        format!("{{\"id\": 1,   \"text\": {}, \"n\": 1.50}}", esc(STORY)).into_bytes(),
        format!(
            "{{\"text\":{},\"id\":2}}",
            esc(&format!("{STORY} Share this"))
        )
        .into_bytes(),
        format!(
            "{{ \"id\" : 3 , \"text\" : \"\\u00e9t\\u00e9 {}\" }}\r",
            &esc(OTHER)[1..esc(OTHER).len() - 1]
        )
        .into_bytes(),
        [
            &b"{\"id\":4,\"text\":\"caf\xe9 "[..],
            b"and a short unrelated note about the weather\"}",
        ]
        .concat(),
    ];
    let mut input = Vec::new();
    for r in &records {
        input.extend_from_slice(r);
        input.push(b'\n');
    }
    std::fs::write(&feed, &input).unwrap();
    let keep = dir.path().join("keep.jsonl");
    let out = reprint(&[
        "dedupe",
        feed.to_str().unwrap(),
        "--keep",
        keep.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // 2 is a copy of 1: dropped; the others come back as they were, in input order.
    let mut want = Vec::new();
    for r in [&records[0], &records[2], &records[3]] {
        want.extend_from_slice(r);
        want.push(b'\n');
    }
    assert_eq!(std::fs::read(&keep).unwrap(), want);
}

// ---- 4, 5. Outputs all or nothing ----------------------------------------------------------------

/// Earlier outputs, to be left untouched by a run that does not finish.
fn earlier_outputs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    ["p.jsonl", "c.json", "r.html"]
        .iter()
        .map(|name| {
            let path = dir.join(name);
            let bytes = format!("earlier {name}\n").into_bytes();
            std::fs::write(&path, &bytes).unwrap();
            (path, bytes)
        })
        .collect()
}

fn dedupe_into(dir: &Path, feed: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_reprint"))
        .arg("dedupe")
        .arg(feed)
        .args([
            "--pairs",
            "p.jsonl",
            "--clusters",
            "c.json",
            "--report",
            "r.html",
        ])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn send(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Runs `dedupe` into a directory of earlier outputs and signals it once `ready` says so; the
/// corpus doubles until the run is still going then. Returns the run's output.
fn interrupt(
    signal: &str,
    ready: impl Fn(&Path, Duration, u32) -> bool,
) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let earlier = earlier_outputs(&out_dir);
    let feed = dir.path().join("feed.jsonl");
    for copies in [60, 120, 240, 480] {
        write_big_corpus(&feed, 20, copies);
        let mut child = dedupe_into(&out_dir, &feed);
        let started = Instant::now();
        let signalled = loop {
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            if ready(&out_dir, started.elapsed(), child.id()) {
                send(&child, signal);
                break true;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let out = child.wait_with_output().unwrap();
        if !signalled {
            // Finished first: put the earlier outputs back and try a bigger corpus.
            for (path, bytes) in &earlier {
                std::fs::write(path, bytes).unwrap();
            }
            continue;
        }
        assert_eq!(
            temporaries(&out_dir),
            Vec::<PathBuf>::new(),
            "{}",
            stderr(&out)
        );
        for (path, bytes) in &earlier {
            assert_eq!(
                &std::fs::read(path).unwrap(),
                bytes,
                "{} was changed",
                path.display()
            );
        }
        return (out, dir);
    }
    panic!("no corpus was big enough to interrupt the run");
}

/// Whether a process has a handler for a signal, from the mask of caught signals in
/// `/proc/PID/status` (Linux); elsewhere, assumed after the delay.
fn catches(pid: u32, signal: u32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return true;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (signal - 1)) != 0)
}

#[test]
fn interrupted_while_writing_exits_130_and_leaves_no_temporary_and_every_earlier_output() {
    // Interrupted once a temporary output has contents: mid-write.
    let (out, _dir) = interrupt("-INT", |dir, _, _| {
        temporaries(dir)
            .iter()
            .any(|t| std::fs::metadata(t).is_ok_and(|m| m.len() > 0))
    });
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("reprint: interrupted by SIGINT; removed "),
        "{err}"
    );
    assert_eq!(err.lines().filter(|l| l.contains("interrupted")).count(), 1);
}

#[test]
fn terminated_before_writing_exits_143_and_leaves_every_earlier_output() {
    // Once reprint catches SIGTERM (a loaded machine may take a while to start it).
    let (out, _dir) = interrupt("-TERM", |_, elapsed, pid| {
        elapsed > Duration::from_millis(100) && catches(pid, 15)
    });
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("interrupted by SIGTERM"),
        "{}",
        stderr(&out)
    );
}

/// `nohup reprint …` (SIGHUP ignored) and a script's background job (SIGINT ignored) must not be
/// stopped by the signals they were started to ignore.
#[cfg(unix)]
#[test]
fn signals_ignored_at_start_stay_ignored() {
    let dir = tempfile::tempdir().unwrap();
    write_big_corpus(&dir.path().join("feed.jsonl"), 20, 60);
    let script = format!(
        "trap '' HUP INT; exec '{}' dedupe feed.jsonl --pairs p.jsonl -q",
        env!("CARGO_BIN_EXE_reprint")
    );
    let child = Command::new("sh")
        .args(["-c", &script])
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once reprint runs (its process image replaced the shell's) and has caught SIGTERM, the
    // ignored signals are sent: they must change nothing.
    let started = Instant::now();
    while !(std::fs::read_to_string(format!("/proc/{}/cmdline", child.id()))
        .is_ok_and(|c| c.contains("dedupe"))
        && catches(child.id(), 15))
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "reprint did not start"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    send(&child, "-HUP");
    send(&child, "-INT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::metadata(dir.path().join("p.jsonl")).unwrap().len() > 0);
}

#[test]
fn an_unwritable_output_fails_before_the_run_and_replaces_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let earlier = earlier_outputs(dir.path());
    let feed = dir.path().join("feed.jsonl");
    write_big_corpus(&feed, 20, 60);
    let started = Instant::now();
    let out = reprint_in(
        dir.path(),
        &[
            "dedupe",
            "feed.jsonl",
            "--pairs",
            "p.jsonl",
            "--clusters",
            "nodir/c.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: nodir/c.json: cannot write here: directory nodir does not exist\n"
    );
    // Checked before reading the corpus: no summary, and well under the run's time.
    assert!(started.elapsed() < Duration::from_secs(2));
    for (path, bytes) in &earlier {
        assert_eq!(&std::fs::read(path).unwrap(), bytes);
    }
    assert!(temporaries(dir.path()).is_empty());

    // A directory as an output, and two outputs to one file, are refused the same way.
    let out = reprint_in(dir.path(), &["dedupe", "feed.jsonl", "--pairs", "."]);
    assert!(
        stderr(&out).contains("error: .: cannot write here: is a directory"),
        "{}",
        stderr(&out)
    );
    let out = reprint_in(
        dir.path(),
        &[
            "dedupe",
            "feed.jsonl",
            "--pairs",
            "p.jsonl",
            "--keep",
            "./p.jsonl",
        ],
    );
    assert!(
        stderr(&out).contains("the same file as p.jsonl"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(dir.path().join("p.jsonl")).unwrap(),
        earlier[0].1
    );
}

// ---- 6. Directories ------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn dangling_links_and_link_loops_are_counted_skips_and_hidden_files_are_passed_over() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("corpus");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join("a.txt"), STORY).unwrap();
    std::fs::write(root.join(".git/copy.txt"), STORY).unwrap();
    std::fs::write(root.join(".draft.txt"), STORY).unwrap();
    symlink("nowhere.txt", root.join("gone.txt")).unwrap();
    symlink("nowhere", root.join(".#a.txt")).unwrap(); // an editor's lock file
    symlink("..", root.join("sub/up")).unwrap(); // a loop
    let out = reprint_in(dir.path(), &["dedupe", "corpus"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("skipped corpus/gone.txt: cannot read: a dangling link"),
        "{err}"
    );
    assert!(
        err.contains("skipped corpus/sub/up: cannot read: a link loop back to corpus"),
        "{err}"
    );
    assert!(
        err.contains("1 document, 2 skipped (unreadable 2)"),
        "{err}"
    );
    assert_eq!(stdout(&out), "");

    // With --hidden, the hidden files are read (and the lock file is a skip too).
    let out = reprint_in(dir.path(), &["dedupe", "corpus", "--hidden"]);
    let err = stderr(&out);
    assert!(
        err.contains("3 documents, 3 skipped (unreadable 3)"),
        "{err}"
    );
    assert_eq!(pair_ids(&out).len(), 3);

    // --strict makes the first one fatal.
    let out = reprint_in(dir.path(), &["dedupe", "corpus", "--strict"]);
    assert_eq!(out.status.code(), Some(2));
}

// ---- 7. Broken pipes -----------------------------------------------------------------------------

/// Runs reprint with its stdout a pipe that is closed after `keep` bytes; returns its output.
fn with_stdout_closed_after(dir: &Path, args: &[&str], keep: usize) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reprint"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = vec![0u8; keep];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut head)
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_pipe_ends_every_command_and_output_quietly() {
    let dir = tempfile::tempdir().unwrap();
    // Each output is far more than a pipe holds (64 KiB), so writing goes on after the close.
    write_big_corpus(&dir.path().join("feed.jsonl"), 20, 100);
    let runs: [&[&str]; 5] = [
        &["strip", "feed.jsonl"],
        &["strip", "feed.jsonl", "--explain"],
        &["dedupe", "feed.jsonl", "-q"],
        &["dedupe", "feed.jsonl", "-q", "--pairs", "/dev/stdout"],
        &[
            "dedupe",
            "feed.jsonl",
            "-q",
            "--format",
            "csv",
            "--keep",
            "/dev/stdout",
        ],
    ];
    for args in runs {
        let out = with_stdout_closed_after(dir.path(), args, 100);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}");
    }
    let out = with_stdout_closed_after(dir.path(), &["rules"], 10);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

// ---- 8. No article text --------------------------------------------------------------------------

const CHROME_ONLY: &str = "Share this article\nFacebook\nTwitter\nEmail\nAdvertisement\n";

#[test]
fn pages_with_no_article_text_are_nobodys_copy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), CHROME_ONLY).unwrap();
    std::fs::write(dir.path().join("b.txt"), CHROME_ONLY).unwrap();
    let out = reprint_in(dir.path(), &["compare", "a.txt", "b.txt"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("a and b are not copies: no article text in a or b"),
        "{}",
        stdout(&out)
    );
    let out = reprint_in(dir.path(), &["compare", "a.txt", "b.txt", "--json"]);
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["copies"], false);
    assert_eq!(record["without_text"], serde_json::json!(["a", "b"]));

    // `dedupe` never pairs them.
    let out = reprint_in(dir.path(), &["dedupe", "."]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), "");
}

#[test]
fn the_library_says_which_documents_have_no_article_text() {
    let deduper = Deduper::new(Config::default()).unwrap();
    let (a, b) = (
        Document::new("a", CHROME_ONLY),
        Document::new("b", CHROME_ONLY),
    );
    let cmp = deduper.compare(&a, &b);
    assert!(cmp.verdict.is_none());
    assert!(cmp.lacks_text());
    assert_eq!(cmp.words, [0, 0]);

    let corpus = Corpus::from_documents([
        Document::new("chrome-1", CHROME_ONLY),
        Document::new("story", STORY),
        Document::new("chrome-2", CHROME_ONLY),
    ]);
    let outcome = deduper.run(&corpus, &NoProgress);
    assert!(outcome.pairs.is_empty());
    let ids: Vec<&str> = outcome
        .without_text()
        .iter()
        .map(|&d| corpus.get(d).id.as_str())
        .collect();
    assert_eq!(ids, ["chrome-1", "chrome-2"]);
}

// ---- 14. Help, compare FEED ID1 ID2, JSON arrays, empty inputs -----------------------------------

#[test]
fn dedupe_help_lists_every_pair_field_and_that_output_files_silence_stdout() {
    let help = stdout(&reprint(&["dedupe", "--help"]));
    for field in [
        "a, b",
        "kind",
        "score",
        "jaccard",
        "containment",
        "content_jaccard",
        "aligned_sentences",
        "aligned_share",
        "substitution_rate",
        "edit_rate",
        "swapped_sentences",
        "immutables",
        "stripped_a",
    ] {
        assert!(help.contains(field), "{field} missing from dedupe --help");
    }
    assert!(
        help.contains("--report, nothing goes to stdout") || help.contains("or --report"),
        "{help}"
    );
    assert!(help.contains("130"), "exit status of an interruption");
}

#[test]
fn rules_prints_the_builtin_rules_with_their_format() {
    let out = reprint(&["rules"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("SCOPE  NAME  PATTERN"),
        "the format is explained"
    );
    assert!(
        text.lines().any(|l| l.starts_with("line ")),
        "rules are listed"
    );
    let strip_help = stdout(&reprint(&["strip", "--help"]));
    assert!(strip_help.contains("reprint rules"), "{strip_help}");
    assert!(strip_help.contains("SCOPE NAME PATTERN"), "{strip_help}");
}

#[test]
fn compare_takes_a_feed_and_two_ids() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    let line = |id: &str, text: &str| format!("{}\n", serde_json::json!({"id": id, "text": text}));
    std::fs::write(
        &feed,
        line("wire", STORY)
            + &line("copy", &format!("{STORY}\nShare this article"))
            + &line("other", OTHER),
    )
    .unwrap();
    let feed = feed.to_str().unwrap();
    let out = reprint(&["compare", feed, "wire", "copy"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("wire and copy are copies: exact"),
        "{}",
        stdout(&out)
    );
    let out = reprint(&["compare", feed, "wire", "other"]);
    assert_eq!(out.status.code(), Some(1));
    let out = reprint(&["compare", feed, "wire", "nobody"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no article with id \"nobody\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_json_array_of_articles_is_read_as_records() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.json");
    let articles = serde_json::json!([
        {"id": 1, "text": STORY, "source": "Wire"},
        {"id": 2, "text": format!("{STORY}\nShare this article")},
        {"id": 3, "text": OTHER},
        {"id": 4},
        "not an object"
    ]);
    std::fs::write(&feed, serde_json::to_string_pretty(&articles).unwrap()).unwrap();
    let keep = dir.path().join("keep.jsonl");
    let out = reprint(&[
        "dedupe",
        feed.to_str().unwrap(),
        "--keep",
        keep.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("3 documents, 2 skipped"), "{err}");
    // Each skip names the line its record starts on.
    assert!(err.contains("feed.json:15: no `text` field"), "{err}");
    assert!(
        err.contains("feed.json:18: malformed JSON: expected an object"),
        "{err}"
    );
    assert!(!err.contains("malformed JSON: EOF"), "{err}");
    let kept = json_lines(&std::fs::read_to_string(&keep).unwrap());
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0], articles[0]);

    // The same on stdin.
    let mut child = Command::new(env!("CARGO_BIN_EXE_reprint"))
        .args(["dedupe", "-", "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&feed).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(json_lines(&stdout(&out)).len(), 1, "{}", stderr(&out));
}

#[test]
fn an_input_with_no_articles_warns() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    std::fs::write(dir.path().join("empty/notes.csv"), "a,b").unwrap();
    let out = reprint_in(dir.path(), &["dedupe", "empty"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains(
            "warning: no articles found in empty (a directory is searched for .txt and .md files"
        ),
        "{}",
        stderr(&out)
    );
    std::fs::write(dir.path().join("blank.jsonl"), "\n\n").unwrap();
    let out = reprint_in(dir.path(), &["strip", "blank.jsonl"]);
    assert!(
        stderr(&out).contains("warning: no articles found in blank.jsonl"),
        "{}",
        stderr(&out)
    );
}
