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

use std::fmt;
use std::path::PathBuf;

use crate::ansible::playbook;
use crate::changelog;
use crate::exit_codes::{self, ExitCode};
use crate::vaultfile::FileError;

/// Why a rotation command stopped. Messages name secrets, files, steps and
/// the next command to run; never a value. Each variant has its exit code
/// ([`ExitCode`]); the ones that are plain text are messages made here.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    /// Bad arguments or input (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The rotation state does not allow the command; the message says what to run.
    #[error("{0}")]
    Refused(String),
    /// A command or a manifest reference names a secret the manifest does
    /// not have (input, exit 2).
    #[error("`{0}` is not in the manifest")]
    NotInManifest(String),
    /// The manifest's rotation record could not be written.
    #[error("manifest: {0}")]
    Manifest(#[from] crate::manifest::write::WriteError),
    /// A vault file could not be read, decrypted or planned.
    #[error("vault: {0}")]
    File(#[from] FileError),
    /// The copy kept before a vault file is replaced could not be made.
    #[error("vault: cannot back up {}: {source}", path.display())]
    Backup {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A vault does not hold a value the rotation needs.
    #[error("vault: {0}")]
    Vault(String),
    /// A step did not succeed, as a [`execute::World`] reports it.
    #[error("{0}")]
    Step(String),
    /// ansible-playbook could not run a step, or the step failed.
    #[error(transparent)]
    Playbook(#[from] playbook::RunError),
    /// A deploy, verify or notify step of a rotation failed: what failed,
    /// where, and how to go on.
    #[error("{}", StepFailure { list: *list, phase: *phase, cause, resume: resume.as_deref() })]
    StepFailed {
        list: plan::StepList,
        phase: Option<playbook::Phase>,
        cause: Box<RotationError>,
        /// The commands that go on from here; `None` for `verify`, which
        /// changes nothing and is simply run again.
        resume: Option<String>,
    },
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
    Changelog(#[from] changelog::RecordError),
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    #[error("{0}")]
    Generate(#[from] generate::GenerateError),
}

impl ExitCode for RotationError {
    fn exit_code(&self) -> i32 {
        match self {
            RotationError::Usage(_) | RotationError::NotInManifest(_) => exit_codes::USAGE,
            RotationError::Awaiting(_) => exit_codes::AWAITING,
            RotationError::Lock(e) => e.exit_code(),
            RotationError::File(e) => e.exit_code(),
            RotationError::StepFailed { cause, .. } => cause.exit_code(),
            RotationError::Refused(_)
            | RotationError::Manifest(_)
            | RotationError::Backup { .. }
            | RotationError::Vault(_)
            | RotationError::Step(_)
            | RotationError::Playbook(_)
            | RotationError::Diverged(_)
            | RotationError::Preflight(_)
            | RotationError::Changelog(_)
            | RotationError::Generate(_) => exit_codes::ERROR,
        }
    }
}

/// `deploy step failed during start: <cause>` and the way on.
struct StepFailure<'a> {
    list: plan::StepList,
    phase: Option<playbook::Phase>,
    cause: &'a RotationError,
    resume: Option<&'a str>,
}

impl fmt::Display for StepFailure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} step failed", self.list.as_str())?;
        let Some(resume) = self.resume else {
            return write!(f, ": {}", self.cause);
        };
        if let Some(phase) = self.phase {
            write!(f, " during {}", phase.as_str())?;
        }
        write!(f, ": {}\nNothing was lost: {resume}", self.cause)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_carries_its_exit_code() {
        let held = lock::LockError::Held {
            path: "m.yml".into(),
            holder: "user a".into(),
        };
        let symlink = lock::LockError::Symlink {
            path: "m.yml".into(),
        };
        for (error, code) in [
            (RotationError::Usage("u".into()), exit_codes::USAGE),
            (RotationError::Awaiting("a".into()), exit_codes::AWAITING),
            (RotationError::Lock(held), exit_codes::LOCKED),
            (RotationError::Lock(symlink), exit_codes::ERROR),
            (RotationError::Refused("r".into()), exit_codes::ERROR),
            (RotationError::Step("s".into()), exit_codes::ERROR),
            (plan::PlanError::Usage("u".into()).into(), exit_codes::USAGE),
            (
                plan::PlanError::Diverged("d".into()).into(),
                exit_codes::ERROR,
            ),
        ] {
            assert_eq!(error.exit_code(), code, "{error:?}");
        }
    }

    #[test]
    fn a_failed_step_says_where_and_how_to_go_on() {
        let failed = |resume: Option<&str>| RotationError::StepFailed {
            list: plan::StepList::Deploy,
            phase: Some(playbook::Phase::Start),
            cause: Box::new(RotationError::Step("the play failed".into())),
            resume: resume.map(str::to_string),
        };
        let resumable = failed(Some("re-run `vaultrot start x` to resume"));
        assert_eq!(
            resumable.to_string(),
            "deploy step failed during start: the play failed\nNothing was lost: re-run `vaultrot start x` to resume"
        );
        assert_eq!(resumable.exit_code(), exit_codes::ERROR);
        assert_eq!(
            failed(None).to_string(),
            "deploy step failed: the play failed"
        );
    }
}
