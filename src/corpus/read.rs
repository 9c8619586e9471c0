//! Readers: a directory of text files, a JSONL file, a JSON array, or either on standard input.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::decode::{decode, decode_record, Decoding};
use super::{Corpus, Document, Origin, ReadWarning, Skip, SkipReason};
use crate::error::InputError;

/// One input source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A directory (every `.txt`/`.md` file below it), a `.jsonl`/`.ndjson`/`.json` file, or one
    /// text file.
    Path(PathBuf),
    /// JSONL (or a JSON array) on standard input.
    Stdin,
}

impl Input {
    /// `-` means standard input; anything else is a path.
    pub fn parse(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }
}

/// How records are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// The JSONL field holding the id (a string or a number).
    pub id_field: String,
    /// The JSONL field holding the text.
    pub text_field: String,
    /// Stop at the first unusable record instead of skipping it.
    pub strict: bool,
    /// Also read hidden files and directories (names starting with `.`) below an input directory.
    pub hidden: bool,
    /// Keep each JSON record's bytes as read ([`Document::record`]), to write them back unchanged.
    pub keep_records: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            id_field: "id".into(),
            text_field: "text".into(),
            strict: false,
            hidden: false,
            keep_records: false,
        }
    }
}

impl Corpus {
    /// A corpus of every input, read in order (see [`read`](Self::read)).
    pub fn from_inputs(
        inputs: impl IntoIterator<Item = Input>,
        options: &ReadOptions,
    ) -> Result<Corpus, InputError> {
        let mut corpus = Corpus::new();
        for input in inputs {
            corpus.read(&input, options)?;
        }
        Ok(corpus)
    }

    /// Reads one input into the corpus. Unusable records are skipped and recorded (see
    /// [`Corpus::skipped`]) unless `options.strict` is set, when the first one is returned as
    /// [`InputError::Rejected`]. An input that cannot be opened or read is an error; a file below an
    /// input directory that cannot be read (a dangling link, a link loop) is a skip.
    ///
    /// A text file's id is its path as given (for a file below a directory, the directory as given
    /// joined with the file's path inside it), so ids are unique across inputs. A `.json` file or
    /// standard input whose first character is `[` is read as one JSON array of records; otherwise
    /// JSON input is read as JSON Lines.
    pub fn read(&mut self, input: &Input, options: &ReadOptions) -> Result<(), InputError> {
        match input {
            Input::Stdin => {
                let path = Path::new("<stdin>");
                read_json(self, io::stdin(), "<stdin>", path, options, true)
            }
            Input::Path(path) => {
                let meta = std::fs::metadata(path).map_err(|error| InputError::Io {
                    path: path.clone(),
                    error,
                })?;
                if meta.is_dir() {
                    read_dir(self, path, options)
                } else {
                    let name = path.display().to_string();
                    match extension(path).as_deref() {
                        Some(ext @ ("jsonl" | "ndjson" | "json")) => {
                            let file = open(path)?;
                            read_json(self, file, &name, path, options, ext == "json")
                        }
                        Some("txt" | "md") => {
                            let bytes = std::fs::read(path).map_err(|error| InputError::Io {
                                path: path.clone(),
                                error,
                            })?;
                            add_text_file(self, &bytes, path, options)
                        }
                        _ => Err(InputError::UnknownKind { path: path.clone() }),
                    }
                }
            }
        }
    }

    /// Reads JSON records from any reader, as [`read`](Self::read) reads a `.json` file (a JSON
    /// array if its first character is `[`, else JSON Lines); `name` names it in skips and
    /// warnings.
    pub fn read_json_from(
        &mut self,
        reader: impl Read + Send,
        name: &str,
        options: &ReadOptions,
    ) -> Result<(), InputError> {
        read_json(self, reader, name, Path::new(name), options, true)
    }

    /// Adds one text file's bytes, in any encoding, as a document whose id is `path` (as
    /// [`read`](Self::read) reads a `.txt` file).
    pub fn add_text(
        &mut self,
        bytes: &[u8],
        path: &Path,
        options: &ReadOptions,
    ) -> Result<(), InputError> {
        add_text_file(self, bytes, path, options)
    }
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

fn open(path: &Path) -> Result<File, InputError> {
    File::open(path).map_err(|error| InputError::Io {
        path: path.to_path_buf(),
        error,
    })
}

/// Records a skip, or fails with it under strict reading.
fn skip(corpus: &mut Corpus, skip: Skip, options: &ReadOptions) -> Result<(), InputError> {
    if options.strict {
        return Err(InputError::Rejected(skip));
    }
    corpus.record_skip(skip);
    Ok(())
}

/// Pushes a document; a refusal (empty, duplicate id) is fatal under strict reading.
fn push(corpus: &mut Corpus, doc: Document, options: &ReadOptions) -> Result<(), InputError> {
    match corpus.push(doc) {
        Err(skipped) if options.strict => Err(InputError::Rejected(skipped)),
        _ => Ok(()),
    }
}

/// A text file's id: its path as given, with `./` steps left out and `/` between the parts.
fn path_id(path: &Path) -> String {
    let parts: PathBuf = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    let id = parts.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        id.into_owned()
    } else {
        id.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// A hidden file or directory: its name starts with `.` (ripgrep's convention).
fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// Whether a file below a directory is read as an article.
fn is_article(path: &Path) -> bool {
    matches!(extension(path).as_deref(), Some("txt" | "md"))
}

fn read_dir(corpus: &mut Corpus, root: &Path, options: &ReadOptions) -> Result<(), InputError> {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| options.hidden || e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                if e.depth() == 0 {
                    return Err(InputError::Io {
                        path,
                        error: e.into(),
                    });
                }
                let hidden = path.file_name().is_some_and(is_hidden);
                // A file that would not have been read anyway (hidden, another kind) is passed
                // over as it would have been; a directory or an article is a counted skip.
                let other_kind = path.extension().is_some() && !is_article(&path);
                if (hidden && !options.hidden) || other_kind {
                    continue;
                }
                let reason = match e.loop_ancestor() {
                    Some(ancestor) => format!("a link loop back to {}", ancestor.display()),
                    None if path.symlink_metadata().is_ok() && path.metadata().is_err() => {
                        "a dangling link".to_string()
                    }
                    None => e
                        .io_error()
                        .map_or_else(|| e.to_string(), ToString::to_string),
                };
                let origin = Origin {
                    source: path.display().to_string(),
                    line: None,
                };
                let reason = SkipReason::Unreadable(reason);
                skip(corpus, Skip { origin, reason }, options)?;
                continue;
            }
        };
        if !entry.file_type().is_file() || !is_article(entry.path()) {
            continue;
        }
        match std::fs::read(entry.path()) {
            Ok(bytes) => add_text_file(corpus, &bytes, entry.path(), options)?,
            Err(error) => {
                let origin = Origin {
                    source: entry.path().display().to_string(),
                    line: None,
                };
                let reason = SkipReason::Unreadable(error.to_string());
                skip(corpus, Skip { origin, reason }, options)?;
            }
        }
    }
    Ok(())
}

/// Adds a text file's bytes as a document, decoded from whatever encoding they are in.
fn add_text_file(
    corpus: &mut Corpus,
    bytes: &[u8],
    path: &Path,
    options: &ReadOptions,
) -> Result<(), InputError> {
    let origin = Origin {
        source: path.display().to_string(),
        line: None,
    };
    let decoded = decode(bytes);
    if let Some(decoding) = decoded.decoding {
        corpus.record_warning(ReadWarning {
            origin: origin.clone(),
            decoding,
        });
    }
    push(
        corpus,
        Document {
            id: path_id(path),
            text: decoded.text.into_owned(),
            meta: Map::new(),
            origin,
            record: None,
        },
        options,
    )
}

/// Reads JSON Lines, or, if `sniff` is set and the first character is `[`, one JSON array.
fn read_json(
    corpus: &mut Corpus,
    reader: impl Read + Send,
    name: &str,
    path: &Path,
    options: &ReadOptions,
    sniff: bool,
) -> Result<(), InputError> {
    let io_error = |error| InputError::Io {
        path: path.to_path_buf(),
        error,
    };
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    if sniff {
        let head = reader.fill_buf().map_err(io_error)?;
        let first = head.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'[') {
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).map_err(io_error)?;
            return read_json_array(corpus, &bytes, name, options);
        }
    }
    read_jsonl(corpus, reader, name, path, options)
}

/// Reads a JSON array of records; each is a document or a skip, as a JSONL line would be, its
/// origin the line it starts on. An array that does not parse is one skip.
fn read_json_array(
    corpus: &mut Corpus,
    bytes: &[u8],
    name: &str,
    options: &ReadOptions,
) -> Result<(), InputError> {
    let decoded = decode(bytes);
    if let Some(decoding) = decoded.decoding.clone() {
        let origin = Origin {
            source: name.to_string(),
            line: None,
        };
        corpus.record_warning(ReadWarning { origin, decoding });
    }
    let text: &str = &decoded.text;
    let elements: Vec<&RawValue> = match serde_json::from_str(text) {
        Ok(elements) => elements,
        Err(e) => {
            let origin = Origin {
                source: name.to_string(),
                line: Some(e.line() as u64),
            };
            let reason = SkipReason::MalformedJson(format!(
                "{e} (a .json file starting with `[` is read as one JSON array of records; \
                 use .jsonl for JSON Lines)"
            ));
            return skip(corpus, Skip { origin, reason }, options);
        }
    };
    let base = text.as_ptr() as usize;
    let parsed: Vec<(usize, Result<Option<Record>, SkipReason>)> = elements
        .par_iter()
        .map(|element| {
            let json = element.get();
            let at = json.as_ptr() as usize - base;
            let mut record = parse_record(json.as_bytes(), options);
            // A record comes back as one line: one written over several lines is compacted.
            if let Ok(Some(r)) = &mut record {
                if r.record.is_some() && json.contains('\n') {
                    r.record = serde_json::from_str::<Value>(json)
                        .and_then(|v| serde_json::to_vec(&v))
                        .ok()
                        .map(Vec::into_boxed_slice);
                }
            }
            (at, record)
        })
        .collect();
    let mut line = 1u64;
    let mut counted = 0;
    for (at, result) in parsed {
        line += memchr::memchr_iter(b'\n', &text.as_bytes()[counted..at]).count() as u64;
        counted = at;
        let origin = Origin {
            source: name.to_string(),
            line: Some(line),
        };
        add_record(corpus, result, origin, options)?;
    }
    Ok(())
}

fn read_jsonl(
    corpus: &mut Corpus,
    reader: impl Read + Send,
    name: &str,
    path: &Path,
    options: &ReadOptions,
) -> Result<(), InputError> {
    read_jsonl_batched(corpus, reader, name, path, options, JSONL_BATCH_BYTES)
}

/// [`read_jsonl`] in batches of some `batch` bytes.
fn read_jsonl_batched(
    corpus: &mut Corpus,
    mut reader: impl Read + Send,
    name: &str,
    path: &Path,
    options: &ReadOptions,
    batch: usize,
) -> Result<(), InputError> {
    let io_error = |error| InputError::Io {
        path: path.to_path_buf(),
        error,
    };
    // Lines are read in batches of whole lines; each batch is parsed in parallel while the one
    // before it is added to the corpus, record by record in order (so ids, skips and strict mode
    // behave as if read one by one), and the next one is read. Two batches of bytes bound the
    // memory read ahead.
    let mut partial = Vec::new();
    let mut line_no = 0u64;
    let mut current = read_lines(&mut reader, &mut partial, batch).map_err(io_error)?;
    let mut parsed = Vec::new();
    while !current.lines.is_empty() {
        let (now_parsed, (added, next)) = rayon::join(
            || {
                current
                    .lines
                    .par_iter()
                    .map(|r| parse_record(&current.bytes[r.clone()], options))
                    .collect::<Vec<_>>()
            },
            || {
                let added = add_records(
                    corpus,
                    std::mem::take(&mut parsed),
                    name,
                    &mut line_no,
                    options,
                );
                (added, read_lines(&mut reader, &mut partial, batch))
            },
        );
        added?;
        parsed = now_parsed;
        current = match next {
            Ok(next) => next,
            Err(error) => {
                // What was read before the error is added first, as if read one by one.
                add_records(corpus, parsed, name, &mut line_no, options)?;
                return Err(io_error(error));
            }
        };
    }
    add_records(corpus, parsed, name, &mut line_no, options)
}

/// Adds a batch's parsed records to the corpus in order; `line_no` is the line before the batch's
/// first, and is advanced past it.
fn add_records(
    corpus: &mut Corpus,
    parsed: Vec<Result<Option<Record>, SkipReason>>,
    name: &str,
    line_no: &mut u64,
    options: &ReadOptions,
) -> Result<(), InputError> {
    for result in parsed {
        *line_no += 1;
        let origin = Origin {
            source: name.to_string(),
            line: Some(*line_no),
        };
        add_record(corpus, result, origin, options)?;
    }
    Ok(())
}

/// Adds one parsed record (a document, with a warning if its bytes were decoded) or its skip.
fn add_record(
    corpus: &mut Corpus,
    result: Result<Option<Record>, SkipReason>,
    origin: Origin,
    options: &ReadOptions,
) -> Result<(), InputError> {
    match result {
        Ok(None) => Ok(()),
        Ok(Some(Record {
            id,
            text,
            meta,
            decoding,
            record,
        })) => {
            if let Some(decoding) = decoding {
                corpus.record_warning(ReadWarning {
                    origin: origin.clone(),
                    decoding,
                });
            }
            let doc = Document {
                id,
                text,
                meta,
                origin,
                record,
            };
            push(corpus, doc, options)
        }
        Err(reason) => skip(corpus, Skip { origin, reason }, options),
    }
}

/// Bytes of JSONL read ahead and parsed in parallel at a time.
const JSONL_BATCH_BYTES: usize = 8 << 20;

/// A batch of whole lines.
struct Lines {
    bytes: Vec<u8>,
    /// Each line's range in `bytes`, its line break left out.
    lines: Vec<Range<usize>>,
}

/// Reads the next batch of whole lines: some `batch` bytes, more if a line is longer. `partial` holds
/// the start of a line the last batch ended in the middle of, and receives this one's. No lines at
/// the end of the input.
fn read_lines(reader: &mut impl Read, partial: &mut Vec<u8>, batch: usize) -> io::Result<Lines> {
    let mut bytes = std::mem::take(partial);
    bytes.reserve(batch);
    let end = loop {
        let searched = bytes.len();
        let read = reader.by_ref().take(batch as u64).read_to_end(&mut bytes)?;
        let last_break = memchr::memrchr(b'\n', &bytes[searched..]).map(|i| searched + i + 1);
        match last_break {
            // The end of the input ends its last line.
            _ if read == 0 => break bytes.len(),
            Some(end) => break end,
            // No line ends in what was read: a line longer than a batch, read on.
            None => continue,
        }
    };
    partial.extend_from_slice(&bytes[end..]);
    bytes.truncate(end);
    let mut lines = Vec::new();
    let mut start = 0;
    for line_break in memchr::memchr_iter(b'\n', &bytes) {
        lines.push(start..line_break);
        start = line_break + 1;
    }
    if start < bytes.len() {
        lines.push(start..bytes.len());
    }
    Ok(Lines { bytes, lines })
}

/// A parsed JSONL record.
struct Record {
    id: String,
    text: String,
    meta: Map<String, Value>,
    /// How the line's bytes were decoded, if they were not UTF-8.
    decoding: Option<Decoding>,
    /// The line as read, if asked for.
    record: Option<Box<[u8]>>,
}

/// Parses one JSONL line (or one element of a JSON array); `None` for a blank line. Bytes that are
/// not UTF-8 are read as Windows-1252 ([`decode_record`]).
fn parse_record(bytes: &[u8], options: &ReadOptions) -> Result<Option<Record>, SkipReason> {
    let decoded = decode_record(bytes);
    let line: &str = &decoded.text;
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let mut record: Map<String, Value> = match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(map)) => map,
        Ok(other) => {
            return Err(SkipReason::MalformedJson(format!(
                "expected an object, found {}",
                json_kind(&other)
            )))
        }
        Err(e) => return Err(SkipReason::MalformedJson(e.to_string())),
    };
    let id = match record.shift_remove(&options.id_field) {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(SkipReason::WrongType(format!(
                "`{}` must be a string or a number, found {}",
                options.id_field,
                json_kind(&other)
            )))
        }
        None => return Err(SkipReason::MissingField(options.id_field.clone())),
    };
    let text = match record.shift_remove(&options.text_field) {
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(SkipReason::WrongType(format!(
                "`{}` must be a string, found {}",
                options.text_field,
                json_kind(&other)
            )))
        }
        None => return Err(SkipReason::MissingField(options.text_field.clone())),
    };
    Ok(Some(Record {
        id,
        text,
        // Made again with room for what is left: the parsed map had room for the id and text too,
        // and a million articles' metadata is much of a run's memory.
        meta: record.into_iter().collect(),
        decoding: decoded.decoding,
        record: options.keep_records.then(|| bytes.into()),
    }))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8], options: &ReadOptions) -> Result<Corpus, InputError> {
        read_batched(text, options, JSONL_BATCH_BYTES)
    }

    fn read_batched(
        text: impl Read + Send,
        options: &ReadOptions,
        batch: usize,
    ) -> Result<Corpus, InputError> {
        let mut corpus = Corpus::new();
        let path = Path::new("t.jsonl");
        read_jsonl_batched(&mut corpus, text, "t.jsonl", path, options, batch)?;
        Ok(corpus)
    }

    const BAD_LINES: &[u8] = b"{\"id\":\"a\",\"text\":\"one\",\"source\":\"x\"}\n\
        not json\n\
        \n\
        [1,2]\n\
        {\"id\":\"b\"}\n\
        {\"id\":\"c\",\"text\":7}\n\
        {\"id\":\"a\",\"text\":\"again\"}\n\
        {\"id\":3,\"text\":\"\xff\"}\n\
        {\"id\":4,\"text\":\"   \"}\n\
        {\"id\":5,\"text\":\"five\"}";

    /// What a corpus holds, for comparing two readings: each document's id, line and metadata, and
    /// each skip's line and reason.
    fn contents(corpus: &Corpus) -> Vec<String> {
        let docs = corpus
            .documents()
            .iter()
            .map(|d| format!("{} {} {:?}", d.id, d.origin, d.meta));
        let skips = corpus.skipped().iter().map(|s| s.to_string());
        docs.chain(skips).collect()
    }

    #[test]
    fn batches_of_any_size_read_as_one_batch() {
        let whole = read(BAD_LINES, &ReadOptions::default()).unwrap();
        let strict = ReadOptions {
            strict: true,
            ..ReadOptions::default()
        };
        let whole_strict = read(BAD_LINES, &strict).unwrap_err().to_string();
        for batch in 1..=BAD_LINES.len() {
            let corpus = read_batched(BAD_LINES, &ReadOptions::default(), batch).unwrap();
            assert_eq!(contents(&corpus), contents(&whole), "batches of {batch}");
            let err = read_batched(BAD_LINES, &strict, batch)
                .unwrap_err()
                .to_string();
            assert_eq!(err, whole_strict, "batches of {batch}");
        }
    }

    /// A reader whose input breaks off with an error after its bytes.
    struct BreaksOff<'a>(&'a [u8]);

    impl Read for BreaksOff<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::other("the disk went away"));
            }
            self.0.read(buf)
        }
    }

    /// Lines of a batch read whole before an input error are taken as if read one by one: under
    /// strict reading a bad one among them is the error reported. (A batch the error cuts short is
    /// lost with it.)
    #[test]
    fn a_bad_line_read_before_an_input_error_is_reported_first_under_strict_reading() {
        let strict = ReadOptions {
            strict: true,
            ..ReadOptions::default()
        };
        for batch in [1, 30, 100] {
            let err = read_batched(BreaksOff(BAD_LINES), &strict, batch).unwrap_err();
            assert!(
                err.to_string().starts_with("t.jsonl:2: malformed JSON"),
                "batches of {batch}: {err}"
            );
        }
        for batch in [1, 30, 100, JSONL_BATCH_BYTES] {
            let err = read_batched(BreaksOff(BAD_LINES), &ReadOptions::default(), batch);
            assert!(
                matches!(err, Err(InputError::Io { .. })),
                "batches of {batch}"
            );
        }
    }

    #[test]
    fn every_bad_line_is_skipped_with_its_line_number() {
        let corpus = read(BAD_LINES, &ReadOptions::default()).unwrap();
        assert_eq!(corpus.len(), 3);
        assert_eq!(corpus.documents()[2].id, "5");
        // The line with a byte that is not UTF-8 is read, with a warning naming line and byte.
        assert_eq!(corpus.documents()[1].text, "ÿ");
        assert_eq!(
            corpus.warnings()[0].to_string(),
            "t.jsonl:8: not valid UTF-8 at byte 16; 1 byte read as Windows-1252 (Latin-1)"
        );
        assert_eq!(corpus.documents()[0].meta_str("source"), Some("x"));
        let lines: Vec<(u64, &str)> = corpus
            .skipped()
            .iter()
            .map(|s| (s.origin.line.unwrap(), s.reason.name()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (2, "malformed_json"),
                (4, "malformed_json"),
                (5, "missing_field"),
                (6, "wrong_type"),
                (7, "duplicate_id"),
                (9, "empty_text"),
            ]
        );
        assert!(corpus.skipped()[0]
            .to_string()
            .starts_with("t.jsonl:2: malformed JSON"));
    }

    #[test]
    fn strict_reading_stops_at_the_first_bad_line() {
        let options = ReadOptions {
            strict: true,
            ..ReadOptions::default()
        };
        let err = read(b"{\"id\":\"a\",\"text\":\"x\"}\n{oops\n", &options).unwrap_err();
        assert!(
            err.to_string().starts_with("t.jsonl:2: malformed JSON"),
            "{err}"
        );
    }

    #[test]
    fn other_field_names_are_honoured() {
        let options = ReadOptions {
            id_field: "uid".into(),
            text_field: "body".into(),
            ..ReadOptions::default()
        };
        let corpus = read(
            b"{\"uid\":\"a\",\"body\":\"x\",\"id\":\"kept\"}\n",
            &options,
        )
        .unwrap();
        assert_eq!(corpus.documents()[0].id, "a");
        assert_eq!(corpus.documents()[0].meta_str("id"), Some("kept"));
    }

    proptest::proptest! {
        /// Read in batches of any size, lines come out whole, in order, each once, whatever their
        /// length (longer than a batch included) and whether the input ends with a line break.
        #[test]
        fn batches_hold_whole_lines(
            lines in proptest::collection::vec("[a-z\\r]{0,12}", 0..20),
            final_break: bool,
            batch in 1usize..16,
        ) {
            let mut text = lines.join("\n");
            if final_break && !lines.is_empty() {
                text.push('\n');
            }
            let mut reader = text.as_bytes();
            let mut partial = Vec::new();
            let mut got: Vec<String> = Vec::new();
            loop {
                let batch = read_lines(&mut reader, &mut partial, batch).expect("reads");
                if batch.lines.is_empty() {
                    break;
                }
                got.extend(batch.lines.iter().map(|r| String::from_utf8(batch.bytes[r.clone()].to_vec()).expect("UTF-8")));
            }
            let want: Vec<&str> = if text.is_empty() { Vec::new() } else { text.strip_suffix('\n').unwrap_or(&text).split('\n').collect() };
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn a_byte_order_mark_before_the_first_jsonl_line_is_passed_over() {
        let corpus = read(
            b"\xef\xbb\xbf{\"id\":\"a\",\"text\":\"x\"}\n",
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(corpus.len(), 1);
        assert!(corpus.warnings().is_empty());
    }

    #[test]
    fn a_json_array_gives_each_record_its_line_and_keeps_its_bytes() {
        let options = ReadOptions {
            keep_records: true,
            ..ReadOptions::default()
        };
        let text =
            b"[\n  {\"id\": 1, \"text\": \"one\"},\n  {\"id\": 2,\n   \"text\": \"two\"},\n  3\n]";
        let mut corpus = Corpus::new();
        corpus
            .read_json_from(&text[..], "a.json", &options)
            .unwrap();
        let docs: Vec<(String, String, &[u8])> = corpus
            .documents()
            .iter()
            .map(|d| {
                (
                    d.id.clone(),
                    d.origin.to_string(),
                    d.record.as_deref().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            docs,
            [
                (
                    "1".into(),
                    "a.json:2".into(),
                    &b"{\"id\": 1, \"text\": \"one\"}"[..]
                ),
                // A record written over two lines comes back on one.
                (
                    "2".into(),
                    "a.json:3".into(),
                    &b"{\"id\":2,\"text\":\"two\"}"[..]
                ),
            ]
        );
        assert_eq!(
            corpus.skipped()[0].to_string(),
            "a.json:5: malformed JSON: expected an object, found a number"
        );
        // A truncated array is one skip naming where it broke off.
        let mut corpus = Corpus::new();
        corpus
            .read_json_from(&text[..20], "a.json", &options)
            .unwrap();
        assert_eq!(corpus.len(), 0);
        assert!(corpus.skipped()[0]
            .to_string()
            .starts_with("a.json:2: malformed JSON"));
    }

    #[test]
    fn crlf_line_endings_are_accepted() {
        let corpus = read(
            b"{\"id\":\"a\",\"text\":\"x\"}\r\n{\"id\":\"b\",\"text\":\"y\"}\r\n",
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(corpus.len(), 2);
        assert!(corpus.skipped().is_empty());
    }
}
