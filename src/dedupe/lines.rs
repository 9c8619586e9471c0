//! What each document's lines are, and what is known of every distinct line of a chunk of a
//! corpus: the table stripping, body hashing and fingerprinting read instead of normalising a
//! reprinted line again in every copy. A table covers one chunk of documents (see
//! [`chunks`]), so that its size is bounded whatever the corpus's.

use std::borrow::Cow;
use std::ops::Range;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use crate::align::Profile;
use crate::boilerplate::{line_ranges, BodyHasher, LineFacts, Stripped, Stripper};
use crate::corpus::{Corpus, DocId};
use crate::fingerprint::{
    fingerprint_hashed_lines, fingerprint_normalized_lines, Fingerprint, Hashes, Scratch,
    SignatureSlots,
};
use crate::minhash::MinHasher;

/// Documents of at most this many bytes of text together are stripped and fingerprinted through
/// one table of lines (a larger corpus in several chunks, its texts read back for each): a chunk's
/// texts and table take some three times its text. A reprint is most often of a recent article:
/// its lines are mostly in its own chunk.
pub(super) const CHUNK_BYTES: usize = 32 << 20;

/// The corpus's documents cut, in order, into chunks of at most `max_bytes` of text (or one
/// document, if longer).
pub(super) fn chunks(corpus: &Corpus, max_bytes: usize) -> Vec<Range<usize>> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for d in 0..corpus.len() {
        let len = corpus.text_len(DocId(d as u32));
        if d > start && bytes + len > max_bytes {
            chunks.push(start..d);
            (start, bytes) = (d, 0);
        }
        bytes += len;
    }
    if start < corpus.len() {
        chunks.push(start..corpus.len());
    }
    chunks
}

/// The texts of a chunk of documents: borrowed from a corpus that holds them, read back (in
/// parallel) from one that spilled them.
pub(super) fn texts(corpus: &Corpus, chunk: Range<usize>) -> Vec<Cow<'_, str>> {
    chunk
        .into_par_iter()
        .map(|d| corpus.text(DocId(d as u32)))
        .collect()
}

/// Each document's lines, and the facts of every distinct line. Reprints repeat most of their
/// lines (a syndicated story's paragraphs, a site's chrome): each distinct line is matched against
/// the rules and normalised once.
pub(super) struct LineTable {
    /// Per document: its lines and the distinct line each is.
    pub(super) lines: Vec<DocLines>,
    /// The facts of each distinct line, by its number (lines of one xxh3 hash are one line).
    facts: Vec<LineFacts>,
}

/// One document's trimmed, non-empty lines and the number of the distinct line each is (its
/// facts' place in the table): a line's facts are read four times or more, and an index into a
/// vector costs less than a look-up by hash in a table of every distinct line.
pub(super) struct DocLines {
    pub(super) ranges: Vec<std::ops::Range<usize>>,
    pub(super) ids: Vec<u32>,
}

impl LineTable {
    /// The table of some documents' texts; documents are known by their place in `texts`.
    pub(super) fn new<T: AsRef<str> + Sync>(texts: &[T], stripper: &Stripper) -> LineTable {
        let hashed: Vec<(Vec<Range<usize>>, Vec<u64>)> = texts
            .par_iter()
            .map(|text| {
                let text = text.as_ref();
                // Room for every line, counted first: a vector grown line by line is copied
                // over and over.
                let breaks = memchr::memchr_iter(b'\n', text.as_bytes()).count();
                let mut ranges = Vec::with_capacity(breaks + 1);
                ranges.extend(line_ranges(text));
                let hashes = ranges
                    .iter()
                    .map(|r| xxh3_64(text[r.clone()].as_bytes()))
                    .collect();
                (ranges, hashes)
            })
            .collect();
        // Every (document, line) by hash: each run of one hash is one distinct line, numbered in
        // hash order, and any of its places serves to find its facts, as they depend on its text
        // alone.
        let mut by_hash: Vec<(u64, u32, u32)> = hashed
            .iter()
            .zip(0..)
            .flat_map(|((_, h), d)| h.iter().zip(0..).map(move |(&h, i)| (h, d, i)))
            .collect();
        by_hash.par_sort_unstable_by_key(|x| x.0);
        // Each document's hashes are in `by_hash` now: they are freed before its numbers are
        // made room for, so that the table never holds more than it did with them.
        let mut lines: Vec<DocLines> = hashed
            .into_iter()
            .map(|(ranges, hashes)| {
                let len = hashes.len();
                drop(hashes);
                DocLines {
                    ranges,
                    ids: vec![0; len],
                }
            })
            .collect();
        let mut distinct = 0u32;
        for run in by_hash.chunk_by(|x, y| x.0 == y.0) {
            for &(_, d, i) in run {
                lines[d as usize].ids[i as usize] = distinct;
            }
            distinct += 1;
        }
        drop(by_hash);
        // Numbered again in the order the lines first stand in the documents, each at its first
        // place: the facts are then made reading the texts in order, and laid out in memory in
        // the order the documents' lines are read back (hash order sent both to a random place for
        // every line, a cache miss on most of them).
        let mut renumbered = vec![u32::MAX; distinct as usize];
        let mut places: Vec<(u32, u32)> = Vec::with_capacity(distinct as usize);
        for (d, doc) in (0..).zip(&mut lines) {
            for (i, id) in (0..).zip(&mut doc.ids) {
                let new = &mut renumbered[*id as usize];
                if *new == u32::MAX {
                    *new = places.len() as u32;
                    places.push((d, i));
                }
                *id = *new;
            }
        }
        drop(renumbered);
        // A stripper a thread: a compiled rule set keeps its search caches in a pool, whose
        // first user takes them without a lock, and every other thread through one (a lock and
        // unlock for each of a line's tiers). A clone has a pool of its own.
        let strippers: Vec<Stripper> = (0..rayon::current_num_threads())
            .map(|_| stripper.clone())
            .collect();
        // Lines differ in length and in the rules they meet: pieces of work are kept small, so
        // that no large last one leaves a thread matching alone.
        let facts = places
            .par_iter()
            .with_max_len(1024)
            .map_init(String::new, |scratch, &(d, i)| {
                let text = texts[d as usize].as_ref();
                let range = lines[d as usize].ranges[i as usize].clone();
                let thread = rayon::current_thread_index().unwrap_or(0) % strippers.len();
                strippers[thread].line_facts(&text[range], scratch)
            })
            .collect();
        LineTable { lines, facts }
    }

    /// The facts of distinct line `id`.
    pub(super) fn facts(&self, id: u32) -> &LineFacts {
        &self.facts[id as usize]
    }

    /// The facts of the lines `stripped` kept of document `d`, in order.
    pub(super) fn kept<'a>(
        &'a self,
        d: usize,
        stripped: &'a Stripped,
    ) -> impl Iterator<Item = &'a LineFacts> + Clone {
        let lines = &self.lines[d];
        // The kept lines are some of the document's lines, in order.
        let mut i = 0;
        stripped.kept().iter().map(move |kept| {
            while lines.ranges[i] != *kept {
                i += 1;
            }
            self.facts(lines.ids[i])
        })
    }

    /// The lines `stripped` kept of document `d` (whose text is `text`), each with its normalised
    /// text, in order.
    #[cfg(test)]
    fn kept_normalized<'a>(
        &'a self,
        d: usize,
        text: &'a str,
        stripped: &'a Stripped,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + Clone {
        let raw = stripped.kept().iter().map(|r| &text[r.clone()]);
        raw.zip(self.kept(d, stripped).map(|f| &*f.normalized))
    }

    /// The hash of the body `stripped` kept of document `d`, as
    /// [`body_hash`](crate::fingerprint::body_hash) gives it.
    pub(super) fn body_hash(&self, d: usize, stripped: &Stripped) -> Option<u64> {
        let mut body = BodyHasher::default();
        for facts in self.kept(d, stripped) {
            body.add(&facts.key, &facts.normalized);
        }
        body.finish()
    }

    /// The [`fingerprint`](crate::fingerprint::fingerprint) of document `d`'s body as `stripped`
    /// kept it, from its lines normalised and hashed already and the body's hash (`body`, as
    /// [`body_hash`](Self::body_hash) gives it).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fingerprint(
        &self,
        d: usize,
        stripped: &Stripped,
        body: Option<u64>,
        shingle_size: usize,
        hasher: &MinHasher,
        scratch: &mut Scratch,
        slots: SignatureSlots<'_>,
    ) -> Fingerprint {
        let lines = self.kept(d, stripped);
        let normalized = lines.clone().map(|facts| &*facts.normalized);
        // A body without words has no hash from stripping: it is hashed here.
        let Some(body) = body else {
            return fingerprint_normalized_lines(normalized, shingle_size, hasher, scratch, slots);
        };
        // A line's key hashes its normalised text, as a title's hash does.
        let title = (lines.clone().next()).map_or_else(|| xxh3_64(b""), |f| f.key.hash);
        let hashes = Hashes { body, title };
        fingerprint_hashed_lines(normalized, hashes, shingle_size, hasher, scratch, slots)
    }
}

/// The sentence profile of a document's stripped body, for alignment, made from its text.
pub(super) fn aligned_profile(text: &str, stripped: &Stripped) -> Profile {
    Profile::new(&stripped.body(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boilerplate::LearnedChrome;
    use crate::config::Config;
    use crate::corpus::Corpus;
    use crate::dedupe::Deduper;
    use crate::fingerprint::{body_hash, fingerprint};
    use crate::{Input, ReadOptions};

    /// A corpus of one chunk stripped through its table.
    struct StrippedCorpus {
        stripped: Vec<Stripped>,
        table: LineTable,
        body_hashes: Vec<Option<u64>>,
        chrome: LearnedChrome,
    }

    impl StrippedCorpus {
        fn fingerprint(
            &self,
            d: usize,
            size: usize,
            hasher: &MinHasher,
            scratch: &mut Scratch,
            slots: SignatureSlots<'_>,
        ) -> Fingerprint {
            let (stripped, body) = (&self.stripped[d], self.body_hashes[d]);
            self.table
                .fingerprint(d, stripped, body, size, hasher, scratch, slots)
        }
    }

    fn strip_and_hash(deduper: &Deduper, corpus: &Corpus) -> StrippedCorpus {
        let (stripped, table, body_hashes, chrome) = deduper.strip_and_hash(corpus);
        StrippedCorpus {
            stripped,
            table,
            body_hashes,
            chrome,
        }
    }

    /// Each line's number is that of its text wherever it stands, every distinct text has its own,
    /// and the facts under a line's number are its own text's.
    #[test]
    fn every_line_is_numbered_by_its_text_and_finds_its_own_facts() {
        let texts = [
            "Shared paragraph of the story.\nOnly in the first.\n\nAdvertisement",
            "  Shared paragraph of the story.  \nAdvertisement\nOnly in the second.",
            "Advertisement",
        ];
        let deduper = Deduper::new(Config::default()).expect("valid config");
        let table = LineTable::new(&texts, deduper.stripper());
        let ids: Vec<&[u32]> = table.lines.iter().map(|l| &l.ids[..]).collect();
        assert_eq!(table.facts.len(), 4);
        assert_eq!((ids[0][0], ids[0][2]), (ids[1][0], ids[1][1]));
        assert_eq!(ids[2], [ids[0][2]]);
        let mut distinct = vec![ids[0][0], ids[0][1], ids[0][2], ids[1][2]];
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 4);
        let mut scratch = String::new();
        for (text, lines) in texts.iter().zip(&table.lines) {
            assert_eq!(lines.ranges.len(), lines.ids.len());
            for (range, &id) in lines.ranges.iter().zip(&lines.ids) {
                let line = &text[range.clone()];
                let own = deduper.stripper().line_facts(line, &mut scratch);
                assert_eq!(*table.facts(id), own, "{line}");
            }
        }
    }

    /// Distinct lines are numbered in the order they first stand in the documents, so that the
    /// facts of a document's lines lie side by side, in the order they are read.
    #[test]
    fn lines_are_numbered_in_the_order_they_first_stand() {
        let texts = [
            "Zebra line.\nApple line.\nShared line.",
            "Shared line.\nMango line.\nZebra line.\nBanana line.",
            "Banana line.\nCherry line.",
        ];
        let deduper = Deduper::new(Config::default()).expect("valid config");
        let table = LineTable::new(&texts, deduper.stripper());
        let ids: Vec<&[u32]> = table.lines.iter().map(|l| &l.ids[..]).collect();
        assert_eq!(ids, [&[0, 1, 2][..], &[2, 3, 0, 4][..], &[4, 5][..]]);
        assert_eq!(&*table.facts(3).normalized, "mango line.");
    }

    /// Verification's profiles, made from each document's text once the line table is freed, are
    /// those the table's normalised lines make.
    #[test]
    fn profiles_from_the_text_are_the_line_tables() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample/docs.jsonl");
        let corpus = Corpus::from_inputs([Input::parse(path)], &ReadOptions::default())
            .expect("the bundled sample reads");
        let deduper = Deduper::new(Config::default()).expect("valid config");
        let out = strip_and_hash(&deduper, &corpus);
        for (d, (doc, stripped)) in corpus.documents().iter().zip(&out.stripped).enumerate() {
            let by_table =
                Profile::from_normalized_lines(out.table.kept_normalized(d, &doc.text, stripped));
            assert_eq!(aligned_profile(&doc.text, stripped), by_table, "{}", doc.id);
        }
    }

    /// Stripping a corpus through its table of distinct lines gives what stripping each document
    /// alone gives, each body's hash is `body_hash` of the lines kept, and each fingerprint made
    /// from the table is `fingerprint` of the body, learning on or off.
    #[test]
    fn the_line_table_strips_hashes_and_fingerprints_as_each_document_alone() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample/docs.jsonl");
        let corpus = Corpus::from_inputs([Input::parse(path)], &ReadOptions::default())
            .expect("the bundled sample reads");
        let mut scratch = String::new();
        for learn in [false, true] {
            let mut config = Config::default();
            config.boilerplate.learn = learn;
            let deduper = Deduper::new(config).expect("valid config");
            let out = strip_and_hash(&deduper, &corpus);
            assert_eq!(out.stripped.len(), corpus.len());
            for ((doc, stripped), hash) in corpus
                .documents()
                .iter()
                .zip(&out.stripped)
                .zip(&out.body_hashes)
            {
                if !learn {
                    assert_eq!(*stripped, deduper.stripper().strip(&doc.text), "{}", doc.id);
                }
                assert_eq!(
                    *hash,
                    body_hash(stripped.lines(&doc.text), &mut scratch),
                    "{}",
                    doc.id
                );
            }
            // And each document's fingerprint from the table is its stripped body's.
            let (hasher, k) = (MinHasher::new(16, 7), 3);
            let mut sigs = [[0u32; 16]; 4];
            let mut prints = Scratch::default();
            for (d, (doc, stripped)) in corpus.documents().iter().zip(&out.stripped).enumerate() {
                let [s1, c1, s2, c2] = &mut sigs;
                let slots = |shingles, content| SignatureSlots { shingles, content };
                let by_table = out.fingerprint(d, k, &hasher, &mut prints, slots(s1, c1));
                let body = stripped.body(&doc.text);
                let alone = fingerprint(&body, k, &hasher, &mut prints, slots(s2, c2));
                assert_eq!(
                    (by_table.body_hash, by_table.title_hash, by_table.words),
                    (alone.body_hash, alone.title_hash, alone.words),
                    "{}",
                    doc.id
                );
                assert_eq!(
                    (&by_table.shingles, &by_table.content),
                    (&alone.shingles, &alone.content)
                );
                assert_eq!((s1, c1), (s2, c2));
            }
            assert_eq!(!out.chrome.is_empty(), learn);
            // And the one per-document route, given the chrome the corpus taught, prepares each
            // document as the table did: the same stripping, fingerprint and signatures.
            let k = deduper.config().num_perm;
            let (mut s1, mut c1) = (vec![0u32; k], vec![0u32; k]);
            for (d, (doc, stripped)) in corpus.documents().iter().zip(&out.stripped).enumerate() {
                let prepared = deduper.prepare(doc, Some(&out.chrome));
                assert_eq!(prepared.stripped, *stripped, "{}", doc.id);
                let slots = SignatureSlots {
                    shingles: &mut s1,
                    content: &mut c1,
                };
                let hasher = &deduper.hasher;
                let by_table =
                    out.fingerprint(d, deduper.config().shingle_size, hasher, &mut prints, slots);
                let p = &prepared.print;
                assert_eq!(
                    (p.body_hash, p.title_hash, p.words, &p.shingles, &p.content),
                    (
                        by_table.body_hash,
                        by_table.title_hash,
                        by_table.words,
                        &by_table.shingles,
                        &by_table.content
                    ),
                    "{}",
                    doc.id
                );
                if by_table.words > 0 {
                    assert_eq!(
                        (&*prepared.shingle_signature, &*prepared.content_signature),
                        (&s1[..], &c1[..])
                    );
                }
            }
        }
    }
}
