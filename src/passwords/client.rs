//! Ansible's vault password client script protocol: Ansible runs
//! `SCRIPT --vault-id LABEL` and reads the password from stdout; exit code 2
//! means "no secret for this vault-id". vaultrot answers from the age file
//! of that vault-id, so plain `ansible-playbook` uses the same age-protected
//! password as vaultrot.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::exit_codes::{self, ExitCode};
use crate::passwords::sources::{SecretsError, read_age_password_file};
use crate::vault::DEFAULT_LABEL;

/// The exit code Ansible reads as "this script has no secret for the vault-id"
/// (2, the usage code of the table).
pub const VAULT_ID_UNKNOWN: i32 = exit_codes::USAGE;

/// Why no password could be given.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "no age-encrypted password file for vault-id {vault_id}: looked for {name} in {from} and its parents; pass --age-file"
    )]
    NotFound {
        vault_id: String,
        name: String,
        from: String,
    },
    #[error("{0}")]
    Open(#[from] SecretsError),
}

impl ExitCode for ClientError {
    fn exit_code(&self) -> i32 {
        match self {
            ClientError::NotFound { .. } => VAULT_ID_UNKNOWN,
            // Any other code is a failing script to Ansible, whatever the cause.
            ClientError::Open(_) => exit_codes::ERROR,
        }
    }
}

/// The file name of a vault-id's age file: `.vault-pass.age` for `default`,
/// `.vault-pass.LABEL.age` for any other.
pub fn age_file_name(vault_id: &str) -> String {
    if vault_id == DEFAULT_LABEL {
        ".vault-pass.age".to_string()
    } else {
        format!(".vault-pass.{vault_id}.age")
    }
}

/// The age file of `vault_id`: the nearest one from `start` upwards
/// (Ansible runs the script from wherever `ansible-playbook` was started,
/// often a subdirectory of the repository).
pub fn find_age_file(vault_id: &str, start: &Path) -> Result<PathBuf, ClientError> {
    let name = age_file_name(vault_id);
    start
        .ancestors()
        .map(|dir| dir.join(&name))
        .find(|p| p.is_file())
        .ok_or_else(|| ClientError::NotFound {
            vault_id: vault_id.to_string(),
            name,
            from: start.display().to_string(),
        })
}

/// The password of `vault_id`: from `age_file` when given, else the one found
/// from `start`, opened with the age `identity`.
pub fn password_for(
    vault_id: &str,
    age_file: Option<&Path>,
    start: &Path,
    identity: Option<&Path>,
) -> Result<Zeroizing<Vec<u8>>, ClientError> {
    let path = match age_file {
        Some(p) => p.to_path_buf(),
        None => find_age_file(vault_id, start)?,
    };
    Ok(read_age_password_file(&path, identity)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_file_names_follow_the_vault_id() {
        assert_eq!(age_file_name("default"), ".vault-pass.age");
        assert_eq!(age_file_name("prod"), ".vault-pass.prod.age");
    }

    #[test]
    fn the_nearest_age_file_upwards_is_found_and_a_missing_one_named() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("playbooks/deep");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(dir.path().join(".vault-pass.age"), "x").unwrap();
        assert_eq!(
            find_age_file("default", &sub).unwrap(),
            dir.path().join(".vault-pass.age")
        );
        let err = find_age_file("prod", &sub).unwrap_err().to_string();
        assert!(err.contains(".vault-pass.prod.age"), "{err}");
    }
}
