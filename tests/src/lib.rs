//! Helpers for the cross-crate tests: start the real server on
//! `127.0.0.1:0`, create tenants with software advisor and recovery keys,
//! and play reporter and advisor with the real crypto core over HTTP.
#![forbid(unsafe_code)]

pub mod browser;
pub mod budgets;
pub mod cluster;
pub mod load;
pub mod proxy;
pub mod reporter;
pub mod smtp;
pub mod tokens;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use meldkluis_crypto_core::{
    challenge::answer_challenge, grant_item_key, open_item, seal_item, Access, Expect, GrantParams,
    ItemId, ItemKind, PublicKey, SealParams, StaticKey, StaticSecret, TenantId,
};
use meldkluis_server::admin::Admin;
use meldkluis_server::{AppState, Config, ServerSecret};
use serde_json::{json, Value};

/// Standard base64.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard base64 (panics on bad input: tests only).
pub fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("server sends valid base64")
}

/// A server running in this process on `127.0.0.1:0`.
#[derive(Debug)]
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The server's state (for admin operations and inspection).
    pub state: AppState,
    /// The configuration it runs with.
    pub config: Config,
    /// Beside the data directory, never in it: the notice key (and the
    /// demo notice file, if no SMTP is configured).
    pub secrets: std::sync::Arc<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server on `data_dir` with the defaults changed by `tweak`.
    pub async fn start(data_dir: &Path, tweak: impl FnOnce(&mut Config)) -> Self {
        Self::start_with_clock(
            data_dir,
            std::sync::Arc::new(meldkluis_server::clock::SystemClock),
            tweak,
        )
        .await
    }

    /// Like [`TestServer::start`] with another clock.
    pub async fn start_with_clock(
        data_dir: &Path,
        clock: std::sync::Arc<dyn meldkluis_server::clock::Clock>,
        tweak: impl FnOnce(&mut Config),
    ) -> Self {
        let secrets = std::sync::Arc::new(tempfile::tempdir().expect("secrets tempdir"));
        Self::start_with(data_dir, secrets, clock, tweak).await
    }

    /// Like [`TestServer::start_with_clock`], keeping the notice key in
    /// `secrets` (to restart a server with the same key).
    pub async fn start_with(
        data_dir: &Path,
        secrets: std::sync::Arc<tempfile::TempDir>,
        clock: std::sync::Arc<dyn meldkluis_server::clock::Clock>,
        tweak: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = Config {
            data_dir: data_dir.to_owned(),
            ..Config::default()
        };
        config.server_secret_path = Some(data_dir.join("secrets").join("server-secret"));
        config.notice_key_path = Some(secrets.path().join("notice-key"));
        config.notices.demo_file = Some(secrets.path().join("outbox-demo.txt"));
        tweak(&mut config);
        let state = AppState::with_clock(config.clone(), clock).expect("server state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        let task = tokio::spawn(async move {
            meldkluis_server::serve(listener, serving, async {
                let _ = stop.await;
            })
            .await
            .expect("server runs");
        });
        Self {
            base,
            state,
            config,
            secrets,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    /// The operator's handle on this server's data directory.
    pub fn admin(&self) -> Admin {
        Admin::open(&self.config).expect("admin")
    }

    /// `base` + `/api/v1/t/{tenant}` + `path`.
    pub fn url(&self, tenant: &str, path: &str) -> String {
        format!("{}/api/v1/t/{tenant}{path}", self.base)
    }

    /// Stops the server and waits until it has answered what was under way
    /// and closed every database (as a real shutdown does), so the files
    /// under the data directory are complete when this returns.
    pub async fn stop(self) {
        let Self {
            state,
            shutdown,
            task,
            ..
        } = self;
        // The server closes its databases once the last copy of its state
        // is gone: this one must not keep them open.
        drop(state);
        if let Some(shutdown) = shutdown {
            let _ = shutdown.send(());
        }
        if let Some(task) = task {
            task.await.expect("the server task ends cleanly");
        }
    }
}

/// Sends notices to the sink on `port` (plain SMTP), with the delays,
/// sending rounds and retries shortened to fractions of a second.
pub fn notices_to_sink(config: &mut Config, port: u16) {
    config.public_url = Some("https://meldkluis.example".into());
    config.smtp = Some(meldkluis_server::config::SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: meldkluis_server::config::SmtpSecurity::None,
        username: None,
        password_file: None,
        ca_file: None,
        timeout_secs: 10,
    });
    config.notices.from = "meldkluis <noreply@meldkluis.example>".into();
    config.notices.delay_min_secs = 0.0;
    config.notices.delay_max_secs = 0.2;
    config.notices.send_interval_secs = 0.05;
    config.notices.retry_base_secs = 0.1;
    config.notices.retry_max_secs = 0.4;
}

/// Waits (polling, up to `timeout`) until the outbox is empty.
pub async fn wait_outbox_empty(server: &TestServer, timeout: std::time::Duration) {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let pending = server.state.notices().pending().await.expect("pending");
        if pending == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{pending} notice(s) still queued after {timeout:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A fixed server secret for tests that build state directly.
pub fn test_secret() -> ServerSecret {
    ServerSecret::from_bytes([42; 32])
}

/// A tenant with software keys.
pub struct TestTenant {
    /// The tenant's id.
    pub id: TenantId,
    /// Advisor keys (software; in production they live in a token).
    pub advisors: Vec<StaticSecret>,
    /// The offline recovery key.
    pub recovery: StaticSecret,
}

impl std::fmt::Debug for TestTenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestTenant")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl TestTenant {
    /// Creates a tenant with `advisors` advisors and a recovery key.
    pub fn create(admin: &Admin, id: &str, advisors: usize) -> Self {
        let id = TenantId::new(id).expect("valid tenant id");
        admin
            .create_tenant(
                &id,
                &format!("Tenant {id}"),
                &["nl".into(), "en".into()],
                None,
            )
            .expect("create tenant");
        let mut rng = meldkluis_crypto_core::os_rng();
        let recovery = StaticSecret::generate(&mut rng);
        admin
            .set_recovery_key(&id, &recovery.public_key())
            .expect("recovery key");
        let advisors: Vec<StaticSecret> = (0..advisors)
            .map(|_| StaticSecret::generate(&mut rng))
            .collect();
        for (i, advisor) in advisors.iter().enumerate() {
            admin
                .add_advisor(&id, &advisor.public_key(), &format!("Advisor {i}"))
                .expect("add advisor");
        }
        Self {
            id,
            advisors,
            recovery,
        }
    }

    /// The advisors' public keys.
    pub fn advisor_keys(&self) -> Vec<PublicKey> {
        self.advisors.iter().map(StaticKey::public_key).collect()
    }
}

/// A reporter's mailbox (random values instead of the Argon2 derivation,
/// which the server cannot tell apart; one test uses the real derivation).
pub struct Mailbox {
    /// The mailbox id.
    pub id: [u8; 16],
    /// The authentication secret.
    pub auth_secret: [u8; 32],
    /// The mailbox key.
    pub key: StaticSecret,
    /// The report's id.
    pub report_id: ItemId,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mailbox(..)")
    }
}

impl Mailbox {
    /// A fresh random mailbox.
    pub fn random() -> Self {
        use rand::RngCore;
        let mut rng = meldkluis_crypto_core::os_rng();
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        let mut auth_secret = [0u8; 32];
        rng.fill_bytes(&mut auth_secret);
        Self {
            id,
            auth_secret,
            key: StaticSecret::generate(&mut rng),
            report_id: ItemId::random(&mut rng),
        }
    }

    /// The recipients of this mailbox's items: the mailbox key, the
    /// recovery key and the given advisors.
    pub fn recipients(&self, tenant: &TestTenant, advisors: &[PublicKey]) -> Vec<PublicKey> {
        let mut keys = vec![self.key.public_key(), tenant.recovery.public_key()];
        keys.extend_from_slice(advisors);
        keys
    }

    /// Seals the report.
    pub fn seal_report(&self, tenant: &TestTenant, content: &[u8]) -> Vec<u8> {
        let recipients = self.recipients(tenant, &tenant.advisor_keys());
        seal(
            ItemKind::Report,
            &tenant.id,
            self.report_id,
            self.report_id,
            &self.key,
            &recipients,
            content,
        )
    }

    /// The JSON body submitting `item` as this mailbox's report.
    pub fn report_body(&self, item: &[u8]) -> Value {
        json!({
            "item": b64(item),
            "mailbox_id": hex::encode(self.id),
            "mailbox_public_key": self.key.public_key().to_hex(),
            "auth_secret": hex::encode(self.auth_secret),
        })
    }

    /// The JSON body of a log-in.
    pub fn login_body(&self) -> Value {
        json!({ "mailbox_id": hex::encode(self.id), "auth_secret": hex::encode(self.auth_secret) })
    }
}

/// Seals an item with a fresh item id unless given.
pub fn seal(
    kind: ItemKind,
    tenant: &TenantId,
    item_id: ItemId,
    report_id: ItemId,
    sender: &dyn StaticKey,
    recipients: &[PublicKey],
    content: &[u8],
) -> Vec<u8> {
    let params = SealParams {
        kind,
        tenant,
        item_id,
        report_id,
        sender,
        recipients,
    };
    seal_item(&params, content, &mut meldkluis_crypto_core::os_rng()).expect("sealing works")
}

/// A fresh random item id.
pub fn new_item_id() -> ItemId {
    ItemId::random(&mut meldkluis_crypto_core::os_rng())
}

/// Opens an item and returns its content (panics if it does not open).
pub fn open(
    item: &[u8],
    reader: &dyn StaticKey,
    tenant: &TenantId,
    senders: &[PublicKey],
) -> Vec<u8> {
    let opened = open_item(item, reader, &Expect { tenant, senders }).expect("item opens");
    opened.content.to_vec()
}

/// A plain HTTP client (rustls, no proxies).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// Submits a report; returns the HTTP status.
pub async fn submit_report(
    client: &reqwest::Client,
    server: &TestServer,
    tenant: &str,
    body: &Value,
) -> u16 {
    let response = client
        .post(server.url(tenant, "/reports"))
        .json(body)
        .send()
        .await
        .expect("request");
    response.status().as_u16()
}

/// Submits `mailbox`'s report with `content`, sealed to the tenant's
/// advisors at the indices `advisors`, with `extra` JSON body fields: the
/// sealed item, the HTTP status and the JSON answer (Null if none).
pub async fn submit_sealed(
    http: &reqwest::Client,
    server: &TestServer,
    tenant: &TestTenant,
    mailbox: &Mailbox,
    advisors: &[usize],
    content: &[u8],
    extra: Value,
) -> (Vec<u8>, u16, Value) {
    let keys: Vec<_> = advisors
        .iter()
        .map(|&i| tenant.advisors[i].public_key())
        .collect();
    let item = seal(
        ItemKind::Report,
        &tenant.id,
        mailbox.report_id,
        mailbox.report_id,
        &mailbox.key,
        &mailbox.recipients(tenant, &keys),
        content,
    );
    let mut body = mailbox.report_body(&item);
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let response = http
        .post(server.url(tenant.id.as_str(), "/reports"))
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (item, status, response.json().await.unwrap_or(Value::Null))
}

/// Logs in to a mailbox; returns the bearer token.
pub async fn mailbox_login(
    client: &reqwest::Client,
    server: &TestServer,
    tenant: &str,
    mailbox: &Mailbox,
) -> String {
    let response = client
        .post(server.url(tenant, "/mailbox/login"))
        .json(&mailbox.login_body())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "mailbox log-in");
    let body: Value = response.json().await.expect("json");
    body["token"].as_str().expect("token").to_owned()
}

/// Logs an advisor in with the challenge; returns the bearer token.
pub async fn advisor_login(
    client: &reqwest::Client,
    server: &TestServer,
    tenant: &TenantId,
    key: &StaticSecret,
) -> String {
    let challenge: Value = client
        .get(server.url(tenant.as_str(), "/advisor/challenge"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let message: [u8; 64] = unb64(challenge["challenge"].as_str().expect("challenge"))
        .try_into()
        .expect("64-byte challenge");
    let context = meldkluis_server::auth::challenge_context(tenant, server.state.server_origin());
    let answer = answer_challenge(key, &message, &context).expect("answer");
    let response = client
        .post(server.url(tenant.as_str(), "/advisor/login"))
        .json(&json!({
            "challenge_id": challenge["challenge_id"],
            "public_key": key.public_key().to_hex(),
            "response": b64(&answer),
        }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "advisor log-in");
    let body: Value = response.json().await.expect("json");
    body["token"].as_str().expect("token").to_owned()
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// True if `needle` occurs in `haystack`.
/// Reads a JSON text as [`serde_json::Value`], refusing an object that
/// names a key twice (which `Value` would silently read as the last one,
/// and a derived struct refuses): every answer of the API must be JSON a
/// strict reader takes.
pub fn strict_json(text: &str) -> Result<serde_json::Value, serde_json::Error> {
    use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
    use serde_json::Value;

    struct Strict(Value);
    struct StrictVisitor;

    impl<'de> Visitor<'de> for StrictVisitor {
        type Value = Strict;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
            Ok(Strict(Value::Bool(v)))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
            Ok(Strict(v.into()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
            Ok(Strict(v.into()))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
            Ok(Strict(v.into()))
        }
        fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
            Ok(Strict(v.into()))
        }
        fn visit_unit<E>(self) -> Result<Strict, E> {
            Ok(Strict(Value::Null))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
            let mut items = Vec::new();
            while let Some(Strict(item)) = seq.next_element()? {
                items.push(item);
            }
            Ok(Strict(Value::Array(items)))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
            let mut object = serde_json::Map::new();
            while let Some((key, Strict(value))) = map.next_entry::<String, Strict>()? {
                if object.insert(key.clone(), value).is_some() {
                    return Err(A::Error::custom(format!("key {key:?} appears twice")));
                }
            }
            Ok(Strict(Value::Object(object)))
        }
    }

    impl<'de> Deserialize<'de> for Strict {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(StrictVisitor)
        }
    }

    serde_json::from_str::<Strict>(text).map(|Strict(value)| value)
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// An advisor posts a sealed message into a report's thread; returns the
/// HTTP status.
pub async fn advisor_post_message(
    http: &reqwest::Client,
    server: &TestServer,
    tenant: &TestTenant,
    token: &str,
    advisor: &StaticSecret,
    mailbox: &Mailbox,
    content: &[u8],
) -> u16 {
    let recipients = mailbox.recipients(tenant, &tenant.advisor_keys());
    let item = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        mailbox.report_id,
        advisor,
        &recipients,
        content,
    );
    http.post(server.url(
        tenant.id.as_str(),
        &format!("/advisor/reports/{}/messages", mailbox.report_id.to_hex()),
    ))
    .bearer_auth(token)
    .json(&json!({ "item": b64(&item) }))
    .send()
    .await
    .expect("request")
    .status()
    .as_u16()
}

/// An advisor sets a report's status (and agreed update date); returns the
/// HTTP status.
pub async fn advisor_set_status(
    http: &reqwest::Client,
    server: &TestServer,
    tenant: &TestTenant,
    token: &str,
    report_id: ItemId,
    status: &str,
    agreed_update_date: Option<&str>,
) -> u16 {
    http.put(server.url(
        tenant.id.as_str(),
        &format!("/advisor/reports/{}/status", report_id.to_hex()),
    ))
    .bearer_auth(token)
    .json(&if status == "closed" {
        // Closing needs a reason (issue 11).
        json!({ "status": status, "agreed_update_date": agreed_update_date, "closing_reason": "resolved" })
    } else {
        json!({ "status": status, "agreed_update_date": agreed_update_date })
    })
    .send()
    .await
    .expect("request")
    .status()
    .as_u16()
}

/// A key grant of `item`'s content key from `grantor`, one of its
/// recipients, to `grantee`.
pub fn grant_from(
    tenant: &TestTenant,
    grantor: &dyn StaticKey,
    item: &[u8],
    grantee: &PublicKey,
) -> Vec<u8> {
    grant_item_key(
        item,
        &GrantParams {
            tenant: &tenant.id,
            grantor,
            grantor_access: Access::Stanza,
            grantee,
        },
        &mut meldkluis_crypto_core::os_rng(),
    )
    .expect("the grantor is a recipient of the item")
}

/// Posts key grants for the items of `report` with an advisor's `token`:
/// the status and the JSON answer.
pub async fn post_grants(
    http: &reqwest::Client,
    server: &TestServer,
    tenant: &TenantId,
    token: &str,
    report: &str,
    grants: &[Vec<u8>],
) -> (u16, Value) {
    let response = http
        .post(server.url(
            tenant.as_str(),
            &format!("/advisor/reports/{report}/grants"),
        ))
        .bearer_auth(token)
        .json(&json!({ "grants": grants.iter().map(|g| b64(g)).collect::<Vec<_>>() }))
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    #[test]
    fn strict_json_refuses_a_key_sent_twice_at_any_depth() {
        let read = |text: &str| super::strict_json(text).map_err(|e| e.to_string());
        assert_eq!(
            read(r#"{"a": [1, {"b": null}], "c": "d"}"#),
            Ok(serde_json::json!({"a": [1, {"b": null}], "c": "d"}))
        );
        assert!(read(r#"{"a": 1, "a": 2}"#).is_err_and(|e| e.contains("\"a\" appears twice")));
        assert!(read(r#"{"x": [{"closed_day": "2027-01-01", "closed_day": null}]}"#).is_err());
    }
}
