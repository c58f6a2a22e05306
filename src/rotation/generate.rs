//! New secret values: random from a charset (`length`, `charset`, `exclude`),
//! taken from the operator (`external: true`), or minted by a command whose
//! stdout is the value. Values live in zeroizing memory only.

use std::process::{Command, Stdio};

use rand::RngExt;
use zeroize::Zeroizing;

/// The alphabets `generate.charset` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Alnum,
    Ascii,
    Hex,
    Base64Url,
}

impl Charset {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "alnum" => Some(Charset::Alnum),
            "ascii" => Some(Charset::Ascii),
            "hex" => Some(Charset::Hex),
            "base64url" => Some(Charset::Base64Url),
            _ => None,
        }
    }

    fn alphabet(self) -> Vec<u8> {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        match self {
            Charset::Alnum => ALNUM.to_vec(),
            // Printable ASCII without space, quotes and backslash: safe in
            // YAML, shells and connection strings without escaping.
            Charset::Ascii => (b'!'..=b'~').filter(|c| !b"\"'\\`".contains(c)).collect(),
            Charset::Hex => b"0123456789abcdef".to_vec(),
            Charset::Base64Url => [ALNUM, b"-_"].concat(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("generate.length must be between 8 and 4096, got {0}")]
    BadLength(usize),
    #[error("generate.exclude removes every character of the charset")]
    EmptyAlphabet,
    #[error("mint command `{command}` failed: {reason}")]
    Command { command: String, reason: String },
    #[error("mint command `{0}` printed nothing")]
    EmptyCommandOutput(String),
}

/// Length of a generated value when the manifest does not say.
pub const DEFAULT_LENGTH: usize = 32;

/// `A-Z a-z 0-9`, the default alphabet.
pub fn alnum() -> Vec<char> {
    Charset::Alnum
        .alphabet()
        .into_iter()
        .map(char::from)
        .collect()
}

/// A uniformly random value of `length` characters from `alphabet`.
pub fn random_from(length: usize, alphabet: &[char]) -> Result<Zeroizing<String>, GenerateError> {
    if !(8..=4096).contains(&length) {
        return Err(GenerateError::BadLength(length));
    }
    if alphabet.is_empty() {
        return Err(GenerateError::EmptyAlphabet);
    }
    let mut rng = rand::rng();
    let mut value = Zeroizing::new(String::with_capacity(length));
    for _ in 0..length {
        value.push(alphabet[rng.random_range(0..alphabet.len())]);
    }
    Ok(value)
}

/// A uniformly random value of `length` characters from `charset` minus `exclude`.
pub fn random_value(
    length: usize,
    charset: Charset,
    exclude: &str,
) -> Result<Zeroizing<String>, GenerateError> {
    let alphabet: Vec<char> = charset
        .alphabet()
        .into_iter()
        .filter(|c| !exclude.as_bytes().contains(c))
        .map(char::from)
        .collect();
    random_from(length, &alphabet)
}

/// Runs a mint command (`sh -c`, from `cwd`); its stdout minus the final
/// newline is the value. Its stderr goes to the terminal.
pub fn minted_value(
    command: &str,
    cwd: &std::path::Path,
) -> Result<Zeroizing<String>, GenerateError> {
    let fail = |reason: String| GenerateError::Command {
        command: command.to_string(),
        reason,
    };
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| fail(e.to_string()))?;
    let stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        return Err(fail(format!("exit status {}", output.status)));
    }
    let text =
        String::from_utf8(stdout.to_vec()).map_err(|_| fail("output is not UTF-8".to_string()))?;
    let value = Zeroizing::new(text.trim_end_matches(['\n', '\r']).to_string());
    drop(Zeroizing::new(text));
    if value.is_empty() {
        return Err(GenerateError::EmptyCommandOutput(command.to_string()));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_have_the_length_and_alphabet() {
        let v = random_value(32, Charset::Alnum, "0O1lI").unwrap();
        assert_eq!(v.len(), 32);
        assert!(
            v.chars()
                .all(|c| c.is_ascii_alphanumeric() && !"0O1lI".contains(c))
        );
        let h = random_value(64, Charset::Hex, "").unwrap();
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(
            random_value(32, Charset::Ascii, "").unwrap(),
            random_value(32, Charset::Ascii, "").unwrap()
        );
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(matches!(
            random_value(4, Charset::Alnum, ""),
            Err(GenerateError::BadLength(4))
        ));
        assert!(matches!(
            random_value(8, Charset::Hex, "0123456789abcdef"),
            Err(GenerateError::EmptyAlphabet)
        ));
    }

    #[test]
    fn mint_command_output_is_the_value() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            &*minted_value("printf 'tok-123\\n'", dir.path()).unwrap(),
            "tok-123"
        );
        assert!(minted_value("exit 3", dir.path()).is_err());
        assert!(matches!(
            minted_value("true", dir.path()),
            Err(GenerateError::EmptyCommandOutput(_))
        ));
    }
}
