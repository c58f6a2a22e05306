//! Which of the files a rotation can write (the manifest, the vault files,
//! the CHANGELOG) a run changed: `rotate-due` prints them so the nightly CI
//! job can open a pull request with exactly those.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::manifest::Manifest;

/// Digests of the files a rotation of the manifest's secrets may write,
/// taken before a run to compare with after it.
pub struct Snapshot {
    files: Vec<(PathBuf, Option<[u8; 32]>)>,
}

fn digest(path: &Path) -> Option<[u8; 32]> {
    std::fs::read(path)
        .ok()
        .map(|bytes| Sha256::digest(&bytes).into())
}

impl Snapshot {
    pub fn take(manifest: &Manifest) -> Snapshot {
        let mut paths = vec![manifest.path.clone()];
        if let Some(changelog) = &manifest.defaults.changelog {
            paths.push(manifest.resolve(changelog));
        }
        for secret in &manifest.secrets {
            let vault = manifest.resolve(&secret.vault);
            if !paths.contains(&vault) {
                paths.push(vault);
            }
        }
        Snapshot {
            files: paths.into_iter().map(|p| (p.clone(), digest(&p))).collect(),
        }
    }

    /// The files whose content differs now, in snapshot order.
    pub fn changed(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .filter(|(path, before)| digest(path) != *before)
            .map(|(path, _)| path.clone())
            .collect()
    }
}
