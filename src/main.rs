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
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

mod index_cmd;

use reprint::report::load::load_outcome;
use reprint::report::{explain, html};
use reprint::report::{
    write_atomic, write_clusters, write_keep, write_pairs, write_pairs_csv, write_top_clusters,
};
use reprint::{
    Config, Corpus, Deduper, Document, Input, NoProgress, Outcome, Progress, ReadOptions,
};

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
Each INPUT is a directory (every .txt/.md file below it is one article, its id the path relative to \
the directory without extension), a .jsonl file (one {\"id\": …, \"text\": …} object a line; other \
fields such as source, published, url are kept as metadata), or - for JSONL on stdin. Inputs may be \
mixed.\n\n\
Unusable records (malformed JSON, invalid UTF-8, empty texts, duplicate ids) are skipped with a \
warning naming file and line, and counted in the summary; --strict makes the first one fatal.\n\n\
Without --pairs, --clusters or --keep, the pairs are written to stdout as JSON Lines.",
        after_help = "Output:\n  \
  pairs     one JSON object a line: {\"a\", \"b\", \"kind\", \"score\", \"jaccard\", \"containment\"}\n            \
kind is exact, near_duplicate, excerpt or spun; score is in [0, 1]\n  \
  clusters  {\"clusters\": [{\"canonical\", \"reason\", \"size\", \"members\": [{\"id\", \"kind\", \"score\"}]}]}\n  \
  keep      the input records of every canonical document and every document with no copy\n  \
  report    one HTML file for editors: overview, groups of copies, each copy beside its original\n\n\
Exit status: 0 done, 2 error (bad usage, unreadable input, a rejected record under --strict, an \
output that cannot be written)."
    )]
    Dedupe(DedupeArgs),

    /// Print articles with their boilerplate removed; --explain shows what went and why.
    #[command(long_about = "Print articles with their boilerplate removed.\n\n\
A .txt/.md file (or a directory of them) is printed as cleaned text. A .jsonl file or - (JSONL on \
stdin) is printed as JSONL with each text replaced by its cleaned body; over a corpus, chrome is also \
learned from lines that recur across otherwise different documents, exactly as `dedupe` does.\n\n\
With --explain, each removed span is listed instead, with the rule (or learned pattern) that removed \
it, as `id<TAB>rule<TAB>text`.")]
    Strip(StripArgs),

    /// Compare two articles and explain the verdict: kind, score, aligned sentences, what was stripped.
    #[command(long_about = "Compare two articles and explain the verdict.\n\n\
Both files are stripped of boilerplate by the rules (learning needs a corpus), then measured as \
`dedupe` measures a candidate pair: word-shingle overlap, content-word overlap, and a sentence \
alignment, which is shown sentence by sentence. The exit status is 0 if they are copies, 1 if not \
(2 on errors), so scripts can test it.")]
    Compare(CompareArgs),

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

    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
struct CompareArgs {
    /// The first article (a text file).
    a: PathBuf,
    /// The second article (a text file).
    b: PathBuf,
    /// Print the comparison as one JSON object.
    #[arg(long)]
    json: bool,
    /// Add boilerplate rules from FILE (same format as the built-in rules).
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

    /// Add boilerplate rules from FILE (same format as the built-in rules).
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

    /// Format of the pair list (--pairs, or stdout): JSON Lines with every measure, or CSV for
    /// spreadsheets (id_a, id_b, kind, score, title_a, title_b, source_a, source_b).
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,

    #[command(flatten)]
    run: RunArgs,
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

    /// No progress bar and no summary on stderr (warnings and errors still appear).
    #[arg(long, short)]
    quiet: bool,

    /// Add boilerplate rules from FILE (same format as the built-in rules; see `reprint strip`).
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
    fn read(&self, inputs: &[String]) -> Result<(Deduper, Corpus)> {
        let config = self.config()?;
        config.validate()?;
        let options = ReadOptions {
            id_field: self.id_field.clone(),
            text_field: self.text_field.clone(),
            strict: self.strict,
        };
        // Compiling the boilerplate rules takes some 40–45 ms: it runs while the corpus is read.
        let (deduper, corpus) = std::thread::scope(|s| {
            let deduper = s.spawn(|| Deduper::with_user_rules(config, self.boilerplate.as_deref()));
            let corpus = Corpus::from_inputs(inputs.iter().map(|arg| Input::parse(arg)), &options);
            let deduper = deduper.join().expect("rule compilation does not panic");
            (deduper, corpus)
        });
        let (deduper, corpus) = (deduper?, corpus?);
        report_skips(&corpus);
        Ok((deduper, corpus))
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
    };
    let mut corpus = Corpus::new();
    corpus.read(&input, &options)?;
    report_skips(&corpus);
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

/// Drives an indicatif bar from the library's progress calls; hidden when stderr is not a terminal.
struct Bar(ProgressBar);

impl Bar {
    fn new(quiet: bool) -> Bar {
        let target = if quiet || !io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(
            ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len} ({eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, stage: &'static str, total: u64) {
        self.0.reset();
        self.0.set_length(total);
        self.0.set_message(stage);
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

fn dedupe(args: &DedupeArgs) -> Result<Status> {
    let started = Instant::now();
    let (deduper, corpus) = args.run.read(&args.inputs)?;
    let read_time = started.elapsed();

    let bar = Bar::new(args.run.quiet);
    let outcome = deduper.run(&corpus, &bar);

    let mut wrote_file = false;
    let pairs = |w: &mut dyn Write| match args.format {
        Format::Jsonl => write_pairs(w, &corpus, &outcome),
        Format::Csv => write_pairs_csv(w, &corpus, &outcome),
    };
    if let Some(path) = &args.pairs {
        write_atomic(path, pairs)?;
        wrote_file = true;
    }
    if let Some(path) = &args.clusters {
        write_atomic(path, |w| write_clusters(w, &corpus, &outcome))?;
        wrote_file = true;
    }
    if let Some(path) = &args.keep {
        write_atomic(path, |w| write_keep(w, &corpus, &outcome))?;
        wrote_file = true;
    }
    if let Some(path) = &args.report {
        write_atomic(path, |w| {
            html::write_report(w, &corpus, &outcome, deduper.config())
        })?;
        wrote_file = true;
    }
    if !wrote_file {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        pairs(&mut out)?;
        out.flush()?;
    }
    if !args.run.quiet {
        print_summary(&corpus, &outcome, started, read_time);
    }
    // The process ends here: freeing every document, pair and verdict one allocation at a time
    // would take a noticeable share of the run (75 ms of 1.3 s on a 20,000-article corpus), and the
    // operating system reclaims it all at once.
    std::mem::forget((corpus, outcome, deduper));
    Ok(Status::Done)
}

fn report(args: &ReportArgs) -> Result<Status> {
    let (deduper, corpus) = args.run.read(&args.inputs)?;
    let bar = Bar::new(args.run.quiet);
    let outcome = load_outcome(&deduper, &corpus, &args.pairs, &args.clusters, &bar)?;
    write_atomic(&args.output, |w| {
        html::write_report(w, &corpus, &outcome, deduper.config())
    })?;
    if !args.run.quiet {
        eprintln!(
            "reprint: report of {} documents, {} pairs, {} clusters written to {}",
            corpus.len(),
            outcome.pairs.len(),
            outcome.clusters.len(),
            args.output.display()
        );
    }
    Ok(Status::Done)
}

const MAX_SKIP_LINES: usize = 20;

/// Clusters listed in the summary.
const TOP_CLUSTERS: usize = 5;

fn report_skips(corpus: &Corpus) {
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
}

fn print_summary(corpus: &Corpus, outcome: &Outcome, started: Instant, read_time: Duration) {
    let skipped = corpus.skipped_by_reason();
    let skipped_total: usize = skipped.iter().map(|(_, n)| n).sum();
    let mut line = format!(
        "reprint: {} documents, {} skipped",
        corpus.len(),
        skipped_total
    );
    if !skipped.is_empty() {
        let parts: Vec<String> = skipped.iter().map(|(r, n)| format!("{r} {n}")).collect();
        line.push_str(&format!(" ({})", parts.join(", ")));
    }
    eprintln!("{line}");
    let kinds: Vec<String> = outcome
        .pairs_by_kind()
        .iter()
        .map(|(k, n)| format!("{} {n}", k.as_str()))
        .collect();
    let [verbatim, reworded, contained, headlines] = outcome.stats.candidates_by_channel;
    eprintln!(
        "  pairs:    {} ({}) from {} candidates (shingles {verbatim}, content words {reworded}, \
         anchors {contained}, headlines {headlines})",
        outcome.pairs.len(),
        kinds.join(", "),
        outcome.stats.candidates
    );
    let total_bytes: usize = corpus.documents().iter().map(|d| d.text.len()).sum();
    let stats = &outcome.stats;
    eprintln!(
        "  chrome:   {:.1}% of the text stripped as boilerplate; {} recurring lines learned as chrome; \
         {} documents kept whole where stripping would have taken too much",
        100.0 * stats.stripped_bytes as f64 / total_bytes.max(1) as f64,
        stats.learned_chrome_lines,
        stats.strip_refused
    );
    let in_clusters: usize = outcome.clusters.iter().map(|c| c.members.len()).sum();
    eprintln!(
        "  clusters: {} (largest {}), {} documents kept as unique",
        outcome.clusters.len(),
        outcome.clusters.first().map_or(0, |c| c.members.len()),
        corpus.len() - in_clusters + outcome.clusters.len()
    );
    let stages: Vec<String> = std::iter::once(&("reading", read_time))
        .chain(&outcome.stats.stages)
        .map(|(name, d)| format!("{name} {:.2}s", d.as_secs_f64()))
        .collect();
    // The summary goes to a terminal or a log; a failed write there is not worth failing the run.
    let _ = write_top_clusters(&mut io::stderr(), corpus, outcome, TOP_CLUSTERS);
    eprintln!(
        "  time:     {:.2}s ({})",
        started.elapsed().as_secs_f64(),
        stages.join(", ")
    );
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
    let read = |path: &PathBuf| -> Result<Document> {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
        let id = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        Ok(Document::new(id, text))
    };
    let (a, b) = (read(&args.a)?, read(&args.b)?);
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
    Ok(if cmp.verdict.is_some() {
        Status::Done
    } else {
        Status::NotCopies
    })
}

/// mimalloc: a run makes millions of small allocations from both threads (shingle sets, sentence
/// profiles, verdicts), and mimalloc's per-thread free lists take 7–9% off the whole run's time
/// compared with the system allocator (DESIGN.md, "Speed"). Built without transparent huge pages:
/// with them runs were faster on average but the kernel's time to provide the pages varied tenfold.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Dedupe(args) => dedupe(args),
        Command::Strip(args) => strip(args),
        Command::Compare(args) => compare(args),
        Command::Report(args) => report(args),
        Command::Index(command) => index_cmd::run(command),
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

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
