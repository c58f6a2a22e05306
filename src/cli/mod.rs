//! Command line. TEMPORARY minimal dispatcher on branch `manifest` so that
//! `check-age` and `lint` can be tested end to end; the real one replaces it.
pub mod check_age;
pub mod lint;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use zeroize::Zeroizing;

use crate::vault::VaultSecret;

#[derive(Parser, Debug)]
#[command(name = "vaultrot", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    CheckAge(check_age::CheckAgeArgs),
    Lint {
        #[command(flatten)]
        args: lint::LintArgs,
        #[arg(long, value_name = "FILE")]
        vault_password_file: Option<PathBuf>,
    },
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                crate::exit_codes::USAGE
            } else {
                crate::exit_codes::OK
            };
        }
    };
    match cli.command {
        Command::CheckAge(args) => check_age::run(&args),
        Command::Lint {
            args,
            vault_password_file,
        } => match vault_password_file {
            None => lint::run(&args, None),
            Some(file) => match std::fs::read(&file) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    let password = Zeroizing::new(text.trim().as_bytes().to_vec());
                    let secrets = [VaultSecret::new("default", password)];
                    lint::run(&args, Some(&secrets))
                }
                Err(err) => {
                    eprintln!("vaultrot: error: cannot read {}: {err}", file.display());
                    crate::exit_codes::USAGE
                }
            },
        },
    }
}
