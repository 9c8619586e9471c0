//! Hostile bytes for every reader, and arbitrary text for `strip`, `compare` and a run: no panic,
//! no hang, and every record either a document or a counted skip.
//!
//! Each target draws its inputs from a seeded generator (ChaCha, seeded by the case number, so a
//! failure names the case that reproduces it) that splices tokens of the format (JSON punctuation,
//! field names, escapes, rule scopes, regex syntax, chrome lines) with arbitrary bytes: random
//! bytes alone rarely get past a parser's first byte. These run on stable Rust, unlike
//! `cargo fuzz`. The normal suite runs a few hundred cases per target; for a long run:
//!
//! ```text
//! REPRINT_FUZZ_CASES=1000000 cargo test --release --test fuzz -- --test-threads 1
//! ```
//!
//! (`REPRINT_FUZZ_FIRST` sets the first case number, to explore other cases.) A run of 1,000,000
//! cases per target (release, two threads, 21 minutes) passed: jsonl 65 s, json-array 27 s,
//! text-file 38 s, rules 118 s, config 444 s (253,193 parsed, 126,763 valid and run), strip 100 s,
//! compare 949 s, dedupe 782 s. The one failure found, in the first 300 cases of `strip` (a removed
//! share above 1), is fixed and pinned by
//! `boilerplate::tests::the_removed_share_of_a_block_spanning_lines_is_at_most_one`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use reprint::boilerplate::Rules;
use reprint::corpus::{decode, decode_record};
use reprint::{Config, Corpus, Deduper, Document, NoProgress, ReadOptions};

/// Cases per target: `REPRINT_FUZZ_CASES`, or a few hundred.
fn cases() -> u64 {
    std::env::var("REPRINT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// The longest one case may take before it counts as a hang (debug builds are slow).
const HANG: Duration = Duration::from_secs(5);

/// Runs `check` on `cases()` generated inputs; a panic or a hang fails the target, naming the case
/// and its input.
fn fuzz<T: std::fmt::Debug>(
    target: &str,
    generate: impl Fn(&mut ChaCha8Rng) -> T,
    check: impl Fn(&T),
) {
    let first: u64 = std::env::var("REPRINT_FUZZ_FIRST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let (n, started) = (cases(), Instant::now());
    for case in first..first + n {
        let mut rng = ChaCha8Rng::seed_from_u64(case ^ salt(target));
        let input = generate(&mut rng);
        let began = Instant::now();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&input))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{target}: case {case} failed: {message}\ninput: {input:?}");
        }
        let took = began.elapsed();
        assert!(
            took < HANG,
            "{target}: case {case} took {took:?}\ninput: {input:?}"
        );
    }
    eprintln!(
        "{target}: {n} cases from {first} in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

fn salt(target: &str) -> u64 {
    target.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Bytes spliced from `tokens` and arbitrary bytes, up to `max` pieces.
fn splice(rng: &mut ChaCha8Rng, tokens: &[&[u8]], max: usize) -> Vec<u8> {
    let pieces = rng.random_range(0..=max);
    let mut out = Vec::new();
    for _ in 0..pieces {
        match rng.random_range(0..10) {
            0 => out.push(rng.random()),
            1 => {
                let n = rng.random_range(1..16);
                out.extend((0..n).map(|_| rng.random::<u8>()));
            }
            2 => {
                // A run of one word: long lines, long strings.
                let t = tokens[rng.random_range(0..tokens.len())];
                for _ in 0..rng.random_range(1..64) {
                    out.extend_from_slice(t);
                }
            }
            _ => out.extend_from_slice(tokens[rng.random_range(0..tokens.len())]),
        }
    }
    out
}

/// Words, punctuation and white space of every kind, chrome lines, encodings' awkward bytes.
const TEXT_TOKENS: &[&[u8]] = &[
    b"the ",
    b"council ",
    b"approved ",
    b"budget ",
    b"harbour ",
    b"on Monday ",
    b"2024 ",
    b"3.5% ",
    b"Mr. ",
    b"U.S. ",
    b". ",
    b"? ",
    b"! ",
    b", ",
    b"\"",
    b"'",
    b"\n",
    b"\n\n",
    b"\r\n",
    b"\r",
    b"\t",
    b" ",
    b"\x00",
    b"Share this article\n",
    b"Advertisement\n",
    b"Read more: ",
    b"Click here to subscribe\n",
    b"Related:\n",
    b"Comments\n",
    b"\xc3\xa9",                 // é
    b"\xe2\x80\x9c",             // “
    b"\xe2\x80\x94",             // —
    b"\xef\xbb\xbf",             // BOM
    b"\xe2\x80\x8b",             // zero-width space
    b"\xcc\x81",                 // combining acute
    b"\xd8\xa7\xd9\x84",         // Arabic
    b"\xe4\xb8\xad\xe6\x96\x87", // Chinese
    b"\xf0\x9f\x98\x80",         // emoji
    b"\xef\xac\x81",             // ﬁ ligature (NFKC expands it)
    b"\xe2\x85\xa8",             // Ⅸ (NFKC: IX)
    b"\xe9",                     // Latin-1 é
    b"\x93",                     // Windows-1252 “
    b"\xff\xfe",                 // a UTF-16 BOM
    b"\xc3",                     // a cut UTF-8 sequence
    b"\xed\xa0\x80",             // a surrogate in UTF-8
];

/// JSON syntax, field names, escapes and values, and text.
const JSON_TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b"\"",
    b"\"id\"",
    b"\"text\"",
    b"\"source\"",
    b"\"published\"",
    b"\"title\"",
    b"\"id\":",
    b"\"text\":",
    b"\"id\":1,",
    b"\"id\":\"a\",",
    b"\"text\":\"",
    b"\\",
    b"\\n",
    b"\\\"",
    b"\\u00e9",
    b"\\ud83d",
    b"\\ude00",
    b"\\u0000",
    b"\\x",
    b"0",
    b"-1",
    b"1e999",
    b"1.5",
    b"18446744073709551616",
    b"null",
    b"true",
    b"false",
    b"\"2024-03-01T09:00:00Z\"",
    b"\n",
    b"\r\n",
    b" ",
    b"\xef\xbb\xbf",
    b"\xe9",
    b"\xc3",
    b"{\"id\":\"x\",\"text\":\"The council approved the budget.\"}\n",
    b"{\"id\":7,\"text\":\"Share this article\\nThe harbour opened.\",\"source\":\"S\"}\n",
];

/// A JSON record stream: JSONL (first byte anything but `[`) or an array.
fn json_input(rng: &mut ChaCha8Rng, array: bool) -> Vec<u8> {
    let mut bytes = splice(rng, JSON_TOKENS, 60);
    let text = splice(rng, TEXT_TOKENS, 20);
    // Sometimes a whole valid record with arbitrary text, escaped or raw.
    if rng.random_bool(0.5) {
        let text = String::from_utf8_lossy(&text);
        let record = serde_json::json!({"id": rng.random::<u32>(), "text": text});
        bytes.extend_from_slice(record.to_string().as_bytes());
        bytes.push(b'\n');
    }
    if array {
        let mut out = b"[".to_vec();
        out.extend_from_slice(&bytes);
        if rng.random_bool(0.7) {
            out.push(b']');
        }
        out
    } else {
        if bytes.first() == Some(&b'[') {
            bytes[0] = b' ';
        }
        bytes
    }
}

fn read_options(rng: &mut ChaCha8Rng) -> ReadOptions {
    ReadOptions {
        strict: rng.random_bool(0.2),
        keep_records: rng.random_bool(0.5),
        ..ReadOptions::default()
    }
}

/// Reads JSON input; checks that every record is a document or a skip, and returns the corpus.
fn check_json(input: &[u8], options: &ReadOptions) {
    let mut corpus = Corpus::new();
    let result = corpus.read_json_from(input, "fuzz.json", options);
    let first = input.iter().find(|b| !b.is_ascii_whitespace());
    let is_array = first == Some(&b'[');
    match result {
        Err(reprint::error::InputError::Rejected(_)) => assert!(options.strict),
        Err(other) => panic!("an error reading from memory: {other}"),
        Ok(()) => {
            let accounted = corpus.len() + corpus.skipped().len();
            if is_array {
                let decoded = decode(input);
                let elements: Option<Vec<&serde_json::value::RawValue>> =
                    serde_json::from_str(&decoded.text).ok();
                match elements {
                    Some(elements) => assert_eq!(accounted, elements.len()),
                    None => assert_eq!((corpus.len(), corpus.skipped().len()), (0, 1)),
                }
            } else {
                let records = input
                    .split(|&b| b == b'\n')
                    .filter(|line| !decode_record(line).text.trim().is_empty())
                    .count();
                assert_eq!(accounted, records, "documents and skips, one per record");
            }
            for doc in corpus.documents() {
                assert!(!doc.text.trim().is_empty());
                assert_eq!(doc.record.is_some(), options.keep_records);
            }
        }
    }
}

#[test]
fn fuzz_jsonl_reader() {
    fuzz(
        "jsonl",
        |rng| (json_input(rng, false), read_options(rng)),
        |(input, options)| check_json(input, options),
    );
}

#[test]
fn fuzz_json_array_reader() {
    fuzz(
        "json-array",
        |rng| (json_input(rng, true), read_options(rng)),
        |(input, options)| check_json(input, options),
    );
}

#[test]
fn fuzz_text_file_reader_in_any_encoding() {
    fuzz(
        "text-file",
        |rng| {
            let mut bytes = splice(rng, TEXT_TOKENS, 80);
            // Sometimes UTF-16, with or without a byte order mark.
            if rng.random_bool(0.2) {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let le = rng.random_bool(0.5);
                bytes = text
                    .encode_utf16()
                    .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
                    .collect();
                if rng.random_bool(0.5) {
                    let bom: &[u8] = if le { b"\xff\xfe" } else { b"\xfe\xff" };
                    bytes.splice(0..0, bom.iter().copied());
                }
                if rng.random_bool(0.3) && !bytes.is_empty() {
                    bytes.pop(); // an odd length
                }
            }
            bytes
        },
        |bytes| {
            let decoded = decode(bytes);
            if let Ok(text) = std::str::from_utf8(bytes) {
                if !text.starts_with('\u{feff}') && decoded.decoding.is_none() {
                    assert_eq!(decoded.text, text, "UTF-8 is read as it is");
                }
            }
            let mut corpus = Corpus::new();
            corpus
                .add_text(bytes, Path::new("dir/a.txt"), &ReadOptions::default())
                .expect("not strict: never an error");
            assert_eq!(corpus.len() + corpus.skipped().len(), 1);
            assert_eq!(
                corpus.warnings().len(),
                usize::from(decoded.decoding.is_some())
            );
        },
    );
}

/// Rule scopes, names and regex syntax.
const RULE_TOKENS: &[&[u8]] = &[
    b"line ",
    b"line<=",
    b"line<=80 ",
    b"line<=0 ",
    b"line<=99999999999999999999 ",
    b"rest ",
    b"lines ",
    b"# ",
    b"\n",
    b"  ",
    b"\t",
    b"family/name ",
    b"x ",
    b"^",
    b"$",
    b"(?:",
    b"(",
    b")",
    b"|",
    b"\\b",
    b"\\s*",
    b"\\s+",
    b"\\w+",
    b".{0,120}",
    b"{2,}",
    b"{",
    b"}",
    b"[a-z]",
    b"[",
    b"]",
    b"*",
    b"+",
    b"?",
    b"\\",
    b"(?-i)",
    b"(?i)",
    b"(?P<n>",
    b"share this",
    b"read more",
    b"\xc3\xa9",
    b"\xe9",
];

#[test]
fn fuzz_rules_files() {
    fuzz(
        "rules",
        |rng| splice(rng, RULE_TOKENS, 40),
        |bytes| {
            let text = String::from_utf8_lossy(bytes);
            if let Ok(rules) = Rules::none().with_text(&text, "fuzz.txt") {
                // Rules that compile strip any text without panicking.
                let line = "Share this article, read more here";
                let _ = rules.matching(line);
            }
        },
    );
}

/// Config keys and values, valid and not.
const CONFIG_TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b",",
    b":",
    b"\"shingle_size\":",
    b"\"num_perm\":",
    b"\"candidate_threshold\":",
    b"\"near_duplicate\":",
    b"\"excerpt_containment\":",
    b"\"content_threshold\":",
    b"\"anchor_sampling\":",
    b"\"min_shared_anchors\":",
    b"\"anchor_max_df\":",
    b"\"min_words\":",
    b"\"max_bucket\":",
    b"\"seed\":",
    b"\"boilerplate\":",
    b"\"max_share\":",
    b"\"min_df\":",
    b"\"learn\":",
    b"\"builtin_rules\":",
    b"\"short_words\":",
    b"\"unknown\":",
    b"0",
    b"1",
    b"2",
    b"3",
    b"16",
    b"1024",
    b"100000",
    b"0.5",
    b"1.0",
    b"-1",
    b"1e300",
    b"NaN",
    b"true",
    b"false",
    b"null",
    b"\"x\"",
    b" ",
];

fn fuzz_corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let story = "The council approved the new budget for schools and roads on Monday \
                     evening after a long debate about the cost of the harbour bridge.";
        Corpus::from_documents([
            Document::new("a", story),
            Document::new("b", format!("{story}\nShare this article")),
            Document::new(
                "c",
                "Heavy rain flooded several streets in the old town overnight.",
            ),
        ])
    })
}

/// Every setting, and values at and beyond their bounds.
const CONFIG_KEYS: &[&str] = &[
    "shingle_size",
    "num_perm",
    "candidate_threshold",
    "near_duplicate",
    "excerpt_containment",
    "align_content",
    "align_coverage",
    "spun_substitution",
    "align_immutables",
    "align_max_edits",
    "content_threshold",
    "anchor_sampling",
    "min_shared_anchors",
    "anchor_containment",
    "anchor_max_df",
    "min_words",
    "max_bucket",
    "seed",
];
const BOILERPLATE_KEYS: &[&str] = &[
    "builtin_rules",
    "learn",
    "max_share",
    "min_df",
    "min_source_df",
    "short_words",
    "max_block_share",
];
const CONFIG_VALUES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "7",
    "15",
    "16",
    "17",
    "64",
    "1024",
    "1025",
    "100000",
    "18446744073709551615",
    "0.0",
    "1e-300",
    "0.01",
    "0.5",
    "0.99",
    "1.0",
    "1.01",
    "-1",
    "1e300",
    "true",
    "false",
    "null",
    "\"x\"",
];

/// A config file: mostly well-formed JSON with any subset of the settings at any value, otherwise
/// tokens spliced with arbitrary bytes.
fn config_input(rng: &mut ChaCha8Rng) -> Vec<u8> {
    if rng.random_bool(0.2) {
        let mut bytes = b"{".to_vec();
        bytes.extend(splice(rng, CONFIG_TOKENS, 30));
        return bytes;
    }
    let entry = |keys: &[&str], rng: &mut ChaCha8Rng| {
        let key = keys[rng.random_range(0..keys.len())];
        let value = CONFIG_VALUES[rng.random_range(0..CONFIG_VALUES.len())];
        format!("\"{key}\": {value}")
    };
    let mut entries: Vec<String> = (0..rng.random_range(0..6))
        .map(|_| entry(CONFIG_KEYS, rng))
        .collect();
    if rng.random_bool(0.5) {
        let inner: Vec<String> = (0..rng.random_range(0..4))
            .map(|_| entry(BOILERPLATE_KEYS, rng))
            .collect();
        entries.push(format!("\"boilerplate\": {{{}}}", inner.join(", ")));
    }
    format!("{{{}}}", entries.join(", ")).into_bytes()
}

#[test]
fn fuzz_config_files() {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    let (parsed, valid) = (AtomicUsize::new(0), AtomicUsize::new(0));
    fuzz("config", config_input, |bytes| {
        let Ok(config) = serde_json::from_slice::<Config>(bytes) else {
            return;
        };
        parsed.fetch_add(1, Relaxed);
        // A config that validates runs.
        if config.validate().is_ok() {
            valid.fetch_add(1, Relaxed);
            let deduper = Deduper::new(config).expect("a valid config makes a deduper");
            let outcome = deduper.run(fuzz_corpus(), &NoProgress);
            assert!(outcome.pairs.len() <= 3);
        }
    });
    eprintln!(
        "config: {} parsed, {} valid and run",
        parsed.into_inner(),
        valid.into_inner()
    );
}

fn deduper() -> &'static Deduper {
    static DEDUPER: OnceLock<Deduper> = OnceLock::new();
    DEDUPER.get_or_init(|| Deduper::new(Config::default()).unwrap())
}

fn text(rng: &mut ChaCha8Rng) -> String {
    decode(&splice(rng, TEXT_TOKENS, 120)).text.into_owned()
}

#[test]
fn fuzz_strip() {
    fuzz("strip", text, |text| {
        let stripped = deduper().stripper().strip(text);
        let body = stripped.body(text);
        assert!(body.len() <= text.len() + text.lines().count());
        assert!((0.0..=1.0).contains(&stripped.removed_share()));
    });
}

#[test]
fn fuzz_compare() {
    fuzz(
        "compare",
        |rng| {
            let a = text(rng);
            // Often a variant of the first: copies are where the measures work hardest.
            let b = if rng.random_bool(0.5) {
                let mut b = a.clone();
                b.push_str(&text(rng));
                b
            } else {
                text(rng)
            };
            (a, b)
        },
        |(a, b)| {
            let cmp = deduper().compare(&Document::new("a", a), &Document::new("b", b));
            if cmp.lacks_text() {
                assert!(cmp.verdict.is_none());
            }
            if let Some(v) = &cmp.verdict {
                assert!((0.0..=1.0).contains(&v.score), "score {}", v.score);
            }
        },
    );
}

#[test]
fn fuzz_dedupe_run() {
    fuzz(
        "dedupe",
        |rng| {
            let base = text(rng);
            (0..rng.random_range(1..6))
                .map(|_| match rng.random_range(0..3) {
                    0 => base.clone(),
                    1 => format!("{base}{}", text(rng)),
                    _ => text(rng),
                })
                .collect::<Vec<String>>()
        },
        |texts| {
            let corpus = Corpus::from_documents(
                texts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| Document::new(i.to_string(), t.clone())),
            );
            let outcome = deduper().run(&corpus, &NoProgress);
            for pair in &outcome.pairs {
                assert!(pair.a < pair.b);
                assert!((0.0..=1.0).contains(&pair.verdict.score));
            }
            for d in outcome.without_text() {
                assert!(outcome.pairs.iter().all(|p| p.a != d && p.b != d));
            }
        },
    );
}
