//! What killed runs leave behind, and its removal: temp files beside a
//! target (`.NAME.vaultrot-PID-RAND.tmp`) and editor scratch directories
//! (`vaultrot-PID-RAND`). A run holds a lock on each while it lives, so a
//! later run removes one only when it is the user's own, its process is
//! gone and nobody holds its lock. Files are overwritten with zeros before
//! removal (a scratch file holds plaintext; a temp file may, for `decrypt`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Once;

const TEMP_MARK: &str = ".vaultrot-";
const SCRATCH_PREFIX: &str = "vaultrot-";

/// The name of a new temp file beside `target_name`.
pub(super) fn temp_name(target_name: &str) -> String {
    format!(
        ".{target_name}{TEMP_MARK}{}-{:016x}.tmp",
        std::process::id(),
        rand::random::<u64>()
    )
}

/// The name of a new scratch directory.
pub(super) fn scratch_name() -> String {
    format!(
        "{SCRATCH_PREFIX}{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    )
}

/// The pid in `PID-RANDHEX`, if the text is exactly that.
fn pid_of(tail: &str) -> Option<i32> {
    let (pid, random) = tail.split_once('-')?;
    let hex = random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit());
    let digits = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    (hex && digits).then(|| pid.parse().ok()).flatten()
}

/// The pid a temp file name was made by (see [`temp_name`]).
fn temp_pid(name: &str) -> Option<i32> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, tail) = inner.rsplit_once(TEMP_MARK)?;
    pid_of(tail)
}

fn scratch_pid(name: &str) -> Option<i32> {
    pid_of(name.strip_prefix(SCRATCH_PREFIX)?)
}

fn alive(pid: i32) -> bool {
    if pid <= 0 {
        return true; // not ours to judge
    }
    // SAFETY: signal 0 only checks that the process exists.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

fn mine(meta: &fs::Metadata) -> bool {
    // SAFETY: getuid cannot fail.
    meta.uid() == unsafe { libc::getuid() }
}

/// Whether nobody holds the lock on `file` (it can take it now).
fn unlocked(file: &File) -> bool {
    file.try_lock().is_ok()
}

/// Removes the temp files killed runs left in `dir` (best effort, silent).
pub fn sweep(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_pid) else {
            continue;
        };
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() || !mine(&meta) || alive(pid) {
            continue;
        }
        if let Ok(file) = open_no_follow(&path)
            && unlocked(&file)
        {
            wipe_file(file, meta.len());
            let _ = fs::remove_file(&path);
        }
    }
}

/// Removes the scratch directories killed runs left in `base`, once per process.
pub fn sweep_scratch(base: &Path) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| sweep_scratch_now(base));
}

fn sweep_scratch_now(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(scratch_pid) else {
            continue;
        };
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_dir() || !mine(&meta) || alive(pid) {
            continue;
        }
        if let Ok(dir) = File::open(&path)
            && unlocked(&dir)
        {
            wipe_dir(&path);
        }
    }
}

/// Overwrites every file in `dir` with zeros, removes them, then `dir`.
pub(super) fn wipe_dir(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if let Ok(meta) = fs::symlink_metadata(&path)
                && meta.is_file()
                && let Ok(file) = open_no_follow(&path)
            {
                wipe_file(file, meta.len());
            }
            let _ = fs::remove_file(&path);
        }
    }
    let _ = fs::remove_dir(dir);
}

fn open_no_follow(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

fn wipe_file(mut file: File, len: u64) {
    let zeros = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        if file.write_all(&zeros[..n]).is_err() {
            return;
        }
        left -= n as u64;
    }
    let _ = file.sync_all();
}

/// Dies by `kill -9` at `point` when `VAULTROT_CRASH_AFTER` names it: the
/// crash tests' way to leave what a killed run leaves.
pub(super) fn test_crash_point(point: &str) {
    if std::env::var_os("VAULTROT_CRASH_AFTER").is_some_and(|p| p == point) {
        // SAFETY: sends SIGKILL to this very process.
        unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_pid() {
        let pid = std::process::id() as i32;
        assert_eq!(temp_pid(&temp_name("vault.yml")), Some(pid));
        assert_eq!(temp_pid(&temp_name(".hidden.yml")), Some(pid));
        assert_eq!(scratch_pid(&scratch_name()), Some(pid));
        // Names of older runs (no pid) and of other programs are left alone.
        assert_eq!(temp_pid(".vault.yml.vaultrot-0123456789abcdef.tmp"), None);
        assert_eq!(scratch_pid("vaultrot-0123456789abcdef"), None);
        assert_eq!(scratch_pid("vaultrot-12-xyz"), None);
    }

    /// A pid no process can have: pids stay below `pid_max`. (The pid of a
    /// finished child could be reused by a process another test starts.)
    fn dead_pid() -> i32 {
        fs::read_to_string("/proc/sys/kernel/pid_max")
            .ok()
            .and_then(|max| max.trim().parse().ok())
            .unwrap_or(4_194_304)
    }

    #[test]
    fn sweep_removes_only_dead_unlocked_runs() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir
            .path()
            .join(format!(".v.yml{TEMP_MARK}{}-{:016x}.tmp", dead_pid(), 1));
        let live = dir.path().join(temp_name("v.yml"));
        let other = dir.path().join(".v.yml.swp");
        for p in [&dead, &live, &other] {
            fs::write(p, b"plaintext").unwrap();
        }
        sweep(dir.path());
        assert!(!dead.exists(), "a dead run's temp file is removed");
        assert!(live.exists(), "this (live) process's temp file stays");
        assert!(other.exists(), "other programs' files stay");
    }

    #[test]
    fn a_locked_file_of_a_seemingly_dead_pid_stays() {
        // A run in another pid namespace looks dead; its lock says otherwise.
        let dir = tempfile::tempdir().unwrap();
        let path = dir
            .path()
            .join(format!(".v.yml{TEMP_MARK}{}-{:016x}.tmp", dead_pid(), 2));
        fs::write(&path, b"x").unwrap();
        let holder = OpenOptions::new().write(true).open(&path).unwrap();
        holder.lock().unwrap();
        sweep(dir.path());
        assert!(path.exists());
        drop(holder);
        sweep(dir.path());
        assert!(!path.exists());
    }
}
