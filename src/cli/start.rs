//! `vaultrot start SECRET...`: open a dual rotation (new value as `X_new`,
//! deploy accepting both, verify).

use clap::Args;

use super::common::CliResult;
use super::rotation_common::{Extra, RotationArgs, run_rotation, values_from_stdin};
use crate::rotation::plan::Command;

#[derive(Args, Debug)]
pub struct StartArgs {
    #[command(flatten)]
    pub common: RotationArgs,
    /// Read `external: true` values from stdin, one line per secret, in order.
    #[arg(long)]
    pub value_stdin: bool,
}

pub fn run(args: &StartArgs) -> CliResult {
    run_rotation(&args.common, Command::Start, || {
        let mut extra = Extra::default();
        if args.value_stdin {
            extra.values = values_from_stdin()?;
        }
        Ok(extra)
    })
}
