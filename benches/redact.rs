//! The output scrubber of every playbook step: building it from the values a
//! command opened (once per step) and scrubbing a playbook's output.
//! A 3,000-character value (a private key) once made each build take half a
//! second; the build must stay in the milliseconds.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use vaultrot::ansible::redact::Redactor;

/// Printable, varied values: a long key and a few ordinary passwords (with
/// few patterns aho-corasick would build a DFA, which was the slow case).
fn values() -> Vec<Vec<u8>> {
    let printable = |len: u32, seed: u32| -> Vec<u8> {
        (0..len)
            .map(|i| b'!' + ((i * 7919 + i * i + seed * 31) % 94) as u8)
            .collect()
    };
    let mut values = vec![printable(3000, 0)];
    values.extend((1..=5).map(|seed| printable(32, seed)));
    values
}

fn output(values: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..2000 {
        if i % 100 == 0 {
            out.extend_from_slice(b"ok: [host] => {\"msg\": \"");
            out.extend_from_slice(&values[i / 100 % values.len()]);
            out.extend_from_slice(b"\"}\n");
        } else {
            out.extend_from_slice(
                format!("TASK [role : task number {i}] ************************************\n")
                    .as_bytes(),
            );
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let values = values();
    let text = output(&values);
    let mut group = c.benchmark_group("redact");
    group.bench_function("build_3000_char_value_and_5_passwords", |b| {
        b.iter(|| Redactor::new(black_box(&values).iter().map(|v| &v[..])).pattern_count())
    });
    let redactor = Redactor::new(values.iter().map(|v| &v[..]));
    group.bench_function("scrub_150_kb_in_8_kb_reads", |b| {
        b.iter(|| {
            let mut n = 0;
            let mut stream = redactor.stream();
            for chunk in black_box(&text).chunks(8192) {
                stream.feed(chunk, &mut |c| n += c.len());
            }
            stream.finish(&mut |c| n += c.len());
            n
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
