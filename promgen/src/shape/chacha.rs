//! ChaCha8's stream computed one 16-word block at a time, at any position: the numbers of
//! `rand_chacha::ChaCha8Rng::seed_from_u64(seed)` (stream 0), for the [`super::Compact`]
//! random source that keeps only its seed and position, and the [`super::Blocked`] one that
//! keeps the block it is in as well.
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
/// outputs of PCG32, the state advanced before each. Each state is computed straight from
/// the seed (`MUL^k × seed + INC × (MUL^(k-1) + … + 1)`, the factors worked out at compile
/// time): eight independent multiplications instead of a chain of eight, as a compact
/// stream expands its key at every draw.
pub(super) fn key_from_seed(seed: u64) -> [u32; 8] {
    const MUL: u64 = 6_364_136_223_846_793_005;
    const INC: u64 = 11_634_580_027_462_260_723;
    /// The state after `k + 1` steps is `STEPS[k].0 × seed + STEPS[k].1`.
    const STEPS: [(u64, u64); 8] = {
        let mut steps = [(0, 0); 8];
        let (mut mul, mut add) = (MUL, INC);
        let mut k = 0;
        while k < 8 {
            steps[k] = (mul, add);
            mul = mul.wrapping_mul(MUL);
            add = add.wrapping_mul(MUL).wrapping_add(INC);
            k += 1;
        }
        steps
    };
    STEPS.map(|(mul, add)| {
        let state = seed.wrapping_mul(mul).wrapping_add(add);
        let xorshifted = (((state >> 18) ^ state) >> 27) as u32;
        xorshifted.rotate_right((state >> 59) as u32)
    })
}

/// A row of the 4 × 4 state. The rounds work on whole rows, so that the compiler keeps each
/// in a vector register (the state as 16 scalars does not fit the general registers).
type Row = [u32; 4];

#[inline(always)]
fn add(a: Row, b: Row) -> Row {
    [
        a[0].wrapping_add(b[0]),
        a[1].wrapping_add(b[1]),
        a[2].wrapping_add(b[2]),
        a[3].wrapping_add(b[3]),
    ]
}

#[inline(always)]
fn xor_rotate(a: Row, b: Row, bits: u32) -> Row {
    [
        (a[0] ^ b[0]).rotate_left(bits),
        (a[1] ^ b[1]).rotate_left(bits),
        (a[2] ^ b[2]).rotate_left(bits),
        (a[3] ^ b[3]).rotate_left(bits),
    ]
}

/// The row's words moved `N` lanes to the left.
#[inline(always)]
fn lanes_left<const N: usize>(r: Row) -> Row {
    [r[N % 4], r[(N + 1) % 4], r[(N + 2) % 4], r[(N + 3) % 4]]
}

/// Four quarter rounds at once, one per lane: lane `i` of `a`, `b`, `c` and `d`.
#[inline(always)]
fn quarter_rounds(a: &mut Row, b: &mut Row, c: &mut Row, d: &mut Row) {
    *a = add(*a, *b);
    *d = xor_rotate(*d, *a, 16);
    *c = add(*c, *d);
    *b = xor_rotate(*b, *c, 12);
    *a = add(*a, *b);
    *d = xor_rotate(*d, *a, 8);
    *c = add(*c, *d);
    *b = xor_rotate(*b, *c, 7);
}

/// Block `block` of the stream keyed `key`: its words `16 × block` to `16 × block + 15`.
pub(super) fn block(key: &[u32; 8], block: u64) -> [u32; 16] {
    let input: [Row; 4] = [
        CONSTANTS,
        [key[0], key[1], key[2], key[3]],
        [key[4], key[5], key[6], key[7]],
        [block as u32, (block >> 32) as u32, 0, 0],
    ];
    let [mut a, mut b, mut c, mut d] = input;
    // Eight rounds: four of columns and diagonals. The diagonals are columns once rows 1 to
    // 3 are turned 1, 2 and 3 lanes left (word 5 under word 0, 10 under it, 15 under that).
    for _ in 0..4 {
        quarter_rounds(&mut a, &mut b, &mut c, &mut d);
        (b, c, d) = (lanes_left::<1>(b), lanes_left::<2>(c), lanes_left::<3>(d));
        quarter_rounds(&mut a, &mut b, &mut c, &mut d);
        (b, c, d) = (lanes_left::<3>(b), lanes_left::<2>(c), lanes_left::<1>(d));
    }
    let mut out = [0; 16];
    for (i, row) in [a, b, c, d].into_iter().enumerate() {
        let sum = add(row, input[i]);
        out[4 * i..4 * i + 4].copy_from_slice(&sum);
    }
    out
}

/// A generator over the stream from word `word` on, computing each block it reaches; its
/// `word` afterwards is where the next draw starts. Draws take words as `rand_chacha`'s
/// buffered generator does: a `u32` one word, a `u64` two (the first the low half), bytes
/// whole words (the rest of a last, partly used word is skipped).
pub struct Words {
    seed: u64,
    /// The key, expanded from the seed when a block is first computed.
    key: Option<[u32; 8]>,
    pub(super) word: u64,
    /// The block in `words`, if any.
    block: Option<u64>,
    pub(super) words: [u32; 16],
}

impl Words {
    pub(super) fn new(seed: u64, word: u64) -> Self {
        Self {
            seed,
            key: None,
            word,
            block: None,
            words: [0; 16],
        }
    }

    /// From word `word` on, where `words` is the block `word` is in when `word` is not at a
    /// block's start (at a start, the next block is computed anyway).
    pub(super) fn resume(seed: u64, word: u64, words: &[u32; 16]) -> Self {
        Self {
            block: (word % 16 != 0).then_some(word / 16),
            words: *words,
            ..Self::new(seed, word)
        }
    }

    #[inline]
    fn next_word(&mut self) -> u32 {
        let (index, at) = (self.word / 16, (self.word % 16) as usize);
        if self.block != Some(index) {
            let seed = self.seed;
            let key = self.key.get_or_insert_with(|| key_from_seed(seed));
            self.words = block(key, index);
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
    fn resuming_with_the_block_gives_the_words_from_scratch() {
        for seed in [3, u64::MAX] {
            let mut theirs = ChaCha8Rng::seed_from_u64(seed);
            let expected: Vec<u64> = (0..300).map(|_| theirs.next_u64()).collect();
            let mut got = Vec::new();
            // A draw at a time, each from a new generator handed the last one's block, as a
            // `Blocked` stream draws; the words are put in the block's place, so a stale
            // block would show.
            let (mut word, mut block) = (0, [0xdead_beef_u32; 16]);
            for _ in 0..300 {
                let mut words = Words::resume(seed, word, &block);
                got.push(words.next_u64());
                (word, block) = (words.word, words.words);
            }
            assert_eq!(got, expected, "seed {seed}");
            assert_eq!(word, 600);
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
