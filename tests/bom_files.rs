//! Files that start with a byte-order mark (editors on Windows write one):
//! `unset` of their first key works and keeps the mark, in a whole-file
//! vault's plaintext and in a vars file alike.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Output, Stdio};

use common::{clean_command, vaultrot};

const BOM: &str = "\u{feff}";

fn vr(dir: &Path, args: &[&str]) -> Output {
    let out = clean_command(&vaultrot(), dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "vaultrot {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn unset_of_the_first_key_of_a_bom_file_keeps_the_mark() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("pw"), "bom-pw").unwrap();
    let pw = ["--vault-password-file", "pw"];
    let text = format!("{BOM}first: 1 # comment\nsecond: 2\n");

    fs::write(d.join("vars.yml"), &text).unwrap();
    fs::write(d.join("whole.yml"), &text).unwrap();
    vr(d, &[&["encrypt"][..], &pw, &["whole.yml"]].concat());
    for file in ["vars.yml", "whole.yml"] {
        vr(d, &[&["unset"][..], &pw, &[file, "first"]].concat());
    }
    assert_eq!(
        fs::read_to_string(d.join("vars.yml")).unwrap(),
        format!("{BOM}second: 2\n")
    );
    let out = vr(d, &[&["view"][..], &pw, &["whole.yml"]].concat());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{BOM}second: 2\n")
    );

    // The first key an inline `!vault` value.
    let inline = vr(
        d,
        &[&["encrypt_string"][..], &pw, &["--name", "token", "s3cret"]].concat(),
    );
    let inline = String::from_utf8(inline.stdout).unwrap();
    fs::write(d.join("inline.yml"), format!("{BOM}{inline}other: x\n")).unwrap();
    vr(d, &[&["unset"][..], &pw, &["inline.yml", "token"]].concat());
    assert_eq!(
        fs::read_to_string(d.join("inline.yml")).unwrap(),
        format!("{BOM}other: x\n")
    );
}
