//! `vaultrot restore FILE`: list a vault file's backups (the ciphertexts
//! vaultrot kept before each write) and bring one back.

use std::path::Path;

use clap::Args;

use super::common::{CliError, CliResult};
use super::output::write_stdout;
use super::rotation_common::{load_manifest, manifest_path};
use crate::fsutil::backup;
use crate::rotation::lock::ManifestLock;
use crate::rotation::world::backup_dir;

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The manifest (default: discovered); its infra root holds `.vaultrot/backups`.
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<std::path::PathBuf>,
    /// Only list the backups.
    #[arg(long)]
    pub list: bool,
    /// Which backup (its file name, as `--list` shows); default: the newest.
    #[arg(long)]
    pub backup: Option<String>,
    /// The vault file to restore.
    pub file: String,
}

pub fn run(args: &RestoreArgs) -> CliResult {
    let path = manifest_path(args.manifest.as_deref())?;
    let manifest = load_manifest(&path)?;
    let file = crate::fsutil::resolve_target(Path::new(&args.file));
    let dir = backup_dir(&manifest.root);
    let root = crate::fsutil::resolve_target(&manifest.root);
    let backups = backup::list(&file, &root, &dir).map_err(|e| CliError::error(e.to_string()))?;
    if args.list {
        let mut out = String::new();
        for b in &backups {
            out.push_str(&format!(
                "{}  {}  {}\n",
                b.stamp,
                b.tag,
                b.path.file_name().unwrap_or_default().to_string_lossy()
            ));
        }
        if backups.is_empty() {
            out.push_str(&format!("no backups of {}\n", args.file));
        }
        return write_stdout(out.as_bytes());
    }
    let chosen = match &args.backup {
        Some(name) => backups.iter().find(|b| {
            b.path
                .file_name()
                .is_some_and(|f| f.to_string_lossy() == *name)
        }),
        None => backups.last(),
    }
    .ok_or_else(|| CliError::error(format!("no such backup of {}", args.file)))?;
    let _lock = ManifestLock::acquire(&path, &format!("restore {}", args.file))
        .map_err(|e| super::rotation_common::rotation_error(e.into()))?;
    backup::restore(chosen, &file, &root, &dir).map_err(|e| CliError::error(e.to_string()))?;
    eprintln!(
        "{} restored from {} (the replaced content was kept as a backup too)",
        args.file, chosen.stamp
    );
    Ok(())
}
