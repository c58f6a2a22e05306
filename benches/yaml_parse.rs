//! The span YAML parser (the editor's, and the manifest's reader) on big texts: the
//! 10,000-secret manifest of the check_age benchmark (2.9 MB) and a 3 MB vars file mixing
//! every scalar style and inline vaults. `Doc::parse` adds serde-saphyr's cross-check.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use vaultrot::yaml::{self, Doc};

#[path = "common/manifest.rs"]
mod manifest;

use manifest::manifest_text;

/// A vars file of about `bytes` bytes: plain, quoted (with escapes), literal and folded
/// values, inline vaults, flow and block sequences, comments.
fn vars_text(bytes: usize) -> String {
    let hex = "6331643733613562386465363137323136633737353037363461646231333736343836616265393061";
    let mut text = String::from("---\n# generated for the yaml_parse benchmark\n");
    let mut i = 0;
    while text.len() < bytes {
        let _ = write!(
            text,
            "app_{i:05}:\n  name: service-{i}\n  port: {}\n  enabled: yes\n  password: \"p@ss\\tword-{i}\\u00e9\"\n  token: 'it''s-{i}'\n  motd: |\n    Welcome to host {i}.\n      indented line\n\n    last line\n  summary: >-\n    folded text\n    on two lines\n  # the vaulted one\n  secret: !vault |\n    $ANSIBLE_VAULT;1.1;AES256\n    {hex}\n    {hex}\n    {hex}\n    3961\n  list: [a, \"b\", {i}]\n  hosts:\n    - web-{i}.example.com\n    - db-{i}.example.com  # primary\n",
            8000 + i % 1000,
        );
        i += 1;
    }
    text
}

fn bench(c: &mut Criterion) {
    let manifest = manifest_text(10_000);
    let vars = vars_text(3 << 20);
    assert_eq!(yaml::parse_tree_for_bench(&manifest), Ok(1));
    assert!(yaml::parse_tree_for_bench(&vars).unwrap() > 1000);

    let mut group = c.benchmark_group("yaml_span_parse");
    group.sample_size(30);
    group.bench_function("manifest_10k", |b| {
        b.iter(|| yaml::parse_tree_for_bench(black_box(&manifest)).unwrap())
    });
    group.bench_function("vars_3mb", |b| {
        b.iter(|| yaml::parse_tree_for_bench(black_box(&vars)).unwrap())
    });
    group.finish();

    // Our parser, serde-saphyr's and the comparison of the two.
    let mut group = c.benchmark_group("yaml_doc_parse");
    group.sample_size(10);
    for (name, text) in [("manifest_10k", &manifest), ("vars_3mb", &vars)] {
        Doc::parse(text).expect("serde-saphyr reads texts this big");
        group.bench_function(name, |b| b.iter(|| Doc::parse(black_box(text)).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
