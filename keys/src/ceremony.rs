//! The offline recovery ceremony: the recovery key never on a networked
//! machine.
//!
//! 1. On the advisor's machine, logged in with the new key:
//!    `meldkluis-advisor recover --export REQUESTS --lost KEY` writes a
//!    [`GrantRequests`] file: every report the server lists to the new key,
//!    with its sealed items (report, messages, attachments), all ciphertext.
//! 2. On an offline machine: `meldkluis-recovery-key seal-grants REQUESTS
//!    GRANTS` reads the recovery key's paper form, opens each report with
//!    it, keeps only the reports whose report item names a lost key as a
//!    recipient (the file comes from the server and proves nothing by
//!    itself), and writes a [`SealedGrants`] file: key grants to the new key
//!    and, per report, the key introduction the reporter needs.
//! 3. Back on the advisor's machine: `meldkluis-advisor recover --import
//!    GRANTS` posts them.
//!
//! Both files hold ciphertext and public keys only; carrying them on a USB
//! stick reveals what the server already knows.

use meldkluis_crypto_core::{
    grant_item_key, open_item, Access, Expect, GrantParams, ItemHeader, ItemKind, PublicKey,
    StaticKey, TenantId,
};
use serde::{Deserialize, Serialize};

use crate::client::{decode_item, ServerClient};
pub use crate::reseal::RecoverySelection;
use crate::reseal::{introduction, Reseal, ResealOutcome};
use crate::Error;

/// The `format` of a grant requests file.
pub const REQUESTS_FORMAT: &str = "meldkluis-grant-requests/1";
/// The `format` of a sealed grants file.
pub const GRANTS_FORMAT: &str = "meldkluis-grants/1";

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What the offline side is asked to grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GrantRequests {
    /// [`REQUESTS_FORMAT`].
    pub format: String,
    /// The tenant.
    pub tenant: String,
    /// The new advisor key (hex).
    pub grantee: String,
    /// The new key's name as reporters know it.
    pub grantee_name: String,
    /// The lost keys (hex), as the advisor named them.
    pub lost: Vec<String>,
    /// The reports the server listed.
    pub reports: Vec<RequestedReport>,
}

/// One listed report and its sealed items.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestedReport {
    /// The report id (hex).
    pub report_id: String,
    /// The sealed report (base64).
    pub report: String,
    /// The thread's sealed messages, oldest first: (id, base64).
    pub messages: Vec<(String, String)>,
    /// The thread's sealed attachments: (id, base64).
    pub attachments: Vec<(String, String)>,
}

/// What the offline side sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealedGrants {
    /// [`GRANTS_FORMAT`].
    pub format: String,
    /// The tenant.
    pub tenant: String,
    /// The new advisor key (hex).
    pub grantee: String,
    /// Per chosen report.
    pub reports: Vec<SealedReport>,
}

/// The grants and the key introduction for one report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealedReport {
    /// The report id (hex).
    pub report_id: String,
    /// Key grants (base64).
    pub grants: Vec<String>,
    /// The key introduction to post in the thread (base64), if needed.
    pub introduction: Option<String>,
}

/// Step 1, online: the requests for every report the server lists to the
/// logged-in new key.
pub async fn export_requests(
    client: &ServerClient,
    grantee: PublicKey,
    grantee_name: &str,
    lost: &[PublicKey],
) -> Result<GrantRequests, Error> {
    let mut reports = Vec::new();
    for summary in client.reports().await?.reports {
        let thread = client.thread(&summary.report_id).await?;
        if thread.report_id != summary.report_id {
            return Err(Error::Protocol("the server sent another report's thread"));
        }
        let mut attachments = Vec::new();
        for attachment in &thread.attachments {
            let item = client.attachment(&thread.report_id, &attachment.id).await?;
            attachments.push((attachment.id.clone(), b64(&item)));
        }
        reports.push(RequestedReport {
            report_id: thread.report_id.clone(),
            report: thread.report.clone(),
            messages: thread
                .messages
                .iter()
                .map(|m| (m.id.clone(), m.item.clone()))
                .collect(),
            attachments,
        });
    }
    Ok(GrantRequests {
        format: REQUESTS_FORMAT.to_owned(),
        tenant: client.tenant().as_str().to_owned(),
        grantee: grantee.to_hex(),
        grantee_name: grantee_name.to_owned(),
        lost: lost.iter().map(PublicKey::to_hex).collect(),
        reports,
    })
}

/// Step 2, offline, before anything is sealed: the reports whose report
/// item, opened with the recovery key, names a lost key (id and item
/// count), and the ids of the others.
pub fn choose(
    requests: &GrantRequests,
    recovery: &dyn StaticKey,
) -> Result<RecoverySelection, Error> {
    let (tenant, _, lost) = parse_requests(requests)?;
    let mut chosen = Vec::new();
    let mut left_out = Vec::new();
    for report in &requests.reports {
        let items = 1 + report.messages.len() + report.attachments.len();
        if names_lost(&tenant, report, recovery, &lost) {
            chosen.push((report.report_id.clone(), items));
        } else {
            left_out.push(report.report_id.clone());
        }
    }
    Ok(RecoverySelection { chosen, left_out })
}

fn parse_requests(
    requests: &GrantRequests,
) -> Result<(TenantId, PublicKey, Vec<PublicKey>), Error> {
    const BAD: Error = Error::Malformed("grant requests file");
    if requests.format != REQUESTS_FORMAT {
        return Err(BAD);
    }
    let tenant = TenantId::new(&requests.tenant).map_err(|_| BAD)?;
    let grantee = PublicKey::from_hex(&requests.grantee).map_err(|_| BAD)?;
    let lost = requests
        .lost
        .iter()
        .map(|k| PublicKey::from_hex(k).map_err(|_| BAD))
        .collect::<Result<Vec<_>, _>>()?;
    if lost.is_empty() {
        return Err(BAD);
    }
    Ok((tenant, grantee, lost))
}

/// Whether the report opens with the recovery key (so its header is
/// authentic), is the report of this id, and names a lost key.
fn names_lost(
    tenant: &TenantId,
    report: &RequestedReport,
    recovery: &dyn StaticKey,
    lost: &[PublicKey],
) -> bool {
    let Ok(bytes) = decode_item(&report.report) else {
        return false;
    };
    let Ok((header, _)) = ItemHeader::parse(&bytes) else {
        return false;
    };
    let ids = header.item_id.to_hex() == report.report_id
        && header.report_id == header.item_id
        && header.kind == ItemKind::Report;
    ids && open_item(
        &bytes,
        recovery,
        &Expect {
            tenant,
            senders: &[header.sender],
        },
    )
    .is_ok()
        && lost.iter().any(|k| header.recipients.contains(k))
}

/// Step 2, offline: seals grants for every item of the chosen reports (see
/// [`choose`]) and the key introductions. Nothing else is granted.
pub fn seal_grants(
    requests: &GrantRequests,
    recovery: &dyn StaticKey,
) -> Result<SealedGrants, Error> {
    let (tenant, grantee, lost) = parse_requests(requests)?;
    let recovery_key = recovery.public_key();
    let mut rng = meldkluis_crypto_core::os_rng();
    let mut reports = Vec::new();
    for report in &requests.reports {
        if !names_lost(&tenant, report, recovery, &lost) {
            continue;
        }
        let report_bytes = decode_item(&report.report)?;
        let mut messages = Vec::new();
        for (_, item) in &report.messages {
            messages.push(decode_item(item)?);
        }
        let mut items = vec![report_bytes.clone()];
        items.extend(messages.iter().cloned());
        for (_, item) in &report.attachments {
            items.push(decode_item(item)?);
        }
        let mut grants = Vec::new();
        for item in &items {
            let Ok((header, _)) = ItemHeader::parse(item) else {
                continue;
            };
            if header.recipients.contains(&grantee)
                || !header.recipients.contains(&recovery_key)
                || header.report_id.to_hex() != report.report_id
            {
                continue;
            }
            let params = GrantParams {
                tenant: &tenant,
                grantor: recovery,
                grantor_access: Access::Stanza,
                grantee: &grantee,
            };
            if let Ok(grant) = grant_item_key(item, &params, &mut rng) {
                grants.push(b64(&grant));
            }
        }
        let job = Reseal {
            grantor: recovery,
            grantor_trusts: &[],
            grantee,
            logged_in_as: grantee,
            grantee_name: requests.grantee_name.clone(),
        };
        let introduction = introduction(&tenant, &job, &report_bytes, &messages)?;
        reports.push(SealedReport {
            report_id: report.report_id.clone(),
            grants,
            introduction: introduction.as_deref().map(b64),
        });
    }
    Ok(SealedGrants {
        format: GRANTS_FORMAT.to_owned(),
        tenant: tenant.as_str().to_owned(),
        grantee: grantee.to_hex(),
        reports,
    })
}

/// Step 3, online: posts the grants and introductions, logged in as the new
/// key (which must be the file's grantee).
pub async fn import_grants(
    client: &ServerClient,
    logged_in_as: PublicKey,
    sealed: &SealedGrants,
) -> Result<ResealOutcome, Error> {
    if sealed.format != GRANTS_FORMAT
        || sealed.tenant != client.tenant().as_str()
        || PublicKey::from_hex(&sealed.grantee).ok() != Some(logged_in_as)
    {
        return Err(Error::Malformed(
            "sealed grants file (another format, tenant or new key)",
        ));
    }
    let mut outcome = ResealOutcome::default();
    for report in &sealed.reports {
        if meldkluis_crypto_core::ItemId::from_hex(&report.report_id).is_err() {
            return Err(Error::Malformed("sealed grants file (a report id)"));
        }
        outcome.reports += 1;
        let grants = report
            .grants
            .iter()
            .map(|g| decode_item(g))
            .collect::<Result<Vec<_>, _>>()?;
        outcome.items += grants.len();
        outcome.granted += client.post_grants(&report.report_id, &grants).await?;
        if let Some(introduction) = &report.introduction {
            client
                .post_message(&report.report_id, &decode_item(introduction)?)
                .await?;
            outcome.introduced += 1;
        }
    }
    Ok(outcome)
}
