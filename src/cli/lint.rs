//! `vaultrot lint`: each manifest against its vault files and tree, over
//! every manifest of the repository. Exit 0: no errors; 1: errors found;
//! 2: usage/manifest error.

use std::path::Path;

use crate::exit_codes;
use crate::manifest::Manifest;
use crate::manifest::lint::lint;
use crate::report::{self, Format, PathDisplay, Style};
use crate::vault::VaultSecret;

use super::check_age::{Failure, manifest_paths, report_failure};
use super::output::{Section, combine};

#[derive(clap::Args, Debug)]
pub struct LintArgs {
    #[command(flatten)]
    pub manifest: super::common::ManifestsArg,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Runs `lint`; `secrets_for` gives the vault passwords for a manifest's
/// infra root (`None`: no password source, the vault-key comparison is
/// skipped with a notice).
pub fn run(args: &LintArgs, secrets_for: &dyn Fn(&Path) -> Option<Vec<VaultSecret>>) -> i32 {
    let paths = PathDisplay::from_cwd();
    let found = match manifest_paths(&args.manifest) {
        Ok(found) => found,
        Err(failure) => return report_failure(failure, args.format, &paths),
    };
    let mut code = exit_codes::OK;
    let mut sections = Vec::new();
    for path in &found {
        let manifest = match Manifest::load(path) {
            Ok(manifest) => manifest,
            Err(err) => {
                code = report_failure(Failure::Manifest(err), args.format, &paths);
                continue;
            }
        };
        let secrets = secrets_for(&manifest.root);
        let report = lint(&manifest, secrets.as_deref());
        sections.push(Section {
            manifest: paths.show(&manifest.path),
            text: report::render_lint(
                &report,
                &paths.show(&manifest.path),
                &paths,
                args.format,
                Style::detect(),
            ),
        });
        if report.failing() && code == exit_codes::OK {
            code = exit_codes::ERROR;
        }
    }
    if let Err(err) = report::print(&combine(args.format, &sections)) {
        eprintln!("vaultrot: error: cannot write the report: {err}");
        return exit_codes::ERROR;
    }
    code
}
