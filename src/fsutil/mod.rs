//! File-system primitives every writer goes through: reading inputs (regular
//! files only, bounded), atomic replace that keeps or sets the mode, private
//! scratch space for plaintext, and the removal of what killed runs left.
//!
//! No other module writes a user's file directly: a crash at any instant
//! leaves either the old bytes or the new ones, never a mix or nothing.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

pub mod backup;
pub mod stale;
mod unfrack;

pub use unfrack::unfrack;

/// The largest input read (a file or stdin). Vault and vars files are
/// kilobytes to a few megabytes; the cap stops an endless stream
/// (`view - < /dev/zero`) from filling memory.
pub const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// Which permissions the replaced file ends up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// Keep the existing file's mode and owner (0600 if it is new): edit, rekey, set.
    Keep,
    /// Exactly this mode (ansible writes encrypt/decrypt output as 0600).
    Exactly(u32),
    /// Keep the existing file's mode and owner; a new file gets what any
    /// program's new file gets (0666 less the umask): a file that holds no
    /// secret, such as CHANGELOG.md.
    KeepOrDefault,
}

/// 0666 less the process umask.
fn default_file_mode() -> u32 {
    // SAFETY: umask only swaps the process mask; it is put back at once.
    let mask = unsafe {
        let mask = libc::umask(0o077);
        libc::umask(mask);
        mask
    };
    0o666 & !(mask as u32)
}

/// Reads a whole regular file of at most [`MAX_INPUT_BYTES`]. A FIFO, a
/// device, a socket or a directory is refused before a byte is read: opening
/// never blocks (`O_NONBLOCK`) and the type is checked on the open handle.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let len = file.metadata()?.len();
    if len > MAX_INPUT_BYTES {
        return Err(too_large());
    }
    // Sized up front: growing the buffer would leave copies (maybe plaintext) in freed memory.
    let mut buf = Vec::with_capacity(len as usize + 1);
    file.take(MAX_INPUT_BYTES + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large());
    }
    Ok(buf)
}

/// Reads a whole regular file as UTF-8 text (see [`read`]).
pub fn read_text(path: &Path) -> io::Result<String> {
    String::from_utf8(read(path)?).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// Reads stdin to its end, at most [`MAX_INPUT_BYTES`].
pub fn read_stdin() -> io::Result<Zeroizing<Vec<u8>>> {
    read_capped(io::stdin().lock())
}

/// Reads a file of any kind that can be read to its end, at most
/// [`MAX_INPUT_BYTES`]: for password files, which Ansible also takes from a
/// pipe (`--vault-password-file <(pass show vault)`), where [`read`] takes
/// regular files only. An endless one (`/dev/zero`) ends in an error.
pub fn read_stream(path: &Path) -> io::Result<Zeroizing<Vec<u8>>> {
    read_capped(File::open(path)?)
}

fn read_capped(reader: impl Read) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(Vec::new());
    reader.take(MAX_INPUT_BYTES + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large());
    }
    Ok(buf)
}

fn too_large() -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "larger than {} MiB, the most vaultrot reads",
            MAX_INPUT_BYTES >> 20
        ),
    )
}

/// Opens `path` for reading if it is a regular file (symlinks followed).
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            // What opening a socket gives.
            Some(libc::ENXIO) => not_regular("a socket"),
            _ => e,
        })?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    use std::os::unix::fs::FileTypeExt;
    Err(not_regular(if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a plain file"
    }))
}

fn not_regular(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what}, not a regular file"),
    )
}

/// Creates `dir` and its missing parents (ansible-vault `create` does so for a new file).
pub fn create_dirs(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
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
        (FileMode::Keep | FileMode::KeepOrDefault, Some(meta)) => {
            meta.permissions().mode() & 0o7777
        }
        (FileMode::Keep, None) => 0o600,
        (FileMode::KeepOrDefault, None) => default_file_mode(),
    };

    stale::sweep(&dir);
    stale::sweep_scratch(&scratch_base());
    let (temp_path, mut temp) = create_temp_beside(&dir, &target)?;
    let result = (|| {
        temp.write_all(data)?;
        temp.set_permissions(fs::Permissions::from_mode(final_mode))?;
        if let (FileMode::Keep | FileMode::KeepOrDefault, Some(meta)) = (mode, &existing) {
            // Keeping the owner needs privileges; failing to is not worth losing the write.
            let _ = std::os::unix::fs::fchown(&temp, Some(meta.uid()), Some(meta.gid()));
        }
        temp.sync_all()?;
        stale::test_crash_point("temp-written");
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
        let candidate = dir.join(stale::temp_name(name));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&candidate)
        {
            Ok(file) => {
                // Held until the handle closes: a later run's sweep sees it is in use.
                // Best effort: on a file system without locks the pid check remains.
                let _ = file.try_lock();
                return Ok((candidate, file));
            }
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
/// are overwritten with zeros before the directory is removed on drop. The
/// directory is named after this process and locked while it lives, so that
/// a later run can tell one left by a killed run (see [`stale`]).
pub struct PrivateScratch {
    dir: PathBuf,
    _lock: File,
}

/// Where scratch directories go: `$XDG_RUNTIME_DIR` (a per-user tmpfs), else `$TMPDIR`.
pub fn scratch_base() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

impl PrivateScratch {
    pub fn new() -> io::Result<Self> {
        let base = scratch_base();
        stale::sweep_scratch(&base);
        for _ in 0..16 {
            let dir = base.join(stale::scratch_name());
            match fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => {
                    return match File::open(&dir) {
                        Ok(lock) => {
                            // Best effort, as for temp files: the pid check remains.
                            let _ = lock.try_lock();
                            Ok(PrivateScratch { dir, _lock: lock })
                        }
                        Err(e) => {
                            let _ = fs::remove_dir(&dir);
                            Err(e)
                        }
                    };
                }
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
        stale::wipe_dir(&self.dir);
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
