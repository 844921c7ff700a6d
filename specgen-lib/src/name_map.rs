//! The hash tables names are kept in (classes, enums, fields, parameters): by validation, by the
//! IR's name index and by the targets.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for the name tables: class, enum and field names, short strings
/// looked up for every field, for which std's SipHash (made to resist flooding by an adversary)
/// costs more than the rest of the lookup. The names come from the project's own spec files.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct NameHasher {
    hash: u64,
}

impl NameHasher {
    /// Mixes one word in (the multiply-rotate step of the Fx hash).
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(u64::from_le_bytes(word.try_into().expect("eight bytes")));
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            self.add(tail.iter().rev().fold(0, |word, &b| (word << 8) | u64::from(b)));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // Hash tables take the bucket from the low bits, which the multiply mixes least.
        self.hash ^ (self.hash >> 32)
    }
}

/// A hash map keyed by names, with [`NameHasher`].
pub(crate) type NameMap<K, V> = HashMap<K, V, BuildHasherDefault<NameHasher>>;

/// A hash set of names, with [`NameHasher`].
pub(crate) type NameSet<K> = HashSet<K, BuildHasherDefault<NameHasher>>;
