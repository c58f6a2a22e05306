//! The binary run through a link named `ansible-vault` (`ln -s vaultrot
//! ~/.local/bin/ansible-vault`): ansible-vault's command set only, with its
//! name, its `[ERROR]:` messages and a `--version` that answers like
//! ansible's, plus a line naming vaultrot.

use std::ffi::OsStr;
use std::path::Path;

use clap::{Parser, Subcommand};

use super::{Command, create, decrypt, edit, encrypt, encrypt_string, rekey, view};
use crate::ansible::config::VaultSettings;
use crate::exit_codes;

/// The ansible-core release whose ansible-vault this one is tested against.
pub const ANSIBLE_CORE_VERSION: &str = "2.19.14";

/// encryption/decryption utility for Ansible data files (vaultrot).
#[derive(Parser, Debug)]
#[command(name = "ansible-vault", disable_version_flag = true)]
pub struct AnsibleVaultCli {
    /// Show the program's version number, config file location, and exit.
    #[arg(long)]
    pub version: bool,
    #[command(subcommand)]
    pub command: Option<VaultCommand>,
}

#[derive(Subcommand, Debug)]
pub enum VaultCommand {
    /// Create new vault encrypted file.
    Create(create::CreateArgs),
    /// Decrypt vault encrypted file.
    Decrypt(decrypt::DecryptArgs),
    /// Edit vault encrypted file.
    Edit(edit::EditArgs),
    /// View vault encrypted file.
    View(view::ViewArgs),
    /// Encrypt YAML file.
    Encrypt(encrypt::EncryptArgs),
    /// Encrypt a string.
    #[command(name = "encrypt_string", visible_alias = "encrypt-string")]
    EncryptString(encrypt_string::EncryptStringArgs),
    /// Re-key a vault encrypted file.
    Rekey(rekey::RekeyArgs),
}

impl From<VaultCommand> for Command {
    fn from(command: VaultCommand) -> Command {
        match command {
            VaultCommand::Create(a) => Command::Create(a),
            VaultCommand::Decrypt(a) => Command::Decrypt(a),
            VaultCommand::Edit(a) => Command::Edit(a),
            VaultCommand::View(a) => Command::View(a),
            VaultCommand::Encrypt(a) => Command::Encrypt(a),
            VaultCommand::EncryptString(a) => Command::EncryptString(a),
            VaultCommand::Rekey(a) => Command::Rekey(a),
        }
    }
}

/// Whether `argv[0]` names `ansible-vault` (a link to this binary).
pub fn invoked_as_ansible_vault() -> bool {
    std::env::args_os()
        .next()
        .is_some_and(|arg0| Path::new(&arg0).file_name() == Some(OsStr::new("ansible-vault")))
}

/// Runs as ansible-vault; returns the exit code.
pub fn main() -> i32 {
    let cli = match AnsibleVaultCli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = e.exit_code();
            let _ = e.print();
            return code;
        }
    };
    if cli.version {
        print!("{}", version_text(&VaultSettings::load()));
        return exit_codes::OK;
    }
    let Some(command) = cli.command else {
        eprintln!(
            "usage: ansible-vault [-h] [--version] {{create,decrypt,edit,view,encrypt,encrypt_string,rekey}} ...\nansible-vault: error: the following arguments are required: action"
        );
        return exit_codes::USAGE;
    };
    super::finish(super::dispatch(&command.into()), "[ERROR]:")
}

/// ansible's `--version` layout: the program and core version, the config
/// file, where the executable is; then which vaultrot answers.
fn version_text(settings: &VaultSettings) -> String {
    let config = settings
        .config_file
        .as_ref()
        .map_or("None".to_string(), |p| p.display().to_string());
    let executable = std::env::args_os()
        .next()
        .map(|a| Path::new(&a).display().to_string())
        .unwrap_or_default();
    format!(
        "ansible-vault [core {ANSIBLE_CORE_VERSION}]\n  config file = {config}\n  executable location = {executable}\n  vaultrot version = {} (a byte-compatible ansible-vault; not ansible-core)\n",
        env!("CARGO_PKG_VERSION")
    )
}
