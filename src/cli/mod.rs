//! The command line: one file per subcommand (arguments, calling the
//! library, printing); this file parses, dispatches and maps errors to exit
//! codes. Errors print as ansible's `[ERROR]: ...` on one line.

pub mod common;
pub mod create;
pub mod decrypt;
pub mod edit;
pub mod encrypt;
pub mod encrypt_string;
pub mod output;
pub mod rekey;
pub mod view;

use clap::{Parser, Subcommand};

use crate::ansible::config::VaultSettings;
use crate::exit_codes;
use common::CliResult;

/// vaultrot: rotate the secrets of an Ansible deployment, and a fast,
/// byte-compatible drop-in for ansible-vault.
#[derive(Parser, Debug)]
#[command(name = "vaultrot", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new encrypted file in the editor.
    Create(create::CreateArgs),
    /// Decrypt vault files (in place, to --output, or stdin to stdout).
    Decrypt(decrypt::DecryptArgs),
    /// Edit an encrypted file in the editor.
    Edit(edit::EditArgs),
    /// Show decrypted content.
    View(view::ViewArgs),
    /// Encrypt files (in place, to --output, or stdin to stdout).
    Encrypt(encrypt::EncryptArgs),
    /// Encrypt a string as a YAML `!vault` block.
    #[command(name = "encrypt_string", visible_alias = "encrypt-string")]
    EncryptString(encrypt_string::EncryptStringArgs),
    /// Re-encrypt files with a new password or vault-id.
    Rekey(rekey::RekeyArgs),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = e.exit_code();
            let _ = e.print();
            return code;
        }
    };
    match dispatch(&cli.command) {
        Ok(()) => exit_codes::OK,
        Err(e) if e.message.is_empty() => e.code,
        Err(e) => {
            eprintln!("[ERROR]: {}", e.message);
            e.code
        }
    }
}

fn dispatch(command: &Command) -> CliResult {
    let settings = VaultSettings::load();
    match command {
        Command::Create(a) => create::run(a, &settings),
        Command::Decrypt(a) => decrypt::run(a, &settings),
        Command::Edit(a) => edit::run(a, &settings),
        Command::View(a) => view::run(a, &settings),
        Command::Encrypt(a) => encrypt::run(a, &settings),
        Command::EncryptString(a) => encrypt_string::run(a, &settings),
        Command::Rekey(a) => rekey::run(a, &settings),
    }
}
