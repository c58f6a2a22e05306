//! `vaultrot abort SECRET...`: withdraw a started rotation (remove `X_new`,
//! redeploy with the old value only).

use clap::Args;

use super::common::CliResult;
use super::rotation_common::{Extra, RotationArgs, run_rotation};
use crate::rotation::plan::Command;

#[derive(Args, Debug)]
pub struct AbortArgs {
    #[command(flatten)]
    pub common: RotationArgs,
}

pub fn run(args: &AbortArgs) -> CliResult {
    run_rotation(&args.common, Command::Abort, || Ok(Extra::default()))
}
