//! A co-advisor against key grants and item ids (issue 10, finding 6),
//! performed against the real server: a garbage grant posted first must not
//! block or hide the real grantor's, a grant must come from one of the two
//! keys it is between, and an item id names one item of a tenant, so a
//! message cannot shadow an attachment or a report.

use meldkluis_crypto_core::{
    open_item_with_grant, Expect, ItemId, ItemKind, StaticKey as _, StaticSecret,
};
use meldkluis_tests::{
    advisor_login, b64, client, grant_from, mailbox_login, new_item_id, post_grants, seal,
    submit_report, unb64, Mailbox, TestServer, TestTenant,
};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_co_advisor_cannot_block_or_front_a_key_grant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "grant-squat", 2);
    let http = client();
    let t = tenant.id.as_str();
    let (lost, colleague) = (&tenant.advisors[0], &tenant.advisors[1]);
    let mailbox = Mailbox::random();
    let report = mailbox.seal_report(&tenant, b"CANARY-squat report");
    assert_eq!(
        submit_report(&http, &server, t, &mailbox.report_body(&report)).await,
        201
    );
    let report_hex = mailbox.report_id.to_hex();

    // The advisor's token is lost; the operator enrols a new key.
    let new_key = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    admin
        .replace_advisor(&tenant.id, &lost.public_key(), &new_key.public_key(), None)
        .expect("replace");

    // The co-advisor moves first: a broken grant of their own to the new
    // key, and a grant that claims another grantor (here a real one made
    // with the recovery key, which the co-advisor got hold of: the server
    // cannot tell a claimed grantor from a real one).
    let colleague_token = advisor_login(&http, &server, &tenant.id, colleague).await;
    let mut broken = grant_from(&tenant, colleague, &report, &new_key.public_key());
    let last = broken.len() - 1;
    broken[last] ^= 1;
    let (status, body) = post_grants(
        &http,
        &server,
        &tenant.id,
        &colleague_token,
        &report_hex,
        &[broken],
    )
    .await;
    assert_eq!((status, &body["stored"]), (200, &json!(1)), "{body}");
    let recovery_grant = grant_from(&tenant, &tenant.recovery, &report, &new_key.public_key());
    let (status, body) = post_grants(
        &http,
        &server,
        &tenant.id,
        &colleague_token,
        &report_hex,
        std::slice::from_ref(&recovery_grant),
    )
    .await;
    assert_eq!(status, 400, "only the grantor or the grantee posts: {body}");
    assert_eq!(body["error"]["code"], "invalid_item");

    // The new key posts the recovery key's grant: stored beside the
    // co-advisor's, not refused as "already present".
    let token = advisor_login(&http, &server, &tenant.id, &new_key).await;
    let (status, body) = post_grants(
        &http,
        &server,
        &tenant.id,
        &token,
        &report_hex,
        &[recovery_grant],
    )
    .await;
    assert_eq!((status, &body["stored"]), (200, &json!(1)), "{body}");

    // The first grant served for the report is the recovery key's, and it
    // opens the report.
    let thread: Value = http
        .get(server.url(t, &format!("/advisor/reports/{report_hex}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("thread")
        .json()
        .await
        .expect("json");
    let grants = thread["grants"].as_array().expect("grants");
    assert_eq!(grants.len(), 2, "{thread}");
    let first = grants
        .iter()
        .find(|g| g["item_id"] == report_hex.as_str())
        .expect("a grant for the report");
    let senders = [mailbox.key.public_key()];
    let opened = open_item_with_grant(
        &report,
        &unb64(first["grant"].as_str().expect("grant")),
        &new_key,
        &Expect {
            tenant: &tenant.id,
            senders: &senders,
        },
        &[tenant.recovery.public_key()],
    )
    .expect("the first grant is the recovery key's and opens the report");
    assert_eq!(&*opened.content, b"CANARY-squat report");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_id_names_one_item_of_the_tenant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "shadow", 1);
    let http = client();
    let t = tenant.id.as_str();
    let mailbox = Mailbox::random();
    let report = mailbox.seal_report(&tenant, b"report");
    assert_eq!(
        submit_report(&http, &server, t, &mailbox.report_body(&report)).await,
        201
    );
    let token = mailbox_login(&http, &server, t, &mailbox).await;
    let recipients = mailbox.recipients(&tenant, &tenant.advisor_keys());
    let item = |kind: ItemKind, id: ItemId, content: &[u8]| {
        seal(
            kind,
            &tenant.id,
            id,
            mailbox.report_id,
            &mailbox.key,
            &recipients,
            content,
        )
    };
    let attachment_id = new_item_id();
    let attachment = item(ItemKind::Attachment, attachment_id, b"the real file");
    let uploaded = http
        .post(server.url(t, "/mailbox/attachments"))
        .bearer_auth(&token)
        .body(attachment.clone())
        .send()
        .await
        .expect("upload");
    assert_eq!(uploaded.status(), 201);
    let message_id = new_item_id();
    let posted = http
        .post(server.url(t, "/mailbox/messages"))
        .bearer_auth(&token)
        .json(&json!({ "item": b64(&item(ItemKind::Message, message_id, b"real")) }))
        .send()
        .await
        .expect("message");
    assert_eq!(posted.status(), 201);

    // A message under the attachment's id or the report's, and an
    // attachment under the message's id: all refused with 409.
    for (what, id) in [("attachment", attachment_id), ("report", mailbox.report_id)] {
        let response = http
            .post(server.url(t, "/mailbox/messages"))
            .bearer_auth(&token)
            .json(&json!({ "item": b64(&item(ItemKind::Message, id, b"shadow")) }))
            .send()
            .await
            .expect("message");
        assert_eq!(response.status(), 409, "a message under the {what}'s id");
    }
    let response = http
        .post(server.url(t, "/mailbox/attachments"))
        .bearer_auth(&token)
        .body(item(ItemKind::Attachment, message_id, b"shadow file"))
        .send()
        .await
        .expect("upload");
    assert_eq!(
        response.status(),
        409,
        "an attachment under the message's id"
    );
    // A new report under the message's id.
    let other = Mailbox {
        report_id: message_id,
        ..Mailbox::random()
    };
    let shadow_report = other.seal_report(&tenant, b"shadow report");
    assert_eq!(
        submit_report(&http, &server, t, &other.report_body(&shadow_report)).await,
        409
    );

    // The thread is as it was.
    let thread: Value = http
        .get(server.url(t, "/mailbox"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("thread")
        .json()
        .await
        .expect("json");
    assert_eq!(thread["messages"].as_array().expect("messages").len(), 1);
    assert_eq!(thread["messages"][0]["id"], message_id.to_hex());
    let attachments = thread["attachments"].as_array().expect("attachments");
    assert_eq!(attachments.len(), 1);
    let downloaded = http
        .get(server.url(
            t,
            &format!("/mailbox/attachments/{}", attachment_id.to_hex()),
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&downloaded[..], &attachment[..]);
    server.stop().await;
}
