//! What restoring a vault file's backup would undo of the open rotations:
//! the `X_new` values a rotation staged that the restored bytes lack. Names
//! only; the values are never read out.

use std::path::Path;

use crate::manifest::Manifest;
use crate::vaultfile::VaultContext;
use crate::vaultfile::document::SecretsFile;

/// One staged value a restore would drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedNew {
    /// The `X_new` key.
    pub key: String,
    pub rotation_id: String,
    pub phase: String,
}

/// Whether `file` (as on disk) is the vault of a secret with an open rotation:
/// only then does a restore need the vault password to be checked.
pub fn has_open_rotation(manifest: &Manifest, file: &Path) -> bool {
    !open_rotations_in(manifest, file).is_empty()
}

/// The `X_new` keys of open rotations that `file` holds now and `backup`
/// (what a restore would put back) does not.
pub fn dropped_new_values(
    manifest: &Manifest,
    file: &Path,
    backup: &Path,
    ctx: &VaultContext,
) -> Result<Vec<DroppedNew>, String> {
    let open = open_rotations_in(manifest, file);
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let current = SecretsFile::load(file, ctx).map_err(|e| e.to_string())?;
    let restored = crate::fsutil::read(backup).map_err(|e| format!("{}: {e}", backup.display()))?;
    let before = SecretsFile::from_bytes(file, &restored, ctx)
        .map_err(|e| format!("the backup {}: {e}", backup.display()))?;
    Ok(open
        .into_iter()
        .filter(|(key, _, _)| current.contains(key) && !before.contains(key))
        .map(|(key, rotation_id, phase)| DroppedNew {
            key,
            rotation_id,
            phase,
        })
        .collect())
}

/// (`X_new`, rotation id, phase) of each open rotation whose vault is `file`.
fn open_rotations_in(manifest: &Manifest, file: &Path) -> Vec<(String, String, String)> {
    let Ok(file) = file.canonicalize() else {
        return Vec::new();
    };
    manifest
        .secrets
        .iter()
        .filter(|s| {
            manifest
                .resolve(&s.vault)
                .canonicalize()
                .is_ok_and(|v| v == file)
        })
        .filter_map(|s| {
            let rotation = s.rotation.as_ref()?;
            Some((
                s.new_key(),
                rotation.id.clone(),
                rotation.phase.as_str().to_string(),
            ))
        })
        .collect()
}
