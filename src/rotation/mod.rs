//! The rotation state machine (docs/rotation.md): start, finish, abort, rotate
//! and verify ([`engine`]), the manifest record that is their intent log
//! ([`state`]), the manifest lock ([`lock`]) and new values ([`generate`]).

pub mod engine;
pub mod generate;
pub mod lock;
pub mod state;

/// Why a rotation command stopped. Messages name secrets, files, steps and
/// the next command to run; never a value.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Refused(String),
    #[error("manifest: {0}")]
    Manifest(String),
    #[error("vault: {0}")]
    Vault(String),
    #[error("{0}")]
    Step(String),
    #[error("changelog: {0}")]
    Changelog(String),
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    #[error("{0}")]
    Generate(#[from] generate::GenerateError),
}
