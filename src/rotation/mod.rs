//! The rotation state machine: a pure planner ([`plan`]) deciding every
//! command (start, finish, abort, rotate, rollback, verify), drift checks
//! ([`drift`]), an executor
//! performing a plan through a world of effects ([`execute`], [`world`]),
//! the manifest record that is their intent log ([`state`]), the manifest
//! lock ([`lock`]) and new values ([`generate`]).

pub mod changed;
pub mod drift;
pub mod due;
pub mod execute;
pub mod generate;
pub mod lock;
pub mod notify;
pub mod plan;
pub mod restore;
pub mod state;
pub mod world;

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
    /// The vault does not hold what the rotation record says.
    #[error("{0}")]
    Diverged(String),
    /// Something known before the first write is missing.
    #[error("preflight: {0}")]
    Preflight(String),
    /// Stopped at a manual step with nobody to confirm it.
    #[error("{0}")]
    Awaiting(String),
    #[error("changelog: {0}")]
    Changelog(String),
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    #[error("{0}")]
    Generate(#[from] generate::GenerateError),
}

impl From<plan::PlanError> for RotationError {
    fn from(e: plan::PlanError) -> Self {
        match e {
            plan::PlanError::Usage(m) => RotationError::Usage(m),
            plan::PlanError::Refused(m) => RotationError::Refused(m),
            plan::PlanError::Diverged(m) => RotationError::Diverged(m),
        }
    }
}
