//! A breached server against the management page, in a real headless
//! Chromium (issue 12). The page trusts only items that open with an
//! advisor key the tenant lists and are the very item the list names; a
//! figures report must keep every rule of keys/FIGURES.md; a forward's
//! attachment must be the item the forward names, with its size and
//! SHA-256. The breached server is played inside the page: its `fetch`
//! answers chosen item paths with crafted bytes or with another item's
//! (a proxy in between would change the page's origin, to which the
//! recipient's log-in answer is bound, and so could not log in at all).

use meldkluis_crypto_core::{ItemKind, StaticKey, StaticSecret};
use meldkluis_tests::browser::Browser;
use meldkluis_tests::reporter::click;
use meldkluis_tests::{seal, submit_sealed, Mailbox, TestServer, TestTenant};
use serde_json::{json, Value};

use crate::management_pages::{
    catch_downloads, enrol_by_api, figures_doc, management_login, text, AdvisorApi,
};

/// From now on the page's `fetch` answers a URL ending in a key of
/// `answers` with those bytes (hex), and one ending in a key of `swaps`
/// with what the server holds under the other path.
async fn breach(browser: &Browser, answers: Value, swaps: Value) {
    browser
        .js(
            "const [answers, swaps] = arguments;
             const realFetch = window.fetch;
             const bytes = (h) => new Uint8Array(h.match(/../g).map((b) => parseInt(b, 16)));
             window.fetch = (url, options) => {
               const u = String(url);
               for (const [suffix, body] of Object.entries(answers)) {
                 if (u.endsWith(suffix)) return Promise.resolve(new Response(bytes(body), { status: 200 }));
               }
               for (const [suffix, other] of Object.entries(swaps)) {
                 if (u.endsWith(suffix)) return realFetch(u.slice(0, -suffix.length) + other, options);
               }
               return realFetch(url, options);
             };",
            vec![answers, swaps],
        )
        .await;
}

/// The item id of each figures report the server lists for the
/// management recipient logged in as `token`, by period.
async fn listed(server: &TestServer, token: &str) -> Vec<(String, String)> {
    let list: Value = meldkluis_tests::client()
        .get(server.url("acme", "/recipient/items"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["period"].as_str().unwrap_or_default().to_owned(),
                i["item_id"].as_str().expect("id").to_owned(),
            )
        })
        .collect()
}

/// A recipient's session token over the API (as the page logs in).
async fn recipient_token(server: &TestServer, tenant: &TestTenant, key: &StaticSecret) -> String {
    let http = meldkluis_tests::client();
    let challenge: Value = http
        .get(server.url("acme", "/recipient/challenge"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let message: [u8; 64] = hex::decode(challenge["message"].as_str().expect("message"))
        .expect("hex")
        .try_into()
        .expect("64 bytes");
    let context =
        meldkluis_crypto_core::recipient_login_context(&tenant.id, server.state.server_origin());
    let answer = meldkluis_crypto_core::challenge::answer_challenge(key, &message, &context)
        .expect("an answer");
    let login: Value = http
        .post(server.url("acme", "/recipient/login"))
        .json(&json!({
            "public_key": key.public_key().to_hex(),
            "challenge": challenge["challenge"],
            "answer": hex::encode(answer),
        }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    login["token"].as_str().expect("a token").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_management_page_shows_only_advisors_items_as_listed_and_well_formed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let advisor = AdvisorApi::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let (code, management) = enrol_by_api(&server, &tenant.id, "management", "Directie").await;
    let recipients = [management.public_key(), tenant.advisors[0].public_key()];
    for quarter in [1, 2, 3] {
        advisor
            .publish_figures(
                &format!("2026-Q{quarter}"),
                &figures_doc(quarter, 10, 5),
                &recipients,
            )
            .await;
    }
    // A figures report that breaks FIGURES.md (a published count below
    // the threshold), genuinely sealed by an advisor: not shown either.
    let mut below = figures_doc(0, 10, 5);
    below["tables"][1]["cells"][1]["value"] = json!(2);
    advisor.publish_figures("2025", &below, &recipients).await;

    let token = recipient_token(&server, &tenant, management.key()).await;
    let items = listed(&server, &token).await;
    let id_of = |period: &str| {
        items
            .iter()
            .find(|(p, _)| p == period)
            .map(|(_, id)| id.clone())
            .expect("listed")
    };
    // The breached server's own figures for Q1: sealed to the recipient by
    // a key it made (no advisor's), with the listed item id.
    let forger = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    let q1_id = meldkluis_crypto_core::ItemId::from_hex(&id_of("2026-Q1")).expect("id");
    let mut flattering = figures_doc(1, 20, 5);
    flattering["tables"][0]["cells"][0]["value"] = json!(0);
    let forged = seal(
        ItemKind::Message,
        &tenant.id,
        q1_id,
        q1_id,
        &forger,
        &[management.public_key()],
        &serde_json::to_vec(&flattering).expect("json"),
    );

    // A forward with two attachments, to swap.
    let (hr_code, hr) = enrol_by_api(&server, &tenant.id, "forward", "HR").await;
    let mailbox = Mailbox::random();
    let (_, status, _) = submit_sealed(
        &advisor.http,
        &server,
        &tenant,
        &mailbox,
        &[0],
        br#"{"format":"meldkluis-report/1","answers":[]}"#,
        json!({}),
    )
    .await;
    assert_eq!(status, 201);
    let forward = advisor
        .forward(
            mailbox.report_id,
            &hr.public_key(),
            "HR",
            "Samenvatting.",
            &[
                ("verslag.pdf", "application/pdf", &b"het verslag"[..]),
                ("foto.png", "image/png", &b"een foto"[..]),
            ],
        )
        .await;
    let first = forward["attachments"][0]["id"].as_str().expect("id");
    let second = forward["attachments"][1]["id"].as_str().expect("id");

    let browser = Browser::start().await;
    for lang in ["nl", "en"] {
        browser
            .goto(&format!("{}/t/acme/management?lang={lang}", server.base))
            .await;
        breach(
            &browser,
            json!({ format!("/recipient/items/{}", q1_id.to_hex()): hex::encode(&forged) }),
            json!({ format!("/recipient/items/{}", id_of("2026-Q3")): format!("/recipient/items/{}", id_of("2026-Q2")) }),
        )
        .await;
        management_login(&browser, &code).await;
        let shown = browser
            .js(
                "return [[...document.querySelectorAll('#figures-list button')].length,
                         document.getElementById('items-warnings').hidden,
                         document.getElementById('items-warnings').textContent];",
                vec![],
            )
            .await;
        assert_eq!(shown[0], json!(1), "only the genuine Q2 is listed: {shown}");
        assert_eq!(shown[1], json!(false));
        let warnings = shown[2].as_str().expect("text");
        assert!(
            warnings.contains(&text(lang, "mgmt-js-unverified"))
                && warnings.contains(&text(lang, "mgmt-js-figures-unreadable")),
            "{warnings}"
        );
        click(&browser, "logout").await;

        // The forward recipient: the first attachment's path serves the
        // second (genuine, same report, same sender, but not the one named).
        browser
            .goto(&format!("{}/t/acme/management?lang={lang}", server.base))
            .await;
        breach(
            &browser,
            json!({}),
            json!({ format!("/recipient/items/{first}"): format!("/recipient/items/{second}") }),
        )
        .await;
        management_login(&browser, &hr_code).await;
        catch_downloads(&browser).await;
        browser
            .js(
                "document.querySelector('#forward-list button').click();",
                vec![],
            )
            .await;
        let refusal = browser
            .wait_for_js(
                "the refusal",
                "return document.querySelector('#forward-list .field-error')?.textContent;",
            )
            .await;
        assert_eq!(refusal, json!(text(lang, "mgmt-js-attachment-wrong")));
        assert_eq!(
            browser
                .js("return window.__downloads.length;", vec![])
                .await,
            json!(0),
            "nothing was offered to save"
        );
        click(&browser, "logout").await;
    }
    browser.close().await;
    server.stop().await;
}
