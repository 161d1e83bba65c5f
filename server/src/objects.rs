//! The object store: an S3-compatible bucket that holds what must outlive
//! one node's disk, namely the tenants' attachment items (sealed
//! ciphertext, named by item id) and, in a cluster, the seed database of
//! a new tenant.
//!
//! Requests are signed with AWS Signature V4 by the `rusty-s3` crate,
//! which only builds presigned URLs and parses answers (no I/O of its
//! own), and sent with reqwest. A presigned URL carries its signature in
//! the query and leaves the payload unsigned, so an attachment of any size
//! streams from its file in constant memory.
//!
//! A write counts only when the store answered it with a success status:
//! every caller that names an object in a database row writes the object
//! first and commits the row only after [`ObjectStore::put_file`] returned
//! `Ok`; a deletion removes the row first and the object after.
//!
//! This module never opens an item and never sees a key: it moves bytes
//! that are already sealed.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt as _;
use meldkluis_crypto_core::{ItemId, TenantId};
use reqwest::header::CONTENT_LENGTH;
use reqwest::{StatusCode, Url};
use rusty_s3::actions::{ListObjectsV2, S3Action as _};
use rusty_s3::{Bucket, Credentials, UrlStyle};
use serde::Deserialize;
use tokio::io::AsyncWriteExt as _;

use crate::config::{check, ConfigError};

/// How long a presigned request stays valid. The store checks it when a
/// request arrives, so a long upload that started in time completes.
const SIGNATURE_VALID: Duration = Duration::from_secs(120);

/// The environment variables the credentials are read from (the names
/// every S3 tool uses, Litestream included).
pub const ACCESS_KEY_VAR: &str = "AWS_ACCESS_KEY_ID";
/// See [`ACCESS_KEY_VAR`].
pub const SECRET_KEY_VAR: &str = "AWS_SECRET_ACCESS_KEY";

/// The `[object_store]` section of `server.toml`. The credentials are not
/// part of it: they come from `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY` in the environment, so the file holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectStoreConfig {
    /// The S3 endpoint, `http(s)://host[:port]` (path-style addressing).
    pub endpoint: String,
    /// The bucket (it must exist).
    #[serde(default = "default_bucket")]
    pub bucket: String,
    /// The region the signatures are made for.
    #[serde(default = "default_region")]
    pub region: String,
    /// Seconds a request may take before it fails, plus one second per
    /// MiB it carries: an unreachable or stalled store fails the upload
    /// (503) instead of holding it open.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_bucket() -> String {
    "meldkluis".to_owned()
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

fn default_timeout_secs() -> u64 {
    30
}

impl ObjectStoreConfig {
    /// The configuration for `endpoint` with the default bucket, region
    /// and time-out.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            bucket: default_bucket(),
            region: default_region(),
            timeout_secs: default_timeout_secs(),
        }
    }

    /// Checks the settings (not the credentials, which come from the
    /// environment when the store is opened).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let endpoint = self.endpoint.parse::<Url>().ok().filter(|url| {
            matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some_and(|h| !h.is_empty())
                && url.query().is_none()
                && url.fragment().is_none()
                && url.username().is_empty()
                && url.password().is_none()
        });
        check(
            endpoint.is_some(),
            "object_store.endpoint",
            "must be an http(s) URL with a host and no credentials, query or fragment",
        )?;
        check(
            (3..=63).contains(&self.bucket.len())
                && self.bucket.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                }),
            "object_store.bucket",
            "must be 3 to 63 characters of a-z, 0-9, '-' and '.'",
        )?;
        check(
            !self.region.is_empty() && self.region.bytes().all(|b| b.is_ascii_graphic()),
            "object_store.region",
            "must be a region name such as us-east-1",
        )?;
        check(
            (1..=3600).contains(&self.timeout_secs),
            "object_store.timeout_secs",
            "must be 1 ..= 3600",
        )
    }

    fn bucket_handle(&self) -> Result<Bucket, ObjectError> {
        self.validate()
            .map_err(|e| ObjectError::Config(e.to_string()))?;
        let endpoint: Url = self
            .endpoint
            .parse()
            .map_err(|e| ObjectError::Config(format!("endpoint {:?}: {e}", self.endpoint)))?;
        Bucket::new(
            endpoint,
            UrlStyle::Path,
            self.bucket.clone(),
            self.region.clone(),
        )
        .map_err(|e| ObjectError::Config(format!("endpoint {:?}: {e}", self.endpoint)))
    }
}

/// Why an object operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// The `[object_store]` settings or the credentials are unusable.
    #[error("object store configuration: {0}")]
    Config(String),
    /// A key outside the layout this module writes.
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
    /// The store could not be reached, or the connection broke, or the
    /// request timed out.
    #[error("object store {op} {key}: {source}")]
    Unreachable {
        /// The operation (PUT, GET, DELETE, LIST).
        op: &'static str,
        /// The object key or prefix.
        key: String,
        /// What the HTTP client reported.
        #[source]
        source: reqwest::Error,
    },
    /// The store answered with a status that does not mean success.
    #[error("object store {op} {key}: answered {status}")]
    Status {
        /// The operation (PUT, GET, DELETE, LIST).
        op: &'static str,
        /// The object key or prefix.
        key: String,
        /// The HTTP status.
        status: StatusCode,
    },
    /// A GET delivered another number of bytes than it announced.
    #[error("object store GET {key}: {got} bytes, announced {announced}")]
    Truncated {
        /// The object key.
        key: String,
        /// Bytes received.
        got: u64,
        /// The Content-Length of the answer.
        announced: u64,
    },
    /// A list answer could not be read.
    #[error("object store LIST {prefix}: {message}")]
    ListAnswer {
        /// The prefix listed.
        prefix: String,
        /// Why the answer did not parse.
        message: String,
    },
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl From<ObjectError> for crate::error::AppError {
    /// A write the store did not take answers 503 `not_acknowledged` (with
    /// `Retry-After`: nothing was stored, send it again); a read it did not
    /// serve answers 503 `unavailable`. The log gets the operation, key and
    /// cause; the client nothing of them.
    fn from(e: ObjectError) -> Self {
        use crate::error::ErrorCode;
        match e {
            ObjectError::Io { .. } | ObjectError::InvalidKey(_) | ObjectError::Config(_) => {
                Self::internal(e.to_string())
            }
            ObjectError::Unreachable { op: "PUT", .. } | ObjectError::Status { op: "PUT", .. } => {
                Self::new(ErrorCode::NotAcknowledged, e.to_string())
            }
            _ => Self::new(ErrorCode::Unavailable, e.to_string()),
        }
    }
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> ObjectError + '_ {
    move |source| ObjectError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The object key of a tenant's attachment item (a thread's attachment or
/// a forward's): content-addressed by its item id, written once.
pub fn attachment_key(tenant: &TenantId, item: &ItemId) -> String {
    format!("attachments/{tenant}/{}", hex::encode(item.0))
}

/// The prefix under which all of a tenant's attachments lie.
pub fn attachments_prefix(tenant: &TenantId) -> String {
    format!("attachments/{tenant}/")
}

/// The object key of a new tenant's seed database (cluster mode).
pub fn seed_key(tenant: &TenantId) -> String {
    format!("seeds/{tenant}.sqlite")
}

/// Refuses a key this module would never write: empty, too long, with a
/// character outside `A-Za-z0-9-_./`, or with an empty, `.` or `..`
/// segment.
fn check_key(key: &str) -> Result<(), ObjectError> {
    let valid = !key.is_empty()
        && key.len() <= 512
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && key
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..");
    if valid {
        Ok(())
    } else {
        Err(ObjectError::InvalidKey(key.to_owned()))
    }
}

/// The same for a list prefix, which may end with `/`.
fn check_prefix(prefix: &str) -> Result<(), ObjectError> {
    if prefix.is_empty() {
        return Ok(());
    }
    check_key(prefix.strip_suffix('/').unwrap_or(prefix))
}

/// A connection to the bucket. Cheap to share (`Arc`); safe to use from
/// many requests at once.
pub struct ObjectStore {
    bucket: Bucket,
    credentials: Credentials,
    client: reqwest::Client,
    timeout: Duration,
}

impl std::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        f.debug_struct("ObjectStore")
            .field("bucket", &self.bucket.base_url().as_str())
            .finish_non_exhaustive()
    }
}

impl ObjectStore {
    /// Opens the store of `config` with the credentials from the process
    /// environment.
    pub fn from_config(config: &ObjectStoreConfig) -> Result<Self, ObjectError> {
        Self::from_config_with(config, |name| std::env::var(name).ok())
    }

    /// Opens the store of `config` with the credentials read through `get`
    /// (the environment, or a test's own).
    pub fn from_config_with(
        config: &ObjectStoreConfig,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ObjectError> {
        let bucket = config.bucket_handle()?;
        let non_empty = |name: &str| get(name).filter(|v| !v.is_empty());
        let (Some(key), Some(secret)) = (non_empty(ACCESS_KEY_VAR), non_empty(SECRET_KEY_VAR))
        else {
            return Err(ObjectError::Config(format!(
                "{ACCESS_KEY_VAR} and {SECRET_KEY_VAR} must be set in the environment"
            )));
        };
        let client = reqwest::Client::builder()
            // The store is configured by its address; an environment's
            // proxy must not see the attachments pass.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| ObjectError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            bucket,
            credentials: Credentials::new(key, secret),
            client,
            timeout: Duration::from_secs(config.timeout_secs),
        })
    }

    /// The credentials as environment variables, for a child process that
    /// reaches this bucket (`litestream restore`): through its environment,
    /// never its command line.
    pub(crate) fn credentials_env(&self) -> Vec<(String, String)> {
        vec![
            (ACCESS_KEY_VAR.to_owned(), self.credentials.key().to_owned()),
            (
                SECRET_KEY_VAR.to_owned(),
                self.credentials.secret().to_owned(),
            ),
        ]
    }

    /// The time-out of a request carrying `bytes`: the base, plus a second
    /// per MiB.
    fn timeout_for(&self, bytes: u64) -> Duration {
        self.timeout + Duration::from_secs(bytes >> 20)
    }

    /// The error of a request that got no (whole) answer. reqwest's error
    /// names the URL, and a presigned URL carries a valid signature (and
    /// the access key id) in its query: it is stripped, so no log line,
    /// error message or Debug output holds a usable request.
    fn unreachable(op: &'static str, key: &str) -> impl FnOnce(reqwest::Error) -> ObjectError {
        let key = key.to_owned();
        move |source| ObjectError::Unreachable {
            op,
            key,
            source: source.without_url(),
        }
    }

    /// Uploads the file at `file` as `key`, streamed in constant memory
    /// with its exact length announced. `Ok` only once the store answered
    /// with success: from then on the object is the store's to keep.
    pub async fn put_file(&self, key: &str, file: &Path) -> Result<(), ObjectError> {
        check_key(key)?;
        let opened = tokio::fs::File::open(file).await.map_err(io_at(file))?;
        let len = opened.metadata().await.map_err(io_at(file))?.len();
        let stream = tokio_util::io::ReaderStream::with_capacity(opened, 256 * 1024);
        self.put(key, reqwest::Body::wrap_stream(stream), len).await
    }

    /// Uploads `bytes` as `key`; `Ok` only once the store answered with
    /// success.
    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<(), ObjectError> {
        check_key(key)?;
        let len = bytes.len() as u64;
        self.put(key, reqwest::Body::from(bytes), len).await
    }

    async fn put(&self, key: &str, body: reqwest::Body, len: u64) -> Result<(), ObjectError> {
        let url = self
            .bucket
            .put_object(Some(&self.credentials), key)
            .sign(SIGNATURE_VALID);
        let response = self
            .client
            .put(url)
            .header(CONTENT_LENGTH, len)
            .timeout(self.timeout_for(len))
            .body(body)
            .send()
            .await
            .map_err(Self::unreachable("PUT", key))?;
        let status = response.status();
        // Read the answer to its end, so that a success is a complete one.
        let _ = response.bytes().await;
        if status == StatusCode::OK {
            Ok(())
        } else {
            Err(ObjectError::Status {
                op: "PUT",
                key: key.to_owned(),
                status,
            })
        }
    }

    /// Downloads `key` to `out`: into a temporary file beside it, synced,
    /// then renamed into place, so `out` is either absent or whole.
    /// `Ok(false)` if the store has no such object.
    pub async fn get_to_file(&self, key: &str, out: &Path) -> Result<bool, ObjectError> {
        check_key(key)?;
        let url = self
            .bucket
            .get_object(Some(&self.credentials), key)
            .sign(SIGNATURE_VALID);
        // The answer's head within the base time-out; its body below
        // within the time-out for its announced length.
        let response = tokio::time::timeout(self.timeout, self.client.get(url).send())
            .await
            .map_err(|_| ObjectError::Status {
                op: "GET",
                key: key.to_owned(),
                status: StatusCode::GATEWAY_TIMEOUT,
            })?
            .map_err(Self::unreachable("GET", key))?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Ok(false),
            status => {
                return Err(ObjectError::Status {
                    op: "GET",
                    key: key.to_owned(),
                    status,
                })
            }
        }
        let announced = response.content_length();
        let dir = out.parent().unwrap_or_else(|| Path::new("."));
        let mut random = [0u8; 8];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
        let temp = dir.join(format!(".fetch-{}.part", hex::encode(random)));
        let written = async {
            let mut file = tokio::fs::File::create(&temp).await.map_err(io_at(&temp))?;
            let mut got = 0u64;
            let mut body = response.bytes_stream();
            let deadline = tokio::time::Instant::now() + self.timeout_for(announced.unwrap_or(0));
            loop {
                let chunk = tokio::time::timeout_at(deadline, body.next()).await;
                let chunk = match chunk {
                    Ok(Some(chunk)) => chunk.map_err(Self::unreachable("GET", key))?,
                    Ok(None) => break,
                    Err(_) => {
                        return Err(ObjectError::Status {
                            op: "GET",
                            key: key.to_owned(),
                            status: StatusCode::GATEWAY_TIMEOUT,
                        })
                    }
                };
                got += chunk.len() as u64;
                file.write_all(&chunk).await.map_err(io_at(&temp))?;
            }
            if let Some(announced) = announced.filter(|a| *a != got) {
                return Err(ObjectError::Truncated {
                    key: key.to_owned(),
                    got,
                    announced,
                });
            }
            file.flush().await.map_err(io_at(&temp))?;
            file.sync_all().await.map_err(io_at(&temp))?;
            Ok(())
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(e);
        }
        let (from, to, dir) = (temp.clone(), out.to_owned(), dir.to_owned());
        let renamed = crate::db::blocking(move || -> std::io::Result<()> {
            std::fs::rename(&from, &to)?;
            std::fs::File::open(&dir)?.sync_all()
        })
        .await;
        if let Err(source) = renamed {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(ObjectError::Io {
                path: out.to_owned(),
                source,
            });
        }
        Ok(true)
    }

    /// Deletes `key`; an object already gone is fine.
    pub async fn delete(&self, key: &str) -> Result<(), ObjectError> {
        check_key(key)?;
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), key)
            .sign(SIGNATURE_VALID);
        let response = self
            .client
            .delete(url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(Self::unreachable("DELETE", key))?;
        match response.status() {
            StatusCode::OK | StatusCode::NO_CONTENT | StatusCode::NOT_FOUND => Ok(()),
            status => Err(ObjectError::Status {
                op: "DELETE",
                key: key.to_owned(),
                status,
            }),
        }
    }

    /// Creates the bucket; one that exists already (and is ours) is fine.
    /// The server never calls this: a deployment's bucket is the
    /// operator's. The tests' start-up of `weed mini` uses it, because weed
    /// creates its `-bucket` only once at start and may lose that race
    /// against its own filer.
    pub async fn create_bucket(&self) -> Result<(), ObjectError> {
        let url = self
            .bucket
            .create_bucket(&self.credentials)
            .sign(SIGNATURE_VALID);
        let response = self
            .client
            .put(url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(Self::unreachable("CREATE BUCKET", ""))?;
        let status = response.status();
        // 409: BucketAlreadyOwnedByYou, or BucketAlreadyExists for a name
        // another account holds; a LIST tells the two apart.
        if status.is_success() || status == StatusCode::CONFLICT {
            return Ok(());
        }
        Err(ObjectError::Status {
            op: "CREATE BUCKET",
            key: String::new(),
            status,
        })
    }

    /// The keys that start with `prefix`, in the store's (lexical) order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, ObjectError> {
        check_prefix(prefix)?;
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = ListObjectsV2::new(&self.bucket, Some(&self.credentials));
            if !prefix.is_empty() {
                action.with_prefix(prefix);
            }
            if let Some(token) = &token {
                action.with_continuation_token(token.clone());
            }
            let url = action.sign(SIGNATURE_VALID);
            let response = self
                .client
                .get(url)
                .timeout(self.timeout)
                .send()
                .await
                .map_err(Self::unreachable("LIST", prefix))?;
            let status = response.status();
            if status != StatusCode::OK {
                return Err(ObjectError::Status {
                    op: "LIST",
                    key: prefix.to_owned(),
                    status,
                });
            }
            let text = response
                .text()
                .await
                .map_err(Self::unreachable("LIST", prefix))?;
            let page =
                ListObjectsV2::parse_response(&text).map_err(|e| ObjectError::ListAnswer {
                    prefix: prefix.to_owned(),
                    message: e.to_string(),
                })?;
            keys.extend(page.contents.into_iter().map(|c| c.key));
            match page.next_continuation_token {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => return Ok(keys),
            }
        }
    }

    /// Fetches the attachment item `item` of `tenant` into `file` (its
    /// place in the data directory, which the caller found empty).
    /// `Ok(false)` if the store has no such object either.
    pub async fn fetch_attachment(
        &self,
        tenant: &TenantId,
        item: &ItemId,
        file: &Path,
    ) -> Result<bool, ObjectError> {
        if let Some(dir) = file.parent() {
            let dir = dir.to_owned();
            crate::db::blocking(move || crate::config::create_private_dir(&dir))
                .await
                .map_err(io_at(file))?;
        }
        self.get_to_file(&attachment_key(tenant, item), file).await
    }
}

impl ObjectStore {
    /// Deletes the objects of a tenant's attachment items, once the rows
    /// that named them are deleted and committed. Tries every one; returns
    /// the first failure.
    pub async fn delete_attachments(
        &self,
        tenant: &TenantId,
        ids: &[[u8; 16]],
    ) -> Result<(), ObjectError> {
        let mut first_error = None;
        for id in ids {
            if let Err(e) = self.delete(&attachment_key(tenant, &ItemId(*id))).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Deletes every attachment object of a tenant (the tenant is being
    /// deleted); returns how many there were.
    pub async fn delete_tenant_attachments(&self, tenant: &TenantId) -> Result<usize, ObjectError> {
        let keys = self.list(&attachments_prefix(tenant)).await?;
        for key in &keys {
            self.delete(key).await?;
        }
        Ok(keys.len())
    }
}

/// For the operator's commands (backup, export), which read a tenant's
/// attachment files from the data directory: fetches those of `ids` that
/// are missing from `dir` from the object store, when one is configured.
/// Returns how many were fetched; one in neither place stays missing (the
/// caller reports it as it did before).
pub fn fetch_missing_attachments(
    config: &crate::Config,
    tenant: &TenantId,
    dir: &Path,
    ids: &[[u8; 16]],
) -> Result<usize, ObjectError> {
    let Some(objects) = &config.object_store else {
        return Ok(0);
    };
    let missing: Vec<[u8; 16]> = ids
        .iter()
        .filter(|id| {
            !dir.join(crate::retention::attachment_file_name(id))
                .exists()
        })
        .copied()
        .collect();
    if missing.is_empty() {
        return Ok(0);
    }
    let (tenant, dir) = (tenant.clone(), dir.to_owned());
    run_blocking(objects, move |store| async move {
        let mut fetched = 0;
        for id in missing {
            let file = dir.join(crate::retention::attachment_file_name(&id));
            if store.fetch_attachment(&tenant, &ItemId(id), &file).await? {
                fetched += 1;
            }
        }
        Ok(fetched)
    })
}

/// Runs `work` with a store of its own on a thread of its own with a small
/// runtime, for the operator's commands that are not async (backup,
/// export, tenant delete) and may be called from inside a runtime or not.
pub fn run_blocking<T, F, Fut>(config: &ObjectStoreConfig, work: F) -> Result<T, ObjectError>
where
    T: Send + 'static,
    F: FnOnce(ObjectStore) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, ObjectError>>,
{
    let store = ObjectStore::from_config(config)?;
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|source| ObjectError::Io {
                        path: PathBuf::from("(runtime)"),
                        source,
                    })?;
                runtime.block_on(work(store))
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::new("acme-2").expect("tenant")
    }

    #[test]
    fn keys_follow_the_layout() {
        let item = ItemId([0xab; 16]);
        assert_eq!(
            attachment_key(&tenant(), &item),
            format!("attachments/acme-2/{}", "ab".repeat(16))
        );
        assert_eq!(seed_key(&tenant()), "seeds/acme-2.sqlite");
        assert_eq!(attachments_prefix(&tenant()), "attachments/acme-2/");
        assert!(check_key(&attachment_key(&tenant(), &item)).is_ok());
        assert!(check_key(&seed_key(&tenant())).is_ok());
        assert!(check_prefix(&attachments_prefix(&tenant())).is_ok());
        assert!(check_prefix("").is_ok());
    }

    #[test]
    fn keys_outside_the_layout_are_refused() {
        for bad in [
            "",
            "/a",
            "a//b",
            "a/../b",
            "a/./b",
            "a b",
            "a?b",
            "a%2fb",
            "ä",
            &"a".repeat(513),
        ] {
            assert!(
                matches!(check_key(bad), Err(ObjectError::InvalidKey(_))),
                "{bad:?}"
            );
        }
        assert!(check_prefix("a//").is_err());
    }

    #[test]
    fn the_configuration_is_checked_and_credentials_come_from_the_environment() {
        let good = ObjectStoreConfig::new("http://127.0.0.1:8333");
        assert!(good.validate().is_ok());
        for endpoint in ["", "ftp://x", "http://", "http://h?x=1", "not a url"] {
            assert!(
                ObjectStoreConfig::new(endpoint).validate().is_err(),
                "{endpoint:?}"
            );
        }
        for bucket in ["", "ab", "Upper", "a_b", &"a".repeat(64)] {
            let c = ObjectStoreConfig {
                bucket: bucket.to_owned(),
                ..good.clone()
            };
            assert!(c.validate().is_err(), "{bucket:?}");
        }
        let zero = ObjectStoreConfig {
            timeout_secs: 0,
            ..good.clone()
        };
        assert!(zero.validate().is_err());
        let none = ObjectStore::from_config_with(&good, |_| None);
        assert!(matches!(none, Err(ObjectError::Config(_))));
        let empty = ObjectStore::from_config_with(&good, |_| Some(String::new()));
        assert!(matches!(empty, Err(ObjectError::Config(_))));
        let store = ObjectStore::from_config_with(&good, |name| Some(format!("{name}-value")))
            .expect("store");
        let shown = format!("{store:?}");
        assert!(!shown.contains("AWS_SECRET_ACCESS_KEY-value"), "{shown}");
        assert!(!shown.contains("AWS_ACCESS_KEY_ID-value"), "{shown}");
    }

    /// A store that cannot be reached: every operation's error, shown or
    /// debugged (as a log line would), names the operation and key but
    /// carries neither the presigned URL's signature nor the credentials.
    #[tokio::test]
    async fn errors_of_an_unreachable_store_carry_no_signature_or_credentials() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let config = ObjectStoreConfig {
            timeout_secs: 2,
            ..ObjectStoreConfig::new(format!("http://127.0.0.1:{port}"))
        };
        let store = ObjectStore::from_config_with(&config, |name| Some(format!("{name}-value")))
            .expect("store");
        let key = attachment_key(&tenant(), &ItemId([7; 16]));
        let dir = tempfile::tempdir().expect("tempdir");
        let errors = [
            store.put_bytes(&key, b"sealed".to_vec()).await.err(),
            store.get_to_file(&key, &dir.path().join("out")).await.err(),
            store.delete(&key).await.err(),
            store.list(&attachments_prefix(&tenant())).await.err(),
        ];
        for error in errors {
            let error = error.expect("an unreachable store fails");
            assert!(
                matches!(error, ObjectError::Unreachable { .. }),
                "{error:?}"
            );
            let (shown, debugged) = (format!("{error}"), format!("{error:?}"));
            let logged = format!("{:?}", crate::error::AppError::from(error));
            for shown in [shown, debugged, logged] {
                assert!(shown.contains("attachments/acme-2"), "{shown}");
                for secret in [
                    "X-Amz-Signature",
                    "X-Amz-Credential",
                    "AWS_ACCESS_KEY_ID-value",
                    "AWS_SECRET_ACCESS_KEY-value",
                ] {
                    assert!(!shown.contains(secret), "{secret} in {shown}");
                }
            }
        }
    }

    #[test]
    fn a_toml_section_reads_with_defaults() {
        let c: ObjectStoreConfig =
            toml::from_str("endpoint = \"http://127.0.0.1:9000\"").expect("reads");
        assert_eq!(c, ObjectStoreConfig::new("http://127.0.0.1:9000"));
        assert!(
            toml::from_str::<ObjectStoreConfig>("endpoint = \"http://x\"\naccess_key = \"k\"")
                .is_err()
        );
    }
}
