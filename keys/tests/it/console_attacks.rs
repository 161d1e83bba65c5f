//! The advisor console against a breached server (the malicious double of
//! `double.rs`) and against other local programs: each test performs the
//! attack and shows it gains nothing.
//!
//! - A report swapped in under a real report's id at send time gets no
//!   reply, status, date or category; the advisor sees a loud warning.
//! - The pins file carries that across runs.
//! - The console answers only under its capability path, with its session
//!   cookie scoped to that path, and a form needs the CSRF token, which is
//!   not the session secret.
//! - Odd report ids and oversized answers give an error page, never a crash.
// Test code: a panic with its location is the failure report.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use meldkluis_crypto_core::{
    open_item, os_rng, seal_item, Expect, ItemHeader, ItemId, ItemKind, SealParams, StaticKey,
    StaticSecret, TenantId,
};
use meldkluis_i18n::catalog;
use meldkluis_keys::client::ServerClient;
use meldkluis_keys::console::{Console, ConsoleOptions};
use meldkluis_keys::enrolled::EnrolledKeys;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::double::{self, served, summary, thread, Served};

/// The value of `name="<field>"`'s `value` in a page.
pub(crate) fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// The advisor's browser, as far as these tests need one.
pub(crate) struct Browser {
    http: reqwest::Client,
    /// `http://127.x.y.z:port`
    origin: String,
    /// `origin` + `/c/<capability>`
    base: String,
    /// `meldkluis_console=<session>`
    cookie: String,
    /// The full Set-Cookie header the console sent.
    set_cookie: String,
    session: String,
    pub(crate) csrf: String,
}

impl Browser {
    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// A GET as the advisor's browser sends it, with the whole answer.
    pub(crate) async fn get_response(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    /// A POST of a ready body (a multipart form) as the advisor's browser
    /// sends it.
    pub(crate) async fn post_body(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, String) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("origin", &self.origin)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("origin", &self.origin)
            .form(form)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

pub(crate) struct Keys {
    pub(crate) advisor: StaticSecret,
    pub(crate) recovery: StaticSecret,
}

fn enrolled(keys: &Keys) -> EnrolledKeys {
    EnrolledKeys {
        advisors: vec![(keys.advisor.public_key(), "me".into())],
        recovery: Some(keys.recovery.public_key()),
        earlier: Vec::new(),
        former_recovery: Vec::new(),
        recipients: Vec::new(),
    }
}

/// Starts a console for `keys.advisor` against `server`, opens it as the
/// advisor's browser does and logs in.
pub(crate) async fn open_console(server: &str, keys: &Keys, pins: Option<PathBuf>) -> Browser {
    let options = ConsoleOptions {
        server: server.to_owned(),
        tenant: TenantId::new("acme").unwrap(),
        enrolled: enrolled(keys),
        lang: catalog().lang("en").unwrap(),
        pins,
    };
    open_console_with(
        options,
        StaticSecret::from_bytes(*keys.advisor.expose_secret_bytes()),
    )
    .await
}

/// An HTTP client as a browser on this machine talks to a loopback page:
/// no proxy, and redirects seen rather than followed.
pub(crate) fn page_http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Starts a console with `options` for `key`, opens it as the advisor's
/// browser does and logs in.
pub(crate) async fn open_console_with(options: ConsoleOptions, key: StaticSecret) -> Browser {
    let console = Console::bind("127.0.0.1:0".parse().unwrap(), options, Box::new(key))
        .await
        .unwrap();
    let url = console.url();
    tokio::spawn(console.serve(std::future::pending()));
    let http = page_http();
    let entry = http.get(&url).send().await.unwrap();
    assert_eq!(entry.status(), 303);
    let set_cookie = entry.headers()["set-cookie"].to_str().unwrap().to_owned();
    let (base, session) = url.split_once("/?k=").unwrap();
    let origin = base.split("/c/").next().unwrap().to_owned();
    let mut browser = Browser {
        http,
        origin,
        base: base.to_owned(),
        cookie: set_cookie.split(';').next().unwrap().to_owned(),
        set_cookie,
        session: session.to_owned(),
        csrf: String::new(),
    };
    let (status, login) = browser.get("/").await;
    assert_eq!(status, 200, "{login}");
    browser.csrf = field(&login, "csrf");
    let (status, _) = browser.post("/login", &[("csrf", &browser.csrf)]).await;
    assert_eq!(status, 303);
    browser
}

fn seal_report(
    id: ItemId,
    mailbox: &StaticSecret,
    to: &[meldkluis_crypto_core::PublicKey],
) -> Vec<u8> {
    let mut recipients = to.to_vec();
    recipients.push(mailbox.public_key());
    seal_item(
        &SealParams {
            kind: ItemKind::Report,
            tenant: &TenantId::new("acme").unwrap(),
            item_id: id,
            report_id: id,
            sender: mailbox,
            recipients: &recipients,
        },
        br#"{"format":"meldkluis-report/1","answers":{"what":"CANARY report text"}}"#,
        &mut os_rng(),
    )
    .unwrap()
}

/// A breached server with one real report (from the reporter's mailbox
/// `real`) and, under the same id, one of its own (from `fake`, a mailbox
/// key it holds), served once `swap` is set.
pub(crate) async fn breached_server(
    keys: &Keys,
) -> (Arc<Served>, String, ItemId, StaticSecret, StaticSecret) {
    let mut rng = os_rng();
    let real = StaticSecret::generate(&mut rng);
    let fake = StaticSecret::generate(&mut rng);
    let id = ItemId::random(&mut rng);
    let to = [keys.advisor.public_key(), keys.recovery.public_key()];
    let served_state = Arc::new(Served::default());
    *served_state.config.lock().unwrap() = json!({
        "tenant": "acme",
        "name": "Acme",
        "advisors": [served(&keys.advisor.public_key(), "me")],
        "recovery_key": { "public_key": keys.recovery.public_key().to_hex(), "fingerprint": keys.recovery.public_key().fingerprint() },
        "questionnaire": null,
    });
    *served_state.list.lock().unwrap() = vec![summary(&id.to_hex())];
    served_state.threads.lock().unwrap().insert(
        id.to_hex(),
        thread(&id.to_hex(), &seal_report(id, &real, &to)),
    );
    served_state.swapped.lock().unwrap().insert(
        id.to_hex(),
        thread(&id.to_hex(), &seal_report(id, &fake, &to)),
    );
    let base = double::start(Arc::clone(&served_state)).await;
    (served_state, base, id, real, fake)
}

pub(crate) fn new_keys() -> Keys {
    let mut rng = os_rng();
    Keys {
        advisor: StaticSecret::generate(&mut rng),
        recovery: StaticSecret::generate(&mut rng),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_swapped_in_at_send_time_gets_no_reply_and_a_loud_warning() {
    let keys = new_keys();
    let (server, base, id, real, fake) = breached_server(&keys).await;
    let browser = open_console(&base, &keys, None).await;
    let path = format!("/reports/{}", id.to_hex());

    // The advisor reads the real report...
    let (status, page) = browser.get(&path).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"report-content\""), "{page}");
    let shown_hash = field(&page, "report_hash");
    assert_eq!(shown_hash.len(), 64);

    // ...and the server swaps in its own report under the same id just
    // before the reply, the status, the date and the category are posted.
    server.swap.store(true, Ordering::SeqCst);
    let csrf = browser.csrf.as_str();
    let attempts: [(&str, Vec<(&str, &str)>); 3] = [
        ("reply", vec![("text", "Dank u, kunt u de datum noemen?")]),
        (
            "status",
            vec![
                ("status", "in_progress"),
                ("agreed_update_date", "2027-01-15"),
            ],
        ),
        ("category", vec![("category", "x")]),
    ];
    for (action, fields) in &attempts {
        let mut form = vec![("csrf", csrf), ("report_hash", shown_hash.as_str())];
        form.extend(fields.iter().copied());
        let (status, page) = browser.post(&format!("{path}/{action}"), &form).await;
        assert_eq!(status, 409, "{action}: {page}");
        assert!(page.contains("id=\"report-swapped\""), "{action}: {page}");
        assert!(page.contains("Nothing was sent"), "{action}: {page}");
    }
    // A form without the shown hash is refused the same way.
    let (status, _) = browser
        .post(&format!("{path}/reply"), &[("csrf", csrf), ("text", "x")])
        .await;
    assert_eq!(status, 409);
    // Showing the report again shows the warning, not the other report.
    let (status, page) = browser.get(&path).await;
    assert_eq!(status, 409);
    assert!(
        page.contains("id=\"report-swapped\"") && !page.contains("report-content"),
        "{page}"
    );
    assert!(server.posted().is_empty(), "{:?}", server.posted());

    // The control: with the real report served again, the same reply goes
    // out, sealed to the real reporter's mailbox and never to the fake one.
    server.swap.store(false, Ordering::SeqCst);
    let (status, page) = browser
        .post(
            &format!("{path}/reply"),
            &[
                ("csrf", csrf),
                ("report_hash", &shown_hash),
                ("text", "Dank u"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{page}");
    let posted = server.posted();
    assert_eq!(posted.len(), 1);
    let item = double::unb64(posted[0].1["item"].as_str().unwrap());
    let (header, _) = ItemHeader::parse(&item).unwrap();
    assert!(header.recipients.contains(&real.public_key()));
    assert!(!header.recipients.contains(&fake.public_key()));
    let expect = Expect {
        tenant: &TenantId::new("acme").unwrap(),
        senders: &[keys.advisor.public_key()],
    };
    assert!(open_item(&item, &real, &expect).is_ok());
    assert!(open_item(&item, &fake, &expect).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_swapped_between_runs_is_caught_by_the_pins_file() {
    let keys = new_keys();
    let (server, base, id, _real, _fake) = breached_server(&keys).await;
    let dir = tempfile::tempdir().unwrap();
    let pins = dir.path().join("report-pins.txt");
    let path = format!("/reports/{}", id.to_hex());

    let first = open_console(&base, &keys, Some(pins.clone())).await;
    let (status, _) = first.get(&path).await;
    assert_eq!(status, 200);
    let written = std::fs::read_to_string(&pins).unwrap();
    assert!(written.contains(&id.to_hex()), "{written}");

    // The next run, against the swapped report: refused from the start.
    server.swap.store(true, Ordering::SeqCst);
    let second = open_console(&base, &keys, Some(pins)).await;
    let (status, page) = second.get(&path).await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("id=\"report-swapped\""), "{page}");
    assert!(server.posted().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_needs_its_capability_path_cookie_and_a_separate_csrf_token() {
    let keys = new_keys();
    let (server, base, id, _real, _fake) = breached_server(&keys).await;
    let browser = open_console(&base, &keys, None).await;
    let path = format!("/reports/{}", id.to_hex());
    let (status, page) = browser.get(&path).await;
    assert_eq!(status, 200);
    let shown_hash = field(&page, "report_hash");

    // The cookie: this host only (no Domain), this capability path only.
    let capability_path = browser.base.strip_prefix(&browser.origin).unwrap();
    assert!(capability_path.starts_with("/c/") && capability_path.len() == 3 + 64);
    assert!(
        browser
            .set_cookie
            .contains(&format!("Path={capability_path};"))
            && browser.set_cookie.contains("HttpOnly")
            && browser.set_cookie.contains("SameSite=Strict")
            && !browser.set_cookie.to_ascii_lowercase().contains("domain"),
        "{}",
        browser.set_cookie
    );
    // The CSRF token is not the session secret.
    assert_ne!(browser.csrf, browser.session);
    assert_eq!(browser.csrf.len(), 64);

    // With the cookie but without the capability: nothing there.
    for wrong in [
        format!("{}/reports", browser.origin),
        format!("{}/c/{}/reports", browser.origin, "0".repeat(64)),
        format!("{}/c/{}/reports", browser.origin, browser.session),
    ] {
        let response = browser
            .http
            .get(&wrong)
            .header("cookie", &browser.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{wrong}");
    }
    // With the capability but without the cookie: not admitted.
    let response = browser
        .http
        .get(format!("{}{path}", browser.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // The cookie's value is not a CSRF token, nor is a missing one, nor is
    // the right token from another origin.
    let reply = format!("{path}/reply");
    for csrf in [browser.session.as_str(), ""] {
        let (status, _) = browser
            .post(
                &reply,
                &[("csrf", csrf), ("report_hash", &shown_hash), ("text", "x")],
            )
            .await;
        assert_eq!(status, 403, "csrf {csrf:?}");
    }
    let response = browser
        .http
        .post(format!("{}{reply}", browser.base))
        .header("cookie", &browser.cookie)
        .header("origin", "http://127.0.0.1:9")
        .form(&[
            ("csrf", browser.csrf.as_str()),
            ("report_hash", &shown_hash),
            ("text", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(server.posted().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_report_ids_and_oversized_answers_give_an_error_page_not_a_crash() {
    let keys = new_keys();
    let (server, base, id, _real, _fake) = breached_server(&keys).await;
    let browser = open_console(&base, &keys, None).await;

    // Ids a server should never send: short, empty, not ASCII, huge.
    let odd_list: Vec<_> = ["ab", "", "ü€𝄞", &"f".repeat(5000), "../../x"]
        .iter()
        .map(|odd| summary(odd))
        .collect();
    server.list.lock().unwrap().extend(odd_list);
    let (status, page) = browser.get("/reports").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"reports\""), "{page}");
    for odd in ["ab", "%C3%BC", "..%2F..%2Fx", &"f".repeat(5000)] {
        let (status, _) = browser.get(&format!("/reports/{odd}")).await;
        assert_eq!(status, 404, "{odd}");
    }
    // A thread answer that claims another report id.
    let other = ItemId::random(&mut os_rng()).to_hex();
    let mut wrong = server.threads.lock().unwrap()[&id.to_hex()].clone();
    wrong["report_id"] = json!("ab");
    server.threads.lock().unwrap().insert(other.clone(), wrong);
    let (status, page) = browser.get(&format!("/reports/{other}")).await;
    assert_eq!(status, 502, "{page}");

    // An answer over the limit: refused with a clear message.
    *server.oversized_thread.lock().unwrap() = Some(meldkluis_keys::client::MAX_JSON_ANSWER + 1);
    let (status, page) = browser.get(&format!("/reports/{}", id.to_hex())).await;
    assert_eq!(status, 502, "{page}");
    assert!(page.contains("too large"), "{page}");
    // And the console still works.
    *server.oversized_thread.lock().unwrap() = None;
    let (status, _) = browser.get(&format!("/reports/{}", id.to_hex())).await;
    assert_eq!(status, 200);
}

/// A server that answers every request with an endless chunked body: the
/// client stops reading at its limit (so its memory stays bounded) and
/// says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_answer_is_cut_off_at_the_limit() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                            transfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("{:x}\r\n{}\r\n", 1 << 20, " ".repeat(1 << 20));
                while socket.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    let client = ServerClient::new(&base, TenantId::new("acme").unwrap()).unwrap();
    let refused = client.public_config().await;
    assert!(
        matches!(refused, Err(meldkluis_keys::Error::AnswerTooLarge { .. })),
        "{refused:?}"
    );
    assert!(refused.unwrap_err().to_string().contains("larger than"));
}

#[test]
fn a_plain_http_server_elsewhere_is_refused() {
    let refused = ServerClient::new("http://meld.example", TenantId::new("acme").unwrap());
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("use https://"), "{message}");
    assert!(ServerClient::new("https://meld.example", TenantId::new("acme").unwrap()).is_ok());
}
