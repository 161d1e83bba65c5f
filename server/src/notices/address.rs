//! An e-mail address: checked once, wiped on drop, never printed.

use zeroize::Zeroizing;

/// Why an address was refused. Never carries the address itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Longer than 254 characters (the limit of a forward path in SMTP).
    #[error("address too long")]
    TooLong,
    /// Not exactly one `@` with something on both sides.
    #[error("address is not local@domain")]
    Shape,
    /// Whitespace, a control character or a character that has a meaning
    /// in a mail header.
    #[error("address contains a character it may not")]
    Character,
    /// The domain is not a host name.
    #[error("address domain is invalid")]
    Domain,
}

/// An e-mail address. Its `Debug` shows `EmailAddress(..)`; the only way to
/// the text is [`EmailAddress::expose_address`].
pub struct EmailAddress(Zeroizing<String>);

impl std::fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailAddress(..)")
    }
}

impl EmailAddress {
    /// Checks an address as a person typed it (surrounding whitespace is
    /// dropped): at most 254 characters, one `@`, a local part of 1 to 64
    /// characters, a domain of dot-separated labels, no whitespace, control
    /// or header characters; and lettre must accept it, so a stored address
    /// can always be sent to.
    pub fn parse(text: &str) -> Result<Self, AddressError> {
        let text = text.trim();
        if text.len() > 254 {
            return Err(AddressError::TooLong);
        }
        if text.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '"' | '\\'
                )
        }) {
            return Err(AddressError::Character);
        }
        let mut parts = text.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(AddressError::Shape);
        };
        if local.is_empty() || local.len() > 64 || domain.is_empty() {
            return Err(AddressError::Shape);
        }
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if domain.len() > 253 || !domain.split('.').all(label_ok) {
            return Err(AddressError::Domain);
        }
        if text.parse::<lettre::Address>().is_err() {
            return Err(AddressError::Shape);
        }
        Ok(Self(Zeroizing::new(text.to_owned())))
    }

    /// The address itself. Call only to store it sealed or to send to it.
    pub fn expose_address(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasonable_addresses_pass() {
        for ok in [
            "a@b.nl",
            "melder.2026+meldkluis@voorbeeld.example",
            "  spaced@example.org\n",
            "x@localhost",
            "jan@bücher.example",
        ] {
            let address = EmailAddress::parse(ok).expect(ok);
            assert_eq!(address.expose_address(), ok.trim());
        }
    }

    #[test]
    fn everything_else_is_refused_without_echoing_it() {
        let long = format!("{}@example.org", "a".repeat(250));
        let cases: &[(&str, AddressError)] = &[
            ("", AddressError::Shape),
            ("no-at.example.org", AddressError::Shape),
            ("two@@example.org", AddressError::Shape),
            ("a@b@c.example", AddressError::Shape),
            ("@example.org", AddressError::Shape),
            ("someone@", AddressError::Shape),
            ("some one@example.org", AddressError::Character),
            ("a@example.org\r\nBcc: x@y.example", AddressError::Character),
            ("a\u{0}@example.org", AddressError::Character),
            ("Name <a@example.org>", AddressError::Character),
            ("a,b@example.org", AddressError::Character),
            ("a@exa_mple.org", AddressError::Domain),
            ("a@.example.org", AddressError::Domain),
            ("a@example..org", AddressError::Domain),
            ("a@-example.org", AddressError::Domain),
            (&long, AddressError::TooLong),
        ];
        for (bad, why) in cases {
            let err = EmailAddress::parse(bad).expect_err(bad);
            assert_eq!(err, *why, "{bad:?}");
            assert!(bad.is_empty() || !err.to_string().contains(bad.trim()));
        }
        let local = format!("{}@example.org", "a".repeat(65));
        assert!(EmailAddress::parse(&local).is_err());
    }

    #[test]
    fn debug_never_shows_the_address() {
        let address = EmailAddress::parse("secret.person@example.org").expect("valid");
        assert_eq!(format!("{address:?}"), "EmailAddress(..)");
    }
}
