//! `reprint index …`: an incremental, persistent index on disk (the library's [`Index`]).

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;

use reprint::cluster::Published;
use reprint::index::{id_problem, MatchRecord};
use reprint::report::{html, write_atomic, write_clusters, write_pairs};
use reprint::{AddOptions, AddStatus, Corpus, Document, Index, Input};

use super::{report_skips, RunArgs, Status};

/// The `index` subcommands.
#[derive(Subcommand)]
pub(crate) enum IndexCommand {
    /// Create an empty index in directory IDX, with the settings and rules every later command
    /// will use.
    Create(CreateArgs),
    /// Add documents: each is checked against everything held (earlier ones of the same input
    /// included) and stored; one JSON line per document read.
    ///
    /// Matches are judged pair by pair: a hub's link (a `version` by which a document would join
    /// two groups that nothing else links) is listed as `version` here, while `export` (and the
    /// library's `cluster_of`), which see the whole group, report it `partial` and cluster
    /// without it, as `dedupe` does.
    Add(FeedArgs),
    /// Check documents against the index without adding them; one JSON line per document read.
    ///
    /// Matches are judged pair by pair, as `add` lists them: a hub's link is a `version` here and
    /// `partial` in `export`.
    Check(FeedArgs),
    /// Remove documents by id, or every document published before a date.
    Remove(RemoveArgs),
    /// Print what the index holds, as one JSON object.
    Stats(StatsArgs),
    /// Write everything held as `dedupe` writes its results: pairs, clusters, editors' report.
    Export(ExportArgs),
}

#[derive(Args)]
pub(crate) struct CreateArgs {
    /// The index directory (created; it must not hold an index already).
    index: PathBuf,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
pub(crate) struct FeedArgs {
    /// The index directory.
    index: PathBuf,
    /// Directories, .jsonl files, or - for JSONL on stdin.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    /// `add`: replace a held document whose id comes again with a different text (otherwise it
    /// is skipped and reported).
    #[arg(long)]
    replace: bool,
    /// `add`: documents stored per transaction.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    batch: usize,
    /// Input options as for `dedupe`. Settings given here (--config, --boilerplate, thresholds)
    /// are checked against the index's: a mismatch is an error.
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
pub(crate) struct RemoveArgs {
    /// The index directory.
    index: PathBuf,
    /// Ids of the documents to remove.
    #[arg(value_name = "ID")]
    ids: Vec<String>,
    /// Also remove the ids listed in FILE, one a line.
    #[arg(long, value_name = "FILE")]
    ids_file: Option<PathBuf>,
    /// Remove every document whose `published` field is before DATE (ISO-8601, or a number for
    /// numeric timestamps).
    #[arg(long, value_name = "DATE")]
    published_before: Option<String>,
}

#[derive(Args)]
pub(crate) struct StatsArgs {
    /// The index directory.
    index: PathBuf,
}

#[derive(Args)]
pub(crate) struct ExportArgs {
    /// The index directory.
    index: PathBuf,
    /// Write verified pairs here (JSON Lines, as `dedupe --pairs`).
    #[arg(long, value_name = "FILE")]
    pairs: Option<PathBuf>,
    /// Write clusters here (JSON, as `dedupe --clusters`).
    #[arg(long, value_name = "FILE")]
    clusters: Option<PathBuf>,
    /// Write the editors' HTML report here (as `dedupe --report`).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

pub(crate) fn run(command: &IndexCommand) -> Result<Status> {
    match command {
        IndexCommand::Create(args) => create(args),
        IndexCommand::Add(args) => feed(args, true),
        IndexCommand::Check(args) => feed(args, false),
        IndexCommand::Remove(args) => remove(args),
        IndexCommand::Stats(args) => stats(args),
        IndexCommand::Export(args) => export(args),
    }
}

fn user_rules(run: &RunArgs) -> Result<Option<String>> {
    run.boilerplate
        .as_ref()
        .map(|path| {
            std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read boilerplate rules", path.display()))
        })
        .transpose()
}

fn create(args: &CreateArgs) -> Result<Status> {
    let config = args.run.config()?;
    let rules = user_rules(&args.run)?;
    Index::create(&args.index, config, rules.as_deref())?;
    if !args.run.quiet {
        eprintln!("created index {}", args.index.display());
    }
    Ok(Status::Done)
}

/// Whether any setting was given on the command line (then it must match the index's).
fn settings_given(run: &RunArgs) -> bool {
    run.config.is_some()
        || run.boilerplate.is_some()
        || run.no_learn
        || run.candidate_threshold.is_some()
        || run.near_duplicate.is_some()
        || run.shingle_size.is_some()
        || run.num_perm.is_some()
}

#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    matches: Vec<MatchRecord<'a>>,
}

fn feed(args: &FeedArgs, add: bool) -> Result<Status> {
    let index = if settings_given(&args.run) {
        let rules = user_rules(&args.run)?;
        Index::open_expecting(&args.index, &args.run.config()?, rules.as_deref())?
    } else {
        Index::open(&args.index)?
    };
    let options = args.run.read_options(false);
    let corpus = Corpus::from_inputs(args.inputs.iter().map(|a| Input::parse(a)), &options)?;
    report_skips(&corpus, &args.inputs);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let quiet = args.run.quiet;
    let mut counts = [0usize; 4];
    let batches = corpus.documents().chunks(args.batch.max(1));
    if add {
        let options = AddOptions {
            replace: args.replace,
        };
        // Each batch's lines as it is committed (the next one is prepared meanwhile).
        index.add_batches(batches, options, |chunk, results| -> Result<()> {
            for (doc, r) in chunk.iter().zip(&results) {
                let (status, reason) = (r.status.name(), r.status.reason());
                counts[match r.status {
                    AddStatus::Added => 0,
                    AddStatus::Unchanged => 1,
                    AddStatus::Replaced => 2,
                    AddStatus::Conflict | AddStatus::Skipped(_) => 3,
                }] += 1;
                if let Some(reason) = reason {
                    eprintln!("warning: skipped {} `{}`: {reason}", doc.origin, r.id);
                }
                if !quiet {
                    let line = Line {
                        id: &r.id,
                        status: Some(status),
                        reason,
                        matches: r.matches.iter().map(|m| m.record()).collect(),
                    };
                    write_line(&mut out, &line)?;
                }
            }
            out.flush()?;
            Ok(())
        })?;
    } else {
        for chunk in batches {
            // A document whose id an index cannot hold is reported and skipped, as `add` does.
            let problems: Vec<Option<String>> = chunk.iter().map(|d| id_problem(&d.id)).collect();
            let results = if problems.iter().all(Option::is_none) {
                index.check_batch(chunk)?
            } else {
                let valid: Vec<Document> = (chunk.iter().zip(&problems))
                    .filter(|(_, p)| p.is_none())
                    .map(|(d, _)| d.clone())
                    .collect();
                index.check_batch(&valid)?
            };
            let mut results = results.into_iter();
            for (doc, problem) in chunk.iter().zip(&problems) {
                let matches = match problem {
                    Some(reason) => {
                        eprintln!("warning: skipped {} `{}`: {reason}", doc.origin, doc.id);
                        Vec::new()
                    }
                    None => results.next().unwrap_or_default(),
                };
                if !quiet {
                    let line = Line {
                        id: &doc.id,
                        status: problem.as_ref().map(|_| "skipped"),
                        reason: problem.as_deref(),
                        matches: matches.iter().map(|m| m.record()).collect(),
                    };
                    write_line(&mut out, &line)?;
                }
            }
            out.flush()?;
        }
    }
    if add && !quiet {
        eprintln!(
            "{} added, {} unchanged, {} replaced, {} skipped ({} records skipped on reading)",
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            corpus.skipped().len()
        );
    }
    Ok(Status::Done)
}

fn remove(args: &RemoveArgs) -> Result<Status> {
    let index = Index::open(&args.index)?;
    let mut ids = args.ids.clone();
    if let Some(path) = &args.ids_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read ids", path.display()))?;
        ids.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    if ids.is_empty() && args.published_before.is_none() {
        bail!("nothing to remove: give ids, --ids-file or --published-before");
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut removed = index.remove_batch(&refs)?;
    if let Some(date) = &args.published_before {
        let value = match date.parse::<f64>() {
            Ok(n) => serde_json::json!(n),
            Err(_) => serde_json::json!(date),
        };
        let Some(before) = Published::from_json(&value) else {
            bail!("--published-before {date}: not a date (YYYY-MM-DD…) or a number");
        };
        removed += index.remove_published_before(&before)?;
    }
    println!("{}", serde_json::json!({ "removed": removed }));
    Ok(Status::Done)
}

fn stats(args: &StatsArgs) -> Result<Status> {
    let index = Index::open(&args.index)?;
    println!("{}", serde_json::to_string(&index.stats()?)?);
    Ok(Status::Done)
}

fn export(args: &ExportArgs) -> Result<Status> {
    let index = Index::open(&args.index)?;
    let (corpus, outcome) = index.export()?;
    let mut wrote = false;
    if let Some(path) = &args.pairs {
        write_atomic(path, |w| write_pairs(w, &corpus, &outcome))?;
        wrote = true;
    }
    if let Some(path) = &args.clusters {
        write_atomic(path, |w| write_clusters(w, &corpus, &outcome))?;
        wrote = true;
    }
    if let Some(path) = &args.report {
        // The report compares a copy linked through another with the original on their stripped
        // bodies: the built-in rules serve, with the index's settings.
        let deduper = reprint::Deduper::new(index.config().clone())?;
        write_atomic(path, |w| {
            let options = html::ReportOptions::default();
            html::write_report(
                w,
                &corpus,
                &outcome,
                &deduper,
                &options,
                &reprint::NoProgress,
            )
            .map(drop)
        })?;
        wrote = true;
    }
    if !wrote {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        write_pairs(&mut out, &corpus, &outcome)?;
        out.flush()?;
    }
    Ok(Status::Done)
}

/// One JSON line; I/O errors stay `io::Error`s, so that a closed pipe ends the run quietly.
fn write_line(out: &mut impl Write, line: &Line<'_>) -> io::Result<()> {
    serde_json::to_writer(&mut *out, line).map_err(io::Error::from)?;
    out.write_all(b"\n")
}
