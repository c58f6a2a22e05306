//! Replays every input the fuzzers found (tests/fixtures/fuzz/TARGET/*) through
//! the same checks the fuzz targets run (fuzz/checks.rs), so a fixed crash stays
//! fixed. Each input runs on a thread with the 8 MiB stack of a process's main
//! thread, as vaultrot itself does.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 6] = [
    ("vault_envelope", checks::vault_envelope),
    ("password_file", checks::password_file),
    ("yaml_parse", checks::yaml_parse),
    ("yaml_edit", checks::yaml_edit),
    ("manifest", checks::manifest),
    ("changelog", checks::changelog),
];

#[test]
fn every_found_input_passes_its_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut replayed = 0;
    for (target, check) in TARGETS {
        let Ok(dir) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for file in dir {
            let path = file.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::thread::Builder::new()
                .stack_size(8 << 20)
                .spawn(move || check(&data))
                .unwrap()
                .join();
            assert!(
                outcome.is_ok(),
                "{target}: {} fails its check",
                path.display()
            );
            replayed += 1;
        }
    }
    assert!(
        replayed > 0,
        "no fuzz regression inputs under {}",
        root.display()
    );
}

/// check-age runs on untrusted pull requests: a manifest nested thousands deep
/// is one clear error line and exit 2, never a stack overflow (exit 134).
#[test]
fn deeply_nested_manifest_is_a_usage_error() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/manifest");
    for name in [
        "deep-flow-nesting-secret.yml",
        "deep-flow-nesting-extra-vars.yml",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("_secrets_manifest.yml");
        std::fs::copy(fixtures.join(name), &manifest).unwrap();
        let out = assert_cmd::Command::cargo_bin("vaultrot")
            .unwrap()
            .args(["check-age", "--manifest"])
            .arg(&manifest)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.contains("_secrets_manifest.yml:"),
            "{name}: {stderr}"
        );
    }
}
