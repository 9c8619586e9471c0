//! Where a large corpus's word-shingle sets wait between fingerprinting and verification: in a
//! temporary file rather than in memory, each document keeping only its anchors.

use std::io::Write;

use crate::anchor::is_anchor;
use crate::fingerprint::Fingerprint;

/// A corpus of more than this many bytes of text has its word-shingle sets spilled to disk (see
/// [`SpilledShingles`]); its sets would take about as much again.
pub(super) const SPILL_BYTES: usize = 256 << 20;

/// Every document's word-shingle set, written to a temporary file (deleted when closed) as it is
/// made, while each document keeps in memory only its anchors (one shingle in `anchor_sampling`),
/// all the anchor index needs. Verification reads back the sets of the documents of one batch. The
/// sets are the largest thing a run holds for every document (4.6 KB an article of news length).
pub(super) struct SpilledShingles {
    file: std::fs::File,
    /// Each document's set: where it starts in the file, in hashes, and its length; `None` if it
    /// was not written (a copy's, or after a failed write).
    spans: Vec<Option<(u64, u32)>>,
}

/// Writes shingle sets to the spill file from worker threads, in the order they come.
pub(super) struct ShingleSpill {
    file: std::fs::File,
    /// The writer and the number of hashes written (`None` once a write failed).
    out: std::sync::Mutex<(std::io::BufWriter<std::fs::File>, Option<u64>)>,
}

impl ShingleSpill {
    /// A spill file, if the system can make one and read it by offset.
    pub(super) fn new() -> Option<ShingleSpill> {
        if !cfg!(unix) {
            return None;
        }
        let file = tempfile::tempfile().ok()?;
        let writer = std::io::BufWriter::with_capacity(1 << 20, file.try_clone().ok()?);
        Some(ShingleSpill {
            file,
            out: std::sync::Mutex::new((writer, Some(0))),
        })
    }

    /// Writes `print`'s shingle set and leaves it only its anchors; where the set lies, if written.
    pub(super) fn write(&self, print: &mut Fingerprint, sampling: u64) -> Option<(u64, u32)> {
        let span = self.out.lock().ok().and_then(|mut out| {
            let (writer, at) = &mut *out;
            let start = (*at)?;
            let written = writer.write_all(bytemuck::cast_slice(&print.shingles));
            // After a failed write the file's length is unknown: nothing more is written.
            *at = written.ok().map(|()| start + print.shingles.len() as u64);
            at.map(|_| (start, print.shingles.len() as u32))
        });
        print.shingles.retain(|&h| is_anchor(h, sampling));
        print.shingles.shrink_to_fit();
        span
    }

    /// The spilled sets, their spans given by document.
    pub(super) fn finish(self, mut spans: Vec<Option<(u64, u32)>>) -> SpilledShingles {
        let flushed = match self.out.into_inner() {
            Ok((mut writer, Some(_))) => writer.flush().is_ok(),
            _ => false,
        };
        if !flushed {
            spans.iter_mut().for_each(|span| *span = None);
        }
        SpilledShingles {
            file: self.file,
            spans,
        }
    }
}

impl SpilledShingles {
    /// Document `d`'s shingle set, read back.
    pub(super) fn read(&self, d: usize) -> std::io::Result<Vec<u64>> {
        let (start, len) = self.spans[d].ok_or(std::io::ErrorKind::NotFound)?;
        let mut set = vec![0u64; len as usize];
        read_exact_at(&self.file, bytemuck::cast_slice_mut(&mut set), start * 8)?;
        Ok(set)
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

    /// A run whose shingle sets are spilled to disk (each document keeping its anchors) finds the
    /// pairs, candidates and clusters of one that holds them.
    #[test]
    fn spilled_shingle_sets_give_the_same_outcome() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample/docs.jsonl");
        let corpus = Corpus::from_inputs([Input::parse(path)], &ReadOptions::default())
            .expect("the bundled sample reads");
        let deduper = Deduper::new(Config::default()).expect("valid config");
        let held = deduper.run_spilling(&corpus, &NoProgress, usize::MAX);
        let spilled = deduper.run_spilling(&corpus, &NoProgress, 0);
        assert!(!held.pairs.is_empty());
        assert_eq!(spilled.pairs, held.pairs);
        assert_eq!(
            spilled.stats.candidates_by_channel,
            held.stats.candidates_by_channel
        );
        assert_eq!(spilled.clusters, held.clusters);
        // And a set read back is the one fingerprinting made.
        let spill = ShingleSpill::new().expect("a spill file");
        let mut print = Fingerprint {
            shingles: vec![1 << 40, 3, 9 << 40],
            ..Fingerprint::default()
        };
        let span = spill.write(&mut print, 4);
        // Only 3 has top bits that are a multiple of 4: the one anchor.
        assert_eq!(print.shingles, vec![3]);
        let file = spill.finish(vec![None, span]);
        assert_eq!(file.read(1).expect("read back"), vec![1 << 40, 3, 9 << 40]);
        assert!(file.read(0).is_err());
    }
}
