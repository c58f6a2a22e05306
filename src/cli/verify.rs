//! `vaultrot verify [SECRET...]`: run the verify steps outside a rotation,
//! so a nightly job notices a deployed credential that drifted from the
//! vault. A named secret without verify steps is an error, not a pass.

use clap::Args;

use super::common::CliResult;
use super::rotation_common::{Extra, RotationArgs, load_manifest, manifest_path, run_rotation};
use crate::rotation::plan::Command;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub common: RotationArgs,
}

pub fn run(args: &VerifyArgs) -> CliResult {
    let mut common = args.common.clone();
    if common.secrets.is_empty() {
        let manifest = load_manifest(&manifest_path(common.manifest.as_deref())?)?;
        common.secrets = manifest
            .secrets
            .iter()
            .filter(|s| !s.verify.is_empty())
            .map(|s| s.name.clone())
            .collect();
    }
    run_rotation(&common, Command::Verify, || Ok(Extra::default()))
}
