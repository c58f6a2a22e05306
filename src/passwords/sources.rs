//! Where vault passwords come from, in ansible's order and with ansible's
//! byte rules (docs/architecture.md, "Secrets, vault-ids and order"): identity list, `--vault-id`,
//! `--vault-password-file`, the configured password file, then a prompt.
//!
//! Files are stripped of all surrounding whitespace, script output of CR/LF
//! only; a password file may itself be a vault (opened with the secrets
//! loaded before it) or, as a vaultrot extension, an age-encrypted file.

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use crate::ansible::config::{VaultSettings, unfrack};
use crate::exit_codes::{self, ExitCode};
use crate::fsutil;
use crate::vault::envelope::strip_ascii_whitespace;
use crate::vault::{DecryptOptions, VaultSecret, decrypt, is_encrypted};

/// Why no usable secret could be obtained; messages follow ansible's.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("'{0}' is not a valid vault id. The character ';' is not allowed in vault ids")]
    SemicolonInVaultId(String),
    #[error("The vault password file {0} was not found")]
    FileNotFound(String),
    #[error("The vault password file provided '{0}' can not be a directory")]
    IsDirectory(String),
    #[error("Could not read vault password file '{0}'.")]
    Unreadable(String),
    #[error("Invalid vault password was provided from file ({0})")]
    EmptyFromFile(String),
    #[error("Invalid vault password was provided from script ({0})")]
    EmptyFromScript(String),
    #[error(
        "Problem running vault password script {0} ({1}). If this is not a script, remove the executable bit from the file."
    )]
    ScriptSpawn(String, String),
    #[error("Vault password script {0} returned non-zero ({1}): None")]
    ScriptFailed(String, i32),
    #[error("Vault password client script {0} did not find a secret for vault-id={1}: {2}")]
    ClientUnknownId(String, String, String),
    #[error(
        "Vault password client script {0} returned non-zero ({1}) when getting secret for vault-id={2}: {3}"
    )]
    ClientFailed(String, i32, String, String),
    #[error("the vault password file {0} is vault-encrypted and no earlier secret opens it: {1}")]
    EncryptedPasswordFile(String, String),
    #[error("age-encrypted vault password file {0}: {1}")]
    Age(String, String),
    #[error("Invalid vault password was provided")]
    EmptyPrompt,
    #[error("Passwords do not match")]
    PromptMismatch,
    #[error("EOFError (ctrl-d) on prompt for ({0})")]
    PromptEof(String),
    #[error("could not read a password from the terminal: {0}")]
    PromptIo(String),
}

/// ansible raises `AnsibleOptionsError` (5) for a `;` in a vault id and
/// `AnsibleError` (1) for every other password problem.
impl ExitCode for SecretsError {
    fn exit_code(&self) -> i32 {
        match self {
            SecretsError::SemicolonInVaultId(_) => exit_codes::OPTIONS,
            _ => exit_codes::ERROR,
        }
    }
}

/// Which prompts to show: reading asks once, creating asks twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Read,
    Create,
}

/// What the command line asked for; combined with [`VaultSettings`].
#[derive(Debug, Clone, Default)]
pub struct SecretRequest {
    /// `--vault-id` values in command-line order.
    pub vault_ids: Vec<String>,
    /// `--vault-password-file` values in order.
    pub password_files: Vec<PathBuf>,
    /// `-J/--ask-vault-password` (or `ANSIBLE_ASK_VAULT_PASS`).
    pub ask_vault_pass: bool,
    /// Prompt when nothing else gives a secret (ansible-vault does; playbooks don't).
    pub auto_prompt: bool,
    /// Prepend `vault_identity_list` (false only for rekey's new secrets).
    pub include_identity_list: bool,
}

/// Loads secrets as ansible's `setup_vault_secrets` does.
pub struct SecretLoader<'a> {
    pub settings: &'a VaultSettings,
    /// `--age-identity`, else `VAULTROT_AGE_IDENTITY`, else the default path.
    pub age_identity: Option<PathBuf>,
    /// Receives `[WARNING]`-level messages (a source that failed to load).
    pub warn: &'a dyn Fn(&str),
}

impl SecretLoader<'_> {
    /// Builds the ordered secret list. A source that fails is skipped with a
    /// warning; the last error is returned only when nothing loaded.
    pub fn load(
        &self,
        request: &SecretRequest,
        purpose: Purpose,
    ) -> Result<Vec<VaultSecret>, SecretsError> {
        for id in &request.vault_ids {
            if id.contains(';') {
                return Err(SecretsError::SemicolonInVaultId(id.clone()));
            }
        }
        let default_label = self.settings.identity.clone();
        let mut slugs: Vec<String> = Vec::new();
        if request.include_identity_list {
            slugs.extend(self.settings.identity_list.iter().cloned());
        }
        slugs.extend(request.vault_ids.iter().cloned());
        let mut files: Vec<String> = request
            .password_files
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if let Some(configured) = &self.settings.password_file {
            files.push(configured.to_string_lossy().into_owned());
        }
        slugs.extend(files.iter().map(|f| format!("{default_label}@{f}")));
        if request.ask_vault_pass || (slugs.is_empty() && request.auto_prompt) {
            slugs.push(format!("{default_label}@prompt_ask_vault_pass"));
        }

        let mut secrets: Vec<VaultSecret> = Vec::new();
        let mut last_error = None;
        for slug in &slugs {
            let (name, source) = split_vault_id(slug);
            let label = name
                .filter(|n| !n.is_empty())
                .unwrap_or(&default_label)
                .to_string();
            if source == "prompt" || source == "prompt_ask_vault_pass" {
                let prompts = prompt_texts(source == "prompt_ask_vault_pass", purpose, &label);
                let password = ask_password(&prompts, &label).inspect_err(|err| {
                    (self.warn)(&format!("Error in vault password prompt ({label}): {err}"))
                })?;
                secrets.push(VaultSecret::new(label, password));
                continue;
            }
            match self.load_path_source(source, name, &secrets) {
                Ok(password) => {
                    let pending = self.pending_password(source, &secrets);
                    secrets.push(VaultSecret::new(label.clone(), password));
                    if let Some(pending) = pending {
                        secrets.push(VaultSecret::new(label, pending));
                    }
                }
                Err(err) => {
                    // ansible words the warning by the step that failed: finding
                    // the source, or reading it.
                    let step = match err {
                        SecretsError::FileNotFound(_) | SecretsError::IsDirectory(_) => {
                            "Error getting vault password file"
                        }
                        _ => "Error in vault password file loading",
                    };
                    (self.warn)(&format!("{step} ({}): {err}", name.unwrap_or("None")));
                    last_error = Some(err);
                }
            }
        }
        match (secrets.is_empty(), last_error) {
            (true, Some(err)) => Err(err),
            _ => Ok(secrets),
        }
    }

    fn load_path_source(
        &self,
        source: &str,
        name: Option<&str>,
        earlier: &[VaultSecret],
    ) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
        let path = unfrack(source, None);
        let shown = path.to_string_lossy().into_owned();
        let meta =
            std::fs::metadata(&path).map_err(|_| SecretsError::FileNotFound(shown.clone()))?;
        if meta.is_dir() {
            return Err(SecretsError::IsDirectory(shown));
        }
        if meta.permissions().mode() & 0o111 != 0 {
            return if is_client_script(source) {
                run_client_script(&path, name)
            } else {
                run_script(&path)
            };
        }
        self.read_password_file(&path, earlier)
    }

    /// The new password of an open `rotate-password`, kept in the pending
    /// slot beside a password file: tried after the file's own, so that
    /// every vault opens while the rotation is open.
    fn pending_password(
        &self,
        source: &str,
        earlier: &[VaultSecret],
    ) -> Option<Zeroizing<Vec<u8>>> {
        let path = unfrack(source, None);
        let meta = std::fs::metadata(&path).ok()?;
        if meta.permissions().mode() & 0o111 != 0 {
            return None;
        }
        let pending = pending_path(&path);
        if !pending.is_file() {
            return None;
        }
        self.read_password_file(&pending, earlier)
            .inspect_err(|err| {
                (self.warn)(&format!(
                    "Error in vault password file loading (pending rotation): {err}"
                ))
            })
            .ok()
    }

    fn read_password_file(
        &self,
        path: &Path,
        earlier: &[VaultSecret],
    ) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
        let shown = path.to_string_lossy().into_owned();
        let raw = fsutil::read_stream(path).map_err(|_| SecretsError::Unreadable(shown.clone()))?;
        let raw = if is_age_file(&raw) {
            self.decrypt_age(path, &raw)?
        } else {
            raw
        };
        password_from_file_bytes(&shown, &raw, earlier)
    }

    fn decrypt_age(&self, path: &Path, data: &[u8]) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
        age_decrypt(path, data, self.age_identity.as_deref())
    }
}

/// The pending slot of a password file (`FILE.pending`): where
/// `rotate-password` keeps the new password, in the file's own format, while
/// its rotation is open.
pub fn pending_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".pending");
    PathBuf::from(name)
}

/// The password in an age-encrypted (or plain) password file, opened with
/// the age identity file `identity`.
pub fn read_age_password_file(
    path: &Path,
    identity: Option<&Path>,
) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
    let shown = path.to_string_lossy().into_owned();
    let raw = fsutil::read_stream(path)
        .map_err(|e| SecretsError::Age(shown.clone(), format!("cannot read it: {e}")))?;
    let raw = if is_age_file(&raw) {
        age_decrypt(path, &raw, identity)?
    } else {
        raw
    };
    password_from_file_bytes(&shown, &raw, &[])
}

/// The password a password file's bytes hold (after any age decryption): the
/// bytes without surrounding ASCII whitespace, or, when they are themselves a
/// vault, its plaintext opened with the `earlier` secrets, without surrounding
/// line breaks. `shown` names the file in errors.
pub fn password_from_file_bytes(
    shown: &str,
    raw: &[u8],
    earlier: &[VaultSecret],
) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
    let stripped = strip_ascii_whitespace(raw);
    let password = if is_encrypted(stripped) {
        let opened = decrypt(stripped, earlier, DecryptOptions::default())
            .map_err(|e| SecretsError::EncryptedPasswordFile(shown.to_string(), e.to_string()))?;
        Zeroizing::new(strip_crlf(&opened.plaintext).to_vec())
    } else {
        Zeroizing::new(stripped.to_vec())
    };
    if password.is_empty() {
        return Err(SecretsError::EmptyFromFile(shown.to_string()));
    }
    Ok(password)
}

/// `CLI.split_vault_id`: split on the first `@`; no `@` means no label.
pub fn split_vault_id(slug: &str) -> (Option<&str>, &str) {
    match slug.split_once('@') {
        Some((label, source)) => (Some(label), source),
        None => (None, slug),
    }
}

/// `script_is_client`: the name without its last extension ends in `-client`.
fn is_client_script(source: &str) -> bool {
    let name = Path::new(source);
    let stem = match (name.file_stem(), name.extension()) {
        (Some(stem), Some(_)) => name.with_file_name(stem),
        _ => name.to_path_buf(),
    };
    stem.to_string_lossy().ends_with("-client")
}

fn strip_crlf(data: &[u8]) -> &[u8] {
    let start = data
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .unwrap_or(data.len());
    let end = data
        .iter()
        .rposition(|b| !matches!(b, b'\r' | b'\n'))
        .map_or(start, |e| e + 1);
    &data[start..end]
}

fn run_script(path: &Path) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
    let shown = path.to_string_lossy().into_owned();
    // stderr and stdin stay attached to the terminal so a script can prompt.
    let output = Command::new(path)
        .stdout(Stdio::piped())
        .output()
        .map_err(|e| SecretsError::ScriptSpawn(shown.clone(), e.to_string()))?;
    let stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        return Err(SecretsError::ScriptFailed(
            shown,
            output.status.code().unwrap_or(-1),
        ));
    }
    let password = Zeroizing::new(strip_crlf(&stdout).to_vec());
    if password.is_empty() {
        return Err(SecretsError::EmptyFromScript(shown));
    }
    Ok(password)
}

fn run_client_script(path: &Path, label: Option<&str>) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
    let shown = path.to_string_lossy().into_owned();
    let mut command = Command::new(path);
    if let Some(label) = label.filter(|l| !l.is_empty()) {
        command.args(["--vault-id", label]);
    }
    let output = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| SecretsError::ScriptSpawn(shown.clone(), e.to_string()))?;
    let stdout = Zeroizing::new(output.stdout);
    let stderr = format!(
        "b'{}'",
        String::from_utf8_lossy(&output.stderr).escape_default()
    );
    let label = label.unwrap_or("None").to_string();
    match output.status.code() {
        Some(0) => {}
        Some(2) => return Err(SecretsError::ClientUnknownId(shown, label, stderr)),
        code => {
            return Err(SecretsError::ClientFailed(
                shown,
                code.unwrap_or(-1),
                label,
                stderr,
            ));
        }
    }
    let password = Zeroizing::new(strip_crlf(&stdout).to_vec());
    if password.is_empty() {
        return Err(SecretsError::EmptyFromScript(shown));
    }
    Ok(password)
}

fn prompt_texts(ask_vault_pass: bool, purpose: Purpose, label: &str) -> Vec<String> {
    match (ask_vault_pass, purpose) {
        (true, Purpose::Read) => vec!["Vault password: ".into()],
        (true, Purpose::Create) => vec![
            "New Vault password: ".into(),
            "Confirm New Vault password: ".into(),
        ],
        (false, Purpose::Read) => vec![format!("Vault password ({label}): ")],
        (false, Purpose::Create) => vec![
            format!("New vault password ({label}): "),
            format!("Confirm new vault password ({label}): "),
        ],
    }
}

fn ask_password(prompts: &[String], label: &str) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
    let mut answers: Vec<Zeroizing<Vec<u8>>> = Vec::new();
    for prompt in prompts {
        let answer = read_hidden(prompt).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => SecretsError::PromptEof(label.to_string()),
            _ => SecretsError::PromptIo(e.to_string()),
        })?;
        // ansible checks for an empty answer before stripping it, so an
        // answer of only spaces is accepted and becomes the empty password.
        if answer.is_empty() {
            return Err(SecretsError::EmptyPrompt);
        }
        answers.push(Zeroizing::new(
            strip_ascii_whitespace(answer.as_bytes()).to_vec(),
        ));
    }
    if answers.iter().any(|a| a[..] != answers[0][..]) {
        return Err(SecretsError::PromptMismatch);
    }
    Ok(answers.swap_remove(0))
}

/// Reads one line without echo from the terminal; like getpass, falls back
/// to stdin when there is no terminal.
pub fn read_hidden(prompt: &str) -> io::Result<Zeroizing<String>> {
    if io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt).map(Zeroizing::new);
    }
    let mut err = io::stderr();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    let mut line = Zeroizing::new(String::new());
    if io::stdin().lock().read_line(&mut line)? == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "end of input"));
    }
    let _ = writeln!(err);
    let trimmed = Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_string());
    Ok(trimmed)
}

const AGE_BINARY_MAGIC: &[u8] = b"age-encryption.org/v1\n";
const AGE_ARMOR_MAGIC: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";

fn is_age_file(data: &[u8]) -> bool {
    data.starts_with(AGE_BINARY_MAGIC) || strip_ascii_whitespace(data).starts_with(AGE_ARMOR_MAGIC)
}

/// The age identity file to use: the flag, `VAULTROT_AGE_IDENTITY`, or the default path.
pub fn default_age_identity(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("VAULTROT_AGE_IDENTITY").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    let default = PathBuf::from(home).join(".config/vaultrot/age-identity.txt");
    default.exists().then_some(default)
}

#[cfg(feature = "age")]
fn age_decrypt(
    path: &Path,
    data: &[u8],
    identity: Option<&Path>,
) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
    let shown = path.to_string_lossy().into_owned();
    let fail = |msg: String| SecretsError::Age(shown.clone(), msg);
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(data))
        .map_err(|e| fail(e.to_string()))?;
    let mut plain = Zeroizing::new(Vec::new());
    let mut reader = if decryptor.is_scrypt() {
        let passphrase =
            read_hidden(&format!("Passphrase for {shown}: ")).map_err(|e| fail(e.to_string()))?;
        let scrypt =
            age::scrypt::Identity::new(age::secrecy::SecretString::from(passphrase.to_string()));
        decryptor
            .decrypt(std::iter::once(&scrypt as &dyn age::Identity))
            .map_err(|e| fail(e.to_string()))?
    } else {
        let Some(identity_path) = identity else {
            return Err(fail(
                "no age identity: pass --age-identity FILE, set VAULTROT_AGE_IDENTITY, or create ~/.config/vaultrot/age-identity.txt".into(),
            ));
        };
        let identities = age::IdentityFile::from_file(identity_path.to_string_lossy().into_owned())
            .map_err(|e| {
                fail(format!(
                    "cannot read identity {}: {e}",
                    identity_path.display()
                ))
            })?
            .into_identities()
            .map_err(|e| fail(e.to_string()))?;
        decryptor
            .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
            .map_err(|e| fail(e.to_string()))?
    };
    reader
        .read_to_end(&mut plain)
        .map_err(|e| fail(e.to_string()))?;
    Ok(plain)
}

/// `plaintext` age-encrypted to every X25519 public key in `recipients`
/// (binary format, as `age -R`). `shown` names the file in errors.
#[cfg(feature = "age")]
pub fn age_encrypt(
    shown: &str,
    recipients: &[String],
    plaintext: &[u8],
) -> Result<Vec<u8>, SecretsError> {
    let fail = |msg: String| SecretsError::Age(shown.to_string(), msg);
    let parsed = recipients
        .iter()
        .map(|r| {
            r.parse::<age::x25519::Recipient>()
                .map_err(|e| fail(format!("recipient {r}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let encryptor =
        age::Encryptor::with_recipients(parsed.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| fail(e.to_string()))?;
    let mut sealed = Vec::new();
    let mut writer = encryptor
        .wrap_output(&mut sealed)
        .map_err(|e| fail(e.to_string()))?;
    writer
        .write_all(plaintext)
        .and_then(|()| writer.finish().map(|_| ()))
        .map_err(|e| fail(e.to_string()))?;
    Ok(sealed)
}

#[cfg(not(feature = "age"))]
pub fn age_encrypt(
    shown: &str,
    _recipients: &[String],
    _plaintext: &[u8],
) -> Result<Vec<u8>, SecretsError> {
    Err(SecretsError::Age(
        shown.to_string(),
        "this build has no age support (feature `age`)".into(),
    ))
}

#[cfg(not(feature = "age"))]
fn age_decrypt(
    path: &Path,
    _data: &[u8],
    _identity: Option<&Path>,
) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
    Err(SecretsError::Age(
        path.to_string_lossy().into_owned(),
        "this build has no age support (feature `age`)".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_id_splitting_matches_ansible() {
        assert_eq!(split_vault_id("prod@pw@file"), (Some("prod"), "pw@file"));
        assert_eq!(split_vault_id("pwfile"), (None, "pwfile"));
        assert_eq!(split_vault_id("@pw"), (Some(""), "pw"));
    }

    #[test]
    fn client_script_naming() {
        assert!(is_client_script("/x/vault-keyring-client.py"));
        assert!(is_client_script("foo-client"));
        assert!(!is_client_script("foo-client-x"));
        assert!(!is_client_script("client.sh"));
    }

    #[test]
    fn crlf_strip_keeps_spaces() {
        assert_eq!(strip_crlf(b"\r\n  pass  \n"), b"  pass  ");
    }
}
