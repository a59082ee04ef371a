//! An index from a text key to the slots of the records that hold it,
//! keeping no copy of the key.
//!
//! A `HashMap<String, Vec<Slot>>` stored every key a second time and a
//! vector for each, about 80 bytes an entry. Here an entry is the slot and
//! 32 bits of the key's hash, 9 bytes with the table's control byte: a
//! lookup yields the slots whose hash matches, and the caller checks each
//! against its record.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// A record's place in the store.
pub(crate) type Slot = u32;

#[derive(Clone, Copy)]
struct Entry {
    hash: u32,
    slot: Slot,
}

/// Key → slots; one key may have several holders, and a holder several keys.
#[derive(Default)]
pub(crate) struct SlotIndex {
    table: HashTable<Entry>,
    hasher: DefaultHashBuilder,
}

impl SlotIndex {
    pub(crate) fn with_capacity(capacity: usize) -> SlotIndex {
        SlotIndex {
            table: HashTable::with_capacity(capacity),
            hasher: DefaultHashBuilder::default(),
        }
    }

    /// Records that `slot` holds `key`. A holder is added once per key: the
    /// caller does not add the same pair twice.
    pub(crate) fn insert(&mut self, key: &str, slot: Slot) {
        let hash = self.hash(key);
        self.table
            .insert_unique(spread(hash), Entry { hash, slot }, |e| spread(e.hash));
    }

    /// Forgets that `slot` holds `key`.
    pub(crate) fn remove(&mut self, key: &str, slot: Slot) {
        let hash = self.hash(key);
        if let Ok(entry) = self
            .table
            .find_entry(spread(hash), |e| e.slot == slot && e.hash == hash)
        {
            entry.remove();
        }
    }

    /// The slots that may hold `key`: all that do, and rarely one that
    /// does not (a hash collision), which the caller's check drops.
    pub(crate) fn candidates(&self, key: &str) -> impl Iterator<Item = Slot> + '_ {
        let hash = self.hash(key);
        self.table
            .iter_hash(spread(hash))
            .filter(move |e| e.hash == hash)
            .map(|e| e.slot)
    }

    #[cfg(test)]
    /// The bytes its table takes.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.table.allocation_size()
    }

    fn hash(&self, key: &str) -> u32 {
        let hash = self.hasher.hash_one(key);
        (hash ^ (hash >> 32)) as u32
    }
}

/// The table's 64-bit hash from the 32 bits kept: it takes a bucket from
/// the low bits and a tag from the top seven, so both come from the key.
fn spread(hash: u32) -> u64 {
    let hash = u64::from(hash);
    (hash << 32) | hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_find_their_holders_until_removed() {
        let mut index = SlotIndex::default();
        for slot in 0..1000 {
            index.insert(&format!("key{}", slot % 400), slot);
        }
        let mut holders: Vec<Slot> = index.candidates("key7").collect();
        holders.sort_unstable();
        assert_eq!(holders, [7, 407, 807]);
        index.remove("key7", 407);
        index.remove("key7", 3);
        let mut holders: Vec<Slot> = index.candidates("key7").collect();
        holders.sort_unstable();
        assert_eq!(holders, [7, 807]);
        assert_eq!(index.candidates("nobody").count(), 0);
    }
}
