//! New secret values: random from a charset (`length`, `charset`, `exclude`),
//! taken from the operator (`external: true`), or minted by a command whose
//! stdout is the value. Values live in zeroizing memory only.
//!
//! Ansible templates every variable it reads, vault values included, so a
//! value holding `{{`, `{%` or `{#` breaks (or worse, is evaluated by) the
//! deploy. Random values are drawn again until they hold none of the three:
//! rejection keeps the draw uniform over the values that are safe. A minted
//! value holding one is refused.

use std::io::Write;
use std::process::{Command, Stdio};

use rand::RngExt;
use zeroize::Zeroizing;

use crate::ansible::redact::Redactor;

/// Draws before giving up on an alphabet that keeps producing template
/// markers (only possible when it is little more than `{`, `#` and `%`).
const MAX_DRAWS: usize = 1000;

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
    #[error(
        "no value without `{{{{`, `{{%` or `{{#` (which Ansible would template) could be drawn from this alphabet: exclude `{{`"
    )]
    NoTemplateSafeValue,
    #[error(
        "mint command `{0}` printed a value holding `{{{{`, `{{%` or `{{#`, which Ansible would template: the deploy would break"
    )]
    TemplateUnsafeMint(String),
}

/// Whether Ansible reads `value` back as it is: no `{{`, `{%` or `{#`,
/// the openings of a Jinja expression, statement or comment.
pub fn is_template_safe(value: &str) -> bool {
    !["{{", "{%", "{#"]
        .iter()
        .any(|marker| value.contains(marker))
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

/// A random value of `length` characters from `alphabet`, uniform over the
/// values that are [template-safe](is_template_safe).
pub fn random_from(length: usize, alphabet: &[char]) -> Result<Zeroizing<String>, GenerateError> {
    if !(8..=4096).contains(&length) {
        return Err(GenerateError::BadLength(length));
    }
    if alphabet.is_empty() {
        return Err(GenerateError::EmptyAlphabet);
    }
    let mut rng = rand::rng();
    let mut value = Zeroizing::new(String::with_capacity(length));
    for _ in 0..MAX_DRAWS {
        value.clear();
        for _ in 0..length {
            value.push(alphabet[rng.random_range(0..alphabet.len())]);
        }
        if is_template_safe(&value) {
            return Ok(value);
        }
    }
    Err(GenerateError::NoTemplateSafeValue)
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
/// newline is the value. Its stderr is shown once it has exited, scrubbed of
/// the new value and of `known` (the values and passwords of the command):
/// the new value is only known at the end.
pub fn minted_value(
    command: &str,
    cwd: &std::path::Path,
    known: &[Zeroizing<Vec<u8>>],
) -> Result<Zeroizing<String>, GenerateError> {
    mint(command, cwd, known, None, &mut std::io::stderr())
}

/// [`minted_value`] for a derived secret: the command reads its source's
/// value on stdin (a pipe, never argv or the environment, which other
/// processes of the machine can read).
pub fn minted_from(
    command: &str,
    cwd: &std::path::Path,
    known: &[Zeroizing<Vec<u8>>],
    source: &[u8],
) -> Result<Zeroizing<String>, GenerateError> {
    mint(command, cwd, known, Some(source), &mut std::io::stderr())
}

fn mint(
    command: &str,
    cwd: &std::path::Path,
    known: &[Zeroizing<Vec<u8>>],
    input: Option<&[u8]>,
    shown: &mut dyn Write,
) -> Result<Zeroizing<String>, GenerateError> {
    let fail = |reason: String| GenerateError::Command {
        command: command.to_string(),
        reason,
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(e.to_string()))?;
    let output = std::thread::scope(|scope| {
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            // A writer thread: a command that prints before it has read all
            // of its stdin must not deadlock against us. A command that
            // exits without reading it is no error (EPIPE is ignored).
            scope.spawn(move || {
                let mut line = Zeroizing::new(input.to_vec());
                line.push(b'\n');
                let _ = stdin.write_all(&line);
            });
        }
        child.wait_with_output()
    })
    .map_err(|e| fail(e.to_string()))?;
    let stdout = Zeroizing::new(output.stdout);
    let stderr = Zeroizing::new(output.stderr);
    if !stderr.is_empty() {
        let minted = stdout.trim_ascii_end();
        let redactor = Redactor::new(known.iter().map(|v| &v[..]).chain([minted]));
        // A closed terminal must not lose the value the service just issued.
        let _ = shown.write_all(&redactor.scrub(&stderr));
    }
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
    if !is_template_safe(&value) {
        return Err(GenerateError::TemplateUnsafeMint(command.to_string()));
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
            &*minted_value("printf 'tok-123\\n'", dir.path(), &[]).unwrap(),
            "tok-123"
        );
        assert!(minted_value("exit 3", dir.path(), &[]).is_err());
        assert!(matches!(
            minted_value("true", dir.path(), &[]),
            Err(GenerateError::EmptyCommandOutput(_))
        ));
        assert!(matches!(
            minted_value("echo 'tok{{x}}'", dir.path(), &[]),
            Err(GenerateError::TemplateUnsafeMint(_))
        ));
    }

    #[test]
    fn a_derived_value_is_minted_from_the_source_on_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let v = minted_from(
            "read -r pw; test -z \"$*\" && printf 'tok-%s' \"$(printf %s \"$pw\" | tr a-z A-Z)\"",
            dir.path(),
            &[],
            b"abc123",
        )
        .unwrap();
        assert_eq!(&*v, "tok-ABC123");
        // A command that never reads its stdin still mints.
        assert_eq!(
            &*minted_from("echo tok-x", dir.path(), &[], b"abc").unwrap(),
            "tok-x"
        );
    }

    #[test]
    fn template_markers_are_recognised() {
        for unsafe_value in ["a{{b", "{%x", "x{#", "{{"] {
            assert!(!is_template_safe(unsafe_value), "{unsafe_value}");
        }
        for safe_value in ["a{b", "}}{", "{ {", "%{", "#{", "{"] {
            assert!(is_template_safe(safe_value), "{safe_value}");
        }
    }

    #[test]
    fn ascii_values_never_hold_template_markers() {
        // Unfiltered, about 1 in 70 of these would hold one: 20,000 draws
        // would show ~280.
        for _ in 0..20_000 {
            let v = random_value(40, Charset::Ascii, "").unwrap();
            assert!(is_template_safe(&v));
        }
    }

    #[test]
    fn the_redraw_keeps_every_safe_character_and_position_in_use() {
        // A tiny alphabet where most draws are rejected: what comes out is
        // still spread over every character at every position.
        let alphabet = ['{', '#', 'a'];
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..3_000 {
            let v = random_from(8, &alphabet).unwrap();
            assert!(is_template_safe(&v));
            for (i, c) in v.chars().enumerate() {
                seen.insert((i, c));
            }
        }
        // `{` cannot be followed by `{` or `#`, so it is only ever last or
        // before an `a`; all 24 (position, character) pairs still occur.
        assert_eq!(seen.len(), 24);
    }

    #[test]
    fn an_alphabet_of_markers_only_is_refused_not_looped_on() {
        assert!(matches!(
            random_from(64, &['{', '%']),
            Err(GenerateError::NoTemplateSafeValue)
        ));
    }

    proptest::proptest! {
        #[test]
        fn generated_values_are_template_safe(length in 8usize..80, exclude in "[A-Za-z0-9]{0,20}") {
            let v = random_value(length, Charset::Ascii, &exclude).unwrap();
            proptest::prop_assert_eq!(v.chars().count(), length);
            proptest::prop_assert!(is_template_safe(&v));
            proptest::prop_assert!(v.chars().all(|c| !exclude.contains(c)));
        }
    }

    #[test]
    fn mint_stderr_is_scrubbed_of_the_new_and_known_values() {
        let dir = tempfile::tempdir().unwrap();
        let known = [Zeroizing::new(b"old-value-123".to_vec())];
        let mut shown = Vec::new();
        let v = mint(
            "echo 'minting, old was old-value-123' >&2; echo tok-987654; echo \"issued $(echo tok-987654 | base64)\" >&2",
            dir.path(),
            &known,
            None,
            &mut shown,
        )
        .unwrap();
        assert_eq!(&*v, "tok-987654");
        let shown = String::from_utf8(shown).unwrap();
        // The last base64 character also holds the padding, so it stays.
        assert!(
            shown.starts_with("minting, old was <redacted>\nissued <redacted>"),
            "{shown}"
        );
        assert!(!shown.contains("old-value-123") && !shown.contains("dG9rLTk4NzY1N"));
    }
}
