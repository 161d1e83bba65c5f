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
