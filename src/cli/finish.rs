//! `vaultrot finish SECRET...`: promote the new values (the old ones become
//! `X_previous`), redeploy, verify, revoke, drop `X_previous`, record.

use clap::Args;

use super::common::{CliError, CliResult};
use super::rotation_common::{Extra, RotationArgs, run_rotation};
use crate::manifest::Period;
use crate::rotation::plan::Command;

#[derive(Args, Debug)]
pub struct FinishArgs {
    #[command(flatten)]
    pub common: RotationArgs,
    /// Refuse to finish before the dual window has lasted this long (e.g. 1d, 2w); overrides the policy.
    #[arg(long, value_name = "DURATION")]
    pub min_window: Option<String>,
    /// Finish even if the minimum window has not passed (it overrides nothing else).
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &FinishArgs) -> CliResult {
    let min_window = match &args.min_window {
        None => None,
        Some(text) => Some(
            text.parse::<Period>()
                .map_err(|e| CliError::usage(format!("--min-window: {e}")))?,
        ),
    };
    run_rotation(&args.common, Command::Finish, || {
        Ok(Extra {
            force: args.force,
            min_window,
            ..Extra::default()
        })
    })
}
