//! ChaCha8's stream computed one 16-word block at a time, at any position: the numbers of
//! `rand_chacha::ChaCha8Rng::seed_from_u64(seed)` (stream 0), for a [`super::Compact`]
//! random source that keeps only its seed and position.
//!
//! `rand_chacha` computes four blocks at once into a 64-word buffer, which is the fast way to
//! draw many numbers in a row; a series of a large registry draws one number a scrape, from
//! a generator rebuilt for it, and needs only the block its words are in. The words and their
//! order are ChaCha's (RFC 7539's block function with 8 rounds, a 64-bit block counter in
//! words 12 and 13 and a zero stream in 14 and 15), as `rand_chacha` lays them out; the key
//! is `rand_core`'s `seed_from_u64` expansion (PCG32). Tests compare both, word for word.

use rand::RngCore;

/// "expand 32-byte k".
const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// The 256-bit key `rand_core`'s `SeedableRng::seed_from_u64(seed)` gives ChaCha: eight
/// outputs of PCG32, the state advanced before each.
pub(super) fn key_from_seed(mut state: u64) -> [u32; 8] {
    const MUL: u64 = 6_364_136_223_846_793_005;
    const INC: u64 = 11_634_580_027_462_260_723;
    let mut key = [0; 8];
    for word in &mut key {
        state = state.wrapping_mul(MUL).wrapping_add(INC);
        let xorshifted = (((state >> 18) ^ state) >> 27) as u32;
        *word = xorshifted.rotate_right((state >> 59) as u32);
    }
    key
}

#[inline(always)]
fn quarter_round(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// Block `block` of the stream keyed `key`: its words `16 × block` to `16 × block + 15`.
pub(super) fn block(key: &[u32; 8], block: u64) -> [u32; 16] {
    let input = [
        CONSTANTS[0],
        CONSTANTS[1],
        CONSTANTS[2],
        CONSTANTS[3],
        key[0],
        key[1],
        key[2],
        key[3],
        key[4],
        key[5],
        key[6],
        key[7],
        block as u32,
        (block >> 32) as u32,
        0,
        0,
    ];
    let mut s = input;
    // Eight rounds: four of columns and diagonals.
    for _ in 0..4 {
        quarter_round(&mut s, 0, 4, 8, 12);
        quarter_round(&mut s, 1, 5, 9, 13);
        quarter_round(&mut s, 2, 6, 10, 14);
        quarter_round(&mut s, 3, 7, 11, 15);
        quarter_round(&mut s, 0, 5, 10, 15);
        quarter_round(&mut s, 1, 6, 11, 12);
        quarter_round(&mut s, 2, 7, 8, 13);
        quarter_round(&mut s, 3, 4, 9, 14);
    }
    for (word, input) in s.iter_mut().zip(input) {
        *word = word.wrapping_add(input);
    }
    s
}

/// A generator over the stream from word `word` on, computing each block it reaches; its
/// `word` afterwards is where the next draw starts. Draws take words as `rand_chacha`'s
/// buffered generator does: a `u32` one word, a `u64` two (the first the low half), bytes
/// whole words (the rest of a last, partly used word is skipped).
pub struct Words {
    key: [u32; 8],
    pub(super) word: u64,
    /// The block in `words`, if any.
    block: Option<u64>,
    words: [u32; 16],
}

impl Words {
    pub(super) fn new(seed: u64, word: u64) -> Self {
        Self {
            key: key_from_seed(seed),
            word,
            block: None,
            words: [0; 16],
        }
    }

    #[inline]
    fn next_word(&mut self) -> u32 {
        let (index, at) = (self.word / 16, (self.word % 16) as usize);
        if self.block != Some(index) {
            self.words = block(&self.key, index);
            self.block = Some(index);
        }
        self.word = self.word.wrapping_add(1);
        self.words[at]
    }
}

impl RngCore for Words {
    fn next_u32(&mut self) -> u32 {
        self.next_word()
    }

    fn next_u64(&mut self) -> u64 {
        let low = u64::from(self.next_word());
        low | (u64::from(self.next_word()) << 32)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(4) {
            let bytes = self.next_word().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn the_key_is_rand_cores_expansion_of_the_seed() {
        for seed in [0, 1, 42, u64::MAX, 0x9e37_79b9_7f4a_7c15] {
            let expected = ChaCha8Rng::seed_from_u64(seed).get_seed();
            let key: Vec<u8> = key_from_seed(seed)
                .iter()
                .flat_map(|w| w.to_le_bytes())
                .collect();
            assert_eq!(key, expected, "seed {seed}");
        }
    }

    #[test]
    fn words_are_rand_chachas_from_any_position() {
        for seed in [0, 7, u64::MAX] {
            let mut theirs = ChaCha8Rng::seed_from_u64(seed);
            let expected: Vec<u32> = (0..1000).map(|_| theirs.next_u32()).collect();
            let mut ours = Words::new(seed, 0);
            let got: Vec<u32> = (0..1000).map(|_| ours.next_u32()).collect();
            assert_eq!(got, expected, "seed {seed}");
            // From odd positions and block edges, u64s straddling blocks included.
            for start in [1u64, 15, 16, 63, 64, 65, 333] {
                let mut theirs = ChaCha8Rng::seed_from_u64(seed);
                theirs.set_word_pos(u128::from(start));
                let mut ours = Words::new(seed, start);
                for _ in 0..40 {
                    assert_eq!(ours.next_u64(), theirs.next_u64(), "{seed} from {start}");
                }
                assert_eq!(u128::from(ours.word), theirs.get_word_pos());
                let (mut a, mut b) = ([0u8; 7], [0u8; 7]);
                ours.fill_bytes(&mut a);
                theirs.fill_bytes(&mut b);
                assert_eq!(a, b);
                assert_eq!(u128::from(ours.word), theirs.get_word_pos());
            }
        }
    }
}
