//! The API token: where it comes from, and keeping it out of sight.

use std::ffi::OsString;
use std::fmt;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use super::error::ApiError;

/// The environment variable that holds the API token.
pub const TOKEN_ENV: &str = "ZEEG_API_TOKEN";

/// The largest token file read: a token is a line of a few hundred
/// characters at most.
pub const MAX_TOKEN_FILE_BYTES: u64 = 16 << 10;

/// A Zeeg API token. It is never printed: `Debug` shows a placeholder, and the
/// client only hands it to the `Authorization` header, marked sensitive.
#[derive(Clone)]
pub struct Token(SecretString);

impl Token {
    /// Wraps a token given by the program (the sandbox's built-in token, tests).
    pub fn new(token: impl Into<String>) -> Token {
        Token(SecretString::from(token.into()))
    }

    /// Loads the token from `--token-file PATH` if given, else from the
    /// `ZEEG_API_TOKEN` environment variable.
    pub fn load(token_file: Option<&Path>) -> Result<Token, ApiError> {
        Token::resolve(token_file, std::env::var_os(TOKEN_ENV))
    }

    /// [`Token::load`] with the environment variable's value passed in, so
    /// callers and tests need not touch the process environment. The file
    /// wins over the variable: it is the more explicit choice.
    pub fn resolve(
        token_file: Option<&Path>,
        env_value: Option<OsString>,
    ) -> Result<Token, ApiError> {
        if let Some(path) = token_file {
            return Token::from_file(path);
        }
        let Some(value) = env_value else {
            return Err(ApiError::MissingToken);
        };
        let Ok(value) = value.into_string() else {
            return Err(ApiError::MalformedToken {
                origin: TOKEN_ENV.to_string(),
            });
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(ApiError::MissingToken);
        }
        Token::checked(value, || TOKEN_ENV.to_string())
    }

    /// Reads the token from a file, dropping the trailing newline editors and
    /// `echo` leave behind. A regular file or a pipe (`<(…)`, `/dev/stdin`)
    /// of at most [`MAX_TOKEN_FILE_BYTES`]; opening it never blocks (see
    /// [`crate::files::read_capped`]), but a pipe's writer is waited for.
    pub fn from_file(path: &Path) -> Result<Token, ApiError> {
        let bytes =
            crate::files::read_capped(path, MAX_TOKEN_FILE_BYTES, true).map_err(|source| {
                ApiError::TokenFile {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        let origin = || path.display().to_string();
        let Ok(text) = String::from_utf8(bytes) else {
            return Err(ApiError::MalformedToken { origin: origin() });
        };
        let value = text.trim();
        if value.is_empty() {
            return Err(ApiError::EmptyTokenFile {
                path: path.to_path_buf(),
            });
        }
        Token::checked(value, origin)
    }

    /// Refuses a token that cannot travel in an HTTP header (a line break in
    /// the middle, control characters), without ever echoing it.
    fn checked(value: &str, origin: impl Fn() -> String) -> Result<Token, ApiError> {
        if value.chars().any(|c| c.is_control() || !c.is_ascii()) {
            return Err(ApiError::MalformedToken { origin: origin() });
        }
        Ok(Token::new(value))
    }

    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}
