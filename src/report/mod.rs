//! Writers over a stable output schema: pairs as JSON Lines, clusters as JSON, the deduplicated corpus
//! as JSON Lines. Every file is written to a temporary file beside its destination, and the files of
//! one run are renamed into place together ([`OutputSet`]): a reader never sees half a file, and a
//! run that fails or is interrupted leaves every earlier file alone.

pub mod explain;
pub mod html;
pub mod load;

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::boilerplate::Stripped;
use crate::cluster::{CanonicalReason, Cluster};
use crate::corpus::{Corpus, DocId, Document};
use crate::dedupe::{Outcome, Pair};
use crate::error::OutputError;
use crate::shingle::count_words;
use crate::verify::{Kind, Verdict};

/// Writes one file atomically: [`OutputSet`] with a single output.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), OutputError> {
    let mut set = OutputSet::new();
    let slot = set.add(path)?;
    set.write(slot, write)?;
    set.commit()
}

/// The output files of one run, written all or nothing.
///
/// Every destination is [added](Self::add) (and checked) before the run computes anything, so an
/// unwritable path fails at once. Each is then [written](Self::write) to a temporary file beside
/// it, and only [`commit`](Self::commit) renames them all into place: a run that fails or is
/// interrupted before then leaves every earlier file as it was. Temporaries are removed when the
/// set is dropped, and [`remove_temporaries`] removes those of every live set (for a signal
/// handler, which then ends the process). A symbolic link is followed, and its target replaced.
/// Anything that exists and is not a regular file (`/dev/stdout`, a named pipe) is written to
/// directly: renaming over it would replace the device or pipe itself.
#[derive(Debug, Default)]
pub struct OutputSet {
    outputs: Vec<Output>,
}

/// One destination of an [`OutputSet`], as [`OutputSet::add`] returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputSlot(usize);

#[derive(Debug)]
struct Output {
    /// The path as given: errors name it, never a temporary.
    path: PathBuf,
    target: Target,
}

#[derive(Debug)]
enum Target {
    /// Something that exists and is not a regular file: written to directly.
    Direct,
    /// A regular file, new or replaced: written to a temporary in `dir` first.
    File {
        /// The file to replace (a link resolved) or to create.
        dest: PathBuf,
        dir: PathBuf,
        /// The permissions of the file replaced, kept.
        permissions: Option<fs::Permissions>,
        written: Option<Temporary>,
    },
}

/// Paths of the temporaries of every live [`OutputSet`]; `None` once [`remove_temporaries`] has
/// run, after which no temporary is made.
static TEMPORARIES: Mutex<Option<Vec<PathBuf>>> = Mutex::new(Some(Vec::new()));

fn temporaries() -> MutexGuard<'static, Option<Vec<PathBuf>>> {
    // A panic while the list was held leaves it usable: it is only ever pushed to and filtered.
    TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes the temporary files of every live [`OutputSet`] and refuses new ones; returns how many
/// were removed. For a signal handler, which ends the process next: the outputs already in place
/// stay as they were, and the ones being written are never renamed into place.
pub fn remove_temporaries() -> usize {
    let mut live = temporaries();
    let paths = live.take().unwrap_or_default();
    for path in &paths {
        // One already gone (renamed into place at that moment) is no matter.
        let _ = fs::remove_file(path);
    }
    paths.len()
}

/// A temporary file, registered in [`TEMPORARIES`] while it exists; removed when dropped.
#[derive(Debug)]
struct Temporary {
    path: PathBuf,
}

impl Temporary {
    /// Creates a temporary file in `dir` and registers it, both under the registry's lock, so a
    /// signal handler either sees it or stops it being made.
    fn create(dir: &Path) -> io::Result<(Temporary, fs::File)> {
        let mut live = temporaries();
        let Some(list) = live.as_mut() else {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
        // A temporary file is private (0600); the output gets the permissions a new file would
        // get (0666 less the umask), or keeps those of the file it replaces.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let (file, path) = builder.tempfile_in(dir)?.keep().map_err(|e| e.error)?;
        list.push(path.clone());
        Ok((Temporary { path }, file))
    }

    /// Takes the file out of the registry without removing it: it was renamed into place.
    fn persisted(self, live: &mut Option<Vec<PathBuf>>) {
        if let Some(list) = live.as_mut() {
            list.retain(|p| *p != self.path);
        }
        std::mem::forget(self);
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        let mut live = temporaries();
        if let Some(list) = live.as_mut() {
            list.retain(|p| *p != self.path);
        }
        let _ = fs::remove_file(&self.path);
    }
}

/// Temporary files are named `.reprint-XXXXXX.tmp`.
const TEMP_PREFIX: &str = ".reprint-";
const TEMP_SUFFIX: &str = ".tmp";

impl OutputSet {
    /// An empty set.
    pub fn new() -> OutputSet {
        OutputSet::default()
    }

    /// Adds a destination, first checking that it can be written: its directory exists and a
    /// file can be made in it, it is not a directory, and no other output of the set is the same
    /// file. Nothing is written yet.
    pub fn add(&mut self, path: &Path) -> Result<OutputSlot, OutputError> {
        let refuse = |message: String| OutputError::Destination {
            path: path.to_path_buf(),
            message,
        };
        let fail = |error| OutputError::Io {
            path: path.to_path_buf(),
            error,
        };
        // `metadata` follows links, also those that cannot be resolved to a path (`/dev/stdout`
        // -> `/proc/self/fd/1` -> a pipe).
        let target = match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => return Err(refuse("is a directory".into())),
            Ok(meta) if !meta.is_file() => Target::Direct,
            Ok(meta) => {
                let dest = fs::canonicalize(path).map_err(fail)?;
                let dir = parent(&dest).to_path_buf();
                Target::File {
                    dest,
                    dir,
                    permissions: Some(meta.permissions()),
                    written: None,
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let dir = parent(path);
                match fs::metadata(dir) {
                    Ok(meta) if meta.is_dir() => {}
                    Ok(_) => return Err(refuse(format!("{} is not a directory", dir.display()))),
                    Err(_) => {
                        return Err(refuse(format!(
                            "directory {} does not exist",
                            dir.display()
                        )))
                    }
                }
                // Resolved, so that two spellings of one file are seen to be one.
                let dir = fs::canonicalize(dir).map_err(fail)?;
                let name = path
                    .file_name()
                    .ok_or_else(|| refuse("no file name".into()))?;
                Target::File {
                    dest: dir.join(name),
                    dir,
                    permissions: None,
                    written: None,
                }
            }
            Err(e) => return Err(fail(e)),
        };
        if let Target::File { dest, dir, .. } = &target {
            let same = self.outputs.iter().find(|o| match &o.target {
                Target::File { dest: other, .. } => other == dest,
                Target::Direct => false,
            });
            if let Some(other) = same {
                return Err(refuse(format!(
                    "the same file as {}: give each output its own",
                    other.path.display()
                )));
            }
            // A file can be made beside it (permissions, a read-only file system, a full disk's
            // inodes): tried now, not after the run.
            drop(Temporary::create(dir).map_err(fail)?);
        }
        self.outputs.push(Output {
            path: path.to_path_buf(),
            target,
        });
        Ok(OutputSlot(self.outputs.len() - 1))
    }

    /// Writes one output: to a temporary beside it (renamed into place by [`commit`](Self::commit)),
    /// or directly to a device or pipe. An error names the output's path as given.
    pub fn write(
        &mut self,
        slot: OutputSlot,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), OutputError> {
        let output = &mut self.outputs[slot.0];
        let path = &output.path;
        let fail = |error| OutputError::Io {
            path: path.clone(),
            error,
        };
        match &mut output.target {
            Target::Direct => {
                let file = fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(fail)?;
                let mut out = BufWriter::new(file);
                write(&mut out).map_err(fail)?;
                out.flush().map_err(fail)
            }
            Target::File {
                dir,
                permissions,
                written,
                ..
            } => {
                // Written again: the earlier temporary goes.
                *written = None;
                let (tmp, file) = Temporary::create(dir).map_err(fail)?;
                if let Some(permissions) = permissions {
                    fs::set_permissions(&tmp.path, permissions.clone()).map_err(fail)?;
                }
                let mut out = BufWriter::new(&file);
                write(&mut out).map_err(fail)?;
                out.flush().map_err(fail)?;
                drop(out);
                file.sync_all().map_err(fail)?;
                *written = Some(tmp);
                Ok(())
            }
        }
    }

    /// Renames every written output into place. Outputs never written are left as they were. The
    /// renames happen under the lock [`remove_temporaries`] takes, so an interruption sees either
    /// none of them or all of them done.
    pub fn commit(self) -> Result<(), OutputError> {
        let mut failed = None;
        // Temporaries not renamed are removed once the lock is free (dropping one takes it).
        let mut leftovers = Vec::new();
        {
            let mut live = temporaries();
            for output in self.outputs {
                let Target::File {
                    dest,
                    written: Some(tmp),
                    ..
                } = output.target
                else {
                    continue;
                };
                if failed.is_some() {
                    leftovers.push(tmp);
                    continue;
                }
                let renamed = match live.is_some() {
                    true => fs::rename(&tmp.path, &dest),
                    false => Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted")),
                };
                match renamed {
                    Ok(()) => tmp.persisted(&mut live),
                    Err(error) => {
                        failed = Some(OutputError::Io {
                            path: output.path,
                            error,
                        });
                        leftovers.push(tmp);
                    }
                }
            }
        }
        drop(leftovers);
        failed.map_or(Ok(()), Err)
    }
}

/// The directory a path is in (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// One line of the pairs file.
#[derive(Debug, Serialize)]
pub struct PairRecord<'a> {
    /// External id of the first document.
    pub a: &'a str,
    /// External id of the second document.
    pub b: &'a str,
    /// What the verdict on the pair says.
    #[serde(flatten)]
    pub verdict: VerdictRecord,
    /// Share of `a`'s text removed as boilerplate.
    pub stripped_a: f64,
    /// Share of `b`'s text removed as boilerplate.
    pub stripped_b: f64,
}

/// The fields of a pairs-file line that come from the verdict: the same for every pair one
/// verification implies (every pair of two exact-copy groups).
#[derive(Debug, Serialize)]
pub struct VerdictRecord {
    /// How one copies the other.
    pub kind: Kind,
    /// Confidence in `[0, 1]`.
    pub score: f64,
    /// Shingle Jaccard of the stripped bodies.
    pub jaccard: f64,
    /// Shingle containment of the shorter body in the longer one.
    pub containment: f64,
    /// Jaccard similarity of the content-word sets.
    pub content_jaccard: f64,
    /// Aligned sentence pairs, where the pair was aligned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aligned_sentences: Option<usize>,
    /// Share of the smaller-covered text in aligned sentences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aligned_share: Option<f64>,
    /// Share of words swapped one-for-one within aligned sentences (spinning).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substitution_rate: Option<f64>,
    /// Share of words changed in any way within aligned sentences (typos excepted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit_rate: Option<f64>,
    /// Share of aligned sentences with a one-for-one word swap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub swapped_sentences: Option<f64>,
    /// Share of numbers and names the two texts agree on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub immutables: Option<f64>,
    /// For a `version` or `partial` pair, the longest passage the two share: its first and last
    /// sentence in each text (as the report numbers sentences), its sentences and words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passage: Option<crate::align::Passage>,
}

impl VerdictRecord {
    /// The record of a verdict, its measures rounded to four decimals.
    pub fn new(v: &Verdict) -> VerdictRecord {
        let m = &v.measures;
        let al = m.alignment.as_ref();
        VerdictRecord {
            kind: v.kind,
            score: round4(v.score),
            jaccard: round4(m.overlap.jaccard),
            containment: round4(m.overlap.containment),
            content_jaccard: round4(m.content.jaccard),
            aligned_sentences: al.map(|a| a.pairs.len()),
            aligned_share: al.map(|a| round4(a.covered_a.min(a.covered_b))),
            substitution_rate: al.map(|a| round4(a.substitution_rate)),
            edit_rate: al.map(|a| round4(a.edit_rate)),
            swapped_sentences: al.map(|a| round4(a.swapped_sentences)),
            immutables: al.map(|a| round4(a.immutables)),
            passage: al
                .filter(|_| matches!(v.kind, Kind::Version | Kind::Partial))
                .map(|a| crate::align::Passage {
                    share: round4(a.passage.share),
                    ..a.passage
                }),
        }
    }
}

impl<'a> PairRecord<'a> {
    /// The record of one pair.
    pub fn new(corpus: &'a Corpus, outcome: &Outcome, pair: &Pair) -> Self {
        let stripped = |d: DocId| outcome.documents[d.index()].stripped.removed_share();
        PairRecord {
            a: &corpus.get(pair.a).id,
            b: &corpus.get(pair.b).id,
            verdict: VerdictRecord::new(&pair.verdict),
            stripped_a: round4(stripped(pair.a)),
            stripped_b: round4(stripped(pair.b)),
        }
    }
}

/// Pairs written by one task of [`write_pairs`].
const PAIRS_PER_TASK: usize = 4096;

/// Writes every pair as one JSON object a line, as [`PairRecord`] serialises it. A corpus of
/// reprints has many more pairs than documents or verdicts, so each line is put together from JSON
/// made once: each document's id and stripped share, and each verdict's fields (one verdict holds
/// for every pair of two exact-copy groups). Lines are made in parallel, a bounded batch at a time,
/// and written in order.
pub fn write_pairs(out: &mut dyn Write, corpus: &Corpus, outcome: &Outcome) -> io::Result<()> {
    let pieces: Vec<DocPieces> = corpus
        .documents()
        .par_iter()
        .zip(&outcome.documents)
        .map(|(doc, summary)| DocPieces::new(&doc.id, summary.stripped.removed_share()))
        .collect::<io::Result<_>>()?;
    // Each distinct verdict (by address) with its fields, the braces of their object left out.
    let address = |pair: &Pair| Arc::as_ptr(&pair.verdict) as usize;
    let mut verdicts: Vec<(usize, &Verdict)> = outcome
        .pairs
        .par_iter()
        .map(|pair| (address(pair), &*pair.verdict))
        .collect();
    verdicts.par_sort_unstable_by_key(|&(at, _)| at);
    verdicts.dedup_by_key(|&mut (at, _)| at);
    let fields: Vec<Vec<u8>> = verdicts
        .par_iter()
        .map(|(_, verdict)| {
            let object = serde_json::to_vec(&VerdictRecord::new(verdict))?;
            Ok(object[1..object.len() - 1].to_vec())
        })
        .collect::<io::Result<_>>()?;
    let fields_of = |pair: &Pair| {
        let i = verdicts
            .binary_search_by_key(&address(pair), |&(at, _)| at)
            .expect("every pair's verdict is listed");
        fields[i].as_slice()
    };
    let format = |buffers: &mut [Vec<u8>], batch: &[Pair]| {
        buffers
            .par_iter_mut()
            .zip(batch.par_chunks(PAIRS_PER_TASK))
            .for_each(|(buf, pairs)| {
                buf.clear();
                for pair in pairs {
                    let (a, b) = (&pieces[pair.a.index()], &pieces[pair.b.index()]);
                    for part in [&a.a_start, &b.b_id, fields_of(pair), &a.a_share, &b.b_end] {
                        buf.extend_from_slice(part);
                    }
                }
            });
        batch.len().div_ceil(PAIRS_PER_TASK)
    };
    // One buffer per task, reused from batch to batch: each batch is formatted while the one
    // before it is written.
    let mut formatted: Vec<Vec<u8>> = vec![Vec::new(); TASKS_PER_BATCH];
    let mut next: Vec<Vec<u8>> = vec![Vec::new(); TASKS_PER_BATCH];
    let (mut ready, mut tasks) = (0, 0);
    for batch in outcome.pairs.chunks(PAIRS_PER_TASK * TASKS_PER_BATCH) {
        let written = rayon::in_place_scope(|scope| {
            scope.spawn(|_| tasks = format(&mut next, batch));
            formatted[..ready]
                .iter()
                .try_for_each(|buf| out.write_all(buf))
        });
        written?;
        std::mem::swap(&mut formatted, &mut next);
        ready = tasks;
    }
    formatted[..ready]
        .iter()
        .try_for_each(|buf| out.write_all(buf))
}

/// Tasks of [`write_pairs`] at a time.
const TASKS_PER_BATCH: usize = 16;

/// What one document contributes to a pairs-file line, as JSON made once: as the pair's `a`, the
/// line's start (`{"a":ID,"b":`) and its share stripped (`,"stripped_a":S,"stripped_b":`); as its
/// `b`, its id (`ID,`) and the line's end (`S}` and a line break).
struct DocPieces {
    a_start: Vec<u8>,
    a_share: Vec<u8>,
    b_id: Vec<u8>,
    b_end: Vec<u8>,
}

impl DocPieces {
    fn new(id: &str, stripped_share: f64) -> io::Result<DocPieces> {
        let id = serde_json::to_vec(id)?;
        let share = serde_json::to_vec(&round4(stripped_share))?;
        Ok(DocPieces {
            a_start: [&b"{\"a\":"[..], &id, b",\"b\":"].concat(),
            a_share: [&b",\"stripped_a\":"[..], &share, b",\"stripped_b\":"].concat(),
            b_id: [&id[..], b","].concat(),
            b_end: [&share[..], b"}\n"].concat(),
        })
    }
}

/// A document's title for people: its `title` field, else the first line boilerplate stripping
/// kept that reads as a headline ([`is_headline`]), else the first kept line with a few words that
/// is not a byline, a credit or a date line, else the first kept line with a few words, else its
/// first non-empty line. `text` is the document's text ([`Corpus::text`]).
pub fn title<'a>(doc: &'a Document, text: &'a str, stripped: &Stripped) -> &'a str {
    const TITLE_WORDS: usize = 3;
    let kept = || stripped.kept().iter().map(|r| text[r.clone()].trim());
    let worded = |line: &&str| count_words(line) >= TITLE_WORDS;
    doc.meta_str("title")
        .or_else(|| kept().find(|line| is_headline(line)))
        .or_else(|| kept().filter(worded).find(|line| !is_leftover(line)))
        .or_else(|| kept().find(worded))
        .or_else(|| text.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("")
}

/// Whether a line reads as a headline: three to 25 words, not a sentence ending in a full stop
/// (a caption, a weather report), and none of the [`is_leftover`] lines.
pub fn is_headline(line: &str) -> bool {
    (3..=25).contains(&count_words(line))
        && (!line.ends_with('.') || line.ends_with("..."))
        && !is_leftover(line)
}

/// Whether a line is what pages leave around an article rather than a title: a byline
/// ("By …"), a photo caption ("FILE - …") or credit ("(… via AP)"), a tweet's attribution
/// ("(@…)"), a date line ("Updated: July 16, 2018 @ 7:52 am", "… Monday, July 16, 2018") or a
/// row of sharing buttons ("FacebookEmail Twitter Google+").
pub fn is_leftover(line: &str) -> bool {
    const SHARING: [&str; 8] = [
        "facebook",
        "twitter",
        "google+",
        "email",
        "whatsapp",
        "pinterest",
        "linkedin",
        "share",
    ];
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let lower = line.to_lowercase();
    let sharing = SHARING.iter().filter(|w| lower.contains(*w)).count();
    let tokens = || {
        lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
    };
    let year = tokens().any(|t| {
        t.len() == 4 && (t.starts_with("19") || t.starts_with("20")) && t.parse::<u16>().is_ok()
    });
    let month = tokens().any(|t| {
        MONTHS
            .iter()
            .any(|m| t == *m || (t.len() == 3 && m.starts_with(t)))
    });
    line.starts_with("By ")
        || line.starts_with("FILE")
        || ["Updated", "Posted", "Published", "Last updated"]
            .iter()
            .any(|p| line.starts_with(p))
        || (line.starts_with('(') && line.ends_with(')'))
        || line.contains("(@")
        || sharing >= 2
        || (year && month)
}

/// Writes every pair as a spreadsheet-friendly CSV row, after a header:
/// `id_a, id_b, kind, score, title_a, title_b, source_a, source_b`.
pub fn write_pairs_csv(out: &mut dyn Write, corpus: &Corpus, outcome: &Outcome) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id_a", "id_b", "kind", "score", "title_a", "title_b", "source_a", "source_b",
    ])
    .map_err(csv_io)?;
    for pair in &outcome.pairs {
        let (a, b) = (corpus.get(pair.a), corpus.get(pair.b));
        let (text_a, text_b) = (corpus.text(pair.a), corpus.text(pair.b));
        w.write_record([
            a.id.as_str(),
            b.id.as_str(),
            pair.verdict.kind.as_str(),
            &format!("{:.4}", pair.verdict.score),
            title(a, &text_a, &outcome.documents[pair.a.index()].stripped),
            title(b, &text_b, &outcome.documents[pair.b.index()].stripped),
            a.meta_str("source").unwrap_or(""),
            b.meta_str("source").unwrap_or(""),
        ])
        .map_err(csv_io)?;
    }
    w.flush()
}

/// The I/O error inside a CSV error, so that a closed pipe is still recognised as one.
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("CSV: {other:?}")),
    }
}

/// Writes the `n` largest clusters, two lines each and at most `width` columns wide: the number of
/// articles, the original's id and title (shortened at a word), then its copies by kind. Each
/// copy counts once, under the kind of the pair that links it to the group (as in the clusters
/// file and the report): with the original, or failing that its strongest pair in the group.
pub fn write_top_clusters(
    out: &mut dyn Write,
    corpus: &Corpus,
    outcome: &Outcome,
    n: usize,
    width: usize,
) -> io::Result<()> {
    let top = &outcome.clusters[..n.min(outcome.clusters.len())];
    if top.is_empty() {
        return Ok(());
    }
    let mut in_top = vec![false; corpus.len()];
    for &m in top.iter().flat_map(|c| &c.members) {
        in_top[m.index()] = true;
    }
    let links = Links::within(corpus.len(), &outcome.pairs, |d| in_top[d.index()]);
    const INDENT: &str = "            ";
    let label = |first: bool| if first { "  largest:  " } else { INDENT };
    for (i, c) in top.iter().enumerate() {
        let doc = corpus.get(c.canonical);
        let stripped = &outcome.documents[c.canonical.index()].stripped;
        let head = format!("{} articles, original {}", c.members.len(), doc.id);
        let room = width.saturating_sub(INDENT.len() + head.chars().count() + 3);
        writeln!(
            out,
            "{}{head} \"{}\"",
            label(i == 0),
            shorten(title(doc, &corpus.text(c.canonical), stripped), room)
        )?;
        let copies: Vec<String> = links
            .copies_by_kind(c)
            .into_iter()
            .map(|(kind, n)| format!("{n} {}", kind.as_str()))
            .collect();
        writeln!(out, "{INDENT}  copies: {}", copies.join(", "))?;
    }
    Ok(())
}

/// `text` in at most `max` characters: whole if it fits, else cut after its last whole word that
/// fits, with an ellipsis.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    for word in text.split_whitespace() {
        let len = out.chars().count() + usize::from(!out.is_empty()) + word.chars().count();
        if len + 1 > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.push('…');
    out
}

#[derive(Serialize)]
struct ClusterMember<'a> {
    id: &'a str,
    /// The pair that links this member to the canonical document (or, failing a direct pair, its
    /// strongest pair inside the cluster).
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<Kind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<&'a str>,
}

#[derive(Serialize)]
struct ClusterRecord<'a> {
    canonical: &'a str,
    reason: CanonicalReason,
    size: usize,
    members: Vec<ClusterMember<'a>>,
}

/// Each document's verified pairs, indexed once so that cluster members find their links without
/// scanning every pair.
struct Links<'a> {
    by_doc: Vec<Vec<(DocId, &'a Pair)>>,
}

impl<'a> Links<'a> {
    fn new(documents: usize, pairs: &'a [Pair]) -> Self {
        Links::within(documents, pairs, |_| true)
    }

    /// The links of the documents `keep` selects only (the others have none).
    fn within(documents: usize, pairs: &'a [Pair], keep: impl Fn(DocId) -> bool) -> Self {
        let mut by_doc = vec![Vec::new(); documents];
        for pair in pairs.iter().filter(|p| keep(p.a)) {
            by_doc[pair.a.index()].push((pair.b, pair));
            by_doc[pair.b.index()].push((pair.a, pair));
        }
        Links { by_doc }
    }

    /// How many of a cluster's copies (every member but the canonical) are linked to the group by a
    /// pair of each kind, in [`Kind::ALL`] order, kinds with no copy left out: the one count of a
    /// group's copies that the summary, the clusters file and the report all show.
    fn copies_by_kind(&self, cluster: &Cluster) -> Vec<(Kind, usize)> {
        let mut counts = vec![0usize; Kind::ALL.len()];
        for &m in cluster.members.iter().filter(|&&m| m != cluster.canonical) {
            if let Some((_, pair)) = self.link(m, cluster.canonical) {
                if let Some(k) = Kind::ALL.iter().position(|&k| k == pair.verdict.kind) {
                    counts[k] += 1;
                }
            }
        }
        Kind::ALL
            .iter()
            .zip(counts)
            .filter(|&(_, n)| n > 0)
            .map(|(&kind, n)| (kind, n))
            .collect()
    }

    /// The pair that links `member` to its cluster's canonical document, or, failing a direct pair,
    /// its strongest pair inside the cluster; with the pair's other document.
    fn link(&self, member: DocId, canonical: DocId) -> Option<(DocId, &'a Pair)> {
        let own = &self.by_doc[member.index()];
        own.iter()
            .find(|(other, _)| *other == canonical)
            .or_else(|| {
                own.iter()
                    .max_by(|x, y| x.1.verdict.score.total_cmp(&y.1.verdict.score))
            })
            .copied()
    }
}

/// Writes the clusters as one JSON document: `{"clusters": [...]}`, largest first.
pub fn write_clusters(out: &mut dyn Write, corpus: &Corpus, outcome: &Outcome) -> io::Result<()> {
    let links = Links::new(corpus.len(), &outcome.pairs);
    let records: Vec<ClusterRecord<'_>> = outcome
        .clusters
        .iter()
        .map(|c| ClusterRecord {
            canonical: &corpus.get(c.canonical).id,
            reason: c.reason,
            size: c.members.len(),
            members: c
                .members
                .iter()
                .map(|&m| match (m == c.canonical, links.link(m, c.canonical)) {
                    (false, Some((other, pair))) => ClusterMember {
                        id: &corpus.get(m).id,
                        kind: Some(pair.verdict.kind),
                        score: Some(round4(pair.verdict.score)),
                        via: (other != c.canonical).then(|| corpus.get(other).id.as_str()),
                    },
                    _ => ClusterMember {
                        id: &corpus.get(m).id,
                        kind: None,
                        score: None,
                        via: None,
                    },
                })
                .collect(),
        })
        .collect();
    let mut doc = Map::new();
    doc.insert("clusters".into(), serde_json::to_value(records)?);
    serde_json::to_writer_pretty(&mut *out, &Value::Object(doc))?;
    out.write_all(b"\n")
}

/// Writes the deduplicated corpus: every document that is a cluster's canonical or in no cluster, in
/// input order. A document read with its record kept ([`ReadOptions::keep_records`](crate::ReadOptions))
/// is written as that record, byte for byte; any other as a JSON object of its id, text and metadata.
pub fn write_keep(out: &mut dyn Write, corpus: &Corpus, outcome: &Outcome) -> io::Result<()> {
    let mut dropped = vec![false; corpus.len()];
    for c in &outcome.clusters {
        for &m in &c.members {
            dropped[m.index()] = m != c.canonical;
        }
    }
    for ((doc, _), id) in (corpus.documents().iter().zip(&dropped))
        .zip(0..)
        .filter(|((_, &d), _)| !d)
    {
        if let Some(record) = &doc.record {
            out.write_all(record)?;
            out.write_all(b"\n")?;
            continue;
        }
        let mut record = Map::new();
        record.insert("id".into(), Value::String(doc.id.clone()));
        let text = corpus.text(DocId(id)).into_owned();
        record.insert("text".into(), Value::String(text));
        for (k, v) in &doc.meta {
            record.entry(k.clone()).or_insert_with(|| v.clone());
        }
        serde_json::to_writer(&mut *out, &Value::Object(record))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Deduper};

    /// Lines an editor met as titles in the Helsinki report, and real headlines beside them.
    #[test]
    fn headlines_are_told_from_leftover_chrome() {
        for chrome in [
            "FacebookEmail Twitter Google+",
            "Areas of fog early, becoming mostly sunny this afternoon. High 91F. Winds N at 5 to 10 mph..",
            "By Emily Tillett CBS News July 15, 2018, 12:46 PM",
            "— CBS News (@CBSNews) July 16, 2018",
            "FILE - In this Nov. 11, 2017 file photo, U.S. President Donald Trump and Russia's President Vladimir Putin talk during the APEC summit",
            "Some U.S. lawmakers had pressed Trump to consider scrapping the summit altogether after 12 Russians were charged with hacking.",
            "Share",
            "(Martti Kainulainen/Lehtikuva via AP)",
            "Updated: July 16, 2018 @ 7:52 am",
            "Associated Press - Monday, July 16, 2018",
        ] {
            assert!(!is_headline(chrome), "{chrome}");
        }
        for headline in [
            "Trump arrives to go 1-on-1 with Putin at Helsinki summit",
            "The Latest: Trump to Putin: The world wants us to get along",
            "Trump to play golf as he preps for Putin summit amid Russian...",
            "Why is Trump so enthralled by Putin? What does the Russian president have on him?",
        ] {
            assert!(is_headline(headline), "{headline}");
        }
        let deduper = Deduper::new(Config::default()).unwrap();
        let text = "FacebookEmail Twitter Google+\nBy Jane Doe\nCouncil approves new budget\nThe city council voted on Tuesday to approve the budget for the coming year.";
        let doc = Document::new("d", text);
        let stripped = deduper.stripper().strip(&doc.text);
        assert_eq!(
            title(&doc, &doc.text, &stripped),
            "Council approves new budget"
        );
        // With no headline, the first line that is not a byline.
        let text = "By Jane Doe - Associated Press - Monday, July 16, 2018\nThe city council voted on Tuesday to approve the budget for the coming year, after a long debate.";
        let doc = Document::new("d", text);
        let stripped = deduper.stripper().strip(&doc.text);
        assert!(title(&doc, &doc.text, &stripped).starts_with("The city council voted"));
    }

    #[test]
    fn shortened_text_ends_at_a_whole_word() {
        let t = "Associated Press - Monday, July 16, 2018";
        assert_eq!(shorten(t, 100), t);
        assert_eq!(shorten(t, 29), "Associated Press - Monday,…");
        assert!(shorten(t, 29).chars().count() <= 29);
        assert_eq!(shorten("Supercalifragilistic", 5), "…");
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A failure while writing the second output leaves the first output's old file in place (its
    /// new contents were written, but never renamed in) and no temporary anywhere.
    #[test]
    fn outputs_are_replaced_only_when_every_one_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.json"));
        fs::write(&a, "old a").unwrap();
        fs::write(&b, "old b").unwrap();
        let mut set = OutputSet::new();
        let (sa, sb) = (set.add(&a).unwrap(), set.add(&b).unwrap());
        set.write(sa, |w| w.write_all(b"new a")).unwrap();
        assert_eq!(names(dir.path()).len(), 3, "a temporary beside a");
        let err = set
            .write(sb, |w| {
                w.write_all(b"half of b")?;
                Err(io::Error::other("the disk is full"))
            })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: the disk is full", b.display())
        );
        drop(set);
        assert_eq!(fs::read_to_string(&a).unwrap(), "old a");
        assert_eq!(fs::read_to_string(&b).unwrap(), "old b");
        assert_eq!(names(dir.path()), ["a.jsonl", "b.json"]);

        let mut set = OutputSet::new();
        let (sa, sb) = (set.add(&a).unwrap(), set.add(&b).unwrap());
        set.write(sa, |w| w.write_all(b"new a")).unwrap();
        set.write(sb, |w| w.write_all(b"new b")).unwrap();
        assert_eq!(
            fs::read_to_string(&a).unwrap(),
            "old a",
            "not before commit"
        );
        set.commit().unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "new a");
        assert_eq!(fs::read_to_string(&b).unwrap(), "new b");
        assert_eq!(names(dir.path()), ["a.jsonl", "b.json"]);
    }

    #[test]
    fn destinations_are_checked_when_added() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = OutputSet::new();
        let missing = dir.path().join("nodir/c.json");
        let err = set.add(&missing).unwrap_err().to_string();
        assert!(err.contains("cannot write here: directory "), "{err}");
        assert!(err.ends_with("nodir does not exist"), "{err}");
        let err = set.add(dir.path()).unwrap_err().to_string();
        assert!(err.ends_with("cannot write here: is a directory"), "{err}");
        let file = dir.path().join("p.jsonl");
        set.add(&file).unwrap();
        let again = dir.path().join(".").join("p.jsonl");
        let err = set.add(&again).unwrap_err().to_string();
        assert!(err.contains("the same file as"), "{err}");
        assert!(
            names(dir.path()).is_empty(),
            "checking leaves nothing behind"
        );
    }

    #[test]
    fn a_title_is_a_kept_line_with_words_not_the_sites_chrome() {
        let deduper = Deduper::new(Config::default()).unwrap();
        let doc = |text: &str, title: Option<&str>| {
            let mut doc = Document::new("d", text);
            if let Some(t) = title {
                doc.meta.insert("title".into(), Value::String(t.into()));
            }
            doc
        };
        let text = "Home | World | Business | Sport\n×\nCouncil approves new budget\nThe city council voted on Tuesday to approve the budget.";
        let d = doc(text, None);
        let stripped = deduper.stripper().strip(&d.text);
        assert_eq!(title(&d, &d.text, &stripped), "Council approves new budget");
        let d = doc(text, Some("From the field"));
        assert_eq!(title(&d, &d.text, &stripped), "From the field");
    }

    /// A corpus whose texts went to a temporary file writes the same kept corpus, CSV pairs (with
    /// titles from the texts) and summary as one that holds them: the writers read texts back.
    #[test]
    fn writers_read_spilled_texts_back() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample/docs.jsonl");
        let read = |budget| {
            let mut corpus = Corpus::with_text_budget(budget);
            corpus
                .read(&crate::Input::parse(path), &crate::ReadOptions::default())
                .unwrap();
            corpus
        };
        let (held, spilled) = (read(usize::MAX), read(0));
        assert!(spilled.texts_spilled() && spilled.documents()[0].text.is_empty());
        let deduper = Deduper::new(Config::default()).unwrap();
        let written = |corpus: &Corpus| {
            let outcome = deduper.run(corpus, &crate::NoProgress);
            let (mut keep, mut csv, mut summary) = (Vec::new(), Vec::new(), Vec::new());
            write_keep(&mut keep, corpus, &outcome).unwrap();
            write_pairs_csv(&mut csv, corpus, &outcome).unwrap();
            write_top_clusters(&mut summary, corpus, &outcome, 3, 100).unwrap();
            (keep, csv, summary)
        };
        let (want, got) = (written(&held), written(&spilled));
        assert!(String::from_utf8_lossy(&want.0).contains("\"text\""));
        assert!(!want.1.is_empty() && !want.2.is_empty());
        assert_eq!(got, want);
    }

    /// The pairs file puts lines together from pieces; each line is what serialising its
    /// `PairRecord` gives. The fixtures have exact-copy groups (verdicts shared by many pairs),
    /// aligned and unaligned verdicts, and ids that JSON must escape (quotes, markup, non-ASCII).
    #[test]
    fn pairs_lines_are_their_records_serialised() {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
        let mut corpus = Corpus::from_inputs(
            [
                crate::Input::parse(&format!("{fixtures}/devsample/docs.jsonl")),
                crate::Input::parse(&format!("{fixtures}/hostile.jsonl")),
            ],
            &crate::ReadOptions::default(),
        )
        .unwrap();
        for (i, text) in ["Copy \"quoted\" été", "Copy \\ tab\t"].iter().enumerate() {
            let first = corpus.documents()[0].text.clone();
            corpus
                .push(Document::new(format!("{text} {i}"), first))
                .unwrap();
        }
        let outcome = Deduper::new(Config::default())
            .unwrap()
            .run(&corpus, &crate::NoProgress);
        let shared = outcome.pairs.len()
            - outcome
                .pairs
                .iter()
                .map(|p| Arc::as_ptr(&p.verdict))
                .collect::<std::collections::HashSet<_>>()
                .len();
        assert!(shared > 0, "some pairs share a verdict");
        assert!(outcome
            .pairs
            .iter()
            .any(|p| p.verdict.measures.alignment.is_some()));
        let mut out = Vec::new();
        write_pairs(&mut out, &corpus, &outcome).unwrap();
        let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
        assert_eq!(lines.len(), outcome.pairs.len());
        for (line, pair) in lines.iter().zip(&outcome.pairs) {
            let record = serde_json::to_string(&PairRecord::new(&corpus, &outcome, pair)).unwrap();
            assert_eq!(*line, record);
        }
    }
}
