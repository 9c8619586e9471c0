//! Throughput of each stage (MB/s of article text) and of the whole pipeline, on the bundled
//! labelled sample (`fixtures/devsample`, 280 articles, 0.6 MB).
//!
//! ```text
//! cargo bench --bench throughput
//! ```

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use reprint::boilerplate::{line_ranges, Rules, Stripper};
use reprint::stages::{
    align, fingerprint, intersection_size, normalize, normalize_into, shingles_with,
    word_hashes_into, MinHasher, Profile, Scratch, SignatureSlots,
};
use reprint::{Config, Corpus, Deduper, Input, NoProgress, ReadOptions};

fn corpus() -> Corpus {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample/docs.jsonl");
    Corpus::from_inputs([Input::parse(path)], &ReadOptions::default())
        .expect("the bundled sample reads")
}

fn stages(c: &mut Criterion) {
    let corpus = corpus();
    let texts: Vec<&str> = corpus.documents().iter().map(|d| d.text.as_str()).collect();
    let bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();
    let config = Config::default();

    let mut group = c.benchmark_group("stage");
    group.throughput(Throughput::Bytes(bytes));

    // The two passes over every byte that every later stage builds on.
    let mut normalized = String::new();
    group.bench_function("normalise", |b| {
        b.iter(|| {
            for t in &texts {
                normalize_into(t, &mut normalized);
                black_box(&normalized);
            }
        })
    });
    let normalized_texts: Vec<String> = texts.iter().map(|t| normalize(t)).collect();
    let mut hashes = Vec::new();
    group.bench_function("word hashes (of normalised text)", |b| {
        b.iter(|| {
            for t in &normalized_texts {
                hashes.clear();
                word_hashes_into(t, &mut hashes);
                black_box(&hashes);
            }
        })
    });

    let stripper = Stripper::new(Rules::builtin(), config.boilerplate.max_share);
    group.bench_function("strip (rules)", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(stripper.strip(t));
            }
        })
    });
    // What a corpus learns of each distinct line once: the rule it matches, its learning key (its
    // words, whether it reads as prose, its figures) and its normalised text. Here every line.
    let lines: Vec<&str> = texts
        .iter()
        .flat_map(|t| line_ranges(t).map(|r| &t[r]))
        .collect();
    let mut line_scratch = String::new();
    group.bench_function("line facts (rule, learning key, normalised text)", |b| {
        b.iter(|| {
            for line in &lines {
                black_box(stripper.line_facts(line, &mut line_scratch));
            }
        })
    });

    let hasher = MinHasher::new(config.num_perm, config.seed);
    let mut scratch = Scratch::default();
    let (mut shingle_sig, mut content_sig) =
        (vec![0u32; config.num_perm], vec![0u32; config.num_perm]);
    let mut print = |text: &str| {
        fingerprint(
            text,
            config.shingle_size,
            &hasher,
            &mut scratch,
            SignatureSlots {
                shingles: &mut shingle_sig,
                content: &mut content_sig,
            },
        )
    };
    group.bench_function("fingerprint (normalise, shingle, 2 signatures)", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(print(t));
            }
        })
    });

    // Shingle sets alone (hashing word triples, sorting, deduplicating), from each article's
    // word hashes, with one scratch buffer for the sort kept from article to article as the
    // pipeline's fingerprints keep theirs.
    let words: Vec<Vec<u64>> = normalized_texts
        .iter()
        .map(|t| {
            let mut hashes = Vec::new();
            word_hashes_into(t, &mut hashes);
            hashes
        })
        .collect();
    let (mut set, mut spare) = (Vec::new(), Vec::new());
    group.bench_function("shingle sets (word 3-grams, sorted)", |b| {
        b.iter(|| {
            for w in &words {
                shingles_with(w, config.shingle_size, &mut set, &mut spare);
                black_box(&set);
            }
        })
    });

    // Signatures alone, from precomputed shingle sets.
    let sets: Vec<Vec<u64>> = texts.iter().map(|t| print(t).shingles).collect();
    let (mut signature, mut bins) = (vec![0u32; config.num_perm], Vec::new());
    group.bench_function("minhash signatures (one per article)", |b| {
        b.iter(|| {
            for s in &sets {
                hasher.sign_into(s, &mut bins, &mut signature);
                black_box(&signature);
            }
        })
    });
    // Verification's first measure: the overlap of two shingle sets, each article with the next
    // (mostly unrelated, so the merge runs to the end of one set).
    group.bench_function(
        "shingle-set intersections (each article with the next)",
        |b| {
            b.iter(|| {
                for w in sets.windows(2) {
                    black_box(intersection_size(&w[0], &w[1]));
                }
            })
        },
    );

    // Sentence profiles (made for every document a pair needs aligned) and one alignment per
    // consecutive pair of articles.
    let profiles: Vec<Profile> = texts.iter().map(|t| Profile::new(t)).collect();
    group.bench_function("sentence profiles", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(Profile::new(t));
            }
        })
    });
    group.bench_function("alignment (each article with the next)", |b| {
        b.iter(|| {
            for w in profiles.windows(2) {
                black_box(align(&w[0], &w[1]));
            }
        })
    });
    group.finish();
}

fn end_to_end(c: &mut Criterion) {
    let corpus = corpus();
    let bytes: u64 = corpus.documents().iter().map(|d| d.text.len() as u64).sum();
    let deduper = Deduper::new(Config::default()).expect("default config is valid");
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(20);
    group.bench_function("dedupe devsample (280 articles)", |b| {
        b.iter(|| black_box(deduper.run(&corpus, &NoProgress)))
    });
    group.finish();
}

criterion_group!(benches, stages, end_to_end);
criterion_main!(benches);
