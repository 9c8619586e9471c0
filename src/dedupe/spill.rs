//! Where a large corpus's per-document sets wait between fingerprinting and the stages that read
//! them: each document's word-shingle and content-word sets (read back to verify a candidate pair,
//! and to choose a group's original), and the anchors of every document (read back a part at a
//! time to find containment candidates). Below [`SPILL_BYTES`] of text they are held in memory;
//! above, they go to temporary files (deleted when closed), read by offset.

use std::io::Write;

use crate::anchor::{postings_in_parts, PARTS};
use crate::fingerprint::Fingerprint;

/// A corpus of more than this many bytes of text has its documents' sets spilled to disk (see
/// [`SpilledSets`] and [`AnchorParts`]); held, its sets would take about as much again.
pub(super) const SPILL_BYTES: usize = 256 << 20;

/// Every document's word-shingle and content-word sets, written to a temporary file (deleted when
/// closed) as they are made. Verification reads back the sets of the documents of one batch. The
/// sets are the largest thing a run holds for every document (some 7 KB an article of news length).
pub(super) struct SpilledSets {
    file: std::fs::File,
    /// Each document's sets: where they start in the file, in hashes, and the length of each; `None`
    /// if they were not written (a copy's, or after a failed write).
    spans: Vec<Option<SetSpan>>,
}

/// Where one document's two sets lie in the spill file: the shingles, then the content words.
#[derive(Debug, Clone, Copy)]
pub(super) struct SetSpan {
    start: u64,
    shingles: u32,
    content: u32,
}

/// Writes sets to the spill file from worker threads, in the order they come.
pub(super) struct SetSpill {
    file: std::fs::File,
    /// The writer and the number of hashes written (`None` once a write failed).
    out: std::sync::Mutex<(std::io::BufWriter<std::fs::File>, Option<u64>)>,
}

impl SetSpill {
    /// A spill file, if the system can make one and read it by offset.
    pub(super) fn new() -> Option<SetSpill> {
        let (file, writer) = temporary()?;
        Some(SetSpill {
            file,
            out: std::sync::Mutex::new((writer, Some(0))),
        })
    }

    /// Writes `print`'s shingle and content sets and leaves it neither; where they lie, if written.
    pub(super) fn write(&self, print: &mut Fingerprint) -> Option<SetSpan> {
        let span = self.out.lock().ok().and_then(|mut out| {
            let (writer, at) = &mut *out;
            let start = (*at)?;
            let written = writer
                .write_all(bytemuck::cast_slice(&print.shingles))
                .and_then(|()| writer.write_all(bytemuck::cast_slice(&print.content)));
            let (shingles, content) = (print.shingles.len() as u32, print.content.len() as u32);
            // After a failed write the file's length is unknown: nothing more is written.
            *at = written
                .ok()
                .map(|()| start + u64::from(shingles) + u64::from(content));
            at.map(|_| SetSpan {
                start,
                shingles,
                content,
            })
        });
        print.shingles = Vec::new();
        print.content = Vec::new();
        span
    }

    /// The spilled sets, their spans given by document.
    pub(super) fn finish(self, mut spans: Vec<Option<SetSpan>>) -> SpilledSets {
        let flushed = match self.out.into_inner() {
            Ok((mut writer, Some(_))) => writer.flush().is_ok(),
            _ => false,
        };
        if !flushed {
            spans.iter_mut().for_each(|span| *span = None);
        }
        SpilledSets {
            file: self.file,
            spans,
        }
    }
}

impl SpilledSets {
    /// Document `d`'s shingle and content sets, read back.
    pub(super) fn read(&self, d: usize) -> std::io::Result<(Vec<u64>, Vec<u64>)> {
        let span = self.spans[d].ok_or(std::io::ErrorKind::NotFound)?;
        let mut both = vec![0u64; span.shingles as usize + span.content as usize];
        read_exact_at(
            &self.file,
            bytemuck::cast_slice_mut(&mut both),
            span.start * 8,
        )?;
        let content = both.split_off(span.shingles as usize);
        Ok((both, content))
    }

    /// Document `d`'s content set alone, read back.
    pub(super) fn read_content(&self, d: usize) -> std::io::Result<Vec<u64>> {
        let span = self.spans[d].ok_or(std::io::ErrorKind::NotFound)?;
        let mut content = vec![0u64; span.content as usize];
        let at = (span.start + u64::from(span.shingles)) * 8;
        read_exact_at(&self.file, bytemuck::cast_slice_mut(&mut content), at)?;
        Ok(content)
    }
}

/// A temporary file (deleted when closed) and a writer to it, if the system can make one and read
/// it by offset.
fn temporary() -> Option<(std::fs::File, std::io::BufWriter<std::fs::File>)> {
    if !cfg!(unix) {
        return None;
    }
    let file = tempfile::tempfile().ok()?;
    let writer = std::io::BufWriter::with_capacity(1 << 20, file.try_clone().ok()?);
    Some((file, writer))
}

/// The anchors of the documents that go on to candidates, as `(anchor, document)` postings in
/// [`PARTS`] parts by the anchor's top byte, added a chunk of documents at a time: held in memory,
/// or (for a large corpus) written to a temporary file, each part's pieces read back together when
/// the containment channel takes the part. At a million articles the anchors alone are some 2 GB.
pub(super) struct AnchorParts {
    /// Each part's pieces held in memory.
    held: Vec<Vec<Vec<(u64, u32)>>>,
    /// The file, if the anchors go to disk.
    file: Option<std::fs::File>,
    /// Its writer and the postings written through it (`None` once a write failed: later pieces
    /// are held).
    writer: Option<(std::io::BufWriter<std::fs::File>, u64)>,
    /// Each part's pieces on disk: where each starts, in postings, and its length.
    spans: Vec<Vec<(u64, usize)>>,
}

/// An anchor and a document that has it.
type Posting = (u64, u32);

/// The bytes of one posting on disk: the anchor, then the document.
const POSTING_BYTES: usize = 12;

impl AnchorParts {
    /// Parts held in memory, or written to disk if `spill` (and the system can).
    pub(super) fn new(spill: bool) -> AnchorParts {
        let (file, writer) = match spill.then(temporary).flatten() {
            Some((file, writer)) => (Some(file), Some((writer, 0))),
            None => (None, None),
        };
        AnchorParts {
            held: (0..PARTS).map(|_| Vec::new()).collect(),
            file,
            writer,
            spans: (0..PARTS).map(|_| Vec::new()).collect(),
        }
    }

    /// Adds the anchors of some documents: `docs` gives each one's id and sorted shingle set, and
    /// `expected` the number of shingles of them all, about.
    pub(super) fn add<'a>(
        &mut self,
        docs: impl Iterator<Item = (u32, &'a [u64])>,
        sampling: u64,
        expected: usize,
    ) {
        let parts = postings_in_parts(docs, sampling, expected);
        let mut bytes = Vec::new();
        for (p, piece) in parts.into_iter().enumerate() {
            if piece.is_empty() {
                continue;
            }
            let Some((writer, at)) = &mut self.writer else {
                self.held[p].push(piece);
                continue;
            };
            bytes.clear();
            for &(h, d) in &piece {
                bytes.extend_from_slice(&h.to_le_bytes());
                bytes.extend_from_slice(&d.to_le_bytes());
            }
            if writer.write_all(&bytes).is_ok() {
                self.spans[p].push((*at, piece.len()));
                *at += piece.len() as u64;
            } else {
                self.writer = None;
                self.held[p].push(piece);
            }
        }
    }

    /// The parts, ready to be taken one by one: [`take`](ReadyParts::take).
    pub(super) fn finish(self) -> ReadyParts {
        let AnchorParts {
            held,
            file,
            writer,
            spans,
        } = self;
        // A writer that failed may have left pieces unwritten: reading them back will fail.
        if let Some((mut writer, _)) = writer {
            let _ = writer.flush();
        }
        ReadyParts {
            held: held.into_iter().map(std::sync::Mutex::new).collect(),
            spans,
            file,
        }
    }
}

/// The anchors' parts, each taken once by the containment channel.
pub(super) struct ReadyParts {
    held: Vec<std::sync::Mutex<Vec<Vec<Posting>>>>,
    spans: Vec<Vec<(u64, usize)>>,
    file: Option<std::fs::File>,
}

impl ReadyParts {
    /// Part `p`'s postings (unsorted), its held pieces freed as they are gathered. A piece that
    /// cannot be read back from disk is an error.
    pub(super) fn take(&self, p: usize) -> std::io::Result<Vec<(u64, u32)>> {
        let held = self.held[p]
            .lock()
            .map(|mut pieces| std::mem::take(&mut *pieces))
            .unwrap_or_default();
        let on_disk: usize = self.spans[p].iter().map(|&(_, len)| len).sum();
        let mut postings: Vec<(u64, u32)> =
            Vec::with_capacity(held.iter().map(Vec::len).sum::<usize>() + on_disk);
        for piece in held {
            postings.extend_from_slice(&piece);
        }
        if let (Some(file), false) = (&self.file, self.spans[p].is_empty()) {
            let mut bytes = Vec::new();
            for &(start, len) in &self.spans[p] {
                bytes.resize(len * POSTING_BYTES, 0);
                read_exact_at(file, &mut bytes, start * POSTING_BYTES as u64)?;
                postings.extend(bytes.chunks_exact(POSTING_BYTES).map(|b| {
                    let (h, d) = b.split_at(8);
                    let h = u64::from_le_bytes(h.try_into().unwrap_or_default());
                    let d = u32::from_le_bytes(d.try_into().unwrap_or_default());
                    (h, d)
                }));
            }
        }
        Ok(postings)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(_: &std::fs::File, _: &mut [u8], _: u64) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::corpus::Corpus;
    use crate::dedupe::{Deduper, NoProgress};
    use crate::{Input, ReadOptions};

    /// A run whose sets and anchors are spilled to disk, and whose documents are stripped and
    /// fingerprinted in chunks of a few documents (each chunk's texts read back, through its own
    /// table of lines), finds the pairs, candidates, clusters and strippings of one that holds
    /// everything and takes the corpus as one chunk; and so does one whose texts were spilled too.
    #[test]
    fn spilled_and_chunked_runs_give_the_same_outcome() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample/docs.jsonl");
        let input = [Input::parse(path)];
        let corpus = Corpus::from_inputs(input.clone(), &ReadOptions::default())
            .expect("the bundled sample reads");
        let deduper = Deduper::new(Config::default()).expect("valid config");
        let held = deduper.run_with(&corpus, &NoProgress, usize::MAX, usize::MAX);
        assert!(!held.pairs.is_empty());
        let mut texts_spilled = Corpus::with_text_budget(0);
        texts_spilled
            .read(&input[0], &ReadOptions::default())
            .unwrap();
        assert!(texts_spilled.texts_spilled());
        for (corpus, chunk) in [(&corpus, 0), (&corpus, 20_000), (&texts_spilled, 50_000)] {
            let spilled = deduper.run_with(corpus, &NoProgress, 0, chunk);
            assert_eq!(spilled.pairs, held.pairs, "chunks of {chunk} bytes");
            assert_eq!(
                spilled.stats.candidates_by_channel,
                held.stats.candidates_by_channel
            );
            assert_eq!(spilled.clusters, held.clusters);
            assert_eq!(spilled.documents, held.documents);
        }
    }

    /// Sets read back are those fingerprinting made, and anchors read back from disk are those
    /// added, in their parts.
    #[test]
    fn sets_and_anchors_read_back_as_written() {
        let spill = SetSpill::new().expect("a spill file");
        let mut print = Fingerprint {
            shingles: vec![1 << 40, 3, 9 << 40],
            content: vec![5, 7],
            ..Fingerprint::default()
        };
        let span = spill.write(&mut print);
        assert!(print.shingles.is_empty() && print.content.is_empty());
        let file = spill.finish(vec![None, span]);
        let sets = (vec![1 << 40, 3, 9 << 40], vec![5, 7]);
        assert_eq!(file.read(1).expect("read back"), sets);
        assert_eq!(file.read_content(1).expect("read back"), vec![5, 7]);
        assert!(file.read(0).is_err());

        let sets: [&[u64]; 3] = [&[1, 2 << 56, 3 << 56], &[2 << 56, 7], &[]];
        let docs = || sets.iter().enumerate().map(|(d, set)| (d as u32, *set));
        let (mut on_disk, mut held) = (AnchorParts::new(true), AnchorParts::new(false));
        assert!(on_disk.file.is_some() && held.file.is_none());
        for parts in [&mut on_disk, &mut held] {
            // Added in two chunks: each part gathers its pieces.
            parts.add(docs().take(1), 1, 3);
            parts.add(docs().skip(1), 1, 2);
        }
        let (on_disk, held) = (on_disk.finish(), held.finish());
        for p in 0..PARTS {
            let want: Vec<(u64, u32)> = docs()
                .flat_map(|(d, set)| set.iter().map(move |&h| (h, d)))
                .filter(|&(h, _)| crate::anchor::part_of(h) == p)
                .collect();
            assert_eq!(on_disk.take(p).expect("read back"), want, "part {p}");
            assert_eq!(held.take(p).expect("held"), want, "part {p}");
        }
    }
}
