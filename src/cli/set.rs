//! `vaultrot set FILE KEY (VALUE | --stdin | --generate)`: store a value,
//! inside a whole-file vault or in a vars file (a plain setting stays plain,
//! a new key becomes an inline `!vault`; `--plain`/`--vault` choose). KEY is
//! a dotted path into nested mappings. `unset` removes one. Only the key's
//! own lines change. A file a manifest names is read and written under the
//! manifest's lock.

use clap::Args;
use zeroize::Zeroizing;

use super::common::{CliError, CliResult, VaultArgs, read_context};
use super::secret_file;
use crate::ansible::config::VaultSettings;
use crate::fsutil::FileMode;
use crate::rotation::generate::{Charset, random_value};
use crate::rotation::lock::{ManifestLock, lock_vault_files};
use crate::vaultfile::document::{PathChange, ValueStyle, key_path};
use crate::vaultfile::replace;

#[derive(Args, Debug)]
pub struct SetArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// A whole-file vault or a vars file.
    pub file: String,
    /// The key, or a dotted path into nested mappings (db.password).
    pub key: String,
    /// The value (visible in the process list: prefer --stdin or --generate).
    #[arg(conflicts_with_all = ["stdin", "generate"])]
    pub value: Option<String>,
    /// Read the value from stdin (one trailing newline is dropped).
    #[arg(long, conflicts_with = "generate")]
    pub stdin: bool,
    /// Generate a random value.
    #[arg(long)]
    pub generate: bool,
    /// Length of a generated value.
    #[arg(long, default_value_t = 32, requires = "generate")]
    pub length: usize,
    /// Alphabet of a generated value: alnum, ascii, hex, base64url.
    #[arg(long, default_value = "alnum", requires = "generate")]
    pub charset: String,
    // The vault-id label for a new inline value.
    #[command(flatten)]
    pub encrypt_vault_id: super::common::EncryptVaultIdArg,
    /// In a vars file, write the value in plaintext (a setting, not a secret).
    #[arg(long, conflicts_with = "vault_value")]
    pub plain: bool,
    /// In a vars file, write the value as an inline `!vault` (default for a
    /// new key; an existing plain key otherwise stays plain).
    #[arg(long = "vault")]
    pub vault_value: bool,
    /// KEY is one key even if it contains dots.
    #[arg(long)]
    pub literal_key: bool,
    /// Create FILE if it does not exist: a whole-file vault, or with
    /// --inline a vars file holding an inline `!vault` value.
    #[arg(long)]
    pub create: bool,
    /// With --create, make a vars file with inline values instead of a whole-file vault.
    #[arg(long, requires = "create")]
    pub inline: bool,
    /// Say which key would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args, Debug)]
pub struct UnsetArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// A whole-file vault or a vars file.
    pub file: String,
    /// The key, or a dotted path into nested mappings (db.password).
    pub key: String,
    /// KEY is one key even if it contains dots.
    #[arg(long)]
    pub literal_key: bool,
    /// Say which key would be removed; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn value_of(args: &SetArgs) -> CliResult<Zeroizing<String>> {
    if args.generate {
        let charset = Charset::parse(&args.charset).ok_or_else(|| {
            CliError::options(format!(
                "unknown --charset {}: use alnum, ascii, hex or base64url",
                args.charset
            ))
        })?;
        return random_value(args.length, charset, "")
            .map_err(|e| CliError::options(e.to_string()));
    }
    if args.stdin {
        let raw = crate::fsutil::read_stdin()
            .map_err(|e| CliError::error(format!("cannot read stdin: {e}")))?;
        let text = std::str::from_utf8(&raw)
            .map_err(|_| CliError::error("the value on stdin is not UTF-8 text"))?;
        let text = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(text);
        return Ok(Zeroizing::new(text.to_string()));
    }
    match &args.value {
        Some(v) => Ok(Zeroizing::new(v.clone())),
        None => Err(CliError::options("give a VALUE, --stdin or --generate")),
    }
}

pub fn run_set(args: &SetArgs, settings: &VaultSettings) -> CliResult {
    let value = value_of(args)?;
    let ctx = read_context(&args.vault, settings)?;
    let _locks = lock_unless_dry(
        &args.file,
        &format!("set {} {}", args.file, args.key),
        args.dry_run,
    )?;
    let path = key_path(&args.key, args.literal_key);
    let style = match (args.plain, args.vault_value) {
        (true, _) => ValueStyle::Plain,
        (_, true) => ValueStyle::Vault,
        _ => ValueStyle::Keep,
    };
    let creating = args.create && !std::path::Path::new(&args.file).exists();
    let file = if creating {
        secret_file::create(
            &args.file,
            args.inline,
            &ctx,
            args.encrypt_vault_id.as_deref(),
        )?
    } else {
        secret_file::open(&args.file, &ctx)?
    };
    if file.is_whole_vault() && args.plain {
        return Err(CliError::options(format!(
            "{} is a whole-file vault: every value in it is encrypted, --plain does not apply",
            args.file
        )));
    }
    let secret =
        match secret_file::secret_for_new_values(&file, &ctx, args.encrypt_vault_id.as_deref()) {
            Ok(secret) => secret,
            Err(err) if file.needs_new_secret(&path, style) => return Err(err),
            Err(_) => None,
        };
    let change = PathChange::Set { path, value, style };
    let planned = file.plan_paths(std::slice::from_ref(&change), &ctx, secret.as_ref())?;
    let verb = if creating {
        "set (file created)"
    } else {
        "set"
    };
    report_and_write(&args.file, &args.key, planned, args.dry_run, verb)
}

pub fn run_unset(args: &UnsetArgs, settings: &VaultSettings) -> CliResult {
    let ctx = read_context(&args.vault, settings)?;
    let _locks = lock_unless_dry(
        &args.file,
        &format!("unset {} {}", args.file, args.key),
        args.dry_run,
    )?;
    let file = secret_file::open(&args.file, &ctx)?;
    let planned = file.plan_paths(
        &[PathChange::Remove {
            path: key_path(&args.key, args.literal_key),
        }],
        &ctx,
        None,
    )?;
    report_and_write(&args.file, &args.key, planned, args.dry_run, "removed")
}

/// The locks of the manifests naming `file`; none for a dry run, which writes nothing.
fn lock_unless_dry(file: &str, command: &str, dry_run: bool) -> CliResult<Vec<ManifestLock>> {
    if dry_run {
        return Ok(Vec::new());
    }
    let path = crate::fsutil::resolve_target(std::path::Path::new(file));
    Ok(lock_vault_files(&[path], command)?)
}

fn report_and_write(
    file: &str,
    key: &str,
    planned: Option<Vec<u8>>,
    dry_run: bool,
    verb: &str,
) -> CliResult {
    match (planned, dry_run) {
        (None, _) => eprintln!("{file}: `{key}` unchanged"),
        (Some(_), true) => eprintln!("{file}: `{key}` would be {verb} (dry run: nothing written)"),
        (Some(bytes), false) => {
            replace(std::path::Path::new(file), &bytes, FileMode::Keep)?;
            eprintln!("{file}: `{key}` {verb}");
        }
    }
    Ok(())
}
