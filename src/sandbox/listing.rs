//! How the sandbox answers a list or a search, for people and companies
//! alike: a page of an ordered list, and text found ignoring case.

/// One page of `ordered` (a list in its order), keeping only what `keep`
/// accepts when there is a filter; returns the page and how many pass.
/// Without a filter it walks only as far as the page.
pub(crate) fn page_of<'a, T: 'a>(
    ordered: impl ExactSizeIterator<Item = &'a T>,
    keep: Option<impl Fn(&T) -> bool>,
    page: u64,
    count: u64,
) -> (Vec<&'a T>, u64) {
    let skip = usize::try_from((page - 1).saturating_mul(count)).unwrap_or(usize::MAX);
    let take = usize::try_from(count).unwrap_or(usize::MAX);
    let Some(keep) = keep else {
        let total = ordered.len() as u64;
        return (ordered.skip(skip).take(take).collect(), total);
    };
    let mut total = 0u64;
    let mut items = Vec::new();
    for item in ordered {
        if keep(item) {
            if total as usize >= skip && items.len() < take {
                items.push(item);
            }
            total += 1;
        }
    }
    (items, total)
}

/// Substring test ignoring case, without allocating for an ASCII needle (the
/// common case: a scan of 100,000 people per search request).
pub(crate) fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if needle.is_ascii() {
        let needle = needle.as_bytes();
        haystack.len() >= needle.len()
            && haystack
                .as_bytes()
                .windows(needle.len())
                .any(|window| window.eq_ignore_ascii_case(needle))
    } else {
        haystack.to_lowercase().contains(needle)
    }
}
