//! File-system primitives every writer goes through: atomic replace that
//! keeps or sets the mode, private scratch space for plaintext, and the lock.
//!
//! No other module writes a user's file directly: a crash at any instant
//! leaves either the old bytes or the new ones, never a mix or nothing.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

pub mod backup;
mod unfrack;

pub use unfrack::unfrack;

/// Which permissions the replaced file ends up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// Keep the existing file's mode and owner (0600 if it is new): edit, rekey, set.
    Keep,
    /// Exactly this mode (ansible writes encrypt/decrypt output as 0600).
    Exactly(u32),
}

/// Reads a whole file, naming it in the error.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    fs::read(path)
}

/// Resolves symlinks so the file a link points to is replaced, not the link.
/// Like Python's `os.path.realpath` (which ansible names files by), a path
/// that does not exist yet is still made absolute.
pub fn resolve_target(path: &Path) -> PathBuf {
    fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Replaces `path` with `data` atomically: temp file in the same directory,
/// fsync, rename over the target, fsync the directory.
pub fn write_atomic(path: &Path, data: &[u8], mode: FileMode) -> io::Result<()> {
    let target = resolve_target(path);
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let existing = fs::metadata(&target).ok();
    if let Some(meta) = &existing
        && !meta.is_file()
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} exists and is not a regular file", target.display()),
        ));
    }
    let final_mode = match (mode, &existing) {
        (FileMode::Exactly(m), _) => m,
        (FileMode::Keep, Some(meta)) => meta.permissions().mode() & 0o7777,
        (FileMode::Keep, None) => 0o600,
    };

    let (temp_path, mut temp) = create_temp_beside(&dir, &target)?;
    let result = (|| {
        temp.write_all(data)?;
        temp.set_permissions(fs::Permissions::from_mode(final_mode))?;
        if let (FileMode::Keep, Some(meta)) = (mode, &existing) {
            // Keeping the owner needs privileges; failing to is not worth losing the write.
            let _ = std::os::unix::fs::fchown(&temp, Some(meta.uid()), Some(meta.gid()));
        }
        temp.sync_all()?;
        fs::rename(&temp_path, &target)?;
        File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp_path);
    }
    result
}

/// Like [`write_atomic`], then overwrites the replaced file's old bytes with
/// zeros through a handle kept open across the rename (it held plaintext).
pub fn write_atomic_wiping_old(path: &Path, data: &[u8], mode: FileMode) -> io::Result<()> {
    let target = resolve_target(path);
    let old = OpenOptions::new().write(true).open(&target).ok();
    let old_len = old
        .as_ref()
        .and_then(|f| f.metadata().ok())
        .map_or(0, |m| m.len());
    write_atomic(&target, data, mode)?;
    if let Some(mut old) = old {
        // Best effort: the new file is already in place, the wipe only limits exposure.
        let _ = old
            .write_all(&vec![0u8; old_len as usize])
            .and_then(|_| old.sync_all());
    }
    Ok(())
}

fn create_temp_beside(dir: &Path, target: &Path) -> io::Result<(PathBuf, File)> {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file");
    for _ in 0..16 {
        let candidate = dir.join(format!(
            ".{name}.vaultrot-{:016x}.tmp",
            rand::random::<u64>()
        ));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&candidate)
        {
            Ok(file) => return Ok((candidate, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "could not create a temporary file",
    ))
}

/// A private 0700 directory for plaintext the editor must see. Files in it
/// are overwritten with zeros before the directory is removed on drop.
pub struct PrivateScratch {
    dir: PathBuf,
}

impl PrivateScratch {
    pub fn new() -> io::Result<Self> {
        let base = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|p| p.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        for _ in 0..16 {
            let dir = base.join(format!("vaultrot-{:016x}", rand::random::<u64>()));
            match fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(PrivateScratch { dir }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "could not create a private directory",
        ))
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes `data` to a new 0600 file named `name` inside the scratch dir.
    pub fn write(&self, name: &str, data: &[u8]) -> io::Result<PathBuf> {
        let path = self.dir.join(name);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        file.write_all(data)?;
        file.sync_all()?;
        Ok(path)
    }

    /// Reads back a scratch file into zeroizing memory.
    pub fn read(&self, path: &Path) -> io::Result<Zeroizing<Vec<u8>>> {
        Ok(Zeroizing::new(fs::read(path)?))
    }
}

impl Drop for PrivateScratch {
    fn drop(&mut self) {
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if let Ok(meta) = fs::symlink_metadata(&path)
                    && meta.is_file()
                    && let Ok(mut f) = OpenOptions::new().write(true).open(&path)
                {
                    let zeros = vec![0u8; meta.len() as usize];
                    let _ = f.write_all(&zeros).and_then(|_| f.sync_all());
                }
                let _ = fs::remove_file(&path);
            }
        }
        let _ = fs::remove_dir(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_keeps_or_sets_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.yml");
        fs::write(&p, b"old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, b"new", FileMode::Keep).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        write_atomic(&p, b"newer", FileMode::Exactly(0o600)).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }

    #[test]
    fn atomic_write_follows_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        let link = dir.path().join("link");
        fs::write(&real, b"a").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"b", FileMode::Keep).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"b");
    }

    #[test]
    fn scratch_is_private_and_wiped() {
        let scratch = PrivateScratch::new().unwrap();
        let dir = scratch.path().to_path_buf();
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let f = scratch.write("x.yml", b"secret").unwrap();
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
        drop(scratch);
        assert!(!dir.exists());
    }
}
