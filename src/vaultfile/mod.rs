//! Vault files on disk: reading inputs (`-` is stdin), decrypting,
//! encrypting, and replacing files with ansible's mode rules. The layer the
//! commands call, so that no command touches the cipher or the file system.

pub mod document;
pub mod edit;
pub mod tree;

use std::io;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::exit_codes::{self, ExitCode};
use crate::fsutil::{self, FileMode};
use crate::vault::{self, DecryptOptions, Decrypted, SaltSource, VaultError, VaultSecret};
use crate::yaml::YamlError;

/// ansible writes encrypt/decrypt output as a new 0600 file.
pub const OUTPUT_MODE: u32 = 0o600;

/// A failure tied to the file it happened on; displays as ansible does
/// (`<cause> for <file>`), or as `<file>: <cause>` for what ansible has no
/// wording for. Each variant keeps the facts (file, key, line) apart.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{source} for {path}")]
    Vault { path: String, source: VaultError },
    #[error("Unable to read source file ({path}): {source}")]
    Read { path: String, source: io::Error },
    #[error("Unable to write {path}: {source}")]
    Write { path: String, source: io::Error },
    #[error(transparent)]
    Editor(#[from] edit::EditorError),
    /// The file (or a decrypted vault) is not YAML the editor reads.
    #[error("{}: {}{source}", path.display(), stage.prefix())]
    Yaml {
        path: PathBuf,
        stage: YamlStage,
        source: YamlError,
    },
    /// `what`: "the file", "the decrypted content".
    #[error("{}: {what} is not UTF-8 text", path.display())]
    NotUtf8 { path: PathBuf, what: &'static str },
    /// A directory walk failed; `root` as it was named.
    #[error("{root}: {source}")]
    Walk { root: String, source: ignore::Error },
    /// A value reached through an alias or a merge key: it is changed at its anchor.
    #[error(
        "{}: `{key}` comes from {} through an alias or a merge key (`<<`); change it where it is defined, or add the key to its own mapping by hand to override it",
        path.display(),
        Through { anchor: anchor.as_deref(), line: *line }
    )]
    DefinedElsewhere {
        path: PathBuf,
        key: String,
        /// The anchor's name; `None` for a merged mapping without one.
        anchor: Option<String>,
        line: usize,
    },
    #[error("{}: `{key}` (line {line}) is not a string value", path.display())]
    NotAString {
        path: PathBuf,
        key: String,
        line: usize,
    },
    #[error("{}: no key `{key}`", path.display())]
    NoKey { path: PathBuf, key: String },
    #[error("{}: `{key}` already exists", path.display())]
    KeyExists { path: PathBuf, key: String },
    /// `set` of a key that holds a mapping or a list.
    #[error(
        "{}: `{key}` (line {line}) holds a {holds}, not a value; name a key inside it ({key}.KEY)",
        path.display()
    )]
    NotAValue {
        path: PathBuf,
        key: String,
        line: usize,
        /// "mapping" or "list".
        holds: &'static str,
    },
    /// `set a.b` where `a` is a scalar or a list.
    #[error(
        "{}: `{parent}` (line {line}) is not a mapping, so `{key}` cannot go inside it; for a key with a dot in its name use --literal-key",
        path.display()
    )]
    NotAMapping {
        path: PathBuf,
        parent: String,
        line: usize,
        key: String,
    },
    #[error(
        "{}: choose the vault-id for the new inline value with --encrypt-vault-id",
        path.display()
    )]
    NoEncryptVaultId { path: PathBuf },
    #[error("{}: `{key}` holds binary data; use `get`", path.display())]
    Binary { path: PathBuf, key: String },
    /// In the editor, an encrypted value became a mapping, list or alias.
    #[error(
        "{}: line {line}: `{key}` was an encrypted value and is now a mapping, list or alias; write a string (it will be encrypted again) or remove the key",
        path.display()
    )]
    VaultedValueReplaced {
        path: PathBuf,
        key: String,
        line: usize,
    },
}

/// When YAML was read: which text of the file failed to parse or edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlStage {
    /// The file's own text (or an edit of it).
    File,
    /// The plaintext of a whole-file vault.
    Decrypted,
    /// What the user saved in the editor.
    AfterEditing,
}

impl YamlStage {
    fn prefix(self) -> &'static str {
        match self {
            YamlStage::File => "",
            YamlStage::Decrypted => "decrypted content: ",
            YamlStage::AfterEditing => "after editing: ",
        }
    }
}

/// Where a value reached through an alias or a merge key is defined.
struct Through<'a> {
    anchor: Option<&'a str>,
    line: usize,
}

impl std::fmt::Display for Through<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.anchor {
            Some(a) => write!(f, "&{a} (line {})", self.line),
            None => write!(f, "the mapping merged on line {}", self.line),
        }
    }
}

impl ExitCode for FileError {
    fn exit_code(&self) -> i32 {
        match self {
            FileError::Editor(e) => e.exit_code(),
            _ => exit_codes::ERROR,
        }
    }
}

impl ExitCode for edit::EditorError {
    fn exit_code(&self) -> i32 {
        match self {
            edit::EditorError::Interrupted { .. } => exit_codes::INTERRUPTED,
            _ => exit_codes::ERROR,
        }
    }
}

impl FileError {
    pub fn vault(path: &Input, source: VaultError) -> Self {
        FileError::Vault {
            path: path.display_name(),
            source,
        }
    }

    pub(crate) fn yaml(path: &Path, stage: YamlStage, source: YamlError) -> Self {
        FileError::Yaml {
            path: path.to_path_buf(),
            stage,
            source,
        }
    }
}

/// Where bytes come from: a file, or stdin for `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    pub fn from_arg(arg: &str) -> Self {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::File(PathBuf::from(arg))
        }
    }

    /// The same input with a file's symlinks resolved and made absolute.
    pub fn resolved(self) -> Self {
        match self {
            Input::File(path) => Input::File(fsutil::resolve_target(&path)),
            stdin => stdin,
        }
    }

    /// The name used in messages (`-` for stdin, the path as given otherwise).
    pub fn display_name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }

    /// Reads all bytes into zeroizing memory (it may be plaintext).
    pub fn read(&self) -> Result<Zeroizing<Vec<u8>>, FileError> {
        let result = match self {
            Input::Stdin => fsutil::read_stdin(),
            Input::File(path) => fsutil::read(path).map(Zeroizing::new),
        };
        result.map_err(|source| FileError::Read {
            path: self.display_name(),
            source: describe_io(source, self),
        })
    }
}

fn describe_io(err: io::Error, input: &Input) -> io::Error {
    match err.kind() {
        io::ErrorKind::NotFound => io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "[Errno 2] No such file or directory: '{}'",
                input.display_name()
            ),
        ),
        _ => err,
    }
}

/// Settings shared by every operation: which secrets, how to match, the salt.
pub struct VaultContext {
    pub secrets: Vec<VaultSecret>,
    pub options: DecryptOptions,
    pub salt: SaltSource,
}

impl VaultContext {
    /// Decrypts bytes read from `input`.
    pub fn decrypt(&self, input: &Input, data: &[u8]) -> Result<Decrypted, FileError> {
        vault::decrypt(data, &self.secrets, self.options).map_err(|e| FileError::vault(input, e))
    }

    /// Reads and decrypts `input`.
    pub fn open(&self, input: &Input) -> Result<Decrypted, FileError> {
        let data = input.read()?;
        self.decrypt(input, &data)
    }

    /// Encrypts with `secret`, labelled with `label` (ansible: the chosen secret's label).
    pub fn seal(
        &self,
        input: &Input,
        plaintext: &[u8],
        secret: &VaultSecret,
    ) -> Result<String, FileError> {
        vault::encrypt(plaintext, secret, &self.salt).map_err(|e| FileError::vault(input, e))
    }

    /// The label a re-encrypted file keeps: the header's, else the default one.
    pub fn relabelled(&self, decrypted: &Decrypted) -> VaultSecret {
        let secret = &self.secrets[decrypted.secret_index];
        let label = decrypted
            .header_label
            .clone()
            .unwrap_or_else(|| vault::DEFAULT_LABEL.to_string());
        VaultSecret::new(label, Zeroizing::new(secret.password().to_vec()))
    }
}

/// Replaces a file atomically, naming it in the error.
pub fn replace(path: &Path, data: &[u8], mode: FileMode) -> Result<(), FileError> {
    fsutil::write_atomic(path, data, mode).map_err(|source| FileError::Write {
        path: path.display().to_string(),
        source,
    })
}

/// Replaces a plaintext file by its ciphertext and overwrites the old bytes,
/// as ansible shreds the plaintext it encrypted in place.
pub fn replace_plaintext(path: &Path, data: &[u8]) -> Result<(), FileError> {
    fsutil::write_atomic_wiping_old(path, data, FileMode::Exactly(OUTPUT_MODE)).map_err(|source| {
        FileError::Write {
            path: path.display().to_string(),
            source,
        }
    })
}

/// What `view` and `decrypt --output -` show for one input: a whole-file
/// vault's exact plaintext, or a vars file with its inline values decrypted.
pub fn decrypted_view(
    input: &Input,
    bytes: &[u8],
    ctx: &VaultContext,
) -> Result<Zeroizing<Vec<u8>>, FileError> {
    if vault::is_encrypted(bytes) || !tree::holds_vault_data(bytes) {
        return Ok(ctx.decrypt(input, bytes)?.plaintext);
    }
    let path = PathBuf::from(input.display_name());
    let file = document::SecretsFile::from_bytes(&path, bytes, ctx)?;
    let text = file.render_decrypted(ctx)?;
    Ok(Zeroizing::new(text.as_bytes().to_vec()))
}

/// Which vaults a rekey re-encrypts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RekeyScope {
    /// Every vault, with any secret that opens it (ansible-vault's `rekey`
    /// of a named whole-file vault).
    All,
    /// Only vaults whose header names a vault-id a secret was given for
    /// (no label: `default`); the others are left as they are. A tree
    /// holding several vault-ids is rekeyed one vault-id at a time.
    GivenVaultIds,
}

/// One file rekeyed in memory.
#[derive(Debug, Default)]
pub struct Rekeyed {
    /// The new bytes, `None` when nothing changes.
    pub bytes: Option<Vec<u8>>,
    /// How many vaults were left as they are, by the vault-id they are under.
    pub left: std::collections::BTreeMap<String, usize>,
}

impl VaultContext {
    /// Whether a secret was given for this vault-id.
    pub fn gives(&self, vault_id: &str) -> bool {
        self.secrets.iter().any(|s| s.label == vault_id)
    }
}

/// The new bytes of one file under `new_secret`, planned in memory.
/// A vault under a given vault-id that does not open is an error.
pub fn rekeyed(
    path: &Path,
    ctx: &VaultContext,
    new_secret: &VaultSecret,
    scope: RekeyScope,
) -> Result<Rekeyed, FileError> {
    let input = Input::File(path.to_path_buf());
    let bytes = input.read()?;
    if vault::is_encrypted(&bytes) || !tree::holds_vault_data(&bytes) {
        if scope == RekeyScope::GivenVaultIds
            && let Ok(env) = vault::envelope::parse_envelope(&bytes)
            && !ctx.gives(env.label_or_default())
        {
            let mut left = std::collections::BTreeMap::new();
            left.insert(env.label_or_default().to_string(), 1);
            return Ok(Rekeyed { bytes: None, left });
        }
        let opened = ctx.decrypt(&input, &bytes)?;
        return Ok(Rekeyed {
            bytes: Some(
                ctx.seal(&input, &opened.plaintext, new_secret)?
                    .into_bytes(),
            ),
            left: Default::default(),
        });
    }
    document::SecretsFile::from_bytes(path, &bytes, ctx)?.rekeyed(&bytes, ctx, new_secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_editor_is_99_and_the_rest_1() {
        let interrupted = FileError::Editor(edit::EditorError::Interrupted { signal: "SIGTERM" });
        assert_eq!(interrupted.exit_code(), exit_codes::INTERRUPTED);
        let missing = FileError::NoKey {
            path: PathBuf::from("vars.yml"),
            key: "db.password".into(),
        };
        assert_eq!(missing.exit_code(), exit_codes::ERROR);
        assert_eq!(missing.to_string(), "vars.yml: no key `db.password`");
    }

    #[test]
    fn a_value_through_an_alias_names_its_anchor_or_merge() {
        let through = |anchor: Option<&str>| FileError::DefinedElsewhere {
            path: PathBuf::from("vars.yml"),
            key: "b.x".into(),
            anchor: anchor.map(str::to_string),
            line: 3,
        };
        assert!(through(Some("base")).to_string().starts_with(
            "vars.yml: `b.x` comes from &base (line 3) through an alias or a merge key (`<<`);"
        ));
        assert!(
            through(None)
                .to_string()
                .starts_with("vars.yml: `b.x` comes from the mapping merged on line 3 through")
        );
    }
}
