//! SHA-256 compression of several independent blocks at once. With the x86
//! SHA extensions one compression is bound by the latency of `sha256rnds2`,
//! not its throughput, so interleaving independent chains (the 32-byte
//! blocks of one PBKDF2 output) runs them in about the time of one.
//! Elsewhere it falls back to one `sha2` compression per lane.

/// Compresses `blocks[i]` into `states[i]` for every lane.
pub(crate) fn compress_lanes<const N: usize>(states: &mut [[u32; 8]; N], blocks: &[[u8; 64]; N]) {
    #[cfg(target_arch = "x86_64")]
    if has_sha_ni() {
        // SAFETY: the CPU supports every feature the function enables.
        unsafe { x86::compress_lanes(states, blocks) };
        return;
    }
    for (state, block) in states.iter_mut().zip(blocks) {
        sha2::block_api::compress256(state, std::slice::from_ref(block));
    }
}

#[cfg(target_arch = "x86_64")]
fn has_sha_ni() -> bool {
    static DETECTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DETECTED.get_or_init(|| {
        std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("sse4.1")
            && std::arch::is_x86_feature_detected!("ssse3")
    })
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    const K32: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    /// The `sha2` crate's SHA-NI compression, one block per lane, with the
    /// lanes' rounds interleaved.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub(super) unsafe fn compress_lanes<const N: usize>(
        states: &mut [[u32; 8]; N],
        blocks: &[[u8; 64]; N],
    ) {
        let mask = _mm_set_epi64x(0x0C0D_0E0F_0809_0A0B, 0x0405_0607_0001_0203);
        let mut abef = [_mm_setzero_si128(); N];
        let mut cdgh = [_mm_setzero_si128(); N];
        let mut w = [[_mm_setzero_si128(); 4]; N];
        for l in 0..N {
            // SAFETY: [u32; 8] and [u8; 64] hold two and four unaligned 16-byte loads.
            let (dcba, hgfe, words) = unsafe {
                let s: *const __m128i = states[l].as_ptr().cast();
                let b: *const __m128i = blocks[l].as_ptr().cast();
                (
                    _mm_loadu_si128(s),
                    _mm_loadu_si128(s.add(1)),
                    [0, 1, 2, 3].map(|i| _mm_shuffle_epi8(_mm_loadu_si128(b.add(i)), mask)),
                )
            };
            let cdab = _mm_shuffle_epi32(dcba, 0xB1);
            let efgh = _mm_shuffle_epi32(hgfe, 0x1B);
            abef[l] = _mm_alignr_epi8(cdab, efgh, 8);
            cdgh[l] = _mm_blend_epi16(efgh, cdab, 0xF0);
            w[l] = words;
        }
        let (abef_save, cdgh_save) = (abef, cdgh);
        for r in 0..16 {
            let rk = _mm_set_epi32(
                K32[4 * r + 3] as i32,
                K32[4 * r + 2] as i32,
                K32[4 * r + 1] as i32,
                K32[4 * r] as i32,
            );
            for l in 0..N {
                let i = r % 4;
                if r >= 4 {
                    let t1 = _mm_sha256msg1_epu32(w[l][i], w[l][(i + 1) % 4]);
                    let t2 = _mm_alignr_epi8(w[l][(i + 3) % 4], w[l][(i + 2) % 4], 4);
                    w[l][i] = _mm_sha256msg2_epu32(_mm_add_epi32(t1, t2), w[l][(i + 3) % 4]);
                }
                let t1 = _mm_add_epi32(w[l][i], rk);
                cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], t1);
                abef[l] = _mm_sha256rnds2_epu32(abef[l], cdgh[l], _mm_shuffle_epi32(t1, 0x0E));
            }
        }
        for l in 0..N {
            let abef = _mm_add_epi32(abef[l], abef_save[l]);
            let cdgh = _mm_add_epi32(cdgh[l], cdgh_save[l]);
            let feba = _mm_shuffle_epi32(abef, 0x1B);
            let dchg = _mm_shuffle_epi32(cdgh, 0xB1);
            // SAFETY: [u32; 8] holds two unaligned 16-byte stores.
            unsafe {
                let s: *mut __m128i = states[l].as_mut_ptr().cast();
                _mm_storeu_si128(s, _mm_blend_epi16(feba, dchg, 0xF0));
                _mm_storeu_si128(s.add(1), _mm_alignr_epi8(dchg, feba, 8));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_match_the_sha2_crate() {
        let mut seed = 0x1234_5678u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            seed
        };
        for _ in 0..50 {
            let mut states = [[0u32; 8]; 3];
            let mut blocks = [[0u8; 64]; 3];
            for l in 0..3 {
                states[l] = std::array::from_fn(|_| next());
                blocks[l] = std::array::from_fn(|_| next() as u8);
            }
            let mut expected = states;
            for l in 0..3 {
                sha2::block_api::compress256(&mut expected[l], std::slice::from_ref(&blocks[l]));
            }
            let mut three = states;
            compress_lanes(&mut three, &blocks);
            assert_eq!(three, expected);
            let mut two = [states[0], states[1]];
            compress_lanes(&mut two, &[blocks[0], blocks[1]]);
            assert_eq!(two, [expected[0], expected[1]]);
            let mut one = [states[2]];
            compress_lanes(&mut one, &[blocks[2]]);
            assert_eq!(one, [expected[2]]);
        }
    }
}
