//! Which redirects a write follows, and what a redirect that is not followed means.
//!
//! Prometheus's sender follows redirects (Go's HTTP client, up to 10), so receivers behind
//! a proxy that moves the endpoint work with it; promgen follows them too, but only those
//! that send the write again as it was: 307 and 308. A 301, 302 or 303 would be followed
//! with a GET without the body (by Go's client and by reqwest alike), which a receiver can
//! only refuse, so it is not followed: it is an error that names where it points, as is
//! any other 3xx. A redirect loop (a URL this request was already sent to) and more than
//! [`MAX_REDIRECTS`] redirects are errors at once: the answer will be the same next time,
//! so retrying would only repeat them until `retry_for` ran out.

use reqwest::{StatusCode, Url, redirect::Policy};
use std::fmt;

/// The most redirects followed for one request, as Go's client and reqwest do.
pub const MAX_REDIRECTS: usize = 10;

/// Why a redirect was not followed ([`WriteError::Redirect`](super::WriteError::Redirect)).
///
/// ```
/// use promgen::remote_write::{RedirectProblem, WriteError};
/// let loop_ = WriteError::Redirect {
///     status: 307,
///     location: Some("http://127.0.0.1:9090/api/v1/write".into()),
///     problem: RedirectProblem::Loop,
/// };
/// assert!(loop_.to_string().starts_with("redirect loop: the receiver redirects (HTTP 307) to http://"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectProblem {
    /// It points to a URL this request was already sent to.
    Loop,
    /// It would be one more than [`MAX_REDIRECTS`].
    TooMany,
    /// Not a 307 or 308, which alone resend the write as it was.
    NotFollowed,
}

/// The redirect policy of a write's HTTP client: 307 and 308 followed, unless they loop or
/// are too many; every other 3xx handed back as the answer.
pub(super) fn policy() -> Policy {
    Policy::custom(|attempt| {
        let status = attempt.status();
        if !matches!(
            status,
            StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT
        ) {
            return attempt.stop();
        }
        // `previous` holds the URL asked first and every one redirected to since.
        let problem = if attempt.previous().contains(attempt.url()) {
            RedirectProblem::Loop
        } else if attempt.previous().len() > MAX_REDIRECTS {
            RedirectProblem::TooMany
        } else {
            return attempt.follow();
        };
        let refused = Refused {
            status: status.as_u16(),
            location: attempt.url().to_string(),
            problem,
        };
        attempt.error(refused)
    })
}

/// A redirect the policy refused, carried out of reqwest as its error's source.
#[derive(Debug)]
pub(super) struct Refused {
    pub(super) status: u16,
    pub(super) location: String,
    pub(super) problem: RedirectProblem,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe(self.status, Some(&self.location), self.problem))
    }
}

impl std::error::Error for Refused {}

/// The redirect refused in a failed request, if that is why it failed.
pub(super) fn refused(e: &reqwest::Error) -> Option<&Refused> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<Refused>() {
            return Some(refused);
        }
        source = s.source();
    }
    None
}

/// Where a 3xx that was handed back points: its `Location` resolved against the URL that
/// answered (a URL prints safely), or as it came, made printable, if it does not resolve.
pub(super) fn location(answered: &Url, header: Option<&[u8]>) -> Option<String> {
    let raw = header?;
    Some(
        std::str::from_utf8(raw)
            .ok()
            .and_then(|text| answered.join(text).ok())
            .map_or_else(|| super::printable(raw), String::from),
    )
}

/// The message of a redirect that was not followed.
pub(super) fn describe(status: u16, location: Option<&str>, problem: RedirectProblem) -> String {
    let to = location.map_or_else(|| "without a Location".to_owned(), |l| format!("to {l}"));
    match problem {
        RedirectProblem::Loop => format!(
            "redirect loop: the receiver redirects (HTTP {status}) {to}, where this request \
             was already sent; not retried"
        ),
        RedirectProblem::TooMany => format!(
            "too many redirects: more than {MAX_REDIRECTS}, the last (HTTP {status}) {to}; \
             not retried"
        ),
        RedirectProblem::NotFollowed if location.is_some() => format!(
            "the receiver redirects the write (HTTP {status}) {to}: not followed, as only 307 \
             and 308 send a write again as it was (a 301, 302 or 303 would send a GET without \
             the samples); write to that URL"
        ),
        RedirectProblem::NotFollowed => {
            format!("the receiver answered HTTP {status} {to}: a redirect that cannot be followed")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_resolves_against_the_url_that_answered_or_is_shown_escaped() {
        let at = Url::parse("http://127.0.0.1:9/api/v1/write").unwrap();
        assert_eq!(
            location(&at, Some(b"/api/v1/push")).as_deref(),
            Some("http://127.0.0.1:9/api/v1/push")
        );
        // A URL percent-encodes what it cannot hold.
        assert_eq!(
            location(&at, Some(b"/x\x1b[2J")).as_deref(),
            Some("http://127.0.0.1:9/x%1B[2J")
        );
        assert_eq!(
            location(&at, Some(b"http://[::1")).as_deref(),
            Some("http://[::1"),
            "as it came when it does not resolve"
        );
        assert_eq!(
            location(&at, Some(b"\xff\x07")).as_deref(),
            Some(r"\xff\x07")
        );
        assert_eq!(location(&at, None), None);
    }
}
