//! Replacing an advisor key and storing key grants, on the real server with
//! the real crypto core: the new key inherits the old key's reports, the
//! old key's log-in is refused, grants are checked for structure (tenant,
//! item of this report, header hash, enrolled grantee, visibility) and come
//! back with the thread, through which the new key opens every item.

use meldkluis_crypto_core::{
    grant_item_key, open_item_with_grant, Access, Expect, GrantParams, ItemKind, StaticKey,
    StaticSecret,
};
use meldkluis_tests::{
    advisor_login, b64, client, grant_from, mailbox_login, new_item_id, post_grants, seal,
    submit_report, unb64, Mailbox, TestServer, TestTenant,
};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_key_reads_through_grants_and_the_old_key_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "grants-7a", 2);
    let other = TestTenant::create(&admin, "grants-other", 1);
    let http = client();
    let t = tenant.id.as_str();
    let lost = &tenant.advisors[0];
    let colleague = &tenant.advisors[1];

    // A report sealed to the first advisor only, a reply from that advisor,
    // and an attachment from the reporter.
    let mailbox = Mailbox::random();
    let report = seal(
        ItemKind::Report,
        &tenant.id,
        mailbox.report_id,
        mailbox.report_id,
        &mailbox.key,
        &mailbox.recipients(&tenant, &[lost.public_key()]),
        b"CANARY-grant report",
    );
    assert_eq!(
        submit_report(&http, &server, t, &mailbox.report_body(&report)).await,
        201
    );
    let report_hex = mailbox.report_id.to_hex();
    let lost_token = advisor_login(&http, &server, &tenant.id, lost).await;
    let message = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        mailbox.report_id,
        lost,
        &mailbox.recipients(&tenant, &[lost.public_key()]),
        b"CANARY-grant reply",
    );
    let posted = http
        .post(server.url(t, &format!("/advisor/reports/{report_hex}/messages")))
        .bearer_auth(&lost_token)
        .json(&json!({ "item": b64(&message) }))
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), 201);
    let reporter = mailbox_login(&http, &server, t, &mailbox).await;
    let attachment = seal(
        ItemKind::Attachment,
        &tenant.id,
        new_item_id(),
        mailbox.report_id,
        &mailbox.key,
        &mailbox.recipients(&tenant, &[lost.public_key()]),
        &vec![0x5a; 70_000],
    );
    let uploaded = http
        .post(server.url(t, "/mailbox/attachments"))
        .bearer_auth(&reporter)
        .body(attachment.clone())
        .send()
        .await
        .expect("upload");
    assert_eq!(uploaded.status(), 201);

    // The token is lost: the operator replaces the key.
    let new_key = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    let (_, inherited) = admin
        .replace_advisor(&tenant.id, &lost.public_key(), &new_key.public_key(), None)
        .expect("replace");
    assert_eq!(inherited, 1);
    let challenge: Value = http
        .get(server.url(t, "/advisor/challenge"))
        .send()
        .await
        .expect("challenge")
        .json()
        .await
        .expect("json");
    let context =
        meldkluis_server::auth::challenge_context(&tenant.id, server.state.server_origin());
    let message_bytes: [u8; 64] = unb64(challenge["challenge"].as_str().expect("challenge"))
        .try_into()
        .expect("64 bytes");
    let answer = meldkluis_crypto_core::challenge::answer_challenge(lost, &message_bytes, &context)
        .expect("answer");
    let refused = http
        .post(server.url(t, "/advisor/login"))
        .json(&json!({
            "challenge_id": challenge["challenge_id"],
            "public_key": lost.public_key().to_hex(),
            "response": b64(&answer),
        }))
        .send()
        .await
        .expect("login");
    assert_eq!(refused.status(), 401, "the revoked key cannot log in");
    // A session the revoked key opened before sees nothing any more.
    let stale: Value = http
        .get(server.url(t, "/advisor/reports"))
        .bearer_auth(&lost_token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(stale["reports"], json!([]));
    let stale_thread = http
        .get(server.url(t, &format!("/advisor/reports/{report_hex}")))
        .bearer_auth(&lost_token)
        .send()
        .await
        .expect("thread");
    assert_eq!(stale_thread.status(), 404);

    let token = advisor_login(&http, &server, &tenant.id, &new_key).await;
    let list: Value = http
        .get(server.url(t, "/advisor/reports"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(list["reports"][0]["report_id"], report_hex);

    // The recovery key holder grants every item to the new key.
    let grants = vec![
        grant_from(&tenant, &tenant.recovery, &report, &new_key.public_key()),
        grant_from(&tenant, &tenant.recovery, &message, &new_key.public_key()),
        grant_from(
            &tenant,
            &tenant.recovery,
            &attachment,
            &new_key.public_key(),
        ),
    ];
    let (status, body) =
        post_grants(&http, &server, &tenant.id, &token, &report_hex, &grants).await;
    assert_eq!((status, &body["stored"]), (200, &json!(3)), "{body}");
    let (status, body) =
        post_grants(&http, &server, &tenant.id, &token, &report_hex, &grants).await;
    assert_eq!((status, &body["already_present"]), (200, &json!(3)));

    // Structure checks: each refused with 400 invalid_item, nothing stored.
    let other_mailbox = Mailbox::random();
    let other_report = other_mailbox.seal_report(&other, b"other tenant");
    let foreign_tenant = grant_item_key(
        &other_report,
        &GrantParams {
            tenant: &other.id,
            grantor: &other.recovery,
            grantor_access: Access::Stanza,
            grantee: &new_key.public_key(),
        },
        &mut meldkluis_crypto_core::os_rng(),
    )
    .expect("grant");
    let stranger = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    let second_mailbox = Mailbox::random();
    let second_report = seal(
        ItemKind::Report,
        &tenant.id,
        second_mailbox.report_id,
        second_mailbox.report_id,
        &second_mailbox.key,
        &second_mailbox.recipients(&tenant, &[colleague.public_key()]),
        b"another report",
    );
    assert_eq!(
        submit_report(
            &http,
            &server,
            t,
            &second_mailbox.report_body(&second_report)
        )
        .await,
        201
    );
    let mut rehashed = grant_from(&tenant, &tenant.recovery, &report, &colleague.public_key());
    // A byte of the header hash: magic 4, tenant 1 + 9, item id 16.
    rehashed[4 + 1 + 9 + 16 + 3] ^= 1;
    for (what, bad) in [
        ("another tenant", foreign_tenant),
        (
            "grantee not enrolled",
            grant_from(&tenant, &tenant.recovery, &report, &stranger.public_key()),
        ),
        (
            "item of another report",
            grant_from(
                &tenant,
                &tenant.recovery,
                &second_report,
                &new_key.public_key(),
            ),
        ),
        ("header hash differs", rehashed),
        ("not a grant", report[..200].to_vec()),
    ] {
        let (status, body) =
            post_grants(&http, &server, &tenant.id, &token, &report_hex, &[bad]).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert_eq!(body["error"]["code"], "invalid_item", "{what}: {body}");
    }
    // The colleague cannot see the report, so cannot add grants to it.
    let colleague_token = advisor_login(&http, &server, &tenant.id, colleague).await;
    let (status, _) = post_grants(
        &http,
        &server,
        &tenant.id,
        &colleague_token,
        &report_hex,
        &[grant_from(
            &tenant,
            &tenant.recovery,
            &report,
            &colleague.public_key(),
        )],
    )
    .await;
    assert_eq!(status, 404);

    // The thread brings the grants; the new key opens every item through
    // them, trusting the recovery key as it knows it.
    let thread: Value = http
        .get(server.url(t, &format!("/advisor/reports/{report_hex}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("thread")
        .json()
        .await
        .expect("json");
    let thread_grants = thread["grants"].as_array().expect("grants");
    assert_eq!(thread_grants.len(), 3);
    let grant_for = |item_id: &str| {
        unb64(
            thread_grants
                .iter()
                .find(|g| g["item_id"] == item_id)
                .expect("a grant for the item")["grant"]
                .as_str()
                .expect("base64"),
        )
    };
    let grantors = [tenant.recovery.public_key()];
    let senders = [mailbox.key.public_key(), lost.public_key()];
    let expect = Expect {
        tenant: &tenant.id,
        senders: &senders,
    };
    let opened = open_item_with_grant(
        &unb64(thread["report"].as_str().expect("report")),
        &grant_for(&report_hex),
        &new_key,
        &expect,
        &grantors,
    )
    .expect("the report opens through its grant");
    assert_eq!(&*opened.content, b"CANARY-grant report");
    let message_id = thread["messages"][0]["id"].as_str().expect("id");
    let opened = open_item_with_grant(
        &unb64(thread["messages"][0]["item"].as_str().expect("item")),
        &grant_for(message_id),
        &new_key,
        &expect,
        &grantors,
    )
    .expect("the message opens");
    assert_eq!(&*opened.content, b"CANARY-grant reply");
    let attachment_id = thread["attachments"][0]["id"].as_str().expect("id");
    let downloaded = http
        .get(server.url(
            t,
            &format!("/advisor/reports/{report_hex}/attachments/{attachment_id}"),
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    let opened = open_item_with_grant(
        &downloaded,
        &grant_for(attachment_id),
        &new_key,
        &expect,
        &grantors,
    )
    .expect("the attachment opens");
    assert_eq!(opened.content.len(), 70_000);

    // The reporter's mailbox never shows grants.
    let mailbox_thread: Value = http
        .get(server.url(t, "/mailbox"))
        .bearer_auth(&reporter)
        .send()
        .await
        .expect("mailbox")
        .json()
        .await
        .expect("json");
    assert!(mailbox_thread.get("grants").is_none());
    server.stop().await;
}
