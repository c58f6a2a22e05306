//! The editor round trip for `edit` and `create`: plaintext goes to a 0600
//! file in a private 0700 directory, the user's editor runs on it, and the
//! file is overwritten and removed afterwards whatever happens.

use std::process::Command;

use zeroize::Zeroizing;

use super::FileError;
use crate::fsutil::PrivateScratch;

/// Opens `plaintext` in `editor` (a shell-quoted command; the file path is
/// appended as the last argument, as ansible does). Returns the edited bytes.
pub fn run_editor(
    plaintext: &[u8],
    suffix: &str,
    editor: &str,
) -> Result<Zeroizing<Vec<u8>>, FileError> {
    let mut argv = shlex::split(editor)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            FileError::Other(format!(
                "Unable to execute the command \"{editor}\": cannot parse it"
            ))
        })?;
    let scratch = PrivateScratch::new()
        .map_err(|e| FileError::Other(format!("cannot create a private temp dir: {e}")))?;
    let name = format!("vaultrot-edit{suffix}");
    let path = scratch
        .write(&name, plaintext)
        .map_err(|e| FileError::Other(format!("cannot write the temp file: {e}")))?;
    argv.push(path.to_string_lossy().into_owned());
    let status = Command::new(&argv[0])
        .args(&argv[1..])
        .status()
        .map_err(|e| {
            FileError::Other(format!(
                "Unable to execute the command \"{}\": {e}",
                argv.join(" ")
            ))
        })?;
    if !status.success() {
        return Err(FileError::Other(format!(
            "the editor \"{}\" exited with {status}; nothing was written",
            argv[..argv.len() - 1].join(" ")
        )));
    }
    scratch
        .read(&path)
        .map_err(|e| FileError::Other(format!("cannot read back the edited file: {e}")))
}

/// The temp file's suffix: the original file's extension, so editors pick
/// the right syntax mode (ansible does the same).
pub fn suffix_of(path: &std::path::Path) -> String {
    path.extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default()
}
