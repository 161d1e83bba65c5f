//! How a mail leaves the server: SMTP through `lettre` (tokio, rustls with
//! ring, STARTTLS or implicit TLS, optional AUTH), or, without SMTP, a local
//! file for trying the product.
//!
//! Errors are reduced to their kind and SMTP reply code before they are
//! logged: an SMTP server's reply text may quote the recipient's address.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use zeroize::Zeroizing;

use crate::config::{Config, SmtpSecurity};

/// Why the transport could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// A file named in the configuration could not be read.
    #[error("reading {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The TLS settings are unusable (e.g. a CA file that is not PEM).
    #[error("smtp tls: {0}")]
    Tls(String),
    /// A user name without a password, or the other way round.
    #[error("smtp: {0}")]
    Credentials(&'static str),
}

/// A failed delivery, described without anything the SMTP server said
/// beyond its reply code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendFailure(pub String);

/// Where mail goes.
pub(crate) enum Transport {
    /// An SMTP server.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        describe: String,
    },
    /// A local file (no SMTP configured).
    File(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Transport {
    /// The transport the configuration asks for. The SMTP password comes
    /// from `smtp.password_file`, else the `MELDKLUIS_SMTP_PASSWORD`
    /// variable read through `env`.
    pub(crate) fn from_config(
        config: &Config,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, TransportError> {
        let Some(smtp) = &config.smtp else {
            return Ok(Self::File(config.notice_demo_file()));
        };
        let host = smtp.host.trim().to_owned();
        let port = smtp.port();
        let tls = match smtp.security {
            SmtpSecurity::None => Tls::None,
            security => {
                let mut builder = TlsParameters::builder(host.clone());
                if let Some(path) = &smtp.ca_file {
                    let pem =
                        std::fs::read(path).map_err(|e| TransportError::Read(path.clone(), e))?;
                    let cert = Certificate::from_pem(&pem)
                        .map_err(|e| TransportError::Tls(format!("ca_file: {e}")))?;
                    builder = builder.add_root_certificate(cert);
                }
                let params = builder
                    .build_rustls()
                    .map_err(|e| TransportError::Tls(e.to_string()))?;
                if security == SmtpSecurity::Tls {
                    Tls::Wrapper(params)
                } else {
                    // Required, never opportunistic: a server that does not
                    // offer STARTTLS gets no mail rather than plain text.
                    Tls::Required(params)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(smtp.timeout_secs)));
        let password = match &smtp.password_file {
            Some(path) => Some(Zeroizing::new(
                std::fs::read_to_string(path)
                    .map_err(|e| TransportError::Read(path.clone(), e))?
                    .trim_end_matches(['\r', '\n'])
                    .to_owned(),
            )),
            None => env("MELDKLUIS_SMTP_PASSWORD").map(Zeroizing::new),
        };
        match (&smtp.username, password) {
            (Some(user), Some(password)) => {
                // lettre keeps its own copy (not wiped); ours is.
                builder = builder.credentials(Credentials::new(user.clone(), password.to_string()));
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(TransportError::Credentials("username without a password"))
            }
            (None, Some(_)) => {
                return Err(TransportError::Credentials("password without a username"))
            }
        }
        let security = match smtp.security {
            SmtpSecurity::None => "no TLS",
            SmtpSecurity::Starttls => "STARTTLS",
            SmtpSecurity::Tls => "TLS",
        };
        Ok(Self::Smtp {
            transport: builder.build(),
            describe: format!(
                "SMTP {host}:{port} ({security}{})",
                if smtp.username.is_some() {
                    ", AUTH"
                } else {
                    ""
                }
            ),
        })
    }

    /// One line for the start-up log.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Smtp { describe, .. } => describe.clone(),
            Self::File(path) => format!("the file {}", path.display()),
        }
    }

    /// True when mail goes to a local file.
    pub(crate) fn is_file(&self) -> bool {
        matches!(self, Self::File(_))
    }

    /// Sends one message. `Ok` means the SMTP server answered 250 to the
    /// end of the data (it took responsibility), or the file is synced.
    pub(crate) async fn send(&self, message: Message) -> Result<(), SendFailure> {
        match self {
            Self::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(drop)
                .map_err(|e| SendFailure(describe_smtp_error(&e))),
            Self::File(path) => {
                let path = path.clone();
                crate::db::blocking(move || append(&path, &message.formatted()))
                    .await
                    .map_err(|e| SendFailure(format!("file: {}", e.kind())))
            }
        }
    }
}

/// The kind of an SMTP failure and the reply code, never the reply text.
fn describe_smtp_error(e: &lettre::transport::smtp::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_tls() {
        "tls"
    } else if e.is_transient() {
        "transient reply"
    } else if e.is_permanent() {
        "permanent reply"
    } else if e.is_response() {
        "unreadable reply"
    } else if e.is_transport_shutdown() {
        "transport shut down"
    } else if e.is_client() {
        "client"
    } else {
        "connection"
    };
    match e.status() {
        Some(code) => format!("{kind} {code}"),
        None => kind.to_owned(),
    }
}

/// Appends a message to the demo file (0600) and syncs it.
fn append(path: &Path, message: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        crate::config::create_private_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let mut entry = Vec::with_capacity(message.len() + 80);
    entry
        .extend_from_slice(b"-----8<----- meldkluis notice (DEMO ONLY: not sent) -----8<-----\r\n");
    entry.extend_from_slice(message);
    entry.extend_from_slice(b"\r\n");
    file.write_all(&entry)?;
    file.sync_all()
}

/// Builds a plain-text message. The Message-ID is derived from the outbox
/// row, so a message sent twice (a crash after the SMTP server accepted it,
/// before the row was removed) carries the same id both times and mail
/// programs that drop duplicate ids show it once.
pub(crate) fn build_message(
    from: &Mailbox,
    to: &str,
    outbox_id: &[u8; 16],
    subject: &str,
    body: String,
) -> Result<Message, SendFailure> {
    let to: lettre::Address = to
        .parse()
        .map_err(|_| SendFailure("stored address no longer parses".into()))?;
    let auto_submitted = lettre::message::header::HeaderValue::new(
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted"),
        "auto-generated".to_owned(),
    );
    Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to))
        .subject(subject)
        .message_id(Some(format!(
            "<{}@{}>",
            hex::encode(outbox_id),
            from.email.domain()
        )))
        // RFC 3834: no vacation replies to a notice.
        .raw_header(auto_submitted)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|_| SendFailure("message could not be built".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_carries_its_outbox_id_and_no_auto_replies() {
        let from: Mailbox = "meldkluis <noreply@meldkluis.example>"
            .parse()
            .expect("valid");
        let message = build_message(&from, "a@b.example", &[0xab; 16], "Subject", "Body".into())
            .expect("built");
        let text = String::from_utf8(message.formatted()).expect("utf-8");
        assert!(text.contains(&format!(
            "Message-ID: <{}@meldkluis.example>",
            "ab".repeat(16)
        )));
        assert!(text.contains("Auto-Submitted: auto-generated"));
        assert!(text.contains("To: a@b.example"));
    }

    #[test]
    fn smtp_settings_become_a_transport() {
        let mut config = Config::default();
        assert!(Transport::from_config(&config, |_| None)
            .expect("file")
            .is_file());
        config.smtp = Some(crate::config::SmtpConfig {
            host: "smtp.example".into(),
            port: None,
            security: SmtpSecurity::Starttls,
            username: Some("user".into()),
            password_file: None,
            ca_file: None,
            timeout_secs: 30,
        });
        assert!(matches!(
            Transport::from_config(&config, |_| None),
            Err(TransportError::Credentials(_))
        ));
        let transport = Transport::from_config(&config, |name| {
            (name == "MELDKLUIS_SMTP_PASSWORD").then(|| "hunter2".to_owned())
        })
        .expect("smtp");
        let described = format!("{transport:?}");
        assert_eq!(described, "SMTP smtp.example:587 (STARTTLS, AUTH)");
        assert!(!described.contains("hunter2"));
    }
}
