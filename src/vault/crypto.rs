//! The AES256 vault cipher: PBKDF2-HMAC-SHA256 key derivation, AES-256-CTR
//! with a 128-bit big-endian counter, PKCS7, and encrypt-then-MAC HMAC-SHA256.
//!
//! Pure functions over bytes, byte-exact with ansible-core's `VaultAES256`.

use aes::Aes256;
use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::VaultError;

/// ansible's fixed PBKDF2 iteration count.
pub const PBKDF2_ITERATIONS: u32 = 10_000;
/// Salt length ansible writes (any length is read).
pub const SALT_LEN: usize = 32;
const KEY_LEN: usize = 32;
const IV_LEN: usize = 16;
const BLOCK: usize = 16;

// OpenSSL's CTR (what python-cryptography uses) carries across all 16 bytes.
type Aes256Ctr = ctr::Ctr128BE<Aes256>;
type HmacSha256 = hmac::Hmac<Sha256>;

/// The 80 bytes derived from a password and salt: AES key, HMAC key, CTR IV.
pub struct DerivedKeys {
    bytes: Zeroizing<[u8; 2 * KEY_LEN + IV_LEN]>,
}

impl DerivedKeys {
    /// PBKDF2-HMAC-SHA256(password, salt, 10000) → 80 bytes.
    pub fn derive(password: &[u8], salt: &[u8]) -> Self {
        let mut bytes = Zeroizing::new([0u8; 2 * KEY_LEN + IV_LEN]);
        pbkdf2_hmac_sha256(password, salt, PBKDF2_ITERATIONS, bytes.as_mut());
        DerivedKeys { bytes }
    }

    fn cipher_key(&self) -> &[u8] {
        &self.bytes[..KEY_LEN]
    }

    fn hmac_key(&self) -> &[u8] {
        &self.bytes[KEY_LEN..2 * KEY_LEN]
    }

    fn iv(&self) -> &[u8] {
        &self.bytes[2 * KEY_LEN..]
    }

    fn apply_keystream(&self, buf: &mut [u8]) {
        // Lengths are fixed by construction, so new_from_slices cannot fail.
        if let Ok(mut cipher) = Aes256Ctr::new_from_slices(self.cipher_key(), self.iv()) {
            cipher.apply_keystream(buf);
        }
    }

    fn mac(&self) -> HmacSha256 {
        <HmacSha256 as KeyInit>::new_from_slice(self.hmac_key())
            .expect("HMAC takes keys of any length")
    }

    /// Pads, encrypts and authenticates: returns (ciphertext, hmac).
    pub fn seal(&self, plaintext: &[u8]) -> (Vec<u8>, [u8; 32]) {
        let mut buf = pkcs7_pad(plaintext);
        self.apply_keystream(&mut buf);
        let mut mac = self.mac();
        mac.update(&buf);
        (buf, mac.finalize().into_bytes().into())
    }

    /// Whether `expected` is the HMAC of `ciphertext`, compared in constant time.
    pub fn verify(&self, ciphertext: &[u8], expected: &[u8]) -> bool {
        let mut mac = self.mac();
        mac.update(ciphertext);
        mac.verify_slice(expected).is_ok()
    }

    /// Decrypts and unpads a ciphertext whose HMAC was verified.
    pub fn open(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        self.open_in_place(ciphertext.to_vec())
    }

    /// [`open`](Self::open) in the ciphertext's own buffer, which holds the
    /// plaintext from here on (and is wiped when dropped).
    pub fn open_in_place(&self, ciphertext: Vec<u8>) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let mut buf = Zeroizing::new(ciphertext);
        self.apply_keystream(&mut buf);
        let len = pkcs7_unpadded_len(&buf).ok_or(VaultError::BadPadding)?;
        buf.truncate(len);
        Ok(buf)
    }
}

/// A short keyed fingerprint of a value, for `textconv --redact`: shows
/// whether a secret changed without revealing it. The key is derived from a
/// vault password, so without it low-entropy values cannot be guessed.
pub struct Fingerprinter {
    key: Zeroizing<[u8; 32]>,
}

impl Fingerprinter {
    pub fn new(password: &[u8]) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        pbkdf2::pbkdf2_hmac::<Sha256>(
            password,
            b"vaultrot textconv fingerprint v1",
            PBKDF2_ITERATIONS,
            key.as_mut(),
        );
        Fingerprinter { key }
    }

    /// 12 hex digits of HMAC-SHA256(key, name NUL value).
    pub fn fingerprint(&self, name: &str, value: &[u8]) -> String {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(self.key.as_ref())
            .expect("HMAC takes keys of any length");
        mac.update(name.as_bytes());
        mac.update(&[0]);
        mac.update(value);
        const_hex::encode(&mac.finalize().into_bytes()[..6])
    }
}

/// PKCS7 to 16-byte blocks: always 1..=16 bytes of padding.
fn pkcs7_pad(data: &[u8]) -> Vec<u8> {
    let pad = BLOCK - data.len() % BLOCK;
    let mut out = Vec::with_capacity(data.len() + pad);
    out.extend_from_slice(data);
    out.resize(data.len() + pad, pad as u8);
    out
}

/// Strict PKCS7 check, as python-cryptography's unpadder; `None` if invalid.
pub(crate) fn pkcs7_unpadded_len(data: &[u8]) -> Option<usize> {
    if data.is_empty() || !data.len().is_multiple_of(BLOCK) {
        return None;
    }
    let pad = *data.last()? as usize;
    if pad == 0 || pad > BLOCK || data[data.len() - pad..].iter().any(|b| *b as usize != pad) {
        return None;
    }
    Some(data.len() - pad)
}

const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// PBKDF2-HMAC-SHA256, same output as `pbkdf2::pbkdf2_hmac::<Sha256>`.
///
/// Every derivation is 60,000 SHA-256 compressions, and a vault with several
/// secrets pays it per secret tried, so the iterations run on the raw
/// compression function: the HMAC's inner and outer key states are computed
/// once, each iteration is two compressions of one pre-padded block, and the
/// running XOR stays in state words. (The generic HMAC's buffering costs
/// ~10%; round-tripping each digest through a byte array cost ~20% more, in
/// store-forwarding stalls.)
///
/// The 32-byte output blocks are independent: they run as interleaved lanes
/// of one iteration loop (`sha256x::hmac_iterations`), on the calling thread.
fn pbkdf2_hmac_sha256(password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
    use sha2::Digest;
    use sha2::block_api::compress256;
    use zeroize::Zeroize;

    let mut key = [0u8; 64];
    if password.len() > key.len() {
        key[..32].copy_from_slice(&Sha256::digest(password));
    } else {
        key[..password.len()].copy_from_slice(password);
    }
    let key_state = |pad: u8| {
        let mut block = [[0u8; 64]; 1];
        for (b, k) in block[0].iter_mut().zip(key.iter()) {
            *b = k ^ pad;
        }
        let mut state = SHA256_IV;
        compress256(&mut state, &block);
        block.zeroize();
        state
    };
    // The key states are not wiped: a wipe pins them to memory and costs
    // ~10% of every derivation, and the SIMD loop spills registers anyway,
    // so a wipe would promise more than it gives.
    let keys = (key_state(0x36), key_state(0x5c));
    key.zeroize();
    let prf = <HmacSha256 as KeyInit>::new_from_slice(password).expect("HMAC takes any key");
    let mut chunks: Vec<(usize, &mut [u8])> = out.chunks_mut(32).enumerate().collect();

    // ansible's 80 bytes are 3 blocks, computed as 3 interleaved lanes on
    // this thread: one chain alone leaves the SHA unit waiting on latency
    // (0.67 ms for one lane, 1.13 ms for three), and a second thread costs
    // more than it saves in a short-lived process (a whole `view` measured
    // 0.5 ms slower with the third block on one).
    for group in chunks.chunks_mut(3) {
        match group {
            [(a, ca), (b, cb), (c, cc)] => {
                let accs = pbkdf2_blocks(keys, &prf, salt, rounds, [*a, *b, *c]);
                for (mut acc, chunk) in accs.into_iter().zip([ca, cb, cc]) {
                    write_block(&mut acc, chunk);
                }
            }
            [(a, ca), (b, cb)] => {
                let accs = pbkdf2_blocks(keys, &prf, salt, rounds, [*a, *b]);
                for (mut acc, chunk) in accs.into_iter().zip([ca, cb]) {
                    write_block(&mut acc, chunk);
                }
            }
            [(a, ca)] => {
                let [mut acc] = pbkdf2_blocks(keys, &prf, salt, rounds, [*a]);
                write_block(&mut acc, ca);
            }
            _ => {}
        }
    }
}

/// Writes a block's words big-endian (truncated to the chunk) and wipes them.
fn write_block(acc: &mut [u32; 8], chunk: &mut [u8]) {
    use zeroize::Zeroize;
    for (dst, word) in chunk.chunks_mut(4).zip(acc.iter()) {
        dst.copy_from_slice(&word.to_be_bytes()[..dst.len()]);
    }
    acc.zeroize();
}

/// PBKDF2 output blocks `T_(index+1)` for several indices at once, from the
/// HMAC key states; the lanes' iterations are interleaved. Locals are plain
/// arrays, not `Zeroizing` (which kept them in memory in the hot loop), and
/// are wiped afterwards.
fn pbkdf2_blocks<const N: usize>(
    (inner, outer): ([u32; 8], [u32; 8]),
    prf: &HmacSha256,
    salt: &[u8],
    rounds: u32,
    indices: [usize; N],
) -> [[u32; 8]; N] {
    use zeroize::Zeroize;

    let mut u = [[0u32; 8]; N];
    for (l, index) in indices.iter().enumerate() {
        let mut mac = prf.clone();
        mac.update(salt);
        mac.update(&(*index as u32 + 1).to_be_bytes());
        let mut first = mac.finalize().into_bytes();
        for (w, bytes) in u[l].iter_mut().zip(first.chunks_exact(4)) {
            *w = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        first.zeroize();
    }
    let mut acc = u;
    super::sha256x::hmac_iterations((&inner, &outer), &mut u, &mut acc, rounds);
    u.zeroize();
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_matches_python_hashlib() {
        // hashlib.pbkdf2_hmac('sha256', b'password', b'salt', 10000, 80).hex()
        let keys = DerivedKeys::derive(b"password", b"salt");
        assert_eq!(
            const_hex::encode(&keys.bytes[..]),
            "5ec02b91a4b59c6f59dd5fbe4ca649ece4fa8568cdb8ba36cf41426e8805522b\
             a4e2aeac19a4821501cf609126ab01df25661083bf66f95e5217fee3198504b1\
             f776af5b88f09b3157d3c29eb580ff30"
        );
    }

    #[test]
    fn raw_pbkdf2_matches_the_pbkdf2_crate() {
        let long = [0xa5u8; 200];
        let cases: [(&[u8], &[u8], u32); 6] = [
            (b"password", b"salt", 1),
            (b"password", b"salt", 2),
            (b"", b"", 3),
            (&long[..64], b"exactly one key block", 7),
            (&long, &long, 5),
            (b"pw", &long[..33], PBKDF2_ITERATIONS),
        ];
        // 1 to 7 output blocks: lane groups of 3, 2 and 1, and partial last blocks.
        for (password, salt, rounds) in cases {
            for len in [1, 32, 33, 64, 80, 129, 224] {
                let mut ours = vec![0u8; len];
                let mut theirs = vec![0u8; len];
                pbkdf2_hmac_sha256(password, salt, rounds, &mut ours);
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, rounds, &mut theirs);
                assert_eq!(ours, theirs, "{rounds} rounds, {len} bytes");
            }
        }
    }

    #[test]
    fn padding_is_strict() {
        assert_eq!(pkcs7_pad(b"").len(), 16);
        assert_eq!(pkcs7_pad(&[0; 16]).len(), 32);
        assert_eq!(pkcs7_unpadded_len(&[16u8; 16]), Some(0));
        assert_eq!(pkcs7_unpadded_len(&[0u8; 16]), None);
        assert_eq!(pkcs7_unpadded_len(&[17u8; 16]), None);
        assert_eq!(pkcs7_unpadded_len(&[1u8; 15]), None);
        let mut bad = [2u8; 16];
        bad[14] = 3;
        assert_eq!(pkcs7_unpadded_len(&bad), None);
    }

    #[test]
    fn seal_then_open() {
        let keys = DerivedKeys::derive(b"pw", b"salt");
        let (ct, tag) = keys.seal(b"hello");
        assert!(keys.verify(&ct, &tag));
        assert!(!keys.verify(&ct, &tag[..31]));
        assert_eq!(&keys.open(&ct).unwrap()[..], b"hello");
    }
}
