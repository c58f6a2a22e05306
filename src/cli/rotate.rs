//! `vaultrot rotate SECRET...`: swap rotation in one step (tokens that
//! cannot overlap), or `--compromised --reason WHY` for any secret during an
//! incident (always a fresh value; an open window's `_new` is discarded;
//! `--scan` records where the values leaked).

use clap::Args;

use super::common::CliResult;
use super::rotation_common::{Extra, RotationArgs, run_rotation, values_from_stdin};
use crate::rotation::plan::Command;

#[derive(Args, Debug)]
pub struct RotateArgs {
    #[command(flatten)]
    pub common: RotationArgs,
    /// Incident path: replace at once with a fresh value (any strategy), revoke the old one, record it as compromised.
    #[arg(long)]
    pub compromised: bool,
    /// Why (required with --compromised; recorded in the changelog and history).
    #[arg(long, requires = "compromised")]
    pub reason: Option<String>,
    /// Scan the work tree and git history for the leaked values first, and add
    /// where they were found (paths, commits, encodings) to the recorded reason.
    #[arg(long, requires = "compromised")]
    pub scan: bool,
    /// Read `external: true` values from stdin, one line per secret, in order.
    #[arg(long)]
    pub value_stdin: bool,
}

pub fn run(args: &RotateArgs) -> CliResult {
    let command = Command::Rotate {
        compromised: args.compromised,
    };
    run_rotation(&args.common, command, || {
        let mut extra = Extra {
            reason: args.reason.clone(),
            scan: args.scan,
            ..Extra::default()
        };
        if args.value_stdin {
            extra.values = values_from_stdin()?;
        }
        Ok(extra)
    })
}
