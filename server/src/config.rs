//! Configuration: built-in defaults, then an optional TOML file, then
//! `MELDKLUIS_*` environment variables, then command-line flags; validated
//! once at start. Holds paths and limits only: secrets live in files and are
//! loaded into types that never print (see [`ServerSecret`]).

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

/// TLS settings, for deployments without a reverse proxy.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the certificate chain.
    pub cert_path: PathBuf,
    /// PEM file with the private key.
    pub key_path: PathBuf,
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
    /// Most inserts written in one group commit.
    pub group_commit_max: usize,
    /// Mailbox log-in attempts allowed in a burst per mailbox id.
    pub login_burst_per_mailbox: u32,
    /// Mailbox log-in attempts refilled per minute per mailbox id.
    pub login_per_minute_per_mailbox: u32,
    /// Log-in attempts (mailbox and advisor) per second over the whole server.
    pub login_per_second_global: u32,
    /// Lifetime of a reporter's session, in seconds.
    pub mailbox_session_secs: u64,
    /// Lifetime of an advisor's session, in seconds.
    pub advisor_session_secs: u64,
    /// Most live sessions at once (memory bound).
    pub max_sessions: usize,
    /// The browser bundle (`scripts/build-wasm.sh` output): the wasm, the
    /// page scripts and the stylesheet. Default: `web-client/pkg` of the
    /// source tree this server was built from.
    pub assets_dir: PathBuf,
    /// Adds `POST /api/v1/t/{tenant}/bench/reports-no-store`, which does all
    /// the work of a report submission except touching SQLite. For the load
    /// generator's baseline only; never set it in production.
    pub bench_baseline_endpoint: bool,
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
            group_commit_max: 512,
            login_burst_per_mailbox: 10,
            login_per_minute_per_mailbox: 10,
            login_per_second_global: 20_000,
            mailbox_session_secs: 30 * 60,
            advisor_session_secs: 60 * 60,
            max_sessions: 500_000,
            assets_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../web-client/pkg")),
            bench_baseline_endpoint: false,
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
        env_setting!("MELDKLUIS_LISTEN", self.listen);
        env_setting!("MELDKLUIS_MAX_ITEM_BYTES", self.max_item_bytes);
        env_setting!(
            "MELDKLUIS_DEFAULT_MAX_ATTACHMENT_BYTES",
            self.default_max_attachment_bytes
        );
        env_setting!("MELDKLUIS_OPEN_TENANT_LIMIT", self.open_tenant_limit);
        env_setting!(
            "MELDKLUIS_LOGIN_PER_SECOND_GLOBAL",
            self.login_per_second_global
        );
        Ok(())
    }

    /// Checks every setting; called once at start.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let check = |ok: bool, name: &'static str, why: &'static str| {
            if ok {
                Ok(())
            } else {
                Err(ConfigError::Invalid(name, why))
            }
        };
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
        check(self.max_sessions >= 1, "max_sessions", "must be at least 1")?;
        Ok(())
    }

    /// Where the server secret is kept.
    pub fn server_secret_path(&self) -> PathBuf {
        self.server_secret_path
            .clone()
            .unwrap_or_else(|| self.data_dir.join("secrets").join("server-secret"))
    }
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
        use std::io::Write;
        match std::fs::read(path) {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                let hex_text = std::str::from_utf8(&bytes).map(str::trim).unwrap_or("");
                let mut secret = Zeroizing::new([0u8; 32]);
                hex::decode_to_slice(hex_text, secret.as_mut_slice()).map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "server secret file is not 64 hex digits",
                    )
                })?;
                Ok(Self(secret))
            }
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
                let mut file = options.open(path)?;
                file.write_all(text.as_bytes())?;
                file.sync_all()?;
                Ok(Self(secret))
            }
            Err(e) => Err(e),
        }
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
