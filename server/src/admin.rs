//! The operator's tools: tenants, advisors, recovery keys, questionnaires,
//! and the demo tenant. Synchronous: used by the command line, which may run
//! while the server is serving (SQLite's locking and the busy timeout keep
//! them apart; the server sees changes within a few seconds).
//!
//! Nothing here can read a report: the operator only ever handles public
//! keys and names.

use std::path::Path;

use meldkluis_crypto_core::{PublicKey, TenantId};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use crate::config::Config;
use crate::db;
use crate::error::Lang;
use crate::notices::{AdvisorAddresses, EmailAddress};
use crate::profile;
use crate::store;
use crate::tenants::{public_config, read_record, Layout, TenantRecord};

/// Why an operator command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// There is no such tenant.
    #[error("no tenant {0}")]
    NoSuchTenant(String),
    /// The tenant already exists.
    #[error("tenant {0} already exists")]
    TenantExists(String),
    /// There is no such advisor.
    #[error("no such advisor")]
    NoSuchAdvisor,
    /// An argument is invalid.
    #[error("invalid {0}")]
    Invalid(String),
    /// A database failed.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A file failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The e-mail store or the notice key failed.
    #[error(transparent)]
    Notices(#[from] crate::notices::NoticeStartError),
    /// Litestream could not register the new tenant's database or confirm
    /// its replica (`[replication]`); the tenant is not listed.
    #[error("replication: {0}")]
    Replication(#[from] crate::replication::ReplicationError),
}

/// Refuses a key that is a management or forward recipient of the tenant
/// (current or removed): a key has one role in a tenant.
fn refuse_recipient_key(conn: &Connection, key: &PublicKey) -> Result<(), AdminError> {
    if crate::org::recipient_by_key(conn, key)?.is_some() {
        return Err(AdminError::Invalid(
            "public key: it is a recipient's key in this tenant".into(),
        ));
    }
    Ok(())
}

/// A change of a tenant's lifecycle settings (`tenant set-lifecycle`):
/// `None` keeps a value as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LifecycleChange {
    /// Months a closed report is kept (1 to 60).
    pub retention_months: Option<u32>,
    /// Months a register line is kept after closure (12 to 120).
    pub register_months: Option<u32>,
    /// Weeks of the reporter's silence before closing is offered (0, or 2
    /// to 52).
    pub silence_weeks: Option<u32>,
    /// The figures threshold (3 to 50): no count below it is shown in a
    /// figures report.
    pub figures_threshold: Option<u32>,
}

/// Largest questionnaire accepted, in bytes of JSON.
const MAX_QUESTIONNAIRE_BYTES: usize = 256 * 1024;

/// The operator's handle on a data directory.
#[derive(Debug)]
pub struct Admin {
    layout: Layout,
    server: Connection,
    default_max_attachment_bytes: u64,
    config: Config,
}

/// A tenant with its enrolments, for `tenant show`.
#[derive(Debug, serde::Serialize)]
pub struct TenantDetails {
    /// The tenant's record.
    pub tenant: TenantRecord,
    /// Languages offered.
    pub languages: Value,
    /// Advisors, active or not.
    pub advisors: Vec<store::Advisor>,
    /// The offline recovery key (public half), hex.
    pub recovery_key: Option<String>,
    /// Number of reports (a count only).
    pub report_count: u64,
    /// The end of a report's life: retention, register and silence
    /// periods; and the figures threshold.
    pub lifecycle: crate::retention::Lifecycle,
    /// Voice messages: on or off, disguise required or optional.
    pub voice: profile::Voice,
    /// Follow-up mailboxes no advisor joined yet (a count only).
    pub follow_up_count: u64,
}

impl Admin {
    /// Opens the server database of the configured data directory.
    pub fn open(config: &Config) -> Result<Self, AdminError> {
        let layout = Layout::new(&config.data_dir);
        std::fs::create_dir_all(config.data_dir.join("tenants"))?;
        let server = db::open(&layout.server_db(), db::SERVER_MIGRATIONS)?;
        Ok(Self {
            layout,
            server,
            default_max_attachment_bytes: config.default_max_attachment_bytes,
            config: config.clone(),
        })
    }

    /// The data layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    fn record(&self, id: &TenantId) -> Result<TenantRecord, AdminError> {
        read_record(&self.server, id)?.ok_or_else(|| AdminError::NoSuchTenant(id.to_string()))
    }

    fn tenant_db(&self, id: &TenantId) -> Result<Connection, AdminError> {
        self.record(id)?;
        Ok(db::open_tenant(&self.layout.tenant_db(id))?)
    }

    /// Marks a change of the tenant's public configuration as under way;
    /// the stored answer is built again when it is dropped (keep it until
    /// the change is committed; see `tenants::public_config`).
    fn public_change(&self, id: &TenantId) -> Result<public_config::Change<'_>, AdminError> {
        self.record(id)?;
        Ok(public_config::Change::begin(
            &self.server,
            &self.layout,
            id,
        )?)
    }

    /// Creates a tenant: its directory and database first, then its entry
    /// in the tenant list (so a listed tenant always has its files).
    pub fn create_tenant(
        &self,
        id: &TenantId,
        name: &str,
        languages: &[String],
        questionnaire: Option<Value>,
    ) -> Result<TenantRecord, AdminError> {
        if read_record(&self.server, id)?.is_some() {
            return Err(AdminError::TenantExists(id.to_string()));
        }
        // The deletion log applies a tenant's deletion to a tenant of that
        // id created on or before the deletion's day; one created the same
        // day would be deleted again at the next start.
        let today = crate::dates::Day::today();
        let deleted_today =
            crate::deletion_log::DeletionLog::read(&self.config.deletion_log_path())
                .map_err(|e| AdminError::Invalid(e.to_string()))?
                .iter()
                .any(|entry| {
                    matches!(entry, crate::deletion_log::Entry::Tenant { day, tenant }
                    if tenant == id && *day >= today)
                });
        if deleted_today {
            return Err(AdminError::Invalid(format!(
                "tenant id {id}: a tenant of this id was deleted today; choose another id or create it tomorrow"
            )));
        }
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(AdminError::Invalid("name (1 to 200 characters)".into()));
        }
        let languages = check_languages(languages)?;
        let questionnaire = match questionnaire {
            Some(q) => questionnaire_bytes(&q)?,
            None => questionnaire_bytes(
                &serde_json::to_value(profile::default_questionnaire())
                    .map_err(|e| AdminError::Invalid(e.to_string()))?,
            )?,
        };
        let _public = public_config::Change::begin(&self.server, &self.layout, id)?;
        crate::config::create_private_dir(&self.layout.tenant_dir(id))?;
        let conn = db::open_tenant(&self.layout.tenant_db(id))?;
        let languages =
            serde_json::to_vec(&languages).map_err(|e| AdminError::Invalid(e.to_string()))?;
        store::set_setting(&conn, store::SETTING_LANGUAGES, &languages)?;
        store::set_setting(&conn, store::SETTING_QUESTIONNAIRE, &questionnaire)?;
        drop(conn);
        // With replication, the new database is in the object store before
        // the tenant is listed (and so before it can take a report). A
        // cluster seeds new tenants its own way (`crate::cluster`).
        if let (Some(replication), None) = (&self.config.replication, &self.config.cluster) {
            crate::replication::SingleNode::new(replication.clone())
                .register_and_sync(id, &self.layout.tenant_db(id))?;
        }
        self.server.execute(
            "INSERT INTO tenants (id, name, created_day, max_attachment_bytes) VALUES (?1, ?2, ?3, ?4)",
            params![id.as_str(), name, store::today(), i64::try_from(self.default_max_attachment_bytes).unwrap_or(i64::MAX)],
        )?;
        self.record(id)
    }

    /// All tenants, by id.
    pub fn list_tenants(&self) -> Result<Vec<TenantRecord>, AdminError> {
        let ids: Vec<String> = self
            .server
            .prepare("SELECT id FROM tenants ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.iter()
            .filter_map(|id| TenantId::new(id).ok())
            .map(|id| self.record(&id))
            .collect()
    }

    /// One tenant with its enrolments.
    pub fn show_tenant(&self, id: &TenantId) -> Result<TenantDetails, AdminError> {
        let tenant = self.record(id)?;
        let conn = self.tenant_db(id)?;
        let languages = store::setting(&conn, store::SETTING_LANGUAGES)?
            .and_then(|v| serde_json::from_slice(&v).ok())
            .unwrap_or(Value::Null);
        let report_count: i64 = conn.query_row("SELECT count(*) FROM reports", [], |r| r.get(0))?;
        Ok(TenantDetails {
            tenant,
            languages,
            advisors: store::advisors(&conn, false)?,
            recovery_key: store::recovery_key(&conn)?.map(|k| k.to_hex()),
            report_count: u64::try_from(report_count).unwrap_or(0),
            lifecycle: crate::retention::lifecycle(&conn)?,
            voice: store::voice(&conn)?,
            follow_up_count: crate::follow_up::count(&conn)?,
        })
    }

    /// Changes a tenant's lifecycle (`None` keeps a value as it is): the
    /// months a closed report is kept, the months its register line is
    /// kept after closure, the weeks of the reporter's silence after which
    /// advisors are offered to close (0: never). Returns the lifecycle now
    /// in force; the server uses it from its next request and next run.
    pub fn set_lifecycle(
        &self,
        id: &TenantId,
        retention_months: Option<u32>,
        register_months: Option<u32>,
        silence_weeks: Option<u32>,
    ) -> Result<crate::retention::Lifecycle, AdminError> {
        self.change_lifecycle(
            id,
            &LifecycleChange {
                retention_months,
                register_months,
                silence_weeks,
                figures_threshold: None,
            },
        )
    }

    /// Changes a tenant's lifecycle settings, the figures threshold
    /// included (`None` keeps a value as it is). Every value is checked
    /// before anything is stored: a refused change changes nothing.
    /// Returns the lifecycle now in force.
    pub fn change_lifecycle(
        &self,
        id: &TenantId,
        change: &LifecycleChange,
    ) -> Result<crate::retention::Lifecycle, AdminError> {
        let conn = self.tenant_db(id)?;
        let current = crate::retention::lifecycle(&conn)?;
        let lifecycle = crate::retention::Lifecycle {
            retention_months: change.retention_months.unwrap_or(current.retention_months),
            register_months: change.register_months.unwrap_or(current.register_months),
            silence_weeks: change.silence_weeks.unwrap_or(current.silence_weeks),
            figures_threshold: change
                .figures_threshold
                .unwrap_or(current.figures_threshold),
        };
        crate::retention::set_lifecycle(&conn, &lifecycle)?
            .map_err(|e| AdminError::Invalid(e.to_string()))?;
        Ok(lifecycle)
    }

    /// Changes a tenant's information page ([`crate::info`]): everything
    /// is checked, then stored in one transaction; a refused change stores
    /// nothing.
    pub fn set_info(
        &self,
        id: &TenantId,
        change: &crate::info::InfoChange,
    ) -> Result<(), AdminError> {
        let mut conn = self.tenant_db(id)?;
        change.apply(&mut conn).map_err(|e| match e {
            crate::info::ApplyError::Invalid(e) => AdminError::Invalid(e.to_string()),
            crate::info::ApplyError::Database(e) => AdminError::Database(e),
        })
    }

    /// What a tenant's information page holds (`tenant info-show`).
    pub fn info(&self, id: &TenantId) -> Result<crate::info::InfoSummary, AdminError> {
        Ok(crate::info::summary(&self.tenant_db(id)?)?)
    }

    /// Disables (or re-enables) a tenant.
    pub fn set_disabled(&self, id: &TenantId, disabled: bool) -> Result<(), AdminError> {
        self.record(id)?;
        self.server.execute(
            "UPDATE tenants SET disabled = ?2 WHERE id = ?1",
            params![id.as_str(), disabled],
        )?;
        Ok(())
    }

    /// Sets the largest attachment a tenant accepts.
    pub fn set_max_attachment_bytes(&self, id: &TenantId, bytes: u64) -> Result<(), AdminError> {
        self.record(id)?;
        let bytes = i64::try_from(bytes)
            .ok()
            .filter(|b| *b > 0)
            .ok_or_else(|| AdminError::Invalid("size".into()))?;
        self.server.execute(
            "UPDATE tenants SET max_attachment_bytes = ?2 WHERE id = ?1",
            params![id.as_str(), bytes],
        )?;
        Ok(())
    }

    /// Changes a tenant's quotas; `None` keeps a value as it is.
    pub fn set_quotas(
        &self,
        id: &TenantId,
        reports_per_day: Option<u64>,
        messages_per_report: Option<u64>,
        attachments_per_report: Option<u64>,
        attachment_bytes_per_report: Option<u64>,
    ) -> Result<crate::tenants::Quotas, AdminError> {
        let current = self.record(id)?.quotas;
        let positive = |value: Option<u64>, old: u64, name: &str| {
            let value = value.unwrap_or(old);
            i64::try_from(value)
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| AdminError::Invalid(format!("{name} (must be at least 1)")))
        };
        let values = [
            positive(reports_per_day, current.reports_per_day, "reports per day")?,
            positive(
                messages_per_report,
                current.messages_per_report,
                "messages per report",
            )?,
            positive(
                attachments_per_report,
                current.attachments_per_report,
                "attachments per report",
            )?,
            positive(
                attachment_bytes_per_report,
                current.attachment_bytes_per_report,
                "attachment bytes per report",
            )?,
        ];
        self.server.execute(
            "UPDATE tenants SET reports_per_day = ?2, messages_per_report = ?3,
                 attachments_per_report = ?4, attachment_bytes_per_report = ?5
             WHERE id = ?1",
            params![id.as_str(), values[0], values[1], values[2], values[3]],
        )?;
        Ok(self.record(id)?.quotas)
    }

    /// Replaces a tenant's questionnaire.
    pub fn set_questionnaire(
        &self,
        id: &TenantId,
        questionnaire: &Value,
    ) -> Result<(), AdminError> {
        let _public = self.public_change(id)?;
        let conn = self.tenant_db(id)?;
        store::set_setting(
            &conn,
            store::SETTING_QUESTIONNAIRE,
            &questionnaire_bytes(questionnaire)?,
        )?;
        Ok(())
    }

    /// Sets a tenant's colour and, if given, its logo (PNG, JPEG or WebP).
    pub fn set_branding(
        &self,
        id: &TenantId,
        colour: Option<&str>,
        logo: Option<&[u8]>,
    ) -> Result<(), AdminError> {
        let conn = self.tenant_db(id)?;
        let mut branding = store::branding(&conn)?;
        if let Some(colour) = colour {
            branding.colour = colour.trim().to_ascii_lowercase();
        }
        if let Some(logo) = logo {
            if logo.len() > profile::MAX_LOGO_BYTES || profile::logo_content_type(logo).is_none() {
                return Err(AdminError::Invalid(format!(
                    "logo: a PNG, JPEG or WebP file of at most {} KiB",
                    profile::MAX_LOGO_BYTES / 1024
                )));
            }
            store::set_setting(&conn, store::SETTING_LOGO, logo)?;
            branding.has_logo = true;
        }
        branding
            .check()
            .map_err(|e| AdminError::Invalid(e.to_string()))?;
        let bytes =
            serde_json::to_vec(&branding).map_err(|e| AdminError::Invalid(e.to_string()))?;
        store::set_setting(&conn, store::SETTING_BRANDING, &bytes)?;
        Ok(())
    }

    /// Sets a tenant's voice messages (issue 13): on or off, and whether
    /// the disguise is required or the reporter's choice (unnamed values
    /// stay as they are). Returns the setting now in force.
    pub fn set_voice(
        &self,
        id: &TenantId,
        enabled: Option<bool>,
        disguise: Option<profile::Disguise>,
    ) -> Result<profile::Voice, AdminError> {
        let _public = self.public_change(id)?;
        let conn = self.tenant_db(id)?;
        let mut voice = store::voice(&conn)?;
        if let Some(enabled) = enabled {
            voice.enabled = enabled;
        }
        if let Some(disguise) = disguise {
            voice.disguise = disguise;
        }
        let bytes = serde_json::to_vec(&voice).map_err(|e| AdminError::Invalid(e.to_string()))?;
        store::set_setting(&conn, store::SETTING_VOICE, &bytes)?;
        Ok(voice)
    }

    /// Sets the languages a tenant offers (the first is its default).
    pub fn set_languages(&self, id: &TenantId, languages: &[String]) -> Result<(), AdminError> {
        let languages = check_languages(languages)?;
        let _public = self.public_change(id)?;
        let conn = self.tenant_db(id)?;
        let bytes =
            serde_json::to_vec(&languages).map_err(|e| AdminError::Invalid(e.to_string()))?;
        store::set_setting(&conn, store::SETTING_LANGUAGES, &bytes)?;
        Ok(())
    }

    /// Enrols an advisor's public key (or re-activates it with a new name).
    pub fn add_advisor(
        &self,
        id: &TenantId,
        key: &PublicKey,
        display_name: &str,
    ) -> Result<i64, AdminError> {
        let display_name = display_name.trim();
        if display_name.is_empty() || display_name.len() > 200 {
            return Err(AdminError::Invalid(
                "display name (1 to 200 characters)".into(),
            ));
        }
        let _public = self.public_change(id)?;
        let conn = self.tenant_db(id)?;
        refuse_recipient_key(&conn, key)?;
        conn.execute(
            "INSERT INTO advisors (public_key, display_name, added_day) VALUES (?1, ?2, ?3)
             ON CONFLICT (public_key) DO UPDATE SET display_name = excluded.display_name, active = 1",
            params![key.as_bytes(), display_name, store::today()],
        )?;
        Ok(conn.query_row(
            "SELECT id FROM advisors WHERE public_key = ?1",
            [key.as_bytes()],
            |r| r.get(0),
        )?)
    }

    /// Removes an advisor: no more log-ins and no new reports; their name
    /// stays attached to what they did. Their reminder address is deleted.
    pub fn remove_advisor(&self, id: &TenantId, key: &PublicKey) -> Result<(), AdminError> {
        let _public = self.public_change(id)?;
        let conn = self.tenant_db(id)?;
        let changed = conn.execute(
            "UPDATE advisors SET active = 0 WHERE public_key = ?1",
            [key.as_bytes()],
        )?;
        if changed == 0 {
            return Err(AdminError::NoSuchAdvisor);
        }
        if let Some(addresses) = AdvisorAddresses::open(&self.config, false)? {
            addresses.set(id, key, None)?;
        }
        Ok(())
    }

    /// Replaces an advisor's key (a lost token, or a planned rotation): the
    /// new key is enrolled (under the old display name unless `name` is
    /// given), inherits access to every report the old key could read, and
    /// the old key is revoked, so its log-in fails from now on. All in one
    /// transaction. Returns the new key's advisor id and the number of
    /// reports it inherited.
    ///
    /// The new key can then fetch those reports but opens them only through
    /// key grants: from the recovery key (`meldkluis-advisor recover`) or,
    /// when rotating, from the old key (`meldkluis-advisor rotate`).
    pub fn replace_advisor(
        &self,
        id: &TenantId,
        old: &PublicKey,
        new: &PublicKey,
        name: Option<&str>,
    ) -> Result<(i64, usize), AdminError> {
        if old == new {
            return Err(AdminError::Invalid("new key (equal to the old key)".into()));
        }
        let _public = self.public_change(id)?;
        let mut conn = self.tenant_db(id)?;
        refuse_recipient_key(&conn, new)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let old_name: String = tx
            .query_row(
                "SELECT display_name FROM advisors WHERE public_key = ?1",
                [old.as_bytes()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(AdminError::NoSuchAdvisor)?;
        let display_name = name.map_or(old_name.as_str(), str::trim);
        if display_name.is_empty() || display_name.len() > 200 {
            return Err(AdminError::Invalid(
                "display name (1 to 200 characters)".into(),
            ));
        }
        tx.execute(
            "INSERT INTO advisors (public_key, display_name, added_day) VALUES (?1, ?2, ?3)
             ON CONFLICT (public_key) DO UPDATE SET display_name = excluded.display_name, active = 1",
            params![new.as_bytes(), display_name, store::today()],
        )?;
        let inherited = store::inherit_report_access(&tx, old, new)?;
        tx.execute(
            "UPDATE advisors SET active = 0 WHERE public_key = ?1",
            [old.as_bytes()],
        )?;
        let new_id = tx.query_row(
            "SELECT id FROM advisors WHERE public_key = ?1",
            [new.as_bytes()],
            |r| r.get(0),
        )?;
        crate::info::inherit_profile(&tx, old, new_id)?;
        tx.commit()?;
        Ok((new_id, inherited))
    }

    /// Sets (or, with `None`, removes) the address an enrolled advisor's
    /// daily digest of deadlines goes to. Stored sealed in the e-mail
    /// store, never in the tenant database.
    pub fn set_advisor_email(
        &self,
        id: &TenantId,
        key: &PublicKey,
        address: Option<(&EmailAddress, Lang)>,
    ) -> Result<(), AdminError> {
        let conn = self.tenant_db(id)?;
        let enrolled: bool = conn
            .prepare("SELECT 1 FROM advisors WHERE public_key = ?1")?
            .exists([key.as_bytes()])?;
        if !enrolled {
            return Err(AdminError::NoSuchAdvisor);
        }
        if let Some(addresses) = AdvisorAddresses::open(&self.config, address.is_some())? {
            addresses.set(id, key, address)?;
        }
        Ok(())
    }

    /// True if an advisor has a reminder address.
    pub fn advisor_has_email(&self, id: &TenantId, key: &PublicKey) -> Result<bool, AdminError> {
        Ok(match AdvisorAddresses::open(&self.config, false)? {
            Some(addresses) => addresses.has(id, key)?,
            None => false,
        })
    }

    /// A tenant's advisors, active or not.
    pub fn list_advisors(&self, id: &TenantId) -> Result<Vec<store::Advisor>, AdminError> {
        Ok(store::advisors(&self.tenant_db(id)?, false)?)
    }

    /// Makes a single-use invitation for a management or forward recipient
    /// who enrols with an enrolment code (in the browser), valid for
    /// `valid_days` days (1 to 30) from today. Returns the enrolment link
    /// (`{public_url}/t/{tenant}/enrol#<64 hex secret>`: the secret is in
    /// the fragment, which browsers never send, so it reaches no server
    /// log) and the last day it works. Only the SHA-256 of the secret is
    /// stored.
    pub fn invite_recipient(
        &self,
        id: &TenantId,
        role: &str,
        label: &str,
        valid_days: u32,
    ) -> Result<(String, String), AdminError> {
        let role = crate::org::check_role(role).map_err(|e| AdminError::Invalid(e.to_string()))?;
        let label =
            crate::org::check_label(label).map_err(|e| AdminError::Invalid(e.to_string()))?;
        if !crate::org::INVITATION_DAYS.1.contains(&valid_days) {
            return Err(AdminError::Invalid("validity: 1 to 30 days".into()));
        }
        let conn = self.tenant_db(id)?;
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, secret.as_mut());
        let hash: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(secret.as_ref()).into();
        let today = crate::dates::Day::today();
        let expires = today.add_days(i64::from(valid_days));
        crate::org::insert_invitation(&conn, &hash, role, &label, &expires.to_string())?;
        let link = format!(
            "{}/t/{}/enrol#{}",
            self.config.public_url().trim_end_matches('/'),
            id.as_str(),
            hex::encode(secret.as_ref())
        );
        Ok((link, expires.add_days(-1).to_string()))
    }

    /// Enrols a recipient who holds a hardware token: its public key as
    /// `meldkluis-advisor-key export` printed it. Returns the recipient.
    pub fn add_recipient(
        &self,
        id: &TenantId,
        role: &str,
        label: &str,
        key: &PublicKey,
    ) -> Result<crate::org::Recipient, AdminError> {
        let role = crate::org::check_role(role).map_err(|e| AdminError::Invalid(e.to_string()))?;
        let label =
            crate::org::check_label(label).map_err(|e| AdminError::Invalid(e.to_string()))?;
        let conn = self.tenant_db(id)?;
        crate::org::add_recipient(&conn, role, &label, key, "token", &store::today())
            .map_err(|e| AdminError::Invalid(format!("public key: {}", e.detail())))?;
        crate::org::recipient_by_key(&conn, key)?
            .ok_or_else(|| AdminError::Invalid("public key".into()))
    }

    /// A tenant's recipients, current and removed.
    pub fn list_recipients(&self, id: &TenantId) -> Result<Vec<crate::org::Recipient>, AdminError> {
        Ok(crate::org::recipients(&self.tenant_db(id)?, false)?)
    }

    /// Removes a recipient: it can no longer log in, and nothing new can be
    /// sealed to it.
    pub fn remove_recipient(&self, id: &TenantId, key: &PublicKey) -> Result<(), AdminError> {
        let conn = self.tenant_db(id)?;
        if !crate::org::remove_recipient(&conn, key, &store::today())? {
            return Err(AdminError::Invalid(
                "public key: no current recipient of this tenant".into(),
            ));
        }
        Ok(())
    }

    /// Sets the public half of the tenant's offline recovery key (held by
    /// the advisors' organisation; its secret half never comes near the server).
    pub fn set_recovery_key(&self, id: &TenantId, key: &PublicKey) -> Result<(), AdminError> {
        let _public = self.public_change(id)?;
        let conn = self.tenant_db(id)?;
        refuse_recipient_key(&conn, key)?;
        store::set_setting(&conn, store::SETTING_RECOVERY_KEY, key.as_bytes())?;
        Ok(())
    }

    /// Replaces the tenant's recovery key by `key` (a new one the advisors
    /// confirmed), keeping the current one as a former recovery key: from
    /// now on new reports must be sealed to `key`, advisors may grant items
    /// to it, and thread items sealed to either are accepted (a reporter's
    /// mailbox seals to the key its report pinned until an advisor
    /// introduces the new one). Returns the replaced key.
    pub fn replace_recovery_key(
        &self,
        id: &TenantId,
        key: &PublicKey,
    ) -> Result<PublicKey, AdminError> {
        let _public = self.public_change(id)?;
        let mut conn = self.tenant_db(id)?;
        refuse_recipient_key(&conn, key)?;
        let tx = conn.transaction()?;
        let replaced = store::replace_recovery_key(&tx, key)?.map_err(|why| {
            AdminError::Invalid(
                match why {
                    store::RecoveryReplacement::NoneSet => {
                        "recovery key: none set yet (use `recovery-key set`)"
                    }
                    store::RecoveryReplacement::Unchanged => {
                        "recovery key: that is already the current one"
                    }
                    store::RecoveryReplacement::Former => {
                        "recovery key: that is a former recovery key of this tenant"
                    }
                }
                .to_owned(),
            )
        })?;
        tx.commit()?;
        Ok(replaced)
    }

    /// The tenant's former (replaced) recovery keys, oldest first.
    pub fn former_recovery_keys(&self, id: &TenantId) -> Result<Vec<PublicKey>, AdminError> {
        Ok(store::former_recovery_keys(&self.tenant_db(id)?)?)
    }

    /// The public half of the tenant's recovery key.
    pub fn recovery_key(&self, id: &TenantId) -> Result<Option<PublicKey>, AdminError> {
        Ok(store::recovery_key(&self.tenant_db(id)?)?)
    }

    /// Creates the demo tenant `demo` with a software advisor key and a
    /// software recovery key, both written to `DEMO-ONLY-keys/` in the data
    /// directory. For trying the product only: a real advisor key lives in a
    /// hardware token and a real recovery key offline.
    pub fn create_demo(&self) -> Result<DemoTenant, AdminError> {
        use meldkluis_crypto_core::{StaticKey, StaticSecret};
        let id = TenantId::new("demo").map_err(|e| AdminError::Invalid(e.to_string()))?;
        let dir = self.layout.demo_dir();
        crate::config::create_private_dir(&dir)?;
        let advisor_path = dir.join("DEMO-ONLY-advisor-key.hex");
        let recovery_path = dir.join("DEMO-ONLY-recovery-key.hex");
        if read_record(&self.server, &id)?.is_none() {
            self.create_tenant(
                &id,
                "Demo-organisatie (DEMO)",
                &["nl".to_owned(), "en".to_owned()],
                None,
            )?;
            let mut rng = meldkluis_crypto_core::os_rng();
            let advisor = StaticSecret::generate(&mut rng);
            let recovery = StaticSecret::generate(&mut rng);
            write_demo_secret(&advisor_path, &advisor)?;
            write_demo_secret(&recovery_path, &recovery)?;
            self.add_advisor(&id, &advisor.public_key(), "Demo-vertrouwenspersoon (DEMO)")?;
            self.set_recovery_key(&id, &recovery.public_key())?;
        }
        Ok(DemoTenant {
            tenant: id,
            advisor_key_path: advisor_path,
            recovery_key_path: recovery_path,
        })
    }
}

/// Where the demo tenant's software keys are.
#[derive(Debug)]
pub struct DemoTenant {
    /// The demo tenant.
    pub tenant: TenantId,
    /// The demo advisor's secret key (hex), DEMO ONLY.
    pub advisor_key_path: std::path::PathBuf,
    /// The demo recovery secret key (hex), DEMO ONLY.
    pub recovery_key_path: std::path::PathBuf,
}

fn write_demo_secret(
    path: &Path,
    key: &meldkluis_crypto_core::StaticSecret,
) -> std::io::Result<()> {
    use std::io::Write;
    let text = zeroize::Zeroizing::new(hex::encode(key.expose_secret_bytes()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(
        b"# DEMO ONLY - a software key for trying meldkluis. Never use for real reports.\n",
    )?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// Reads a questionnaire file (JSON, or TOML by extension).
pub fn read_questionnaire(path: &Path) -> Result<Value, AdminError> {
    let text = std::fs::read_to_string(path)?;
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if is_toml {
        toml::from_str(&text)
            .map_err(|e| AdminError::Invalid(format!("questionnaire: {}", e.message())))
    } else {
        serde_json::from_str(&text).map_err(|e| AdminError::Invalid(format!("questionnaire: {e}")))
    }
}

/// Language tags the catalogue knows, without duplicates, in the given order.
fn check_languages(languages: &[String]) -> Result<Vec<String>, AdminError> {
    let catalog = meldkluis_i18n::catalog();
    let known: Vec<&str> = catalog.languages().into_iter().map(|l| l.tag()).collect();
    let mut checked: Vec<String> = Vec::new();
    for tag in languages {
        let tag = tag.trim().to_ascii_lowercase();
        if !known.contains(&tag.as_str()) {
            return Err(AdminError::Invalid(format!(
                "language {tag:?} (known: {})",
                known.join(", ")
            )));
        }
        if !checked.contains(&tag) {
            checked.push(tag);
        }
    }
    if checked.is_empty() {
        return Err(AdminError::Invalid("languages: at least one".into()));
    }
    Ok(checked)
}

/// Checks a form document and returns the bytes to store.
fn questionnaire_bytes(questionnaire: &Value) -> Result<Vec<u8>, AdminError> {
    let form = profile::Questionnaire::from_json(questionnaire.clone())
        .map_err(|e| AdminError::Invalid(format!("questionnaire: {e}")))?;
    let bytes = serde_json::to_vec(&form).map_err(|e| AdminError::Invalid(e.to_string()))?;
    if bytes.len() > MAX_QUESTIONNAIRE_BYTES {
        return Err(AdminError::Invalid("questionnaire (over 256 KiB)".into()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_lifecycle() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let admin = Admin::open(&config).expect("open");
        let id = TenantId::new("acme").expect("valid");
        admin
            .create_tenant(&id, "Acme", &["nl".into()], None)
            .expect("create");
        assert!(matches!(
            admin.create_tenant(&id, "Acme", &["nl".into()], None),
            Err(AdminError::TenantExists(_))
        ));
        let key = PublicKey::from_bytes([9; 32]);
        admin.add_advisor(&id, &key, "A. Dviseur").expect("add");
        admin
            .set_recovery_key(&id, &PublicKey::from_bytes([8; 32]))
            .expect("recovery");
        let details = admin.show_tenant(&id).expect("show");
        assert_eq!(details.advisors.len(), 1);
        // Replacing a key: the new one is enrolled under the old name and
        // the old one revoked.
        let new_key = PublicKey::from_bytes([7; 32]);
        let (new_id, inherited) = admin
            .replace_advisor(&id, &key, &new_key, None)
            .expect("replace");
        assert_eq!(inherited, 0, "no reports yet");
        let advisors = admin.list_advisors(&id).expect("list");
        assert!(advisors
            .iter()
            .any(|a| a.id == new_id && a.active && a.display_name == "A. Dviseur"));
        assert!(advisors.iter().any(|a| a.public_key == key && !a.active));
        assert!(matches!(
            admin.replace_advisor(&id, &PublicKey::from_bytes([6; 32]), &key, None),
            Err(AdminError::NoSuchAdvisor)
        ));
        admin.add_advisor(&id, &key, "A. Dviseur").expect("re-add");
        admin.remove_advisor(&id, &key).expect("remove");
        assert!(!admin.list_advisors(&id).expect("list")[0].active);
        admin.set_disabled(&id, true).expect("disable");
        assert!(admin.list_tenants().expect("list")[0].disabled);
        assert!(admin
            .show_tenant(&TenantId::new("nope").expect("valid"))
            .is_err());
    }
}
