//! Account fields that validate on construction: holding one means the value is acceptable.

use std::fmt;

/// Why a field was refused; `field` is the JSON name the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, code: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        code,
        message: message.into(),
    }
}

/// 3–32 characters of `[a-z0-9_.-]`; input is lower-cased so uniqueness is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim().to_ascii_lowercase();
        if !(3..=32).contains(&name.len()) {
            return Err(refuse(
                "username",
                "invalid_username",
                "username must be 3 to 32 characters long",
            ));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
        {
            return Err(refuse(
                "username",
                "invalid_username",
                "username may contain only letters a-z, digits, '_', '.' and '-'",
            ));
        }
        Ok(Self(name))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A plausible address: one `@`, a non-empty local part, a dotted domain, at most 254 bytes.
/// Whether it receives mail is not knowable here; this only keeps garbage out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim();
        let bad = || {
            refuse(
                "email",
                "invalid_email",
                "email must look like name@example.org",
            )
        };
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = email.split_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.contains('@')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(bad());
        }
        Ok(Self(email.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// 8 to 1024 bytes. The upper bound keeps the hasher's cost per request bounded.
pub struct Password(String);

impl Password {
    pub const MIN_BYTES: usize = 8;
    pub const MAX_BYTES: usize = 1024;

    /// Checks length only: `field` names the JSON key (`password`, `new_password`).
    pub fn parse(raw: String, field: &'static str) -> Result<Self, FieldError> {
        if raw.len() < Self::MIN_BYTES {
            return Err(refuse(
                field,
                "password_too_short",
                "password must be at least 8 bytes long",
            ));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(refuse(
                field,
                "password_too_long",
                "password must be at most 1024 bytes long",
            ));
        }
        Ok(Self(raw))
    }

    /// A password as typed at login: never rejected for its length (so a short or long attempt
    /// looks like any wrong password) but cut to the maximum so the hasher's cost stays bounded.
    pub fn attempt(raw: String) -> Self {
        let mut raw = raw;
        if raw.len() > Self::MAX_BYTES {
            let mut end = Self::MAX_BYTES;
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
            raw.truncate(end);
        }
        Self(raw)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// E.164: `+`, a non-zero country digit, at most 15 digits in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let digits = raw.strip_prefix('+').unwrap_or_default();
        let ok = (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !ok {
            return Err(refuse(
                "phone_number",
                "invalid_phone_number",
                "phone_number must be in E.164 form, e.g. +14155550123",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

fn bounded_text(
    raw: &str,
    field: &'static str,
    code: &'static str,
    max_chars: usize,
) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > max_chars || text.chars().any(char::is_control) {
        return Err(refuse(
            field,
            code,
            format!("{field} must be 1 to {max_chars} characters without control characters"),
        ));
    }
    Ok(text.to_owned())
}

/// The name shown instead of the username: 1–64 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        bounded_text(raw, "display_name", "invalid_display_name", 64).map(Self)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A short status line ("in a meeting"): 1–140 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusText(String);

impl StatusText {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        bounded_text(raw, "status", "invalid_status", 140).map(Self)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An `http(s)` URL of at most 2048 bytes; the browser fetches it, so no other scheme is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PictureUrl(String);

impl PictureUrl {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let url = raw.trim();
        let lower = url.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        let ok = url.len() <= 2048
            && rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
            && !url.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return Err(refuse(
                "profile_picture_url",
                "invalid_url",
                "profile_picture_url must be an http(s) URL of at most 2048 bytes",
            ));
        }
        Ok(Self(url.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_cased_and_limited() {
        assert_eq!(
            Username::parse("Alice_01").unwrap().into_inner(),
            "alice_01"
        );
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse("al ice").is_err());
        assert!(Username::parse("alicé").is_err());
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("a@example.org").is_ok());
        for bad in [
            "",
            "a",
            "@example.org",
            "a@b",
            "a@.org",
            "a b@example.org",
            "a@@example.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phone_numbers_must_be_e164() {
        assert!(PhoneNumber::parse("+14155550123").is_ok());
        for bad in [
            "14155550123",
            "+0123",
            "+1",
            "+1234567890123456",
            "+1-415-555",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_bounded_in_bytes() {
        assert!(Password::parse("1234567".into(), "password").is_err());
        assert!(Password::parse("12345678".into(), "password").is_ok());
        assert!(Password::parse("x".repeat(1025), "password").is_err());
        assert_eq!(Password::attempt("é".repeat(600)).expose().len(), 1024);
    }

    #[test]
    fn picture_urls_must_be_http() {
        assert!(PictureUrl::parse("https://example.org/a.png").is_ok());
        assert!(PictureUrl::parse("javascript:alert(1)").is_err());
        assert!(PictureUrl::parse("https://").is_err());
    }
}
