//! `vaultrot rollback SECRET...`: after `finish` promoted the new values and
//! before revoke removed `X_previous`, put the previous values back,
//! redeploy, verify and record `rolled_back`.

use clap::Args;

use super::common::CliResult;
use super::rotation_common::{Extra, RotationArgs, run_rotation};
use crate::rotation::plan::Command;

#[derive(Args, Debug)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub common: RotationArgs,
}

pub fn run(args: &RollbackArgs) -> CliResult {
    run_rotation(&args.common, Command::Rollback, || Ok(Extra::default()))
}
