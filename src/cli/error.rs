//! The error every command returns: a message and the exit code it maps
//! to. Its own file so that `common` (flags, secrets) and `output` (stdout,
//! pager) can both use it without importing each other.

use std::fmt;

use crate::exit_codes;

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

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;
