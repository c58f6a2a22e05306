//! `check-age` on a 10,000-secret manifest: parse + validate, assess, render.
//! The target is the whole `vaultrot check-age` process under 100 ms (the manifest is
//! read by the span parser that edits it; docs/architecture.md has the figures).
//!
//! `VAULTROT_BENCH_MANIFEST=PATH` also writes the manifest text to PATH, for timing the
//! whole process on the same text (`perf stat -r 20 vaultrot check-age --manifest PATH`).

use std::hint::black_box;
use std::path::Path;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use vaultrot::manifest::{AgeOptions, AgeReport, FailOn, Manifest};
use vaultrot::report::{self, Format, Style};

#[path = "common/manifest.rs"]
mod manifest;

use manifest::manifest_text;

const SECRETS: usize = 10_000;

fn bench(c: &mut Criterion) {
    let text = manifest_text(SECRETS);
    if let Some(out) = std::env::var_os("VAULTROT_BENCH_MANIFEST") {
        std::fs::write(&out, &text).expect("cannot write VAULTROT_BENCH_MANIFEST");
    }
    let path = Path::new("group_vars/all/_secrets_manifest.yml");
    let root = Path::new("/infra");
    let options = AgeOptions {
        today: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        warn_before: None,
    };
    let manifest = Manifest::parse(&text, path, root).expect("benchmark manifest is valid");
    assert_eq!(manifest.secrets.len(), SECRETS);

    let mut group = c.benchmark_group("check_age_10k");
    group.bench_function("parse", |b| {
        b.iter(|| Manifest::parse(black_box(&text), path, root).unwrap())
    });
    group.bench_function("assess", |b| {
        b.iter(|| AgeReport::new(black_box(&manifest.secrets), &options, FailOn::Overdue).failing())
    });
    for (name, format) in [
        ("json", Format::Json),
        ("table", Format::Table),
        ("github", Format::Github),
    ] {
        group.bench_function(format!("parse_assess_render_{name}"), |b| {
            b.iter(|| {
                let manifest = Manifest::parse(black_box(&text), path, root).unwrap();
                let report = AgeReport::new(&manifest.secrets, &options, FailOn::Overdue);
                report::render_age(&report, "m.yml", format, Style::default()).len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
