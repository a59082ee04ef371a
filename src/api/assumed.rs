//! Every behaviour of the Zeeg API that the client relies on but that Zeeg does
//! not document publicly, in one place. When the real behaviour is known, change
//! it here (and in `zeeg-api.md`, the sandbox and the README's "Compatibility").

use std::time::Duration;

/// Where the real service lives. [doc]
pub const DEFAULT_BASE_URL: &str = "https://api.zeeg.me/v2";

/// Fields the client reads as empty when the API sends `null` (or leaves
/// them out), rather than refusing the whole answer: one live person with
/// `"emails": null` must not stop a plan or an import. [assumed: the API
/// documents these as lists and objects, but a client cannot rule out null]
/// In a person: `emails` (null items in it are dropped too), `socials`,
/// `customAttributes`; in a list page: `collection`; in the people object:
/// `attributes`, and each attribute's `label` (empty) and `isStandard`,
/// `isUnique`, `isRequired`, `isArchived` (false).
pub const NULL_AS_EMPTY: &[&str] = &[
    "emails",
    "socials",
    "customAttributes",
    "collection",
    "attributes",
    "label",
    "isStandard",
    "isUnique",
    "isRequired",
    "isArchived",
];

/// Reads one of [`NULL_AS_EMPTY`]: `null` as the type's empty value.
pub(crate) fn null_as_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(<Option<T> as serde::Deserialize>::deserialize(deserializer)?.unwrap_or_default())
}

/// Reads `emails`, one of [`NULL_AS_EMPTY`]: `null` as no emails, and null
/// items left out.
pub(crate) fn emails<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let items: Vec<Option<String>> = null_as_empty(deserializer)?;
    Ok(items.into_iter().flatten().collect())
}

/// The people collection: `PUT` upserts, `GET` lists. [doc for PUT, assumed for GET]
pub(crate) const PEOPLE_PATH: &str = "/crm/people";

/// The people object's schema. [doc for the shape]
pub(crate) const PEOPLE_OBJECT_PATH: &str = "/crm/objects/people";

/// The companies collection: `PUT` asserts a company by domain, `GET` lists,
/// `GET /{id}` reads one. [doc for PUT, assumed for the reads] The list has
/// the envelope, paging and order of the people list, and its `search=TEXT`
/// keeps only companies whose name or domain contains TEXT, ignoring case.
/// [assumed]
pub(crate) const COMPANIES_PATH: &str = "/crm/companies";

/// The one matching attribute companies support: `domain`. [doc] The API
/// refuses any other with 422. [assumed]
pub const COMPANY_MATCHING_ATTRIBUTE: &str = "domain";

/// Two company domains are the same company when they are equal ignoring
/// ASCII case and surrounding white space; a domain is stored as sent (the
/// last assert's spelling wins). [assumed] The body of a company assert is
/// `{name, domain}` (camelCase like people; no other writable field is
/// known); `domain` is required, `name` on create only, and a field left out
/// of an update is kept. [assumed] Both answers are
/// `{success, status: 200|201, company}`. [assumed] When several live
/// companies share a domain (bookings create companies on their own), the
/// assert finds the oldest, as a people upsert does. [assumed]
pub fn normalize_domain(domain: &str) -> String {
    domain.trim().to_ascii_lowercase()
}

/// A person upsert whose `companyId` names no company is refused with 422
/// and `errors.companyId` (the field named here); `companyId: null` unlinks;
/// a person's `company` shows the linked company as it is now
/// (`{id, name, domain}`, a renamed company with its new name). [assumed]
///
/// `zeeg import` names companies from that `company` alone and reads no
/// company itself: a person whose `company` carries no domain keeps
/// `companyId` (exact, only less readable). It also takes one domain to name
/// one company, as the assert by domain implies [assumed]; two companies of
/// the imported people with one domain keep `companyId` both.
pub const UNKNOWN_COMPANY_FIELD: &str = "companyId";

/// The largest `count` a list page accepts. [assumed: Zeeg's list convention
/// for other resources allows 1..100]
pub const MAX_PAGE_SIZE: u32 = 100;

/// How many list pages the client fetches at once after the first page told it
/// the total. [assumed: Zeeg advises against parallel bursts; 8 is modest]
pub const DEFAULT_LIST_CONCURRENCY: usize = 8;

/// How many searches a plan keeps in flight at once. [assumed, like the list
/// concurrency above]
pub const SEARCH_CONCURRENCY: usize = DEFAULT_LIST_CONCURRENCY;

/// Pagination is page-numbered from 1 with `page` and `count` query
/// parameters; the answer's `pagination.totalPages` says how many pages there
/// are, and pages are ordered oldest first, stable across pages. [assumed]
///
/// A variant zeeg tolerates: the client pages by number up to `totalPages`
/// and never follows the `nextPage`/`previousPage` links, so a list that
/// leaves them out (reporting, say, `hasMore` instead) is read the same:
/// absent links read as none in the client's `Pagination`. `zeeg doctor`
/// reports the variant as `people.list.envelope`.
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
/// (`total` and `total_pages` are the first page's `pagination` fields.)
pub(crate) fn pages_to_read(total: u64, total_pages: u64, first_page_len: u64) -> u64 {
    if first_page_len == 0 || first_page_len >= total {
        return 1;
    }
    total_pages.min(total.div_ceil(first_page_len))
}

/// The most pages a list is read to: 2,000,000 people at 100 a page, far
/// beyond any workspace zeeg is made for, and a bound on memory against a
/// server whose `total` is absurd. [our choice]
pub const MAX_PAGES: u64 = 20_000;

/// The largest response body read: a page of 100 people is well under 1 MB.
/// A body beyond it (or a stream that never ends) is refused. [our choice]
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// The largest request body the API takes; a bigger one is answered 413
/// Payload Too Large. Plan refuses an entry whose upsert would be bigger, and
/// the sandbox refuses such a body. [assumed: Zeeg documents no limit]
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Text a server writes into an error (its `message`, a 422's field
/// messages) is cut to this many characters before it reaches a message.
/// [our choice]
pub const MAX_SERVER_TEXT_CHARS: usize = 300;

/// `search=TEXT` on the people list keeps only people whose names, emails or phone
/// number contain TEXT, ignoring case; it paginates like the plain list.
/// [assumed]
pub(crate) const SEARCH_PARAM: &str = "search";

/// A variant zeeg tolerates: a workspace that does not apply `search` answers
/// every person. A search that lists as many people as the whole list is
/// taken for that, and its answer is used as the whole list (it has read
/// every page already) instead of searching again. `zeeg doctor` reports the
/// variant as `people.search.narrows`.
pub fn search_ignored(found: u64, total: u64) -> bool {
    total > 1 && found >= total
}

/// The matching attributes whose values `search` looks in: the names, the
/// emails and the phone number. [assumed, as `search` above]
pub const SEARCHABLE_SLUGS: &[&str] =
    &["email", "emails", "first_name", "last_name", "phone_number"];

/// The person fields the upsert merges key by key: a key sent as `null` is
/// cleared, a key not sent is kept. So clearing a whole object means sending
/// each of its keys as `null`. [assumed, as Zeeg documents for custom records]
pub const MERGED_KEY_BY_KEY: &[&str] = &["socials", "customAttributes"];

/// Answers worth trying again: 429 (rate limited) and every 5xx. [doc for
/// the codes; that a 5xx is transient is our choice] Network errors, timeouts
/// and dropped connections are retried too: a GET, a PUT by matching attribute
/// and a PATCH of an attribute are idempotent, and a create of an attribute
/// first looks for its lost answer ([`is_lost_create`]).
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

/// The objects' schemas: `GET /crm/objects/{slug}`, and below it
/// `POST …/attributes` and `PATCH …/attributes/{key}`. [doc]
pub(crate) const OBJECTS_PATH: &str = "/crm/objects";

/// An option listed as a plain string rather than `{id, value, color}` is read
/// with its value as its id, and an object without `id` likewise. [assumed:
/// the API documents the object form; a tolerant read costs nothing]
pub const PLAIN_STRING_OPTIONS: &str = "a plain-string option's id is its value";

/// The key the server derives from a new attribute's label. The API documents
/// "snake_case" ("Product Name" → `product_name`) and `_2`, `_3`… for a taken
/// key [doc]; the exact rule is ours to guess [assumed], in the manner of a
/// slug:
/// - letters with diacritics of the Latin alphabets fold to their base letters
///   (`é` → `e`, `ß` → `ss`, `æ` → `ae`, `ł` → `l`);
/// - ASCII letters are lowercased; words are not split at capitals
///   (`ProductName` → `productname`);
/// - every other character (spaces, punctuation, emoji, other scripts) ends a
///   word, and words are joined with one `_`, none leading or trailing;
/// - a key that would start with a digit is prefixed `attr_`
///   (`2024 Budget` → `attr_2024_budget`), one that would be empty is
///   `attribute`.
pub fn derive_key(label: &str) -> String {
    let mut key = String::with_capacity(label.len());
    let mut gap = false;
    for c in label.chars().flat_map(fold_latin) {
        if c.is_ascii_alphanumeric() {
            if gap && !key.is_empty() {
                key.push('_');
            }
            gap = false;
            key.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    if key.is_empty() {
        return "attribute".to_string();
    }
    if key.starts_with(|c: char| c.is_ascii_digit()) {
        key.insert_str(0, "attr_");
    }
    key
}

/// A Latin letter with a diacritic as its base letters; any other character
/// as itself.
fn fold_latin(c: char) -> impl Iterator<Item = char> {
    let folded: &str = match c.to_lowercase().next().unwrap_or(c) {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => "",
    };
    let own = folded.is_empty().then_some(c);
    own.into_iter().chain(folded.chars())
}

/// `POST …/attributes` is not idempotent: a blind retry after a lost answer
/// (a dropped connection, a timeout, a 5xx) would create `key_2`. So before
/// it tries a create again, the client reads the object, and an attribute
/// with the label sent, the type sent and the derived key or one of its `_N`
/// forms is taken as the lost answer. [assumed: the API offers no idempotency
/// key] A plan never creates an attribute whose derived key is taken, so such
/// an attribute is the one the lost try created. `PATCH` with the same body
/// is idempotent and is retried like the other calls.
pub fn is_lost_create(sent: &super::object::NewAttribute, live: &super::model::Attribute) -> bool {
    live.label == sent.label
        && live.kind == sent.kind.as_str()
        && super::object::is_derived_key_of(&live.key, &sent.label)
}
