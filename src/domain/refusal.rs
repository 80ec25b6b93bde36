//! The one shape every refusal takes: a stable machine code plus an English and a Chinese
//! message. Domain code builds these; only the HTTP layer turns them into status codes.

use std::fmt;

/// What kind of refusal this is; the HTTP layer maps each kind to a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The input is well-formed but its content is wrong (a bad check character, say).
    Invalid,
    /// The thing named does not exist.
    NotFound,
    /// The request clashes with what is already recorded (a duplicate, say).
    Conflict,
    /// The caller may not do this.
    Forbidden,
    /// The caller is not (or not correctly) authenticated.
    Unauthenticated,
    /// A fixed limit of a format or of the service was reached.
    Limit,
    /// The request itself is malformed (not JSON, a bad query string).
    Malformed,
    /// The request body is larger than the endpoint takes.
    TooLarge,
    /// The request body is not of the media type the endpoint takes.
    UnsupportedMedia,
    /// The endpoint does not take the request's method.
    MethodNotAllowed,
    /// The service cannot do it now (a locked database, a full disk) but may shortly; nothing
    /// was written.
    Unavailable,
    /// The caller tried too often and must wait (failed logins); the answer says how long.
    Throttled,
    /// The client stopped sending its request before the end.
    Timeout,
    /// A failure of the service itself; details are logged, never sent.
    Internal,
}

/// A refusal with a stable code (`bad_uscc_check`, `unknown_waste_code`, ...) and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub code: &'static str,
    pub message: String,
    pub message_zh: String,
}

impl Refusal {
    pub fn new(
        kind: RefusalKind,
        code: &'static str,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Refusal {
        // Every code is one of the list, with its kind (tests run debug builds).
        debug_assert!(
            super::refusals::find(code).is_some_and(|l| l.kinds.contains(&kind)),
            "refusal code {code} is not in domain::refusals::LIST as {kind:?}"
        );
        Refusal {
            kind,
            code,
            message: message.into(),
            message_zh: message_zh.into(),
        }
    }

    pub fn invalid(code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Refusal {
        Refusal::new(RefusalKind::Invalid, code, en, zh)
    }

    pub fn not_found(code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Refusal {
        Refusal::new(RefusalKind::NotFound, code, en, zh)
    }

    pub fn conflict(code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Refusal {
        Refusal::new(RefusalKind::Conflict, code, en, zh)
    }

    pub fn forbidden(code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Refusal {
        Refusal::new(RefusalKind::Forbidden, code, en, zh)
    }

    /// The same refusal with the name of the field it concerns put in front of both messages.
    pub fn in_field(mut self, field: &str) -> Refusal {
        self.message = format!("{field}: {}", self.message);
        self.message_zh = format!("{field}：{}", self.message_zh);
        self
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} / {})", self.code, self.message, self.message_zh)
    }
}

impl std::error::Error for Refusal {}
