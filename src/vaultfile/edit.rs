//! The editor round trip for `edit` and `create`: plaintext goes to a 0600
//! file in a private 0700 directory, the user's editor runs on it, and the
//! file is overwritten and removed afterwards whatever happens — including
//! SIGHUP (the terminal closed), SIGINT and SIGTERM, which are passed on to
//! the editor; once it has exited the plaintext is wiped and the command
//! fails without writing. (A `kill -9` cannot be caught: the next vaultrot
//! run that writes removes what it left, see `fsutil::stale`.)

use std::process::{Child, Command};
use std::sync::{Arc, Mutex};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use zeroize::Zeroizing;

use super::FileError;
use crate::fsutil::PrivateScratch;

/// Opens `plaintext` in `editor` (a shell-quoted command; the file path is
/// appended as the last argument, as ansible does). Returns the edited bytes.
pub fn run_editor(
    plaintext: &[u8],
    suffix: &str,
    editor: &str,
) -> Result<Zeroizing<Vec<u8>>, FileError> {
    let mut argv = shlex::split(editor)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| EditorError::Unparsable {
            command: editor.to_string(),
        })?;
    // Caught from before the plaintext exists until it is gone (scratch drops first).
    let mut guard = SignalGuard::new()?;
    let scratch =
        PrivateScratch::new().map_err(|e| scratch_error("create a private temp dir", e))?;
    let name = format!("vaultrot-edit{suffix}");
    let path = scratch
        .write(&name, plaintext)
        .map_err(|e| scratch_error("write the temp file", e))?;
    argv.push(path.to_string_lossy().into_owned());
    let child = Command::new(&argv[0])
        .args(&argv[1..])
        .spawn()
        .map_err(|source| EditorError::Spawn {
            command: argv.join(" "),
            source,
        })?;
    let status = guard
        .wait(child)
        .map_err(|e| scratch_error("wait for the editor", e))?;
    if let Some(signal) = guard.caught() {
        return Err(EditorError::Interrupted {
            signal: signal_name(signal),
        }
        .into());
    }
    if !status.success() {
        return Err(EditorError::Failed {
            command: argv[..argv.len() - 1].join(" "),
            status,
        }
        .into());
    }
    scratch
        .read(&path)
        .map_err(|e| scratch_error("read back the edited file", e))
}

/// Why the editor round trip failed; in every case nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum EditorError {
    #[error("Unable to execute the command \"{command}\": cannot parse it")]
    Unparsable { command: String },
    #[error("Unable to execute the command \"{command}\": {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("the editor \"{command}\" exited with {status}; nothing was written")]
    Failed {
        command: String,
        status: std::process::ExitStatus,
    },
    /// Its plaintext is already wiped.
    #[error("interrupted by {signal}: the decrypted copy was wiped and nothing was written")]
    Interrupted { signal: &'static str },
    #[error("cannot {what}: {source}")]
    Io {
        what: &'static str,
        source: std::io::Error,
    },
    #[error("{path}: the edited text is not UTF-8; nothing written")]
    NotUtf8 { path: String },
}

fn scratch_error(what: &'static str, source: std::io::Error) -> FileError {
    EditorError::Io { what, source }.into()
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        SIGHUP => "SIGHUP",
        SIGINT => "SIGINT",
        _ => "SIGTERM",
    }
}

/// Catches SIGHUP, SIGINT and SIGTERM while it lives, passes each on to the
/// editor, and remembers the first.
struct SignalGuard {
    handle: signal_hook::iterator::Handle,
    forwarder: Option<std::thread::JoinHandle<Option<i32>>>,
    /// The editor's pid while it may receive signals (`None` once reaped,
    /// so that a recycled pid is never signalled).
    editor: Arc<Mutex<Option<i32>>>,
}

impl SignalGuard {
    fn new() -> Result<Self, FileError> {
        let mut signals = Signals::new([SIGHUP, SIGINT, SIGTERM])
            .map_err(|e| scratch_error("set up signal handling", e))?;
        let handle = signals.handle();
        let editor: Arc<Mutex<Option<i32>>> = Arc::new(Mutex::new(None));
        let target = Arc::clone(&editor);
        let forwarder = std::thread::spawn(move || {
            let mut first = None;
            for signal in signals.forever() {
                first.get_or_insert(signal);
                if let Some(pid) = *target.lock().unwrap_or_else(|e| e.into_inner()) {
                    // SAFETY: `pid` is our child, not yet reaped.
                    unsafe { libc::kill(pid, signal) };
                }
            }
            first
        });
        Ok(SignalGuard {
            handle,
            forwarder: Some(forwarder),
            editor,
        })
    }

    /// Waits for the editor to exit; signals caught meanwhile reach it too.
    fn wait(&self, mut child: Child) -> std::io::Result<std::process::ExitStatus> {
        let pid = i32::try_from(child.id()).unwrap_or(0);
        *self.editor.lock().unwrap_or_else(|e| e.into_inner()) = Some(pid);
        // Wait without reaping, so the pid stays ours until forwarding stops.
        loop {
            // SAFETY: a zeroed siginfo_t is a valid out-parameter.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            // SAFETY: waits for our own child; WNOWAIT leaves it to `child.wait`.
            let done = unsafe {
                libc::waitid(
                    libc::P_PID,
                    pid as libc::id_t,
                    &mut info,
                    libc::WEXITED | libc::WNOWAIT,
                )
            };
            if done == 0
                || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
            {
                break;
            }
        }
        *self.editor.lock().unwrap_or_else(|e| e.into_inner()) = None;
        child.wait()
    }

    /// Stops catching signals; the first one caught, if any.
    fn caught(&mut self) -> Option<i32> {
        self.handle.close();
        self.forwarder.take().and_then(|f| f.join().ok().flatten())
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        self.caught();
    }
}

/// The temp file's suffix: the original file's extension, so editors pick
/// the right syntax mode (ansible does the same).
pub fn suffix_of(path: &std::path::Path) -> String {
    path.extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default()
}
