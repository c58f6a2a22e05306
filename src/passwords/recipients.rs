//! Who can open an age-encrypted vault password file: the recipients file
//! beside it (`.vault-pass.age.recipients`, one age public key a line,
//! `#` lines are comments, as `age -R` reads it), and re-encrypting the
//! password file to that set when it changes (like `sops updatekeys`).

use std::path::{Path, PathBuf};

use crate::exit_codes::{self, ExitCode};
use crate::fsutil::{self, FileMode};
use crate::passwords::sources::{SecretsError, age_encrypt, read_age_password_file};

#[derive(Debug, thiserror::Error)]
pub enum RecipientsError {
    #[error("{0}")]
    Age(#[from] SecretsError),
    #[error("{path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("{0}")]
    Refused(String),
}

impl ExitCode for RecipientsError {
    fn exit_code(&self) -> i32 {
        exit_codes::ERROR
    }
}

/// The recipients file of `age_file`.
pub fn recipients_path(age_file: &Path) -> PathBuf {
    let mut name = age_file.as_os_str().to_owned();
    name.push(".recipients");
    PathBuf::from(name)
}

/// The recipients file's lines (empty when it does not exist yet).
pub fn read_lines(age_file: &Path) -> Result<Vec<String>, RecipientsError> {
    let path = recipients_path(age_file);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text.lines().map(String::from).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(cause) => Err(RecipientsError::Io {
            path: path.display().to_string(),
            cause,
        }),
    }
}

/// The public keys among the lines.
pub fn keys(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// What a change did.
pub struct Changed {
    pub keys: Vec<String>,
    /// Keys asked for that were already there (add) or absent (remove).
    pub unchanged: Vec<String>,
}

/// Adds `new` keys (`comment` as a `#` line above them), re-encrypts the
/// password file to the new set and writes both.
pub fn add(
    age_file: &Path,
    identity: Option<&Path>,
    new: &[String],
    comment: Option<&str>,
) -> Result<Changed, RecipientsError> {
    let mut lines = existing_lines(age_file)?;
    let current = keys(&lines);
    let (fresh, unchanged): (Vec<String>, Vec<String>) =
        new.iter().cloned().partition(|k| !current.contains(k));
    if !fresh.is_empty() {
        if let Some(c) = comment {
            lines.push(format!("# {c}"));
        }
        lines.extend(fresh.iter().cloned());
    }
    rewrite(age_file, identity, lines, unchanged)
}

/// Removes `gone` keys (and a `#` comment line right above each),
/// re-encrypts the password file to the remaining set and writes both.
pub fn remove(
    age_file: &Path,
    identity: Option<&Path>,
    gone: &[String],
) -> Result<Changed, RecipientsError> {
    let lines = existing_lines(age_file)?;
    let current = keys(&lines);
    let unchanged: Vec<String> = gone
        .iter()
        .filter(|k| !current.contains(k))
        .cloned()
        .collect();
    let mut kept: Vec<String> = Vec::with_capacity(lines.len());
    for line in lines {
        if gone.iter().any(|g| g == line.trim()) {
            if kept.last().is_some_and(|l| l.trim_start().starts_with('#')) {
                kept.pop();
            }
            continue;
        }
        kept.push(line);
    }
    rewrite(age_file, identity, kept, unchanged)
}

/// The lines of a recipients file that must exist: without it the current
/// recipients are unknown, and re-encrypting would lock them out.
fn existing_lines(age_file: &Path) -> Result<Vec<String>, RecipientsError> {
    let path = recipients_path(age_file);
    if !path.exists() {
        return Err(RecipientsError::Refused(format!(
            "{} does not exist, so who can open {} now is unknown: create it with the current public keys (age-keygen -y IDENTITY >> {})",
            path.display(),
            age_file.display(),
            path.display()
        )));
    }
    read_lines(age_file)
}

fn rewrite(
    age_file: &Path,
    identity: Option<&Path>,
    lines: Vec<String>,
    unchanged: Vec<String>,
) -> Result<Changed, RecipientsError> {
    let set = keys(&lines);
    if set.is_empty() {
        return Err(RecipientsError::Refused(format!(
            "{}: refusing to leave no recipient (nobody could open the password file)",
            recipients_path(age_file).display()
        )));
    }
    let password = read_age_password_file(age_file, identity)?;
    let mut plain = zeroize::Zeroizing::new(password.to_vec());
    plain.push(b'\n');
    let sealed = age_encrypt(&age_file.display().to_string(), &set, &plain)?;
    // The password file first: a failure after it leaves a recipients file
    // that still lists everyone who can open it.
    let write = |path: &Path, data: &[u8]| {
        fsutil::write_atomic(path, data, FileMode::Keep).map_err(|cause| RecipientsError::Io {
            path: path.display().to_string(),
            cause,
        })
    };
    write(age_file, &sealed)?;
    let mut text = lines.join("\n");
    text.push('\n');
    write(&recipients_path(age_file), text.as_bytes())?;
    Ok(Changed {
        keys: set,
        unchanged,
    })
}
