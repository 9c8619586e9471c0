//! The incremental index: one `check` against a held corpus, `add_batch` of 100 new articles, and
//! the bundled sample added in batches of 40, one transaction after another and as a feed
//! (`add_batches`: the next batch prepared while one commits).
//!
//! ```text
//! cargo bench --bench index
//! REPRINT_BENCH_INDEX=/tmp/idx100k REPRINT_BENCH_NEW=/tmp/scale-new2k.jsonl cargo bench --bench index
//! ```
//!
//! By default the index holds the bundled sample's first 200 articles and the other 80 are the new
//! ones. With `REPRINT_BENCH_INDEX` (an index made by `reprint index add`) and `REPRINT_BENCH_NEW`
//! (JSONL of new articles), `check` runs against that index instead; `add_batch` always runs on a
//! copy-free fresh index of the sample, so a large index is never written to.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use reprint::{AddOptions, Config, Corpus, Document, Index, Input, ReadOptions};

fn read(path: &str) -> Corpus {
    Corpus::from_inputs([Input::parse(path)], &ReadOptions::default()).expect("the corpus reads")
}

fn sample() -> Vec<Document> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devsample/docs.jsonl");
    read(path).documents().to_vec()
}

fn index(c: &mut Criterion) {
    let docs = sample();
    let (held, new) = docs.split_at(200);
    let dir = tempfile::tempdir().expect("temp dir");
    let small = Index::create(dir.path(), Config::default(), None).expect("creates");
    small.add_batch(held, AddOptions::default()).expect("adds");
    let large = match (
        std::env::var("REPRINT_BENCH_INDEX"),
        std::env::var("REPRINT_BENCH_NEW"),
    ) {
        (Ok(index), Ok(new)) => Some((
            Index::open(index).expect("the bench index opens"),
            read(&new).documents().to_vec(),
        )),
        _ => None,
    };
    let (index, new): (&Index, &[Document]) = match &large {
        Some((index, new)) => (index, new),
        None => (&small, new),
    };

    let mut group = c.benchmark_group("index");
    let mut next = new.iter().cycle();
    group.bench_function("check", |b| {
        b.iter(|| black_box(index.check(next.next().expect("cycles")).expect("checks")))
    });
    group.sample_size(10);
    group.bench_function("add_batch_100", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("temp dir");
                let index = Index::create(dir.path(), Config::default(), None).expect("creates");
                index
                    .add_batch(&held[..100], AddOptions::default())
                    .expect("adds");
                (dir, index)
            },
            |(dir, index)| {
                black_box(
                    index
                        .add_batch(&held[100..], AddOptions::default())
                        .expect("adds"),
                );
                (dir, index)
            },
            BatchSize::PerIteration,
        )
    });
    // The whole sample in batches of 40: one transaction after another, and as a feed whose next
    // batch is prepared while one commits (`add_batches`, what `reprint index add` does).
    let fresh = || {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = Index::create(dir.path(), Config::default(), None).expect("creates");
        (dir, index)
    };
    group.bench_function("add_batch_in_turn_280_by_40", |b| {
        b.iter_batched(
            fresh,
            |(dir, index)| {
                for batch in docs.chunks(40) {
                    black_box(index.add_batch(batch, AddOptions::default()).expect("adds"));
                }
                (dir, index)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("add_batches_feed_280_by_40", |b| {
        b.iter_batched(
            fresh,
            |(dir, index)| {
                index
                    .add_batches(docs.chunks(40), AddOptions::default(), |_, results| {
                        black_box(results);
                        Ok::<_, reprint::IndexError>(())
                    })
                    .expect("feeds");
                (dir, index)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, index);
criterion_main!(benches);
