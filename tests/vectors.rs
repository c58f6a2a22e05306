//! Known-answer vectors from ansible-core's own test suite
//! (tests/fixtures/ansible_upstream, copied from ansible-core's tests): every
//! positive case decrypts to ansible's exact bytes, every negative case fails
//! with ansible's message, and the legacy cipher is readable for migration.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use vaultrot::vault::{self, DecryptOptions, SaltSource, VaultSecret};
use zeroize::Zeroizing;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ansible_upstream")
}

struct Case {
    name: String,
    kind: String,
    vault_id: String,
}

fn cases() -> Vec<Case> {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir().join("index.json")).unwrap()).unwrap();
    index["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| Case {
            name: r["name"].as_str().unwrap().to_string(),
            kind: r["kind"].as_str().unwrap().to_string(),
            vault_id: r["vault_id"].as_str().unwrap().to_string(),
        })
        .collect()
}

fn read(name: &str, ext: &str) -> Vec<u8> {
    std::fs::read(dir().join(format!("{name}.{ext}"))).unwrap()
}

fn secret(case: &Case) -> VaultSecret {
    let label = if case.vault_id.is_empty() {
        "default"
    } else {
        &case.vault_id
    };
    VaultSecret::new(label, Zeroizing::new(read(&case.name, "password")))
}

#[test]
fn there_are_vectors_of_both_kinds() {
    let all = cases();
    assert!(all.iter().filter(|c| c.kind == "positive").count() >= 40);
    assert!(all.iter().filter(|c| c.kind == "negative").count() >= 6);
}

#[test]
fn every_positive_vector_decrypts_to_ansibles_bytes() {
    for case in cases().iter().filter(|c| c.kind == "positive") {
        let out = vault::decrypt(
            &read(&case.name, "vault"),
            &[secret(case)],
            DecryptOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(
            &out.plaintext[..],
            &read(&case.name, "plaintext")[..],
            "{}",
            case.name
        );
        assert!(!out.legacy, "{}", case.name);
    }
}

#[test]
fn positive_vectors_fail_with_a_wrong_password() {
    for case in cases().iter().filter(|c| c.kind == "positive") {
        let wrong = VaultSecret::new("default", Zeroizing::new(b"not the password".to_vec()));
        let err = vault::decrypt(
            &read(&case.name, "vault"),
            &[wrong],
            DecryptOptions::default(),
        )
        .err()
        .unwrap_or_else(|| panic!("{} opened with a wrong password", case.name));
        assert_eq!(
            err.to_string(),
            "Decryption failed (no vault secrets were found that could decrypt)."
        );
    }
}

#[test]
fn legacy_vectors_are_readable_for_migration() {
    for case in cases().iter().filter(|c| c.name.starts_with("legacy_")) {
        let out = vault::decrypt(
            &read(&case.name, "vault"),
            &[secret(case)],
            DecryptOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert!(out.legacy);
        assert_eq!(
            &out.plaintext[..],
            &read(&case.name, "plaintext")[..],
            "{}",
            case.name
        );
    }
}

#[test]
fn negative_vectors_fail_with_ansibles_cli_message() {
    let bin = assert_cmd::cargo::cargo_bin!("vaultrot");
    for case in cases()
        .iter()
        .filter(|c| c.kind == "negative" && !c.name.starts_with("legacy_"))
    {
        let vault = dir().join(format!("{}.vault", case.name));
        let password = dir().join(format!("{}.password", case.name));
        let out = Command::new(bin)
            .args(["decrypt", "--output", "-", "--vault-password-file"])
            .arg(&password)
            .arg(&vault)
            .env_remove("ANSIBLE_VAULT_PASSWORD_FILE")
            .env_remove("ANSIBLE_VAULT_IDENTITY_LIST")
            .output()
            .unwrap();
        let expected = String::from_utf8(read(&case.name, "cli_error"))
            .unwrap()
            .replace("{UPSTREAM}", dir().to_str().unwrap());
        assert_eq!(out.status.code(), Some(1), "{}", case.name);
        assert!(out.stdout.is_empty(), "{}: nothing on stdout", case.name);
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim_end(),
            expected.trim_end(),
            "{}",
            case.name
        );
    }
}

#[test]
fn reencrypting_every_vector_round_trips() {
    for case in cases().iter().filter(|c| c.kind == "positive") {
        let plain = read(&case.name, "plaintext");
        let s = secret(case);
        // A vector whose plaintext is itself a vault cannot be encrypted again.
        let Ok(text) = vault::encrypt(&plain, &s, &SaltSource::Random) else {
            assert!(vault::is_encrypted(&plain), "{}", case.name);
            continue;
        };
        let out = vault::decrypt(text.as_bytes(), &[s], DecryptOptions::default()).unwrap();
        assert_eq!(&out.plaintext[..], &plain[..]);
    }
}
