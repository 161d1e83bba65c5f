//! What the on-demand load benchmarks (`meldkluis-load`,
//! `meldkluis-backup-load`) share: the real server binary as a child
//! process, a tenant with fresh keys, and pre-sealed report submissions.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::Context as _;
use meldkluis_crypto_core::{ItemId, ItemKind, PublicKey, StaticKey, StaticSecret, TenantId};
use meldkluis_server::admin::Admin;
use rand::RngCore;
use serde_json::json;

use crate::{b64, seal};

/// The server under test, as a separate process; killed when dropped.
#[derive(Debug)]
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:port`, from the server's "listening on" line.
    pub base: String,
}

impl Server {
    /// Starts `bin --config config serve` on a free port and waits for its
    /// "listening on" line.
    pub fn start(bin: &Path, config: &Path) -> anyhow::Result<Self> {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(bin)
            .arg("--config")
            .arg(config)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("MELDKLUIS_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut line = String::new();
        let mut output = BufReader::new(child.stdout.take().context("stdout")?);
        output.read_line(&mut line)?;
        // The server's later log lines (warnings and errors only) go on to
        // stderr; a closed pipe would make the server lose them.
        std::thread::spawn(move || std::io::copy(&mut output, &mut std::io::stderr()));
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .context("no listening line")?
            .to_owned();
        Ok(Self { child, base })
    }

    /// (VmRSS, VmHWM) of the server process, in KiB.
    pub fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tenant's keys: who its reports are sealed to.
#[derive(Debug)]
pub struct TenantKeys {
    pub id: TenantId,
    /// The recovery key, then the advisors' keys.
    pub recipients: Vec<PublicKey>,
}

/// Creates tenant `id` called `name` with a fresh recovery key and
/// `advisors` fresh advisors, and a report quota no benchmark reaches.
pub fn create_tenant(
    admin: &Admin,
    id: &str,
    name: &str,
    advisors: usize,
) -> anyhow::Result<TenantKeys> {
    let tenant = TenantId::new(id).context("tenant id")?;
    admin.create_tenant(&tenant, name, &["nl".into()], None)?;
    // A load test files far more reports in a day than the default quota.
    admin.set_quotas(&tenant, Some(1 << 40), None, None, None)?;
    let mut rng = meldkluis_crypto_core::os_rng();
    let recovery = StaticSecret::generate(&mut rng);
    admin.set_recovery_key(&tenant, &recovery.public_key())?;
    let mut recipients = vec![recovery.public_key()];
    for i in 0..advisors {
        let advisor = StaticSecret::generate(&mut rng);
        let name = if advisors == 1 {
            "Advisor".to_owned()
        } else {
            format!("Advisor {i}")
        };
        admin.add_advisor(&tenant, &advisor.public_key(), &name)?;
        recipients.push(advisor.public_key());
    }
    Ok(TenantKeys {
        id: tenant,
        recipients,
    })
}

/// A pre-sealed report and what its submission and log-in need.
pub struct SealedReport {
    /// The JSON submission body.
    pub body: bytes::Bytes,
    pub mailbox_id: [u8; 16],
    pub auth_secret: [u8; 32],
    pub item: Vec<u8>,
    pub report_id: [u8; 16],
}

impl std::fmt::Debug for SealedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedReport")
            .field("report_id", &hex::encode(self.report_id))
            .finish_non_exhaustive()
    }
}

impl SealedReport {
    /// A report of 4 KiB random content from a fresh mailbox, sealed to
    /// `tenant`'s recipients.
    pub fn new(tenant: &TenantKeys) -> Self {
        let mut rng = meldkluis_crypto_core::os_rng();
        let mailbox = StaticSecret::generate(&mut rng);
        let id = ItemId::random(&mut rng);
        let mut recipients = vec![mailbox.public_key()];
        recipients.extend_from_slice(&tenant.recipients);
        let mut content = vec![0u8; 4096];
        rng.fill_bytes(&mut content);
        let item = seal(
            ItemKind::Report,
            &tenant.id,
            id,
            id,
            &mailbox,
            &recipients,
            &content,
        );
        let mut mailbox_id = [0u8; 16];
        rng.fill_bytes(&mut mailbox_id);
        let mut auth_secret = [0u8; 32];
        rng.fill_bytes(&mut auth_secret);
        let body = json!({
            "item": b64(&item),
            "mailbox_id": hex::encode(mailbox_id),
            "mailbox_public_key": mailbox.public_key().to_hex(),
            "auth_secret": hex::encode(auth_secret),
        });
        Self {
            body: bytes::Bytes::from(body.to_string()),
            mailbox_id,
            auth_secret,
            item,
            report_id: id.0,
        }
    }
}
