//! Hostile input, run through the real binary in a subprocess (a stack
//! overflow shows as exit 134, a hang as a command still running after a
//! generous wait): 20,000 levels of block and flow nesting in a manifest and
//! in vault files, and inputs that are not regular files (a FIFO no one
//! writes to, a device, a directory, a socket). Each gets one clear line
//! naming the file, and the command's documented exit code. A password
//! file may be a pipe, as in Ansible, but not an endless one.

mod common;

use std::fs;
use std::io::Read;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{clean_command, vaultrot};

const PASSWORD: &str = "hostile-input-pw";
const LEVELS: usize = 20_000;
/// Only to tell a hang from an answer; a clean refusal takes milliseconds.
const HANG: Duration = Duration::from_secs(60);

/// Exit code, stderr. Fails the test if the command is still running after [`HANG`].
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut child = clean_command(&vaultrot(), dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let code = wait_or_kill(&mut child, args);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (code, stderr)
}

fn wait_or_kill(child: &mut Child, args: &[&str]) -> i32 {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            use std::os::unix::process::ExitStatusExt;
            return status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("vaultrot {args:?} still running after {HANG:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One line on stderr naming `file`, and exit code `code`.
fn assert_refused(dir: &Path, args: &[&str], file: &str, code: i32) -> String {
    let (got, stderr) = run(dir, args);
    assert_eq!(got, code, "vaultrot {args:?} exited {got}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(file), "names {file}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("pw"), PASSWORD).unwrap();
    dir
}

/// An inline `!vault` value made by vaultrot itself.
fn inline_value(dir: &Path, name: &str) -> String {
    let out = clean_command(&vaultrot(), dir)
        .args([
            "encrypt_string",
            "--vault-password-file",
            "pw",
            "--name",
            name,
            "s3cret",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn flow(levels: usize) -> String {
    format!("{}{}", "[".repeat(levels), "]".repeat(levels))
}

/// `- - - ... x`: block sequences nested `levels` deep in one line.
fn block(levels: usize) -> String {
    format!("{}x", "- ".repeat(levels))
}

const MANIFEST_HEAD: &str = "\
secrets_manifest:
  version: 1
  secrets:
    vault_a:
      last_rotation: 2026-01-01
      deploy:
        - run: 'true'
          extra_vars:
";

#[test]
fn deep_nesting_in_a_manifest_is_refused_cleanly() {
    let dir = setup();
    let cases = [
        (
            "block.yml",
            format!("{MANIFEST_HEAD}            x:\n{}\n", {
                let mut b = " ".repeat(14);
                b.push_str(&block(LEVELS));
                b
            }),
        ),
        (
            "flow.yml",
            format!("{MANIFEST_HEAD}            x: {}\n", flow(LEVELS)),
        ),
        (
            "flowmap.yml",
            format!(
                "{MANIFEST_HEAD}            x: {}b{}\n",
                "{a: ".repeat(LEVELS),
                "}".repeat(LEVELS)
            ),
        ),
    ];
    for (name, text) in &cases {
        assert!(text.len() >= 40_000, "{name}: {} bytes", text.len());
        fs::write(dir.path().join(name), text).unwrap();
        for command in ["check-age", "lint", "status"] {
            let err = assert_refused(
                dir.path(),
                &[command, "--manifest", name],
                name,
                2, // exit_codes::USAGE: a bad manifest
            );
            assert!(err.contains(&format!("{name}:")), "{err}");
        }
    }
}

#[test]
fn deep_nesting_in_vault_files_is_refused_cleanly() {
    let dir = setup();
    let inline = inline_value(dir.path(), "secret");
    let mut files = Vec::new();
    for (kind, deep) in [
        ("block", format!("deep:\n{}\n", block(LEVELS))),
        ("flow", format!("deep: {}\n", flow(LEVELS))),
    ] {
        // A vars file with an inline value, and a whole-file vault.
        let vars = format!("vars_{kind}.yml");
        fs::write(dir.path().join(&vars), format!("{inline}{deep}")).unwrap();
        let plain = format!("plain_{kind}.yml");
        fs::write(dir.path().join(&plain), format!("secret: s3cret\n{deep}")).unwrap();
        let whole = format!("whole_{kind}.yml");
        let out = clean_command(&vaultrot(), dir.path())
            .args([
                "encrypt",
                "--vault-password-file",
                "pw",
                "--output",
                &whole,
                &plain,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        files.push(vars);
        files.push(whole);
    }
    for file in &files {
        let pw = ["--vault-password-file", "pw"];
        let get = [&["get"][..], &pw, &[file, "secret"]].concat();
        let set = [&["set"][..], &pw, &[file, "other", "v"]].concat();
        assert_refused(dir.path(), &get, file, 1);
        assert_refused(dir.path(), &set, file, 1);
        if file.starts_with("vars") {
            // A whole-file vault's plaintext is shown as it is, never parsed.
            let view = [&["view"][..], &pw, &[file]].concat();
            assert_refused(dir.path(), &view, file, 1);
        }
    }
}

#[test]
fn inputs_that_are_not_regular_files_are_refused_at_once() {
    let dir = setup();
    let fifo = dir.path().join("fifo.yml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let _socket = UnixListener::bind(dir.path().join("socket.yml")).unwrap();
    fs::create_dir(dir.path().join("dir.yml")).unwrap();
    let pw = ["--vault-password-file", "pw"];
    for input in ["fifo.yml", "/dev/zero", "socket.yml"] {
        for command in [&["view"][..], &["decrypt", "--output", "-"], &["edit"]] {
            let args = [command, &pw, &[input]].concat();
            let err = assert_refused(dir.path(), &args, input, 1);
            assert!(err.contains("not a regular file"), "{err}");
        }
    }
    for input in ["fifo.yml", "/dev/zero", "socket.yml", "dir.yml"] {
        let get = [&["get"][..], &pw, &[input, "k"]].concat();
        let err = assert_refused(dir.path(), &get, input, 1);
        assert!(err.contains("not a regular file"), "{err}");
        for command in ["check-age", "lint", "status"] {
            let err = assert_refused(dir.path(), &[command, "--manifest", input], input, 2);
            assert!(err.contains("not a regular file"), "{err}");
        }
    }
}

/// A password file is read as Ansible reads it, from a pipe too
/// (`--vault-password-file <(pass show vault)`), but never without end.
#[test]
fn an_endless_password_file_is_refused_and_a_piped_one_still_works() {
    let dir = setup();
    fs::write(dir.path().join("secret.yml"), "k: v\n").unwrap();
    let out = clean_command(&vaultrot(), dir.path())
        .args(["encrypt", "--vault-password-file", "pw", "secret.yml"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    let args = ["view", "--vault-password-file", "/dev/zero", "secret.yml"];
    let (code, stderr) = run(dir.path(), &args);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("Could not read vault password file '/dev/zero'"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let fifo = dir.path().join("pw.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer = std::thread::spawn({
        let fifo = fifo.clone();
        move || fs::write(fifo, format!("{PASSWORD}\n")).unwrap()
    });
    let out = clean_command(&vaultrot(), dir.path())
        .args(["view", "--vault-password-file", "pw.fifo", "secret.yml"])
        .output()
        .unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, b"k: v\n");
}

/// Ten aliases of ten aliases, eleven levels deep: 10^11 nodes if expanded.
fn laughs(indent: &str) -> String {
    let mut text = format!("{indent}a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("{indent}a{i}: &a{i} [{refs}]\n"));
    }
    text
}

#[test]
fn alias_expansion_is_bounded() {
    let dir = setup();
    fs::write(
        dir.path().join("manifest.yml"),
        format!("{MANIFEST_HEAD}{}", laughs("            ")),
    )
    .unwrap();
    // The manifest readers are shared by every command that reads it.
    assert_refused(
        dir.path(),
        &["check-age", "--manifest", "manifest.yml"],
        "manifest.yml",
        2,
    );
    let inline = inline_value(dir.path(), "secret");
    fs::write(
        dir.path().join("vars.yml"),
        format!("{inline}{}", laughs("")),
    )
    .unwrap();
    let pw = ["--vault-password-file", "pw"];
    for command in [&["view"][..], &["get"]] {
        let mut args = [command, &pw, &["vars.yml"]].concat();
        if command != ["view"] {
            args.push("a11");
        }
        assert_refused(dir.path(), &args, "vars.yml", 1);
    }
}
