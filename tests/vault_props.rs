//! Properties of the vault engine: encrypt→decrypt is the identity for any
//! bytes and any password, and no input, however mangled, makes the parser
//! or decryption panic (it returns Ok or Err).
//!
//! Each case that reaches key derivation costs one PBKDF2 (60,000 SHA-256
//! compressions), so the case counts are kept small.

use proptest::prelude::*;
use vaultrot::vault::{self, DecryptOptions, SaltSource, VaultSecret, envelope};
use zeroize::Zeroizing;

fn secret(label: &str, password: &[u8]) -> VaultSecret {
    VaultSecret::new(label, Zeroizing::new(password.to_vec()))
}

/// A label ansible can read back: printable ASCII without `;`.
fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("default".to_string()),
        "[A-Za-z0-9_.@:-]{1,12}".prop_map(String::from),
    ]
}

/// A valid vault to mutate (fixed, so each mutation case costs at most one
/// derivation).
fn sample_vault() -> String {
    vault::encrypt(
        b"db_password: hunter2\nlist:\n  - a\n  - b\n",
        &secret("prod", b"pw"),
        &SaltSource::Fixed(b"fixed salt for mutation".to_vec()),
    )
    .unwrap()
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
    CaseSwap(usize),
    LineEnding(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (any::<usize>(), 1..40usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (
            any::<usize>(),
            prop::collection::vec(
                prop_oneof![
                    Just(b'\n'),
                    Just(b'\r'),
                    Just(b';'),
                    Just(b' '),
                    Just(b'0'),
                    Just(b'a'),
                    any::<u8>()
                ],
                1..8
            )
        )
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        any::<usize>().prop_map(Mutation::CaseSwap),
        any::<usize>().prop_map(Mutation::LineEnding),
    ]
}

fn apply(data: &mut Vec<u8>, m: &Mutation) {
    if data.is_empty() {
        return;
    }
    let at = |i: usize, len: usize| i % len;
    match m {
        Mutation::Flip(i, x) => {
            let i = at(*i, data.len());
            data[i] ^= x;
        }
        Mutation::Delete(i, n) => {
            let i = at(*i, data.len());
            let end = (i + n).min(data.len());
            data.drain(i..end);
        }
        Mutation::Insert(i, bytes) => {
            let i = at(*i, data.len() + 1);
            data.splice(i..i, bytes.iter().copied());
        }
        Mutation::Truncate(i) => data.truncate(at(*i, data.len())),
        Mutation::CaseSwap(i) => {
            let i = at(*i, data.len());
            data[i] = if data[i].is_ascii_lowercase() {
                data[i].to_ascii_uppercase()
            } else {
                data[i].to_ascii_lowercase()
            };
        }
        Mutation::LineEnding(i) => {
            let i = at(*i, data.len());
            if let Some(p) = data[i..].iter().position(|b| *b == b'\n') {
                data.insert(i + p, b'\r');
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn encrypt_then_decrypt_is_identity(
        plaintext in prop::collection::vec(any::<u8>(), 0..4096),
        password in prop::collection::vec(any::<u8>(), 1..64),
        label in label(),
    ) {
        let s = secret(&label, &password);
        // Input that is itself a vault is refused, as ansible does.
        prop_assume!(!vault::is_encrypted(&plaintext));
        let text = vault::encrypt(&plaintext, &s, &SaltSource::Random).unwrap();
        prop_assert!(text.is_ascii() && text.ends_with('\n'));
        prop_assert!(text.lines().skip(1).all(|l| l.len() <= 80));
        let out = vault::decrypt(text.as_bytes(), &[secret("other", b"not it"), s], DecryptOptions::default()).unwrap();
        prop_assert_eq!(&out.plaintext[..], &plaintext[..]);
        prop_assert_eq!(out.secret_index, 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = envelope::parse_envelope(&data);
        let _ = envelope::parse_vaulttext(&data);
        let _ = vault::decrypt(&data, &[secret("default", b"pw")], DecryptOptions::default());
    }

    #[test]
    fn vault_like_text_never_panics(
        header in prop_oneof![
            Just("$ANSIBLE_VAULT;1.1;AES256".to_string()),
            Just("$ANSIBLE_VAULT;1.0;AES".to_string()),
            "\\$ANSIBLE_VAULT[;A-Za-z0-9. ]{0,30}".prop_map(String::from),
        ],
        body in "[0-9a-fA-F\n\r]{0,300}",
    ) {
        let text = format!("{header}\n{body}");
        let _ = vault::decrypt(text.as_bytes(), &[secret("default", b"pw")], DecryptOptions::default());
    }

    #[test]
    fn mutated_vaults_never_panic(mutations in prop::collection::vec(mutation(), 1..4)) {
        let original = sample_vault().into_bytes();
        let mut data = original.clone();
        for m in &mutations {
            apply(&mut data, m);
        }
        let secrets = [secret("prod", b"pw")];
        let result = vault::decrypt(&data, &secrets, DecryptOptions { only_matching_label: false });
        if let Ok(out) = result {
            // Whatever still opens must open to the original plaintext:
            // the HMAC covers every byte of the ciphertext.
            prop_assert_eq!(&out.plaintext[..], b"db_password: hunter2\nlist:\n  - a\n  - b\n");
        }
    }
}
