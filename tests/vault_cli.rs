//! vaultrot's own guarantees as an ansible-vault replacement: file modes as
//! ansible sets them, atomic writes that leave no temp files, `edit` that
//! changes nothing when nothing changed, a private editor temp file, quiet
//! broken pipes, all-or-nothing multi-file commands, one-line errors that
//! name the file, and no panic on hostile input.

mod common;

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::{ansible, clean_command, vaultrot};
use vaultrot::vault::{self, DecryptOptions, VaultSecret};
use zeroize::Zeroizing;

struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs vaultrot in `dir` with a clean vault environment and no editor
/// settings but `env`; the editor's private temp dir goes under `dir/tmp`.
fn vr(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = clean_command(&vaultrot(), dir);
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    cmd.args(args)
        .env_remove("ANSIBLE_EDITOR")
        .env_remove("EDITOR")
        .env_remove("XDG_RUNTIME_DIR")
        .env("TMPDIR", dir.join("tmp"))
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(out: Out) -> Out {
    assert_eq!(out.code, 0, "vaultrot failed: {}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

fn write_script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = write(dir, name, format!("#!/bin/sh\n{body}\n").as_bytes());
    set_mode(&path, 0o755);
    path
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn inode(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().ino()
}

/// The directory holds exactly these names (plus the editor's `tmp`): no
/// temp file of an atomic write is left behind.
fn assert_only(dir: &Path, names: &[&str]) {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "tmp")
        .collect();
    found.sort();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(found, want, "unexpected files in {}", dir.display());
    if dir.join("tmp").exists() {
        assert_eq!(
            std::fs::read_dir(dir.join("tmp")).unwrap().count(),
            0,
            "the editor's private dir was not removed"
        );
    }
}

fn opens(text: &[u8], password: &[u8]) -> Vec<u8> {
    let secret = VaultSecret::new("default", Zeroizing::new(password.to_vec()));
    vault::decrypt(text, &[secret], DecryptOptions::default())
        .unwrap()
        .plaintext
        .to_vec()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A vault whose HMAC is valid for `raw` ciphertext-to-be (no padding
/// added), so decryption reaches the padding check.
fn crafted(password: &[u8], raw_padded_plaintext: &[u8]) -> String {
    use ctr::cipher::{KeyIvInit, StreamCipher};
    use hmac::{KeyInit, Mac};
    let salt = [3u8; 32];
    let mut dk = [0u8; 80];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, &salt, 10_000, &mut dk);
    let mut ct = raw_padded_plaintext.to_vec();
    ctr::Ctr128BE::<aes::Aes256>::new_from_slices(&dk[..32], &dk[64..])
        .unwrap()
        .apply_keystream(&mut ct);
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&dk[32..64]).unwrap();
    mac.update(&ct);
    vault::envelope::format_vault("default", &salt, &mac.finalize().into_bytes(), &ct)
}

const PW: &str = "pw";

#[test]
fn encrypt_and_decrypt_in_place_give_0600_atomically() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", b"cli pass\n");
    let f = write(d, "vars.yml", b"db_password: hunter2\n");
    set_mode(&f, 0o644);
    let before = inode(&f);
    ok(vr(
        d,
        &["encrypt", "--vault-password-file", PW, "vars.yml"],
        &[],
    ));
    assert_eq!(mode(&f), 0o600, "encrypt in place writes 0600, as ansible");
    assert_ne!(
        inode(&f),
        before,
        "replaced by rename, not rewritten in place"
    );
    assert_eq!(opens(&read(&f), b"cli pass"), b"db_password: hunter2\n");
    assert_only(d, &["pw", "vars.yml"]);

    set_mode(&f, 0o644);
    ok(vr(
        d,
        &["decrypt", "--vault-password-file", PW, "vars.yml"],
        &[],
    ));
    assert_eq!(mode(&f), 0o600, "decrypt in place writes 0600, as ansible");
    assert_eq!(read(&f), b"db_password: hunter2\n");
    assert_only(d, &["pw", "vars.yml"]);

    // --output: 0600 too, the input is left alone.
    ok(vr(
        d,
        &[
            "encrypt",
            "--vault-password-file",
            PW,
            "--output",
            "out.vault",
            "vars.yml",
        ],
        &[],
    ));
    assert_eq!(mode(&d.join("out.vault")), 0o600);
    assert_eq!(read(&f), b"db_password: hunter2\n");
    assert_only(d, &["out.vault", "pw", "vars.yml"]);
}

#[test]
fn rekey_and_edit_keep_the_mode() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", b"old pass\n");
    write(d, "new_pw", b"new pass\n");
    let f = write(d, "secret.yml", b"token: old\n");
    ok(vr(
        d,
        &["encrypt", "--vault-password-file", PW, "secret.yml"],
        &[],
    ));
    set_mode(&f, 0o640);

    let before = inode(&f);
    let out = ok(vr(
        d,
        &[
            "rekey",
            "--vault-password-file",
            PW,
            "--new-vault-password-file",
            "new_pw",
            "secret.yml",
        ],
        &[],
    ));
    assert!(out.stderr.contains("Rekey successful"), "{}", out.stderr);
    assert_eq!(mode(&f), 0o640, "rekey keeps the mode");
    assert_ne!(inode(&f), before, "replaced by rename");
    assert_eq!(opens(&read(&f), b"new pass"), b"token: old\n");
    assert_only(d, &["new_pw", "pw", "secret.yml"]);

    ok(vr(
        d,
        &["edit", "--vault-password-file", "new_pw", "secret.yml"],
        &[("EDITOR", "sed -i s/old/new/")],
    ));
    assert_eq!(mode(&f), 0o640, "edit keeps the mode");
    assert_eq!(opens(&read(&f), b"new pass"), b"token: new\n");
    assert_only(d, &["new_pw", "pw", "secret.yml"]);
}

#[test]
fn edit_that_changes_nothing_leaves_the_file_alone() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", b"pw\n");
    let f = write(d, "v.yml", b"unchanged\n");
    ok(vr(
        d,
        &["encrypt", "--vault-password-file", PW, "v.yml"],
        &[],
    ));
    let (bytes, ino, mtime) = (
        read(&f),
        inode(&f),
        std::fs::metadata(&f).unwrap().mtime_nsec(),
    );
    // `true` ignores its argument; `touch` changes the temp file's mtime only.
    for editor in ["true", "touch"] {
        ok(vr(
            d,
            &["edit", "--vault-password-file", PW, "v.yml"],
            &[("EDITOR", editor)],
        ));
        assert_eq!(read(&f), bytes, "{editor}: byte-identical");
        assert_eq!(inode(&f), ino, "{editor}: same inode");
        assert_eq!(
            std::fs::metadata(&f).unwrap().mtime_nsec(),
            mtime,
            "{editor}: not rewritten"
        );
    }
    assert_only(d, &["pw", "v.yml"]);
}

#[test]
fn edit_with_editor_arguments_keeps_the_header_label() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", b"pw\n");
    let f = write(d, "prod.yml", b"mode: old\n");
    ok(vr(
        d,
        &["encrypt", "--vault-id", "prod@pw", "prod.yml"],
        &[],
    ));
    // Opened through another label: the file keeps its own (as ansible).
    ok(vr(
        d,
        &["edit", "--vault-id", "other@pw", "prod.yml"],
        &[("EDITOR", "sed -i -e s/old/new/")],
    ));
    let text = read(&f);
    assert!(
        text.starts_with(b"$ANSIBLE_VAULT;1.2;AES256;prod\n"),
        "{}",
        String::from_utf8_lossy(&text)
    );
    assert_eq!(opens(&text, b"pw"), b"mode: new\n");
    // ANSIBLE_EDITOR wins over EDITOR.
    ok(vr(
        d,
        &["edit", "--vault-id", "prod@pw", "prod.yml"],
        &[
            ("EDITOR", "false"),
            ("ANSIBLE_EDITOR", "sed -i s/new/newer/"),
        ],
    ));
    assert_eq!(opens(&read(&f), b"pw"), b"mode: newer\n");
    assert_only(d, &["prod.yml", "pw"]);
}

#[test]
fn edit_temp_file_is_private_and_removed() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", b"pw\n");
    write(d, "v.yml", b"a: 1\n");
    ok(vr(
        d,
        &["encrypt", "--vault-password-file", PW, "v.yml"],
        &[],
    ));
    let log = d.join("editor.log");
    let editor = write_script(
        d,
        "editor.sh",
        &format!(
            r#"{{ echo "$1"; stat -c %a "$1"; stat -c %a "$(dirname "$1")"; }} > '{}'
echo 'b: 2' >> "$1""#,
            log.display()
        ),
    );
    ok(vr(
        d,
        &["edit", "--vault-password-file", PW, "v.yml"],
        &[("EDITOR", editor.to_str().unwrap())],
    ));
    let log = String::from_utf8(read(&log)).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    let temp = Path::new(lines[0]);
    assert!(
        temp.starts_with(d.join("tmp")),
        "temp file under TMPDIR: {log}"
    );
    assert!(
        lines[0].ends_with(".yml"),
        "keeps the extension for syntax modes: {log}"
    );
    assert_eq!(lines[1], "600", "temp file mode");
    assert_eq!(lines[2], "700", "temp dir mode");
    assert!(!temp.exists(), "temp file removed");
    assert!(!temp.parent().unwrap().exists(), "temp dir removed");
    assert_eq!(opens(&read(&d.join("v.yml")), b"pw"), b"a: 1\nb: 2\n");
    // An editor that fails: nothing is written, nothing is left.
    let before = read(&d.join("v.yml"));
    let out = vr(
        d,
        &["edit", "--vault-password-file", PW, "v.yml"],
        &[("EDITOR", "sh -c 'echo x >> \"$0\"; exit 3'")],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(read(&d.join("v.yml")), before);
    assert_only(d, &["editor.log", "editor.sh", "pw", "v.yml"]);
}

#[test]
fn create_runs_the_editor_and_needs_a_tty_or_the_flag() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", b"pw\n");
    let editor = write_script(d, "ed.sh", r#"printf 'created: yes\n' > "$1""#);
    let ed = [("EDITOR", editor.to_str().unwrap())];

    let out = vr(d, &["create", "--vault-password-file", PW, "new.yml"], &ed);
    assert_eq!(out.code, 5, "stdout is not a tty: {}", out.stderr);
    assert!(
        out.stderr.contains("not a tty, editor cannot be opened"),
        "{}",
        out.stderr
    );
    assert!(!d.join("new.yml").exists());

    ok(vr(
        d,
        &[
            "create",
            "--skip-tty-check",
            "--vault-password-file",
            PW,
            "new.yml",
        ],
        &ed,
    ));
    assert_eq!(mode(&d.join("new.yml")), 0o600);
    assert_eq!(opens(&read(&d.join("new.yml")), b"pw"), b"created: yes\n");

    let out = vr(
        d,
        &[
            "create",
            "--skip-tty-check",
            "--vault-password-file",
            PW,
            "new.yml",
        ],
        &ed,
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("exists, please use 'edit' instead"),
        "{}",
        out.stderr
    );

    // An editor that writes nothing still creates the (empty) vault, as ansible.
    ok(vr(
        d,
        &[
            "create",
            "--skip-tty-check",
            "--vault-id",
            "dev@pw",
            "sub/dir/empty.yml",
        ],
        &[("EDITOR", "true")],
    ));
    let text = read(&d.join("sub/dir/empty.yml"));
    assert!(text.starts_with(b"$ANSIBLE_VAULT;1.2;AES256;dev\n"));
    assert_eq!(opens(&text, b"pw"), b"");
    assert_only(d, &["ed.sh", "new.yml", "pw", "sub"]);
}

#[test]
fn view_into_a_closed_pipe_exits_quietly() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", b"pw\n");
    let big: Vec<u8> = (0..4u32 << 20).map(|i| b'a' + (i % 26) as u8).collect();
    write(d, "big.txt", &big);
    ok(vr(
        d,
        &[
            "encrypt",
            "--vault-password-file",
            PW,
            "--output",
            "big.vault",
            "big.txt",
        ],
        &[],
    ));
    // No pipefail: vaultrot's own status and stderr are captured inside.
    let script = r#"{ "$VR" view --vault-password-file pw big.vault 2>view.err; echo $? > view.rc; } | head -c1"#;
    let out = clean_command(Path::new("sh"), d)
        .args(["-c", script])
        .env("VR", vaultrot())
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"a");
    assert_eq!(
        String::from_utf8(read(&d.join("view.rc"))).unwrap().trim(),
        "0",
        "exit 0"
    );
    assert_eq!(
        String::from_utf8_lossy(&read(&d.join("view.err"))),
        "",
        "no error output"
    );
}

#[test]
fn multi_file_commands_write_nothing_on_any_error() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", b"pw\n");
    write(d, "other_pw", b"other\n");
    write(d, "new_pw", b"new\n");
    write(d, "a.yml", b"a\n");
    write(d, "b.yml", b"b\n");
    ok(vr(
        d,
        &["encrypt", "--vault-password-file", PW, "a.yml"],
        &[],
    ));
    ok(vr(
        d,
        &["encrypt", "--vault-password-file", "other_pw", "b.yml"],
        &[],
    ));
    let (a, b) = (read(&d.join("a.yml")), read(&d.join("b.yml")));
    for args in [
        &["decrypt", "--vault-password-file", PW, "a.yml", "b.yml"][..],
        &[
            "rekey",
            "--vault-password-file",
            PW,
            "--new-vault-password-file",
            "new_pw",
            "a.yml",
            "b.yml",
        ],
        &[
            "decrypt",
            "--vault-password-file",
            PW,
            "a.yml",
            "missing.yml",
        ],
    ] {
        let out = vr(d, args, &[]);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert_eq!(read(&d.join("a.yml")), a, "{args:?}: first file unchanged");
        assert_eq!(read(&d.join("b.yml")), b, "{args:?}");
        assert_only(d, &["a.yml", "b.yml", "new_pw", "other_pw", "pw"]);
    }
    // encrypt: the second input is already a vault.
    write(d, "c.yml", b"c\n");
    let out = vr(
        d,
        &["encrypt", "--vault-password-file", PW, "c.yml", "a.yml"],
        &[],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("input is already encrypted"),
        "{}",
        out.stderr
    );
    assert_eq!(read(&d.join("c.yml")), b"c\n");
}

#[test]
fn errors_are_one_line_naming_file_and_cause() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", b"pw\n");
    write(d, "plain.yml", b"not: encrypted\n");
    ok(vr(
        d,
        &[
            "encrypt",
            "--vault-password-file",
            PW,
            "--output",
            "good.vault",
            "plain.yml",
        ],
        &[],
    ));
    let good = String::from_utf8(read(&d.join("good.vault"))).unwrap();
    // Flip one hex digit of the inner HMAC (inner line 2 starts after salt+LF).
    let tampered = {
        let lines: Vec<&str> = good.lines().collect();
        let mut inner = const_hex::decode(lines[1..].concat()).unwrap();
        let hmac_start = inner.iter().position(|b| *b == b'\n').unwrap() + 1;
        inner[hmac_start] = if inner[hmac_start] == b'0' {
            b'1'
        } else {
            b'0'
        };
        let outer = const_hex::encode(&inner);
        let body: Vec<&str> = outer
            .as_bytes()
            .chunks(80)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!("{}\n{}\n", lines[0], body.join("\n"))
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong.vault",
            good.clone(),
            "Decryption failed (no vault secrets were found that could decrypt).",
        ),
        (
            "plain.yml",
            String::new(),
            "Input is not vault encrypted data.",
        ),
        (
            "cipher.vault",
            good.replacen("AES256", "AES128", 1),
            "Cipher 'AES128' could not be found.",
        ),
        ("tampered.vault", tampered, "Decryption failed"),
        (
            "padding.vault",
            crafted(b"pw", &[0u8; 16]),
            "Invalid padding bytes",
        ),
        (
            "partial.vault",
            crafted(b"pw", &[4u8; 20]),
            "Invalid padding bytes",
        ),
        (
            "nocipher.vault",
            crafted(b"pw", b""),
            "Invalid padding bytes",
        ),
        (
            "odd.vault",
            good[..good.len() - 2].to_string() + "\n",
            "Odd-length string",
        ),
        (
            "nonhex.vault",
            // The first hex digit of the body, whatever the random salt made it.
            {
                let body = good.find('\n').unwrap() + 1;
                format!("{}z{}", &good[..body], &good[body + 1..])
            },
            "Non-hexadecimal digit found",
        ),
        (
            "fields.vault",
            "$ANSIBLE_VAULT;1.1\n3030\n".into(),
            "Vault envelope format error",
        ),
        (
            "empty.vault",
            "$ANSIBLE_VAULT;1.1;AES256\n".into(),
            "not enough values to unpack",
        ),
    ];
    for (name, text, _) in &cases {
        if !text.is_empty() {
            write(d, name, text.as_bytes());
        }
    }
    for (name, _, cause) in &cases {
        let pw = if *name == "wrong.vault" { "wrong" } else { PW };
        write(d, "wrong", b"not it\n");
        for cmd in ["decrypt", "view"] {
            let args: Vec<&str> = match cmd {
                "view" => vec![cmd, "--vault-password-file", pw, name],
                _ => vec![cmd, "--vault-password-file", pw, "--output", "-", name],
            };
            let out = vr(d, &args, &[]);
            assert_eq!(out.code, 1, "{cmd} {name}: {}", out.stderr);
            assert!(out.stdout.is_empty(), "{cmd} {name}: nothing on stdout");
            let lines: Vec<&str> = out.stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{cmd} {name}: one line: {}", out.stderr);
            assert!(lines[0].starts_with("[ERROR]: "), "{}", lines[0]);
            assert!(
                lines[0].contains(cause),
                "{cmd} {name}: cause: {}",
                lines[0]
            );
            assert!(
                lines[0].contains(name),
                "{cmd} {name}: names the file: {}",
                lines[0]
            );
        }
    }
}

/// A pre-2.7 `1.0;AES` vault, which ansible can no longer read, is migrated
/// by `rekey` to AES256, which it can.
#[test]
fn legacy_aes_vault_rekeys_to_aes256_that_ansible_reads() {
    let dir = tempdir();
    let d = dir.path();
    let upstream = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ansible_upstream");
    std::fs::copy(
        upstream.join("legacy_format_1_0_AES.vault"),
        d.join("legacy.vault"),
    )
    .unwrap();
    std::fs::copy(
        upstream.join("legacy_format_1_0_AES.password"),
        d.join("old_pw"),
    )
    .unwrap();
    write(d, "new_pw", b"new pass\n");
    let shown = ok(vr(
        d,
        &["view", "--vault-password-file", "old_pw", "legacy.vault"],
        &[],
    ));
    assert_eq!(shown.stdout, b"foo\n");
    ok(vr(
        d,
        &[
            "rekey",
            "--vault-password-file",
            "old_pw",
            "--new-vault-password-file",
            "new_pw",
            "legacy.vault",
        ],
        &[],
    ));
    assert!(read(&d.join("legacy.vault")).starts_with(b"$ANSIBLE_VAULT;1.1;AES256\n"));
    let out = clean_command(&ansible("ansible-vault"), d)
        .args([
            "decrypt",
            "--vault-password-file",
            "new_pw",
            "--output",
            "-",
            "legacy.vault",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"foo\n");
}

#[test]
fn stdin_to_stdout_round_trip() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", b"pw\n");
    let data: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let pipe = |args: &[&str], input: &[u8]| {
        let mut child = clean_command(&vaultrot(), d)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let feeder = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().unwrap();
        feeder.join().unwrap().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let text = pipe(&["encrypt", "--vault-password-file", PW], &data);
    assert!(text.starts_with(b"$ANSIBLE_VAULT;1.1;AES256\n"));
    assert_eq!(pipe(&["decrypt", "--vault-password-file", PW], &text), data);
    assert_eq!(
        pipe(&["decrypt", "--vault-password-file", PW, "-"], &text),
        data
    );
    // view adds the final newline a plaintext lacks (as ansible's display).
    assert_eq!(
        pipe(&["view", "--vault-password-file", PW, "-"], &text),
        [&data[..], b"\n"].concat()
    );
}
