//! Replacing a tenant's recovery key on the real server with the real
//! crypto core: the operator's `recovery-key replace` keeps the old key as a
//! former recovery key; new reports must be sealed to the new one; thread
//! items are accepted sealed to either (a reporter's mailbox seals to the
//! key its report pinned until it is introduced to the new one); key grants
//! to the new recovery key are accepted only from the posting advisor's own
//! key, and come back with the thread so the new key reads old items.

use meldkluis_crypto_core::{
    open_item_with_grant, Expect, ItemKind, PublicKey, StaticKey, StaticSecret,
};
use meldkluis_tests::{
    advisor_login, b64, client, grant_from, mailbox_login, new_item_id, seal, submit_report, unb64,
    Mailbox, TestServer, TestTenant,
};
use serde_json::{json, Value};

async fn post(http: &reqwest::Client, url: String, token: &str, body: &Value) -> (u16, Value) {
    let response = http
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_recovery_key_is_former_and_the_new_one_gets_grants_from_advisors_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "recovery-swap", 2);
    let http = client();
    let t = tenant.id.as_str();
    let (advisor, left_out) = (&tenant.advisors[0], &tenant.advisors[1]);
    let old_recovery = tenant.recovery.public_key();

    // A report sealed to the first advisor only, and a reply.
    let mailbox = Mailbox::random();
    let report = seal(
        ItemKind::Report,
        &tenant.id,
        mailbox.report_id,
        mailbox.report_id,
        &mailbox.key,
        &mailbox.recipients(&tenant, &[advisor.public_key()]),
        b"CANARY-recovery report",
    );
    assert_eq!(
        submit_report(&http, &server, t, &mailbox.report_body(&report)).await,
        201
    );
    let report_hex = mailbox.report_id.to_hex();

    // The operator replaces the recovery key; the checks on the command.
    let new_recovery = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    let replaced = admin
        .replace_recovery_key(&tenant.id, &new_recovery.public_key())
        .expect("replace");
    assert_eq!(replaced, old_recovery);
    assert_eq!(
        admin.recovery_key(&tenant.id).expect("read"),
        Some(new_recovery.public_key())
    );
    assert_eq!(
        admin.former_recovery_keys(&tenant.id).expect("read"),
        vec![old_recovery]
    );
    for (key, why) in [
        (new_recovery.public_key(), "already the current one"),
        (old_recovery, "a former recovery key"),
    ] {
        let refused = admin
            .replace_recovery_key(&tenant.id, &key)
            .expect_err("refused");
        assert!(refused.to_string().contains(why), "{refused}");
    }
    let config: Value = http
        .get(server.url(t, "/config"))
        .send()
        .await
        .expect("config")
        .json()
        .await
        .expect("json");
    assert_eq!(
        config["recovery_key"]["public_key"],
        json!(new_recovery.public_key().to_hex())
    );

    // A new report sealed to the old recovery key is refused; to the new
    // one it is accepted.
    let late = Mailbox::random();
    let sealed_old = late.seal_report(&tenant, b"to the old recovery key");
    assert_eq!(
        submit_report(&http, &server, t, &late.report_body(&sealed_old)).await,
        400
    );
    let mut recipients = vec![late.key.public_key(), new_recovery.public_key()];
    recipients.extend(tenant.advisor_keys());
    let sealed_new = seal(
        ItemKind::Report,
        &tenant.id,
        late.report_id,
        late.report_id,
        &late.key,
        &recipients,
        b"to the new recovery key",
    );
    assert_eq!(
        submit_report(&http, &server, t, &late.report_body(&sealed_new)).await,
        201
    );

    // The reporter's messages: sealed to the old recovery key (not yet
    // introduced) or the new one are accepted; to neither is refused.
    let reporter = mailbox_login(&http, &server, t, &mailbox).await;
    let stranger = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    let message_to = |recovery: PublicKey| {
        seal(
            ItemKind::Message,
            &tenant.id,
            new_item_id(),
            mailbox.report_id,
            &mailbox.key,
            &[mailbox.key.public_key(), recovery, advisor.public_key()],
            b"CANARY-recovery message",
        )
    };
    let old_message = message_to(old_recovery);
    let new_message = message_to(new_recovery.public_key());
    for (item, expected, what) in [
        (&old_message, 201, "old recovery key"),
        (
            &message_to(new_recovery.public_key()),
            201,
            "new recovery key",
        ),
        (&message_to(stranger.public_key()), 400, "no recovery key"),
    ] {
        let (status, body) = post(
            &http,
            server.url(t, "/mailbox/messages"),
            &reporter,
            &json!({ "item": b64(item) }),
        )
        .await;
        assert_eq!(status, expected, "{what}: {body}");
    }

    // Key grants to the new recovery key.
    let token = advisor_login(&http, &server, &tenant.id, advisor).await;
    let grants_url = server.url(t, &format!("/advisor/reports/{report_hex}/grants"));
    let body =
        |grants: &[Vec<u8>]| json!({ "grants": grants.iter().map(|g| b64(g)).collect::<Vec<_>>() });
    // Refused: to the former recovery key, to a key nobody enrolled, and a
    // grant to the new recovery key sealed by another key (the old
    // recovery key's) posted by the advisor.
    for (grants, what) in [
        (
            vec![grant_from(&tenant, advisor, &new_message, &old_recovery)],
            "to the former recovery key",
        ),
        (
            vec![grant_from(
                &tenant,
                advisor,
                &report,
                &stranger.public_key(),
            )],
            "to an unknown key",
        ),
        (
            vec![grant_from(
                &tenant,
                &tenant.recovery,
                &report,
                &new_recovery.public_key(),
            )],
            "from another grantor",
        ),
    ] {
        let (status, answer) = post(&http, grants_url.clone(), &token, &body(&grants)).await;
        assert_eq!(status, 400, "{what}: {answer}");
    }
    // The advisor left out of the report cannot grant it at all.
    let left_out_token = advisor_login(&http, &server, &tenant.id, left_out).await;
    let (status, _) = post(
        &http,
        grants_url.clone(),
        &left_out_token,
        &body(&[grant_from(
            &tenant,
            advisor,
            &report,
            &new_recovery.public_key(),
        )]),
    )
    .await;
    assert!(status == 400 || status == 404, "{status}");
    // Accepted: the advisor's own grants of the report and the message.
    let grants = vec![
        grant_from(&tenant, advisor, &report, &new_recovery.public_key()),
        grant_from(&tenant, advisor, &old_message, &new_recovery.public_key()),
    ];
    let (status, answer) = post(&http, grants_url, &token, &body(&grants)).await;
    assert_eq!((status, &answer["stored"]), (200, &json!(2)), "{answer}");

    // The thread carries them, and the new recovery key opens the old
    // items through them (trusting the advisor as grantor).
    let thread: Value = http
        .get(server.url(t, &format!("/advisor/reports/{report_hex}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("thread")
        .json()
        .await
        .expect("json");
    let recovery_grants = thread["recovery_grants"]
        .as_array()
        .expect("recovery grants");
    assert_eq!(recovery_grants.len(), 2, "{thread}");
    let grant_for = |item_id: &str| {
        unb64(
            recovery_grants
                .iter()
                .find(|g| g["item_id"] == item_id)
                .expect("a grant for the item")["grant"]
                .as_str()
                .expect("base64"),
        )
    };
    let senders = [mailbox.key.public_key(), advisor.public_key()];
    let expect = Expect {
        tenant: &tenant.id,
        senders: &senders,
    };
    let opened = open_item_with_grant(
        &report,
        &grant_for(&report_hex),
        &new_recovery,
        &expect,
        &[advisor.public_key()],
    )
    .expect("the report opens through its grant");
    assert_eq!(&opened.content[..], b"CANARY-recovery report");
    let message_id = hex::encode(
        meldkluis_crypto_core::ItemHeader::parse(&old_message)
            .expect("header")
            .0
            .item_id
            .0,
    );
    let opened = open_item_with_grant(
        &old_message,
        &grant_for(&message_id),
        &new_recovery,
        &expect,
        &[advisor.public_key()],
    )
    .expect("the message opens through its grant");
    assert_eq!(&opened.content[..], b"CANARY-recovery message");
    // The mailbox never sees grants.
    let mailbox_thread: Value = http
        .get(server.url(t, "/mailbox"))
        .bearer_auth(&reporter)
        .send()
        .await
        .expect("mailbox")
        .json()
        .await
        .expect("json");
    assert!(mailbox_thread.get("recovery_grants").is_none());
    assert!(mailbox_thread.get("grants").is_none());
    server.stop().await;
}
