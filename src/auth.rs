//! Write access: reads are public, every mutation needs `Authorization: Bearer <token>`
//! with a token from the configuration (`WRITE_TOKENS`, `WRITE_TOKENS_FILE`).
//!
//! Only SHA-256 digests of the tokens are kept, and a presented token is compared with
//! every configured digest in constant time, so neither the comparison's duration nor its
//! early exit tells an attacker how much of a guess was right. Tokens are never logged:
//! [`Secret`] and [`WriteAccess`] print as `***`.

use std::fmt;
use std::path::Path;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};

/// Fewest characters a write token may have: a short token is a guessable token.
pub const MIN_TOKEN_CHARS: usize = 16;

/// How to turn writing on, for the error a client sees when it is off.
pub const HOW_TO_ENABLE: &str = "writing is disabled on this server: no write token is \
configured. Start it with WRITE_TOKENS=<token>[,<token>...] or WRITE_TOKENS_FILE=<file with \
one token per line> (tokens of at least 16 characters), then send `Authorization: Bearer <token>`";

/// A configuration value that must never be printed (a token or a list of tokens).
#[derive(Clone, Default)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

/// Who sent a request, as far as writing is concerned. Added to each request's data by the
/// HTTP handler; mutations check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No `Authorization` header.
    Anonymous,
    /// A bearer token that matches no configured token (or a malformed header).
    BadToken,
    /// The server has no write token configured: nobody can write.
    WritesDisabled,
    /// A caller holding configured token number `token` (1-based, in configuration order).
    Writer { token: usize },
    /// A GET request: it may only read, whatever its token.
    ReadOnlyRequest,
}

impl Caller {
    /// The caller, if allowed to write; otherwise the error to answer with.
    pub fn writer(&self) -> Result<usize> {
        match self {
            Caller::Writer { token } => Ok(*token),
            Caller::WritesDisabled => Err(Error::Forbidden(HOW_TO_ENABLE.into())),
            Caller::ReadOnlyRequest => Err(Error::Forbidden(
                "mutations are sent with POST: a GET request only reads".into(),
            )),
            Caller::Anonymous => Err(Error::Unauthenticated(
                "mutations need an `Authorization: Bearer <token>` header".into(),
            )),
            Caller::BadToken => Err(Error::Unauthenticated(
                "the bearer token is not a valid write token".into(),
            )),
        }
    }
}

/// The configured write tokens, as digests.
#[derive(Clone, Default)]
pub struct WriteAccess {
    digests: Vec<[u8; 32]>,
}

impl fmt::Debug for WriteAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WriteAccess({} tokens: ***)", self.digests.len())
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl WriteAccess {
    /// No token: writing is disabled.
    pub fn disabled() -> Self {
        WriteAccess::default()
    }

    /// Access for these tokens; each must have at least [`MIN_TOKEN_CHARS`] characters.
    pub fn with_tokens<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Result<Self> {
        let mut digests = Vec::new();
        for (i, token) in tokens.into_iter().enumerate() {
            if token.chars().count() < MIN_TOKEN_CHARS {
                return Err(Error::invalid(
                    "writeTokens",
                    format!(
                        "token number {} is shorter than {MIN_TOKEN_CHARS} characters",
                        i + 1
                    ),
                ));
            }
            digests.push(digest(token));
        }
        Ok(WriteAccess { digests })
    }

    /// Tokens from a comma-separated list and/or a file with one token per line (blank
    /// lines and lines starting with `#` are skipped); surrounding spaces are ignored.
    pub fn from_config(list: Option<&Secret>, file: Option<&Path>) -> Result<Self> {
        let mut tokens: Vec<String> = list
            .map(|s| {
                s.0.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::invalid(
                    "writeTokensFile",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            tokens.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|t| !t.is_empty() && !t.starts_with('#'))
                    .map(String::from),
            );
        }
        WriteAccess::with_tokens(tokens.iter().map(String::as_str))
    }

    /// Number of configured tokens.
    pub fn token_count(&self) -> usize {
        self.digests.len()
    }

    /// Who presents this `Authorization` header value (`None`: no header).
    pub fn authenticate(&self, authorization: Option<&[u8]>) -> Caller {
        if self.digests.is_empty() {
            return Caller::WritesDisabled;
        }
        let Some(value) = authorization else {
            return Caller::Anonymous;
        };
        let Some(token) = std::str::from_utf8(value)
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
        else {
            return Caller::BadToken;
        };
        let presented = digest(token);
        // Every digest is compared, whatever matched before: the time does not depend on
        // which token (if any) matched.
        let mut found = 0usize;
        for (i, configured) in self.digests.iter().enumerate() {
            let equal: bool = configured.ct_eq(&presented).into();
            found |= usize::from(equal) * (i + 1);
        }
        match found {
            0 => Caller::BadToken,
            token => Caller::Writer { token },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "alpha-token-0123456789";
    const B: &str = "bravo-token-0123456789";

    #[test]
    fn a_configured_token_is_a_writer_and_others_are_not() {
        let access = WriteAccess::with_tokens([A, B]).expect("tokens");
        let auth = |h: &str| access.authenticate(Some(h.as_bytes()));
        assert_eq!(auth(&format!("Bearer {A}")), Caller::Writer { token: 1 });
        assert_eq!(auth(&format!("Bearer {B}")), Caller::Writer { token: 2 });
        assert_eq!(auth("Bearer alpha-token-012345678"), Caller::BadToken);
        assert_eq!(auth(A), Caller::BadToken);
        assert_eq!(access.authenticate(None), Caller::Anonymous);
    }

    #[test]
    fn without_tokens_writing_is_disabled() {
        let access = WriteAccess::disabled();
        assert_eq!(
            access.authenticate(Some(format!("Bearer {A}").as_bytes())),
            Caller::WritesDisabled
        );
        let err = Caller::WritesDisabled.writer().expect_err("disabled");
        assert!(err.to_string().contains("WRITE_TOKENS"), "{err}");
    }

    #[test]
    fn short_tokens_are_refused_and_tokens_never_print() {
        assert!(WriteAccess::with_tokens(["short"]).is_err());
        let access =
            WriteAccess::from_config(Some(&Secret(format!(" {A} ,{B}"))), None).expect("tokens");
        assert_eq!(access.token_count(), 2);
        let printed = format!("{access:?} {:?}", Secret(A.into()));
        assert!(!printed.contains("alpha"), "{printed}");
    }
}
