//! The PBKDF2-HMAC-SHA256 iteration loop over several independent output
//! blocks at once. With the x86 SHA extensions one compression is bound by
//! the latency of `sha256rnds2`, so interleaving independent chains (the
//! 32-byte blocks of one PBKDF2 output) keeps the SHA unit busy: three lanes
//! take 1.13 ms here where one takes 0.67 ms; the whole loop keeps its
//! digests in vector registers (a round trip through bytes per compression
//! cost ~20%). Elsewhere it falls back to one `sha2` compression per lane.
//!
//! The SHA-NI loop is compiled twice: for x86-64's 16 vector registers, and
//! with AVX-512VL, whose 32 let three lanes' states and message words stay
//! in registers (three lanes: ~1.18 ms down to ~1.06-1.11 ms here; see
//! docs/benchmarks.md). The SHA instructions themselves are the same.

/// `U_2 ^ ... ^ U_rounds` XORed into `acc[i]` for every lane, where `u[i]`
/// holds `U_1` and `inner`/`outer` are the HMAC key's ipad/opad states.
/// Every value is in state words (big-endian digest words). `u` is left
/// holding the last `U` of each lane: the caller wipes it.
pub(crate) fn hmac_iterations<const N: usize>(
    (inner, outer): (&[u32; 8], &[u32; 8]),
    u: &mut [[u32; 8]; N],
    acc: &mut [[u32; 8]; N],
    rounds: u32,
) {
    #[cfg(target_arch = "x86_64")]
    if has_sha_ni() {
        if has_avx512vl() {
            // SAFETY: the CPU supports every feature the function enables.
            unsafe { x86::wide::hmac_iterations(inner, outer, u, acc, rounds) };
        } else {
            // SAFETY: as above.
            unsafe { x86::sse::hmac_iterations(inner, outer, u, acc, rounds) };
        }
        return;
    }
    portable_hmac_iterations((inner, outer), u, acc, rounds);
}

/// [`hmac_iterations`] with one `sha2` compression per call.
fn portable_hmac_iterations<const N: usize>(
    (inner, outer): (&[u32; 8], &[u32; 8]),
    u: &mut [[u32; 8]; N],
    acc: &mut [[u32; 8]; N],
    rounds: u32,
) {
    use sha2::block_api::compress256;
    use zeroize::Zeroize;
    // Blocks holding a 32-byte digest, padded as the tail of a 96-byte
    // message (the 64-byte key block is already in the key state).
    let mut block = [[0u8; 64]; 1];
    block[0][32] = 0x80;
    block[0][56..].copy_from_slice(&(96u64 * 8).to_be_bytes());
    for (u, acc) in u.iter_mut().zip(acc.iter_mut()) {
        for _ in 1..rounds {
            for key in [inner, outer] {
                for (dst, word) in block[0][..32].chunks_exact_mut(4).zip(u.iter()) {
                    dst.copy_from_slice(&word.to_be_bytes());
                }
                *u = *key;
                compress256(u, &block);
            }
            for (a, w) in acc.iter_mut().zip(u.iter()) {
                *a ^= w;
            }
        }
    }
    block.zeroize();
}

#[cfg(target_arch = "x86_64")]
fn has_sha_ni() -> bool {
    // std caches the CPU's features after the first question.
    std::arch::is_x86_feature_detected!("sha")
        && std::arch::is_x86_feature_detected!("sse4.1")
        && std::arch::is_x86_feature_detected!("ssse3")
}

#[cfg(target_arch = "x86_64")]
fn has_avx512vl() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512vl")
}

#[cfg(target_arch = "x86_64")]
mod x86 {
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

    /// Four rounds of every lane, the round number a literal: with a loop
    /// over it the message words were indexed at run time and lived in
    /// memory, which put stores and loads on the chain of rounds.
    macro_rules! rounds4 {
        ($r:literal, $w:ident, $abef:ident, $cdgh:ident) => {{
            const I: usize = $r % 4;
            let rk = _mm_set_epi32(
                K32[4 * $r + 3] as i32,
                K32[4 * $r + 2] as i32,
                K32[4 * $r + 1] as i32,
                K32[4 * $r] as i32,
            );
            for l in 0..$abef.len() {
                if $r >= 4 {
                    let t1 = _mm_sha256msg1_epu32($w[l][I], $w[l][(I + 1) % 4]);
                    let t2 = _mm_alignr_epi8($w[l][(I + 3) % 4], $w[l][(I + 2) % 4], 4);
                    $w[l][I] = _mm_sha256msg2_epu32(_mm_add_epi32(t1, t2), $w[l][(I + 3) % 4]);
                }
                let t1 = _mm_add_epi32($w[l][I], rk);
                $cdgh[l] = _mm_sha256rnds2_epu32($cdgh[l], $abef[l], t1);
                $abef[l] = _mm_sha256rnds2_epu32($abef[l], $cdgh[l], _mm_shuffle_epi32(t1, 0x0E));
            }
        }};
    }

    /// One copy of the loop, its functions compiled with `$features`.
    macro_rules! sha_ni_loop {
        ($name:ident, $features:literal) => {
            pub(super) mod $name {
                use super::K32;
                use std::arch::x86_64::*;

                /// The `sha2` crate's SHA-NI rounds, one block per lane, with the lanes'
                /// rounds interleaved; states in the instructions' ABEF/CDGH layout,
                /// message words lane 0 first. Adds the input state (the feed-forward).
                #[target_feature(enable = $features)]
                #[inline]
                fn compress<const N: usize>(
                    abef: &mut [__m128i; N],
                    cdgh: &mut [__m128i; N],
                    mut w: [[__m128i; 4]; N],
                ) {
                    let (abef_save, cdgh_save) = (*abef, *cdgh);
                    rounds4!(0, w, abef, cdgh);
                    rounds4!(1, w, abef, cdgh);
                    rounds4!(2, w, abef, cdgh);
                    rounds4!(3, w, abef, cdgh);
                    rounds4!(4, w, abef, cdgh);
                    rounds4!(5, w, abef, cdgh);
                    rounds4!(6, w, abef, cdgh);
                    rounds4!(7, w, abef, cdgh);
                    rounds4!(8, w, abef, cdgh);
                    rounds4!(9, w, abef, cdgh);
                    rounds4!(10, w, abef, cdgh);
                    rounds4!(11, w, abef, cdgh);
                    rounds4!(12, w, abef, cdgh);
                    rounds4!(13, w, abef, cdgh);
                    rounds4!(14, w, abef, cdgh);
                    rounds4!(15, w, abef, cdgh);
                    for l in 0..N {
                        abef[l] = _mm_add_epi32(abef[l], abef_save[l]);
                        cdgh[l] = _mm_add_epi32(cdgh[l], cdgh_save[l]);
                    }
                }

                /// State words (a..d, e..h, lane 0 first) to the ABEF/CDGH layout.
                #[target_feature(enable = $features)]
                #[inline]
                fn to_rounds_layout(abcd: __m128i, efgh: __m128i) -> (__m128i, __m128i) {
                    let cdab = _mm_shuffle_epi32(abcd, 0xB1);
                    let efgh = _mm_shuffle_epi32(efgh, 0x1B);
                    (
                        _mm_alignr_epi8(cdab, efgh, 8),
                        _mm_blend_epi16(efgh, cdab, 0xF0),
                    )
                }

                /// The ABEF/CDGH layout back to state words (a..d, e..h, lane 0 first),
                /// which are also the message words of a block holding the digest.
                #[target_feature(enable = $features)]
                #[inline]
                fn to_state_words(abef: __m128i, cdgh: __m128i) -> (__m128i, __m128i) {
                    let feba = _mm_shuffle_epi32(abef, 0x1B);
                    let dchg = _mm_shuffle_epi32(cdgh, 0xB1);
                    (
                        _mm_blend_epi16(feba, dchg, 0xF0),
                        _mm_alignr_epi8(dchg, feba, 8),
                    )
                }

                #[target_feature(enable = $features)]
                #[inline]
                fn load(words: &[u32; 8]) -> (__m128i, __m128i) {
                    let p: *const __m128i = words.as_ptr().cast();
                    // SAFETY: [u32; 8] holds two unaligned 16-byte loads.
                    unsafe { (_mm_loadu_si128(p), _mm_loadu_si128(p.add(1))) }
                }

                #[target_feature(enable = $features)]
                #[inline]
                fn store(words: &mut [u32; 8], (lo, hi): (__m128i, __m128i)) {
                    let p: *mut __m128i = words.as_mut_ptr().cast();
                    // SAFETY: [u32; 8] holds two unaligned 16-byte stores.
                    unsafe {
                        _mm_storeu_si128(p, lo);
                        _mm_storeu_si128(p.add(1), hi);
                    }
                }

                /// See [`crate::vault::sha256x::hmac_iterations`]: the same loop, every digest in
                /// registers from the first iteration to the last.
                #[target_feature(enable = $features)]
                pub(in crate::vault::sha256x) unsafe fn hmac_iterations<const N: usize>(
                    inner: &[u32; 8],
                    outer: &[u32; 8],
                    u: &mut [[u32; 8]; N],
                    acc: &mut [[u32; 8]; N],
                    rounds: u32,
                ) {
                    let (inner_abcd, inner_efgh) = load(inner);
                    let inner = to_rounds_layout(inner_abcd, inner_efgh);
                    let (outer_abcd, outer_efgh) = load(outer);
                    let outer = to_rounds_layout(outer_abcd, outer_efgh);
                    // Words 8..16 of a block holding a 32-byte digest, padded as the
                    // tail of a 96-byte message (the key block is in the key state).
                    let pad_hi = _mm_set_epi32(0, 0, 0, 0x8000_0000u32 as i32);
                    let pad_lo = _mm_set_epi32(96 * 8, 0, 0, 0);
                    let mut us = [(_mm_setzero_si128(), _mm_setzero_si128()); N];
                    let mut accs = us;
                    for l in 0..N {
                        us[l] = load(&u[l]);
                        accs[l] = load(&acc[l]);
                    }
                    for _ in 1..rounds {
                        let mut abef = [inner.0; N];
                        let mut cdgh = [inner.1; N];
                        compress(
                            &mut abef,
                            &mut cdgh,
                            us.map(|(lo, hi)| [lo, hi, pad_hi, pad_lo]),
                        );
                        let mut w = [[pad_hi; 4]; N];
                        for l in 0..N {
                            let (lo, hi) = to_state_words(abef[l], cdgh[l]);
                            w[l] = [lo, hi, pad_hi, pad_lo];
                        }
                        let mut abef = [outer.0; N];
                        let mut cdgh = [outer.1; N];
                        compress(&mut abef, &mut cdgh, w);
                        for l in 0..N {
                            let (lo, hi) = to_state_words(abef[l], cdgh[l]);
                            us[l] = (lo, hi);
                            accs[l] = (_mm_xor_si128(accs[l].0, lo), _mm_xor_si128(accs[l].1, hi));
                        }
                    }
                    for l in 0..N {
                        store(&mut u[l], us[l]);
                        store(&mut acc[l], accs[l]);
                    }
                }
            }
        };
    }

    sha_ni_loop!(sse, "sha,sse2,ssse3,sse4.1");
    sha_ni_loop!(wide, "sha,sse2,ssse3,sse4.1,avx512f,avx512vl");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug)]
    enum Loop {
        /// What `hmac_iterations` picks for this CPU.
        Chosen,
        #[cfg(target_arch = "x86_64")]
        Sse,
        #[cfg(target_arch = "x86_64")]
        Wide,
    }

    fn run<const N: usize>(
        which: Loop,
        keys: (&[u32; 8], &[u32; 8]),
        u: &mut [[u32; 8]; N],
        acc: &mut [[u32; 8]; N],
        rounds: u32,
    ) {
        match which {
            Loop::Chosen => hmac_iterations(keys, u, acc, rounds),
            // SAFETY: `loops_here` lists these only when the CPU has their features.
            #[cfg(target_arch = "x86_64")]
            Loop::Sse => unsafe { x86::sse::hmac_iterations(keys.0, keys.1, u, acc, rounds) },
            #[cfg(target_arch = "x86_64")]
            Loop::Wide => unsafe { x86::wide::hmac_iterations(keys.0, keys.1, u, acc, rounds) },
        }
    }

    /// Every build of the loop this CPU can run.
    fn loops_here() -> Vec<Loop> {
        #[allow(unused_mut)]
        let mut loops = vec![Loop::Chosen];
        #[cfg(target_arch = "x86_64")]
        if has_sha_ni() {
            loops.push(Loop::Sse);
            if has_avx512vl() {
                loops.push(Loop::Wide);
            }
        }
        loops
    }

    #[test]
    fn lanes_match_one_compression_at_a_time() {
        let mut seed = 0x1234_5678u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            seed
        };
        for rounds in [1, 2, 3, 17] {
            let keys: [[u32; 8]; 2] = std::array::from_fn(|_| std::array::from_fn(|_| next()));
            let u: [[u32; 8]; 3] = std::array::from_fn(|_| std::array::from_fn(|_| next()));
            let acc: [[u32; 8]; 3] = std::array::from_fn(|_| std::array::from_fn(|_| next()));
            let keys = (&keys[0], &keys[1]);
            let (mut want_u, mut want_acc) = (u, acc);
            portable_hmac_iterations(keys, &mut want_u, &mut want_acc, rounds);
            for which in loops_here() {
                let (mut three_u, mut three_acc) = (u, acc);
                run(which, keys, &mut three_u, &mut three_acc, rounds);
                assert_eq!(
                    (three_u, three_acc),
                    (want_u, want_acc),
                    "{which:?}, {rounds} rounds"
                );
                let (mut two_u, mut two_acc) = ([u[0], u[1]], [acc[0], acc[1]]);
                run(which, keys, &mut two_u, &mut two_acc, rounds);
                assert_eq!(two_u, [want_u[0], want_u[1]], "{which:?}");
                assert_eq!(two_acc, [want_acc[0], want_acc[1]], "{which:?}");
                let (mut one_u, mut one_acc) = ([u[2]], [acc[2]]);
                run(which, keys, &mut one_u, &mut one_acc, rounds);
                assert_eq!((one_u, one_acc), ([want_u[2]], [want_acc[2]]), "{which:?}");
            }
        }
    }
}
