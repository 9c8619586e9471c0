//! Where a corpus's texts wait: in its documents while they are few, in a temporary file once they
//! pass a budget, read back by offset ([`Corpus::text`]) when a stage needs them.
//!
//! A million articles of news length are 3.5 GB of text, and a run needs each text only a few times
//! (stripping, fingerprinting, verifying a candidate pair, writing a report): held, they would be
//! most of its memory. The file is read with `pread`, not mapped, so the texts read back count
//! against the process's memory only while a stage holds them.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::{Corpus, DocId};

/// Texts written to a temporary file (deleted when closed), each known by its span.
#[derive(Debug)]
pub(super) struct TextSpill {
    file: File,
    /// The writer, and the bytes written through it.
    writer: Mutex<(BufWriter<File>, u64)>,
    /// Bytes known to be in the file (flushed): a read past them flushes first.
    flushed: AtomicU64,
    /// Each spilled document's text: where it starts in the file and its length in bytes.
    spans: Vec<(u64, u32)>,
}

impl TextSpill {
    /// A spill file, if the system can make one and read it by offset.
    pub(super) fn new() -> Option<TextSpill> {
        if !cfg!(unix) {
            return None;
        }
        let file = tempfile::tempfile().ok()?;
        let writer = BufWriter::with_capacity(1 << 20, file.try_clone().ok()?);
        Some(TextSpill {
            file,
            writer: Mutex::new((writer, 0)),
            flushed: AtomicU64::new(0),
            spans: Vec::new(),
        })
    }

    /// Number of texts spilled: the documents `0..len()` of the corpus.
    pub(super) fn len(&self) -> usize {
        self.spans.len()
    }

    /// Appends the next document's text. A text longer than 4 GB, or a failed write, is an error:
    /// the caller keeps the text.
    pub(super) fn push(&mut self, text: &str) -> std::io::Result<()> {
        let len = u32::try_from(text.len()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
        let (writer, at) = self
            .writer
            .get_mut()
            .map_err(|_| std::io::ErrorKind::Other)?;
        writer.write_all(text.as_bytes())?;
        self.spans.push((*at, len));
        *at += u64::from(len);
        Ok(())
    }

    /// The length in bytes of spilled text `i`.
    pub(super) fn len_of(&self, i: usize) -> usize {
        self.spans[i].1 as usize
    }

    /// Spilled text `i`, read back.
    pub(super) fn read(&self, i: usize) -> std::io::Result<String> {
        let (start, len) = self.spans[i];
        let end = start + u64::from(len);
        if end > self.flushed.load(Ordering::Acquire) {
            let mut out = self.writer.lock().map_err(|_| std::io::ErrorKind::Other)?;
            out.0.flush()?;
            self.flushed.store(out.1, Ordering::Release);
        }
        let mut bytes = vec![0u8; len as usize];
        read_exact_at(&self.file, &mut bytes, start)?;
        String::from_utf8(bytes).map_err(|_| std::io::ErrorKind::InvalidData.into())
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(_: &File, _: &mut [u8], _: u64) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

impl Corpus {
    /// An empty corpus whose texts go to a temporary file once they take more than `budget` bytes
    /// (all of them then, those held so far included): [`Document::text`](super::Document::text)
    /// is then empty, and [`text`](Self::text) reads a text back. The batch CLI reads large inputs
    /// so; [`Corpus::new`] holds every text.
    pub fn with_text_budget(budget: usize) -> Corpus {
        Corpus {
            text_budget: budget,
            ..Corpus::default()
        }
    }

    /// Whether the texts wait in a temporary file rather than in the documents.
    pub fn texts_spilled(&self) -> bool {
        self.spill.is_some()
    }

    /// Document `id`'s text: borrowed from the document, or read back from the spill file.
    ///
    /// # Panics
    /// If the corpus's own temporary file cannot be read back (the disk failed under the run).
    pub fn text(&self, id: DocId) -> Cow<'_, str> {
        let i = id.index();
        match &self.spill {
            Some(spill) if i < spill.len() => Cow::Owned(spill.read(i).unwrap_or_else(|e| {
                panic!("reprint: the corpus's temporary text file cannot be read back: {e}")
            })),
            _ => Cow::Borrowed(&self.docs[i].text),
        }
    }

    /// The length in bytes of document `id`'s text, without reading it.
    pub fn text_len(&self, id: DocId) -> usize {
        let i = id.index();
        match &self.spill {
            Some(spill) if i < spill.len() => spill.len_of(i),
            _ => self.docs[i].text.len(),
        }
    }

    /// Bytes of text of every document.
    pub fn text_bytes(&self) -> usize {
        self.text_bytes
    }

    /// Takes the text of the document just pushed (the last) into the spill file if the texts are
    /// over budget, starting the file (with every text held so far) the first time. A text that
    /// cannot be spilled stays in its document, and so do all after it.
    pub(super) fn spill_last_text(&mut self) {
        if self.spill.is_none() {
            if self.text_bytes <= self.text_budget {
                return;
            }
            let Some(mut spill) = TextSpill::new() else {
                self.text_budget = usize::MAX;
                return;
            };
            for doc in &self.docs[..self.docs.len() - 1] {
                if spill.push(&doc.text).is_err() {
                    self.text_budget = usize::MAX;
                    return;
                }
            }
            let held = self.docs.len() - 1;
            for doc in &mut self.docs[..held] {
                doc.text = String::new();
            }
            self.spill = Some(spill);
        }
        let count = self.docs.len();
        let (Some(spill), Some(doc)) = (&mut self.spill, self.docs.last_mut()) else {
            return;
        };
        // Texts after one that failed stay held: a spilled text is always one of the first.
        if spill.len() + 1 == count && spill.push(&doc.text).is_ok() {
            doc.text = String::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Document;
    use crate::{Input, ReadOptions};

    fn texts(corpus: &Corpus) -> Vec<String> {
        (0..corpus.len() as u32)
            .map(|d| corpus.text(DocId(d)).into_owned())
            .collect()
    }

    /// Texts spilled over a budget read back as they were given, however the budget falls; and
    /// their lengths and total are known without reading them.
    #[test]
    fn spilled_texts_read_back_equal() {
        let given = ["first text", "été — second", "third\nwith lines", "4"];
        for budget in [0, 12, 25, usize::MAX] {
            let mut corpus = Corpus::with_text_budget(budget);
            for (i, text) in given.iter().enumerate() {
                corpus.push(Document::new(i.to_string(), *text)).unwrap();
                // Reading between pushes flushes what is needed.
                assert_eq!(corpus.text(DocId(i as u32)), *text);
            }
            assert_eq!(texts(&corpus), given, "budget {budget}");
            assert_eq!(corpus.texts_spilled(), budget < usize::MAX);
            if corpus.texts_spilled() {
                assert!(corpus.documents().iter().all(|d| d.text.is_empty()));
            }
            let lens: Vec<usize> = (0..4).map(|d| corpus.text_len(DocId(d))).collect();
            assert_eq!(lens, given.map(str::len));
            assert_eq!(
                corpus.text_bytes(),
                given.iter().map(|t| t.len()).sum::<usize>()
            );
        }
    }

    /// Every reader's texts read back from the spill equal those a corpus holding them has:
    /// JSONL, a directory of text files (one not UTF-8), and JSON from any reader (as stdin is
    /// read).
    #[test]
    fn every_input_reads_back_the_same_texts_spilled() {
        let dir = tempfile::tempdir().unwrap();
        let jsonl = dir.path().join("a.jsonl");
        std::fs::write(
            &jsonl,
            b"{\"id\":\"x\",\"text\":\"one\\ntwo\"}\n{\"id\":\"y\",\"text\":\"caf\xe9\"}\n",
        )
        .unwrap();
        let texts_dir = dir.path().join("texts");
        std::fs::create_dir(&texts_dir).unwrap();
        std::fs::write(texts_dir.join("a.txt"), "plain text\n").unwrap();
        std::fs::write(texts_dir.join("b.txt"), b"Windows-1252 caf\xe9\n").unwrap();
        let options = ReadOptions::default();
        let inputs = [Input::Path(jsonl), Input::Path(texts_dir)];
        let read = |budget| {
            let mut corpus = Corpus::with_text_budget(budget);
            for input in &inputs {
                corpus.read(input, &options).unwrap();
            }
            let stdin_like = "{\"id\":\"s\",\"text\":\"from a reader\"}\n".as_bytes();
            corpus
                .read_json_from(stdin_like, "<stdin>", &options)
                .unwrap();
            corpus
        };
        let (held, spilled) = (read(usize::MAX), read(0));
        assert!(spilled.texts_spilled() && !held.texts_spilled());
        assert_eq!(held.len(), 5);
        assert_eq!(texts(&spilled), texts(&held));
        assert!(texts(&held)[1].contains("café") && texts(&held)[3].contains("café"));
        assert_eq!(spilled.text_bytes(), held.text_bytes());
    }
}
