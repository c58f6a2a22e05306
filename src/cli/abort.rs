//! `vaultrot abort SECRET...`: withdraw a started rotation (remove `X_new`,
//! redeploy with the old value only).

use clap::Args;

use super::common::CliResult;
use super::rotation_common::{RotationArgs, run_rotation};
use crate::rotation::engine::ValueSource;

#[derive(Args, Debug)]
pub struct AbortArgs {
    #[command(flatten)]
    pub common: RotationArgs,
}

pub fn run(args: &AbortArgs) -> CliResult {
    run_rotation(
        &args.common,
        "abort",
        || Ok((ValueSource::Prompt, None, false, None)),
        |r| r.abort(),
    )
}
