//! `vaultrot recipients ls|add|remove`: who can open the age-encrypted
//! vault password file; add/remove re-encrypt it to the new set.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::common::{CliResult, warn};
use crate::passwords::recipients::{self, Changed};
use crate::passwords::sources::default_age_identity;

#[derive(Args, Debug)]
pub struct RecipientsArgs {
    #[command(subcommand)]
    pub action: RecipientsAction,
    /// The age-encrypted vault password file.
    #[arg(
        long = "age-file",
        value_name = "FILE",
        default_value = ".vault-pass.age",
        global = true
    )]
    pub age_file: PathBuf,
    /// age identity file that opens it (default: $VAULTROT_AGE_IDENTITY, then ~/.config/vaultrot/age-identity.txt)
    #[arg(long = "age-identity", value_name = "FILE", global = true)]
    pub age_identity: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum RecipientsAction {
    /// List the public keys that can open the password file.
    Ls,
    /// Add public keys and re-encrypt the password file to them.
    Add {
        /// age public keys (age1...).
        #[arg(required = true, value_name = "AGE_PUBLIC_KEY")]
        keys: Vec<String>,
        /// A comment written above the keys (whose they are).
        #[arg(long)]
        comment: Option<String>,
    },
    /// Remove public keys and re-encrypt the password file without them.
    Remove {
        /// age public keys (age1...).
        #[arg(required = true, value_name = "AGE_PUBLIC_KEY")]
        keys: Vec<String>,
    },
}

pub fn run(args: &RecipientsArgs) -> CliResult {
    let identity = default_age_identity(args.age_identity.as_deref());
    match &args.action {
        RecipientsAction::Ls => {
            let lines = recipients::read_lines(&args.age_file)?;
            for line in lines {
                println!("{line}");
            }
            Ok(())
        }
        RecipientsAction::Add { keys, comment } => {
            let changed = recipients::add(
                &args.age_file,
                identity.as_deref(),
                keys,
                comment.as_deref(),
            )?;
            report(&args.age_file, &changed, "already a recipient");
            Ok(())
        }
        RecipientsAction::Remove { keys } => {
            let changed = recipients::remove(&args.age_file, identity.as_deref(), keys)?;
            report(&args.age_file, &changed, "not a recipient");
            warn(
                "a removed recipient has seen the current vault password and may have kept it: rotate it (`vaultrot rekey --new-vault-id LABEL@NEW_SOURCE` over the whole infra, see the README's \"Rotating the vault password\")",
            );
            Ok(())
        }
    }
}

fn report(age_file: &std::path::Path, changed: &Changed, why: &str) {
    for key in &changed.unchanged {
        warn(&format!("{key}: {why}, nothing to do for it"));
    }
    eprintln!(
        "{}: re-encrypted to {} recipient{}",
        age_file.display(),
        changed.keys.len(),
        if changed.keys.len() == 1 { "" } else { "s" }
    );
}
