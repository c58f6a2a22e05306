//! Cross-checks with the real ansible-vault (ansible-core 2.19.14): files
//! each tool writes are read by the other, with a fixed salt
//! (`ANSIBLE_VAULT_ENCRYPT_SALT`) both write the same bytes, and every
//! password source yields the same password, label and exit code in both.
//!
//! Both tools run without a controlling terminal (`setsid`), so a prompt
//! reads stdin (ansible's getpass falls back to stdin with a warning) and a
//! test can never hang on the tty. Independent invocations run in parallel:
//! each ansible-vault start costs about half a second.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{ansible, clean_command, vaultrot};
use vaultrot::vault::{self, DecryptOptions, VaultSecret};
use zeroize::Zeroizing;

// ---------------------------------------------------------------- harness

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Ansible,
    Vaultrot,
}

#[derive(Debug)]
struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Out {
    /// The `[ERROR]: ...` line (both tools print exactly one on failure).
    fn error_line(&self) -> Option<&str> {
        self.stderr
            .lines()
            .rev()
            .find(|l| l.starts_with("[ERROR]: "))
    }

    /// The `[WARNING]: Error ... (LABEL)` part of the warnings about secret
    /// sources that failed (the cause after it may be worded differently).
    fn secret_warnings(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("[WARNING]: Error"))
            .map(|l| l.split("): ").next().unwrap_or(l))
            .collect()
    }

    fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// One command line for either tool: arguments, extra environment, stdin,
/// and the directory (relative to the test dir) it runs in.
#[derive(Debug, Clone, Default)]
struct Inv {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Vec<u8>,
    subdir: Option<String>,
}

fn inv<S: AsRef<str>>(args: &[S]) -> Inv {
    Inv {
        args: args.iter().map(|a| a.as_ref().to_string()).collect(),
        ..Inv::default()
    }
}

impl Inv {
    fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    fn salt(self, salt: &str) -> Self {
        self.env("ANSIBLE_VAULT_ENCRYPT_SALT", salt)
    }

    fn stdin(mut self, data: &[u8]) -> Self {
        self.stdin = data.to_vec();
        self
    }

    fn cwd(mut self, subdir: &str) -> Self {
        self.subdir = Some(subdir.to_string());
        self
    }
}

fn run(tool: Tool, dir: &Path, inv: &Inv) -> Out {
    let program = match tool {
        Tool::Ansible => ansible("ansible-vault"),
        Tool::Vaultrot => vaultrot(),
    };
    let cwd = match &inv.subdir {
        Some(sub) => dir.join(sub),
        None => dir.to_path_buf(),
    };
    // HOME is the test dir for both, so no ~/.ansible.cfg leaks in.
    let mut cmd: Command = clean_command(Path::new("setsid"), &cwd);
    cmd.env("HOME", dir)
        .env("ANSIBLE_LOCAL_TEMP", dir.join(".ansible-tmp"))
        .arg("-w")
        .arg(&program)
        .args(&inv.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in &inv.env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run setsid {}: {e}", program.display()));
    let mut stdin = child.stdin.take().unwrap();
    let data = inv.stdin.clone();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `f` over `items` on a few threads, keeping the order.
fn par<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const WORKERS: usize = 4;
    let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..WORKERS)
            .map(|w| {
                let f = &f;
                s.spawn(move || {
                    (w..items.len())
                        .step_by(WORKERS)
                        .map(|i| (i, f(&items[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (i, r) in h.join().unwrap() {
                results[i] = Some(r);
            }
        }
    });
    results.into_iter().map(Option::unwrap).collect()
}

/// Runs each invocation with both tools (in parallel) and asserts the same
/// exit code and the same stdout. Returns (ansible, vaultrot) per case.
fn same(dir: &Path, cases: &[(&str, Inv)]) -> Vec<(Out, Out)> {
    let jobs: Vec<(usize, Tool)> = (0..cases.len())
        .flat_map(|i| [(i, Tool::Ansible), (i, Tool::Vaultrot)])
        .collect();
    let mut outs = par(&jobs, |(i, tool)| run(*tool, dir, &cases[*i].1)).into_iter();
    let mut pairs = Vec::new();
    for (name, inv) in cases {
        let (a, v) = (outs.next().unwrap(), outs.next().unwrap());
        assert_eq!(
            a.code, v.code,
            "{name}: exit codes differ for {inv:?}\nansible stderr:\n{}\nvaultrot stderr:\n{}",
            a.stderr, v.stderr
        );
        assert!(
            a.stdout == v.stdout,
            "{name}: stdout differs for {inv:?}\nansible:\n{}\nvaultrot:\n{}\nansible stderr:\n{}\nvaultrot stderr:\n{}",
            a.stdout_text(),
            v.stdout_text(),
            a.stderr,
            v.stderr
        );
        pairs.push((a, v));
    }
    pairs
}

/// Like [`same`], for failures: same exit code and the same `[ERROR]` line.
fn same_failure(dir: &Path, cases: &[(&str, Inv, i32)]) {
    let plain: Vec<(&str, Inv)> = cases.iter().map(|(n, i, _)| (*n, i.clone())).collect();
    for ((name, _, code), (a, v)) in cases.iter().zip(same(dir, &plain)) {
        assert_eq!(a.code, *code, "{name}: ansible exit code\n{}", a.stderr);
        assert!(a.stdout.is_empty() && v.stdout.is_empty(), "{name}: stdout");
        assert!(a.error_line().is_some(), "{name}: {}", a.stderr);
        assert_eq!(
            a.error_line(),
            v.error_line(),
            "{name}: error lines differ\nansible:\n{}\nvaultrot:\n{}",
            a.stderr,
            v.stderr
        );
        assert_eq!(
            a.secret_warnings(),
            v.secret_warnings(),
            "{name}: warnings differ\nansible:\n{}\nvaultrot:\n{}",
            a.stderr,
            v.stderr
        );
    }
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, data).unwrap();
    path
}

fn write_script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = write(dir, name, format!("#!/bin/sh\n{body}\n").as_bytes());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn read(path: impl AsRef<Path>) -> Vec<u8> {
    std::fs::read(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Decrypts `text` in-process with exactly this password: proves which
/// bytes a source yielded, not just that both tools agree.
fn opens_with(text: &[u8], label: &str, password: &[u8]) -> Vec<u8> {
    let secret = VaultSecret::new(label, Zeroizing::new(password.to_vec()));
    let out = vault::decrypt(text, &[secret], DecryptOptions::default()).unwrap_or_else(|e| {
        panic!(
            "does not open with {:?}: {e}",
            String::from_utf8_lossy(password)
        )
    });
    out.plaintext.to_vec()
}

// ---------------------------------------------------------------- data

/// The plaintexts both directions are checked with.
fn plaintexts() -> Vec<(&'static str, Vec<u8>)> {
    let mut binary: Vec<u8> = (0..=255u8).collect();
    binary.extend_from_slice(b"\xff\xfe\xc3\x28 invalid utf-8 \xe2\x82\n\r\n\0");
    let mib: Vec<u8> = (0..1 << 20)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    vec![
        ("empty", Vec::new()),
        ("one", b"x".to_vec()),
        ("p15", b"fifteen bytes!\n".to_vec()),
        ("p16", b"sixteen bytes!!\n".to_vec()),
        ("p17", b"seventeen bytes!\n".to_vec()),
        ("mib", mib),
        ("binary", binary),
    ]
}

const PW: &[u8] = b"compat password\n";

// ---------------------------------------------------------------- both directions

#[test]
fn files_vaultrot_writes_decrypt_with_ansible() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", PW);
    let texts = plaintexts();
    // (label flag, header, subdir)
    let variants: [(&[&str], &str, &str); 2] = [
        (
            &["--vault-password-file", "pw"],
            "$ANSIBLE_VAULT;1.1;AES256\n",
            "v11",
        ),
        (
            &["--vault-id", "prod@pw"],
            "$ANSIBLE_VAULT;1.2;AES256;prod\n",
            "v12",
        ),
    ];
    let mut checks = Vec::new();
    for (flags, header, sub) in variants {
        for (name, data) in &texts {
            write(d, &format!("plain/{name}"), data);
            std::fs::create_dir_all(d.join(sub)).unwrap();
            let out_path = format!("{sub}/{name}");
            let plain = format!("plain/{name}");
            let mut args = vec!["encrypt"];
            args.extend_from_slice(flags);
            args.extend(["--output", &out_path, &plain]);
            let o = run(Tool::Vaultrot, d, &inv(&args));
            assert_eq!(o.code, 0, "{}", o.stderr);
            assert!(
                read(d.join(&out_path)).starts_with(header.as_bytes()),
                "{out_path}"
            );
            checks.push((flags, out_path, data.clone()));
        }
    }
    // `--vault-id default@pw` is still a 1.1 file (the literal "default").
    let o = run(
        Tool::Vaultrot,
        d,
        &inv(&[
            "encrypt",
            "--vault-id",
            "default@pw",
            "--output",
            "v11/default",
            "plain/one",
        ]),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(read(d.join("v11/default")).starts_with(b"$ANSIBLE_VAULT;1.1;AES256\n"));
    checks.push((
        &["--vault-password-file", "pw"],
        "v11/default".into(),
        b"x".to_vec(),
    ));

    let outs = par(&checks, |(flags, path, _)| {
        let mut args = vec!["decrypt"];
        args.extend_from_slice(flags);
        args.extend(["--output", "-", path.as_str()]);
        run(Tool::Ansible, d, &inv(&args))
    });
    for ((_, path, data), out) in checks.iter().zip(outs) {
        assert_eq!(out.code, 0, "ansible cannot decrypt {path}: {}", out.stderr);
        assert!(
            out.stdout == *data,
            "ansible decrypted {path} to other bytes"
        );
    }
}

#[test]
fn files_ansible_writes_decrypt_with_vaultrot() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", PW);
    let texts = plaintexts();
    let variants: [(&[&str], &str, &str); 2] = [
        (
            &["--vault-password-file", "pw"],
            "$ANSIBLE_VAULT;1.1;AES256\n",
            "a11",
        ),
        (
            &["--vault-id", "prod@pw"],
            "$ANSIBLE_VAULT;1.2;AES256;prod\n",
            "a12",
        ),
    ];
    // One ansible run per variant encrypts the whole set in place.
    let encrypted = par(&variants, |(flags, _, sub)| {
        let mut args: Vec<String> = vec!["encrypt".into()];
        args.extend(flags.iter().map(|s| s.to_string()));
        for (name, data) in &texts {
            write(d, &format!("{sub}/{name}"), data);
            args.push(format!("{sub}/{name}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(Tool::Ansible, d, &inv(&args))
    });
    for o in &encrypted {
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    for (flags, header, sub) in variants {
        for (name, data) in &texts {
            let path = format!("{sub}/{name}");
            assert!(read(d.join(&path)).starts_with(header.as_bytes()), "{path}");
            let mut args = vec!["decrypt"];
            args.extend_from_slice(flags);
            args.extend(["--output", "-", path.as_str()]);
            let o = run(Tool::Vaultrot, d, &inv(&args));
            assert_eq!(o.code, 0, "vaultrot cannot decrypt {path}: {}", o.stderr);
            assert!(
                o.stdout == *data,
                "vaultrot decrypted {path} to other bytes"
            );
        }
    }
}

// ---------------------------------------------------------------- byte for byte

#[test]
fn fixed_salt_encrypt_is_byte_identical() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", PW);
    write(d, "pw2", b"second password");
    for (name, data) in plaintexts() {
        write(d, &format!("plain/{name}"), &data);
    }
    let binary = read(d.join("plain/binary"));
    let salt = "vaultrot-fixed-salt";
    let cases = [
        (
            "file",
            inv(&[
                "encrypt",
                "--vault-password-file",
                "pw",
                "--output",
                "-",
                "plain/p17",
            ])
            .salt(salt),
        ),
        (
            "empty file",
            inv(&[
                "encrypt",
                "--vault-password-file",
                "pw",
                "--output",
                "-",
                "plain/empty",
            ])
            .salt(salt),
        ),
        (
            "binary file, 1.2",
            inv(&[
                "encrypt",
                "--vault-id",
                "prod@pw",
                "--output",
                "-",
                "plain/binary",
            ])
            .salt(salt),
        ),
        (
            "stdin, no args",
            inv(&["encrypt", "--vault-password-file", "pw"])
                .salt(salt)
                .stdin(&binary),
        ),
        (
            "stdin, -",
            inv(&["encrypt", "--vault-password-file", "pw", "-"])
                .salt(salt)
                .stdin(b"from stdin\n"),
        ),
        (
            "5-byte salt",
            inv(&[
                "encrypt",
                "--vault-password-file",
                "pw",
                "--output",
                "-",
                "plain/p16",
            ])
            .salt("salty"),
        ),
        (
            "--encrypt-vault-id",
            inv(&[
                "encrypt",
                "--vault-id",
                "dev@pw",
                "--vault-id",
                "prod@pw2",
                "--encrypt-vault-id",
                "prod",
                "--output",
                "-",
                "plain/p15",
            ])
            .salt(salt),
        ),
        (
            "ANSIBLE_VAULT_ENCRYPT_IDENTITY",
            inv(&[
                "encrypt",
                "--vault-id",
                "dev@pw",
                "--vault-id",
                "prod@pw2",
                "--output",
                "-",
                "plain/one",
            ])
            .salt(salt)
            .env("ANSIBLE_VAULT_ENCRYPT_IDENTITY", "dev"),
        ),
    ];
    let pairs = same(d, &cases);
    for ((name, _), (a, _)) in cases.iter().zip(&pairs) {
        assert_eq!(a.code, 0, "{name}: {}", a.stderr);
    }
    assert!(
        pairs[6]
            .0
            .stdout
            .starts_with(b"$ANSIBLE_VAULT;1.2;AES256;prod\n")
    );
    assert_eq!(
        opens_with(&pairs[6].0.stdout, "prod", b"second password"),
        b"fifteen bytes!\n"
    );
    assert!(
        pairs[7]
            .0
            .stdout
            .starts_with(b"$ANSIBLE_VAULT;1.2;AES256;dev\n")
    );

    // vault_encrypt_salt from ansible.cfg (cwd) works the same.
    write(
        d,
        "cfg/ansible.cfg",
        b"[defaults]\nvault_encrypt_salt = from-the-cfg\n",
    );
    write(d, "cfg/pw", PW);
    write(d, "cfg/data", b"cfg salt\n");
    let pairs = same(
        d,
        &[(
            "ini salt",
            inv(&[
                "encrypt",
                "--vault-password-file",
                "pw",
                "--output",
                "-",
                "data",
            ])
            .cwd("cfg"),
        )],
    );
    assert_eq!(pairs[0].0.code, 0, "{}", pairs[0].0.stderr);
    let again = run(
        Tool::Vaultrot,
        d,
        &inv(&[
            "encrypt",
            "--vault-password-file",
            "pw",
            "--output",
            "-",
            "data",
        ])
        .cwd("cfg"),
    );
    assert_eq!(
        again.stdout, pairs[0].1.stdout,
        "a fixed salt is deterministic"
    );
}

#[test]
fn fixed_salt_output_files_and_in_place_are_byte_identical() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", PW);
    let salt = "out-file-salt";
    for tool in ["a", "v"] {
        let p = write(
            d,
            &format!("{tool}/in-place.yml"),
            b"db_password: hunter2\n",
        );
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(d, &format!("{tool}/src.txt"), b"to an output file\n");
    }
    let work = [(Tool::Ansible, "a"), (Tool::Vaultrot, "v")];
    let outs = par(&work, |(tool, sub)| {
        let a = run(
            *tool,
            d,
            &inv(&["encrypt", "--vault-password-file", "../pw", "in-place.yml"])
                .salt(salt)
                .cwd(sub),
        );
        let b = run(
            *tool,
            d,
            &inv(&[
                "encrypt",
                "--vault-password-file",
                "../pw",
                "--output",
                "out.vault",
                "src.txt",
            ])
            .salt(salt)
            .cwd(sub),
        );
        let c = run(
            *tool,
            d,
            &inv(&[
                "encrypt_string",
                "--vault-password-file",
                "../pw",
                "--output",
                "es.yml",
                "--name",
                "k",
                "v",
            ])
            .salt(salt)
            .cwd(sub),
        );
        [a, b, c]
    });
    for outs in &outs {
        for o in outs {
            assert_eq!(o.code, 0, "{}", o.stderr);
        }
    }
    for name in ["in-place.yml", "out.vault", "es.yml"] {
        let (a, v) = (d.join("a").join(name), d.join("v").join(name));
        assert!(read(&a) == read(&v), "{name} differs");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&a), 0o600, "ansible's {name}");
        assert_eq!(mode(&v), 0o600, "vaultrot's {name}");
    }
    assert_eq!(
        read(d.join("v/src.txt")),
        b"to an output file\n",
        "--output leaves the input alone"
    );
}

#[test]
fn fixed_salt_encrypt_string_is_byte_identical() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", PW);
    let salt = "encrypt-string-salt";
    let es = |args: &[&str]| {
        let mut all = vec!["encrypt_string", "--vault-password-file", "pw"];
        all.extend_from_slice(args);
        inv(&all).salt(salt)
    };
    let cases = [
        ("single arg", es(&["s3cr3t"])),
        ("--name", es(&["--name", "db_password", "s3cr3t"])),
        (
            "args and names",
            es(&["--name", "a", "--name", "b", "one", "two", "three"]),
        ),
        (
            "--stdin-name",
            es(&["--stdin-name", "from_stdin"]).stdin(b"stdin value\n"),
        ),
        (
            "stdin and args",
            es(&["--stdin-name", "s", "--name", "n", "arg"]).stdin(b"value\r\n"),
        ),
        ("stdin, no args", es(&[]).stdin(b"verbatim, newline kept\n")),
        (
            "binary stdin",
            es(&["--stdin-name", "bin"]).stdin(b"\xff\xfe\x00 raw\n"),
        ),
        (
            "1.2 label",
            inv(&[
                "encrypt_string",
                "--vault-id",
                "prod@pw",
                "--name",
                "k",
                "v",
            ])
            .salt(salt),
        ),
        ("odd name", es(&["--name", "weird: name", "v"])),
        ("empty arg", es(&[""])),
        ("empty stdin", es(&["--stdin-name", "x"])),
    ];
    let pairs = same(d, &cases);
    for ((name, _), (a, v)) in cases.iter().zip(&pairs) {
        let want = if name.starts_with("empty") { 5 } else { 0 };
        assert_eq!(a.code, want, "{name}: {}", a.stderr);
        // The per-block comments on stderr are part of the output people read.
        let comments = |o: &Out| -> Vec<String> {
            o.stderr
                .lines()
                .filter(|l| l.starts_with("# The encrypted"))
                .map(String::from)
                .collect()
        };
        assert_eq!(comments(a), comments(v), "{name}: stderr comments");
        if want == 5 {
            assert_eq!(a.error_line(), v.error_line(), "{name}");
        }
    }
    let text = pairs[1].0.stdout_text();
    assert!(
        text.starts_with("db_password: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n"),
        "{text}"
    );
}

/// The IV this password and salt derive has low 32 bits close enough to
/// overflow that a 1 MiB plaintext carries into the upper 96 bits: a CTR
/// with a 32-bit (or 64-bit) counter would write different bytes.
#[test]
fn ctr_counter_carries_across_128_bits_like_ansible() {
    const PASSWORD: &[u8] = b"vaultrot-test-password";
    const SALT: &str = "ctr-carry-129897";
    let mut derived = [0u8; 80];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(PASSWORD, SALT.as_bytes(), 10_000, &mut derived);
    let low32 = u32::from_be_bytes(derived[76..80].try_into().unwrap());
    let blocks = (1u64 << 20) / 16 + 1;
    assert!(
        u64::from(low32) + blocks > 1 << 32,
        "the vector must overflow the low 32 bits"
    );

    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", PASSWORD);
    let mib: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
    write(d, "mib", &mib);
    let pairs = same(
        d,
        &[(
            "1 MiB, carry",
            inv(&[
                "encrypt",
                "--vault-password-file",
                "pw",
                "--output",
                "-",
                "mib",
            ])
            .salt(SALT),
        )],
    );
    assert_eq!(pairs[0].0.code, 0, "{}", pairs[0].0.stderr);
    assert_eq!(opens_with(&pairs[0].1.stdout, "default", PASSWORD), mib);
}

// ---------------------------------------------------------------- password sources

/// Encrypting with a fixed salt through a source: same ciphertext in both
/// tools, and it opens with exactly `effective` (the bytes after stripping).
fn check_source(d: &Path, cases: &[(&str, Inv, &[u8], &str)]) {
    let plain: Vec<(&str, Inv)> = cases.iter().map(|(n, i, _, _)| (*n, i.clone())).collect();
    for ((name, _, effective, label), (a, _)) in cases.iter().zip(same(d, &plain)) {
        assert_eq!(a.code, 0, "{name}: {}", a.stderr);
        assert_eq!(
            opens_with(&a.stdout, label, effective),
            b"source data\n",
            "{name}"
        );
        let header =
            String::from_utf8_lossy(a.stdout.split(|b| *b == b'\n').next().unwrap()).into_owned();
        let want = if *label == "default" {
            "$ANSIBLE_VAULT;1.1;AES256".to_string()
        } else {
            format!("$ANSIBLE_VAULT;1.2;AES256;{label}")
        };
        assert_eq!(header, want, "{name}");
    }
}

fn enc(source_flags: &[&str]) -> Inv {
    let mut args = vec!["encrypt"];
    args.extend_from_slice(source_flags);
    args.extend(["--output", "-", "data.txt"]);
    inv(&args).salt("source-salt")
}

#[test]
fn password_files_strip_like_ansible() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "data.txt", b"source data\n");
    let files: [(&str, &[u8], &[u8]); 6] = [
        (
            "pw_whitespace",
            b" \t  spaced  pass \t \n\n",
            b"spaced  pass",
        ),
        ("pw_crlf", b"crlf pass\r\n", b"crlf pass"),
        ("pw_no_newline", b"no newline", b"no newline"),
        (
            "pw_multiline",
            b"first line\nsecond line\n",
            b"first line\nsecond line",
        ),
        ("pw_latin1", b"caf\xe9 cr\xe8me\n", b"caf\xe9 cr\xe8me"),
        (
            "pw_unicode",
            "pässwörd 🔑\n".as_bytes(),
            "pässwörd 🔑".as_bytes(),
        ),
    ];
    let mut cases = Vec::new();
    for (name, content, _) in &files {
        write(d, name, content);
    }
    for (name, _, effective) in &files {
        cases.push((
            *name,
            enc(&["--vault-password-file", name]),
            *effective,
            "default",
        ));
    }
    let labelled: Vec<String> = files.iter().map(|(n, _, _)| format!("lab@{n}")).collect();
    for ((name, _, effective), id) in files.iter().zip(&labelled) {
        cases.push((*name, enc(&["--vault-id", id]), *effective, "lab"));
    }
    // `--vault-id FILE` (no label) and `@FILE` (empty label) both mean default.
    cases.push((
        "no label",
        enc(&["--vault-id", "pw_crlf"]),
        b"crlf pass",
        "default",
    ));
    cases.push((
        "empty label",
        enc(&["--vault-id", "@pw_crlf"]),
        b"crlf pass",
        "default",
    ));
    cases.push((
        "--vault-pass-file",
        enc(&["--vault-pass-file", "pw_crlf"]),
        b"crlf pass",
        "default",
    ));
    check_source(d, &cases);
}

#[test]
fn password_scripts_and_client_scripts_like_ansible() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "data.txt", b"source data\n");
    write_script(d, "pass-script.sh", r#"printf '  pass with spaces  \r\n'"#);
    // A client script: logs who called it with which argv, knows `dev`,
    // and answers rc 2 for `missing`.
    write_script(
        d,
        "keyring-client.py",
        r#"echo "$(cat /proc/$PPID/comm): $*" >> "$(dirname "$0")/client.log"
case "$2" in
  missing) echo "no secret for $2" >&2; exit 2 ;;
  broken) echo "keyring locked" >&2; exit 7 ;;
esac
printf 'client pass %s\n' "$2""#,
    );
    write_script(d, "fail-script.sh", "echo oops >&2; exit 3");
    write_script(d, "empty-script.sh", "printf '\\r\\n'");

    check_source(
        d,
        &[
            (
                "script",
                enc(&["--vault-password-file", "pass-script.sh"]),
                b"  pass with spaces  ",
                "default",
            ),
            (
                "script as vault-id",
                enc(&["--vault-id", "s@pass-script.sh"]),
                b"  pass with spaces  ",
                "s",
            ),
            (
                "client script",
                enc(&["--vault-id", "dev@keyring-client.py"]),
                b"client pass dev",
                "dev",
            ),
            (
                "client, password-file",
                enc(&["--vault-password-file", "keyring-client.py"]),
                b"client pass default",
                "default",
            ),
        ],
    );
    let mut log: Vec<String> = String::from_utf8_lossy(&read(d.join("client.log")))
        .lines()
        .map(String::from)
        .collect();
    log.sort();
    assert_eq!(
        log,
        [
            "ansible-vault: --vault-id default",
            "ansible-vault: --vault-id dev",
            "vaultrot: --vault-id default",
            "vaultrot: --vault-id dev",
        ],
        "client scripts are called with --vault-id LABEL by both"
    );

    same_failure(
        d,
        &[
            (
                "client rc 2",
                enc(&["--vault-id", "missing@keyring-client.py"]),
                1,
            ),
            (
                "client other rc",
                enc(&["--vault-id", "broken@keyring-client.py"]),
                1,
            ),
            (
                "script rc != 0",
                enc(&["--vault-password-file", "fail-script.sh"]),
                1,
            ),
            (
                "script prints only CRLF",
                enc(&["--vault-password-file", "empty-script.sh"]),
                1,
            ),
        ],
    );
}

#[test]
fn password_source_failures_match_ansible() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "data.txt", b"source data\n");
    write(d, "other.txt", b"other\n");
    write(d, "pw", b"pw\n");
    write(d, "pw2", b"pw2\n");
    write(d, "empty", b"");
    write(d, "blank", b" \n\t\n");
    std::fs::create_dir(d.join("a-dir")).unwrap();
    same_failure(
        d,
        &[
            ("missing file", enc(&["--vault-password-file", "nope"]), 1),
            ("empty file", enc(&["--vault-password-file", "empty"]), 1),
            ("whitespace-only file", enc(&["--vault-id", "x@blank"]), 1),
            ("directory", enc(&["--vault-password-file", "a-dir"]), 1),
            (
                "two secrets, no --encrypt-vault-id",
                enc(&["--vault-password-file", "pw", "--vault-id", "dev@pw2"]),
                5,
            ),
            (
                "unknown --encrypt-vault-id",
                enc(&["--vault-id", "dev@pw", "--encrypt-vault-id", "prod"]),
                1,
            ),
            ("; in vault id", enc(&["--vault-id", "a;b@pw"]), 5),
            (
                "--output with 2 inputs",
                inv(&[
                    "encrypt",
                    "--vault-password-file",
                    "pw",
                    "--output",
                    "out",
                    "data.txt",
                    "other.txt",
                ]),
                5,
            ),
            (
                "decrypt --output with 2 inputs",
                inv(&[
                    "decrypt",
                    "--vault-password-file",
                    "pw",
                    "--output",
                    "-",
                    "data.txt",
                    "other.txt",
                ]),
                5,
            ),
            (
                "missing input file",
                inv(&[
                    "encrypt",
                    "--vault-password-file",
                    "pw",
                    "--output",
                    "-",
                    "nope.txt",
                ]),
                1,
            ),
            (
                "decrypt a plain file",
                inv(&[
                    "decrypt",
                    "--vault-password-file",
                    "pw",
                    "--output",
                    "-",
                    "data.txt",
                ]),
                1,
            ),
        ],
    );
    // One good source among failing ones is enough (the others only warn).
    let pairs = same(
        d,
        &[(
            "one good source",
            enc(&[
                "--vault-password-file",
                "nope",
                "--vault-id",
                "dev@pw",
                "--encrypt-vault-id",
                "dev",
            ]),
        )],
    );
    assert_eq!(pairs[0].0.code, 0);
    assert_eq!(pairs[0].0.secret_warnings(), pairs[0].1.secret_warnings());
}

#[test]
fn vault_encrypted_password_file_opens_with_an_earlier_secret() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "data.txt", b"source data\n");
    write(d, "outer", b"outer password\n");
    write(d, "inner.txt", b"inner password\n");
    // ansible writes the encrypted password file; both tools must read it.
    let o = run(
        Tool::Ansible,
        d,
        &inv(&[
            "encrypt",
            "--vault-id",
            "outer@outer",
            "--output",
            "inner.vault",
            "inner.txt",
        ]),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    check_source(
        d,
        &[(
            "encrypted password file",
            enc(&[
                "--vault-id",
                "outer@outer",
                "--vault-id",
                "inner@inner.vault",
                "--encrypt-vault-id",
                "inner",
            ]),
            b"inner password",
            "inner",
        )],
    );
    // Listed first, nothing can open it yet: skipped with a warning.
    same_failure(
        d,
        &[(
            "encrypted password file first",
            enc(&[
                "--vault-id",
                "inner@inner.vault",
                "--vault-id",
                "outer@outer",
                "--encrypt-vault-id",
                "inner",
            ]),
            1,
        )],
    );
}

#[test]
fn several_vault_ids_in_any_order_and_id_match() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "p_dev", b"dev pass\n");
    write(d, "p_prod", b"prod pass\n");
    write(d, "p_stage", b"stage pass\n");
    write(d, "plain", b"several ids\n");
    for (label, out) in [("prod@p_prod", "prod.vault"), ("p_prod", "default.vault")] {
        let o = run(
            Tool::Vaultrot,
            d,
            &inv(&["encrypt", "--vault-id", label, "--output", out, "plain"]),
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    let dec = |ids: &[&str], file: &str| {
        let mut args = vec!["decrypt", "--output", "-"];
        for id in ids {
            args.extend(["--vault-id", id]);
        }
        args.push(file);
        inv(&args)
    };
    let orders: [&[&str]; 6] = [
        &["dev@p_dev", "stage@p_stage", "prod@p_prod"],
        &["prod@p_prod", "dev@p_dev", "stage@p_stage"],
        &["stage@p_stage", "prod@p_prod", "dev@p_dev"],
        // The right password under another label still opens it.
        &["dev@p_prod", "stage@p_stage"],
        &["prod@p_stage", "x@p_prod"],
        &["p_dev", "p_prod"],
    ];
    let mut cases: Vec<(String, Inv)> = Vec::new();
    for ids in orders {
        cases.push((format!("{ids:?} prod.vault"), dec(ids, "prod.vault")));
        cases.push((format!("{ids:?} default.vault"), dec(ids, "default.vault")));
    }
    let id_match = |i: Inv, v: &str| i.env("ANSIBLE_VAULT_ID_MATCH", v);
    // ANSIBLE_VAULT_ID_MATCH has no type: any non-empty value, even 0, turns it on.
    cases.push((
        "id_match=0, wrong label".into(),
        id_match(dec(&["dev@p_prod"], "prod.vault"), "0"),
    ));
    cases.push((
        "id_match=0, right label".into(),
        id_match(dec(&["dev@p_dev", "prod@p_prod"], "prod.vault"), "0"),
    ));
    cases.push((
        "id_match=False, 1.1 file, labelled secret".into(),
        id_match(dec(&["dev@p_prod"], "default.vault"), "False"),
    ));
    cases.push((
        "id_match=0, 1.1 file, unlabelled".into(),
        id_match(dec(&["p_prod"], "default.vault"), "0"),
    ));
    cases.push((
        "id_match empty is off".into(),
        id_match(dec(&["dev@p_prod"], "prod.vault"), ""),
    ));
    cases.push((
        "only wrong passwords".into(),
        dec(&["prod@p_dev", "p_stage"], "prod.vault"),
    ));
    let named: Vec<(&str, Inv)> = cases.iter().map(|(n, i)| (n.as_str(), i.clone())).collect();
    let pairs = same(d, &named);
    let codes: Vec<i32> = pairs.iter().map(|(a, _)| a.code).collect();
    assert_eq!(
        codes,
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1],
        "ansible's exit codes"
    );
    for ((name, _), (a, v)) in named.iter().zip(&pairs) {
        if a.code == 0 {
            assert_eq!(a.stdout, b"several ids\n", "{name}");
        } else {
            assert_eq!(a.error_line(), v.error_line(), "{name}");
        }
    }
}

#[test]
fn environment_sources_like_ansible() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "data.txt", b"source data\n");
    write(d, "p_env", b"  env pass  \n");
    write(d, "p_dev", b"dev pass\n");
    write(d, "p_prod", b"prod pass\n");
    write(d, "p_cli", b"cli pass\n");
    let cases = [
        (
            "ANSIBLE_VAULT_PASSWORD_FILE",
            enc(&[]).env("ANSIBLE_VAULT_PASSWORD_FILE", "p_env"),
            &b"env pass"[..],
            "default",
        ),
        (
            "ANSIBLE_VAULT_IDENTITY_LIST",
            enc(&["--encrypt-vault-id", "prod"])
                .env("ANSIBLE_VAULT_IDENTITY_LIST", " dev@p_dev , prod@p_prod "),
            b"prod pass",
            "prod",
        ),
        (
            "IDENTITY_LIST plus --vault-id",
            enc(&["--vault-id", "cli@p_cli", "--encrypt-vault-id", "cli"])
                .env("ANSIBLE_VAULT_IDENTITY_LIST", "dev@p_dev"),
            b"cli pass",
            "cli",
        ),
        (
            "ANSIBLE_VAULT_IDENTITY renames the default label",
            enc(&["--vault-password-file", "p_cli"]).env("ANSIBLE_VAULT_IDENTITY", "team"),
            b"cli pass",
            "team",
        ),
        (
            "ANSIBLE_VAULT_IDENTITY and the env password file",
            enc(&[])
                .env("ANSIBLE_VAULT_IDENTITY", "team")
                .env("ANSIBLE_VAULT_PASSWORD_FILE", "p_env"),
            b"env pass",
            "team",
        ),
    ];
    check_source(d, &cases);
    same_failure(
        d,
        &[
            (
                "env password file plus --vault-password-file is 2 secrets",
                enc(&["--vault-password-file", "p_cli"])
                    .env("ANSIBLE_VAULT_PASSWORD_FILE", "p_env"),
                5,
            ),
            (
                "missing env password file",
                enc(&[]).env("ANSIBLE_VAULT_PASSWORD_FILE", "nope"),
                1,
            ),
        ],
    );
    // Decrypting with the environment's secrets.
    let o = run(
        Tool::Vaultrot,
        d,
        &inv(&[
            "encrypt",
            "--vault-id",
            "prod@p_prod",
            "--output",
            "prod.vault",
            "data.txt",
        ]),
    );
    assert_eq!(o.code, 0);
    let pairs = same(
        d,
        &[
            (
                "identity list decrypt",
                inv(&["decrypt", "--output", "-", "prod.vault"])
                    .env("ANSIBLE_VAULT_IDENTITY_LIST", "dev@p_dev,prod@p_prod"),
            ),
            (
                "env file wrong",
                inv(&["decrypt", "--output", "-", "prod.vault"])
                    .env("ANSIBLE_VAULT_PASSWORD_FILE", "p_dev"),
            ),
        ],
    );
    assert_eq!((pairs[0].0.code, pairs[1].0.code), (0, 1));
    assert_eq!(pairs[0].0.stdout, b"source data\n");
}

#[test]
fn ansible_cfg_sources_like_ansible() {
    let dir = tempdir();
    let d = dir.path();
    // ./ansible.cfg in the working directory, a relative vault_password_file.
    write(
        d,
        "proj/ansible.cfg",
        b"[defaults]\nvault_password_file = secrets/pw\n",
    );
    write(d, "proj/secrets/pw", b" project pass \n");
    write(d, "proj/data.txt", b"source data\n");
    // ANSIBLE_CONFIG elsewhere: relative paths resolve against the cfg's
    // directory, not the cwd (which holds a decoy with another password).
    write(
        d,
        "team/cfg/team.cfg",
        b"[defaults]\nvault_password_file = keys/pw ; trailing comment\nvault_identity = team\n",
    );
    write(d, "team/cfg/keys/pw", b"team pass\n");
    write(d, "team/work/keys/pw", b"decoy pass\n");
    write(d, "team/work/data.txt", b"source data\n");
    let list_cfg = format!(
        "[defaults]\nvault_identity_list = dev@{0}/p_dev, prod@{0}/p_prod\nvault_id_match = 0\n",
        d.display()
    );
    write(d, "ids/ansible.cfg", list_cfg.as_bytes());
    write(d, "p_dev", b"dev pass\n");
    write(d, "p_prod", b"prod pass\n");
    write(d, "ids/data.txt", b"source data\n");
    let cfg_path = d.join("team/cfg/team.cfg").display().to_string();
    check_source(
        d,
        &[
            (
                "./ansible.cfg",
                enc(&[]).cwd("proj"),
                b"project pass",
                "default",
            ),
            (
                "ANSIBLE_CONFIG file",
                enc(&[]).cwd("team/work").env("ANSIBLE_CONFIG", &cfg_path),
                b"team pass",
                "team",
            ),
            (
                "ANSIBLE_CONFIG relative",
                enc(&[])
                    .cwd("team/work")
                    .env("ANSIBLE_CONFIG", "../cfg/team.cfg"),
                b"team pass",
                "team",
            ),
            (
                "vault_identity_list in cfg",
                enc(&["--encrypt-vault-id", "prod"]).cwd("ids"),
                b"prod pass",
                "prod",
            ),
        ],
    );
    // vault_id_match = 0 in the cfg is on: a `dev` secret never opens a `prod` file.
    let o = run(
        Tool::Vaultrot,
        d,
        &inv(&[
            "encrypt",
            "--vault-id",
            "prod@p_dev",
            "--output",
            "ids/prod.vault",
            "ids/data.txt",
        ]),
    );
    assert_eq!(o.code, 0);
    let pairs = same(
        d,
        &[(
            "cfg vault_id_match",
            inv(&["decrypt", "--output", "-", "prod.vault"]).cwd("ids"),
        )],
    );
    assert_eq!(pairs[0].0.code, 1, "{}", pairs[0].0.stderr);
    assert_eq!(pairs[0].0.error_line(), pairs[0].1.error_line());
}

/// `-J`/`--ask-vault-pass` with no terminal: ansible's getpass falls back to
/// reading stdin (with a GetPassWarning); vaultrot does the same.
#[test]
fn ask_vault_pass_reads_stdin_without_a_tty() {
    let dir = tempdir();
    let d = dir.path();
    write(d, "data.txt", b"source data\n");
    write(d, "pw", b"prompted pass\n");
    let o = run(
        Tool::Vaultrot,
        d,
        &inv(&[
            "encrypt",
            "--vault-password-file",
            "pw",
            "--output",
            "v.vault",
            "data.txt",
        ]),
    );
    assert_eq!(o.code, 0);
    let cases = [
        (
            "decrypt -J",
            inv(&["decrypt", "-J", "--output", "-", "v.vault"]).stdin(b"  prompted pass \t\n"),
            Some(&b"source data\n"[..]),
        ),
        (
            "--ask-vault-pass",
            inv(&["view", "--ask-vault-pass", "v.vault"]).stdin(b"prompted pass\n"),
            Some(b"source data\n"),
        ),
        (
            "--ask-vault-password wrong",
            inv(&[
                "decrypt",
                "--ask-vault-password",
                "--output",
                "-",
                "v.vault",
            ])
            .stdin(b"nope\n"),
            None,
        ),
        (
            "-J at EOF",
            inv(&["decrypt", "-J", "--output", "-", "v.vault"]),
            None,
        ),
        // ansible checks the answer for emptiness before stripping it: spaces
        // pass, and become the empty password (which does not open this file).
        (
            "-J whitespace only",
            inv(&["decrypt", "-J", "--output", "-", "v.vault"]).stdin(b"  \n"),
            None,
        ),
        (
            "-J empty line",
            inv(&["decrypt", "-J", "--output", "-", "v.vault"]).stdin(b"\n"),
            None,
        ),
        (
            "encrypt -J asks twice",
            enc(&["-J"]).stdin(b"prompted pass\n prompted pass \n"),
            None,
        ),
        (
            "encrypt -J mismatch",
            enc(&["-J"]).stdin(b"one\ntwo\n"),
            None,
        ),
        (
            "no source at all prompts",
            enc(&[]).stdin(b"prompted pass\nprompted pass\n"),
            None,
        ),
        (
            "--vault-id label@prompt",
            enc(&["--vault-id", "lab@prompt"]).stdin(b"prompted pass\nprompted pass\n"),
            None,
        ),
        (
            "encrypt -J with spaces",
            enc(&["-J"]).stdin(b"  \n \t\n"),
            None,
        ),
    ];
    let named: Vec<(&str, Inv)> = cases.iter().map(|(n, i, _)| (*n, i.clone())).collect();
    let pairs = same(d, &named);
    let codes: Vec<i32> = pairs.iter().map(|(a, _)| a.code).collect();
    assert_eq!(
        codes,
        [0, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0],
        "ansible's exit codes"
    );
    for ((name, _, want), (a, v)) in cases.iter().zip(&pairs) {
        if let Some(want) = want {
            assert_eq!(a.stdout, *want, "{name}");
        }
        if a.code != 0 {
            assert_eq!(a.error_line(), v.error_line(), "{name}");
        }
    }
    assert_eq!(
        opens_with(&pairs[6].0.stdout, "default", b"prompted pass"),
        b"source data\n"
    );
    assert!(
        pairs[9]
            .0
            .stdout
            .starts_with(b"$ANSIBLE_VAULT;1.2;AES256;lab\n")
    );
    assert_eq!(
        opens_with(&pairs[10].0.stdout, "default", b""),
        b"source data\n",
        "the empty password"
    );
}

// ---------------------------------------------------------------- age (vaultrot only)

/// An age-encrypted password file is a vaultrot extension: it must yield the
/// same password as the plain file gives ansible, so the ciphertexts match.
#[test]
fn age_encrypted_password_files() {
    use age::secrecy::ExposeSecret;

    let dir = tempdir();
    let d = dir.path();
    write(d, "data.txt", b"source data\n");
    let password = b"  age protected pass \n";
    write(d, "plain_pw", password);
    let identity = age::x25519::Identity::generate();
    let other = age::x25519::Identity::generate();
    let key_file = |id: &age::x25519::Identity| {
        format!("# test identity\n{}\n", id.to_string().expose_secret())
    };
    write(d, "id.txt", key_file(&identity).as_bytes());
    write(d, "wrong-id.txt", key_file(&other).as_bytes());
    write(
        d,
        "pw.age",
        &age::encrypt(&identity.to_public(), password).unwrap(),
    );
    write(
        d,
        "pw.age.asc",
        age::encrypt_and_armor(&identity.to_public(), password)
            .unwrap()
            .as_bytes(),
    );

    let reference = run(
        Tool::Ansible,
        d,
        &enc(&["--vault-password-file", "plain_pw"]),
    );
    assert_eq!(reference.code, 0, "{}", reference.stderr);
    assert_eq!(
        opens_with(&reference.stdout, "default", b"age protected pass"),
        b"source data\n"
    );

    let id_path = d.join("id.txt").display().to_string();
    let home_id = d.join(".config/vaultrot/age-identity.txt");
    let cases = [
        (
            "binary, --age-identity",
            enc(&[
                "--vault-password-file",
                "pw.age",
                "--age-identity",
                "id.txt",
            ]),
        ),
        (
            "armored, --age-identity",
            enc(&[
                "--vault-password-file",
                "pw.age.asc",
                "--age-identity",
                "id.txt",
            ]),
        ),
        (
            "VAULTROT_AGE_IDENTITY",
            enc(&["--vault-password-file", "pw.age"]).env("VAULTROT_AGE_IDENTITY", &id_path),
        ),
        (
            "as --vault-id",
            enc(&["--vault-id", "pw.age.asc"]).env("VAULTROT_AGE_IDENTITY", &id_path),
        ),
    ];
    for (name, inv) in &cases {
        let o = run(Tool::Vaultrot, d, inv);
        assert_eq!(o.code, 0, "{name}: {}", o.stderr);
        assert_eq!(
            o.stdout, reference.stdout,
            "{name}: same password as the plain file"
        );
    }

    // No identity anywhere: a clear error naming the file and what to do.
    let o = run(
        Tool::Vaultrot,
        d,
        &enc(&["--vault-password-file", "pw.age"]),
    );
    assert_eq!(o.code, 1);
    let err = o.error_line().unwrap();
    assert!(
        err.contains("pw.age") && err.contains("--age-identity"),
        "{err}"
    );

    // The default identity path under $HOME.
    std::fs::create_dir_all(home_id.parent().unwrap()).unwrap();
    std::fs::copy(d.join("id.txt"), &home_id).unwrap();
    let o = run(
        Tool::Vaultrot,
        d,
        &enc(&["--vault-password-file", "pw.age.asc"]),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, reference.stdout, "default identity path");

    // A wrong identity fails clearly (one line, names the file and age), and
    // the flag wins over the default path.
    for inv in [
        enc(&[
            "--vault-password-file",
            "pw.age",
            "--age-identity",
            "wrong-id.txt",
        ]),
        enc(&["--vault-password-file", "pw.age.asc"]).env("VAULTROT_AGE_IDENTITY", "wrong-id.txt"),
    ] {
        let o = run(Tool::Vaultrot, d, &inv);
        assert_eq!(o.code, 1, "{}", o.stderr);
        assert!(o.stdout.is_empty());
        let err = o.error_line().unwrap();
        assert!(err.contains("age") && err.contains("pw.age"), "{err}");
        assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    }
}

// ---------------------------------------------------------------- deliberate divergence

/// A ciphertext with a valid HMAC and bad padding crashes ansible with an
/// unhandled exception (rc 250); vaultrot reports it as a clean error.
#[test]
fn crafted_bad_padding_crashes_ansible_but_not_vaultrot() {
    use ctr::cipher::{KeyIvInit, StreamCipher};
    use hmac::{KeyInit, Mac};

    let dir = tempdir();
    let d = dir.path();
    write(d, "pw", b"pw\n");
    let salt = [7u8; 32];
    let mut dk = [0u8; 80];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"pw", &salt, 10_000, &mut dk);
    let mut ct = [0u8; 16]; // padding byte 0: invalid
    ctr::Ctr128BE::<aes::Aes256>::new_from_slices(&dk[..32], &dk[64..])
        .unwrap()
        .apply_keystream(&mut ct);
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&dk[32..64]).unwrap();
    mac.update(&ct);
    let tag = mac.finalize().into_bytes();
    write(
        d,
        "crafted.vault",
        vault::envelope::format_vault("default", &salt, &tag, &ct).as_bytes(),
    );
    let args = inv(&[
        "decrypt",
        "--vault-password-file",
        "pw",
        "--output",
        "-",
        "crafted.vault",
    ]);
    let a = run(Tool::Ansible, d, &args);
    let v = run(Tool::Vaultrot, d, &args);
    assert_eq!(a.code, 250, "ansible: {}", a.stderr);
    assert!(a.stderr.contains("Invalid padding bytes"));
    assert_eq!(v.code, 1, "vaultrot: {}", v.stderr);
    let err = v.error_line().unwrap();
    assert!(
        err.contains("Invalid padding bytes") && err.contains("crafted.vault"),
        "{err}"
    );
}
