//! Figures for management in the advisor console (issue 12), against the
//! real server in this process:
//!
//! - a published figures report is an item whose report id is its own id,
//!   sealed by the advisor's key; it opens with a confirmed management
//!   recipient's key and with every advisor's key, and with nothing else:
//!   not a forward recipient's key, not the recovery key;
//! - a management key the server serves but the advisor did not confirm
//!   (the server adds or substitutes a management key) gets nothing sealed
//!   to it, and is shown as unconfirmed;
//! - the console publishes only an ended quarter or year, only the
//!   document the advisor previewed, only with a confirmed management
//!   recipient, only from a form with the CSRF token; the CSV of a preview
//!   and of a published report downloads.
//! - the tenant's figures threshold is the one the server serves in the
//!   register (raised to 7, a count of 6 is hidden); a served threshold
//!   below 3, or none, is refused and nothing is computed or published.
// Test code: a panic with its location is the failure report.

use meldkluis_crypto_core::{
    open_item, os_rng, Expect, ItemKind, PublicKey, StaticKey as _, StaticSecret, TenantId,
};
use meldkluis_i18n::catalog;
use meldkluis_keys::client::ServerClient;
use meldkluis_keys::console::ConsoleOptions;
use meldkluis_keys::enrolled::{ConfirmedRecipient, EnrolledKeys, RecipientRole};
use meldkluis_keys::figures::{FiguresReport, Period};
use meldkluis_server::dates::Day;

use crate::console_attacks::{field, open_console_with, Browser};
use crate::real_server::{self, RealServer};

/// The real server with advisors A and B, a confirmed management
/// recipient M, a management recipient X the server serves but no advisor
/// confirmed, and a confirmed forward recipient F.
struct Setup {
    server: RealServer,
    a: StaticSecret,
    b: StaticSecret,
    management: StaticSecret,
    unconfirmed: StaticSecret,
    forward: StaticSecret,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let server = real_server::start(dir.path(), "acme", "Acme").await;
    let mut rng = os_rng();
    let [a, b, management, unconfirmed, forward] =
        std::array::from_fn(|_| StaticSecret::generate(&mut rng));
    let admin = &server.admin;
    admin
        .add_advisor(&server.tenant, &a.public_key(), "A. de Vries")
        .unwrap();
    admin
        .add_advisor(&server.tenant, &b.public_key(), "B. Jansen")
        .unwrap();
    for (key, role, label) in [
        (&management, "management", "Directie — J. Smit"),
        (&unconfirmed, "management", "Directie — onbekend"),
        (&forward, "forward", "HR — P. de Boer"),
    ] {
        admin
            .add_recipient(&server.tenant, role, label, &key.public_key())
            .unwrap();
    }
    Setup {
        server,
        a,
        b,
        management,
        unconfirmed,
        forward,
        _dir: dir,
    }
}

impl Setup {
    /// A's console, in English, with both advisors, M (management) and F
    /// (forward) confirmed — or, with `management` false, F only.
    async fn console(&self, management: bool) -> Browser {
        let mut recipients = vec![ConfirmedRecipient {
            role: RecipientRole::Forward,
            public_key: self.forward.public_key(),
            label: "HR — P. de Boer".into(),
        }];
        if management {
            recipients.push(ConfirmedRecipient {
                role: RecipientRole::Management,
                public_key: self.management.public_key(),
                label: "Directie — J. Smit".into(),
            });
        }
        let options = ConsoleOptions {
            server: self.server.base.clone(),
            tenant: self.server.tenant.clone(),
            enrolled: EnrolledKeys {
                advisors: vec![
                    (self.a.public_key(), "A. de Vries".into()),
                    (self.b.public_key(), "B. Jansen".into()),
                ],
                recovery: Some(self.server.recovery.public_key()),
                earlier: Vec::new(),
                former_recovery: Vec::new(),
                recipients,
            },
            lang: catalog().lang("en").unwrap(),
            pins: None,
        };
        open_console_with(
            options,
            StaticSecret::from_bytes(*self.a.expose_secret_bytes()),
        )
        .await
    }

    /// The tenant's published figures reports and their sealed bytes, as
    /// advisor B's client fetches them.
    async fn published(&self) -> Vec<(String, Vec<u8>)> {
        let client = ServerClient::new(&self.server.base, self.server.tenant.clone()).unwrap();
        client.log_in(&self.b).await.unwrap();
        let mut items = Vec::new();
        for entry in client.published_figures().await.unwrap() {
            let bytes = client.figures_item(&entry.item_id).await.unwrap();
            items.push((entry.period, bytes));
        }
        items
    }
}

/// The last quarter that has ended.
fn last_quarter() -> Period {
    let today = Day::today().to_string();
    match Period::quarter_of_day(&today).unwrap() {
        Period::Quarter { year, q: 1 } => Period::quarter(year - 1, 4).unwrap(),
        Period::Quarter { year, q } => Period::quarter(year, q - 1).unwrap(),
        Period::Year(_) => unreachable!("a day is in a quarter"),
    }
}

/// The quarter today is in (not ended).
fn this_quarter() -> Period {
    Period::quarter_of_day(&Day::today().to_string()).unwrap()
}

/// Opens a figures item with `reader`, expecting it from A.
fn open_with(
    item: &[u8],
    reader: &StaticSecret,
    tenant: &TenantId,
    sender: PublicKey,
) -> Option<Vec<u8>> {
    open_item(
        item,
        reader,
        &Expect {
            tenant,
            senders: &[sender],
        },
    )
    .ok()
    .map(|opened| opened.content.to_vec())
}

/// Previews `period` and publishes it from the preview's own form; returns
/// the preview page and the publish answer.
async fn preview_and_publish(browser: &Browser, period: &str) -> (String, (u16, String)) {
    let (status, preview) = browser
        .get(&format!("/figures/preview?period={period}"))
        .await;
    assert_eq!(status, 200, "{preview}");
    let answer = browser
        .post(
            "/figures/publish",
            &[
                ("csrf", &field(&preview, "csrf")),
                ("period", &field(&preview, "period")),
                ("digest", &field(&preview, "digest")),
            ],
        )
        .await;
    (preview, answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_figures_open_for_management_and_advisors_only() {
    let setup = setup().await;
    let browser = setup.console(true).await;
    let period = last_quarter().to_string();

    let (status, home) = browser.get("/figures").await;
    assert_eq!(status, 200, "{home}");
    assert!(
        home.contains("id=\"figures-none\""),
        "nothing published yet"
    );
    assert!(
        home.contains(&format!("<option value=\"{period}\"")),
        "the last quarter can be chosen: {home}"
    );
    assert!(
        !home.contains(&format!("<option value=\"{}\"", this_quarter())),
        "the quarter that has not ended cannot"
    );

    let (preview, (status, _)) = preview_and_publish(&browser, &period).await;
    assert_eq!(status, 303, "published");
    assert!(preview.contains("Directie — J. Smit"), "M is a recipient");

    let published = setup.published().await;
    assert_eq!(published.len(), 1);
    let (listed_period, item) = &published[0];
    assert_eq!(listed_period, &period);
    let (header, _) = meldkluis_crypto_core::ItemHeader::parse(item).unwrap();
    assert_eq!(header.kind, ItemKind::Message);
    assert_eq!(header.report_id, header.item_id, "report id = item id");
    assert_eq!(header.sender, setup.a.public_key());

    // Management and every advisor read the same document…
    let tenant = &setup.server.tenant;
    let from_a = setup.a.public_key();
    let content = open_with(item, &setup.management, tenant, from_a)
        .expect("the confirmed management recipient opens it");
    let report = FiguresReport::from_json(&content).unwrap();
    assert_eq!(report.period.to_string(), period);
    assert_eq!(report.tenant, "acme");
    for advisor in [&setup.a, &setup.b] {
        assert_eq!(
            open_with(item, advisor, tenant, from_a).as_deref(),
            Some(&content[..]),
            "an advisor opens it"
        );
    }
    // …and nobody else: not a forward recipient, not the recovery key.
    assert!(open_with(item, &setup.forward, tenant, from_a).is_none());
    assert!(open_with(item, &setup.server.recovery, tenant, from_a).is_none());
    assert!(!header.recipients.contains(&setup.forward.public_key()));
    assert!(!header
        .recipients
        .contains(&setup.server.recovery.public_key()));

    // Listed, viewable, and its CSV downloads, as the preview's did.
    let (status, home) = browser.get("/figures").await;
    assert_eq!(status, 200);
    let id = header.item_id.to_hex();
    assert!(home.contains(&format!("data-figures=\"{id}\"")), "{home}");
    let (status, view) = browser.get(&format!("/figures/published/{id}")).await;
    assert_eq!(status, 200, "{view}");
    assert!(view.contains("<svg"), "a chart");
    for path in [
        format!("/figures/published/{id}/csv"),
        format!("/figures/preview/csv?period={period}"),
    ] {
        let response = browser.get_response(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        assert!(response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;"));
        assert!(!response.text().await.unwrap().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_management_key_the_advisor_did_not_confirm_gets_nothing() {
    let setup = setup().await;
    let browser = setup.console(true).await;
    let period = last_quarter().to_string();
    let (preview, (status, _)) = preview_and_publish(&browser, &period).await;
    assert_eq!(status, 303);
    // The preview shows the key the server serves, as not confirmed.
    let unconfirmed = preview
        .split("id=\"figures-unconfirmed\"")
        .nth(1)
        .expect("an unconfirmed list");
    assert!(unconfirmed.contains(&setup.unconfirmed.public_key().fingerprint()));

    let published = setup.published().await;
    let (_, item) = &published[0];
    let (header, _) = meldkluis_crypto_core::ItemHeader::parse(item).unwrap();
    assert!(
        !header.recipients.contains(&setup.unconfirmed.public_key()),
        "nothing is sealed to a management key only the server names"
    );
    assert!(open_with(
        item,
        &setup.unconfirmed,
        &setup.server.tenant,
        setup.a.public_key()
    )
    .is_none());
    assert!(header.recipients.contains(&setup.management.public_key()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_only_the_previewed_report_of_an_ended_period_to_confirmed_management() {
    let setup = setup().await;
    let browser = setup.console(true).await;
    let period = last_quarter().to_string();
    let (status, preview) = browser
        .get(&format!("/figures/preview?period={period}"))
        .await;
    assert_eq!(status, 200);
    let csrf = field(&preview, "csrf");
    let digest = field(&preview, "digest");

    // Not the document previewed (another digest): nothing sent.
    let (status, page) = browser
        .post(
            "/figures/publish",
            &[
                ("csrf", &csrf),
                ("period", &period),
                ("digest", &"0".repeat(64)),
            ],
        )
        .await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("id=\"figures-refused\""));
    // A period that has not ended, one that is not a period, free dates.
    for bad in [
        this_quarter().to_string(),
        "2026-Q5".into(),
        "2026-01-01..2026-02-01".into(),
        String::new(),
    ] {
        let (status, page) = browser
            .post(
                "/figures/publish",
                &[("csrf", &csrf), ("period", &bad), ("digest", &digest)],
            )
            .await;
        assert_eq!(status, 422, "{bad}: {page}");
        let (status, _) = browser.get(&format!("/figures/preview?period={bad}")).await;
        assert_eq!(status, 422, "{bad}");
    }
    // Without the CSRF token.
    let (status, _) = browser
        .post(
            "/figures/publish",
            &[
                ("csrf", &"0".repeat(64)),
                ("period", &period),
                ("digest", &digest),
            ],
        )
        .await;
    assert_eq!(status, 403);
    assert!(setup.published().await.is_empty(), "nothing was published");

    // A console without a confirmed management recipient offers no
    // publishing, and refuses it.
    let without = setup.console(false).await;
    let (status, preview) = without
        .get(&format!("/figures/preview?period={period}"))
        .await;
    assert_eq!(status, 200);
    assert!(preview.contains("id=\"figures-no-management\""));
    assert!(!preview.contains("id=\"figures-publish\""));
    let (status, _) = without
        .post(
            "/figures/publish",
            &[
                ("csrf", &without.csrf),
                ("period", &period),
                ("digest", &digest),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(setup.published().await.is_empty(), "nothing was published");

    // The previewed document itself is accepted.
    let (status, _) = browser
        .post(
            "/figures/publish",
            &[("csrf", &csrf), ("period", &period), ("digest", &digest)],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(setup.published().await.len(), 1);
}

/// Seals an empty-period figures report from `sender` to `recipients` and
/// posts it with `sender`'s own session.
async fn post_figures_as(
    setup: &Setup,
    sender: &StaticSecret,
    recipients: &[PublicKey],
    period: Period,
) {
    let client = ServerClient::new(&setup.server.base, setup.server.tenant.clone()).unwrap();
    client.log_in(sender).await.unwrap();
    let mut rng = os_rng();
    let id = meldkluis_crypto_core::ItemId::random(&mut rng);
    // A well-formed document, as another console makes it.
    let setup_of = meldkluis_keys::figures::Setup {
        tenant: "acme".into(),
        today: Day::today().to_string(),
        terms: meldkluis_keys::figures::Terms::default(),
        threshold: meldkluis_keys::figures::Threshold::default(),
        categories: Vec::new(),
    };
    let report = meldkluis_keys::figures::compute(period, &[], &setup_of, &[]).unwrap();
    let item = meldkluis_crypto_core::seal_item(
        &meldkluis_crypto_core::SealParams {
            kind: ItemKind::Message,
            tenant: &setup.server.tenant,
            item_id: id,
            report_id: id,
            sender,
            recipients,
        },
        &report.to_json(),
        &mut rng,
    )
    .unwrap();
    client
        .post_figures(&period.to_string(), &item)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_report_of_the_year_this_key_cannot_trust_stops_publishing() {
    let setup = setup().await;
    let browser = setup.console(true).await;
    let period = last_quarter();

    // A colleague published the quarter sealed to management and to
    // themself only: this console cannot open it, so cannot know its
    // cells, and does not publish the quarter (nor its year) beside it.
    post_figures_as(
        &setup,
        &setup.b,
        &[setup.b.public_key(), setup.management.public_key()],
        period,
    )
    .await;
    let (status, page) = browser
        .get(&format!("/figures/preview?period={period}"))
        .await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("id=\"figures-refused\""), "{page}");

    // A report "from an advisor" the advisor never confirmed (an operator
    // enrols a key of their own and publishes crafted figures to steer the
    // suppression): not trusted, so it stops publishing too rather than
    // being believed.
    let setup = self::setup().await;
    let browser = setup.console(true).await;
    let rogue = StaticSecret::generate(&mut os_rng());
    setup
        .server
        .admin
        .add_advisor(&setup.server.tenant, &rogue.public_key(), "Rogue")
        .unwrap();
    post_figures_as(
        &setup,
        &rogue,
        &[
            rogue.public_key(),
            setup.a.public_key(),
            setup.management.public_key(),
        ],
        period,
    )
    .await;
    let (status, page) = browser
        .get(&format!("/figures/preview?period={period}"))
        .await;
    assert_eq!(status, 409, "{page}");
    let (_, home) = browser.get("/figures").await;
    assert!(
        home.contains("Cannot be opened with your key"),
        "listed as not opened: {home}"
    );
    assert_eq!(setup.published().await.len(), 1, "nothing more published");
}

// The tenant's figures threshold (domain.md: default 5, a tenant may raise
// it, never below 3), as the server serves it in the register's
// `lifecycle.figures_threshold`.

/// The real server for tenant `acme` on `listener`, its clock `clock`,
/// its origin `public_url` (the address advisors reach it by), with
/// advisor `a` and the confirmed management recipient `management`.
async fn threshold_server(
    dir: &std::path::Path,
    listener: tokio::net::TcpListener,
    clock: std::sync::Arc<meldkluis_server::clock::ManualClock>,
    public_url: Option<String>,
    a: &StaticSecret,
    management: &StaticSecret,
) -> RealServer {
    let config = meldkluis_server::Config {
        data_dir: dir.join("data"),
        server_secret_path: Some(dir.join("server-secret")),
        public_url,
        ..meldkluis_server::Config::default()
    };
    let state = meldkluis_server::AppState::with_clock(config.clone(), clock).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(meldkluis_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let admin = meldkluis_server::admin::Admin::open(&config).unwrap();
    let tenant = TenantId::new("acme").unwrap();
    admin
        .create_tenant(&tenant, "Acme", &["nl".into()], None)
        .unwrap();
    let recovery = StaticSecret::generate(&mut os_rng());
    admin
        .set_recovery_key(&tenant, &recovery.public_key())
        .unwrap();
    admin
        .add_advisor(&tenant, &a.public_key(), "A. de Vries")
        .unwrap();
    admin
        .add_recipient(
            &tenant,
            "management",
            "Directie — J. Smit",
            &management.public_key(),
        )
        .unwrap();
    RealServer {
        base,
        admin,
        tenant,
        recovery,
    }
}

/// A's console on `server_url` for tenant `acme`, in English, with M
/// confirmed as management.
async fn threshold_console(
    server_url: &str,
    a: &StaticSecret,
    management: &StaticSecret,
    recovery: &StaticSecret,
) -> Browser {
    let options = ConsoleOptions {
        server: server_url.to_owned(),
        tenant: TenantId::new("acme").unwrap(),
        enrolled: EnrolledKeys {
            advisors: vec![(a.public_key(), "A. de Vries".into())],
            recovery: Some(recovery.public_key()),
            earlier: Vec::new(),
            former_recovery: Vec::new(),
            recipients: vec![ConfirmedRecipient {
                role: RecipientRole::Management,
                public_key: management.public_key(),
                label: "Directie — J. Smit".into(),
            }],
        },
        lang: catalog().lang("en").unwrap(),
        pins: None,
    };
    open_console_with(options, StaticSecret::from_bytes(*a.expose_secret_bytes())).await
}

/// The tenant's published figures items, as A's own client fetches them
/// from `base` (the server's origin).
async fn published_items(base: &str, tenant: &TenantId, a: &StaticSecret) -> Vec<Vec<u8>> {
    let client = ServerClient::new(base, tenant.clone()).unwrap();
    client.log_in(a).await.unwrap();
    let mut items = Vec::new();
    for entry in client.published_figures().await.unwrap() {
        items.push(client.figures_item(&entry.item_id).await.unwrap());
    }
    items
}

/// A page's text without Fluent's bidi isolation marks.
fn plain(page: &str) -> String {
    page.replace(['\u{2068}', '\u{2069}'], "")
}

/// Six reports received in 2026-Q3: with the default threshold 5 the
/// preview shows their total, 6; once the operator raises the tenant's
/// threshold to 7 (`tenant set-lifecycle --figures-threshold 7`), the
/// preview states 7 and the published report shows no count below 7: the
/// 6 is hidden.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raised_threshold_hides_a_count_of_6_that_the_default_5_shows() {
    use meldkluis_server::clock::ManualClock;
    let dir = tempfile::tempdir().unwrap();
    let mut rng = os_rng();
    let [a, management] = std::array::from_fn(|_| StaticSecret::generate(&mut rng));
    let clock = std::sync::Arc::new(ManualClock::at(Day::parse("2026-08-03").unwrap(), 10));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = threshold_server(dir.path(), listener, clock.clone(), None, &a, &management).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for _ in 0..6 {
        let mailbox = StaticSecret::generate(&mut rng);
        let report_id = meldkluis_crypto_core::ItemId::random(&mut rng);
        let content = serde_json::json!({
            "format": "meldkluis-report/1",
            "answers": [{"question": "What happened?", "answer": "CANARY"}],
            "reporter": {"anonymous": true},
            "attachments": [],
        });
        let item = real_server::seal(
            &server.tenant,
            ItemKind::Report,
            report_id,
            report_id,
            &mailbox,
            &[
                mailbox.public_key(),
                a.public_key(),
                server.recovery.public_key(),
            ],
            content.to_string().as_bytes(),
        );
        let mut mailbox_id = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rng, &mut mailbox_id);
        let status = real_server::submit_report(
            &http,
            &server.base,
            &server.tenant,
            &mailbox,
            mailbox_id,
            &item,
        )
        .await;
        assert_eq!(status, 201);
    }
    // Q3 has ended.
    clock.set(Day::parse("2026-11-02").unwrap(), 10);
    let browser = threshold_console(&server.base, &a, &management, &server.recovery).await;
    let channel_total = |csv: &str| -> String {
        csv.split("\r\n")
            .find(|line| line.starts_with("2026-Q3,channel,total,"))
            .unwrap_or_else(|| panic!("a channel total line in {csv}"))
            .rsplit(',')
            .next()
            .unwrap()
            .to_owned()
    };

    // The default, 5: the total of 6 is shown.
    let response = browser
        .get_response("/figures/preview/csv?period=2026-Q3")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(channel_total(&response.text().await.unwrap()), "6");

    // The operator raises it to 7: the preview states it, the 6 is hidden.
    server
        .admin
        .change_lifecycle(
            &server.tenant,
            &meldkluis_server::admin::LifecycleChange {
                figures_threshold: Some(7),
                ..Default::default()
            },
        )
        .unwrap();
    let response = browser
        .get_response("/figures/preview/csv?period=2026-Q3")
        .await;
    assert_eq!(channel_total(&response.text().await.unwrap()), "");
    let (preview, (status, _)) = preview_and_publish(&browser, "2026-Q3").await;
    assert_eq!(status, 303, "published");
    assert!(
        plain(&preview).contains("Every number below 7 is hidden"),
        "the preview states the threshold: {preview}"
    );

    let items = published_items(&server.base, &server.tenant, &a).await;
    assert_eq!(items.len(), 1);
    let content = open_with(&items[0], &management, &server.tenant, a.public_key())
        .expect("management opens it");
    let report = FiguresReport::from_json(&content).unwrap();
    assert_eq!(report.threshold, 7);
    for table in &report.tables {
        let numbers = table
            .cells
            .iter()
            .map(|c| c.value)
            .chain(std::iter::once(table.total));
        for value in numbers.flatten() {
            assert!(value >= 7, "{:?} publishes {value}", table.id);
        }
    }
    let channel = report
        .table(meldkluis_keys::figures::TableId::Channel)
        .unwrap();
    assert_eq!(channel.total, None, "the 6 reports' total is hidden");
}

/// What the tampering proxy does to the register's `lifecycle`:
/// `figures_threshold` set to this value, or removed when `Null`.
type Tamper = std::sync::Arc<std::sync::Mutex<serde_json::Value>>;

/// A breached server: the real server behind a proxy that passes every
/// request on and changes only the register's `figures_threshold`.
async fn tampering_proxy(listener: tokio::net::TcpListener, upstream: String, tamper: Tamper) {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    use axum::response::IntoResponse as _;

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let handler = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let (http, upstream, tamper) = (http.clone(), upstream.clone(), tamper.clone());
        async move {
            let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
            let mut request = http.request(method, format!("{upstream}{path}"));
            for name in ["authorization", "content-type"] {
                if let Some(value) = headers.get(name) {
                    request = request.header(name, value.as_bytes());
                }
            }
            let answer = request.body(body).send().await.unwrap();
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
            let content_type = answer
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let mut bytes = answer.bytes().await.unwrap().to_vec();
            if uri.path().ends_with("/advisor/register") && status == StatusCode::OK {
                let mut register: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                let lifecycle = register["lifecycle"].as_object_mut().unwrap();
                match tamper.lock().unwrap().clone() {
                    serde_json::Value::Null => lifecycle.remove("figures_threshold"),
                    value => lifecycle.insert("figures_threshold".into(), value),
                };
                bytes = serde_json::to_vec(&register).unwrap();
            }
            (status, [("content-type", content_type)], bytes).into_response()
        }
    };
    let app = axum::Router::new().fallback(handler);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
}

/// A breached server serves `figures_threshold: 2` (or none at all): the
/// console refuses with a message naming the served value, computes and
/// publishes nothing, and never substitutes a threshold of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_threshold_below_3_or_missing_is_refused_and_nothing_is_published() {
    use meldkluis_server::clock::ManualClock;
    let dir = tempfile::tempdir().unwrap();
    let mut rng = os_rng();
    let [a, management] = std::array::from_fn(|_| StaticSecret::generate(&mut rng));
    let clock = std::sync::Arc::new(ManualClock::at(Day::parse("2026-11-02").unwrap(), 10));
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_base = format!("http://{}", proxy.local_addr().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    // Log-in answers are bound to the origin the console reaches: the proxy's.
    let server = threshold_server(
        dir.path(),
        listener,
        clock,
        Some(proxy_base.clone()),
        &a,
        &management,
    )
    .await;
    let tamper: Tamper = std::sync::Arc::new(std::sync::Mutex::new(serde_json::json!(2)));
    tampering_proxy(proxy, server.base.clone(), tamper.clone()).await;
    let browser = threshold_console(&proxy_base, &a, &management, &server.recovery).await;

    let (status, page) = browser.get("/figures/preview?period=2026-Q3").await;
    assert_eq!(status, 502, "{page}");
    let page = plain(&page);
    assert!(page.contains("id=\"figures-refused\""), "{page}");
    assert!(
        page.contains("The server states a threshold of 2"),
        "{page}"
    );
    assert!(!page.contains("id=\"figures-publish\""));
    let response = browser
        .get_response("/figures/preview/csv?period=2026-Q3")
        .await;
    assert_eq!(response.status(), 502, "no CSV either");
    // A publish form from before (any digest) is refused too.
    let (status, page) = browser
        .post(
            "/figures/publish",
            &[
                ("csrf", &browser.csrf),
                ("period", "2026-Q3"),
                ("digest", &"0".repeat(64)),
            ],
        )
        .await;
    assert_eq!(status, 502, "{page}");
    assert!(plain(&page).contains("The server states a threshold of 2"));

    // The same in Dutch.
    // (The console's language is its own; the text exists in both.)
    let nl = catalog().lang("nl").unwrap();
    assert!(meldkluis_i18n::tf(
        nl,
        "figures-error-served-threshold",
        &[("threshold", meldkluis_i18n::Arg::Num(2))]
    )
    .contains("drempel"));

    // No threshold served at all: refused as well, not read as 5.
    *tamper.lock().unwrap() = serde_json::Value::Null;
    let (status, page) = browser.get("/figures/preview?period=2026-Q3").await;
    assert_ne!(status, 200, "{page}");
    assert!(!page.contains("id=\"figures-publish\""));

    assert!(
        published_items(&proxy_base, &server.tenant, &a)
            .await
            .is_empty(),
        "nothing was published"
    );

    // The server's own answer (3 or more) is accepted through the same
    // proxy: the refusal was the served value's, not the proxy's.
    *tamper.lock().unwrap() = serde_json::json!(3);
    let (status, page) = browser.get("/figures/preview?period=2026-Q3").await;
    assert_eq!(status, 200, "{page}");
    assert!(plain(&page).contains("Every number below 3 is hidden"));
}
