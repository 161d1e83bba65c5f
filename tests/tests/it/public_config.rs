//! `GET /api/v1/t/{tenant}/config` from the server database: the stored
//! answer is byte for byte the one built from the tenant database; a cold
//! tenant is answered without opening its database; every operator change
//! shows at the next request; a change the operator's command did not
//! finish (killed half-way) is never answered from a stale copy.

use meldkluis_crypto_core::{StaticKey, StaticSecret, TenantId};
use meldkluis_server::tenants::public_config::Change;
use meldkluis_server::tenants::Layout;
use meldkluis_tests::{client, TestServer, TestTenant};
use serde_json::Value;

async fn config(http: &reqwest::Client, server: &TestServer, tenant: &str) -> (u16, Vec<u8>) {
    let response = http
        .get(server.url(tenant, "/config"))
        .send()
        .await
        .expect("GET config");
    let status = response.status().as_u16();
    assert!(
        status != 200
            || response
                .headers()
                .get("content-type")
                .is_some_and(|v| v == "application/json"),
        "JSON"
    );
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    (status, response.bytes().await.expect("body").to_vec())
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("JSON answer")
}

/// Makes the stored answer unusable, as a change under way does, so the
/// next request builds it from the tenant database.
fn mark_pending(server: &TestServer, tenant: &str, pending: i64) {
    let conn = rusqlite::Connection::open(server.config.data_dir.join("server.sqlite"))
        .expect("server db");
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .expect("busy timeout");
    conn.execute(
        "UPDATE public_configs SET pending = ?2,
             generation = (SELECT last + 1 FROM public_config_generation)
         WHERE tenant = ?1",
        rusqlite::params![tenant, pending],
    )
    .expect("mark");
    conn.execute("UPDATE public_config_generation SET last = last + 1", [])
        .expect("count");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_tenant_is_answered_from_the_server_database_with_the_same_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let http = client();
    let tenants: Vec<TestTenant> = (0..4)
        .map(|i| TestTenant::create(&admin, &format!("cold-{i}"), i % 3))
        .collect();
    // Answered from the stored rows: no tenant database is opened.
    let mut stored = Vec::new();
    for tenant in &tenants {
        let (status, body) = config(&http, &server, tenant.id.as_str()).await;
        assert_eq!(status, 200);
        stored.push(body);
    }
    assert_eq!(
        server.state.tenants().open_count(),
        0,
        "no tenant database was opened"
    );
    // The same again, from memory.
    for (tenant, body) in tenants.iter().zip(&stored) {
        assert_eq!(&config(&http, &server, tenant.id.as_str()).await.1, body);
    }
    assert_eq!(server.state.tenants().open_count(), 0);

    // The slow path (the tenant database) gives the very same bytes.
    for (tenant, body) in tenants.iter().zip(&stored) {
        mark_pending(&server, tenant.id.as_str(), 1);
        let (status, built) = config(&http, &server, tenant.id.as_str()).await;
        assert_eq!(status, 200);
        assert_eq!(&built, body, "stored and built answers are the same bytes");
        let answer = json(&built);
        assert_eq!(answer["tenant"], tenant.id.as_str());
        assert_eq!(
            answer["advisors"].as_array().expect("advisors").len(),
            tenant.advisors.len()
        );
        assert_eq!(
            answer["recovery_key"]["public_key"],
            tenant.recovery.public_key().to_hex()
        );
    }
    assert_eq!(server.state.tenants().open_count(), tenants.len());

    // A tenant whose row is gone (a server database from before the
    // table) is built once, stored, and then served from the row.
    let conn = rusqlite::Connection::open(server.config.data_dir.join("server.sqlite"))
        .expect("server db");
    conn.execute("DELETE FROM public_configs", [])
        .expect("forget");
    drop(conn);
    let secrets = server.secrets.clone();
    let restart = |secrets| {
        TestServer::start_with(
            dir.path(),
            secrets,
            std::sync::Arc::new(meldkluis_server::clock::SystemClock),
            |_| {},
        )
    };
    server.stop().await;
    let server = restart(secrets.clone()).await;
    let first = config(&http, &server, "cold-1").await;
    assert_eq!(first, (200, stored[1].clone()));
    assert_eq!(server.state.tenants().open_count(), 1, "built once");
    let again = config(&http, &server, "cold-2").await;
    assert_eq!(again, (200, stored[2].clone()));
    let restarted = {
        server.stop().await;
        restart(secrets.clone()).await
    };
    for (tenant, body) in tenants.iter().zip(&stored).skip(1).take(2) {
        assert_eq!(
            config(&http, &restarted, tenant.id.as_str()).await,
            (200, body.clone())
        );
    }
    assert_eq!(
        restarted.state.tenants().open_count(),
        0,
        "the filled rows serve after a restart"
    );
    restarted.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operator_change_shows_at_the_next_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let http = client();
    let tenant = TestTenant::create(&admin, "changes", 2);
    let t = tenant.id.as_str();
    let advisors = |body: &[u8]| -> Vec<String> {
        json(body)["advisors"]
            .as_array()
            .expect("advisors")
            .iter()
            .map(|a| a["public_key"].as_str().expect("key").to_owned())
            .collect()
    };
    let before = config(&http, &server, t).await.1;
    assert_eq!(advisors(&before).len(), 2);

    // An advisor removed: gone from the very next answer (nobody seals a
    // new report to a key the operator revoked).
    let revoked = tenant.advisors[0].public_key();
    admin.remove_advisor(&tenant.id, &revoked).expect("remove");
    let after = config(&http, &server, t).await.1;
    assert!(!advisors(&after).contains(&revoked.to_hex()));
    assert_eq!(advisors(&after).len(), 1);

    // Added, replaced, the recovery key replaced, languages, voice.
    let mut rng = meldkluis_crypto_core::os_rng();
    let added = StaticSecret::generate(&mut rng).public_key();
    admin.add_advisor(&tenant.id, &added, "Added").expect("add");
    assert!(advisors(&config(&http, &server, t).await.1).contains(&added.to_hex()));
    let replacement = StaticSecret::generate(&mut rng).public_key();
    admin
        .replace_advisor(&tenant.id, &added, &replacement, None)
        .expect("replace");
    let now = advisors(&config(&http, &server, t).await.1);
    assert!(now.contains(&replacement.to_hex()) && !now.contains(&added.to_hex()));
    let recovery = StaticSecret::generate(&mut rng).public_key();
    admin
        .replace_recovery_key(&tenant.id, &recovery)
        .expect("recovery");
    assert_eq!(
        json(&config(&http, &server, t).await.1)["recovery_key"]["public_key"],
        recovery.to_hex()
    );
    admin
        .set_languages(&tenant.id, &["en".into()])
        .expect("languages");
    assert_eq!(
        json(&config(&http, &server, t).await.1)["languages"],
        serde_json::json!(["en"])
    );
    let voice_before = json(&config(&http, &server, t).await.1)["voice"]["enabled"].clone();
    let voice = admin
        .set_voice(&tenant.id, Some(voice_before != Value::Bool(true)), None)
        .expect("voice");
    assert_eq!(
        json(&config(&http, &server, t).await.1)["voice"]["enabled"],
        Value::Bool(voice.enabled)
    );
    let questionnaire = json(&config(&http, &server, t).await.1)["questionnaire"].clone();
    admin
        .set_questionnaire(&tenant.id, &questionnaire)
        .expect("questionnaire");
    // The tenant's row: size limit and disabling, at once too.
    admin
        .set_max_attachment_bytes(&tenant.id, 12_345)
        .expect("size");
    assert_eq!(
        json(&config(&http, &server, t).await.1)["max_attachment_bytes"],
        12_345
    );
    admin.set_disabled(&tenant.id, true).expect("disable");
    assert_eq!(config(&http, &server, t).await.0, 403);
    admin.set_disabled(&tenant.id, false).expect("enable");
    assert_eq!(config(&http, &server, t).await.0, 200);
    assert_eq!(config(&http, &server, "no-such-tenant").await.0, 404);
    assert_eq!(config(&http, &server, "Not_Valid").await.0, 400);

    // Each answer equals the one built from the tenant database.
    let served = config(&http, &server, t).await.1;
    mark_pending(&server, t, 1);
    assert_eq!(config(&http, &server, t).await.1, served);
    assert!(
        server.state.tenants().open_count() <= 1,
        "only this tenant's database was opened"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_operator_did_not_finish_is_never_answered_from_a_stale_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let http = client();
    let tenant = TestTenant::create(&admin, "interrupted", 2);
    let t = tenant.id.as_str();
    let before = config(&http, &server, t).await.1;
    assert_eq!(json(&before)["advisors"].as_array().expect("list").len(), 2);

    // An operator command killed half-way: it marked its change (step 1)
    // and changed the tenant database, but never stored the new answer.
    let conn = rusqlite::Connection::open(server.config.data_dir.join("server.sqlite"))
        .expect("server db");
    let layout = Layout::new(&server.config.data_dir);
    std::mem::forget(Change::begin(&conn, &layout, &tenant.id).expect("begin"));
    let tenant_db = rusqlite::Connection::open(layout.tenant_db(&tenant.id)).expect("tenant db");
    tenant_db
        .execute(
            "UPDATE advisors SET active = 0 WHERE public_key = ?1",
            [tenant.advisors[0].public_key().as_bytes()],
        )
        .expect("revoke");
    drop(tenant_db);

    // The server answers from the tenant database (the revoked key is
    // gone), again and again: the copy it built is not stored while the
    // change is marked.
    for _ in 0..3 {
        let answer = json(&config(&http, &server, t).await.1);
        let keys: Vec<&str> = answer["advisors"]
            .as_array()
            .expect("list")
            .iter()
            .map(|a| a["public_key"].as_str().expect("key"))
            .collect();
        assert_eq!(keys, [tenant.advisors[1].public_key().to_hex()]);
    }
    let stored: Option<Vec<u8>> = conn
        .query_row(
            "SELECT answer FROM public_configs WHERE tenant = ?1",
            [t],
            |r| r.get(0),
        )
        .expect("row");
    assert_eq!(stored, None, "nothing stored while a change is under way");

    // The next finished change stores the answer again: the marked change
    // still counts, so only when every change has finished.
    admin
        .set_languages(&tenant.id, &["nl".into()])
        .expect("languages");
    let pending: i64 = conn
        .query_row(
            "SELECT pending FROM public_configs WHERE tenant = ?1",
            [t],
            |r| r.get(0),
        )
        .expect("row");
    assert_eq!(pending, 1, "the interrupted change is still counted");
    let answer = json(&config(&http, &server, t).await.1);
    assert_eq!(answer["advisors"].as_array().expect("list").len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_deleted_and_created_again_never_gets_the_old_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let http = client();
    let first = TestTenant::create(&admin, "again", 1);
    let old = config(&http, &server, "again").await.1;
    // The tenant goes (its rows and directory), and one of the same id
    // comes, with another advisor and name: the answer in the server's
    // memory has an older generation and is not used.
    let conn = rusqlite::Connection::open(server.config.data_dir.join("server.sqlite"))
        .expect("server db");
    conn.execute("DELETE FROM tenants WHERE id = 'again'", [])
        .expect("row");
    conn.execute("DELETE FROM public_configs WHERE tenant = 'again'", [])
        .expect("row");
    drop(conn);
    assert_eq!(config(&http, &server, "again").await.0, 404);
    std::fs::remove_dir_all(Layout::new(&server.config.data_dir).tenant_dir(&first.id))
        .expect("directory");
    let id = TenantId::new("again").expect("id");
    admin
        .create_tenant(&id, "Another", &["en".into()], None)
        .expect("create");
    let new = config(&http, &server, "again").await.1;
    assert_ne!(new, old);
    assert_eq!(json(&new)["name"], "Another");
    assert_eq!(json(&new)["advisors"], serde_json::json!([]));
    server.stop().await;
}
