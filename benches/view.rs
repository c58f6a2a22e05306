//! In-process decryption of whole-file vaults, without process start-up:
//! what `vaultrot view` costs beyond launching. A small vars file is one
//! key derivation; a 1 MiB file adds hex decoding, HMAC and AES-CTR.
//!
//! Run: `cargo bench --bench view`.

use std::hint::black_box;

use criterion::Criterion;
use vaultrot::vault::{self, DecryptOptions, SaltSource, VaultSecret};
use zeroize::Zeroizing;

fn vars(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 64);
    let mut i = 0;
    while out.len() < size {
        out.extend_from_slice(format!("key_{i:06}: {}\n", "v".repeat(40)).as_bytes());
        i += 1;
    }
    out
}

fn main() {
    let secret = VaultSecret::new("default", Zeroizing::new(b"bench password".to_vec()));
    let secrets = [secret.clone()];
    let mut criterion = Criterion::default().configure_from_args();
    {
        let mut group = criterion.benchmark_group("view");
        for (name, size) in [
            ("decrypt 1.5 KiB vars file", 1_500),
            ("decrypt 1 MiB vars file", 1 << 20),
        ] {
            let text = vault::encrypt(&vars(size), &secret, &SaltSource::Random).unwrap();
            group.bench_function(name, |b| {
                b.iter(|| {
                    vault::decrypt(
                        black_box(text.as_bytes()),
                        &secrets,
                        DecryptOptions::default(),
                    )
                    .unwrap()
                })
            });
        }
        // With the right secret listed third and no matching label: three derivations.
        let labelled = VaultSecret::new("prod", Zeroizing::new(b"bench password".to_vec()));
        let text = vault::encrypt(&vars(1_500), &labelled, &SaltSource::Random).unwrap();
        let three = [
            VaultSecret::new("dev", Zeroizing::new(b"wrong one".to_vec())),
            VaultSecret::new("stage", Zeroizing::new(b"wrong two".to_vec())),
            VaultSecret::new("other", Zeroizing::new(b"bench password".to_vec())),
        ];
        group.bench_function("decrypt 1.5 KiB, right secret tried third", |b| {
            b.iter(|| {
                vault::decrypt(
                    black_box(text.as_bytes()),
                    &three,
                    DecryptOptions::default(),
                )
                .unwrap()
            })
        });
        group.finish();
    }
    criterion.final_summary();
}
