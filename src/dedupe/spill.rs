//! Where a large corpus's anchors wait between fingerprinting and the containment channel: read
//! back a part at a time. Below [`SPILL_BYTES`] of text they are held in memory; above, they go to
//! a temporary file (deleted when closed), read by offset. (A large corpus's shingle and
//! content-word sets are not kept at all: verification and the canonical choice make the few they
//! need again from the text, 7 KB of sets an article against 3.5 KB of text.)

use std::io::Write;

use rayon::prelude::*;

use crate::anchor::{postings_in_parts, PARTS};

/// A corpus of more than this many bytes of text has its anchors spilled to disk (see
/// [`AnchorParts`]), and its documents' sets made again when needed rather than kept.
pub(super) const SPILL_BYTES: usize = 256 << 20;

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

    /// Adds the anchors of some documents: `docs` gives each one's id and sorted shingle set. The
    /// postings are made in parallel, a run of documents at a time, each run's pieces kept in
    /// order: a part gathers the postings of the documents in the order they are given.
    pub(super) fn add(&mut self, docs: &[(u32, &[u64])], sampling: u64) {
        let postings = |docs: &[(u32, &[u64])]| {
            let expected = docs.iter().map(|(_, set)| set.len()).sum();
            postings_in_parts(docs.iter().copied(), sampling, expected)
        };
        let runs: Vec<Vec<Vec<Posting>>> = if self.writer.is_some() {
            vec![postings(docs)]
        } else {
            // A few runs a thread, so that a thread slowed by other work leaves its share to the
            // rest.
            let run = docs.len().div_ceil(4 * rayon::current_num_threads()).max(1);
            docs.par_chunks(run).map(postings).collect()
        };
        let mut pieces: Vec<Vec<Vec<Posting>>> = (0..PARTS).map(|_| Vec::new()).collect();
        for parts in runs {
            for (p, piece) in parts.into_iter().enumerate() {
                if !piece.is_empty() {
                    pieces[p].push(piece);
                }
            }
        }
        let mut bytes = Vec::new();
        for (p, pieces) in pieces.into_iter().enumerate() {
            if pieces.is_empty() {
                continue;
            }
            let Some((writer, at)) = &mut self.writer else {
                self.held[p].extend(pieces);
                continue;
            };
            // On disk, a part's pieces of one call are one span.
            bytes.clear();
            for &(h, d) in pieces.iter().flatten() {
                bytes.extend_from_slice(&h.to_le_bytes());
                bytes.extend_from_slice(&d.to_le_bytes());
            }
            if writer.write_all(&bytes).is_ok() {
                let len = bytes.len() / POSTING_BYTES;
                self.spans[p].push((*at, len));
                *at += len as u64;
            } else {
                self.writer = None;
                self.held[p].extend(pieces);
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

    /// A run whose anchors are spilled to disk and sets made again, and whose documents are stripped and
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

    /// Anchors read back from disk are those added, in their parts, as held ones are: each part's
    /// postings in the order of the documents given, though they are made a run of documents at a
    /// time on several threads.
    #[test]
    fn anchors_read_back_as_written() {
        // Some parts' anchors shared by every document, some by one; a document may have none.
        let sets: Vec<Vec<u64>> = (0..300u64)
            .map(|d| match d % 7 {
                0 => Vec::new(),
                _ => vec![d % 3, (2 << 56) | 5, ((d % 5) << 56) | (d << 8), 3 << 56],
            })
            .map(|mut set| {
                set.sort_unstable();
                set
            })
            .collect();
        let docs: Vec<(u32, &[u64])> = (0..).zip(sets.iter().map(Vec::as_slice)).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("a thread pool");
        let (mut on_disk, mut held) = (AnchorParts::new(true), AnchorParts::new(false));
        assert!(on_disk.file.is_some() && held.file.is_none());
        for parts in [&mut on_disk, &mut held] {
            // Added in two chunks: each part gathers its pieces.
            pool.install(|| {
                parts.add(&docs[..100], 1);
                parts.add(&docs[100..], 1);
            });
        }
        let (on_disk, held) = (on_disk.finish(), held.finish());
        for p in 0..PARTS {
            let want: Vec<(u64, u32)> = (docs.iter())
                .flat_map(|&(d, set)| set.iter().map(move |&h| (h, d)))
                .filter(|&(h, _)| crate::anchor::part_of(h) == p)
                .collect();
            assert_eq!(on_disk.take(p).expect("read back"), want, "part {p}");
            assert_eq!(held.take(p).expect("held"), want, "part {p}");
        }
    }
}
