//! Writing to the terminal: stdout that survives a closed pipe, the pager
//! for `view` on a terminal, and colour/tty checks.

use std::io::{self, IsTerminal, Write};
use std::process::{Command, Stdio};

use super::common::{CliError, CliResult};

/// Writes bytes to stdout; a closed pipe ends the command quietly.
pub fn write_stdout(data: &[u8]) -> CliResult {
    let mut out = io::stdout().lock();
    out.write_all(data)
        .and_then(|_| out.flush())
        .map_err(map_stdout_error)
}

pub fn map_stdout_error(e: io::Error) -> CliError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CliError::broken_pipe()
    } else {
        CliError::error(format!("cannot write to stdout: {e}"))
    }
}

pub fn stdout_is_tty() -> bool {
    io::stdout().is_terminal()
}

/// Shows text through the pager on a terminal (ansible: `less` with
/// `LESS=FRSX`), else writes it to stdout.
pub fn page(data: &[u8], pager: &str) -> CliResult {
    if !stdout_is_tty() {
        return write_stdout(data);
    }
    let Some(argv) = shlex::split(pager).filter(|a| !a.is_empty()) else {
        return write_stdout(data);
    };
    let child = Command::new(&argv[0])
        .args(&argv[1..])
        .env(
            "LESS",
            std::env::var("LESS").unwrap_or_else(|_| "FRSX".to_string()),
        )
        .stdin(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return write_stdout(data);
    };
    if let Some(mut stdin) = child.stdin.take() {
        // The user quitting the pager early closes the pipe: not an error.
        let _ = stdin.write_all(data);
    }
    let _ = child.wait();
    Ok(())
}

/// A progress bar on a terminal for long work; hidden in CI and pipes.
pub fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    if len < 2 || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}
