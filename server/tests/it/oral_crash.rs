//! Oral reports and follow-up mailboxes survive SIGKILL (issue 13): a
//! registration, a follow-up and a join, each killed the moment it was
//! answered, are all there after a restart; and the operator's
//! `tenant set-voice` is stored and served in the public configuration.

use std::path::Path;

use meldkluis_crypto_core::{
    mailbox_reference, seal_item, ItemId, ItemKind, PublicKey, SealParams, StaticKey, StaticSecret,
    TenantId,
};
use rand::RngCore;
use serde_json::{json, Value};

use crate::common::{advisor_login, b64, cli, cli_ok, kill, start};

/// Runs the CLI, asserts that it succeeded, and returns the JSON it
/// printed (`null` for none).
fn ok(data: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&cli_ok(data, args)).unwrap_or(Value::Null)
}

/// The voice setting `tenant` serves in its public configuration.
fn served_voice(runtime: &tokio::runtime::Runtime, base: &str, tenant: &str) -> Value {
    let config: Value = runtime.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .get(format!("{base}/api/v1/t/{tenant}/config"))
            .send()
            .await
            .expect("config")
            .json()
            .await
            .expect("json")
    });
    config["voice"].clone()
}

fn seal(
    kind: ItemKind,
    tenant: &TenantId,
    item_id: ItemId,
    report_id: ItemId,
    sender: &StaticSecret,
    recipients: &[PublicKey],
) -> Vec<u8> {
    let params = SealParams {
        kind,
        tenant,
        item_id,
        report_id,
        sender,
        recipients,
    };
    seal_item(&params, b"{}", &mut rand::rngs::OsRng).expect("seal")
}

async fn post(
    http: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let request = http.post(url).json(body);
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(http: &reqwest::Client, url: String, token: &str) -> (u16, Value) {
    let response = http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_follow_ups_and_joins_survive_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let advisor = StaticSecret::generate(&mut rand::rngs::OsRng);
    let recovery = StaticSecret::generate(&mut rand::rngs::OsRng);
    ok(data, &["tenant", "create", "acme", "--name", "Acme"]);
    ok(
        data,
        &[
            "recovery-key",
            "set",
            "acme",
            &recovery.public_key().to_hex(),
        ],
    );
    ok(
        data,
        &[
            "advisor",
            "add",
            "acme",
            "--public-key",
            &advisor.public_key().to_hex(),
            "--name",
            "A",
        ],
    );
    let tenant = TenantId::new("acme").expect("valid");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let url = |base: &str, path: &str| format!("{base}/api/v1/t/acme{path}");

    // Registered, answered, killed.
    let (child, base) = start(data);
    let token = advisor_login(&http, &base, &base, &tenant, &advisor).await;
    let report_id = ItemId::random(&mut rand::rngs::OsRng);
    let oral = seal(
        ItemKind::Report,
        &tenant,
        report_id,
        report_id,
        &advisor,
        &[recovery.public_key(), advisor.public_key()],
    );
    let (status, _) = post(
        &http,
        url(&base, "/advisor/reports"),
        Some(&token),
        &json!({ "item": b64(&oral), "channel": "meeting" }),
    )
    .await;
    assert_eq!(status, 201);
    kill(child);

    // The follow-up, answered, killed.
    let (child, base) = start(data);
    let mailbox = StaticSecret::generate(&mut rand::rngs::OsRng);
    let follow_up_id = ItemId::random(&mut rand::rngs::OsRng);
    let follow_up = seal(
        ItemKind::Report,
        &tenant,
        follow_up_id,
        follow_up_id,
        &mailbox,
        &[
            mailbox.public_key(),
            recovery.public_key(),
            advisor.public_key(),
        ],
    );
    let mut mailbox_id = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut mailbox_id);
    let login =
        json!({ "mailbox_id": hex::encode(mailbox_id), "auth_secret": hex::encode([7u8; 32]) });
    let mut body = login.clone();
    body["item"] = json!(b64(&follow_up));
    body["mailbox_public_key"] = json!(mailbox.public_key().to_hex());
    let (status, answer) = post(&http, url(&base, "/follow-ups"), None, &body).await;
    assert_eq!(status, 201, "{answer}");
    let reference = mailbox_reference(&mailbox.public_key());
    assert_eq!(answer["reference"], reference);
    kill(child);

    // Both are there; the join, answered, killed.
    let (child, base) = start(data);
    let token = advisor_login(&http, &base, &base, &tenant, &advisor).await;
    let (status, thread) = get(
        &http,
        url(&base, &format!("/advisor/reports/{}", report_id.to_hex())),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(thread["report"], b64(&oral));
    assert_eq!(thread["channel"], "meeting");
    assert_eq!(thread["mailbox_state"], "none");
    let (status, found) = get(
        &http,
        url(&base, &format!("/advisor/follow-ups/{reference}")),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(found["item"], b64(&follow_up));
    let (status, _) = post(
        &http,
        url(
            &base,
            &format!("/advisor/reports/{}/join", report_id.to_hex()),
        ),
        Some(&token),
        &json!({ "reference": reference, "mailbox_public_key": mailbox.public_key().to_hex() }),
    )
    .await;
    assert_eq!(status, 200);
    kill(child);

    // The join is whole: the report has the mailbox, the follow-up is gone,
    // the reporter logs in to the report.
    let (child, base) = start(data);
    let token = advisor_login(&http, &base, &base, &tenant, &advisor).await;
    let (_, thread) = get(
        &http,
        url(&base, &format!("/advisor/reports/{}", report_id.to_hex())),
        &token,
    )
    .await;
    assert_eq!(thread["mailbox_state"], "joined");
    assert_eq!(thread["opening_item"], b64(&follow_up));
    let (status, _) = get(
        &http,
        url(&base, &format!("/advisor/follow-ups/{reference}")),
        &token,
    )
    .await;
    assert_eq!(status, 404);
    let (status, answer) = post(&http, url(&base, "/mailbox/login"), None, &login).await;
    assert_eq!(status, 200);
    assert_eq!(answer["report_id"], report_id.to_hex());
    kill(child);
}

#[test]
fn set_voice_is_stored_and_served_in_the_public_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    ok(data, &["tenant", "create", "acme", "--name", "Acme"]);
    let set = ok(
        data,
        &["tenant", "set-voice", "acme", "--disguise", "optional"],
    );
    assert_eq!(set, json!({ "enabled": true, "disguise": "optional" }));
    let set = ok(data, &["tenant", "set-voice", "acme", "--voice", "off"]);
    assert_eq!(
        set,
        json!({ "enabled": false, "disguise": "optional" }),
        "the unnamed value stays"
    );
    let shown = ok(data, &["tenant", "show", "acme"]);
    assert_eq!(shown["voice"], set);
    assert_eq!(shown["follow_up_count"], 0);
    for bad in [
        &["tenant", "set-voice", "acme", "--voice", "maybe"][..],
        &["tenant", "set-voice", "acme", "--disguise", "never"][..],
        &["tenant", "set-voice", "nobody", "--voice", "on"][..],
    ] {
        let output = cli(data, bad);
        assert!(!output.status.success(), "{bad:?}");
        assert!(!output.stderr.is_empty(), "{bad:?} says why");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (child, base) = start(data);
    assert_eq!(
        served_voice(&runtime, &base, "acme"),
        json!({ "enabled": false, "disguise": "optional" })
    );
    kill(child);
    // A new tenant: on, required.
    ok(data, &["tenant", "create", "other", "--name", "Other"]);
    let (child, base) = start(data);
    assert_eq!(
        served_voice(&runtime, &base, "other"),
        json!({ "enabled": true, "disguise": "required" })
    );
    kill(child);
}
