//! Every behaviour of the Zeeg API that the client relies on but that Zeeg does
//! not document publicly, in one place. When the real behaviour is known, change
//! it here (and in `zeeg-api.md`, the sandbox and the README's "Compatibility").

use std::time::Duration;

use super::model::Pagination;

/// Where the real service lives. [doc]
pub const DEFAULT_BASE_URL: &str = "https://api.zeeg.me/v2";

/// The people collection: `PUT` upserts, `GET` lists. [doc for PUT, assumed for GET]
pub(crate) const PEOPLE_PATH: &str = "/crm/people";

/// The people object's schema. [doc for the shape]
pub(crate) const PEOPLE_OBJECT_PATH: &str = "/crm/objects/people";

/// The largest `count` a list page accepts. [assumed: Zeeg's list convention
/// for other resources allows 1..100]
pub const MAX_PAGE_SIZE: u32 = 100;

/// How many list pages the client fetches at once after the first page told it
/// the total. [assumed: Zeeg advises against parallel bursts; 8 is modest]
pub const DEFAULT_LIST_CONCURRENCY: usize = 8;

/// Pagination is page-numbered from 1 with `page` and `count` query
/// parameters; the answer's `pagination.totalPages` says how many pages there
/// are, and pages are ordered oldest first, stable across pages. [assumed]
pub(crate) const PAGE_PARAM: &str = "page";
pub(crate) const COUNT_PARAM: &str = "count";

/// How many pages a list is read to, from its first page. [assumed: the
/// pagination envelope Zeeg documents for other resources]
///
/// `totalPages` is believed only as far as `total` backs it, at the page
/// size the first page showed: a claim of ten billion pages over 150 people
/// reads two. A first page that holds everyone (or no one) is the only one.
/// Reading also stops at the first empty page and at a page that repeats the
/// one before (a server that ignores `page`), and refuses more than
/// [`MAX_PAGES`].
pub(crate) fn pages_to_read(pagination: &Pagination, first_page_len: u64) -> u64 {
    if first_page_len == 0 || first_page_len >= pagination.total {
        return 1;
    }
    pagination
        .total_pages
        .min(pagination.total.div_ceil(first_page_len))
}

/// The most pages a list is read to: 2,000,000 people at 100 a page, far
/// beyond any workspace zeeg is made for, and a bound on memory against a
/// server whose `total` is absurd. [our choice]
pub const MAX_PAGES: u64 = 20_000;

/// The largest response body read: a page of 100 people is well under 1 MB.
/// A body beyond it (or a stream that never ends) is refused. [our choice]
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// Text a server writes into an error (its `message`, a 422's field
/// messages) is cut to this many characters before it reaches a message.
/// [our choice]
pub const MAX_SERVER_TEXT_CHARS: usize = 300;

/// `search=TEXT` on the list keeps only people whose names, emails or phone
/// number contain TEXT, ignoring case; it paginates like the plain list.
/// [assumed]
pub(crate) const SEARCH_PARAM: &str = "search";

/// Answers worth trying again: 429 (rate limited) and every 5xx. [doc for
/// the codes; that a 5xx is transient is our choice] Network errors, timeouts
/// and dropped connections are retried too; every request the client sends is
/// a GET or a PUT by matching attribute, both idempotent.
pub(crate) fn is_transient_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

/// A 429 carries `Retry-After` either as delay seconds or as an HTTP date;
/// without it the client backs off exponentially from 1 s. [doc: Zeeg advises
/// exponential backoff; the header itself is assumed] A server asking for more
/// than this is waited this long, then asked again.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// The query parameter of the upsert that names the matching attribute. [doc]
pub(crate) const MATCHING_ATTRIBUTE_PARAM: &str = "matchingAttribute";
