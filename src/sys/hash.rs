//! FNV-1a over 64-bit words: a small, stable mix of a file's identity into
//! one number for its validator. Not for anything an attacker chooses.

/// FNV-1a (64-bit) over the little-endian bytes of `words`.
pub fn fnv1a(words: &[u64]) -> u64 {
    fnv1a_bytes(words.iter().flat_map(|word| word.to_le_bytes()))
}

/// FNV-1a (64-bit) over `bytes`.
pub fn fnv1a_bytes(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_table() {
        // FNV-1a of the empty input is its offset basis; one word differs
        // from another, and order matters.
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fnv1a(&[1]), fnv1a(&[2]));
        assert_ne!(fnv1a(&[1, 2]), fnv1a(&[2, 1]));
        assert_eq!(fnv1a(&[7, 9]), fnv1a(&[7, 9]));
    }
}
