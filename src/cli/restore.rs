//! `vaultrot restore FILE`: list a vault file's backups (the ciphertexts
//! vaultrot kept before each write) and bring one back, under the manifest
//! lock. A restore that would drop the `X_new` value of an open rotation
//! (services may already use it) is refused unless `--force`.

use std::path::Path;

use clap::Args;

use super::common::{CliError, CliResult, VaultArgs, read_context};
use super::output::write_stdout;
use super::rotation_common::{load_manifest, manifest_path};
use crate::ansible::config::VaultSettings;
use crate::fsutil::backup;
use crate::rotation::lock::ManifestLock;
use crate::rotation::restore::{DroppedNew, dropped_new_values, has_open_rotation};
use crate::rotation::world::backup_dir;

#[derive(Args, Debug)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    #[command(flatten)]
    pub manifest: super::common::ManifestArg,
    /// Only list the backups.
    #[arg(long)]
    pub list: bool,
    /// Which backup: its id (the first column of `--list`) or its file name; default: the newest.
    #[arg(long)]
    pub backup: Option<String>,
    /// Restore even if it drops the `_new` value of an open rotation.
    #[arg(long)]
    pub force: bool,
    /// The vault file to restore.
    pub file: String,
}

pub fn run(args: &RestoreArgs) -> CliResult {
    let path = manifest_path(args.manifest.as_deref())?;
    let manifest = load_manifest(&path)?;
    let file = crate::fsutil::resolve_target(Path::new(&args.file));
    let dir = backup_dir(&manifest.root);
    let root = crate::fsutil::resolve_target(&manifest.root);
    // Held from before the backups are listed until the file is back.
    let _lock = if args.list {
        None
    } else {
        Some(ManifestLock::acquire(
            &path,
            &format!("restore {}", args.file),
        )?)
    };
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
            b.stamp == *name
                || b.path
                    .file_name()
                    .is_some_and(|f| f.to_string_lossy() == *name)
        }),
        None => backups.last(),
    }
    .ok_or_else(|| CliError::error(format!("no such backup of {}", args.file)))?;
    if has_open_rotation(&manifest, &file) {
        let checked = VaultSettings::load_in(Some(&manifest.root));
        let dropped = read_context(&args.vault, &checked)
            .map_err(|e| e.message)
            .and_then(|ctx| dropped_new_values(&manifest, &file, &chosen.path, &ctx));
        match (dropped, args.force) {
            (Ok(dropped), _) if dropped.is_empty() => {}
            (Ok(dropped), false) => {
                return Err(CliError::error(format!(
                    "{}; pass --force to restore anyway",
                    drop_text(&args.file, &chosen.stamp, &dropped)
                )));
            }
            (Ok(dropped), true) => eprintln!(
                "warning: {} (--force)",
                drop_text(&args.file, &chosen.stamp, &dropped)
            ),
            (Err(e), false) => {
                return Err(CliError::error(format!(
                    "{} is the vault of an open rotation and it could not be checked whether the restore drops a staged `_new` value: {e}; pass --force to restore anyway",
                    args.file
                )));
            }
            (Err(e), true) => eprintln!(
                "warning: {} is the vault of an open rotation; not checked whether the restore drops a staged `_new` value ({e}); restoring anyway (--force)",
                args.file
            ),
        }
    }
    backup::restore(chosen, &file, &root, &dir).map_err(|e| CliError::error(e.to_string()))?;
    eprintln!(
        "{} restored from {} (the replaced content was kept as a backup too)",
        args.file, chosen.stamp
    );
    Ok(())
}

/// `restoring F from STAMP would drop `X_new` (rotation r-1, phase dual), ...: ...`
fn drop_text(file: &str, stamp: &str, dropped: &[DroppedNew]) -> String {
    let keys: Vec<String> = dropped
        .iter()
        .map(|d| {
            format!(
                "`{}` (rotation {}, phase {})",
                d.key, d.rotation_id, d.phase
            )
        })
        .collect();
    format!(
        "restoring {file} from {stamp} would drop {}, the new value staged by an open rotation that services may already use; finish or abort the rotation first",
        keys.join(", ")
    )
}
