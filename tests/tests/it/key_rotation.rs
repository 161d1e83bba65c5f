//! A planned key rotation, twice: the advisor enrols a new key, grants the
//! content keys of their reports to it from the old key (while the old key
//! still logs in), and the operator replaces the old key. The new key reads
//! everything only if the advisor trusts the old key as a grantor: the
//! trust is the reader's decision, never the server's. A second rotation
//! grants on from a grant.

use meldkluis_crypto_core::{ItemKind, PublicKey, StaticKey, StaticSecret};
use meldkluis_keys::client::{decode_item, ServerClient};
use meldkluis_keys::reading::{self, Trust};
use meldkluis_keys::reseal::{reseal_reports, Reseal};
use meldkluis_tests::{client, new_item_id, seal, submit_report, Mailbox, TestServer, TestTenant};

/// Opens every item of every report `key` may see; returns the contents.
async fn read_all(
    server: &TestServer,
    tenant: &TestTenant,
    key: &StaticSecret,
    grantors: &[PublicKey],
    advisors: &[PublicKey],
) -> Result<Vec<Vec<u8>>, meldkluis_crypto_core::Error> {
    let client = ServerClient::new(&server.base, tenant.id.clone()).expect("client");
    client.log_in(key).await.expect("log in");
    let trust = Trust {
        tenant: tenant.id.clone(),
        grantors: grantors.to_vec(),
        advisor_senders: advisors.to_vec(),
    };
    let mut contents = Vec::new();
    for summary in client.reports().await.expect("reports").reports {
        let thread = client.thread(&summary.report_id).await.expect("thread");
        let report = thread.report_bytes().expect("b64");
        contents.push(
            reading::open_report(key, &trust, &thread, &report)?
                .content
                .to_vec(),
        );
        let header = reading::report_header(&report).expect("header");
        let senders = reading::thread_senders(&header, &trust);
        for message in &thread.messages {
            let item = decode_item(&message.item).expect("b64");
            contents.push(
                reading::open_thread_item(key, &trust, &thread, &senders, &message.id, &item)?
                    .content
                    .to_vec(),
            );
        }
    }
    // Key introductions (one per rotation) are checked on their own.
    contents.retain(|c| !c.starts_with(br#"{"format":"meldkluis-key-introduction/1""#));
    contents.sort();
    Ok(contents)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_keys_through_grants_from_the_earlier_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "rotation", 1);
    let first = &tenant.advisors[0];
    let http = client();

    let mailbox = Mailbox::random();
    let report = mailbox.seal_report(&tenant, b"CANARY-rotation report");
    assert_eq!(
        submit_report(
            &http,
            &server,
            tenant.id.as_str(),
            &mailbox.report_body(&report)
        )
        .await,
        201
    );
    let first_client = ServerClient::new(&server.base, tenant.id.clone()).expect("client");
    first_client.log_in(first).await.expect("log in");
    let reply = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        mailbox.report_id,
        first,
        &mailbox.recipients(&tenant, &[first.public_key()]),
        b"CANARY-rotation reply",
    );
    first_client
        .post_message(&mailbox.report_id.to_hex(), &reply)
        .await
        .expect("reply");
    let expected = {
        let mut all = vec![
            b"CANARY-rotation report".to_vec(),
            b"CANARY-rotation reply".to_vec(),
        ];
        all.sort();
        all
    };

    // Rotation 1: the new key is enrolled; the old key (still active)
    // grants its reports to it; then the operator replaces the old key.
    let mut rng = meldkluis_crypto_core::os_rng();
    let second = StaticSecret::generate(&mut rng);
    admin
        .add_advisor(&tenant.id, &second.public_key(), "Advisor 0 (new key)")
        .expect("enrol");
    let outcome = reseal_reports(
        &first_client,
        &Reseal {
            grantor: first,
            grantor_trusts: &[],
            grantee: second.public_key(),
            logged_in_as: first.public_key(),
            grantee_name: "A. Dviseur".into(),
        },
    )
    .await
    .expect("rotate");
    assert_eq!((outcome.items, outcome.granted), (2, 2));
    assert_eq!(outcome.introduced, 1, "the old key introduces the new one");
    admin
        .replace_advisor(&tenant.id, &first.public_key(), &second.public_key(), None)
        .expect("replace");

    let advisors = [first.public_key(), second.public_key()];
    let recovery = tenant.recovery.public_key();
    assert_eq!(
        read_all(
            &server,
            &tenant,
            &second,
            &[recovery, first.public_key()],
            &advisors
        )
        .await
        .expect("the new key reads through the earlier key's grants"),
        expected
    );
    assert!(
        read_all(&server, &tenant, &second, &[recovery], &advisors)
            .await
            .is_err(),
        "without trusting the earlier key, its grants are refused"
    );

    // Rotation 2: the second key holds grants, not stanzas; it grants on.
    let third = StaticSecret::generate(&mut rng);
    admin
        .add_advisor(&tenant.id, &third.public_key(), "Advisor 0 (third key)")
        .expect("enrol");
    let second_client = ServerClient::new(&server.base, tenant.id.clone()).expect("client");
    second_client.log_in(&second).await.expect("log in");
    let trusted_by_second = [recovery, first.public_key()];
    let outcome = reseal_reports(
        &second_client,
        &Reseal {
            grantor: &second,
            grantor_trusts: &trusted_by_second,
            grantee: third.public_key(),
            logged_in_as: second.public_key(),
            grantee_name: "A. Dviseur".into(),
        },
    )
    .await
    .expect("rotate again");
    assert_eq!(
        (outcome.granted, outcome.unreachable),
        (3, 0),
        "report, reply, introduction"
    );
    assert_eq!(
        outcome.introduced, 1,
        "the second key, itself introduced, introduces the third"
    );
    admin
        .replace_advisor(&tenant.id, &second.public_key(), &third.public_key(), None)
        .expect("replace");
    let all_advisors = [first.public_key(), second.public_key(), third.public_key()];
    assert_eq!(
        read_all(
            &server,
            &tenant,
            &third,
            &[recovery, first.public_key(), second.public_key()],
            &all_advisors
        )
        .await
        .expect("the third key reads through the second key's grants"),
        expected
    );
    // The reporter's mailbox and the recovery key are untouched recipients.
    assert_eq!(
        meldkluis_tests::open(
            &report,
            &tenant.recovery,
            &tenant.id,
            &[mailbox.key.public_key()]
        ),
        b"CANARY-rotation report"
    );
    server.stop().await;
}
