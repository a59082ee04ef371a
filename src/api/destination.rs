//! Where the token may go: the one rule that picks the host that receives it.
//!
//! The token belongs to whoever runs zeeg (often a CI secret), while
//! `zeeg.yaml` belongs to the repository, which anyone opening a pull request
//! can change. So the repository may only choose among hosts that are safe for
//! any token — the real API and this machine — and any other host must be
//! named by the person running zeeg, with `--api-url` or `ZEEG_API_URL`.

use std::path::Path;

use url::{Host, Url};

use super::assumed::DEFAULT_BASE_URL;
use super::error::ApiError;

/// The base URL requests (and so the token) go to: `--api-url` /
/// `ZEEG_API_URL` when given, whatever its host; else `apiUrl` from the
/// project's `config_file` if it names the real API or this machine; else the
/// real API. `apiUrl` naming any other host is
/// [`ApiError::UntrustedConfiguredUrl`], not a silent fallback, so the user
/// learns that their setting is not used.
///
/// Only the host is judged here; [`Client::new`](super::Client::new) still
/// refuses plain `http://` off this machine and malformed URLs.
pub fn base_url(
    command_line: Option<&str>,
    configured: Option<&str>,
    config_file: &Path,
) -> Result<String, ApiError> {
    if let Some(url) = command_line {
        return Ok(url.to_string());
    }
    let Some(url) = configured else {
        return Ok(DEFAULT_BASE_URL.to_string());
    };
    let parsed = Url::parse(url.trim()).map_err(|e| ApiError::InvalidUrl {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    match parsed.host() {
        Some(host) if trusted_for_any_token(&host) => Ok(url.to_string()),
        host => Err(ApiError::UntrustedConfiguredUrl {
            file: config_file.to_path_buf(),
            host: host.map_or_else(|| "(no host)".to_string(), |h| h.to_string()),
        }),
    }
}

/// The real API's host (however it is spelt), or this machine.
fn trusted_for_any_token(host: &Host<&str>) -> bool {
    if is_loopback(host) {
        return true;
    }
    let real = Url::parse(DEFAULT_BASE_URL).ok();
    let real = real.as_ref().and_then(Url::host_str);
    match (host, real) {
        // `url` lower-cases domains; a trailing dot names the same host.
        (Host::Domain(name), Some(real)) => name.trim_end_matches('.') == real,
        _ => false,
    }
}

/// This machine: `localhost`, `127.0.0.0/8`, `::1`.
pub(crate) fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "project/zeeg.yaml";

    fn chosen(command_line: Option<&str>, configured: Option<&str>) -> Result<String, ApiError> {
        base_url(command_line, configured, Path::new(FILE))
    }

    #[test]
    fn the_real_api_is_the_default() {
        assert_eq!(chosen(None, None).unwrap(), DEFAULT_BASE_URL);
    }

    #[test]
    fn the_project_may_name_the_real_api_or_this_machine() {
        for url in [
            "https://api.zeeg.me/v2",
            "https://API.Zeeg.ME./v2",
            "http://127.0.0.1:8080/v2",
            "http://localhost:9/v2",
            "http://[::1]:9/v2",
        ] {
            assert_eq!(chosen(None, Some(url)).unwrap(), url, "{url}");
        }
    }

    #[test]
    fn the_project_may_not_name_another_host() {
        for (url, host) in [
            ("https://evil.example/v2", "evil.example"),
            (
                "https://api.zeeg.me.evil.example/v2",
                "api.zeeg.me.evil.example",
            ),
            ("https://zeeg.me/v2", "zeeg.me"),
            ("https://10.0.0.1/v2", "10.0.0.1"),
        ] {
            match chosen(None, Some(url)) {
                Err(ApiError::UntrustedConfiguredUrl { file, host: named }) => {
                    assert_eq!(named, host);
                    assert_eq!(file, Path::new(FILE));
                }
                other => panic!("{url}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_command_line_may_name_any_host_and_wins_over_the_project() {
        let url = "https://crm.internal.example/v2";
        assert_eq!(chosen(Some(url), None).unwrap(), url);
        assert_eq!(
            chosen(Some(url), Some("https://evil.example")).unwrap(),
            url
        );
    }
}
