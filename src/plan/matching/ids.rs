//! The id of every live person read, each once, numbered in the order read.
//!
//! A plan of a big workspace reads hundreds of thousands of people and keeps
//! few of them whole; the rest are known by number. Their ids are kept so
//! that a problem found later (a second match, an email of another person)
//! can still name them: as one text with an end offset each (about 40 bytes
//! a person, where a `String` and a set of them took about 100).

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// Which live person, by the order it was first read in (0, 1, …).
pub(crate) type Ordinal = u32;

/// The ids read so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct LiveIds {
    /// Every id, one after the other.
    text: String,
    /// Where each id ends in `text`, by ordinal.
    ends: Vec<u32>,
    /// The ordinals, by the hash of their id: which ids were read.
    seen: HashTable<Ordinal>,
}

impl LiveIds {
    /// Numbers `id` when it is new; `None` when it was read before (a list
    /// read while someone writes can show a person on two pages).
    pub(crate) fn admit(&mut self, id: &str) -> Option<Ordinal> {
        let hash = FxBuildHasher.hash_one(id);
        let Self { text, ends, seen } = self;
        if seen.find(hash, |&o| id_in(text, ends, o) == id).is_some() {
            return None;
        }
        let ordinal = Ordinal::try_from(ends.len()).ok()?;
        let end = u32::try_from(text.len() + id.len()).ok()?;
        text.push_str(id);
        ends.push(end);
        seen.insert_unique(hash, ordinal, |&o| {
            FxBuildHasher.hash_one(id_in(text, ends, o))
        });
        Some(ordinal)
    }

    /// The id of the person numbered `ordinal`.
    pub(crate) fn id(&self, ordinal: Ordinal) -> &str {
        id_in(&self.text, &self.ends, ordinal)
    }

    /// How many people were read.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }
}

fn id_in<'t>(text: &'t str, ends: &[u32], ordinal: Ordinal) -> &'t str {
    let at = ordinal as usize;
    let start = at.checked_sub(1).map_or(0, |before| ends[before] as usize);
    text.get(start..ends[at] as usize).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_id_is_numbered_once_in_the_order_read() {
        let mut ids = LiveIds::default();
        assert_eq!(ids.admit("b-2"), Some(0));
        assert_eq!(ids.admit("a-1"), Some(1));
        assert_eq!(ids.admit("b-2"), None);
        assert_eq!(ids.admit("B-2"), Some(2), "ids are compared exactly");
        assert_eq!(ids.admit(""), Some(3));
        assert_eq!(ids.admit(""), None);
        assert_eq!(
            (0..4).map(|o| ids.id(o)).collect::<Vec<_>>(),
            ["b-2", "a-1", "B-2", ""]
        );
        assert_eq!(ids.len(), 4);
    }

    #[test]
    fn many_ids_stay_apart() {
        let mut ids = LiveIds::default();
        for i in 0..10_000 {
            assert_eq!(ids.admit(&format!("id-{i}")), Some(i));
        }
        assert!((0..10_000).all(|i| ids.admit(&format!("id-{i}")).is_none()));
        assert_eq!(ids.id(9_999), "id-9999");
    }
}
