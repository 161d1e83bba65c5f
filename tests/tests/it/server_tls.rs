//! TLS terminated by the server itself (rustls): the API answers over
//! HTTPS, and only then with HSTS.

use meldkluis_server::config::TlsConfig;
use meldkluis_server::{AppState, Config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_with_hsts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tls_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls");
    let config = Config {
        data_dir: dir.path().to_owned(),
        tls: Some(TlsConfig {
            cert_path: tls_dir.join("cert.pem"),
            key_path: tls_dir.join("key.pem"),
        }),
        ..Config::default()
    };
    let state = AppState::with_secret(config, meldkluis_tests::test_secret()).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(meldkluis_server::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let cert =
        reqwest::Certificate::from_pem(&std::fs::read(tls_dir.join("cert.pem")).expect("cert"))
            .expect("pem");
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .build()
        .expect("client");
    let response = http
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .expect("https request");
    assert_eq!(response.status(), 200);
    let hsts = response.headers()["strict-transport-security"]
        .to_str()
        .expect("ascii");
    assert!(hsts.starts_with("max-age="));
    // Plain HTTP on the TLS port gets no answer.
    assert!(meldkluis_tests::client()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .is_err());

    let _ = stop.send(());
    server.await.expect("join").expect("server stops cleanly");
}
