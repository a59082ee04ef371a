//! Where every node of a parsed document was written, found by JSON pointer,
//! in a few bytes per node.

use std::borrow::Cow;
use std::ops::Range;

use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

/// Where one node was written: its key (for mapping values) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeSpan {
    pub key: Option<Range<usize>>,
    /// For a mapping or a list only the first line, so that a label points at
    /// where it starts instead of underlining a whole block.
    pub value: Range<usize>,
}

/// A parsed document and the spans of its nodes by JSON pointer.
#[derive(Debug)]
pub(crate) struct Document {
    pub value: Value,
    pub spans: Spans,
}

impl Document {
    /// The span of the node at `pointer`, or of its closest ancestor.
    pub fn span(&self, pointer: &str) -> Option<NodeSpan> {
        self.spans.nearest(pointer)
    }
}

/// One item of the top-level `people` list, handed over as soon as it is
/// parsed (see [`parse_people`]).
pub(crate) struct PeopleItem<'a> {
    /// Its place in the list.
    pub index: usize,
    pub value: Value,
    /// The spans of the document so far, this item's included.
    pub spans: &'a Spans,
    /// The top-level keys parsed before `people`, with their values.
    pub before: &'a Map<String, Value>,
}

/// What [`parse_people`] does with an item's spans once it was handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemSpans {
    /// Keep them: the item will be looked at again.
    Keep,
    /// Drop them: only the item's own span stays, for pointers into it.
    Drop,
}

/// The spans of every node of a document, found by JSON pointer.
///
/// A file of 50 MB has millions of nodes, so a node costs 32 bytes here and
/// no allocation of its own: its spans as `u32`s, and its children's numbers
/// side by side in one list. Mapping keys are interned. (A map from pointer
/// strings took a third of the memory of loading a big file, and a hash
/// entry per node scattered a person's fields across memory.)
#[derive(Debug, Default)]
pub(crate) struct Spans {
    /// Every node in document order; the root is node 0.
    nodes: Vec<Node>,
    /// The children of each list and mapping, in order, one run each.
    kids: Vec<u32>,
    /// Each distinct mapping key and its number.
    keys: FxHashMap<Box<str>, u32>,
    /// (mapping, key number) → child, for mappings too big to scan.
    big: FxHashMap<(u32, u32), u32>,
    /// While parsing: the children found so far of each open node, and
    /// where each open node's run starts in `pending`.
    pending: Vec<u32>,
    open: Vec<(u32, usize)>,
}

/// Marks a segment as a mapping key's number, not a list index.
pub(super) const KEY: u32 = 1 << 31;
/// See [`Spans::mark`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark {
    node: u32,
    kids: usize,
    big: usize,
}

/// A missing key span.
const NO_KEY: u32 = u32::MAX;
/// Mappings with more keys than this get a hash index.
const SCANNED: usize = 16;

/// One node: its [`NodeSpan`], its segment in its parent (list index, or key
/// number with [`KEY`] set), and its run in [`Spans::kids`]. Offsets beyond
/// 4 GiB saturate (such a file would take minutes to parse; its spans would
/// only point to its end).
#[derive(Debug, Clone, Copy)]
pub(super) struct Node {
    key: (u32, u32),
    value: (u32, u32),
    segment: u32,
    kids: (u32, u32),
}

fn pack(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(NO_KEY - 1)
}

impl Node {
    fn span(&self) -> NodeSpan {
        NodeSpan {
            key: (self.key.0 != NO_KEY).then_some(self.key.0 as usize..self.key.1 as usize),
            value: self.value.0 as usize..self.value.1 as usize,
        }
    }
}

impl Spans {
    /// The span of the node at `pointer`, or of its closest ancestor.
    pub fn nearest(&self, pointer: &str) -> Option<NodeSpan> {
        let mut pointer = pointer;
        loop {
            if let Some(span) = self.get(pointer) {
                return Some(span);
            }
            pointer = &pointer[..pointer.rfind('/')?];
        }
    }

    /// The span of the node at `pointer` (`""` is the root).
    pub fn get(&self, pointer: &str) -> Option<NodeSpan> {
        let node = self.find(pointer)?;
        self.nodes.get(node as usize).map(Node::span)
    }

    fn find(&self, pointer: &str) -> Option<u32> {
        if self.nodes.is_empty() {
            return None;
        }
        if pointer.is_empty() {
            return Some(0);
        }
        let mut node = 0;
        for segment in pointer.strip_prefix('/')?.split('/') {
            node = self.child(node, segment)?;
        }
        Some(node)
    }

    /// The child of `parent` at one (escaped) pointer segment.
    fn child(&self, parent: u32, segment: &str) -> Option<u32> {
        // A node still open (the `people` list while its items are handed
        // over) has its children so far in `pending`, and no index yet.
        let open = self.open.iter().rev().find(|&&(node, _)| node == parent);
        let (kids, closed) = match open {
            Some(&(_, from)) => (self.pending.get(from..)?, false),
            None => {
                let (start, len) = self.nodes.get(parent as usize)?.kids;
                (self.kids.get(start as usize..(start + len) as usize)?, true)
            }
        };
        let is_mapping = kids
            .first()
            .is_some_and(|&kid| self.nodes[kid as usize].segment & KEY != 0);
        if !is_mapping {
            // A list index as JSON pointers write it: digits, no leading zero.
            let canonical = !segment.is_empty()
                && segment.bytes().all(|b| b.is_ascii_digit())
                && (segment == "0" || !segment.starts_with('0'));
            let index: usize = segment.parse().ok().filter(|_| canonical)?;
            return kids.get(index).copied();
        }
        let key = if segment.contains('~') {
            Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
        } else {
            Cow::Borrowed(segment)
        };
        let number = *self.keys.get(key.as_ref())? | KEY;
        if closed && kids.len() > SCANNED {
            return self.big.get(&(parent, number)).copied();
        }
        kids.iter()
            .copied()
            .find(|&kid| self.nodes[kid as usize].segment == number)
    }

    /// The number of a mapping key, interning it on first sight.
    pub(super) fn key_number(&mut self, key: &str) -> u32 {
        if let Some(&number) = self.keys.get(key) {
            return number;
        }
        let number = self.keys.len() as u32;
        self.keys.insert(key.into(), number);
        number
    }

    /// Records a node at `segment` of the open node (none for the root).
    /// Returns its number.
    pub(super) fn push(&mut self, segment: Option<u32>, span: NodeSpan) -> u32 {
        let node = self.nodes.len() as u32;
        self.nodes.push(Node {
            key: span
                .key
                .as_ref()
                .map_or((NO_KEY, NO_KEY), |k| (pack(k.start), pack(k.end))),
            value: (pack(span.value.start), pack(span.value.end)),
            segment: segment.unwrap_or(0),
            kids: (0, 0),
        });
        if segment.is_some() {
            self.pending.push(node);
        }
        node
    }

    /// `node`, a list or mapping, takes the nodes pushed from now on until
    /// [`Spans::close`] as its children.
    pub(super) fn open(&mut self, node: u32) {
        self.open.push((node, self.pending.len()));
    }

    /// The last opened node has all its children.
    pub(super) fn close(&mut self) {
        let Some((node, from)) = self.open.pop() else {
            return;
        };
        let start = self.kids.len() as u32;
        let len = (self.pending.len() - from) as u32;
        if len as usize > SCANNED
            && self.pending[from..]
                .first()
                .is_some_and(|&kid| self.nodes[kid as usize].segment & KEY != 0)
        {
            for &kid in &self.pending[from..] {
                self.big
                    .insert((node, self.nodes[kid as usize].segment), kid);
            }
        }
        self.kids.extend(self.pending.drain(from..));
        self.nodes[node as usize].kids = (start, len);
    }

    /// Where a node about to open starts its subtree: what [`Spans::forget`]
    /// rolls back to.
    pub(super) fn mark(&self, node: u32) -> Mark {
        Mark {
            node,
            kids: self.kids.len(),
            big: self.big.len(),
        }
    }

    /// Drops the spans below a closed node, keeping the node's own. Its
    /// subtree is the tail of `nodes` and `kids`, in document order.
    pub(super) fn forget(&mut self, mark: Mark) {
        let Mark { node, kids, big } = mark;
        self.nodes.truncate(node as usize + 1);
        self.kids.truncate(kids);
        if let Some(kept) = self.nodes.get_mut(node as usize) {
            kept.kids = (0, 0);
        }
        if self.big.len() != big {
            self.big.retain(|&(parent, _), _| parent <= node);
        }
    }

    /// The key span of the open mapping's value under `key`, if it has one.
    pub(super) fn open_key_span(&self, key: &str) -> Option<Range<usize>> {
        let number = *self.keys.get(key)? | KEY;
        let &(_, from) = self.open.last()?;
        let kid = self.pending[from..]
            .iter()
            .find(|&&kid| self.nodes[kid as usize].segment == number)?;
        self.nodes[*kid as usize].span().key
    }
}
