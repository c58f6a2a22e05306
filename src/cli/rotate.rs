//! `vaultrot rotate SECRET...`: swap rotation in one step (tokens that
//! cannot overlap), or `--compromised` for any secret during an incident.

use clap::Args;

use super::common::CliResult;
use super::rotation_common::{RotationArgs, run_rotation, values_from_stdin};
use crate::rotation::engine::ValueSource;

#[derive(Args, Debug)]
pub struct RotateArgs {
    #[command(flatten)]
    pub common: RotationArgs,
    /// Incident path: replace at once (any strategy), run revoke, record it as compromised.
    #[arg(long)]
    pub compromised: bool,
    /// Why (recorded in the changelog and history with --compromised).
    #[arg(long, requires = "compromised")]
    pub reason: Option<String>,
    /// Read `external: true` values from stdin, one line per secret, in order.
    #[arg(long)]
    pub value_stdin: bool,
}

pub fn run(args: &RotateArgs) -> CliResult {
    run_rotation(
        &args.common,
        "rotate",
        || {
            let values = if args.value_stdin {
                values_from_stdin()?
            } else {
                ValueSource::Prompt
            };
            Ok((values, args.reason.clone(), false, None))
        },
        |r| r.rotate(args.compromised),
    )
}
