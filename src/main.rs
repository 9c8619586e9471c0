//! The `reprint` command line: arguments → `Config` → library calls → files and a summary.
//!
//! Exit codes: 0 success (skipped records are reported, not fatal); 1 from `compare` when the two
//! articles are not copies; 2 an error: bad usage, unreadable input, a rejected record under
//! `--strict`, an output file that cannot be written. A closed stdout (`reprint dedupe … | head`)
//! ends the run quietly.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

mod index_cmd;

use reprint::boilerplate::Rules;
use reprint::corpus::decode;
use reprint::report::load::load_outcome;
use reprint::report::{explain, html};
use reprint::report::{write_clusters, write_keep, write_pairs, write_pairs_csv, OutputSet};
use reprint::{Config, Corpus, Deduper, Document, Input, NoProgress, Progress, ReadOptions};

mod cli;
use cli::progress::Bar;
use cli::summary;

#[derive(Parser)]
#[command(
    name = "reprint",
    version,
    about = "Find duplicated, syndicated, excerpted and spun copies of news articles.",
    long_about = "reprint finds copies of news articles in a corpus: wire copy reprinted by many \
outlets, trimmed or updated versions, excerpts, and machine-reworded (spun) copies. It tells them \
apart from articles that are merely about the same event, and picks the original of each cluster.",
    after_help = "Examples:\n  \
  reprint dedupe articles/                       pairs as JSON Lines on stdout\n  \
  reprint dedupe feed.jsonl --pairs pairs.jsonl --clusters clusters.json --keep unique.jsonl\n  \
  cat feed.jsonl | reprint dedupe - --text-field body"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find the copies in a corpus: pairs, clusters and the deduplicated set.
    #[command(
        long_about = "Find the copies in a corpus.\n\n\
Each INPUT is a directory (every .txt/.md file below it is one article, its id the file's path as \
given, e.g. outA/story.txt; hidden files and folders are passed over unless --hidden), a .jsonl \
file (one {\"id\": …, \"text\": …} object a line; other fields such as source, published, url are \
kept as metadata), a .json file holding one array of such objects, or - for JSONL (or a JSON \
array) on stdin. Inputs may be mixed.\n\n\
Unusable records (malformed JSON, empty texts, duplicate ids, unreadable files such as dangling \
links) are skipped with a warning naming file and line, and counted in the summary; --strict makes \
the first one fatal. Text that is not UTF-8 is read as UTF-16 (by its byte order mark) or, byte by \
byte, as Windows-1252 (Latin-1), with a warning naming the first such byte.\n\n\
Output files are checked before the run and replaced together at its end: a run that fails or is \
interrupted (Ctrl-C: exit 130; SIGTERM: 143) leaves every earlier file as it was and no temporary \
file behind. Without --pairs, --clusters, --keep or --report, the pairs are written to stdout as \
JSON Lines; with any of them, nothing goes to stdout.",
        after_help = "Output:\n  \
  pairs     one JSON object a line, with the fields\n              \
a, b                 the two ids\n              \
kind                 exact, near_duplicate, version, excerpt, spun or partial\n              \
score                confidence in [0, 1]\n              \
jaccard              word 3-gram Jaccard of the stripped bodies\n              \
containment          word 3-grams of the shorter body found in the longer\n              \
content_jaccard      Jaccard of the content-word sets\n              \
aligned_sentences    aligned sentence pairs (pairs that were aligned only)\n              \
aligned_share        share of the less-covered text in aligned sentences\n              \
substitution_rate    share of aligned words swapped one-for-one\n              \
edit_rate            share of aligned words changed in any way\n              \
swapped_sentences    share of aligned sentences with a one-for-one swap\n              \
immutables           share of numbers and names the texts agree on\n              \
stripped_a/_b        share of each text removed as boilerplate\n              \
passage              (version, partial) the longest shared passage\n            \
version: another edition of the story; partial: different articles sharing several\n            \
paragraphs, or a version by which one document would join two otherwise unlinked\n            \
groups (reported, never clustered; `index add` and `index check`, judging one pair at a time, \
list such a link as `version`, `index export` as `partial`)\n            \
(--format csv: id_a, id_b, kind, score, title_a, title_b, source_a, source_b)\n  \
  clusters  {\"clusters\": [{\"canonical\", \"reason\", \"size\", \"members\": [{\"id\", \"kind\", \"score\", \"via\"}]}]}\n  \
  keep      the input records of every canonical document and every document with no copy, as \
JSON Lines: each JSONL record byte for byte as read (a JSON array's records one a line; a text \
file as {\"id\", \"text\"})\n  \
  report    one HTML file for editors: overview, groups of copies, each copy beside its original\n\n\
Exit status: 0 done (also when a reader closes stdout early, as `| head` does), 2 error (bad \
usage, unreadable input, a rejected record under --strict, an output that cannot be written), 130 \
interrupted by Ctrl-C, 143 by SIGTERM."
    )]
    Dedupe(DedupeArgs),

    /// Print articles with their boilerplate removed; --explain shows what went and why.
    #[command(long_about = "Print articles with their boilerplate removed.\n\n\
A .txt/.md file (or a directory of them) is printed as cleaned text. A .jsonl file or - (JSONL on \
stdin) is printed as JSONL with each text replaced by its cleaned body; over a corpus, chrome is also \
learned from lines that recur across otherwise different documents, exactly as `dedupe` does.\n\n\
With --explain, each removed span is listed instead, with the rule (or learned pattern) that removed \
it, as `id<TAB>rule<TAB>text`.\n\n\
Rules files (--boilerplate FILE) add to the built-in rules, one rule a line: SCOPE NAME PATTERN, \
where SCOPE is `line` (remove each matching line), `line<=N` (only lines of at most N bytes) or \
`rest` (remove the matching line and what follows it, for link lists and comment sections); NAME \
is shown by --explain; PATTERN is a regex matched case-insensitively against each trimmed line. \
Lines starting with # are comments. `reprint rules` prints the built-in rules with the format \
explained in full.")]
    Strip(StripArgs),

    /// Compare two articles and explain the verdict: kind, score, aligned sentences, what was stripped.
    #[command(
        override_usage = "reprint compare [OPTIONS] <A> <B>\n       \
reprint compare [OPTIONS] <FEED> <ID1> <ID2>",
        long_about = "Compare two articles and explain the verdict.\n\n\
The articles are two text files, or two ids in a corpus: a .jsonl or .json file, a directory, or - \
for JSONL on stdin. Both are stripped of boilerplate by the rules (learning needs a corpus), then \
measured as `dedupe` measures a candidate pair: word-shingle overlap, content-word overlap, and a \
sentence alignment, which is shown sentence by sentence. An article with no text left once \
stripped (a page of nothing but site chrome) is nobody's copy. The exit status is 0 if they are \
copies, 1 if not (a `partial` pair, two articles sharing a passage, is not), 2 on errors, so \
scripts can test it."
    )]
    Compare(CompareArgs),

    /// Print the built-in boilerplate rules, with the rules-file format they and --boilerplate use.
    Rules,

    /// Make the editors' HTML report from an earlier run's --pairs and --clusters files.
    #[command(
        long_about = "Make the editors' HTML report from an earlier run's results.\n\n\
Give the same inputs (and the same --boilerplate, --config, --no-learn) as the `dedupe` run that wrote \
the pairs and clusters files: the corpus is read and stripped again to show each text with its \
chrome, and each copy is aligned with its original for the side-by-side view. The report is the one \
`dedupe --report` writes.",
        after_help = "Example:\n  \
  reprint dedupe feed.jsonl --pairs pairs.jsonl --clusters clusters.json\n  \
  reprint report feed.jsonl --pairs pairs.jsonl --clusters clusters.json -o report.html"
    )]
    Report(ReportArgs),

    /// An incremental, persistent index: add articles as they arrive, check new ones against it.
    #[command(subcommand)]
    Index(index_cmd::IndexCommand),

    /// Serve an index over HTTP to ingestion workers: check, add, remove, stats, metrics.
    #[cfg(feature = "server")]
    #[command(
        long_about = "Serve an index over HTTP, so that ingestion workers on many machines share it.\n\n\
Every route but /healthz needs `Authorization: Bearer TOKEN`, the token read from --token-file or \
the REPRINT_TOKEN environment variable (there is no default token). JSON in and out:\n\n  \
POST   /v1/check            one document {\"id\", \"text\", ...}: its matches; nothing stored\n  \
POST   /v1/documents        one document or an array: adds them in one transaction, answers the\n                       \
matches of each in order; a 2xx answer means they are on disk\n  \
GET    /v1/documents/ID     the stored metadata and cluster of ID\n  \
DELETE /v1/documents/ID     removes ID\n  \
GET    /v1/stats            the index's counts and sizes\n  \
GET    /metrics             Prometheus text: requests, latencies, index size\n  \
GET    /healthz             \"ok\", without a token\n\n\
Bodies over --max-body are refused (413), malformed JSON or a missing field is a 400 naming it, and \
a request running past --timeout is answered 503. SIGINT or SIGTERM stops accepting connections, \
lets requests in flight finish, and exits 0. Several servers and `reprint index` commands may use \
one index at once.",
        after_help = "Example:\n  \
  reprint index create idx\n  \
  head -c 32 /dev/urandom | base64 > token\n  \
  reprint serve idx --token-file token &\n  \
  curl -s -H \"Authorization: Bearer $(cat token)\" -d '{\"id\": \"a1\", \"text\": \"...\"}' \\\n       \
http://127.0.0.1:8750/v1/documents"
    )]
    Serve(ServeArgs),
}

#[cfg(feature = "server")]
#[derive(Args)]
struct ServeArgs {
    /// The index directory (made by `reprint index create`).
    #[arg(value_name = "IDX")]
    index: PathBuf,

    /// Address and port to listen on; loopback unless told otherwise.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8750")]
    listen: std::net::SocketAddr,

    /// File holding the bearer token (surrounding white space ignored); else $REPRINT_TOKEN.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,

    /// Largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 10 * 1024 * 1024)]
    max_body: usize,

    /// Most documents in one POST /v1/documents.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    max_batch: usize,

    /// Seconds a request may run before it is answered 503.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    timeout: f64,
}

#[derive(Args)]
struct ReportArgs {
    /// The inputs of the run: directories, .jsonl files, or - for JSONL on stdin.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,

    /// The run's pairs (JSON Lines, as written by `dedupe --pairs`).
    #[arg(long, value_name = "FILE")]
    pairs: PathBuf,

    /// The run's clusters (JSON, as written by `dedupe --clusters`).
    #[arg(long, value_name = "FILE")]
    clusters: PathBuf,

    /// Write the report here.
    #[arg(long, short, value_name = "FILE", default_value = "report.html")]
    output: PathBuf,

    /// Show only this group in full, whatever its size: its number in the report, or the id of any
    /// of its articles. Repeat for several groups.
    #[arg(long, value_name = "ID")]
    group: Vec<String>,

    #[command(flatten)]
    scope: ReportScope,

    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
struct CompareArgs {
    /// Two text files (A B), or a corpus and two ids in it (FEED ID1 ID2).
    #[arg(required = true, num_args = 2..=3, value_name = "ARTICLE")]
    articles: Vec<String>,
    /// The JSONL field holding each document's id (with FEED).
    #[arg(long, default_value = "id", value_name = "NAME")]
    id_field: String,
    /// The JSONL field holding each document's text (with FEED).
    #[arg(long, default_value = "text", value_name = "NAME")]
    text_field: String,
    /// Print the comparison as one JSON object.
    #[arg(long)]
    json: bool,
    /// Add boilerplate rules from FILE (same format as the built-in rules; see `reprint rules`).
    #[arg(long, value_name = "FILE")]
    boilerplate: Option<PathBuf>,
}

#[derive(Args)]
struct StripArgs {
    /// A text file, a directory, a .jsonl file, or - for JSONL on stdin.
    #[arg(value_name = "INPUT")]
    input: String,

    /// List each removed span with the rule that removed it, instead of the cleaned text.
    #[arg(long)]
    explain: bool,

    /// Add boilerplate rules from FILE (same format as the built-in rules; see `reprint rules`).
    #[arg(long, value_name = "FILE")]
    boilerplate: Option<PathBuf>,

    /// Do not learn chrome from the corpus; apply the rules only.
    #[arg(long)]
    no_learn: bool,

    /// The JSONL field holding each document's id.
    #[arg(long, default_value = "id", value_name = "NAME")]
    id_field: String,

    /// The JSONL field holding each document's text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    text_field: String,

    /// Also read hidden files and directories (names starting with `.`) below a directory.
    #[arg(long)]
    hidden: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Jsonl,
    Csv,
}

#[derive(Args)]
struct DedupeArgs {
    /// Directories, .jsonl files, or - for JSONL on stdin.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,

    /// Write verified pairs here (JSON Lines).
    #[arg(long, value_name = "FILE")]
    pairs: Option<PathBuf>,

    /// Write clusters here (JSON), largest first, each with its canonical original.
    #[arg(long, value_name = "FILE")]
    clusters: Option<PathBuf>,

    /// Write the deduplicated corpus here (JSON Lines): canonical documents and singletons.
    #[arg(long, value_name = "FILE")]
    keep: Option<PathBuf>,

    /// Write the editors' report here: one self-contained HTML file (overview, score chart, groups of
    /// copies with their originals, each copy side by side with its original).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,

    #[command(flatten)]
    scope: ReportScope,

    /// Format of the pair list (--pairs, or stdout): JSON Lines with every measure, or CSV for
    /// spreadsheets (id_a, id_b, kind, score, title_a, title_b, source_a, source_b).
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,

    #[command(flatten)]
    run: RunArgs,
}

/// How much of a run the editors' report shows in full.
#[derive(Args)]
struct ReportScope {
    /// Show at most N groups of copies in full in the report (largest first, with their texts and
    /// side-by-side views); the others are listed, and `reprint report --group` opens any of them.
    /// [default: 500, and no more than 8 MB of article text, which keeps a report of any corpus
    /// under some 30 MB]
    #[arg(long, value_name = "N")]
    max_groups: Option<usize>,
}

impl ReportScope {
    /// The report's options: an explicit --max-groups lifts the limit on text.
    fn options(&self) -> html::ReportOptions {
        match self.max_groups {
            Some(max_groups) => html::ReportOptions {
                max_groups,
                max_text_bytes: None,
                groups: Vec::new(),
            },
            None => html::ReportOptions::default(),
        }
    }
}

/// How a corpus is read and compared: shared by `dedupe` and `report`, which must read a corpus
/// the same way.
#[derive(Args)]
struct RunArgs {
    /// The JSONL field holding each document's id.
    #[arg(long, default_value = "id", value_name = "NAME")]
    id_field: String,

    /// The JSONL field holding each document's text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    text_field: String,

    /// Stop at the first unusable record instead of skipping it.
    #[arg(long)]
    strict: bool,

    /// Also read hidden files and directories (names starting with `.`) below input directories.
    #[arg(long)]
    hidden: bool,

    /// No progress bar and no summary on stderr (warnings and errors still appear).
    #[arg(long, short)]
    quiet: bool,

    /// Add boilerplate rules from FILE (same format as the built-in rules; see `reprint rules`).
    #[arg(long, value_name = "FILE")]
    boilerplate: Option<PathBuf>,

    /// Do not learn chrome from the corpus; apply the boilerplate rules only.
    #[arg(long)]
    no_learn: bool,

    /// Read settings from a JSON file (see `Config` in the library docs); flags override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Jaccard similarity around which documents become candidates [default: 0.3].
    #[arg(long, value_name = "J")]
    candidate_threshold: Option<f64>,

    /// Verified Jaccard at which a pair is a near-duplicate [default: 0.5].
    #[arg(long, value_name = "J")]
    near_duplicate: Option<f64>,

    /// Words per shingle [default: 3].
    #[arg(long, value_name = "N")]
    shingle_size: Option<usize>,

    /// MinHash positions per signature [default: 128].
    #[arg(long, value_name = "N")]
    num_perm: Option<usize>,
}

impl RunArgs {
    /// The deduper these settings make, and the corpus of `inputs` (skips reported).
    fn read(&self, inputs: &[String], keep_records: bool, bar: &Bar) -> Result<(Deduper, Corpus)> {
        let config = self.config()?;
        config.validate()?;
        let options = self.read_options(keep_records);
        // Compiling the boilerplate rules takes some 40–45 ms: it runs while the corpus is read.
        bar.spin("reading");
        let (deduper, corpus) = std::thread::scope(|s| {
            let deduper = s.spawn(|| Deduper::with_user_rules(config, self.boilerplate.as_deref()));
            // Past the budget, texts wait in a temporary file and are read back when a stage needs
            // them: a million articles' texts would be most of the run's memory.
            let mut corpus = Corpus::with_text_budget(TEXT_BUDGET);
            let read = inputs
                .iter()
                .try_for_each(|arg| corpus.read(&Input::parse(arg), &options));
            let corpus = read.map(|()| corpus);
            let deduper = deduper.join().expect("rule compilation does not panic");
            (deduper, corpus)
        });
        bar.finish();
        let (deduper, corpus) = (deduper?, corpus?);
        report_skips(&corpus, inputs);
        Ok((deduper, corpus))
    }

    /// How to read the inputs; `keep_records` keeps each JSONL record's bytes (for `--keep`).
    fn read_options(&self, keep_records: bool) -> ReadOptions {
        ReadOptions {
            id_field: self.id_field.clone(),
            text_field: self.text_field.clone(),
            strict: self.strict,
            hidden: self.hidden,
            keep_records,
        }
    }

    fn config(&self) -> Result<Config> {
        let mut config = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("{}: cannot read config", path.display()))?;
                serde_json::from_str(&text)
                    .with_context(|| format!("{}: invalid config", path.display()))?
            }
            None => Config::default(),
        };
        if let Some(v) = self.candidate_threshold {
            config.candidate_threshold = v;
        }
        if let Some(v) = self.near_duplicate {
            config.near_duplicate = v;
        }
        if let Some(v) = self.shingle_size {
            config.shingle_size = v;
        }
        if let Some(v) = self.num_perm {
            config.num_perm = v;
        }
        if self.no_learn {
            config.boilerplate.learn = false;
        }
        Ok(config)
    }
}

/// The deduper for a config, with the built-in rules plus a user rules file if given.
fn strip(args: &StripArgs) -> Result<Status> {
    let mut config = Config::default();
    config.boilerplate.learn = !args.no_learn;
    let deduper = Deduper::with_user_rules(config, args.boilerplate.as_deref())?;
    let input = Input::parse(&args.input);
    let jsonl = match &input {
        Input::Stdin => true,
        Input::Path(p) => {
            p.is_file() && !matches!(p.extension().and_then(|e| e.to_str()), Some("txt" | "md"))
        }
    };
    let options = ReadOptions {
        id_field: args.id_field.clone(),
        text_field: args.text_field.clone(),
        strict: false,
        hidden: args.hidden,
        keep_records: false,
    };
    let mut corpus = Corpus::new();
    corpus.read(&input, &options)?;
    report_skips(&corpus, std::slice::from_ref(&args.input));
    let (stripped, _) = deduper.strip_corpus(&corpus, &NoProgress);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for (doc, s) in corpus.documents().iter().zip(&stripped) {
        if args.explain {
            if let Some(share) = s.refused() {
                writeln!(
                    out,
                    "{}\t(refused)\twould have removed {:.0}% of the text; rest blocks and learned lines kept",
                    doc.id,
                    share * 100.0
                )?;
            }
            for r in s.removals() {
                let text = doc.text[r.range.clone()].replace('\n', " ⏎ ");
                writeln!(out, "{}\t{}\t{}", doc.id, r.rule, text)?;
            }
        } else if jsonl {
            let mut record = serde_json::Map::new();
            record.insert(args.id_field.clone(), doc.id.clone().into());
            record.insert(args.text_field.clone(), s.body(&doc.text).into());
            for (k, v) in &doc.meta {
                record.entry(k.clone()).or_insert_with(|| v.clone());
            }
            serde_json::to_writer(&mut out, &record)?;
            writeln!(out)?;
        } else {
            if corpus.len() > 1 {
                writeln!(out, "==> {} <==", doc.id)?;
            }
            writeln!(out, "{}", s.body(&doc.text))?;
        }
    }
    out.flush()?;
    Ok(Status::Done)
}

/// Bytes of text a batch run holds in memory; a larger corpus's texts go to a temporary file.
const TEXT_BUDGET: usize = 256 << 20;

fn dedupe(args: &DedupeArgs) -> Result<Status> {
    let started = Instant::now();
    // Every destination is checked before the run: a path that cannot be written fails at once.
    let mut outputs = OutputSet::new();
    let mut slot = |path: &Option<PathBuf>| path.as_deref().map(|p| outputs.add(p)).transpose();
    let (pairs_out, clusters_out, keep_out, report_out) = (
        slot(&args.pairs)?,
        slot(&args.clusters)?,
        slot(&args.keep)?,
        slot(&args.report)?,
    );
    let bar = Bar::new(args.run.quiet);
    let (deduper, corpus) = args.run.read(&args.inputs, args.keep.is_some(), &bar)?;
    let reading = started.elapsed();

    let outcome = deduper.run(&corpus, &bar);
    let writing = Instant::now();
    bar.spin("writing");

    let pairs = |w: &mut dyn Write| match args.format {
        Format::Jsonl => write_pairs(w, &corpus, &outcome),
        Format::Csv => write_pairs_csv(w, &corpus, &outcome),
    };
    if let Some(slot) = pairs_out {
        outputs.write(slot, pairs)?;
    }
    if let Some(slot) = clusters_out {
        outputs.write(slot, |w| write_clusters(w, &corpus, &outcome))?;
    }
    if let Some(slot) = keep_out {
        outputs.write(slot, |w| write_keep(w, &corpus, &outcome))?;
    }
    let mut report_note = None;
    if let Some(slot) = report_out {
        outputs.write(slot, |w| {
            let options = args.scope.options();
            let coverage = html::write_report(w, &corpus, &outcome, &deduper, &options, &bar)?;
            report_note = coverage.left_out();
            Ok(())
        })?;
    }
    outputs.commit()?;
    let wrote_file = [pairs_out, clusters_out, keep_out, report_out]
        .iter()
        .any(Option::is_some);
    if !wrote_file {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        pairs(&mut out)?;
        out.flush()?;
    }
    bar.finish();
    if !args.run.quiet {
        let extras = summary::Extras {
            reading,
            writing: writing.elapsed(),
            report_note,
            peak_memory: reprint::Stats::peak_memory(),
        };
        // The summary goes to a terminal or a log; a failed write there is not worth failing the
        // run.
        let _ = summary::write_summary(&mut io::stderr().lock(), &corpus, &outcome, &extras);
    }
    // The process ends here: freeing every document, pair and verdict one allocation at a time
    // would take a noticeable share of the run (75 ms of 1.3 s on a 20,000-article corpus), and the
    // operating system reclaims it all at once.
    std::mem::forget((corpus, outcome, deduper));
    Ok(Status::Done)
}

fn report(args: &ReportArgs) -> Result<Status> {
    let mut outputs = OutputSet::new();
    let slot = outputs.add(&args.output)?;
    let bar = Bar::new(args.run.quiet);
    let (deduper, corpus) = args.run.read(&args.inputs, false, &bar)?;
    let outcome = load_outcome(&deduper, &corpus, &args.pairs, &args.clusters, &bar)?;
    let mut options = args.scope.options();
    for id in &args.group {
        let group = html::find_group(&corpus, &outcome, id).with_context(|| {
            format!(
                "--group {id}: no group has this number or an article with this id ({} groups)",
                outcome.clusters.len()
            )
        })?;
        options.groups.push(group);
    }
    let mut coverage = None;
    outputs.write(slot, |w| {
        coverage = Some(html::write_report(
            w, &corpus, &outcome, &deduper, &options, &bar,
        )?);
        Ok(())
    })?;
    outputs.commit()?;
    if !args.run.quiet {
        eprintln!(
            "reprint: report of {}, {}, {} written to {}",
            summary::count(corpus.len(), "document", "documents"),
            summary::count(outcome.pairs.len(), "pair", "pairs"),
            summary::count(outcome.clusters.len(), "group", "groups"),
            args.output.display()
        );
        if let Some(note) = coverage.and_then(|c| c.left_out()) {
            let _ = summary::field(&mut io::stderr().lock(), "report:", &note);
        }
    }
    Ok(Status::Done)
}

const MAX_SKIP_LINES: usize = 20;

/// Warns of every record skipped or decoded from another encoding (the first few of each), and of
/// inputs that gave no article at all.
fn report_skips(corpus: &Corpus, inputs: &[String]) {
    let skipped = corpus.skipped();
    for skip in skipped.iter().take(MAX_SKIP_LINES) {
        eprintln!("warning: skipped {skip}");
    }
    if skipped.len() > MAX_SKIP_LINES {
        eprintln!(
            "warning: … and {} more skipped records",
            skipped.len() - MAX_SKIP_LINES
        );
    }
    let warnings = corpus.warnings();
    for warning in warnings.iter().take(MAX_SKIP_LINES) {
        eprintln!("warning: {warning}");
    }
    if warnings.len() > MAX_SKIP_LINES {
        eprintln!(
            "warning: … and {} more records decoded from another encoding",
            warnings.len() - MAX_SKIP_LINES
        );
    }
    if corpus.is_empty() {
        let hint = if skipped.is_empty() {
            " (a directory is searched for .txt and .md files; hidden ones need --hidden)"
        } else {
            ""
        };
        eprintln!("warning: no articles found in {}{hint}", inputs.join(", "));
    }
}

/// How a command ended, when it did not fail.
enum Status {
    /// It did its job.
    Done,
    /// `compare`: the two articles are not copies.
    NotCopies,
}

fn compare(args: &CompareArgs) -> Result<Status> {
    let deduper = Deduper::with_user_rules(Config::default(), args.boilerplate.as_deref())?;
    let (a, b) = match args.articles.as_slice() {
        [a, b] => (read_article(a)?, read_article(b)?),
        [feed, id1, id2] => {
            let options = ReadOptions {
                id_field: args.id_field.clone(),
                text_field: args.text_field.clone(),
                ..ReadOptions::default()
            };
            let mut corpus = Corpus::new();
            corpus.read(&Input::parse(feed), &options)?;
            report_skips(&corpus, std::slice::from_ref(feed));
            let find = |id: &String| match corpus.lookup(id) {
                Some(d) => Ok(corpus.get(d).clone()),
                None => Err(anyhow::anyhow!("{feed}: no article with id {id:?}")),
            };
            (find(id1)?, find(id2)?)
        }
        _ => anyhow::bail!("compare takes two text files, or a corpus and two ids in it"),
    };
    let cmp = deduper.compare(&a, &b);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &explain::ComparisonRecord::new(&a, &b, &cmp))?;
        writeln!(out)?;
    } else {
        explain::write_comparison(&mut out, &a, &b, &cmp)?;
    }
    out.flush()?;
    // A `partial` pair shares a passage but is two different articles: not copies.
    Ok(
        if cmp
            .verdict
            .as_ref()
            .is_some_and(|v| v.kind.joins_clusters())
        {
            Status::Done
        } else {
            Status::NotCopies
        },
    )
}

/// One article file for `compare`, in any encoding (a warning says how it was decoded); its id is
/// the file's name without extension.
fn read_article(path: &str) -> Result<Document> {
    let bytes = std::fs::read(path).with_context(|| path.to_string())?;
    let decoded = decode(&bytes);
    if let Some(decoding) = &decoded.decoding {
        eprintln!("warning: {path}: {decoding}");
    }
    let id = std::path::Path::new(path)
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    Ok(Document::new(id, decoded.text))
}

/// `reprint rules`: the built-in rules file, its format explained at its top.
fn rules() -> Result<Status> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(Rules::builtin_text().as_bytes())?;
    out.flush()?;
    Ok(Status::Done)
}

/// mimalloc: a run makes millions of small allocations from both threads (shingle sets, sentence
/// profiles, verdicts), and mimalloc's per-thread free lists take 7–9% off the whole run's time
/// compared with the system allocator (DESIGN.md, "Speed"). It asks for transparent huge pages
/// for its memory; only [`huge_pages`] runs take them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Whether a command runs on transparent huge pages: `dedupe` of files that together hold less
/// than [`TEXT_BUDGET`] (a corpus that keeps its texts in memory). Such a run touches some
/// 110,000 fresh 4 KB pages at 20,000 articles, a page fault each (0.15 s of the kernel's time
/// in a run of 0.85 s); in 2 MB pages, a few thousand. A huge page is held whole once touched:
/// a larger corpus (whose memory is bounded by design), an index or a server keep 4 KB pages. So
/// do inputs of unknown size (standard input, directories).
fn huge_pages(command: &Command) -> bool {
    let Command::Dedupe(args) = command else {
        return false;
    };
    let mut bytes = 0u64;
    for input in &args.inputs {
        match std::fs::metadata(input) {
            Ok(meta) if input != "-" && meta.is_file() => bytes += meta.len(),
            _ => return false,
        }
    }
    bytes < TEXT_BUDGET as u64
}

/// Keeps the process off transparent huge pages from here on (its later page faults take 4 KB
/// pages), as if mimalloc had been built without asking for them.
#[cfg(target_os = "linux")]
fn without_huge_pages() {
    // SAFETY: `prctl(PR_SET_THP_DISABLE)` takes plain integers and reads or writes no memory of
    // the process. Should it fail, the run goes on with huge pages.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn without_huge_pages() {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !huge_pages(&cli.command) {
        without_huge_pages();
    }
    // `serve` handles SIGINT and SIGTERM itself: it finishes the requests in flight first.
    #[cfg(feature = "server")]
    let serving = matches!(cli.command, Command::Serve(_));
    #[cfg(not(feature = "server"))]
    let serving = false;
    if !serving {
        on_interrupt_remove_temporaries();
    }
    let result = match &cli.command {
        Command::Dedupe(args) => dedupe(args),
        Command::Strip(args) => strip(args),
        Command::Compare(args) => compare(args),
        Command::Report(args) => report(args),
        Command::Index(command) => index_cmd::run(command),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve(args),
        Command::Rules => rules(),
    };
    match result {
        Ok(Status::Done) => ExitCode::SUCCESS,
        Ok(Status::NotCopies) => ExitCode::from(1),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// On SIGINT, SIGTERM or SIGHUP: removes the temporary files of the outputs being written (the
/// outputs already in place are untouched: they are replaced only all together, at the end), says
/// so in one line, and exits with 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM). A
/// signal ignored when reprint started (`nohup`, a script's background job) stays ignored.
#[cfg(unix)]
fn on_interrupt_remove_temporaries() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let handled: Vec<i32> = [SIGINT, SIGTERM, SIGHUP]
        .into_iter()
        .filter(|&s| !ignored(s))
        .collect();
    let Ok(mut signals) = signal_hook::iterator::Signals::new(handled) else {
        return; // Without the handler, an interruption may leave a temporary file: no reason to fail.
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let removed = reprint::report::remove_temporaries();
            let name = match signal {
                SIGINT => "SIGINT",
                SIGTERM => "SIGTERM",
                _ => "SIGHUP",
            };
            let what = match removed {
                0 => String::new(),
                1 => "; removed 1 unfinished output file".to_string(),
                n => format!("; removed {n} unfinished output files"),
            };
            // On a new line: a progress bar may be half drawn.
            let start = if io::stderr().is_terminal() { "\n" } else { "" };
            eprintln!(
                "{start}reprint: interrupted by {name}{what}; earlier outputs left as they were"
            );
            std::process::exit(128 + signal);
        }
    });
}

/// Whether `signal` is ignored (as `nohup` ignores SIGHUP): such a signal must stay ignored.
#[cfg(unix)]
fn ignored(signal: i32) -> bool {
    let mut current = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: with a null new action, `sigaction` only writes the current one into `current`,
    // which is valid for writes; it is read only if the call succeeded.
    unsafe {
        libc::sigaction(signal, std::ptr::null(), current.as_mut_ptr()) == 0
            && current.assume_init().sa_sigaction == libc::SIG_IGN
    }
}

#[cfg(not(unix))]
fn on_interrupt_remove_temporaries() {}

/// Whether an error is a closed pipe or stdout (`reprint … | head`): the reader has what it wanted,
/// so the run ends quietly with success. The one place this is decided, for every command and
/// every output (stdout, or a path such as `/dev/stdout`).
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let broken = |kind: io::ErrorKind| kind == io::ErrorKind::BrokenPipe;
    err.chain().any(|cause| {
        if let Some(e) = cause.downcast_ref::<io::Error>() {
            return broken(e.kind());
        }
        if let Some(e) = cause.downcast_ref::<serde_json::Error>() {
            return e.io_error_kind().is_some_and(broken);
        }
        if let Some(reprint::error::OutputError::Io { error, .. }) = cause.downcast_ref() {
            return broken(error.kind());
        }
        false
    })
}

/// `reprint serve`: the token, the index and the listener, then the server until SIGINT/SIGTERM.
#[cfg(feature = "server")]
fn serve(args: &ServeArgs) -> Result<Status> {
    let token = match &args.token_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the token file", path.display()))?,
        None => std::env::var("REPRINT_TOKEN")
            .context("no token: give --token-file FILE or set REPRINT_TOKEN")?,
    };
    let token = token.trim().to_string();
    anyhow::ensure!(
        token.len() >= 16,
        "the token must be at least 16 characters (e.g. `head -c 32 /dev/urandom | base64`)"
    );
    anyhow::ensure!(
        args.timeout > 0.0 && args.timeout.is_finite(),
        "--timeout must be a positive number of seconds"
    );
    let index = reprint::Index::open(&args.index)
        .with_context(|| format!("{}: cannot open the index", args.index.display()))?;
    let config = reprint::server::ServerConfig {
        listen: args.listen,
        token,
        max_body: args.max_body,
        timeout: Duration::from_secs_f64(args.timeout),
        max_batch: args.max_batch,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        // The address actually bound (port 0 picks a free one), for scripts and tests to read.
        eprintln!(
            "reprint serve: listening on http://{}",
            listener.local_addr()?
        );
        reprint::server::serve(
            listener,
            std::sync::Arc::new(index),
            config,
            shutdown_signal(),
        )
        .await
        .context("the server failed")?;
        eprintln!("reprint serve: stopped");
        Ok(Status::Done)
    })
}

/// Completes on SIGINT or SIGTERM.
#[cfg(feature = "server")]
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    eprintln!("reprint serve: stopping: finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Huge pages are taken by `dedupe` of files below the text budget only: not past it, not
    /// for standard input or a directory (sizes unknown), not for other commands.
    #[test]
    fn only_a_dedupe_of_files_below_the_text_budget_takes_huge_pages() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let small = dir.path().join("small.jsonl");
        std::fs::write(&small, "{\"id\": \"a\", \"text\": \"x\"}\n").expect("written");
        // A sparse file: its length is past the budget, its blocks are not written.
        let large = dir.path().join("large.jsonl");
        let file = std::fs::File::create(&large).expect("created");
        file.set_len(TEXT_BUDGET as u64).expect("sized");
        let takes = |args: &[&Path]| {
            let mut argv = vec![Path::new("reprint")];
            argv.extend_from_slice(args);
            let cli = Cli::try_parse_from(argv).expect("valid arguments");
            huge_pages(&cli.command)
        };
        let dedupe = Path::new("dedupe");
        assert!(takes(&[dedupe, &small]));
        assert!(takes(&[dedupe, &small, &small]));
        assert!(!takes(&[dedupe, &large]));
        assert!(!takes(&[dedupe, &small, &large]));
        assert!(!takes(&[dedupe, Path::new("-")]));
        assert!(!takes(&[dedupe, dir.path()]));
        assert!(!takes(&[Path::new("strip"), &small]));
    }
}
