//! The `reprint._reprint` extension module: the crate's pipeline for Python (`dedupe`, `compare`)
//! and its engine stages over Arrow record batches (`Stages`), exchanged through the Arrow C data
//! interface without copying. The Python package (`reprint/`) wraps these in documented functions.

use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int64Builder, ListBuilder, StringBuilder};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, LargeStringArray,
    RecordBatch, StringArray, StringViewArray, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3_arrow::PyRecordBatch;
use reprint::boilerplate::LineKey;
use reprint::cluster::Published;
use reprint::engine;
use reprint::report::explain::{write_comparison, ComparisonRecord};
use reprint::report::{write_clusters, write_pairs, VerdictRecord};
use reprint::verify::Verdict;
use reprint::{AddOptions, AddStatus, Config, Corpus, Deduper, Document, Index, Match, NoProgress};

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A validated `Config` from its JSON (every field optional; unknown fields are an error).
fn config_from_json(json: Option<&str>) -> PyResult<Config> {
    let config: Config = match json {
        Some(json) => serde_json::from_str(json).map_err(value_error)?,
        None => Config::default(),
    };
    config.validate().map_err(value_error)?;
    Ok(config)
}

fn metadata(json: Option<&str>) -> PyResult<serde_json::Map<String, serde_json::Value>> {
    match json {
        None => Ok(serde_json::Map::new()),
        Some(json) => match serde_json::from_str(json).map_err(value_error)? {
            serde_json::Value::Object(map) => Ok(map),
            _ => Err(PyTypeError::new_err("metadata must be a JSON object")),
        },
    }
}

/// What `dedupe` hands back to Python: the pairs as JSON Lines, the clusters as JSON (the CLI's
/// `--pairs` and `--clusters` files), the input positions of the records kept, the positions and
/// reasons of the records skipped, and the run's counts as JSON.
type DedupeResult = (String, String, Vec<usize>, Vec<(usize, String)>, String);

/// Runs the pipeline on records given as parallel lists: ids, texts, and each record's other fields
/// as a JSON object (or None).
#[pyfunction]
#[pyo3(signature = (ids, texts, metas, config=None))]
fn dedupe(
    py: Python<'_>,
    ids: Vec<String>,
    texts: Vec<String>,
    metas: Vec<Option<String>>,
    config: Option<String>,
) -> PyResult<DedupeResult> {
    if ids.len() != texts.len() || ids.len() != metas.len() {
        return Err(PyValueError::new_err(
            "ids, texts and metas differ in length",
        ));
    }
    let config = config_from_json(config.as_deref())?;
    let deduper = Deduper::new(config).map_err(value_error)?;
    let mut corpus = Corpus::new();
    let mut positions = Vec::with_capacity(ids.len());
    let mut skipped = Vec::new();
    for (i, ((id, text), meta)) in ids.into_iter().zip(texts).zip(metas).enumerate() {
        let mut doc = Document::new(id, text);
        doc.meta = metadata(meta.as_deref())?;
        doc.origin.line = Some(i as u64 + 1);
        match corpus.push(doc) {
            Ok(_) => positions.push(i),
            Err(skip) => skipped.push((i, skip.reason.to_string())),
        }
    }
    py.detach(|| {
        let outcome = deduper.run(&corpus, &NoProgress);
        let (mut pairs, mut clusters) = (Vec::new(), Vec::new());
        write_pairs(&mut pairs, &corpus, &outcome).map_err(value_error)?;
        write_clusters(&mut clusters, &corpus, &outcome).map_err(value_error)?;
        let mut dropped = vec![false; corpus.len()];
        for c in &outcome.clusters {
            for &m in &c.members {
                dropped[m.index()] = m != c.canonical;
            }
        }
        let kept = (positions.iter().zip(&dropped))
            .filter(|(_, &d)| !d)
            .map(|(&p, _)| p)
            .collect();
        let stats = serde_json::to_string(&outcome.stats).map_err(value_error)?;
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).map_err(value_error);
        Ok((text(pairs)?, text(clusters)?, kept, skipped, stats))
    })
}

/// Compares two documents; returns the comparison as JSON and as text for people.
#[pyfunction]
#[pyo3(signature = (id_a, text_a, id_b, text_b, config=None))]
fn compare(
    py: Python<'_>,
    id_a: String,
    text_a: String,
    id_b: String,
    text_b: String,
    config: Option<String>,
) -> PyResult<(String, String)> {
    let config = config_from_json(config.as_deref())?;
    let deduper = Deduper::new(config).map_err(value_error)?;
    let (a, b) = (Document::new(id_a, text_a), Document::new(id_b, text_b));
    py.detach(|| {
        let cmp = deduper.compare(&a, &b);
        let json =
            serde_json::to_string(&ComparisonRecord::new(&a, &b, &cmp)).map_err(value_error)?;
        let mut text = Vec::new();
        write_comparison(&mut text, &a, &b, &cmp).map_err(value_error)?;
        Ok((json, String::from_utf8(text).map_err(value_error)?))
    })
}

/// A column of strings, whichever Arrow layout it has (engines send `large_string` or views).
enum Strings<'a> {
    Small(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl Strings<'_> {
    fn get(&self, i: usize) -> Option<&str> {
        match self {
            Strings::Small(a) => (!a.is_null(i)).then(|| a.value(i)),
            Strings::Large(a) => (!a.is_null(i)).then(|| a.value(i)),
            Strings::View(a) => (!a.is_null(i)).then(|| a.value(i)),
        }
    }
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> PyResult<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| PyValueError::new_err(format!("the batch has no column {name:?}")))
}

fn strings<'a>(batch: &'a RecordBatch, name: &str) -> PyResult<Strings<'a>> {
    let col = column(batch, name)?;
    let any = col.as_any();
    let wrong = || PyTypeError::new_err(format!("column {name:?} must be strings"));
    Ok(match col.data_type() {
        DataType::Utf8 => Strings::Small(any.downcast_ref().ok_or_else(wrong)?),
        DataType::LargeUtf8 => Strings::Large(any.downcast_ref().ok_or_else(wrong)?),
        DataType::Utf8View => Strings::View(any.downcast_ref().ok_or_else(wrong)?),
        _ => return Err(wrong()),
    })
}

/// An integer column as `i64`s (nulls read as 0).
fn ints(batch: &RecordBatch, name: &str) -> PyResult<Vec<i64>> {
    let col = column(batch, name)?;
    let any = col.as_any();
    if let Some(a) = any.downcast_ref::<Int64Array>() {
        return Ok(a.iter().map(|v| v.unwrap_or(0)).collect());
    }
    if let Some(a) = any.downcast_ref::<Int32Array>() {
        return Ok(a.iter().map(|v| i64::from(v.unwrap_or(0))).collect());
    }
    if let Some(a) = any.downcast_ref::<UInt64Array>() {
        return Ok(a.iter().map(|v| v.unwrap_or(0) as i64).collect());
    }
    if let Some(a) = any.downcast_ref::<UInt32Array>() {
        return Ok(a.iter().map(|v| i64::from(v.unwrap_or(0))).collect());
    }
    Err(PyTypeError::new_err(format!(
        "column {name:?} must be integers"
    )))
}

fn bools(batch: &RecordBatch, name: &str) -> PyResult<BooleanArray> {
    column(batch, name)?
        .as_any()
        .downcast_ref::<BooleanArray>()
        .cloned()
        .ok_or_else(|| PyTypeError::new_err(format!("column {name:?} must be booleans")))
}

fn batch_of(columns: Vec<(&str, ArrayRef)>) -> PyResult<PyRecordBatch> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema, columns.into_iter().map(|(_, a)| a).collect())
        .map_err(value_error)?;
    Ok(PyRecordBatch::new(batch))
}

fn list_of(lists: &[Vec<u64>]) -> ArrayRef {
    let mut builder = ListBuilder::new(Int64Builder::new());
    for list in lists {
        builder
            .values()
            .extend(list.iter().map(|&v| Some(v as i64)));
        builder.append(true);
    }
    Arc::new(builder.finish())
}

/// The engine stages of one configuration and one set of learned chrome lines, over Arrow record
/// batches. Hashes travel as `int64` (the bits of the `u64`), as engines have no unsigned type.
#[pyclass(frozen, module = "reprint._reprint")]
struct Stages {
    inner: engine::Stages,
}

#[pymethods]
impl Stages {
    #[new]
    #[pyo3(signature = (config=None, chrome=Vec::new(), site_chrome=Vec::new()))]
    fn new(config: Option<String>, chrome: Vec<i64>, site_chrome: Vec<i64>) -> PyResult<Self> {
        let config = config_from_json(config.as_deref())?;
        let bits =
            |hashes: Vec<i64>| -> Vec<u64> { hashes.into_iter().map(|h| h as u64).collect() };
        let (chrome, site_chrome) = (bits(chrome), bits(site_chrome));
        Ok(Stages {
            inner: engine::Stages::new(config, &chrome, &site_chrome).map_err(value_error)?,
        })
    }

    /// The configuration in force, as JSON.
    fn config_json(&self) -> PyResult<String> {
        serde_json::to_string(self.inner.config()).map_err(value_error)
    }

    /// Learned chrome lines stripped after the rules.
    fn chrome_len(&self) -> usize {
        self.inner.chrome_lines()
    }

    /// `{doc, text}` → one row per line the rules keep: `{doc, hash, bytes, prose, words}`
    /// (`prose`: the line reads as a paragraph; with `words`, for [`Stages::is_story_line`]).
    fn line_keys(&self, py: Python<'_>, batch: PyRecordBatch) -> PyResult<Py<PyAny>> {
        let batch = batch.into_inner();
        let (docs, texts) = (ints(&batch, "doc")?, strings(&batch, "text")?);
        let (mut doc, mut hash, mut bytes) = (Vec::new(), Vec::new(), Vec::new());
        let (mut prose, mut words) = (Vec::new(), Vec::new());
        for (i, &d) in docs.iter().enumerate() {
            for key in self.inner.line_keys(texts.get(i).unwrap_or("")) {
                doc.push(d);
                hash.push(key.hash as i64);
                bytes.push(i64::from(key.bytes));
                prose.push(Some(key.prose));
                words.push(i64::from(key.words));
            }
        }
        let out = batch_of(vec![
            ("doc", Arc::new(Int64Array::from(doc))),
            ("hash", Arc::new(Int64Array::from(hash))),
            ("bytes", Arc::new(Int64Array::from(bytes))),
            ("prose", Arc::new(BooleanArray::from_iter(prose))),
            ("words", Arc::new(Int64Array::from(words))),
        ])?;
        Ok(out.into_pyarrow(py)?.unbind())
    }

    /// `{doc, hash, bytes, df, frequent}`, every line of a document (in order) in consecutive rows →
    /// `{hash, share}`: for each frequent line of each document, the share of the document that
    /// recurs with it.
    fn block_shares(&self, py: Python<'_>, batch: PyRecordBatch) -> PyResult<Py<PyAny>> {
        let batch = batch.into_inner();
        let (docs, hashes, bytes, df) = (
            ints(&batch, "doc")?,
            ints(&batch, "hash")?,
            ints(&batch, "bytes")?,
            ints(&batch, "df")?,
        );
        let frequent = bools(&batch, "frequent")?;
        let (mut hash_out, mut share_out) = (Vec::new(), Vec::new());
        let mut start = 0;
        while start < docs.len() {
            let end = (start..docs.len())
                .find(|&i| docs[i] != docs[start])
                .unwrap_or(docs.len());
            let rows = start..end;
            let lines: Vec<LineKey> = rows
                .clone()
                .map(|i| LineKey {
                    hash: hashes[i] as u64,
                    words: 0,
                    bytes: u32::try_from(bytes[i]).unwrap_or(u32::MAX),
                    // Block shares need a line's hash and size only.
                    prose: false,
                    figures: 0,
                })
                .collect();
            let of = |h: u64| rows.clone().find(|&i| hashes[i] as u64 == h);
            let shares = engine::block_shares(
                &lines,
                |h| of(h).map_or(0, |i| df[i].max(0) as u64),
                |h| of(h).is_some_and(|i| frequent.value(i)),
            );
            for (h, share) in shares {
                hash_out.push(h as i64);
                share_out.push(share);
            }
            start = end;
        }
        let out = batch_of(vec![
            ("hash", Arc::new(Int64Array::from(hash_out))),
            ("share", Arc::new(Float64Array::from(share_out))),
        ])?;
        Ok(out.into_pyarrow(py)?.unbind())
    }

    /// The kinds of pair that join clusters (every kind but `partial`: two different articles that
    /// share a passage are reported, never clustered).
    #[staticmethod]
    fn kinds_joining_clusters() -> Vec<&'static str> {
        reprint::Kind::ALL
            .iter()
            .filter(|k| k.joins_clusters())
            .map(|k| k.as_str())
            .collect()
    }

    /// The links of one connected component (of the pairs that join clusters) that a hub would
    /// cluster by and must not, as `dedupe` finds them: `links` as `(a, b, kind, score)` over
    /// members `0..n`. Returns their indices; such pairs are reported `partial`, scored by their
    /// passage's share.
    #[staticmethod]
    fn hub_cuts(n: usize, links: Vec<(u32, u32, String, f64)>) -> PyResult<Vec<usize>> {
        let links: Vec<(u32, u32, reprint::Kind, f64)> = links
            .into_iter()
            .map(|(a, b, kind, score)| {
                let kind = serde_json::from_value(serde_json::Value::String(kind))
                    .map_err(value_error)?;
                Ok((a, b, kind, score))
            })
            .collect::<PyResult<_>>()?;
        Ok(engine::Stages::hub_cuts(n, &links))
    }

    /// Whether a frequent line whose block shares sum to `share_sum` over `count` documents is chrome.
    fn is_learned(&self, share_sum: f64, count: u64) -> bool {
        engine::is_learned(share_sum, count, &self.inner.config().boilerplate)
    }

    /// Whether a line learned as chrome is a story's text after all, as the batch learner decides:
    /// a paragraph of prose (`prose`, `words`) printed by `sources` sources, at most `most`
    /// documents of one, among `df` documents.
    fn is_story_line(&self, prose: bool, words: u32, sources: u32, most: u32, df: u32) -> bool {
        engine::is_story_line(prose, words, sources, most, df)
    }

    /// `{doc, text}` → `{doc, body_hash (null: no words), title_hash, words, removed_share, member,
    /// headline, shingle_bands, content_bands, anchors}`.
    fn prepare(&self, py: Python<'_>, batch: PyRecordBatch) -> PyResult<Py<PyAny>> {
        let batch = batch.into_inner();
        let (docs, texts) = (ints(&batch, "doc")?, strings(&batch, "text")?);
        let config = self.inner.config();
        let prepared: Vec<engine::DocKeys> = (0..docs.len())
            .map(|i| self.inner.prepare(texts.get(i).unwrap_or("")))
            .collect();
        let column = |f: &dyn Fn(&engine::DocKeys) -> Vec<u64>| {
            list_of(&prepared.iter().map(f).collect::<Vec<_>>())
        };
        let out = batch_of(vec![
            ("doc", Arc::new(Int64Array::from(docs.clone()))),
            (
                "body_hash",
                Arc::new(Int64Array::from_iter(
                    prepared.iter().map(|p| p.body_hash.map(|h| h as i64)),
                )),
            ),
            (
                "title_hash",
                Arc::new(Int64Array::from_iter_values(
                    prepared.iter().map(|p| p.title_hash as i64),
                )),
            ),
            (
                "words",
                Arc::new(Int64Array::from_iter_values(
                    prepared.iter().map(|p| p.words as i64),
                )),
            ),
            (
                "removed_share",
                Arc::new(Float64Array::from_iter_values(
                    prepared.iter().map(|p| p.removed_share),
                )),
            ),
            (
                "member",
                Arc::new(BooleanArray::from_iter(
                    prepared.iter().map(|p| Some(p.is_member(config))),
                )),
            ),
            (
                "headline",
                Arc::new(BooleanArray::from_iter(
                    prepared.iter().map(|p| Some(p.is_headline(config))),
                )),
            ),
            ("shingle_bands", column(&|p| p.shingle_bands.clone())),
            ("content_bands", column(&|p| p.content_bands.clone())),
            ("anchors", column(&|p| p.anchors.clone())),
        ])?;
        Ok(out.into_pyarrow(py)?.unbind())
    }

    /// `{a, b, text_a, text_b, channels}` → the verified pairs only: `{a, b, kind, score, jaccard,
    /// containment, content_jaccard, aligned_sentences, aligned_share, substitution_rate,
    /// edit_rate, swapped_sentences, immutables}` (the measures rounded as the pairs file has them;
    /// the alignment's null where the pair was not aligned).
    fn verify(&self, py: Python<'_>, batch: PyRecordBatch) -> PyResult<Py<PyAny>> {
        let batch = batch.into_inner();
        let (a, b) = (ints(&batch, "a")?, ints(&batch, "b")?);
        let (text_a, text_b) = (strings(&batch, "text_a")?, strings(&batch, "text_b")?);
        let channels = ints(&batch, "channels")?;
        let mut verified: Vec<(i64, i64, VerdictRecord)> = Vec::new();
        for i in 0..a.len() {
            let (ta, tb) = (text_a.get(i).unwrap_or(""), text_b.get(i).unwrap_or(""));
            let bits = u8::try_from(channels[i] & 0xff).unwrap_or(0);
            if let Some(v) = self.inner.verify(ta, tb, bits) {
                verified.push((a[i], b[i], VerdictRecord::new(&v)));
            }
        }
        Ok(verdict_batch(&verified)?.into_pyarrow(py)?.unbind())
    }

    /// The record fields of an exact copy's verdict, as JSON (every pair inside a group of identical
    /// bodies has it).
    fn exact_record(&self) -> PyResult<String> {
        serde_json::to_string(&VerdictRecord::new(&Verdict::exact())).map_err(value_error)
    }

    /// The canonical member of one connected component: `texts` and `published` (each member's
    /// `published` value as JSON, or None) in corpus order, `pairs` as indices into them. Returns
    /// `(canonical index, reason)`, or None if the pairs link fewer than two members.
    fn cluster(
        &self,
        py: Python<'_>,
        texts: Vec<String>,
        published: Vec<Option<String>>,
        pairs: Vec<(u32, u32)>,
    ) -> PyResult<Option<(usize, String)>> {
        let published: Vec<Option<Published>> = published
            .iter()
            .map(|p| {
                p.as_deref()
                    .and_then(|json| serde_json::from_str(json).ok())
                    .and_then(|value| Published::from_json(&value))
            })
            .collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let cluster = py.detach(|| self.inner.cluster(&texts, &published, &pairs));
        cluster
            .map(|c| {
                let reason = serde_json::to_value(c.reason).map_err(value_error)?;
                Ok((
                    c.canonical.index(),
                    reason.as_str().unwrap_or("").to_string(),
                ))
            })
            .transpose()
    }
}

fn verdict_batch(verified: &[(i64, i64, VerdictRecord)]) -> PyResult<PyRecordBatch> {
    let mut kind = StringBuilder::new();
    let mut floats: Vec<Float64Builder> = (0..9).map(|_| Float64Builder::new()).collect();
    let mut aligned = Int64Builder::new();
    let mut passage = StringBuilder::new();
    for (_, _, r) in verified {
        kind.append_value(r.kind.as_str());
        // A version's or partial pair's shared passage, as the pairs file writes it.
        let json = r.passage.as_ref().map(serde_json::to_string).transpose();
        passage.append_option(json.map_err(value_error)?);
        let values = [
            Some(r.score),
            Some(r.jaccard),
            Some(r.containment),
            Some(r.content_jaccard),
            r.aligned_share,
            r.substitution_rate,
            r.edit_rate,
            r.swapped_sentences,
            r.immutables,
        ];
        for (builder, v) in floats.iter_mut().zip(values) {
            builder.append_option(v);
        }
        aligned.append_option(r.aligned_sentences.map(|n| n as i64));
    }
    let mut floats = floats
        .into_iter()
        .map(|mut b| Arc::new(b.finish()) as ArrayRef);
    let mut next = || floats.next().expect("nine measures");
    batch_of(vec![
        (
            "a",
            Arc::new(Int64Array::from_iter_values(verified.iter().map(|v| v.0))),
        ),
        (
            "b",
            Arc::new(Int64Array::from_iter_values(verified.iter().map(|v| v.1))),
        ),
        ("kind", Arc::new(kind.finish())),
        ("score", next()),
        ("jaccard", next()),
        ("containment", next()),
        ("content_jaccard", next()),
        ("aligned_sentences", Arc::new(aligned.finish())),
        ("aligned_share", next()),
        ("substitution_rate", next()),
        ("edit_rate", next()),
        ("swapped_sentences", next()),
        ("immutables", next()),
        ("passage", Arc::new(passage.finish())),
    ])
}

fn matches_json(matches: &[Match]) -> PyResult<String> {
    let records: Vec<_> = matches.iter().map(Match::record).collect();
    serde_json::to_string(&records).map_err(value_error)
}

fn document(id: String, text: String, meta: Option<&str>) -> PyResult<Document> {
    let mut doc = Document::new(id, text);
    doc.meta = metadata(meta)?;
    Ok(doc)
}

/// An index of documents on disk (`reprint::Index`): documents added over time are checked against
/// everything held. Results travel as JSON, which the Python wrapper decodes.
#[pyclass(frozen, module = "reprint._reprint", name = "Index")]
struct PyIndex {
    inner: Index,
}

#[pymethods]
impl PyIndex {
    /// Opens the index in `path`, or creates it there (with `config`, JSON) if none is there.
    /// An existing index opened with a `config` must have been made with it.
    #[new]
    #[pyo3(signature = (path, config=None))]
    fn new(py: Python<'_>, path: std::path::PathBuf, config: Option<String>) -> PyResult<Self> {
        let exists = path.join("data.mdb").exists();
        let parsed = config
            .as_deref()
            .map(|c| config_from_json(Some(c)))
            .transpose()?;
        let inner = py.detach(|| match (exists, parsed) {
            (true, None) => Index::open(&path),
            (true, Some(config)) => Index::open_expecting(&path, &config, None),
            (false, config) => Index::create(&path, config.unwrap_or_default(), None),
        });
        Ok(PyIndex {
            inner: inner.map_err(value_error)?,
        })
    }

    /// Checks a document and stores it; returns the matches as a JSON list.
    #[pyo3(signature = (id, text, meta=None))]
    fn add(
        &self,
        py: Python<'_>,
        id: String,
        text: String,
        meta: Option<String>,
    ) -> PyResult<String> {
        let doc = document(id, text, meta.as_deref())?;
        let matches = py.detach(|| self.inner.add(&doc)).map_err(value_error)?;
        matches_json(&matches)
    }

    /// Adds documents in one batch: `[{id, status, reason?, matches}]` as JSON.
    #[pyo3(signature = (ids, texts, metas, replace=false))]
    fn add_batch(
        &self,
        py: Python<'_>,
        ids: Vec<String>,
        texts: Vec<String>,
        metas: Vec<Option<String>>,
        replace: bool,
    ) -> PyResult<String> {
        let docs = (ids.into_iter().zip(texts).zip(metas))
            .map(|((id, text), meta)| document(id, text, meta.as_deref()))
            .collect::<PyResult<Vec<_>>>()?;
        let results = py
            .detach(|| self.inner.add_batch(&docs, AddOptions { replace }))
            .map_err(value_error)?;
        let records: Vec<serde_json::Value> = results
            .iter()
            .map(|r| {
                let (status, reason) = match &r.status {
                    AddStatus::Added => ("added", None),
                    AddStatus::Unchanged => ("unchanged", None),
                    AddStatus::Replaced => ("replaced", None),
                    AddStatus::Conflict => ("conflict", None),
                    AddStatus::Skipped(why) => ("skipped", Some(why.as_str())),
                };
                let matches: Vec<_> = r.matches.iter().map(Match::record).collect();
                let mut record =
                    serde_json::json!({"id": r.id, "status": status, "matches": matches});
                if let Some(reason) = reason {
                    record["reason"] = reason.into();
                }
                record
            })
            .collect();
        serde_json::to_string(&records).map_err(value_error)
    }

    /// The held documents a document copies or is copied by, as a JSON list; nothing is stored.
    #[pyo3(signature = (id, text, meta=None))]
    fn check(
        &self,
        py: Python<'_>,
        id: String,
        text: String,
        meta: Option<String>,
    ) -> PyResult<String> {
        let doc = document(id, text, meta.as_deref())?;
        let matches = py.detach(|| self.inner.check(&doc)).map_err(value_error)?;
        matches_json(&matches)
    }

    /// Removes a document; whether it was held.
    fn remove(&self, py: Python<'_>, id: String) -> PyResult<bool> {
        py.detach(|| self.inner.remove(&id)).map_err(value_error)
    }

    /// The cluster a held document belongs to, as JSON (`null` if none).
    fn cluster_of(&self, py: Python<'_>, id: String) -> PyResult<String> {
        let view = py
            .detach(|| self.inner.cluster_of(&id))
            .map_err(value_error)?;
        serde_json::to_string(&view).map_err(value_error)
    }

    /// A held document as JSON (`{id, text, ...metadata}`), or `null`.
    fn get(&self, py: Python<'_>, id: String) -> PyResult<String> {
        let doc = py.detach(|| self.inner.get(&id)).map_err(value_error)?;
        let record = doc.map(|d| {
            let mut record = serde_json::Map::new();
            record.insert("id".into(), d.id.into());
            record.insert("text".into(), d.text.into());
            for (k, v) in d.meta {
                record.entry(k).or_insert(v);
            }
            serde_json::Value::Object(record)
        });
        serde_json::to_string(&record).map_err(value_error)
    }

    /// Counts of what the index holds, as JSON.
    fn stats(&self, py: Python<'_>) -> PyResult<String> {
        let stats = py.detach(|| self.inner.stats()).map_err(value_error)?;
        serde_json::to_string(&stats).map_err(value_error)
    }
}

#[pymodule]
fn _reprint(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(dedupe, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_class::<Stages>()?;
    m.add_class::<PyIndex>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
