//! The token PIN: asked for at the terminal, or read from a file descriptor
//! or an environment variable for scripts and tests. Never stored: it lives
//! in memory from reading to `C_Login`, then is wiped.

use std::io::BufRead;

use zeroize::Zeroizing;

use crate::Error;

/// The environment variable the binaries read a PIN from when told to (for
/// tests and automation; it is visible to the same user in
/// `/proc/PID/environ`, so a person should type the PIN instead).
pub const PIN_ENV: &str = "MELDKLUIS_TOKEN_PIN";

/// A token PIN. Wiped on drop; never printed.
pub struct Pin(Zeroizing<String>);

impl core::fmt::Debug for Pin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Pin(..)")
    }
}

impl Pin {
    /// Wraps a PIN obtained elsewhere. Trailing and leading line breaks (a
    /// newline from a file) are removed; other characters are kept.
    pub fn new(pin: &str) -> Result<Self, Error> {
        let pin = pin.trim_matches(|c| c == '\r' || c == '\n');
        if pin.is_empty() {
            return Err(Error::Pin("empty PIN".into()));
        }
        Ok(Self(Zeroizing::new(pin.to_owned())))
    }

    /// Asks at the terminal, without echo.
    pub fn prompt(prompt: &str) -> Result<Self, Error> {
        let text = Zeroizing::new(
            rpassword::prompt_password(prompt)
                .map_err(|e| Error::Pin(format!("reading from the terminal: {e}")))?,
        );
        Self::new(&text)
    }

    /// Reads the first line of an already open file descriptor (e.g.
    /// `3<pinfile` in a shell). Linux and other systems with `/dev/fd`.
    pub fn from_fd(fd: u32) -> Result<Self, Error> {
        let path = format!("/dev/fd/{fd}");
        let file = std::fs::File::open(&path).map_err(|e| Error::Pin(format!("{path}: {e}")))?;
        let mut line = Zeroizing::new(String::new());
        std::io::BufReader::new(file)
            .read_line(&mut line)
            .map_err(|e| Error::Pin(format!("{path}: {e}")))?;
        Self::new(&line)
    }

    /// Reads [`PIN_ENV`].
    pub fn from_env() -> Result<Self, Error> {
        let value = Zeroizing::new(
            std::env::var(PIN_ENV).map_err(|_| Error::Pin(format!("{PIN_ENV} is not set")))?,
        );
        Self::new(&value)
    }

    /// The PIN in the form `cryptoki` takes (itself wiped on drop).
    pub(crate) fn to_auth_pin(&self) -> cryptoki::types::AuthPin {
        cryptoki::types::AuthPin::from(self.0.as_str())
    }
}
