//! Clean-up after the dead, with the real binary: `edit` wipes its plaintext
//! when SIGHUP, SIGINT or SIGTERM arrives while the editor runs, and what a
//! `kill -9` leaves (an editor scratch directory, a temp file beside a
//! target) is removed by the next vaultrot command that writes.
//!
//! Each test gives vaultrot its own TMPDIR (no XDG_RUNTIME_DIR), so the
//! scratch directories it makes can be seen, and only those.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{clean_command, vaultrot};

const PASSWORD: &str = "cleanup-pw";
const PLAINTEXT: &str = "db_password: cleanup-plaintext-42\n";
/// Only to tell a hang from an answer.
const HANG: Duration = Duration::from_secs(60);

struct Tree {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    scratch: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("work");
        let scratch = tmp.path().join("tmp");
        fs::create_dir_all(&root).unwrap();
        fs::create_dir_all(&scratch).unwrap();
        fs::write(root.join("pw"), PASSWORD).unwrap();
        fs::write(root.join("plain.yml"), PLAINTEXT).unwrap();
        // An editor that says which file it was given (and its pid), then waits.
        fs::write(
            root.join("editor.sh"),
            "#!/bin/sh\nprintf '%s %s' \"$$\" \"$1\" > \"$(dirname \"$0\")/editor-started.tmp\"\nexec sleep 120\n",
        )
        .unwrap();
        Command::new("chmod")
            .args(["+x"])
            .arg(root.join("editor.sh"))
            .status()
            .unwrap();
        let tree = Tree {
            _tmp: tmp,
            root,
            scratch,
        };
        let out = tree
            .command(&["encrypt", "--output", "vault.yml", "plain.yml"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        tree
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = clean_command(&vaultrot(), &self.root);
        cmd.env_remove("XDG_RUNTIME_DIR")
            .env("TMPDIR", &self.scratch)
            .env("EDITOR", self.root.join("editor.sh"))
            .arg(args[0])
            .args(["--vault-password-file", "pw"])
            .args(&args[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    }

    /// Starts `vaultrot edit vault.yml` and waits for the editor to run:
    /// (vaultrot, the editor's pid, the plaintext file the editor got).
    fn start_edit(&self) -> (Child, i32, PathBuf) {
        let started = self.root.join("editor-started.tmp");
        let _ = fs::remove_file(&started);
        let mut child = self.command(&["edit", "vault.yml"]).spawn().unwrap();
        let since = Instant::now();
        let (pid, file) = loop {
            if let Ok(text) = fs::read_to_string(&started)
                && let Some((pid, file)) = text.split_once(' ')
            {
                break (pid.parse().unwrap(), PathBuf::from(file));
            }
            if since.elapsed() > HANG {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the editor never started");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(fs::read_to_string(&file).unwrap(), PLAINTEXT);
        (child, pid, file)
    }

    /// Entries of vaultrot's TMPDIR.
    fn scratch_entries(&self) -> Vec<String> {
        names(&self.scratch)
    }
}

fn names(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn wait(child: &mut Child) -> std::process::ExitStatus {
    let since = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if since.elapsed() > HANG {
            let _ = child.kill();
            panic!("vaultrot did not exit after the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: signals a process this test started.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

#[test]
fn edit_wipes_its_plaintext_on_hangup_interrupt_and_terminate() {
    let tree = Tree::new();
    let vault_before = fs::read(tree.root.join("vault.yml")).unwrap();
    for (sig, name) in [
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGINT, "SIGINT"),
        (libc::SIGTERM, "SIGTERM"),
    ] {
        let (mut child, editor, file) = tree.start_edit();
        signal(child.id() as i32, sig);
        let status = wait(&mut child);
        // The editor got the signal too (sleep dies of each of them).
        // SAFETY: signal 0 only asks whether the process exists.
        let editor_alive = unsafe { libc::kill(editor, 0) } == 0;
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(99), "{name}: {status:?} {stderr}");
        assert!(stderr.contains(name), "{stderr}");
        assert!(
            !file.exists(),
            "{name}: plaintext left at {}",
            file.display()
        );
        assert!(!file.parent().unwrap().exists(), "{name}: scratch dir left");
        assert!(
            tree.scratch_entries().is_empty(),
            "{:?}",
            tree.scratch_entries()
        );
        assert!(!editor_alive, "{name}: the editor did not get the signal");
        assert_eq!(fs::read(tree.root.join("vault.yml")).unwrap(), vault_before);
    }
}

#[test]
fn what_killed_runs_leave_is_removed_by_the_next_write() {
    let tree = Tree::new();
    // kill -9 an edit while the editor has the plaintext.
    let (mut child, editor, file) = tree.start_edit();
    child.kill().unwrap();
    child.wait().unwrap();
    signal(editor, libc::SIGKILL);
    assert!(
        file.exists(),
        "the killed edit left its plaintext (the case to clean)"
    );
    // kill -9 a write between its temp file and the rename.
    let status = tree
        .command(&["encrypt", "--output", "out.yml", "plain.yml"])
        .env("VAULTROT_CRASH_AFTER", "temp-written")
        .status()
        .unwrap();
    assert!(!status.success());
    let left: Vec<String> = names(&tree.root)
        .into_iter()
        .filter(|n| n.starts_with(".out.yml.vaultrot-"))
        .collect();
    assert_eq!(
        left.len(),
        1,
        "the killed write left its temp file: {left:?}"
    );

    // A run still alive keeps its scratch dir: a second edit, left running.
    let (mut live, live_editor, live_file) = tree.start_edit();

    // Another command that writes, anywhere: here `encrypt --output` beside the temp file.
    let out = tree
        .command(&["encrypt", "--output", "other.yml", "plain.yml"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(!file.exists(), "the killed edit's plaintext is gone");
    assert!(!file.parent().unwrap().exists());
    let left: Vec<String> = names(&tree.root)
        .into_iter()
        .filter(|n| n.contains(".vaultrot-"))
        .collect();
    assert!(left.is_empty(), "temp files left: {left:?}");
    assert!(live_file.exists(), "a live edit's file is never touched");
    assert_eq!(tree.scratch_entries().len(), 1);

    signal(live.id() as i32, libc::SIGTERM);
    wait(&mut live);
    let _ = unsafe { libc::kill(live_editor, libc::SIGKILL) };
    assert!(tree.scratch_entries().is_empty());
}
