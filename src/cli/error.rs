//! The error every command returns: a message and the exit code it maps
//! to, made from any error that knows its code ([`ExitCode`]). Its own file
//! so that `common` (flags, secrets) and `output` (stdout, pager) can both
//! use it without importing each other.

use std::fmt;

use crate::exit_codes::{self, ExitCode};

/// A failure with the exit code it maps to. Displayed as one line.
#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
}

impl CliError {
    pub fn error(message: impl Into<String>) -> Self {
        CliError {
            code: exit_codes::ERROR,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: exit_codes::USAGE,
            message: message.into(),
        }
    }

    pub fn options(message: impl Into<String>) -> Self {
        CliError {
            code: exit_codes::OPTIONS,
            message: message.into(),
        }
    }

    /// A closed stdout (`vaultrot view | head`): exit quietly.
    pub fn broken_pipe() -> Self {
        CliError {
            code: exit_codes::OK,
            message: String::new(),
        }
    }
}

/// Any error that knows its exit code: its code and its one-line message.
/// (`CliError` itself is no [`ExitCode`], which keeps this apart from
/// `From<CliError> for CliError`.)
impl<E: ExitCode + fmt::Display> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl CliError {
    /// The same failure with `context` (such as `scan: `) before its message.
    pub fn prefixed(mut self, context: &str) -> Self {
        self.message.insert_str(0, context);
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;
