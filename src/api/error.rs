//! What can go wrong talking to the Zeeg API, in words a user can act on.
//!
//! No variant holds the token or a request body. URLs are named without their
//! query string, since a `search` query holds contact data.

use std::fmt;
use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

/// An error of the API layer: loading the token, configuring the client, or a
/// request the API refused or never answered.
#[derive(Debug, Error, Diagnostic)]
pub enum ApiError {
    /// Neither `--token-file` nor `ZEEG_API_TOKEN` gave a token.
    #[error("no API token: ZEEG_API_TOKEN is not set and no --token-file was given")]
    #[diagnostic(
        code(zeeg::api::missing_token),
        help(
            "Set ZEEG_API_TOKEN to a Zeeg API token (with the crm:read and crm:write scopes), \
             or put the token in a file and pass --token-file PATH."
        )
    )]
    MissingToken,

    /// The file given to `--token-file` could not be read.
    #[error("could not read the token file {}", path.display())]
    #[diagnostic(
        code(zeeg::api::token_file),
        help("Check the path given to --token-file, or set ZEEG_API_TOKEN instead.")
    )]
    TokenFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file given to `--token-file` holds nothing but white space.
    #[error("the token file {} is empty", path.display())]
    #[diagnostic(
        code(zeeg::api::empty_token_file),
        help("Put the API token on the file's first line, or set ZEEG_API_TOKEN instead.")
    )]
    EmptyTokenFile { path: PathBuf },

    /// The token holds characters that cannot go into an HTTP header.
    #[error("the API token from {origin} holds characters a token cannot have")]
    #[diagnostic(
        code(zeeg::api::malformed_token),
        help(
            "A token is one line of printable ASCII. Copy it again from Zeeg into \
             ZEEG_API_TOKEN or the file given to --token-file."
        )
    )]
    MalformedToken { origin: String },

    /// The base URL does not parse, or is not http(s).
    #[error("invalid API URL {:?}: {reason}", masked_url(url))]
    #[diagnostic(
        code(zeeg::api::invalid_url),
        help("Pass a URL such as https://api.zeeg.me/v2 with --api-url or ZEEG_API_URL.")
    )]
    InvalidUrl { url: String, reason: String },

    /// Plain `http://` to a host that is not this machine.
    #[error("refusing to send the API token over plain http:// to {host}")]
    #[diagnostic(
        code(zeeg::api::insecure_url),
        help(
            "Use an https:// URL. Plain http:// is allowed only to this machine \
             (127.0.0.1, ::1, localhost), for example a local `zeeg sandbox serve`."
        )
    )]
    InsecureUrl { host: String },

    /// `apiUrl` in zeeg.yaml names a host other than the real API or this
    /// machine; the token goes to such a host only when the user names it.
    #[error(
        "refusing to send the API token to {host}, named by apiUrl in {}",
        file.display()
    )]
    #[diagnostic(
        code(zeeg::api::untrusted_configured_url),
        help(
            "zeeg.yaml belongs to the repository, and anyone who can change it (a pull \
             request, say) could otherwise receive your token, so its apiUrl may only name \
             https://api.zeeg.me/v2 or this machine. To use {host}, remove apiUrl from \
             zeeg.yaml and pass --api-url URL or set ZEEG_API_URL."
        )
    )]
    UntrustedConfiguredUrl { file: PathBuf, host: String },

    /// The HTTP client could not be set up (TLS roots, for example).
    #[error("could not set up the HTTP client")]
    #[diagnostic(code(zeeg::api::http_client))]
    HttpClient {
        #[source]
        source: reqwest::Error,
    },

    /// 400: the API found the request malformed.
    #[error("the API rejected {request} as malformed (400){}", detail(message))]
    #[diagnostic(
        code(zeeg::api::bad_request),
        help("This is likely a bug in zeeg or a change in the API; please report it.")
    )]
    BadRequest {
        request: String,
        message: Option<String>,
    },

    /// 401: the token is unknown or expired.
    #[error("the API refused the token for {request} (401 Unauthorized)")]
    #[diagnostic(
        code(zeeg::api::unauthorized),
        help(
            "The token is wrong or has expired. Check ZEEG_API_TOKEN (or the file given \
             to --token-file), or create a new token in Zeeg."
        )
    )]
    Unauthorized { request: String },

    /// 403: the token lacks the scope the request needs.
    #[error("the token may not {request}: it lacks the {scope} scope (403 Forbidden)")]
    #[diagnostic(
        code(zeeg::api::forbidden),
        help("Create a Zeeg API token with the {scope} scope and use it in ZEEG_API_TOKEN.")
    )]
    Forbidden { request: String, scope: Scope },

    /// 404: nothing at that path, e.g. an unknown person id or a base URL
    /// without `/v2`. The message names the whole URL tried.
    #[error(
        "{request} answered 404 Not Found (the URL tried: {url}){}",
        detail(message)
    )]
    #[diagnostic(
        code(zeeg::api::not_found),
        help(
            "Check that --api-url (or ZEEG_API_URL) is the API's base URL, /v2 included: https://api.zeeg.me/v2, or the URL `zeeg sandbox serve` prints (http://127.0.0.1:PORT/v2)."
        )
    )]
    NotFound {
        request: String,
        url: String,
        message: Option<String>,
    },

    /// 409: the request conflicts with the CRM's state.
    #[error("the API reported a conflict for {request} (409){}", detail(message))]
    #[diagnostic(
        code(zeeg::api::conflict),
        help("Another change may have raced this one; run the command again.")
    )]
    Conflict {
        request: String,
        message: Option<String>,
    },

    /// 422: the API refused the values sent; `errors` says which and why.
    #[error("the API rejected {request}: {}", Summary(message.as_deref(), errors))]
    #[diagnostic(
        code(zeeg::api::validation),
        help("Fix the fields named above in the people file, then try again.")
    )]
    Validation {
        request: String,
        message: Option<String>,
        errors: Vec<FieldError>,
    },

    /// 429 on every try.
    #[error("the API answered {request} with 429 Too Many Requests on all {}", counted_tries(*tries))]
    #[diagnostic(
        code(zeeg::api::rate_limited),
        help("The workspace's rate limit is exhausted. Wait a minute, or lower --parallelism.")
    )]
    RateLimited { request: String, tries: u32 },

    /// A 5xx on the last try.
    #[error("the API failed {request} with status {status}{} (gave up after {})", detail(message), counted_tries(*tries))]
    #[diagnostic(
        code(zeeg::api::server),
        help("Zeeg's servers are having trouble. Try again later; running again is safe.")
    )]
    Server {
        request: String,
        status: u16,
        tries: u32,
        message: Option<String>,
    },

    /// No answer within the request timeout on the last try.
    #[error("no answer from {url} within {timeout} (gave up after {})", counted_tries(*tries))]
    #[diagnostic(
        code(zeeg::api::timeout),
        help("Check your network connection and --api-url; running again is safe.")
    )]
    Timeout {
        url: String,
        timeout: String,
        tries: u32,
    },

    /// The API's host name does not resolve: no retry will make it.
    #[error("the API host {host} is unknown: the name does not resolve")]
    #[diagnostic(
        code(zeeg::api::unknown_host),
        help(
            "Check the host in --api-url or ZEEG_API_URL (or apiUrl in zeeg.yaml) for a typo; \
             the real API is https://api.zeeg.me/v2. Nothing was retried: a name that does not \
             resolve will not resolve in a second either."
        )
    )]
    UnknownHost {
        host: String,
        #[source]
        source: reqwest::Error,
    },

    /// The server's TLS certificate does not verify: no retry will make it.
    #[error("the TLS certificate of {host} could not be verified ({reason})")]
    #[diagnostic(
        code(zeeg::api::certificate),
        help(
            "This is not a network problem, and it was not retried: the server did not prove \
             it is {host}, so the token was not sent. zeeg trusts the public certificate \
             authorities (the Mozilla list). A self-signed or private certificate (a test \
             server, a company proxy) cannot be verified; check that --api-url names the real API."
        )
    )]
    Certificate { host: String, reason: String },

    /// Nothing listens at the API's address.
    #[error("could not connect to {url}: connection refused (gave up after {})", counted_tries(*tries))]
    #[diagnostic(
        code(zeeg::api::refused),
        help(
            "Nothing accepts connections there. Check the port and host in --api-url or \
             ZEEG_API_URL; for a local sandbox, check that `zeeg sandbox serve` is running."
        )
    )]
    Refused { url: String, tries: u32 },

    /// A response body larger than any real answer, or one that never ended.
    #[error("the answer from {url} is larger than {limit} MB; zeeg stopped reading it")]
    #[diagnostic(
        code(zeeg::api::response_too_large),
        help(
            "No answer of the Zeeg API is that large. Check that --api-url points at the Zeeg API (…/v2)."
        )
    )]
    ResponseTooLarge { url: String, limit: usize },

    /// A list whose pagination claims more pages than zeeg reads.
    #[error("the API claims {pages} pages for {request}, more than the {max} zeeg reads")]
    #[diagnostic(
        code(zeeg::api::too_many_pages),
        help(
            "Reading that many pages would not end. Check that --api-url points at the Zeeg API (…/v2); \
             if it does, its pagination is broken: nothing was planned."
        )
    )]
    TooManyPages {
        request: String,
        pages: u64,
        max: u64,
    },

    /// Could not connect, or the connection broke, on the last try.
    #[error("could not reach {url} (gave up after {})", counted_tries(*tries))]
    #[diagnostic(
        code(zeeg::api::unreachable),
        help(
            "Check your network connection and --api-url (or ZEEG_API_URL); running again is safe."
        )
    )]
    Unreachable {
        url: String,
        tries: u32,
        #[source]
        source: reqwest::Error,
    },

    /// A status the API does not document.
    #[error(
        "the API answered {request} with an unexpected {status}{}",
        detail(message)
    )]
    #[diagnostic(code(zeeg::api::unexpected_status))]
    UnexpectedStatus {
        request: String,
        status: u16,
        message: Option<String>,
    },

    /// A success answer whose body is not the JSON the API documents.
    #[error("the API answered {request} with a body zeeg cannot read")]
    #[diagnostic(
        code(zeeg::api::invalid_response),
        help(
            "Check that --api-url points at the Zeeg API (…/v2); if it does, the API may have changed."
        )
    )]
    InvalidResponse {
        request: String,
        #[source]
        source: serde_json::Error,
    },
}

impl ApiError {
    /// Whether the error came from a 401 or 403: every further request with
    /// the same token will fail the same way, so callers may stop early.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            ApiError::Unauthorized { .. } | ApiError::Forbidden { .. }
        )
    }

    /// The HTTP status the API answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::BadRequest { .. } => Some(400),
            ApiError::Unauthorized { .. } => Some(401),
            ApiError::Forbidden { .. } => Some(403),
            ApiError::NotFound { .. } => Some(404),
            ApiError::Conflict { .. } => Some(409),
            ApiError::Validation { .. } => Some(422),
            ApiError::RateLimited { .. } => Some(429),
            ApiError::Server { status, .. } | ApiError::UnexpectedStatus { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

/// The scopes of a Zeeg API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Needed by every read.
    Read,
    /// Needed by every write.
    Write,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::Read => "crm:read",
            Scope::Write => "crm:write",
        })
    }
}

/// One field a 422 named, with the API's messages about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field as the API named it, e.g. `firstName` or `customAttributes.tier`.
    pub field: String,
    /// What is wrong with it, in the API's words.
    pub messages: Vec<String>,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.messages.join(", "))
    }
}

/// A URL as it may be printed: credentials (`user:secret@`) and the query
/// (which may hold a key) masked. Works on text that does not parse, since
/// that is exactly what an invalid URL may be.
pub(crate) fn masked_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("***@{}", &authority[at + 1..]),
        None => authority.to_string(),
    };
    let tail = match tail.find(['?', '#']) {
        Some(cut) => format!("{}{}***", &tail[..cut], &tail[cut..=cut]),
        None => tail.to_string(),
    };
    format!("{scheme}{authority}{tail}")
}

/// "1 try", "6 tries".
fn counted_tries(n: u32) -> String {
    crate::plural::counted(n as usize, "try", "tries")
}

/// `": message"`, or nothing when the API gave none.
fn detail(message: &Option<String>) -> String {
    match message {
        Some(message) if !message.trim().is_empty() => format!(": {}", message.trim()),
        _ => String::new(),
    }
}

/// The words of a 422: the field errors when there are any, else the message.
struct Summary<'a>(Option<&'a str>, &'a [FieldError]);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Summary(message, errors) = self;
        if errors.is_empty() {
            return f.write_str(message.unwrap_or("validation failed (422)"));
        }
        for (i, error) in errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_url_never_shows_its_credentials_or_query() {
        for (url, shown) in [
            (
                "https://u:SECRET@evil.example/v2",
                "https://***@evil.example/v2",
            ),
            ("https://SECRET@evil.example", "https://***@evil.example"),
            (
                "https://a@b:SECRET@evil.example/",
                "https://***@evil.example/",
            ),
            ("u:SECRET@evil.example/v2", "***@evil.example/v2"),
            (
                "https://api.zeeg.me/v2?key=SECRET",
                "https://api.zeeg.me/v2?***",
            ),
            (
                "https://api.zeeg.me/v2#SECRET",
                "https://api.zeeg.me/v2#***",
            ),
            ("https://api.zeeg.me/v2", "https://api.zeeg.me/v2"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(masked_url(url), shown, "{url}");
        }
        let error = ApiError::InvalidUrl {
            url: "https://u:SECRET@evil.example/v2".into(),
            reason: "it holds credentials".into(),
        };
        assert!(!error.to_string().contains("SECRET"), "{error}");
    }
}
