//! Configuration: built-in defaults, then an optional TOML file, then
//! `MELDKLUIS_*` environment variables, then command-line flags; validated
//! once at start. Holds paths and limits only: secrets live in files (or, for
//! the notice key and the SMTP password, the environment) and are loaded into
//! types that never print (see [`ServerSecret`] and `notices`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use zeroize::Zeroizing;

/// Why a configuration (or the data it points at) cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML for this server.
    #[error("invalid configuration file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// An environment variable has an invalid value.
    #[error("invalid value in environment variable {0}")]
    Env(&'static str),
    /// A setting is out of range.
    #[error("invalid setting {0}: {1}")]
    Invalid(&'static str, &'static str),
}

/// `Ok` if `ok`, else [`ConfigError::Invalid`] naming the setting and the
/// rule it breaks: one line per rule in every section's validation.
pub(crate) fn check(ok: bool, name: &'static str, why: &'static str) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid(name, why))
    }
}

/// TLS settings, for deployments without a reverse proxy.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the certificate chain.
    pub cert_path: PathBuf,
    /// PEM file with the private key.
    pub key_path: PathBuf,
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP: only for a relay on the same machine or network.
    None,
    /// Plain connection upgraded with STARTTLS, which is required (never a
    /// silent fall back to plain text). Port 587 by default.
    #[default]
    Starttls,
    /// TLS from the first byte ("implicit TLS", SMTPS). Port 465 by default.
    Tls,
}

impl std::str::FromStr for SmtpSecurity {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "none" => Ok(Self::None),
            "starttls" => Ok(Self::Starttls),
            "tls" => Ok(Self::Tls),
            _ => Err(()),
        }
    }
}

/// The SMTP server that carries notices and reminders (`[smtp]`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Host name of the SMTP server (also the name its certificate must carry).
    pub host: String,
    /// Port; default 25, 587 or 465 by `security`.
    #[serde(default)]
    pub port: Option<u16>,
    /// `none`, `starttls` (default) or `tls`.
    #[serde(default)]
    pub security: SmtpSecurity,
    /// User name for SMTP AUTH, if the server wants one. The password comes
    /// from `password_file` or the environment (`MELDKLUIS_SMTP_PASSWORD`).
    #[serde(default)]
    pub username: Option<String>,
    /// File holding the SMTP password (one line).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// A PEM file with a CA certificate to trust in addition to the public
    /// roots (a relay with a private CA).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Seconds before an SMTP conversation is given up (and retried later).
    #[serde(default = "default_smtp_timeout")]
    pub timeout_secs: u64,
}

fn default_smtp_timeout() -> u64 {
    30
}

impl SmtpConfig {
    /// The port to use.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            SmtpSecurity::None => 25,
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
        })
    }
}

/// E-mail notices to reporters and deadline reminders to advisors
/// (`[notices]`). Durations in seconds (fractions allowed, for tests).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NoticeConfig {
    /// The sender of every notice, e.g. `meldkluis <noreply@example.org>`.
    pub from: String,
    /// A notice to a reporter waits a random time between `delay_min_secs`
    /// and `delay_max_secs` before it may go out, so the time of the e-mail
    /// does not tell the time of the advisor's action.
    pub delay_min_secs: f64,
    /// See `delay_min_secs`.
    pub delay_max_secs: f64,
    /// Notices leave in rounds, this far apart: every notice due in a round
    /// goes out with the others, never at the moment it became due.
    pub send_interval_secs: f64,
    /// First wait before a failed delivery is tried again; doubles per try.
    pub retry_base_secs: f64,
    /// Longest wait between two tries.
    pub retry_max_secs: f64,
    /// A notice still undelivered this long after it was due is dropped
    /// (with a log line, without the address).
    pub give_up_after_hours: u64,
    /// Hour of the day (UTC) from which the advisors' daily digest is sent.
    pub digest_hour_utc: u32,
    /// The digest lists a feedback deadline this many days ahead.
    pub feedback_warning_days: u32,
    /// The digest lists an agreed update date this many days ahead.
    pub update_warning_days: u32,
    /// Without `[smtp]`, notices are appended to this file instead (for
    /// trying the product only: it holds e-mail addresses in the clear, so
    /// it must not be inside the data directory). Default: beside the
    /// notice key.
    pub demo_file: Option<PathBuf>,
}

impl Default for NoticeConfig {
    fn default() -> Self {
        Self {
            from: "meldkluis <noreply@localhost>".to_owned(),
            delay_min_secs: 600.0,
            delay_max_secs: 3600.0,
            send_interval_secs: 300.0,
            retry_base_secs: 60.0,
            retry_max_secs: 3600.0,
            give_up_after_hours: 7 * 24,
            digest_hour_utc: 6,
            feedback_warning_days: 14,
            update_warning_days: 7,
            demo_file: None,
        }
    }
}

/// The server's configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the server database, tenant databases and attachments live.
    pub data_dir: PathBuf,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The file with the server secret that keys the hashes of mailbox
    /// authentication secrets. Default: `<data_dir>/secrets/server-secret`.
    /// Keep it out of the tenant backups.
    pub server_secret_path: Option<PathBuf>,
    /// TLS, if the server terminates it itself.
    pub tls: Option<TlsConfig>,
    /// Largest report or message item accepted, in bytes.
    pub max_item_bytes: u64,
    /// Largest attachment item for new tenants, in bytes (per tenant setting).
    pub default_max_attachment_bytes: u64,
    /// How many tenant databases are kept open at once.
    pub open_tenant_limit: usize,
    /// Most jobs written in one group commit. Small batches keep the
    /// worker and the WAL's fsync (on the syncer thread) both busy: 16
    /// measured best with `meldkluis-load` (64 clients), 512 left the worker
    /// idle while one large batch waited for its fsync.
    pub group_commit_max: usize,
    /// Mailbox log-in attempts allowed in a burst per mailbox id.
    pub login_burst_per_mailbox: u32,
    /// Mailbox log-in attempts refilled per minute per mailbox id.
    pub login_per_minute_per_mailbox: u32,
    /// Log-in attempts per second over the whole server: mailbox log-ins
    /// and advisor log-ins each have a bucket of this size.
    pub login_per_second_global: u32,
    /// Lifetime of a reporter's session, in seconds.
    pub mailbox_session_secs: u64,
    /// Lifetime of an advisor's session, in seconds.
    pub advisor_session_secs: u64,
    /// Most live reporter (mailbox) sessions per tenant (a memory bound
    /// that one tenant's junk mailboxes cannot push onto another tenant).
    /// When a tenant is full, a new mailbox log-in is refused (429) and no
    /// live session is ended. Formerly `max_sessions` (then server-wide).
    #[serde(alias = "max_sessions")]
    pub max_mailbox_sessions_per_tenant: usize,
    /// Most live sessions per mailbox: a further log-in ends the oldest.
    pub sessions_per_mailbox: usize,
    /// Most live sessions per advisor: a further log-in ends the oldest.
    pub sessions_per_advisor: usize,
    /// Seconds a client has to send a request's headers (and an idle
    /// kept-alive connection is kept): a client that sends them byte by
    /// byte is cut off after this (slow-loris).
    pub header_read_timeout_secs: u64,
    /// Seconds a request body may pause between two pieces before the
    /// request is ended with 408 (an upload that stalls or drips).
    pub body_idle_timeout_secs: u64,
    /// Seconds a request (other than an attachment upload or download,
    /// which are bounded by `body_idle_timeout_secs` per piece) may take
    /// in all before it is ended with 408.
    pub request_timeout_secs: u64,
    /// Debug only: write one log line per request, with its route, status
    /// and the time to the microsecond. This reveals when each report,
    /// log-in and message happened (finer than the creation day the server
    /// otherwise knows), so leave it off in production.
    pub debug_log_requests: bool,
    /// The browser bundle (`scripts/build-wasm.sh` output): the wasm, the
    /// page scripts and the stylesheet. Default: `web-client/pkg` of the
    /// source tree this server was built from.
    pub assets_dir: PathBuf,
    /// Adds `POST /api/v1/t/{tenant}/bench/reports-no-store`, which does all
    /// the work of a report submission except touching SQLite. For the load
    /// generator's baseline only; never set it in production.
    pub bench_baseline_endpoint: bool,
    /// The address reporters reach the web client at, e.g.
    /// `https://meldkluis.example`; notices link to
    /// `{public_url}/t/{tenant}/mailbox`. Default: from `listen` and `tls`.
    pub public_url: Option<String>,
    /// The file with the notice key, which encrypts the e-mail store and
    /// keys its lookups. Must be outside the data directory, so that a copy
    /// of the data directory alone links no address to anything. Default:
    /// `<data_dir>-secrets/notice-key` beside the data directory. The
    /// environment variable `MELDKLUIS_NOTICE_KEY` (64 hex digits) takes
    /// precedence over any file.
    pub notice_key_path: Option<PathBuf>,
    /// The deletion log (see `deletion_log`): every deletion the law
    /// requires, so that restoring an older backup never brings deleted
    /// reports back. Must be outside the data directory (a lost data
    /// directory must not take the log with it); best on other storage.
    /// Default: `<data_dir>-deletion-log/deletion-log` beside the data
    /// directory.
    pub deletion_log_path: Option<PathBuf>,
    /// The SMTP server; without it notices go to `notices.demo_file`.
    pub smtp: Option<SmtpConfig>,
    /// Notices and reminders.
    pub notices: NoticeConfig,
    /// Replication of every tenant database by Litestream (`[replication]`);
    /// absent: none.
    pub replication: Option<crate::replication::ReplicationConfig>,
    /// The S3 bucket that holds every attachment item (`[object_store]`);
    /// absent: attachments live only in the data directory.
    pub object_store: Option<crate::objects::ObjectStoreConfig>,
    /// One owner per tenant among several nodes (`[cluster]`, needs
    /// `[replication]` and `[object_store]`); absent: a single node.
    pub cluster: Option<crate::cluster::ClusterConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8470)),
            server_secret_path: None,
            tls: None,
            max_item_bytes: 4 << 20,
            default_max_attachment_bytes: 128 << 20,
            open_tenant_limit: 256,
            group_commit_max: 16,
            login_burst_per_mailbox: 10,
            login_per_minute_per_mailbox: 10,
            login_per_second_global: 20_000,
            mailbox_session_secs: 30 * 60,
            advisor_session_secs: 60 * 60,
            max_mailbox_sessions_per_tenant: 100_000,
            sessions_per_mailbox: 4,
            sessions_per_advisor: 8,
            header_read_timeout_secs: 10,
            body_idle_timeout_secs: 30,
            request_timeout_secs: 60,
            debug_log_requests: false,
            assets_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../web-client/pkg")),
            bench_baseline_endpoint: false,
            public_url: None,
            notice_key_path: None,
            deletion_log_path: None,
            smtp: None,
            notices: NoticeConfig::default(),
            replication: None,
            object_store: None,
            cluster: None,
        }
    }
}

impl Config {
    /// Defaults, then the file (if any), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    /// Reads a TOML file over the defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.message().to_owned(),
        })
    }

    /// Applies `MELDKLUIS_*` variables, read through `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(value: &str, name: &'static str) -> Result<T, ConfigError> {
            value.trim().parse().map_err(|_| ConfigError::Env(name))
        }
        macro_rules! env_setting {
            ($name:literal, $field:expr) => {
                if let Some(value) = get($name) {
                    $field = parse(&value, $name)?;
                }
            };
        }
        if let Some(value) = get("MELDKLUIS_DATA_DIR") {
            self.data_dir = PathBuf::from(value);
        }
        if let Some(value) = get("MELDKLUIS_ASSETS_DIR") {
            self.assets_dir = PathBuf::from(value);
        }
        if let Some(value) = get("MELDKLUIS_SERVER_SECRET_PATH") {
            self.server_secret_path = Some(PathBuf::from(value));
        }
        match (get("MELDKLUIS_TLS_CERT"), get("MELDKLUIS_TLS_KEY")) {
            (Some(cert), Some(key)) => {
                self.tls = Some(TlsConfig {
                    cert_path: cert.into(),
                    key_path: key.into(),
                });
            }
            (None, None) => {}
            _ => {
                return Err(ConfigError::Env(
                    "MELDKLUIS_TLS_CERT/MELDKLUIS_TLS_KEY (set both or neither)",
                ))
            }
        }
        if let Some(value) = get("MELDKLUIS_PUBLIC_URL") {
            self.public_url = Some(value);
        }
        if let Some(value) = get("MELDKLUIS_NOTICE_KEY_PATH") {
            self.notice_key_path = Some(PathBuf::from(value));
        }
        if let Some(value) = get("MELDKLUIS_DELETION_LOG_PATH") {
            self.deletion_log_path = Some(PathBuf::from(value));
        }
        if let Some(host) = get("MELDKLUIS_SMTP_HOST") {
            self.smtp = Some(SmtpConfig {
                host,
                ..self.smtp.take().unwrap_or(SmtpConfig {
                    host: String::new(),
                    port: None,
                    security: SmtpSecurity::default(),
                    username: None,
                    password_file: None,
                    ca_file: None,
                    timeout_secs: default_smtp_timeout(),
                })
            });
        }
        if let Some(smtp) = self.smtp.as_mut() {
            if let Some(value) = get("MELDKLUIS_SMTP_PORT") {
                smtp.port = Some(parse(&value, "MELDKLUIS_SMTP_PORT")?);
            }
            env_setting!("MELDKLUIS_SMTP_SECURITY", smtp.security);
            if let Some(value) = get("MELDKLUIS_SMTP_USERNAME") {
                smtp.username = Some(value);
            }
            if let Some(value) = get("MELDKLUIS_SMTP_PASSWORD_FILE") {
                smtp.password_file = Some(PathBuf::from(value));
            }
            if let Some(value) = get("MELDKLUIS_SMTP_CA_FILE") {
                smtp.ca_file = Some(PathBuf::from(value));
            }
        }
        if let Some(value) = get("MELDKLUIS_NOTICE_FROM") {
            self.notices.from = value;
        }
        env_setting!("MELDKLUIS_LISTEN", self.listen);
        env_setting!("MELDKLUIS_MAX_ITEM_BYTES", self.max_item_bytes);
        env_setting!(
            "MELDKLUIS_DEFAULT_MAX_ATTACHMENT_BYTES",
            self.default_max_attachment_bytes
        );
        env_setting!("MELDKLUIS_OPEN_TENANT_LIMIT", self.open_tenant_limit);
        env_setting!("MELDKLUIS_DEBUG_LOG_REQUESTS", self.debug_log_requests);
        env_setting!(
            "MELDKLUIS_LOGIN_PER_SECOND_GLOBAL",
            self.login_per_second_global
        );
        Ok(())
    }

    /// Checks every setting; called once at start.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check(
            !self.data_dir.as_os_str().is_empty(),
            "data_dir",
            "must not be empty",
        )?;
        check(
            (1024..=64 << 20).contains(&self.max_item_bytes),
            "max_item_bytes",
            "must be 1 KiB ..= 64 MiB",
        )?;
        check(
            (1024..=1 << 40).contains(&self.default_max_attachment_bytes),
            "default_max_attachment_bytes",
            "must be 1 KiB ..= 1 TiB",
        )?;
        check(
            (1..=100_000).contains(&self.open_tenant_limit),
            "open_tenant_limit",
            "must be 1 ..= 100000",
        )?;
        check(
            (1..=10_000).contains(&self.group_commit_max),
            "group_commit_max",
            "must be 1 ..= 10000",
        )?;
        check(
            self.login_burst_per_mailbox >= 1,
            "login_burst_per_mailbox",
            "must be at least 1",
        )?;
        check(
            self.login_per_minute_per_mailbox >= 1,
            "login_per_minute_per_mailbox",
            "must be at least 1",
        )?;
        check(
            self.login_per_second_global >= 1,
            "login_per_second_global",
            "must be at least 1",
        )?;
        check(
            (60..=86_400).contains(&self.mailbox_session_secs),
            "mailbox_session_secs",
            "must be 60 ..= 86400",
        )?;
        check(
            (60..=86_400).contains(&self.advisor_session_secs),
            "advisor_session_secs",
            "must be 60 ..= 86400",
        )?;
        check(
            self.max_mailbox_sessions_per_tenant >= 1,
            "max_mailbox_sessions_per_tenant",
            "must be at least 1",
        )?;
        check(
            (1..=1000).contains(&self.sessions_per_mailbox),
            "sessions_per_mailbox",
            "must be 1 ..= 1000",
        )?;
        check(
            (1..=1000).contains(&self.sessions_per_advisor),
            "sessions_per_advisor",
            "must be 1 ..= 1000",
        )?;
        for (value, name) in [
            (self.header_read_timeout_secs, "header_read_timeout_secs"),
            (self.body_idle_timeout_secs, "body_idle_timeout_secs"),
            (self.request_timeout_secs, "request_timeout_secs"),
        ] {
            check((1..=3600).contains(&value), name, "must be 1 ..= 3600")?;
        }
        if let Some(url) = &self.public_url {
            check(
                valid_public_url(url),
                "public_url",
                "must be http:// or https:// with a host, no query, fragment or credentials",
            )?;
        }
        let outside = |path: &Path| !is_inside(path, &self.data_dir);
        check(
            outside(&self.notice_key_path()),
            "notice_key_path",
            "must be outside the data directory",
        )?;
        check(
            outside(&self.deletion_log_path()),
            "deletion_log_path",
            "must be outside the data directory",
        )?;
        check(
            outside(&self.notice_demo_file()),
            "notices.demo_file",
            "must be outside the data directory (it holds addresses in the clear)",
        )?;
        let n = &self.notices;
        let secs = |v: f64, max: f64| v.is_finite() && (0.0..=max).contains(&v);
        check(
            secs(n.delay_min_secs, 86_400.0)
                && secs(n.delay_max_secs, 86_400.0)
                && n.delay_min_secs <= n.delay_max_secs,
            "notices.delay_min_secs/delay_max_secs",
            "must be 0 ..= 86400 seconds, min <= max",
        )?;
        check(
            secs(n.send_interval_secs, 3600.0) && n.send_interval_secs >= 0.01,
            "notices.send_interval_secs",
            "must be 0.01 ..= 3600 seconds",
        )?;
        check(
            secs(n.retry_base_secs, 86_400.0)
                && secs(n.retry_max_secs, 86_400.0)
                && n.retry_base_secs >= 0.01
                && n.retry_base_secs <= n.retry_max_secs,
            "notices.retry_base_secs/retry_max_secs",
            "must be 0.01 ..= 86400 seconds, base <= max",
        )?;
        check(
            (1..=30 * 24).contains(&n.give_up_after_hours),
            "notices.give_up_after_hours",
            "must be 1 ..= 720",
        )?;
        check(
            n.digest_hour_utc <= 23,
            "notices.digest_hour_utc",
            "must be 0 ..= 23",
        )?;
        check(
            n.feedback_warning_days <= 92 && n.update_warning_days <= 92,
            "notices.feedback_warning_days/update_warning_days",
            "must be 0 ..= 92",
        )?;
        check(
            n.from.parse::<lettre::message::Mailbox>().is_ok(),
            "notices.from",
            "must be an address like `meldkluis <noreply@example.org>`",
        )?;
        if let Some(smtp) = &self.smtp {
            check(
                !smtp.host.trim().is_empty(),
                "smtp.host",
                "must not be empty",
            )?;
            check(
                (1..=600).contains(&smtp.timeout_secs),
                "smtp.timeout_secs",
                "must be 1 ..= 600",
            )?;
        }
        if let Some(replication) = &self.replication {
            replication.validate()?;
            // Attachments are files beside the database, not in it: a
            // replicated tenant keeps them in the object store too.
            check(
                self.object_store.is_some(),
                "replication",
                "[replication] needs [object_store]",
            )?;
        }
        if let Some(object_store) = &self.object_store {
            object_store.validate()?;
        }
        if let Some(cluster) = &self.cluster {
            cluster.validate()?;
            check(
                self.replication.is_some(),
                "cluster",
                "[cluster] needs [replication]",
            )?;
            check(
                self.object_store.is_some(),
                "cluster",
                "[cluster] needs [object_store]",
            )?;
            // The server secret keys the mailbox log-in hashes inside the
            // tenant databases, which move between nodes: every node needs
            // the same secret, so it cannot live in one node's data
            // directory.
            check(
                self.server_secret_path.as_deref().is_some_and(outside),
                "cluster",
                "[cluster] needs server_secret_path, the same file on every node, outside data_dir",
            )?;
        }
        Ok(())
    }

    /// The public address of the web client, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let scheme = if self.tls.is_some() { "https" } else { "http" };
                format!("{scheme}://{}", self.listen)
            }
        }
    }

    /// The server's origin (RFC 6454: `scheme://host[:port]`, lowercase,
    /// the default port left out), which advisor log-in answers are bound
    /// to: from `public_url`, else from `bound` (the address the listener
    /// is bound to, when known) or `listen`. Never from a request's `Host`
    /// header, which the client chooses.
    pub fn server_origin(&self, bound: Option<SocketAddr>) -> String {
        match &self.public_url {
            Some(url) => origin_of(url),
            None => {
                let scheme = if self.tls.is_some() { "https" } else { "http" };
                origin_of(&format!("{scheme}://{}", bound.unwrap_or(self.listen)))
            }
        }
    }

    /// Where the notice key is kept.
    pub fn notice_key_path(&self) -> PathBuf {
        self.notice_key_path
            .clone()
            .unwrap_or_else(|| self.outside_secrets_dir().join("notice-key"))
    }

    /// Where notices go without SMTP (for trying only).
    pub fn notice_demo_file(&self) -> PathBuf {
        self.notices.demo_file.clone().unwrap_or_else(|| {
            self.notice_key_path().parent().map_or_else(
                || PathBuf::from("outbox-demo.txt"),
                |dir| dir.join("outbox-demo.txt"),
            )
        })
    }

    /// `<data_dir>-secrets` beside the data directory.
    /// Where the deletion log is kept.
    pub fn deletion_log_path(&self) -> PathBuf {
        self.deletion_log_path
            .clone()
            .unwrap_or_else(|| self.outside_dir("deletion-log").join("deletion-log"))
    }

    fn outside_secrets_dir(&self) -> PathBuf {
        self.outside_dir("secrets")
    }

    /// `<data_dir>-<suffix>`, beside the data directory.
    fn outside_dir(&self, suffix: &str) -> PathBuf {
        let data = normalize(&self.data_dir);
        let name = data
            .file_name()
            .map_or_else(|| "meldkluis".into(), |n| n.to_string_lossy().into_owned());
        data.parent()
            .unwrap_or_else(|| Path::new("/"))
            .join(format!("{name}-{suffix}"))
    }

    /// Where the server secret is kept.
    pub fn server_secret_path(&self) -> PathBuf {
        self.server_secret_path
            .clone()
            .unwrap_or_else(|| self.data_dir.join("secrets").join("server-secret"))
    }
}

/// True for an absolute or relative `http(s)://host[:port][/path]` URL with
/// nothing a link in an e-mail should not carry (credentials, a query, a
/// fragment, whitespace).
fn valid_public_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let host = rest.split('/').next().unwrap_or("");
    !host.is_empty()
        && !host.contains('@')
        && url.len() <= 200
        && !url.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '"' | '<' | '>')
        })
}

/// The RFC 6454 ASCII serialisation of a `valid_public_url`:
/// `scheme://host[:port]`, scheme and host lowercase, the scheme's default
/// port left out, path dropped.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split('/').next().unwrap_or("").to_ascii_lowercase();
    // The port follows the last ':' outside an IPv6 literal's brackets.
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority.as_str(), None),
    };
    let default_port = if scheme == "https" { "443" } else { "80" };
    match port {
        Some(port) if !port.is_empty() && port != default_port => {
            format!("{scheme}://{host}:{port}")
        }
        _ => format!("{scheme}://{host}"),
    }
}

/// The absolute form of `path` with `.` and `..` resolved lexically (the
/// file need not exist).
fn normalize(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// True if `path` is `dir` or lies under it (lexically; symbolic links are
/// not followed: this guards against a mistake, not an attack).
fn is_inside(path: &Path, dir: &Path) -> bool {
    normalize(path).starts_with(normalize(dir))
}

/// Reads a 32-byte secret written as 64 hex digits from `path`, creating it
/// (mode 0600, in a 0700 directory, from the OS random source) if it does
/// not exist. Two processes creating it at once agree: the loser reads what
/// the winner wrote.
pub(crate) fn load_or_create_secret_file(
    path: &Path,
    what: &str,
) -> std::io::Result<Zeroizing<[u8; 32]>> {
    use std::io::Write;
    let read = |path: &Path| -> std::io::Result<Zeroizing<[u8; 32]>> {
        let bytes = Zeroizing::new(std::fs::read(path)?);
        parse_secret_hex(&bytes).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{what} file is not 64 hex digits"),
            )
        })
    };
    match read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                create_private_dir(dir)?;
            }
            let mut secret = Zeroizing::new([0u8; 32]);
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, secret.as_mut_slice());
            let text = Zeroizing::new(hex::encode(secret.as_slice()));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            // Written under a temporary name and renamed, so a reader never
            // sees a half-written key; `create_new` on the final name (via
            // hard link) lets two creators agree on one key.
            let temp = path.with_extension(format!("tmp-{}", hex::encode(&secret[..4])));
            let mut file = options.open(&temp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            drop(file);
            let linked = std::fs::hard_link(&temp, path);
            let _ = std::fs::remove_file(&temp);
            match linked {
                Ok(()) => {
                    if let Some(dir) = path.parent() {
                        std::fs::File::open(dir)?.sync_all()?;
                    }
                    Ok(secret)
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(path),
                Err(e) => Err(e),
            }
        }
        other => other,
    }
}

/// Parses 64 hex digits (surrounding whitespace allowed) into 32 bytes.
pub(crate) fn parse_secret_hex(text: &[u8]) -> Option<Zeroizing<[u8; 32]>> {
    let text = std::str::from_utf8(text).ok()?.trim();
    let mut secret = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text, secret.as_mut_slice()).ok()?;
    Some(secret)
}

/// The server secret: keys the hashes of mailbox authentication secrets, so
/// that a stolen tenant file alone cannot be used to test login-code guesses.
/// Never printed; wiped on drop.
pub struct ServerSecret(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(..)")
    }
}

impl ServerSecret {
    /// Loads the secret from `path`, creating it (mode 0600, from the OS
    /// random source) on first start.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        load_or_create_secret_file(path, "server secret").map(Self)
    }

    /// A fixed secret (tests only).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// HMAC-SHA256 under the server secret.
    pub fn keyed_hash(&self, data: &[u8]) -> [u8; 32] {
        use hmac::{Mac, SimpleHmac};
        let mut mac = <SimpleHmac<sha2::Sha256> as Mac>::new_from_slice(self.0.as_slice())
            .expect("HMAC accepts any key length");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }
}

/// Creates a directory (and parents) readable only by the owner.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let mut config: Config =
            toml::from_str("listen = \"127.0.0.1:9000\"\nmax_item_bytes = 2048").expect("valid");
        assert_eq!(config.listen.port(), 9000);
        config
            .apply_env(|name| (name == "MELDKLUIS_LISTEN").then(|| "127.0.0.1:9001".to_owned()))
            .expect("valid env");
        assert_eq!(config.listen.port(), 9001);
        assert_eq!(config.max_item_bytes, 2048);
        config.validate().expect("valid");
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(toml::from_str::<Config>("no_such_setting = 1").is_err());
        let config = Config {
            max_item_bytes: 1,
            ..Config::default()
        };
        assert!(config.validate().is_err());
        let mut config = Config::default();
        assert!(config
            .apply_env(|name| (name == "MELDKLUIS_LISTEN").then(|| "nope".to_owned()))
            .is_err());
    }

    #[test]
    fn a_cluster_node_needs_the_shared_server_secret_outside_its_data_directory() {
        let node = |secret: Option<&str>| {
            let mut text = String::from("data_dir = \"/srv/n1/data\"\n");
            if let Some(secret) = secret {
                text.push_str(&format!("server_secret_path = \"{secret}\"\n"));
            }
            text.push_str(
                "[replication]\nlitestream_sockets = [\"/srv/n1/ls.sock\"]\n\
                 replica_url = \"s3://meldkluis/replica?endpoint=http://127.0.0.1:8333\"\n\
                 [object_store]\nendpoint = \"http://127.0.0.1:8333\"\n\
                 [cluster]\nnode_id = \"n1\"\nadvertise_url = \"http://127.0.0.1:8471\"\n\
                 etcd = [\"http://127.0.0.1:2379\"]\n",
            );
            toml::from_str::<Config>(&text).expect("parses")
        };
        node(Some("/srv/shared/server-secret"))
            .validate()
            .expect("a shared secret outside the data directory");
        let refused = node(None).validate().expect_err("no secret path");
        assert!(
            refused.to_string().contains("server_secret_path"),
            "{refused}"
        );
        node(Some("/srv/n1/data/server-secret"))
            .validate()
            .expect_err("a secret inside one node's data directory");
        node(Some("/srv/n1/other/../data/server-secret"))
            .validate()
            .expect_err("inside the data directory, written with ..");
    }

    #[test]
    fn notice_key_and_demo_file_must_be_outside_the_data_directory() {
        let config = Config {
            data_dir: PathBuf::from("/srv/meldkluis/data"),
            ..Config::default()
        };
        config.validate().expect("defaults are valid");
        assert_eq!(
            config.notice_key_path(),
            PathBuf::from("/srv/meldkluis/data-secrets/notice-key")
        );
        assert_eq!(
            config.notice_demo_file(),
            PathBuf::from("/srv/meldkluis/data-secrets/outbox-demo.txt")
        );
        for inside in [
            "/srv/meldkluis/data/notice-key",
            "/srv/meldkluis/data/secrets/notice-key",
            "/srv/meldkluis/other/../data/./notice-key",
        ] {
            let config = Config {
                notice_key_path: Some(inside.into()),
                ..config.clone()
            };
            assert!(
                matches!(
                    config.validate(),
                    Err(ConfigError::Invalid("notice_key_path", _))
                ),
                "{inside}"
            );
        }
        let mut demo_inside = config.clone();
        demo_inside.notices.demo_file = Some("/srv/meldkluis/data/outbox.txt".into());
        assert!(demo_inside.validate().is_err());
        let relative = Config {
            data_dir: PathBuf::from("data"),
            notice_key_path: Some(PathBuf::from("data/../data/k")),
            ..Config::default()
        };
        assert!(relative.validate().is_err());
    }

    #[test]
    fn the_origin_is_the_rfc_6454_serialisation() {
        for (url, origin) in [
            ("https://Meld.Example/", "https://meld.example"),
            ("https://meld.example:443/base", "https://meld.example"),
            ("https://meld.example:8443", "https://meld.example:8443"),
            ("http://meld.example:80", "http://meld.example"),
            ("HTTP://127.0.0.1:8470", "http://127.0.0.1:8470"),
            ("http://[::1]:9000/x", "http://[::1]:9000"),
            ("http://[::1]", "http://[::1]"),
        ] {
            assert_eq!(origin_of(url), origin, "{url}");
        }
        let config = Config::default();
        let bound = SocketAddr::from(([127, 0, 0, 1], 40_000));
        assert_eq!(config.server_origin(Some(bound)), "http://127.0.0.1:40000");
        assert_eq!(config.server_origin(None), "http://127.0.0.1:8470");
    }

    #[test]
    fn notice_settings_are_checked() {
        let mut config = Config {
            public_url: Some("https://meldkluis.example/".into()),
            ..Config::default()
        };
        config.validate().expect("valid");
        assert_eq!(config.public_url(), "https://meldkluis.example");
        assert_eq!(config.server_origin(None), "https://meldkluis.example");
        for bad in [
            "ftp://x.example",
            "https://",
            "https://user:pw@x.example",
            "https://x.example/?token=1",
            "https://x.example/#frag",
            "https://x .example",
        ] {
            config.public_url = Some(bad.into());
            assert!(config.validate().is_err(), "{bad}");
        }
        let mut config = Config::default();
        config.notices.delay_min_secs = 10.0;
        config.notices.delay_max_secs = 5.0;
        assert!(config.validate().is_err());
        let mut config = Config::default();
        config.notices.from = "not an address".into();
        assert!(config.validate().is_err());
        let mut config: Config = toml::from_str(
            "[smtp]\nhost = \"smtp.example\"\nsecurity = \"tls\"\n[notices]\ndelay_min_secs = 1\n",
        )
        .expect("valid toml");
        config.validate().expect("valid");
        assert_eq!(config.smtp.as_ref().map(SmtpConfig::port), Some(465));
        assert!((config.notices.delay_min_secs - 1.0).abs() < f64::EPSILON);
        config
            .apply_env(|name| match name {
                "MELDKLUIS_SMTP_PORT" => Some("2525".into()),
                "MELDKLUIS_SMTP_SECURITY" => Some("starttls".into()),
                _ => None,
            })
            .expect("env");
        let smtp = config.smtp.as_ref().expect("smtp");
        assert_eq!((smtp.port(), smtp.security), (2525, SmtpSecurity::Starttls));
        assert!(toml::from_str::<Config>("[smtp]\nhost = \"x\"\nsecurity = \"maybe\"").is_err());
        let mut from_env = Config::default();
        from_env
            .apply_env(|name| (name == "MELDKLUIS_SMTP_HOST").then(|| "relay.example".into()))
            .expect("env");
        assert_eq!(from_env.smtp.expect("smtp").port(), 587);
    }

    #[test]
    fn server_secret_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s").join("secret");
        let first = ServerSecret::load_or_create(&path).expect("create");
        let second = ServerSecret::load_or_create(&path).expect("load");
        assert_eq!(first.keyed_hash(b"x"), second.keyed_hash(b"x"));
        assert_eq!(format!("{first:?}"), "ServerSecret(..)");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
