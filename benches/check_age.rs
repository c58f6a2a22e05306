//! `check-age` on a 10,000-secret manifest: parse + validate, assess, render.
//! The target is the whole `vaultrot check-age` process under 100 ms (the manifest is
//! read by the span parser that edits it; docs/architecture.md has the figures).
//!
//! `VAULTROT_BENCH_MANIFEST=PATH` also writes the manifest text to PATH, for timing the
//! whole process on the same text (`perf stat -r 20 vaultrot check-age --manifest PATH`).

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use vaultrot::manifest::{AgeOptions, AgeReport, FailOn, Manifest};
use vaultrot::report::{self, Format, Style};

const SECRETS: usize = 10_000;

/// A manifest shaped like a real one: policies, dates spread over two years,
/// owners, generate, deploy and verify steps, a few open rotations.
fn manifest_text(secrets: usize) -> String {
    let mut text = String::from(
        "# generated for the check-age benchmark\nsecrets_manifest:\n  version: 1\n  defaults:\n    vault: group_vars/all/vault.yml\n    inventory: inventory/staging.yml\n    warn_before: 30d\n  policies:\n    api_token: { max_age: 6mo }\n    database_password: { max_age: 12mo }\n    bot_token: { max_age: 12mo, strategy: swap }\n    on_demand: { max_age: never }\n  secrets:\n",
    );
    let policies = ["api_token", "database_password", "bot_token", "on_demand"];
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    for i in 0..secrets {
        let date = start + chrono::Days::new((i * 7 % 700) as u64);
        let _ = write!(
            text,
            "    vault_secret_{i:05}:\n      policy: {}\n      last_rotation: {date}\n      owner: team-{}\n      generate: {{ length: 32, charset: alnum }}\n      deploy:\n        - playbook: playbooks/deploy_{}.yml\n          tags: [svc{}]\n      verify:\n        - playbook: playbooks/smoketest.yml\n",
            policies[i % 4],
            i % 17,
            i % 50,
            i % 50,
        );
        if i % 100 == 0 {
            let _ = write!(
                text,
                "      rotation:\n        id: r-{i}\n        phase: dual\n        started: 2026-11-01T10:00:00Z\n        by: alice\n"
            );
        }
    }
    text
}

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
