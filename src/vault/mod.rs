//! The ansible-vault engine: envelope codec ([`envelope`]) and cipher
//! ([`crypto`], [`legacy`]). [`decrypt`] and [`encrypt`] are pure functions
//! over bytes; where passwords come from lives above, in `passwords::sources`.

pub mod crypto;
pub mod envelope;
mod hex;
pub mod legacy;
mod sha256x;

use std::fmt;

use zeroize::Zeroizing;

pub use envelope::{DEFAULT_LABEL, is_encrypted};

/// Why a vault could not be read or written. Messages are ansible's own
/// wording where ansible has one, so scripts that grep for them keep working.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("Input is not vault encrypted data.")]
    NotVault,
    #[error("Vault envelope format error: list index out of range")]
    EnvelopeFormat,
    #[error("Cipher '{0}' could not be found.")]
    UnknownCipher(String),
    #[error("Vault format unhexlify error: {0}")]
    Unhexlify(&'static str),
    #[error("Vault vaulttext format error: not enough values to unpack (expected 3, got {0})")]
    VaulttextParts(usize),
    #[error("Decryption failed (no vault secrets were found that could decrypt).")]
    DecryptionFailed,
    #[error(
        "Invalid padding bytes: the HMAC is valid but the padding is not, so the data was crafted"
    )]
    BadPadding,
    #[error("Attempting to decrypt but no vault secrets found.")]
    NoSecrets,
    #[error("input is already encrypted")]
    AlreadyEncrypted,
    #[error(
        "vault-id label {0:?} cannot be written: ansible can only read labels of printable ASCII without ';' or spaces"
    )]
    UnwritableLabel(String),
    #[error("legacy AES vault is malformed (expected OpenSSL 'Salted__' framing)")]
    LegacyFormat,
}

/// Every vault failure is ansible's `AnsibleError` (1).
impl crate::exit_codes::ExitCode for VaultError {
    fn exit_code(&self) -> i32 {
        crate::exit_codes::ERROR
    }
}

/// One password with its vault-id label, as ansible's `(label, VaultSecret)` pair.
#[derive(Clone)]
pub struct VaultSecret {
    pub label: String,
    password: Zeroizing<Vec<u8>>,
}

impl VaultSecret {
    pub fn new(label: impl Into<String>, password: Zeroizing<Vec<u8>>) -> Self {
        VaultSecret {
            label: label.into(),
            password,
        }
    }

    pub fn password(&self) -> &[u8] {
        &self.password
    }
}

impl fmt::Debug for VaultSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultSecret")
            .field("label", &self.label)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A successful decryption.
pub struct Decrypted {
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The label in the header (`None` for a header without a 4th field).
    pub header_label: Option<String>,
    /// Index into the secrets slice of the secret that opened it.
    pub secret_index: usize,
    /// True for a pre-2.7 `AES` vault that ansible itself can no longer read.
    pub legacy: bool,
}

/// How decryption picks among several secrets.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecryptOptions {
    /// ansible's `vault_id_match`: only secrets whose label equals the header's.
    pub only_matching_label: bool,
}

/// Decrypts a vault with the first secret that opens it.
///
/// Secrets whose label matches the header are tried first: with at most one
/// password per blob this gives ansible's result with fewer derivations (docs/architecture.md, "Secrets, vault-ids and order").
pub fn decrypt(
    data: &[u8],
    secrets: &[VaultSecret],
    options: DecryptOptions,
) -> Result<Decrypted, VaultError> {
    let (header, lines) = envelope::parse_header(data)?;
    let header_label = header.label.as_deref().unwrap_or(DEFAULT_LABEL);
    let legacy = match header.cipher.as_str() {
        envelope::CIPHER_AES256 => false,
        envelope::CIPHER_LEGACY_AES => true,
        other => return Err(VaultError::UnknownCipher(other.to_string())),
    };
    if secrets.is_empty() {
        return Err(VaultError::NoSecrets);
    }
    // With vault_id_match, no matching label leaves nothing to try: ansible
    // then reports a failed decryption, not missing secrets.
    let candidates = candidate_order(secrets, header_label, options);
    let found = |plaintext, secret_index| Decrypted {
        plaintext,
        header_label: header.label.clone(),
        secret_index,
        legacy,
    };

    if legacy {
        let payload = envelope::split_lines(lines).concat();
        for index in candidates {
            if let Some(plain) = legacy::decrypt(&payload, secrets[index].password())? {
                return Ok(found(plain, index));
            }
        }
        return Err(VaultError::DecryptionFailed);
    }

    let text = envelope::decode_vaulttext(lines)?;
    // ansible unhexlifies the HMAC inside the secret loop but re-raises the
    // format error at once, so checking it before deriving gives the same result.
    let expected_hmac = envelope::unhexlify(&text.hmac_hex)?;
    for index in candidates {
        let keys = crypto::DerivedKeys::derive(secrets[index].password(), &text.salt);
        if keys.verify(&text.ciphertext, &expected_hmac) {
            return Ok(found(keys.open_in_place(text.ciphertext)?, index));
        }
    }
    Err(VaultError::DecryptionFailed)
}

fn candidate_order(
    secrets: &[VaultSecret],
    header_label: &str,
    options: DecryptOptions,
) -> Vec<usize> {
    let matching = (0..secrets.len()).filter(|i| secrets[*i].label == header_label);
    if options.only_matching_label {
        return matching.collect();
    }
    let others = (0..secrets.len()).filter(|i| secrets[*i].label != header_label);
    matching.chain(others).collect()
}

/// Wipes a buffer now and leaves it empty, with its memory given back.
/// Dropping a `Zeroizing<Vec<u8>>` wipes its bytes one volatile write at a
/// time (about 1 ms for the 4 MB of a 1 MiB secret file's vault) and then
/// its spare capacity in one memset: here the vector is emptied first, so
/// its whole capacity is wiped by that one memset, once.
pub fn wipe(buf: &mut Zeroizing<Vec<u8>>) {
    use zeroize::Zeroize;
    let mut bytes = std::mem::take(&mut **buf);
    bytes.clear();
    bytes.zeroize();
}

/// Where the salt of a new vault comes from.
#[derive(Clone, Default)]
pub enum SaltSource {
    /// 32 bytes from the OS CSPRNG (ansible's default).
    #[default]
    Random,
    /// ansible's `VAULT_ENCRYPT_SALT`: the string's own bytes, any length.
    Fixed(Vec<u8>),
}

impl SaltSource {
    fn salt(&self) -> Vec<u8> {
        match self {
            SaltSource::Fixed(bytes) => bytes.clone(),
            SaltSource::Random => {
                let mut salt = vec![0u8; crypto::SALT_LEN];
                rand::fill(&mut salt[..]);
                salt
            }
        }
    }
}

/// Encrypts `plaintext` as ansible-vault would, labelled with `secret.label`.
pub fn encrypt(
    plaintext: &[u8],
    secret: &VaultSecret,
    salt: &SaltSource,
) -> Result<String, VaultError> {
    if is_encrypted(plaintext) {
        return Err(VaultError::AlreadyEncrypted);
    }
    envelope::check_label(&secret.label)?;
    let salt = salt.salt();
    let keys = crypto::DerivedKeys::derive(secret.password(), &salt);
    let (ciphertext, hmac) = keys.seal(plaintext);
    Ok(envelope::format_vault(
        &secret.label,
        &salt,
        &hmac,
        &ciphertext,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(label: &str, pw: &[u8]) -> VaultSecret {
        VaultSecret::new(label, Zeroizing::new(pw.to_vec()))
    }

    #[test]
    fn round_trip_and_label() {
        let s = secret("prod", b"pw");
        let text = encrypt(b"data", &s, &SaltSource::Random).unwrap();
        assert!(text.starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
        let out = decrypt(
            text.as_bytes(),
            &[secret("x", b"no"), s],
            DecryptOptions::default(),
        )
        .unwrap();
        assert_eq!(&out.plaintext[..], b"data");
        assert_eq!(out.secret_index, 1);
        assert_eq!(out.header_label.as_deref(), Some("prod"));
    }

    #[test]
    fn id_match_filters_secrets() {
        let text = encrypt(b"x", &secret("default", b"pw"), &SaltSource::Random).unwrap();
        let only = DecryptOptions {
            only_matching_label: true,
        };
        assert!(matches!(
            decrypt(text.as_bytes(), &[secret("dev", b"pw")], only),
            Err(VaultError::DecryptionFailed)
        ));
        assert!(matches!(
            decrypt(text.as_bytes(), &[], only),
            Err(VaultError::NoSecrets)
        ));
        assert!(decrypt(text.as_bytes(), &[secret("default", b"pw")], only).is_ok());
    }

    #[test]
    fn refuses_double_encryption_and_bad_labels() {
        let s = secret("default", b"pw");
        let text = encrypt(b"x", &s, &SaltSource::Random).unwrap();
        assert!(matches!(
            encrypt(text.as_bytes(), &s, &SaltSource::Random),
            Err(VaultError::AlreadyEncrypted)
        ));
        assert!(matches!(
            encrypt(b"x", &secret("a;b", b"pw"), &SaltSource::Random),
            Err(VaultError::UnwritableLabel(_))
        ));
    }

    #[test]
    fn debug_never_shows_the_password() {
        assert!(!format!("{:?}", secret("l", b"hunter2")).contains("hunter2"));
    }
}
