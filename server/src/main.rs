//! `meldkluis-server`: the operator's command line. Parses configuration and
//! arguments, then calls into the library; nothing else lives here.

use std::net::SocketAddr;
use std::path::PathBuf;

use std::io::{IsTerminal as _, Write as _};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use meldkluis_crypto_core::{PublicKey, TenantId};
use meldkluis_server::admin::{self, Admin};
use meldkluis_server::notices::EmailAddress;
use meldkluis_server::{AppState, Config};

/// Like `println!`, but a closed standard output (`... | head`) ends the
/// program quietly instead of with a panic: the reader has what it wanted.
macro_rules! out {
    ($($arg:tt)*) => {
        write_stdout(format_args!($($arg)*))
    };
}

fn write_stdout(text: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_fmt(text)
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("meldkluis-server: writing to standard output: {e}");
        std::process::exit(1);
    }
}

/// The time in log lines: the day only (UTC), which is all the server may
/// know of when something happened; see `debug_log_requests`.
struct DayOnly;

impl tracing_subscriber::fmt::time::FormatTime for DayOnly {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        use meldkluis_server::clock::Clock as _;
        write!(w, "{}", meldkluis_server::clock::SystemClock.today())
    }
}

/// meldkluis server: end-to-end encrypted reports, ciphertext only.
#[derive(Debug, Parser)]
#[command(name = "meldkluis-server", version)]
struct Cli {
    /// Configuration file (TOML). Also MELDKLUIS_CONFIG.
    #[arg(long, env = "MELDKLUIS_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Data directory (overrides file and environment).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8470 (port 0: any free port).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Create the demo tenant (software keys, DEMO ONLY) before serving.
        #[arg(long)]
        demo: bool,
    },
    /// Create the demo tenant `demo` with software keys (DEMO ONLY) and exit.
    Demo,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage a tenant's advisors.
    #[command(subcommand)]
    Advisor(AdvisorCommand),
    /// A tenant's offline recovery key (public half).
    #[command(subcommand)]
    RecoveryKey(RecoveryCommand),
    /// Manage a tenant's management recipients (directie /
    /// OR-rapportage) and forward recipients (HR / klachtencommissie).
    #[command(subcommand)]
    Recipient(RecipientCommand),
    /// Back up the server database, every tenant database with its
    /// attachment files, and the deletion log into DIR (new or empty),
    /// while the server serves; `manifest.json` is written last. With
    /// --notices: the e-mail store only (kept apart; see ARCHITECTURE.md).
    Backup {
        /// The directory to write (must be new or empty).
        dir: PathBuf,
        /// Back up the e-mail store (notices.sqlite) instead.
        #[arg(long)]
        notices: bool,
    },
    /// Restore a backup into the (empty) data directory, after checking
    /// every file against its manifest, and delete again what the deletion
    /// log names. With --notices: an e-mail store backup, after the content.
    Restore {
        /// The backup directory.
        dir: PathBuf,
        /// Restore an e-mail store backup (needs the notice key).
        #[arg(long)]
        notices: bool,
    },
    /// Print the Subresource Integrity hashes of the browser bundle this
    /// server serves (from `assets_dir`), for publishing: anyone can compare
    /// them with a reproducible build and with what the pages name.
    Assets,
    /// A cluster of nodes (`[cluster]` in the configuration).
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

#[derive(Debug, Subcommand)]
enum ClusterCommand {
    /// Publish a tenant prepared in this data directory (created and set
    /// up with the usual tenant, advisor and recovery-key commands, with
    /// the cluster's configuration) into the cluster: its database becomes
    /// the seed in the object store and its record enters the catalog; the
    /// first node that gets a request for it takes it from there. Refused
    /// for a tenant already in the cluster or one that has reports.
    PublishTenant {
        /// Tenant id.
        id: String,
    },
    /// Every tenant of the cluster with its owner node and epochs.
    Status,
}

#[derive(Debug, Subcommand)]
enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Tenant id: 1 to 63 of a-z, 0-9 and '-'.
        id: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Languages offered (comma-separated: nl, en).
        #[arg(long, value_delimiter = ',', default_value = "nl")]
        languages: Vec<String>,
        /// Questionnaire file (JSON, or TOML by extension); default built in.
        #[arg(long)]
        questionnaire: Option<PathBuf>,
    },
    /// List tenants.
    List,
    /// Show a tenant with its advisors and recovery key.
    Show {
        /// Tenant id.
        id: String,
    },
    /// Disable a tenant (its API answers 403).
    Disable {
        /// Tenant id.
        id: String,
    },
    /// Enable a disabled tenant.
    Enable {
        /// Tenant id.
        id: String,
    },
    /// Replace a tenant's questionnaire.
    SetQuestionnaire {
        /// Tenant id.
        id: String,
        /// Questionnaire file (JSON, or TOML by extension).
        file: PathBuf,
    },
    /// Set the largest attachment a tenant accepts, in MiB.
    SetAttachmentLimit {
        /// Tenant id.
        id: String,
        /// Limit in MiB.
        mib: u64,
    },
    /// Set a tenant's quotas against junk (unnamed ones stay as they are);
    /// prints the quotas now in force.
    SetQuotas {
        /// Tenant id.
        id: String,
        /// Reports accepted per day (UTC); further ones get 429.
        #[arg(long)]
        reports_per_day: Option<u64>,
        /// Messages per report (reporter's and advisors' together).
        #[arg(long)]
        messages_per_report: Option<u64>,
        /// Attachments per report.
        #[arg(long)]
        attachments_per_report: Option<u64>,
        /// MiB of all attachments of one report together.
        #[arg(long)]
        attachment_mib_per_report: Option<u64>,
    },
    /// Set the end of a tenant's reports' life (unnamed values stay as
    /// they are); prints the lifecycle now in force.
    SetLifecycle {
        /// Tenant id.
        id: String,
        /// Months a closed report is kept before its content is deleted (1-60).
        #[arg(long)]
        retention_months: Option<u32>,
        /// Months a register line is kept after closure (12-120, at least the retention).
        #[arg(long)]
        register_months: Option<u32>,
        /// Weeks of the reporter's silence after which advisors are offered
        /// to close a report (0: never; else 2-52).
        #[arg(long)]
        silence_weeks: Option<u32>,
        /// The figures threshold: no count below it is shown in the
        /// tenant's figures reports for management (3-50, default 5; never
        /// below 3).
        #[arg(long, value_name = "N", value_parser = figures_threshold)]
        figures_threshold: Option<u32>,
    },
    /// Set a tenant's colour (#rrggbb, at least 4.5:1 against white) and logo.
    SetBranding {
        /// Tenant id.
        id: String,
        /// Colour of the header and buttons, e.g. #1d4ed8.
        #[arg(long)]
        colour: Option<String>,
        /// Logo file (PNG, JPEG or WebP; at most 256 KiB).
        #[arg(long)]
        logo: Option<PathBuf>,
    },
    /// Set a tenant's voice messages: whether reporters may record one, and
    /// whether the voice must be disguised (unnamed values stay as they
    /// are; default on, required). Prints the setting now in force.
    SetVoice {
        /// Tenant id.
        id: String,
        /// on or off.
        #[arg(long, value_parser = ["on", "off"])]
        voice: Option<String>,
        /// required (always disguised) or optional (the reporter may turn
        /// the disguise off).
        #[arg(long, value_parser = ["required", "optional"])]
        disguise: Option<String>,
    },
    /// Set the languages a tenant offers; the first is its default.
    SetLanguages {
        /// Tenant id.
        id: String,
        /// Languages (comma-separated, e.g. nl,en).
        #[arg(value_delimiter = ',', required = true)]
        languages: Vec<String>,
    },
    /// Print the built-in questionnaire: a template to copy and change.
    ExampleQuestionnaire,
    /// Set what a tenant's information page (/t/TENANT/info) shows beside
    /// its terms and retention. Texts are plain-text files (UTF-8,
    /// paragraphs separated by a blank line, never HTML). Everything is
    /// checked before anything is stored: a refused command stores nothing.
    Info {
        /// Tenant id.
        id: String,
        /// Language of the texts given (nl, en; default: the tenant's
        /// first language); with --clear, the one language to clear
        /// (default: every language).
        #[arg(long)]
        lang: Option<String>,
        /// What this reporting channel is for (replaces the default text).
        #[arg(long, value_name = "FILE")]
        intro_file: Option<PathBuf>,
        /// The privacy statement (replaces the default text).
        #[arg(long, value_name = "FILE")]
        privacy_file: Option<PathBuf>,
        /// The organisation's procedure (meldregeling): .txt or .md (shown
        /// as plain text, in --lang) or .pdf (at most 10 MB, shown inline
        /// at /t/TENANT/info/meldregeling.pdf); one replaces the other.
        #[arg(long, value_name = "FILE")]
        meldregeling_file: Option<PathBuf>,
        /// The tenant's own external channels, shown before the default
        /// ones: TOML as server/info/external-channels.toml ([[channel]]).
        #[arg(long, value_name = "FILE")]
        channels_file: Option<PathBuf>,
        /// An advisor's photo, JPEG or PNG of at most 2 MB; ID from
        /// `advisor list`. May be given more than once.
        #[arg(long, value_name = "ID=FILE", value_parser = id_and_file)]
        advisor_photo: Vec<(i64, PathBuf)>,
        /// An advisor's short bio (plain text, at most 1000 characters, in
        /// --lang). May be given more than once.
        #[arg(long, value_name = "ID=FILE", value_parser = id_and_file)]
        advisor_bio: Vec<(i64, PathBuf)>,
        /// Remove a part: intro, privacy, meldregeling, channels,
        /// advisor-photo=ID or advisor-bio=ID. May be given more than once.
        #[arg(long, value_name = "PART")]
        clear: Vec<meldkluis_server::info::ClearPart>,
    },
    /// Show what a tenant's information page holds (JSON).
    InfoShow {
        /// Tenant id.
        id: String,
    },
    /// Export every item of a tenant (ciphertext) and its register into
    /// DIR (new or empty), in the format of server/EXPORT.md, for the
    /// organisation to take along (`meldkluis-advisor archive open`).
    Export {
        /// Tenant id.
        id: String,
        /// The directory to write.
        dir: PathBuf,
    },
    /// Delete a tenant and everything of it (after `tenant export`): its
    /// reports, register, files, and its reporters' and advisors' notice
    /// addresses. Asks for the tenant id to be typed as confirmation.
    Delete {
        /// Tenant id.
        id: String,
        /// The confirmation without asking (for scripts): the tenant id again.
        #[arg(long, value_name = "ID")]
        confirm: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum RecipientCommand {
    /// Make a single-use enrolment link for someone without a hardware
    /// token: they open it, write down the enrolment code their browser
    /// shows and read the fingerprint aloud to an advisor.
    Invite {
        /// Tenant id.
        tenant: String,
        /// `management` (figures reports) or `forward` (forwarded cases).
        #[arg(long)]
        role: String,
        /// Shown to advisors and reporters, e.g. "HR — P. de Boer" (at
        /// most 200 characters).
        #[arg(long)]
        label: String,
        /// Days the link works (1 to 30).
        #[arg(long, default_value_t = 14)]
        valid_days: u32,
    },
    /// Enrol a recipient who holds a hardware token, by its public key
    /// (from `meldkluis-advisor-key export`).
    Add {
        /// Tenant id.
        tenant: String,
        /// `management` or `forward`.
        #[arg(long)]
        role: String,
        /// Shown to advisors and reporters (at most 200 characters).
        #[arg(long)]
        label: String,
        /// The recipient's X25519 public key (64 hex digits).
        #[arg(long)]
        public_key: String,
    },
    /// List a tenant's recipients with their fingerprints.
    List {
        /// Tenant id.
        tenant: String,
    },
    /// Remove a recipient: no more log-ins, nothing new sealed to it.
    Remove {
        /// Tenant id.
        tenant: String,
        /// The recipient's public key (64 hex digits).
        #[arg(long)]
        public_key: String,
    },
}

#[derive(Debug, Subcommand)]
enum AdvisorCommand {
    /// Enrol an advisor's public key.
    Add {
        /// Tenant id.
        tenant: String,
        /// The advisor's X25519 public key (64 hex digits).
        #[arg(long)]
        public_key: String,
        /// Name shown to reporters.
        #[arg(long)]
        name: String,
        /// Address for the daily digest of deadlines (kept encrypted in the
        /// e-mail store).
        #[arg(long)]
        email: Option<String>,
        /// Language of the digest (nl, en).
        #[arg(long, default_value = "nl")]
        language: String,
    },
    /// Set or clear the address an advisor's daily digest goes to.
    SetEmail {
        /// Tenant id.
        tenant: String,
        /// The advisor's public key (64 hex digits).
        #[arg(long)]
        public_key: String,
        /// The address; leave out with --clear.
        #[arg(long, required_unless_present = "clear", conflicts_with = "clear")]
        email: Option<String>,
        /// Language of the digest (nl, en).
        #[arg(long, default_value = "nl")]
        language: String,
        /// Remove the address: no more digests.
        #[arg(long)]
        clear: bool,
    },
    /// Remove an advisor (no more log-ins, no new reports).
    Remove {
        /// Tenant id.
        tenant: String,
        /// The advisor's public key (64 hex digits).
        #[arg(long)]
        public_key: String,
    },
    /// Replace an advisor's key (lost token, rotation): the new key
    /// inherits access to the old key's reports; the old key is revoked.
    Replace {
        /// Tenant id.
        tenant: String,
        /// The key being replaced (64 hex digits).
        #[arg(long)]
        old: String,
        /// The new key (64 hex digits), as the advisor's tool printed it.
        #[arg(long)]
        new: String,
        /// Name shown to reporters (default: the old key's).
        #[arg(long)]
        name: Option<String>,
    },
    /// List a tenant's advisors with their fingerprints.
    List {
        /// Tenant id.
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
enum RecoveryCommand {
    /// Set the public half of the tenant's offline recovery key.
    Set {
        /// Tenant id.
        tenant: String,
        /// The recovery public key (64 hex digits).
        public_key: String,
    },
    /// Replace the tenant's recovery key by a new one, keeping the current
    /// one as a former recovery key (then an advisor runs
    /// `meldkluis-advisor replace-recovery-key`).
    Replace {
        /// Tenant id.
        tenant: String,
        /// The new recovery public key (64 hex digits).
        public_key: String,
    },
    /// Show the recovery public key and its fingerprint.
    Show {
        /// Tenant id.
        tenant: String,
    },
}

fn tenant_id(id: &str) -> anyhow::Result<TenantId> {
    TenantId::new(id)
        .map_err(|_| anyhow::anyhow!("invalid tenant id {id:?}: 1 to 63 of a-z, 0-9 and '-'"))
}

fn public_key(hex: &str) -> anyhow::Result<PublicKey> {
    PublicKey::from_hex(hex)
        .map_err(|_| anyhow::anyhow!("invalid public key: expected 64 hex digits"))
}

fn email(text: &str) -> anyhow::Result<EmailAddress> {
    // The error names what is wrong, never the address.
    EmailAddress::parse(text).map_err(|e| anyhow::anyhow!("invalid e-mail address: {e}"))
}

fn language(tag: &str) -> anyhow::Result<meldkluis_i18n::Lang> {
    meldkluis_i18n::catalog()
        .lang(tag)
        .ok_or_else(|| anyhow::anyhow!("unknown language {tag:?} (nl, en)"))
}

/// `--advisor-photo ID=FILE`, `--advisor-bio ID=FILE`.
fn id_and_file(text: &str) -> Result<(i64, PathBuf), String> {
    let (id, file) = text
        .split_once('=')
        .ok_or_else(|| format!("expected ID=FILE, got {text:?}"))?;
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| format!("advisor id {id:?} is not a number (see `advisor list`)"))?;
    if file.is_empty() {
        return Err("expected ID=FILE: no file".into());
    }
    Ok((id, PathBuf::from(file)))
}

/// Reads a file for `tenant info`, refusing one larger than `limit` bytes
/// before reading it whole.
fn read_limited(path: &std::path::Path, limit: u64) -> anyhow::Result<Vec<u8>> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    anyhow::ensure!(
        len <= limit,
        "{}: {len} bytes; at most {limit} bytes",
        path.display()
    );
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// `tenant info`: reads every file named, then stores all or nothing.
fn tenant_info(
    admin: &Admin,
    id: &TenantId,
    lang: Option<&str>,
    [intro, privacy, procedure, channels]: [Option<PathBuf>; 4],
    photos: &[(i64, PathBuf)],
    bios: &[(i64, PathBuf)],
    clear: Vec<meldkluis_server::info::ClearPart>,
) -> anyhow::Result<()> {
    use meldkluis_server::info;
    // Files larger than any accepted part are refused before reading.
    const TEXT_LIMIT: u64 = 1 << 20;
    let read_text = |path: &Option<PathBuf>| {
        path.as_deref()
            .map(|p| read_limited(p, TEXT_LIMIT))
            .transpose()
    };
    let pdf_limit = u64::try_from(info::MAX_PDF_BYTES).unwrap_or(u64::MAX);
    let photo_limit = u64::try_from(info::MAX_PHOTO_BYTES).unwrap_or(u64::MAX);
    let change = info::InfoChange {
        lang: lang.map(language).transpose()?,
        intro: read_text(&intro)?,
        privacy: read_text(&privacy)?,
        procedure: procedure
            .map(|path| -> anyhow::Result<_> {
                Ok(info::ProcedureUpload {
                    file_name: path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    bytes: read_limited(&path, pdf_limit.max(TEXT_LIMIT))?,
                })
            })
            .transpose()?,
        channels: read_text(&channels)?,
        advisor_photos: photos
            .iter()
            .map(|(id, path)| Ok((*id, read_limited(path, photo_limit)?)))
            .collect::<anyhow::Result<_>>()?,
        advisor_bios: bios
            .iter()
            .map(|(id, path)| Ok((*id, read_limited(path, TEXT_LIMIT)?)))
            .collect::<anyhow::Result<_>>()?,
        clear,
    };
    admin.set_info(id, &change)?;
    out!("information page of {id} updated: /t/{id}/info");
    Ok(())
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    out!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// `--figures-threshold`: refused out of range at parsing (exit status 2,
/// like every bad argument), with the range in the message.
fn figures_threshold(text: &str) -> Result<u32, String> {
    let range = meldkluis_server::retention::FIGURES_THRESHOLD.1;
    text.parse::<u32>()
        .ok()
        .filter(|k| range.contains(k))
        .ok_or_else(|| {
            format!(
                "the figures threshold must be a whole number from {} to {} (no count below it is shown; never below 3)",
                range.start(),
                range.end()
            )
        })
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    // Logs go to standard error (standard output carries the commands'
    // answers), coloured only on a terminal, and carry the day only unless
    // the operator turned on `debug_log_requests`.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MELDKLUIS_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if config.debug_log_requests {
        logs.init();
    } else {
        logs.with_timer(DayOnly).init();
    }
    match cli.command {
        Command::Serve { listen, demo } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            config.validate()?;
            if demo {
                print_demo(&Admin::open(&config)?.create_demo()?);
            }
            serve(config)
        }
        Command::Assets => {
            let assets = meldkluis_server::assets::Assets::load(&config.assets_dir);
            if let Some(problem) = assets.problem() {
                anyhow::bail!("{problem}");
            }
            let hashes: std::collections::BTreeMap<&str, &str> = assets.hashes().collect();
            print_json(&hashes)
        }
        Command::Demo => {
            config.validate()?;
            print_demo(&Admin::open(&config)?.create_demo()?);
            Ok(())
        }
        Command::Backup { dir, notices } => backup_command(&config, &dir, notices),
        Command::Restore { dir, notices } => restore_command(&config, &dir, notices),
        Command::Cluster(command) => cluster_command(&config, command),
        Command::Tenant(TenantCommand::Export { id, dir }) => export_command(&config, &id, &dir),
        Command::Tenant(TenantCommand::Delete { id, confirm }) => {
            delete_command(&config, &id, confirm)
        }
        Command::Tenant(command) => tenant_command(&Admin::open(&config)?, command),
        Command::Advisor(command) => advisor_command(&Admin::open(&config)?, command),
        Command::RecoveryKey(command) => recovery_command(&Admin::open(&config)?, command),
        Command::Recipient(command) => recipient_command(&Admin::open(&config)?, command),
    }
}

fn recipient_command(admin: &Admin, command: RecipientCommand) -> anyhow::Result<()> {
    match command {
        RecipientCommand::Invite {
            tenant,
            role,
            label,
            valid_days,
        } => {
            let (link, last_day) =
                admin.invite_recipient(&tenant_id(&tenant)?, &role, &label, valid_days)?;
            out!("enrolment link (single use, works until {last_day} inclusive):");
            out!("  {link}");
            out!("hand it to the recipient in person or over a channel you trust;");
            out!("compare the fingerprint their browser shows aloud with an advisor.");
            Ok(())
        }
        RecipientCommand::Add {
            tenant,
            role,
            label,
            public_key: key,
        } => {
            let recipient =
                admin.add_recipient(&tenant_id(&tenant)?, &role, &label, &public_key(&key)?)?;
            out!(
                "{} recipient \"{}\" enrolled; fingerprint (compare aloud with the recipient):",
                recipient.role,
                recipient.label
            );
            out!("  {}", recipient.fingerprint);
            Ok(())
        }
        RecipientCommand::List { tenant } => {
            for r in admin.list_recipients(&tenant_id(&tenant)?)? {
                let state = match &r.removed_day {
                    Some(day) => format!("removed {day}"),
                    None => "current".to_owned(),
                };
                out!(
                    "{}\t{}\t{}\t{}\t{}\t{}\tenrolled {}",
                    r.role,
                    state,
                    r.label,
                    r.key_source,
                    r.public_key.to_hex(),
                    r.fingerprint,
                    r.enrolled_day
                );
            }
            Ok(())
        }
        RecipientCommand::Remove {
            tenant,
            public_key: key,
        } => {
            admin.remove_recipient(&tenant_id(&tenant)?, &public_key(&key)?)?;
            out!("recipient removed: it can no longer log in, and nothing new is sealed to it");
            Ok(())
        }
    }
}

fn backup_command(config: &Config, dir: &std::path::Path, notices: bool) -> anyhow::Result<()> {
    use meldkluis_server::clock::Clock as _;
    let today = meldkluis_server::clock::SystemClock.today();
    if notices {
        let bytes = meldkluis_server::backup::backup_notices(config, dir, today)?;
        out!("e-mail store backed up: {bytes} bytes in {}", dir.display());
        out!("it opens only with the notice key, which is not in it: keep both apart");
        return Ok(());
    }
    let summary = meldkluis_server::backup::backup(config, dir, today)?;
    print_json(&summary)
}

fn restore_command(config: &Config, dir: &std::path::Path, notices: bool) -> anyhow::Result<()> {
    if notices {
        let (kept, dropped) = meldkluis_server::backup::restore_notices(config, dir)?;
        out!("e-mail store restored: {kept} address(es); {dropped} of closed reports or deleted tenants left out");
        return Ok(());
    }
    let summary = meldkluis_server::backup::restore(config, dir)?;
    print_json(&summary)
}

fn export_command(config: &Config, id: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    use meldkluis_server::clock::Clock as _;
    let today = meldkluis_server::clock::SystemClock.today();
    let summary = meldkluis_server::export::export_tenant(config, &tenant_id(id)?, dir, today)?;
    print_json(&summary)
}

fn delete_command(config: &Config, id: &str, confirm: Option<String>) -> anyhow::Result<()> {
    use meldkluis_server::clock::Clock as _;
    let tenant = tenant_id(id)?;
    let confirmation = match confirm {
        Some(text) => text,
        None if std::io::stdin().is_terminal() => {
            eprint!(
                "This deletes tenant {tenant} and everything of it, for good. \
                 Type its id ({tenant}) to go on: "
            );
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line
        }
        None => String::new(),
    };
    let today = meldkluis_server::clock::SystemClock.today();
    let summary = meldkluis_server::export::delete_tenant(config, &tenant, &confirmation, today)?;
    print_json(&summary)
}

fn cluster_command(config: &Config, command: ClusterCommand) -> anyhow::Result<()> {
    use meldkluis_server::cluster;
    config.validate()?;
    let cluster_config = config
        .cluster
        .as_ref()
        .context("no [cluster] section in the configuration")?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        match command {
            ClusterCommand::PublishTenant { id } => {
                let objects = config
                    .object_store
                    .as_ref()
                    .context("[cluster] needs [object_store]")?;
                let store = meldkluis_server::objects::ObjectStore::from_config(objects)?;
                let record = cluster::publish_tenant(config, &tenant_id(&id)?, &store).await?;
                out!(
                    "tenant {} published: the first node that gets a request for it serves it",
                    record.id
                );
                Ok(())
            }
            ClusterCommand::Status => {
                let etcd =
                    cluster::Etcd::new(&cluster_config.etcd, std::time::Duration::from_secs(10))?;
                print_json(&cluster::Cluster::status(&etcd).await?)
            }
        }
    })
}

fn print_demo(demo: &admin::DemoTenant) {
    out!(
        "DEMO tenant '{}' ready. Software keys for trying only (DEMO ONLY):",
        demo.tenant
    );
    out!("  advisor key:  {}", demo.advisor_key_path.display());
    out!("  recovery key: {}", demo.recovery_key_path.display());
}

fn serve(config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let state = AppState::new(config)?;
        let listener = tokio::net::TcpListener::bind(state.config().listen)
            .await
            .with_context(|| format!("binding {}", state.config().listen))?;
        let scheme = if state.config().tls.is_some() {
            "https"
        } else {
            "http"
        };
        // Tests and scripts read this line to find the port. A server does
        // not stop because nobody reads its standard output any more.
        let _ = writeln!(
            std::io::stdout().lock(),
            "listening on {scheme}://{}",
            listener.local_addr()?
        );
        tracing::info!(address = %listener.local_addr()?, "serving");
        let notices = state.notices();
        if notices.writes_to_file() {
            // A log line, not println!: a caller that stopped reading
            // standard output must not make a write fail (tracing ignores
            // write errors; println! would panic).
            tracing::warn!(
                "notices: no SMTP configured, so e-mail notices are written to {} instead of \
                 being sent (for trying only: it holds e-mail addresses in the clear)",
                notices.describe_transport()
            );
        } else {
            tracing::info!(via = %notices.describe_transport(), "notices");
        }
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        meldkluis_server::serve(listener, state, shutdown).await?;
        Ok(())
    })
}

fn tenant_command(admin: &Admin, command: TenantCommand) -> anyhow::Result<()> {
    match command {
        TenantCommand::Create {
            id,
            name,
            languages,
            questionnaire,
        } => {
            let questionnaire = questionnaire
                .map(|p| admin::read_questionnaire(&p))
                .transpose()?;
            let record = admin.create_tenant(&tenant_id(&id)?, &name, &languages, questionnaire)?;
            print_json(&record)
        }
        TenantCommand::List => print_json(&admin.list_tenants()?),
        TenantCommand::Show { id } => print_json(&admin.show_tenant(&tenant_id(&id)?)?),
        TenantCommand::Disable { id } => Ok(admin.set_disabled(&tenant_id(&id)?, true)?),
        TenantCommand::Enable { id } => Ok(admin.set_disabled(&tenant_id(&id)?, false)?),
        TenantCommand::SetQuestionnaire { id, file } => {
            Ok(admin.set_questionnaire(&tenant_id(&id)?, &admin::read_questionnaire(&file)?)?)
        }
        TenantCommand::SetAttachmentLimit { id, mib } => {
            let bytes = mib.checked_mul(1 << 20).context("limit too large")?;
            Ok(admin.set_max_attachment_bytes(&tenant_id(&id)?, bytes)?)
        }
        TenantCommand::SetQuotas {
            id,
            reports_per_day,
            messages_per_report,
            attachments_per_report,
            attachment_mib_per_report,
        } => {
            let bytes = attachment_mib_per_report
                .map(|mib| mib.checked_mul(1 << 20).context("limit too large"))
                .transpose()?;
            let quotas = admin.set_quotas(
                &tenant_id(&id)?,
                reports_per_day,
                messages_per_report,
                attachments_per_report,
                bytes,
            )?;
            print_json(&quotas)
        }
        TenantCommand::SetLifecycle {
            id,
            retention_months,
            register_months,
            silence_weeks,
            figures_threshold,
        } => print_json(&admin.change_lifecycle(
            &tenant_id(&id)?,
            &admin::LifecycleChange {
                retention_months,
                register_months,
                silence_weeks,
                figures_threshold,
            },
        )?),
        TenantCommand::SetBranding { id, colour, logo } => {
            let logo = logo
                .map(|path| {
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
                })
                .transpose()?;
            Ok(admin.set_branding(&tenant_id(&id)?, colour.as_deref(), logo.as_deref())?)
        }
        TenantCommand::SetLanguages { id, languages } => {
            Ok(admin.set_languages(&tenant_id(&id)?, &languages)?)
        }
        TenantCommand::SetVoice {
            id,
            voice,
            disguise,
        } => {
            let enabled = voice.as_deref().map(|v| v == "on");
            let disguise = disguise
                .as_deref()
                .map(|d| {
                    meldkluis_server::profile::Disguise::parse(d)
                        .ok_or_else(|| anyhow::anyhow!("--disguise: required or optional"))
                })
                .transpose()?;
            print_json(&admin.set_voice(&tenant_id(&id)?, enabled, disguise)?)
        }
        TenantCommand::Export { .. } | TenantCommand::Delete { .. } => {
            anyhow::bail!("tenant export and delete run without an Admin handle (see main)")
        }
        TenantCommand::ExampleQuestionnaire => {
            out!("{}", meldkluis_server::profile::DEFAULT_QUESTIONNAIRE);
            Ok(())
        }
        TenantCommand::Info {
            id,
            lang,
            intro_file,
            privacy_file,
            meldregeling_file,
            channels_file,
            advisor_photo,
            advisor_bio,
            clear,
        } => tenant_info(
            admin,
            &tenant_id(&id)?,
            lang.as_deref(),
            [intro_file, privacy_file, meldregeling_file, channels_file],
            &advisor_photo,
            &advisor_bio,
            clear,
        ),
        TenantCommand::InfoShow { id } => {
            let summary = admin.info(&tenant_id(&id)?)?;
            print_json(&summary)?;
            let reviewed = summary
                .default_channels_reviewed
                .as_deref()
                .and_then(meldkluis_server::dates::Day::parse);
            let today = meldkluis_server::dates::Day::today();
            if reviewed.is_none_or(|day| day.add_months(12) < today) {
                eprintln!(
                    "warning: the default external channels were last reviewed on {}; \
                     check them against their sources (server/info/external-channels.toml)",
                    summary
                        .default_channels_reviewed
                        .as_deref()
                        .unwrap_or("(never)")
                );
            }
            Ok(())
        }
    }
}

fn advisor_command(admin: &Admin, command: AdvisorCommand) -> anyhow::Result<()> {
    match command {
        AdvisorCommand::Add {
            tenant,
            public_key: key,
            name,
            email: address,
            language: tag,
        } => {
            let key = public_key(&key)?;
            let tenant = tenant_id(&tenant)?;
            let address = address.as_deref().map(email).transpose()?;
            let lang = language(&tag)?;
            let id = admin.add_advisor(&tenant, &key, &name)?;
            if let Some(address) = &address {
                admin.set_advisor_email(&tenant, &key, Some((address, lang)))?;
            }
            out!("advisor {id} enrolled; fingerprint (compare aloud with the advisor):");
            out!("  {}", key.fingerprint());
            if address.is_some() {
                out!("daily digest of deadlines: on");
            }
            Ok(())
        }
        AdvisorCommand::SetEmail {
            tenant,
            public_key: key,
            email: address,
            language: tag,
            clear,
        } => {
            let (key, tenant) = (public_key(&key)?, tenant_id(&tenant)?);
            let address = if clear {
                None
            } else {
                address.as_deref().map(email).transpose()?
            };
            let lang = language(&tag)?;
            admin.set_advisor_email(&tenant, &key, address.as_ref().map(|a| (a, lang)))?;
            out!(
                "daily digest of deadlines: {}",
                if address.is_some() { "on" } else { "off" }
            );
            Ok(())
        }
        AdvisorCommand::Remove {
            tenant,
            public_key: key,
        } => Ok(admin.remove_advisor(&tenant_id(&tenant)?, &public_key(&key)?)?),
        AdvisorCommand::Replace {
            tenant,
            old,
            new,
            name,
        } => {
            let new = public_key(&new)?;
            let (id, inherited) = admin.replace_advisor(
                &tenant_id(&tenant)?,
                &public_key(&old)?,
                &new,
                name.as_deref(),
            )?;
            out!("advisor {id} enrolled; the old key is revoked (its log-in fails).");
            out!("It can fetch {inherited} report(s) of the old key; it reads them once");
            out!("key grants to it are made (meldkluis-advisor recover / rotate).");
            out!("Fingerprint (compare aloud with the advisor):");
            out!("  {}", new.fingerprint());
            Ok(())
        }
        AdvisorCommand::List { tenant } => {
            let tenant = tenant_id(&tenant)?;
            for advisor in admin.list_advisors(&tenant)? {
                let digest = admin.advisor_has_email(&tenant, &advisor.public_key)?;
                out!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    advisor.id,
                    if advisor.active { "active" } else { "removed" },
                    advisor.display_name,
                    advisor.public_key.to_hex(),
                    advisor.public_key.fingerprint(),
                    if digest { "digest" } else { "no-digest" }
                );
            }
            Ok(())
        }
    }
}

fn recovery_command(admin: &Admin, command: RecoveryCommand) -> anyhow::Result<()> {
    match command {
        RecoveryCommand::Set {
            tenant,
            public_key: key,
        } => {
            let key = public_key(&key)?;
            admin.set_recovery_key(&tenant_id(&tenant)?, &key)?;
            out!("recovery key set; fingerprint: {}", key.fingerprint());
            Ok(())
        }
        RecoveryCommand::Replace {
            tenant,
            public_key: key,
        } => {
            let key = public_key(&key)?;
            let replaced = admin.replace_recovery_key(&tenant_id(&tenant)?, &key)?;
            out!(
                "recovery key replaced; new fingerprint: {}\nformer recovery key (still accepted on messages until reporters are introduced to the new one): {}\nnext: an advisor runs `meldkluis-advisor replace-recovery-key --new-recovery {}`",
                key.fingerprint(),
                replaced.fingerprint(),
                key.to_hex()
            );
            Ok(())
        }
        RecoveryCommand::Show { tenant } => {
            let id = tenant_id(&tenant)?;
            match admin.recovery_key(&id)? {
                Some(key) => out!("{}\n{}", key.to_hex(), key.fingerprint()),
                None => out!("no recovery key set"),
            }
            for key in admin.former_recovery_keys(&id)? {
                out!("former: {} {}", key.to_hex(), key.fingerprint());
            }
            Ok(())
        }
    }
}
