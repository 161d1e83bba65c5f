//! The organisation's recipients in a real headless Chromium (issue 12):
//! a management recipient enrols on the enrolment page with an enrolment
//! code made in the browser, reads the fingerprint the browser computed,
//! and opens the figures reports an advisor sealed to it on the management
//! page (tables, charts, the CSV made in the browser); a forward recipient
//! opens a forwarded case read-only with its attachment. Both pages are
//! axe-clean in Dutch and English, and the reporter's pages never load the
//! management script.

use meldkluis_crypto_core::{
    ItemId, ItemKind, LoginCode, PublicKey, RecipientKey, StaticKey, StaticSecret, TenantId,
};
use meldkluis_i18n::{catalog, t};
use meldkluis_keys::figures::FiguresReport;
use meldkluis_tests::browser::Browser;
use meldkluis_tests::reporter::{click, type_into, wait_ready};
use meldkluis_tests::{
    advisor_login, new_item_id, seal, submit_sealed, Mailbox, TestServer, TestTenant,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::reporter_a11y::{axe_source, axe_violations};

/// A text of the catalog in `lang`, as the pages show it.
pub(crate) fn text(lang: &str, id: &str) -> String {
    t(catalog().lang(lang).expect("a language of the catalog"), id)
}

/// The secret of a fresh invitation (the fragment of the enrolment link).
pub(crate) fn invitation(
    server: &TestServer,
    tenant: &TenantId,
    role: &str,
    label: &str,
) -> String {
    let (link, _) = server
        .admin()
        .invite_recipient(tenant, role, label, 14)
        .expect("an invitation");
    link.rsplit_once('#')
        .expect("the secret in the fragment")
        .1
        .to_owned()
}

/// Enrols a recipient with a fresh enrolment code over the API (as the
/// enrolment page does); returns the code and the key it gives.
pub(crate) async fn enrol_by_api(
    server: &TestServer,
    tenant: &TenantId,
    role: &str,
    label: &str,
) -> (String, RecipientKey) {
    let code = LoginCode::generate(&mut meldkluis_crypto_core::os_rng());
    let key = RecipientKey::derive(&code, tenant);
    let response = meldkluis_tests::client()
        .post(server.url(tenant.as_str(), "/recipient/enrol"))
        .json(&json!({
            "invitation": invitation(server, tenant, role, label),
            "public_key": key.public_key().to_hex(),
        }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201, "enrolment");
    (code.expose_display_string().to_string(), key)
}

/// An advisor's API session, for what the console would post.
pub(crate) struct AdvisorApi<'a> {
    pub(crate) server: &'a TestServer,
    pub(crate) tenant: &'a TenantId,
    pub(crate) key: &'a StaticSecret,
    pub(crate) token: String,
    pub(crate) http: reqwest::Client,
}

impl<'a> AdvisorApi<'a> {
    pub(crate) async fn login(
        server: &'a TestServer,
        tenant: &'a TenantId,
        key: &'a StaticSecret,
    ) -> Self {
        let http = meldkluis_tests::client();
        let token = advisor_login(&http, server, tenant, key).await;
        Self {
            server,
            tenant,
            key,
            token,
            http,
        }
    }

    /// POSTs raw bytes; returns the status and the JSON answer.
    pub(crate) async fn post_bytes(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        let response = self
            .http
            .post(self.server.url(self.tenant.as_str(), path))
            .bearer_auth(&self.token)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Publishes a figures document for `period`, sealed to `recipients`
    /// (management recipients and advisors) with report id = item id.
    pub(crate) async fn publish_figures(
        &self,
        period: &str,
        doc: &Value,
        recipients: &[PublicKey],
    ) {
        let id = new_item_id();
        let item = seal(
            ItemKind::Message,
            self.tenant,
            id,
            id,
            self.key,
            recipients,
            &serde_json::to_vec(doc).expect("json"),
        );
        let (status, answer) = self
            .post_bytes(&format!("/advisor/figures?period={period}"), item)
            .await;
        assert_eq!(status, 201, "figures published: {answer}");
    }

    /// Forwards a case of `report_id` to one forward recipient: the files
    /// re-sealed to it as new attachment items, then the forward item.
    /// Returns the forward's content.
    pub(crate) async fn forward(
        &self,
        report_id: ItemId,
        recipient: &PublicKey,
        label: &str,
        text: &str,
        files: &[(&str, &str, &[u8])],
    ) -> Value {
        let mut attachments = Vec::new();
        for (name, content_type, bytes) in files {
            let id = new_item_id();
            let item = seal(
                ItemKind::Attachment,
                self.tenant,
                id,
                report_id,
                self.key,
                &[*recipient],
                bytes,
            );
            let (status, answer) = self
                .post_bytes(
                    &format!(
                        "/advisor/reports/{}/forwards/attachments",
                        report_id.to_hex()
                    ),
                    item,
                )
                .await;
            assert_eq!(status, 201, "forward attachment: {answer}");
            attachments.push(json!({
                "id": id.to_hex(),
                "name": name,
                "type": content_type,
                "size": bytes.len(),
                "sha256": hex::encode(Sha256::digest(bytes)),
            }));
        }
        let ids: Vec<String> = attachments
            .iter()
            .map(|a| a["id"].as_str().expect("id").to_owned())
            .collect();
        let content = json!({
            "format": "meldkluis-forward/1",
            "draft_id": hex::encode([7u8; 16]),
            "version": 1,
            "subject_hash": hex::encode([9u8; 32]),
            "text": text,
            "attachments": attachments,
            "register_number": 1,
            "forwarded_day": "2026-11-30",
            "advisor": "A. de Vries",
            "recipient": { "public_key": recipient.to_hex(), "label": label },
        });
        let item = seal(
            ItemKind::Message,
            self.tenant,
            new_item_id(),
            report_id,
            self.key,
            &[*recipient],
            &serde_json::to_vec(&content).expect("json"),
        );
        let (status, answer) = self
            .post_bytes(
                &format!(
                    "/advisor/reports/{}/forwards?attachments={}",
                    report_id.to_hex(),
                    ids.join(",")
                ),
                item,
            )
            .await;
        assert_eq!(status, 201, "forward: {answer}");
        content
    }
}

/// A valid `meldkluis-figures/1` document (keys/FIGURES.md) for a quarter
/// of 2026 (1 to 3) or the year 2025 (any other `quarter`), with the
/// acknowledgement deadline `met` / `missed` as given.
pub(crate) fn figures_doc(quarter: u8, ack_met: u64, ack_missed: u64) -> Value {
    let (period, first, last, generated) = match quarter {
        1 => ("2026-Q1", "2026-01-01", "2026-03-31", "2026-04-02"),
        2 => ("2026-Q2", "2026-04-01", "2026-06-30", "2026-07-03"),
        3 => ("2026-Q3", "2026-07-01", "2026-09-30", "2026-10-02"),
        _ => ("2025", "2025-01-01", "2025-12-31", "2026-01-05"),
    };
    let share = (ack_met * 200 + ack_met + ack_missed) / (2 * (ack_met + ack_missed));
    json!({
        "format": "meldkluis-figures/1",
        "tenant": "acme",
        "period": period,
        "first_day": first,
        "last_day": last,
        "generated_day": generated,
        "threshold": 5,
        "terms": {"acknowledgement_days": 7, "feedback_months": 3},
        "tables": [
            {"id": "category", "total": 23, "cells": [
                {"id": "pesten", "label": {"nl": "Pesten", "en": "Bullying"}, "value": 9},
                {"id": "intimidatie", "label": {"nl": "Intimidatie", "en": "Harassment"}, "value": null},
                {"id": "overig", "label": {"nl": "=Overig", "en": "=Other"}, "value": 11},
                {"id": "~none", "value": null}]},
            {"id": "channel", "total": 23, "cells": [
                {"id": "web", "value": 19}, {"id": "oral", "value": null}, {"id": "meeting", "value": null}]},
            {"id": "status", "total": 23, "cells": [
                {"id": "new", "value": null}, {"id": "acknowledged", "value": 6},
                {"id": "feedback_given", "value": 8}, {"id": "closed", "value": null}]},
            {"id": "anonymous", "total": 23, "cells": [
                {"id": "anonymous", "value": 14}, {"id": "named", "value": 9}, {"id": "unknown", "value": null}]},
            {"id": "closing_reason", "total": null, "cells": [
                {"id": "resolved", "value": null}, {"id": "agreed_with_reporter", "value": null},
                {"id": "no_response_from_reporter", "value": null}, {"id": "withdrawn", "value": null},
                {"id": "not_a_report", "value": null}, {"id": "other", "value": null}]},
            {"id": "acknowledgement", "total": ack_met + ack_missed, "cells": [
                {"id": "met", "value": ack_met}, {"id": "missed", "value": ack_missed}]},
            {"id": "feedback", "total": 12, "cells": [{"id": "met", "value": null}, {"id": "missed", "value": null}]}
        ],
        "times": [
            {"id": "acknowledgement", "median_days": 1, "p90_days": 6},
            {"id": "feedback", "median_days": null, "p90_days": null, "withheld": "too_few"},
            {"id": "closure", "median_days": null, "p90_days": null, "withheld": "too_few"}
        ],
        "shares": [
            {"id": "acknowledgement", "met_percent": share},
            {"id": "feedback", "met_percent": null}
        ]
    })
}

/// Records, from now on, the downloads the page starts (never saved): their
/// names and their blobs, to read back (the page's policy lets no script
/// fetch a `blob:` URL).
pub(crate) async fn catch_downloads(browser: &Browser) {
    browser
        .js(
            "window.__downloads = [];
             const blobs = new Map();
             const createObjectURL = URL.createObjectURL;
             URL.createObjectURL = (blob) => { const url = createObjectURL(blob); blobs.set(url, blob); return url; };
             HTMLAnchorElement.prototype.click = function () {
               window.__downloads.push({ name: this.download, blob: blobs.get(this.href) });
             };",
            vec![],
        )
        .await;
}

/// The `index`-th download caught, as its name and bytes.
pub(crate) async fn caught_download(browser: &Browser, index: usize) -> (String, Vec<u8>) {
    browser
        .wait_for_js(
            "a download",
            &format!("return window.__downloads.length > {index};"),
        )
        .await;
    let value = browser
        .client
        .execute_async(
            "const [index, done] = arguments;
             const d = window.__downloads[index];
             d.blob.arrayBuffer().then(b => done([d.name,
               Array.from(new Uint8Array(b), x => x.toString(16).padStart(2, '0')).join('')]));",
            vec![json!(index)],
        )
        .await
        .expect("the download is read");
    (
        value[0].as_str().expect("name").to_owned(),
        hex::decode(value[1].as_str().expect("bytes")).expect("hex"),
    )
}

/// Enrols on the open enrolment page: makes the code, confirms it, waits
/// for the fingerprint. Runs axe on each screen; returns the code, the
/// fingerprint shown and the violations.
pub(crate) async fn enrol_in_browser(
    browser: &Browser,
    axe: &str,
    lang: &str,
) -> (String, String, Vec<String>) {
    let mut violations = Vec::new();
    wait_ready(browser, "enrol-start").await;
    violations.extend(axe_violations(browser, axe, &format!("{lang} enrolment start")).await);
    click(browser, "enrol-start").await;
    let code = browser
        .wait_for_js(
            "the enrolment code",
            "return !document.getElementById('enrol-code-screen').hidden && document.getElementById('enrol-code').textContent;",
        )
        .await
        .as_str()
        .expect("text")
        .to_owned();
    violations.extend(axe_violations(browser, axe, &format!("{lang} enrolment code")).await);
    // The wrong four characters are refused.
    type_into(browser, "confirm-input", "0000").await;
    click(browser, "confirm-button").await;
    browser
        .wait_for_js(
            "the confirmation error",
            "return !document.getElementById('error-confirm-input').hidden;",
        )
        .await;
    violations.extend(axe_violations(browser, axe, &format!("{lang} enrolment code error")).await);
    browser
        .js(
            "document.getElementById('confirm-input').value = '';",
            vec![],
        )
        .await;
    type_into(
        browser,
        "confirm-input",
        code.rsplit('-').next().expect("groups"),
    )
    .await;
    click(browser, "confirm-button").await;
    let fingerprint = browser
        .wait_for_js(
            "the enrolled fingerprint",
            "const e = document.getElementById('enrol-error');
             if (e.textContent) return 'ERROR: ' + e.textContent;
             return !document.getElementById('enrol-done-screen').hidden && document.getElementById('enrolled-fingerprint').textContent;",
        )
        .await
        .as_str()
        .expect("text")
        .to_owned();
    assert!(
        !fingerprint.starts_with("ERROR"),
        "enrolment failed: {fingerprint}"
    );
    violations.extend(axe_violations(browser, axe, &format!("{lang} enrolled")).await);
    (code, fingerprint, violations)
}

/// Logs in on the open management page and waits for the items.
pub(crate) async fn management_login(browser: &Browser, code: &str) {
    wait_ready(browser, "login-button").await;
    type_into(browser, "code-input", code).await;
    click(browser, "login-button").await;
    let shown = browser
        .wait_for_js(
            "the management page's items",
            "const e = document.getElementById('error-code-input');
             if (e && !e.hidden && e.textContent) return 'ERROR: ' + e.textContent;
             return !document.getElementById('items-screen').hidden && 'ok';",
        )
        .await;
    assert_eq!(shown, json!("ok"), "management log-in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipients_enrol_and_read_figures_and_a_forward_axe_clean_in_both_languages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let advisor = AdvisorApi::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let axe = axe_source();
    let mut violations = Vec::new();

    // A case to forward, with a file the advisor chose to send along.
    let mailbox = Mailbox::random();
    let (_, status, _) = submit_sealed(
        &advisor.http,
        &server,
        &tenant,
        &mailbox,
        &[0, 1],
        br#"{"format":"meldkluis-report/1","answers":[]}"#,
        json!({}),
    )
    .await;
    assert_eq!(status, 201);
    let file: &[u8] = b"%PDF-1.4 verslag van het gesprek";

    for lang in ["nl", "en"] {
        let browser = Browser::start_in(lang).await;
        let label = format!("Directie {lang}");
        let secret = invitation(&server, &tenant.id, "management", &label);
        browser
            .goto(&format!(
                "{}/t/acme/enrol?lang={lang}#{secret}",
                server.base
            ))
            .await;
        // Switching the language keeps the invitation (in the fragment).
        wait_ready(&browser, "enrol-start").await;
        let kept = browser
            .js(
                "return [...document.querySelectorAll('.language a')].every(a => a.hash === '#' + arguments[0]);",
                vec![json!(secret)],
            )
            .await;
        assert_eq!(kept, json!(true));
        let (code, fingerprint, found) = enrol_in_browser(&browser, &axe, lang).await;
        violations.extend(found);
        // The browser derived the key crypto-core derives from the code,
        // and shows that key's fingerprint; the used invitation left the
        // address bar.
        let key = RecipientKey::derive(&LoginCode::parse(&code).expect("a code"), &tenant.id);
        assert_eq!(fingerprint, key.public_key().fingerprint());
        assert_eq!(
            browser.js("return window.location.hash;", vec![]).await,
            json!("")
        );
        let enrolled = server.admin().list_recipients(&tenant.id).expect("list");
        assert!(enrolled
            .iter()
            .any(|r| r.label == label && r.public_key == key.public_key()));

        // Two quarters' figures, sealed to this management recipient and
        // the advisors.
        let recipients = [
            key.public_key(),
            tenant.advisors[0].public_key(),
            tenant.advisors[1].public_key(),
        ];
        let q2 = figures_doc(2, 10, 5);
        let q3 = figures_doc(3, 16, 5);
        for doc in [&q2, &q3] {
            FiguresReport::from_json(&serde_json::to_vec(doc).expect("json"))
                .expect("the fixture is a valid figures report");
        }
        advisor.publish_figures("2026-Q2", &q2, &recipients).await;
        advisor.publish_figures("2026-Q3", &q3, &recipients).await;

        browser
            .goto(&format!("{}/t/acme/management?lang={lang}", server.base))
            .await;
        wait_ready(&browser, "login-button").await;
        violations
            .extend(axe_violations(&browser, &axe, &format!("{lang} management log-in")).await);
        management_login(&browser, &code).await;
        violations
            .extend(axe_violations(&browser, &axe, &format!("{lang} management items")).await);
        let listed = browser
            .js(
                "return [...document.querySelectorAll('#figures-list button')].map(b => b.textContent);",
                vec![],
            )
            .await;
        assert_eq!(listed.as_array().expect("list").len(), 2, "{listed}");
        // The newest quarter first.
        browser
            .js(
                "document.querySelector('#figures-list button').click();",
                vec![],
            )
            .await;
        browser
            .wait_for_js(
                "the figures report",
                "return !document.getElementById('figures-view').hidden;",
            )
            .await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} figures report")).await);
        let shown = browser
            .js(
                "const v = document.getElementById('figures-view');
                 return { text: v.textContent,
                          charts: v.querySelectorAll('svg[role=img] title').length,
                          trend: [...v.querySelectorAll('table')].pop().querySelectorAll('tbody tr').length };",
                vec![],
            )
            .await;
        let view = shown["text"].as_str().expect("text");
        let category = if lang == "nl" { "Pesten" } else { "Bullying" };
        assert!(view.contains(category) && view.contains("76%"), "{view}");
        assert!(view.contains(&text(lang, "figures-hidden")), "{view}");
        assert_eq!(
            shown["charts"],
            json!(2),
            "bars per category and the shares over the quarters"
        );
        assert_eq!(
            shown["trend"],
            json!(2),
            "both quarters in the shares table"
        );

        // The CSV, made in the browser, is the console's CSV of the same
        // report, formula-safe.
        catch_downloads(&browser).await;
        click(&browser, "csv-figures").await;
        let (name, csv) = caught_download(&browser, 0).await;
        assert_eq!(name, "meldkluis-figures-acme-2026-Q3.csv");
        let report =
            FiguresReport::from_json(&serde_json::to_vec(&q3).expect("json")).expect("valid");
        let expected =
            meldkluis_keys::figures::csv::to_csv(&report, catalog().lang(lang).expect("language"));
        let csv = String::from_utf8(csv).expect("UTF-8");
        assert_eq!(csv, expected);
        assert!(
            csv.contains(",'=Other,") || csv.contains(",'=Overig,"),
            "{csv}"
        );

        // Log-out forgets the key: the log-in screen, nothing stored.
        click(&browser, "logout").await;
        wait_ready(&browser, "login-button").await;
        let stored = browser
            .js(
                "return localStorage.length + sessionStorage.length + document.cookie.length;",
                vec![],
            )
            .await;
        assert_eq!(stored, json!(0));

        // A forward recipient, and a case forwarded to it.
        let hr = format!("HR — P. de Boer ({lang})");
        let (hr_code, hr_key) = enrol_by_api(&server, &tenant.id, "forward", &hr).await;
        let forward_text =
            "De melder stemt in met doorsturen.\n\nSamenvatting: pesten op de afdeling.";
        advisor
            .forward(
                mailbox.report_id,
                &hr_key.public_key(),
                &hr,
                forward_text,
                &[("verslag.pdf", "application/pdf", file)],
            )
            .await;
        management_login(&browser, &hr_code).await;
        let forward = browser
            .wait_for_js(
                "the forward",
                "return document.querySelector('#forward-list li')?.textContent;",
            )
            .await;
        let forward = forward.as_str().expect("text");
        assert!(
            forward.contains("Samenvatting: pesten op de afdeling.") && forward.contains(&hr),
            "{forward}"
        );
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} forward")).await);
        // Read-only: no form, nothing to write back.
        assert_eq!(
            browser
                .js("return document.querySelectorAll('#items-screen textarea, #items-screen input').length;", vec![])
                .await,
            json!(0)
        );
        catch_downloads(&browser).await;
        browser
            .js(
                "document.querySelector('#forward-list button').click();",
                vec![],
            )
            .await;
        let (name, bytes) = caught_download(&browser, 0).await;
        assert_eq!((name.as_str(), bytes.as_slice()), ("verslag.pdf", file));
        browser.close().await;
    }
    assert!(
        violations.is_empty(),
        "axe violations:\n{}",
        violations.join("\n")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reporter_pages_never_load_the_management_script() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let http = meldkluis_tests::client();
    let page = |path: &'static str| {
        let http = http.clone();
        let url = format!("{}/t/acme/{path}", server.base);
        async move {
            http.get(url)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html")
        }
    };
    for path in ["", "report", "mailbox"] {
        let html = page(path).await;
        assert!(
            !html.contains("management.js"),
            "/t/acme/{path} names management.js"
        );
    }
    for path in ["enrol", "management"] {
        let html = page(path).await;
        assert!(html.contains("/assets/management.js"), "/t/acme/{path}");
        assert!(
            !html.contains("report.js") && !html.contains("mailbox.js"),
            "/t/acme/{path} loads a reporter script"
        );
        // With its integrity value, like every script of the bundle.
        let integrity = server
            .state
            .assets()
            .get("management.js")
            .expect("management.js is in the bundle")
            .integrity
            .clone();
        assert!(html.contains(&integrity));
    }
    server.stop().await;
}
