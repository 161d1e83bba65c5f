//! The tenant's information page (`/t/{tenant}/info`): it shows the
//! tenant's real terms and retention and what the operator stored, in
//! Dutch and English; it has no script and works without JavaScript;
//! axe finds nothing on it; printed, only the content remains and links
//! show where they go; the procedure PDF and the advisors' photos are
//! served with their own types; every reporter page links to it; and an
//! operator text is escaped even if it got past the operator's checks.

use meldkluis_server::info::{InfoChange, ProcedureUpload};
use meldkluis_tests::browser::{Browser, BrowserOptions};
use meldkluis_tests::{client, TestServer, TestTenant};
use reqwest::header;
use serde_json::json;

use crate::reporter_a11y::{axe_source, axe_violations, check_fits, not_hidden_in_print};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\x01\x01\x01\0\x18\xdd\x8d\xb4\0\0\0\0IEND\xaeB`\x82";
const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n";

const CHANNELS: &str = "[[channel]]\nid = \"sector\"\nname = { nl = \"Sectorloket Acme\", en = \"Acme sector desk\" }\ndomain = { nl = \"Vragen over de cao.\", en = \"Questions about the collective agreement.\" }\nwebsite = \"https://sector.example\"\nphone = \"030 123 45 67\"\n";

/// A tenant `acme` (nl, en; two advisors, ids 1 and 2) whose terms are 5
/// days and 2 months, whose reports are kept 24 months after closure
/// (register 72 months, silence 4 weeks), with an introduction (nl, en),
/// a privacy statement (nl only), the procedure as text, its own channel,
/// and a photo and a bio for advisor 1.
fn tenant_with_info(server: &TestServer) -> TestTenant {
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "acme", 2);
    let mut form: serde_json::Value =
        serde_json::from_str(meldkluis_server::profile::DEFAULT_QUESTIONNAIRE).expect("form");
    form["acknowledgement_days"] = json!(5);
    form["feedback_months"] = json!(2);
    admin.set_questionnaire(&tenant.id, &form).expect("terms");
    admin
        .change_lifecycle(
            &tenant.id,
            &meldkluis_server::admin::LifecycleChange {
                retention_months: Some(24),
                register_months: Some(72),
                silence_weeks: Some(4),
                figures_threshold: None,
            },
        )
        .expect("lifecycle");
    let nl = meldkluis_i18n::catalog().lang("nl");
    let en = meldkluis_i18n::catalog().lang("en");
    admin
        .set_info(
            &tenant.id,
            &InfoChange {
                lang: nl,
                intro: Some(
                    b"Welkom bij Acme & co: 3 < 4.\n\nTweede alinea,\nop twee regels.".to_vec(),
                ),
                privacy: Some(b"Acme bewaart niets over uw bezoek.".to_vec()),
                procedure: Some(ProcedureUpload {
                    file_name: "regeling.txt".into(),
                    bytes: b"Artikel 1. Iedereen mag melden.".to_vec(),
                }),
                channels: Some(CHANNELS.as_bytes().to_vec()),
                advisor_photos: vec![(1, PNG.to_vec())],
                advisor_bios: vec![(1, b"Tien jaar vertrouwenspersoon.".to_vec())],
                clear: vec![],
            },
        )
        .expect("info nl");
    admin
        .set_info(
            &tenant.id,
            &InfoChange {
                lang: en,
                intro: Some(b"Welcome to Acme.".to_vec()),
                ..InfoChange::default()
            },
        )
        .expect("info en");
    tenant
}

async fn get_page(server: &TestServer, path: &str) -> (reqwest::header::HeaderMap, String) {
    let response = client()
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .expect("page");
    assert_eq!(response.status(), 200, "{path}");
    let headers = response.headers().clone();
    (headers, response.text().await.expect("text"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_information_page_shows_the_tenants_own_settings_in_dutch_and_english() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    tenant_with_info(&server);

    let (headers, nl) = get_page(&server, "/t/acme/info?lang=nl").await;
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
    assert!(!headers.contains_key(header::SET_COOKIE), "no cookie");
    assert!(!nl.contains("<script"), "no script at all");
    assert!(
        !nl.contains("<noscript"),
        "nothing to explain without script"
    );
    for expected in [
        "<html lang=\"nl\">",
        "<h1>Over dit meldpunt</h1>",
        // The operator's text, escaped, as paragraphs and line breaks.
        "<p>Welkom bij Acme &amp; co: 3 &lt; 4.</p><p>Tweede alinea,<br>op twee regels.</p>",
        // The tenant's terms and retention, not the defaults.
        "binnen 5 dagen een bevestiging",
        "Binnen 2 maanden na die bevestiging",
        "24 maanden nadat de melding is afgesloten",
        "tot 72 maanden na het afsluiten",
        "Reageert u 4 weken niet",
        // Advisors: names, the photo with the name as its alt, the bio.
        "<h3>Advisor 0</h3>",
        "<h3>Advisor 1</h3>",
        "src=\"/t/acme/info/advisors/1/photo\" alt=\"Advisor 0\"",
        "Tien jaar vertrouwenspersoon.",
        "Acme bewaart niets over uw bezoek.",
        "Artikel 1. Iedereen mag melden.",
        // The tenant's own channel, then the maintained default list.
        "Sectorloket Acme",
        "<a href=\"tel:0301234567\">030 123 45 67</a>",
        "Huis voor Klokkenluiders",
        "<a href=\"tel:0881331000\">088 133 10 00</a>",
        "Autoriteit Financiële Markten (AFM)",
        "De Nederlandsche Bank (DNB)",
        "Nederlandse Arbeidsinspectie (NLA)",
        "Inspectie van het Onderwijs",
        "Deze lijst is voor het laatst gecontroleerd op",
    ] {
        assert!(nl.contains(expected), "nl page lacks {expected:?}:\n{nl}");
    }
    assert_eq!(
        nl.matches("/t/acme/info/advisors/").count(),
        1,
        "only advisor 1 has a photo"
    );

    let (_, en) = get_page(&server, "/t/acme/info?lang=en").await;
    for expected in [
        "<html lang=\"en\">",
        "<h1>About this reporting channel</h1>",
        "<p>Welcome to Acme.</p>",
        "Within 5 days you receive an acknowledgement",
        "Within 2 months after that acknowledgement",
        "for good 24 months after the report is closed",
        "until 72 months after closing",
        "for 4 weeks",
        "Acme sector desk",
        "Dutch Whistleblowers Authority (Huis voor Klokkenluiders)",
        // Stored only in Dutch: shown in Dutch, marked as Dutch.
        "<div class=\"info-text\" lang=\"nl\"><p>Acme bewaart niets over uw bezoek.</p></div>",
        "<div class=\"info-text\" lang=\"nl\"><p>Tien jaar vertrouwenspersoon.</p></div>",
    ] {
        assert!(en.contains(expected), "en page lacks {expected:?}:\n{en}");
    }

    // A tenant with nothing stored: the default texts and the defaults'
    // terms (7 days, 3 months, 12 months).
    TestTenant::create(&server.admin(), "plain", 1);
    let (_, plain) = get_page(&server, "/t/plain/info?lang=nl").await;
    for expected in [
        "melden bij een vertrouwenspersoon",
        "binnen 7 dagen",
        "Binnen 3 maanden",
        "12 maanden nadat",
        "tot 60 maanden",
        "Tenant plain gebruikt de gegevens",
        "De meldregeling staat hier (nog) niet.",
    ] {
        assert!(plain.contains(expected), "default page lacks {expected:?}");
    }
    assert!(!plain.contains("Reageert u"), "no silence rule when off");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_procedure_pdf_and_the_advisor_photos_are_served_with_their_own_types() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = tenant_with_info(&server);
    let http = client();
    let get = |path: &str| http.get(format!("{}{path}", server.base)).send();

    // No PDF while the procedure is text.
    assert_eq!(
        get("/t/acme/info/meldregeling.pdf").await.unwrap().status(),
        404
    );
    let admin = server.admin();
    admin
        .set_info(
            &tenant.id,
            &InfoChange {
                procedure: Some(ProcedureUpload {
                    file_name: "Regeling.PDF".into(),
                    bytes: PDF.to_vec(),
                }),
                ..InfoChange::default()
            },
        )
        .expect("pdf");
    let (_, page) = get_page(&server, "/t/acme/info?lang=en").await;
    assert!(
        page.contains("<a href=\"/t/acme/info/meldregeling.pdf\" type=\"application/pdf\">Read the reporting procedure (PDF, 41 bytes)</a>"),
        "{page}"
    );
    assert!(!page.contains("Artikel 1."), "the PDF replaced the text");
    let pdf = get("/t/acme/info/meldregeling.pdf").await.unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(
        pdf.headers()[header::CONTENT_DISPOSITION],
        "inline; filename=\"meldregeling.pdf\""
    );
    assert_eq!(pdf.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    // No script, no other origin; only what the browser's PDF viewer
    // needs to show it (the server-wide `default-src 'none'` would not).
    assert_eq!(
        pdf.headers()[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; object-src 'self'; frame-src 'self'; style-src 'unsafe-inline'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    );
    assert_eq!(pdf.bytes().await.unwrap().as_ref(), PDF);

    let photo = get("/t/acme/info/advisors/1/photo").await.unwrap();
    assert_eq!(photo.status(), 200);
    assert_eq!(photo.headers()[header::CONTENT_TYPE], "image/png");
    assert_eq!(photo.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(photo.bytes().await.unwrap().as_ref(), PNG);
    for missing in [
        "/t/acme/info/advisors/2/photo",
        "/t/acme/info/advisors/99/photo",
        "/t/acme/info/advisors/abc/photo",
        "/t/acme/info/advisors/-1/photo",
        "/t/nope/info/advisors/1/photo",
        "/t/nope/info",
    ] {
        let status = get(missing).await.unwrap().status();
        assert_eq!(status, 404, "{missing}");
    }
    // A removed advisor is no longer shown, nor is their photo served.
    admin
        .remove_advisor(&tenant.id, &tenant.advisor_keys()[0])
        .expect("remove");
    assert_eq!(
        get("/t/acme/info/advisors/1/photo").await.unwrap().status(),
        404
    );
    let (_, page) = get_page(&server, "/t/acme/info?lang=nl").await;
    assert!(!page.contains("Advisor 0"), "removed advisor gone");
    assert!(page.contains("<h3>Advisor 1</h3>"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reporter_page_links_to_the_information_page_and_the_recipient_pages_do_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    for lang in ["nl", "en"] {
        let link = format!("<a href=\"/t/acme/info?lang={lang}\">");
        let text = if lang == "nl" {
            "Over dit meldpunt"
        } else {
            "About this reporting channel"
        };
        for page in ["", "report", "mailbox", "info"] {
            let (_, body) = get_page(&server, &format!("/t/acme/{page}?lang={lang}")).await;
            assert!(
                body.contains(&format!("{link}{text}</a>")),
                "{lang} {page:?} does not link to the information page"
            );
        }
        for page in ["management", "enrol"] {
            let (_, body) = get_page(&server, &format!("/t/acme/{page}?lang={lang}")).await;
            assert!(
                !body.contains("/t/acme/info"),
                "{lang} {page}: a recipient page is not a reporter page"
            );
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_text_that_got_past_the_checks_is_still_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = tenant_with_info(&server);
    // Written straight into the database, past `tenant info`'s checks (an
    // older build, or a hand-edited file): markup in every stored text.
    let handle = server
        .state
        .tenants()
        .get(&tenant.id)
        .await
        .expect("tenant");
    handle
        .db
        .call(|conn| {
            let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>";
            conn.execute("UPDATE info_texts SET text = ?1", [evil])?;
            conn.execute("UPDATE advisor_bios SET text = ?1", [evil])?;
            let channels = json!([{
                "id": "x", "name": { "nl": evil }, "domain": { "nl": evil },
                "website": "javascript:alert(3)", "phone": "\"><script>alert(4)</script>",
                "designated": false, "source": null,
            }]);
            conn.execute(
                "UPDATE info_files SET body = ?1 WHERE name = 'channels'",
                [serde_json::to_vec(&channels).unwrap()],
            )?;
            Ok(())
        })
        .await
        .expect("tamper");
    let (_, page) = get_page(&server, "/t/acme/info?lang=nl").await;
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    // A website that is not http(s) is shown as text, never linked.
    assert!(!page.contains("href=\"javascript:"), "{page}");
    assert!(page.contains("javascript:alert(3)"), "{page}");
    assert!(!page.contains("\"><script>alert(4)"), "{page}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_information_page_passes_axe_works_without_javascript_and_prints_only_its_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    tenant_with_info(&server);
    let axe = axe_source();
    let mut violations = Vec::new();
    for lang in ["nl", "en"] {
        let url = format!("{}/t/acme/info?lang={lang}", server.base);
        let browser = Browser::start_in(lang).await;
        browser.goto(&url).await;
        violations
            .extend(axe_violations(&browser, &axe, &format!("{lang} information page")).await);
        // The photo is really served and shown.
        let loaded = browser
            .js(
                "const i = document.querySelector('.info-advisor__photo'); return i.complete && i.naturalWidth;",
                vec![],
            )
            .await;
        assert_eq!(loaded, json!(1), "{lang}: the photo loads");
        // Printed: no header, footer, contents or buttons.
        let shown = not_hidden_in_print(
            &browser,
            ".site-header, .site-footer, .info-toc, .actions, .skip-link",
        )
        .await;
        assert!(shown.is_empty(), "{lang}: printed anyway: {shown:?}");
        // Printed, a link shows its address (a website or phone number
        // shows itself already).
        let printed_address = browser
            .js(
                "for (const sheet of document.styleSheets) for (const rule of sheet.cssRules)
                   if (rule.media && [...rule.media].includes('print'))
                     for (const inner of rule.cssRules)
                       if (inner.selectorText && inner.selectorText.endsWith('::after')
                           && inner.style.content.includes('attr(href)')
                           && [...document.querySelectorAll('main a[href]')]
                                .some((a) => a.matches(inner.selectorText.replace(/::after$/, ''))))
                         return true;
                 return false;",
                vec![],
            )
            .await;
        assert_eq!(
            printed_address,
            json!(true),
            "{lang}: links print their address"
        );
        browser.close().await;

        // Without JavaScript: everything is there.
        let browser = Browser::start_with(BrowserOptions {
            language: lang.into(),
            javascript: false,
            ..BrowserOptions::default()
        })
        .await;
        browser.goto(&url).await;
        let main = browser.find("main").await.text().await.expect("text");
        for id in [
            "info-intro",
            "info-advisors",
            "info-confidential",
            "info-terms",
            "info-retention",
            "info-privacy",
            "info-meldregeling",
            "info-channels",
        ] {
            let title = browser
                .find(&format!("#{id}-title"))
                .await
                .text()
                .await
                .expect("title");
            assert!(!title.is_empty() && main.contains(&title), "{lang}: {id}");
        }
        let website = browser
            .find("#info-channels a[href='https://www.huisvoorklokkenluiders.nl']")
            .await;
        assert_eq!(
            website.text().await.expect("text"),
            "https://www.huisvoorklokkenluiders.nl"
        );
        browser.close().await;
    }
    assert!(
        violations.is_empty(),
        "axe violations:\n{}",
        violations.join("\n")
    );
    // On a phone nothing scrolls sideways and every link is reachable.
    let phone = Browser::start_with(BrowserOptions {
        viewport: (360, 740),
        mobile: true,
        ..BrowserOptions::default()
    })
    .await;
    phone
        .goto(&format!("{}/t/acme/info?lang=en", server.base))
        .await;
    let problems = check_fits(&phone, "information page").await;
    assert!(problems.is_empty(), "on a phone:\n{}", problems.join("\n"));
    phone.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_information_page_is_the_same_for_everyone_and_tells_nothing_about_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = tenant_with_info(&server);
    let http = client();
    let (_, before) = get_page(&server, "/t/acme/info?lang=nl").await;
    // A report, and its reporter logged in to the mailbox.
    let mailbox = meldkluis_tests::Mailbox::random();
    let item = mailbox.seal_report(&tenant, b"wat er gebeurde");
    assert_eq!(
        meldkluis_tests::submit_report(&http, &server, "acme", &mailbox.report_body(&item)).await,
        201
    );
    let token = meldkluis_tests::mailbox_login(&http, &server, "acme", &mailbox).await;
    let (_, after) = get_page(&server, "/t/acme/info?lang=nl").await;
    assert_eq!(before, after, "a report changes nothing on the page");
    // The reporter's own session changes nothing either: the page reads
    // no session and sets none.
    let with_session = http
        .get(format!("{}/t/acme/info?lang=nl", server.base))
        .bearer_auth(&token)
        .header(header::COOKIE, "session=x")
        .send()
        .await
        .expect("page");
    assert!(!with_session.headers().contains_key(header::SET_COOKIE));
    assert_eq!(with_session.text().await.expect("text"), before);
    server.stop().await;
}
