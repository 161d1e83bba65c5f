//! `meldkluis-advisor`: the advisor's work with the server, on their own
//! machine.
//!
//! - `console`: the local web UI (127.0.0.1 only): reports, threads,
//!   replies, status, category; and the key-substitution check.
//! - `recipient`: for a management or forward recipient whose key is on a
//!   token: the items sealed to it (figures, forwards), read-only, on a
//!   local page like the console's.
//! - `rotate`: after enrolling a new key, give it the content keys of every
//!   report through key grants from the old key (nothing re-encrypted).
//! - `recover`: after a lost token, the recovery key holder enters the
//!   recovery key (paper form, on standard input) and grants to the new key
//!   the reports that were sealed to the lost key (as the recovery key reads
//!   them, not as the server lists them), after confirmation. The recovery key is used in memory only, for
//!   this run.
//! - `replace-recovery-key`: after the operator replaced the tenant's
//!   recovery key, an advisor grants every item they read to the new one
//!   (which they enrolled) and introduces it to each reporter's mailbox.
//!
//! Keys: on the token by label (default), a wrapped key file, or a plain
//! demo file (INSECURE, demo and tests only). The PKCS#11 module comes from
//! `--module` or `MELDKLUIS_PKCS11_MODULE`; the PIN is asked for at the
//! terminal (or read from `--pin-fd`, or `MELDKLUIS_TOKEN_PIN` with
//! `--pin-from-env` for tests) and never stored.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use meldkluis_crypto_core::{PublicKey, StaticKey, TenantId, Zeroizing};
use meldkluis_i18n::catalog;
use meldkluis_keys::ceremony;
use meldkluis_keys::client::ServerClient;
use meldkluis_keys::console::recipient::{RecipientOptions, RecipientPage};
use meldkluis_keys::console::{random_loopback_address, Console, ConsoleOptions};
use meldkluis_keys::enrolled::EnrolledKeys;
use meldkluis_keys::pins::Pins;
use meldkluis_keys::reseal::{
    replace_recovery_key, reports_naming_through, reseal_pinned, Reseal, ResealOutcome,
};
use meldkluis_keys::{
    recovery, InsecureDemoKey, Pin, Pkcs11Module, Token, TokenKey, TokenSelector, WrappedKey,
    DEFAULT_KEY_LABEL, MODULE_ENV,
};

#[derive(Debug, Parser)]
#[command(
    name = "meldkluis-advisor",
    version,
    about = "The advisor's console and key rotation for meldkluis."
)]
struct Cli {
    /// The PKCS#11 module (.so) of the token.
    #[arg(long, env = MODULE_ENV, global = true)]
    module: Option<PathBuf>,
    /// The token's label (needed when the module shows several tokens).
    #[arg(long, env = "MELDKLUIS_TOKEN_LABEL", global = true)]
    token: Option<String>,
    /// Read the PIN from this open file descriptor (first line).
    #[arg(long, global = true, conflicts_with = "pin_from_env")]
    pin_fd: Option<u32>,
    /// Read the PIN from MELDKLUIS_TOKEN_PIN (tests and automation only).
    #[arg(long, global = true)]
    pin_from_env: bool,
    #[command(subcommand)]
    command: Command,
}

/// Which server and tenant.
#[derive(Debug, Args)]
struct ServerArgs {
    /// The server's address, e.g. https://meld.example.
    #[arg(long)]
    server: String,
    /// The tenant id.
    #[arg(long)]
    tenant: String,
}

/// A key: on the token (by label), wrapped in a file, or a demo file.
#[derive(Debug, Args, Clone)]
struct KeyArgs {
    /// The key's label on the token.
    #[arg(long, default_value = DEFAULT_KEY_LABEL)]
    label: String,
    /// A software key wrapped by an AES key on the token.
    #[arg(long, conflicts_with = "insecure_demo_file")]
    wrapped_file: Option<PathBuf>,
    /// A plain key file. INSECURE: demo and tests only.
    #[arg(long)]
    insecure_demo_file: Option<PathBuf>,
}

/// A tenant export (`meldkluis-server tenant export`).
#[derive(Debug, Subcommand)]
enum ArchiveCommand {
    /// Check an export against its manifest and write the plaintext of
    /// every item your key opens (directly or through a key grant from a
    /// grantor you confirmed) into a new private directory (0700); lists
    /// what it could not open.
    Open {
        /// The export directory.
        export: PathBuf,
        /// Where the plaintext goes (new or empty; made 0700).
        #[arg(long)]
        out: PathBuf,
        /// The keys you confirmed (recovery, earlier keys, advisors).
        #[arg(long)]
        enrolled: PathBuf,
        /// Your advisor key.
        #[command(flatten)]
        key: KeyArgs,
    },
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open a tenant export with your key (when the organisation leaves the
    /// server, or to keep its reports elsewhere).
    #[command(subcommand)]
    Archive(ArchiveCommand),
    /// Serve the advisor console on 127.0.0.1 and print its address.
    Console {
        #[command(flatten)]
        server: ServerArgs,
        /// The keys you confirmed aloud at enrolment (advisor, recovery,
        /// earlier, management and forward lines); the console warns when
        /// the server serves others, and seals to a management or forward
        /// recipient only when its line is there.
        #[arg(long)]
        enrolled: PathBuf,
        /// Where to listen (loopback only; port 0 picks a free port). By
        /// default a random address in 127.0.0.0/8 of the console's own (so
        /// its cookie reaches no other local service), else 127.0.0.1.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Your report pins file: which report you read under each report
        /// id, kept across runs (created 0600 if absent). By default next
        /// to the enrolled-keys file, named after it with `.pins` added.
        #[arg(long)]
        pins: Option<PathBuf>,
        /// The pages' language (nl, en).
        #[arg(long, default_value = "nl")]
        lang: String,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// For a management or forward recipient whose key is on a token:
    /// log in with the recipient challenge and serve the items sealed to
    /// you (figures reports, forwards) read-only on 127.0.0.1; prints the
    /// address.
    Recipient {
        #[command(flatten)]
        server: ServerArgs,
        /// The keys you confirmed aloud (its advisor lines are the senders
        /// believed). Without it: the advisors the server lists.
        #[arg(long)]
        enrolled: Option<PathBuf>,
        /// Where to listen (loopback only; port 0 picks a free port).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// The pages' language (nl, en).
        #[arg(long, default_value = "nl")]
        lang: String,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Grant the reports of your old key to your new key (planned rotation;
    /// the operator enrols the new key first).
    Rotate {
        #[command(flatten)]
        server: ServerArgs,
        /// The keys you confirmed (for the recovery and earlier keys that a
        /// grant you hold may come from).
        #[arg(long)]
        enrolled: Option<PathBuf>,
        /// The old key's label on the token.
        #[arg(long)]
        old_label: Option<String>,
        /// The old key as a wrapped key file.
        #[arg(long)]
        old_wrapped_file: Option<PathBuf>,
        /// The old key as a demo file (INSECURE).
        #[arg(long)]
        old_insecure_demo_file: Option<PathBuf>,
        /// The new key's label on the token.
        #[arg(long)]
        new_label: Option<String>,
        /// The new key as a wrapped key file.
        #[arg(long)]
        new_wrapped_file: Option<PathBuf>,
        /// The new key as a demo file (INSECURE).
        #[arg(long)]
        new_insecure_demo_file: Option<PathBuf>,
    },
    /// After a lost token: grant the reports of the new key (which the
    /// operator put in the lost key's place with `advisor replace`) from the
    /// recovery key, read in its paper form from standard input.
    ///
    /// Only reports whose report item, opened with the recovery key, names
    /// a lost key as a recipient are granted: what the reporter chose, not
    /// what the server lists. The reports and counts are shown and must be
    /// confirmed (or `--yes`).
    Recover {
        #[command(flatten)]
        server: ServerArgs,
        /// The lost key (64 hex digits), from your records, not from the
        /// server; repeat it for the lost key's earlier keys after a
        /// rotation.
        #[arg(long = "lost", value_name = "KEY", required_unless_present = "import")]
        lost: Vec<String>,
        /// After the recovery key was replaced: an advisor key (64 hex
        /// digits, from your records) whose key grants to the recovery key
        /// you trust, for reports made before the replacement; repeat it.
        /// The lost keys are trusted so already.
        #[arg(long = "grantor", value_name = "KEY", conflicts_with_all = ["export", "import"])]
        grantor: Vec<String>,
        /// Offline ceremony, step 1: write the grant requests (every listed
        /// report's sealed items) to this file for `meldkluis-recovery-key
        /// seal-grants` on an offline machine; the recovery key is not read.
        #[arg(long, value_name = "FILE", conflicts_with = "import")]
        export: Option<PathBuf>,
        /// Offline ceremony, step 3: post the grants sealed offline.
        #[arg(long, value_name = "FILE", conflicts_with = "yes")]
        import: Option<PathBuf>,
        /// Grant without asking (for scripts). Without it, the command asks
        /// at the terminal, and refuses when there is none.
        #[arg(long)]
        yes: bool,
        /// Your report pins file (from the console), if you still have it:
        /// a report the server swapped in under a pinned id gets nothing.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["export", "import"])]
        pins: Option<PathBuf>,
        /// The new advisor key.
        #[command(flatten)]
        key: KeyArgs,
    },
    /// After the operator replaced the tenant's recovery key
    /// (`meldkluis-server recovery-key replace`): grant every item of every
    /// report you read to the new recovery key, from your own key, and
    /// introduce the new recovery key to each reporter's mailbox.
    ///
    /// The new key must be the `recovery` line of your enrolled-keys file
    /// (compared aloud first) and the key the server serves; otherwise
    /// nothing is granted.
    ReplaceRecoveryKey {
        #[command(flatten)]
        server: ServerArgs,
        /// The new recovery key (64 hex digits), as in your enrolled-keys
        /// file.
        #[arg(long, value_name = "KEY")]
        new_recovery: String,
        /// The keys you confirmed, with the new recovery key as its
        /// `recovery` line (the old one as `former-recovery`).
        #[arg(long)]
        enrolled: PathBuf,
        /// Your report pins file. By default next to the enrolled-keys
        /// file, named after it with `.pins` added (as the console keeps it).
        #[arg(long)]
        pins: Option<PathBuf>,
        /// Your advisor key.
        #[command(flatten)]
        key: KeyArgs,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match &cli.command {
        Command::Archive(ArchiveCommand::Open {
            export,
            out,
            enrolled,
            key,
        }) => {
            let enrolled = EnrolledKeys::load(enrolled)?;
            let (kind, key) = load_key(&cli, key, None)?;
            eprintln!("key: {kind}");
            let opened =
                meldkluis_keys::archive::open_export(export, out, key.as_ref(), &enrolled)?;
            println!(
                "export of tenant {} ({}): {} report(s), {} item(s) opened into {}",
                opened.tenant,
                opened.day,
                opened.reports,
                opened.opened,
                out.display()
            );
            if opened.follow_ups > 0 {
                println!(
                    "{} follow-up mailbox(es) not joined to a report yet (follow-ups/; senders not confirmed by any advisor)",
                    opened.follow_ups
                );
            }
            for item in &opened.not_opened {
                if item.report_id.is_empty() {
                    println!("not opened with this key: {} {}", item.kind, item.item_id);
                } else {
                    println!(
                        "not opened with this key: {} {} of report {}",
                        item.kind, item.item_id, item.report_id
                    );
                }
            }
            Ok(())
        }
        Command::Console {
            server,
            enrolled,
            listen,
            pins,
            lang,
            key,
        } => {
            // The server address is checked before the PIN is asked.
            meldkluis_keys::client::server_origin(&server.server)?;
            let (kind, key) = load_key(&cli, key, None)?;
            let options = ConsoleOptions {
                server: server.server.clone(),
                tenant: tenant(&server.tenant)?,
                enrolled: EnrolledKeys::load(enrolled)?,
                lang: catalog()
                    .lang(lang)
                    .with_context(|| format!("no language {lang}"))?,
                pins: Some(pins.clone().unwrap_or_else(|| {
                    let mut name = enrolled.as_os_str().to_owned();
                    name.push(".pins");
                    PathBuf::from(name)
                })),
            };
            if let Some(path) = &options.pins {
                eprintln!("report pins: {}", path.display());
            }
            // The console runs on a multi-threaded runtime: key operations
            // go to blocking threads while pages are served.
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(async move {
                let console = match listen {
                    Some(listen) => Console::bind(*listen, options, key).await?,
                    None => bind_random_loopback(options, key).await?,
                };
                eprintln!("key: {kind}");
                match console.check_keys().await {
                    Ok(found) if found.is_empty() => {
                        eprintln!(
                            "the server serves exactly the advisor and recovery keys you confirmed"
                        )
                    }
                    Ok(_) => {
                        eprintln!("WARNING: see above; the console shows it on every page too")
                    }
                    Err(e) => {
                        eprintln!("could not fetch the tenant's public configuration yet: {e}")
                    }
                }
                // Tests and people read this line; it holds the per-run
                // secret, so it goes to this terminal only.
                println!("meldkluis console: open {}", console.url());
                std::io::stdout().flush().ok();
                console
                    .serve(async {
                        let _ = tokio::signal::ctrl_c().await;
                    })
                    .await?;
                anyhow::Ok(())
            })
        }
        Command::Recipient {
            server,
            enrolled,
            listen,
            lang,
            key,
        } => {
            meldkluis_keys::client::server_origin(&server.server)?;
            let enrolled = enrolled.as_deref().map(EnrolledKeys::load).transpose()?;
            let (kind, key) = load_key(&cli, key, None)?;
            let options = RecipientOptions {
                server: server.server.clone(),
                tenant: tenant(&server.tenant)?,
                enrolled,
                lang: catalog()
                    .lang(lang)
                    .with_context(|| format!("no language {lang}"))?,
            };
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(async move {
                let listen = match listen {
                    Some(listen) => *listen,
                    None => {
                        let random = random_loopback_address();
                        if tokio::net::TcpListener::bind(random).await.is_ok() {
                            random
                        } else {
                            SocketAddr::from(([127, 0, 0, 1], 0))
                        }
                    }
                };
                let page = RecipientPage::bind(listen, options, key).await?;
                eprintln!("key: {kind}");
                page.log_in().await.context("logging in as a recipient")?;
                // Holds the per-run secret: this terminal only.
                println!("meldkluis recipient page: open {}", page.url());
                std::io::stdout().flush().ok();
                page.serve(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
                anyhow::Ok(())
            })
        }
        Command::Rotate {
            server,
            enrolled,
            old_label,
            old_wrapped_file,
            old_insecure_demo_file,
            new_label,
            new_wrapped_file,
            new_insecure_demo_file,
        } => {
            // The server address is checked before any key or PIN is asked.
            let client = ServerClient::new(&server.server, tenant(&server.tenant)?)?;
            let old_args = KeyArgs {
                label: old_label
                    .clone()
                    .unwrap_or_else(|| DEFAULT_KEY_LABEL.into()),
                wrapped_file: old_wrapped_file.clone(),
                insecure_demo_file: old_insecure_demo_file.clone(),
            };
            if new_label.is_none() && new_wrapped_file.is_none() && new_insecure_demo_file.is_none()
            {
                bail!(
                    "name the new key: --new-label, --new-wrapped-file or --new-insecure-demo-file"
                );
            }
            let new_args = KeyArgs {
                label: new_label
                    .clone()
                    .unwrap_or_else(|| DEFAULT_KEY_LABEL.into()),
                wrapped_file: new_wrapped_file.clone(),
                insecure_demo_file: new_insecure_demo_file.clone(),
            };
            // One PIN for both keys when they are on the same token.
            let pin =
                if old_args.insecure_demo_file.is_none() || new_args.insecure_demo_file.is_none() {
                    Some(pin(&cli)?)
                } else {
                    None
                };
            let (_, old) = load_key(&cli, &old_args, pin.as_ref())?;
            let (_, new) = load_key(&cli, &new_args, pin.as_ref())?;
            drop(pin);
            if old.public_key() == new.public_key() {
                bail!("the old and the new key are the same key");
            }
            let mut trusts = Vec::new();
            let mut pins = None;
            if let Some(path) = enrolled {
                let keys = EnrolledKeys::load(path)?;
                trusts.extend(keys.recovery);
                trusts.extend(keys.earlier);
                // The console's report pins, next to the enrolled keys.
                let mut name = path.as_os_str().to_owned();
                name.push(".pins");
                pins = Some(Pins::load(&PathBuf::from(name))?);
            }
            let outcome = runtime.block_on(async {
                // While the old key is active it logs in (its grants are its
                // own); after `advisor replace` only the new key can.
                let logged_in_as = match client.log_in(old.as_ref()).await {
                    Ok(()) => old.public_key(),
                    Err(_) => {
                        client
                            .log_in(new.as_ref())
                            .await
                            .context("neither the old nor the new key can log in")?;
                        new.public_key()
                    }
                };
                let job = Reseal {
                    grantor: old.as_ref(),
                    grantor_trusts: &trusts,
                    grantee: new.public_key(),
                    logged_in_as,
                    grantee_name: served_name(&client, &new.public_key()).await?,
                };
                let ids: Vec<String> = client
                    .reports()
                    .await?
                    .reports
                    .into_iter()
                    .map(|summary| summary.report_id)
                    .collect();
                anyhow::Ok(reseal_pinned(&client, &job, &ids, pins.as_ref()).await?)
            })?;
            print_outcome(&outcome, &new.public_key());
            Ok(())
        }
        Command::Recover {
            server,
            lost,
            grantor,
            export,
            import,
            yes,
            pins,
            key,
        } => {
            let lost = lost
                .iter()
                .map(|hex| {
                    PublicKey::from_hex(hex.trim())
                        .map_err(|_| anyhow::anyhow!("--lost {hex:?} is not a key (64 hex digits)"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let mut grantors = lost.clone();
            for hex in grantor {
                grantors.push(PublicKey::from_hex(hex.trim()).map_err(|_| {
                    anyhow::anyhow!("--grantor {hex:?} is not a key (64 hex digits)")
                })?);
            }
            let (_, new) = load_key(&cli, key, None)?;
            let pins = pins.as_deref().map(Pins::load).transpose()?;
            if let Some(path) = export {
                return export_requests(&runtime, server, new.as_ref(), &lost, path);
            }
            if let Some(path) = import {
                return import_grants(&runtime, server, new.as_ref(), path);
            }
            // The server address is checked before the recovery key is asked.
            let client = ServerClient::new(&server.server, tenant(&server.tenant)?)?;
            eprintln!(
                "Type or paste the recovery key (17 groups of 4), then end the input (Ctrl-D):"
            );
            let mut text = Zeroizing::new(String::new());
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading the recovery key from standard input")?;
            let recovery = recovery::parse_paper_form(&text)?;
            drop(text);
            let outcome = runtime.block_on(async {
                client.log_in(new.as_ref()).await.context(
                    "the new key cannot log in (has the operator run `advisor replace`?)",
                )?;
                let selection =
                    reports_naming_through(&client, &recovery, &lost, &grantors).await?;
                for (report_id, items) in &selection.chosen {
                    println!("report {report_id}: {items} items");
                }
                println!(
                    "reports that name the lost key: {}; listed by the server but not sealed \
                     to the lost key (nothing granted): {}",
                    selection.chosen.len(),
                    selection.left_out.len()
                );
                if selection.chosen.is_empty() {
                    return anyhow::Ok(None);
                }
                if !*yes
                    && !confirm(&format!(
                        "Grant these {} reports to the new key {}? [y/N] ",
                        selection.chosen.len(),
                        new.public_key().fingerprint()
                    ))?
                {
                    bail!("nothing granted");
                }
                let job = Reseal {
                    grantor: &recovery,
                    grantor_trusts: &grantors,
                    grantee: new.public_key(),
                    logged_in_as: new.public_key(),
                    grantee_name: served_name(&client, &new.public_key()).await?,
                };
                let ids: Vec<String> = selection.chosen.into_iter().map(|(id, _)| id).collect();
                anyhow::Ok(Some(
                    reseal_pinned(&client, &job, &ids, pins.as_ref()).await?,
                ))
            })?;
            drop(recovery);
            let Some(outcome) = outcome else {
                println!("nothing to grant");
                return Ok(());
            };
            print_outcome(&outcome, &new.public_key());
            Ok(())
        }
        Command::ReplaceRecoveryKey {
            server,
            new_recovery,
            enrolled,
            pins,
            key,
        } => {
            // The server address and the new key are checked before any
            // key or PIN is asked.
            let client = ServerClient::new(&server.server, tenant(&server.tenant)?)?;
            let new_recovery = PublicKey::from_hex(new_recovery.trim()).map_err(|_| {
                anyhow::anyhow!("--new-recovery {new_recovery:?} is not a key (64 hex digits)")
            })?;
            let enrolled_keys = EnrolledKeys::load(enrolled)?;
            if enrolled_keys.recovery != Some(new_recovery) {
                bail!(meldkluis_keys::Error::RecoveryKeyNotEnrolled(
                    new_recovery.to_hex()
                ));
            }
            let pins = Pins::load(&pins.clone().unwrap_or_else(|| {
                let mut name = enrolled.as_os_str().to_owned();
                name.push(".pins");
                PathBuf::from(name)
            }))?;
            let (_, advisor) = load_key(&cli, key, None)?;
            let outcome = runtime.block_on(replace_recovery_key(
                &client,
                advisor.as_ref(),
                &enrolled_keys,
                new_recovery,
                &pins,
            ));
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(e @ meldkluis_keys::Error::RecoveryKeySubstituted { .. }) => {
                    eprintln!("{e}");
                    bail!("nothing granted");
                }
                Err(e) => return Err(e.into()),
            };
            if outcome.unopened > 0 {
                println!(
                    "reports you cannot open (left alone; another advisor runs this for them): {}",
                    outcome.unopened
                );
            }
            print_outcome(&outcome, &new_recovery);
            Ok(())
        }
    }
}

/// `recover --export`: the grant requests for the offline ceremony.
fn export_requests(
    runtime: &tokio::runtime::Runtime,
    server: &ServerArgs,
    new: &dyn StaticKey,
    lost: &[PublicKey],
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let client = ServerClient::new(&server.server, tenant(&server.tenant)?)?;
    let requests = runtime.block_on(async {
        client
            .log_in(new)
            .await
            .context("the new key cannot log in (has the operator run `advisor replace`?)")?;
        let name = served_name(&client, &new.public_key()).await?;
        anyhow::Ok(ceremony::export_requests(&client, new.public_key(), &name, lost).await?)
    })?;
    std::fs::write(path, serde_json::to_vec(&requests)?)
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "grant requests for {} reports written to {} (ciphertext only)",
        requests.reports.len(),
        path.display()
    );
    println!(
        "next, on the offline machine: meldkluis-recovery-key seal-grants {} GRANTS-FILE",
        path.display()
    );
    Ok(())
}

/// `recover --import`: posts the grants sealed offline.
fn import_grants(
    runtime: &tokio::runtime::Runtime,
    server: &ServerArgs,
    new: &dyn StaticKey,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let sealed: ceremony::SealedGrants = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a sealed grants file", path.display()))?;
    let client = ServerClient::new(&server.server, tenant(&server.tenant)?)?;
    let outcome = runtime.block_on(async {
        client
            .log_in(new)
            .await
            .context("the new key cannot log in (has the operator run `advisor replace`?)")?;
        anyhow::Ok(ceremony::import_grants(&client, new.public_key(), &sealed).await?)
    })?;
    print_outcome(&outcome, &new.public_key());
    Ok(())
}

/// Asks at the terminal; refuses when there is none (use `--yes`).
fn confirm(question: &str) -> anyhow::Result<bool> {
    use std::io::IsTerminal as _;
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        bail!("no terminal to confirm at: check the list above and run again with --yes");
    }
    eprint!("{question}");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("reading the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "j" | "ja"))
}

/// Binds the console to a random 127.a.b.c address, or to 127.0.0.1 where
/// the system does not answer on the whole loopback range.
async fn bind_random_loopback(
    options: ConsoleOptions,
    key: Box<dyn StaticKey + Send>,
) -> anyhow::Result<Console> {
    let random = random_loopback_address();
    // Binding only fails before the key is used; try the address first.
    if tokio::net::TcpListener::bind(random).await.is_ok() {
        return Ok(Console::bind(random, options, key).await?);
    }
    Ok(Console::bind(SocketAddr::from(([127, 0, 0, 1], 0)), options, key).await?)
}

/// The name reporters know the new key by: the advisor's display name as
/// the server serves it (the operator enrolled the new key first).
async fn served_name(
    client: &ServerClient,
    key: &meldkluis_crypto_core::PublicKey,
) -> anyhow::Result<String> {
    let config = client.public_config().await?;
    config
        .advisors
        .iter()
        .find(|(served, _)| served.public_key == *key)
        .map(|(_, name)| name.clone())
        .context("the new key is not enrolled with the tenant yet (the operator enrols it first)")
}

fn tenant(id: &str) -> anyhow::Result<TenantId> {
    TenantId::new(id).map_err(|_| anyhow::anyhow!("invalid tenant id {id:?}"))
}

fn print_outcome(outcome: &ResealOutcome, grantee: &PublicKey) {
    if outcome.swapped > 0 {
        eprintln!(
            "WARNING: REPORT SWAPPED? {} reports are not the ones your pins file pinned under \
             their ids (another mailbox key or header); nothing was granted or posted for them. \
             Tell the other advisors and the operator.",
            outcome.swapped
        );
    }
    println!(
        "reports: {}, items: {}, granted now: {}, already readable: {}, not reachable: {}, \
         new key introduced to reporters: {}, swapped (left alone): {}",
        outcome.reports,
        outcome.items,
        outcome.granted,
        outcome.already_readable,
        outcome.unreachable,
        outcome.introduced,
        outcome.swapped
    );
    println!("new key: {}", grantee.to_hex());
    println!("fingerprint: {}", grantee.fingerprint());
}

fn pin(cli: &Cli) -> anyhow::Result<Pin> {
    Ok(if cli.pin_from_env {
        Pin::from_env()?
    } else if let Some(fd) = cli.pin_fd {
        Pin::from_fd(fd)?
    } else {
        Pin::prompt("Token PIN: ")?
    })
}

fn open_token(cli: &Cli, pin_given: Option<&Pin>) -> anyhow::Result<Token> {
    let Some(path) = &cli.module else {
        bail!("no PKCS#11 module: give --module PATH or set {MODULE_ENV}");
    };
    let module = Pkcs11Module::load(path)?;
    let selector = cli
        .token
        .clone()
        .map_or(TokenSelector::Only, TokenSelector::Label);
    let asked;
    let pin = match pin_given {
        Some(pin) => pin,
        None => {
            asked = pin(cli)?;
            &asked
        }
    };
    module.open(&selector, pin).context("opening the token")
}

fn load_key(
    cli: &Cli,
    key: &KeyArgs,
    pin: Option<&Pin>,
) -> anyhow::Result<(String, Box<dyn StaticKey + Send>)> {
    if let Some(path) = &key.insecure_demo_file {
        eprintln!(
            "WARNING: INSECURE DEMO KEY (plain file; demo and tests only, never for real reports)"
        );
        let demo = InsecureDemoKey::load(path)?;
        return Ok(("INSECURE DEMO KEY".into(), Box::new(demo)));
    }
    let token = open_token(cli, pin)?;
    if let Some(path) = &key.wrapped_file {
        let wrapped = WrappedKey::unwrap(&token, path)?;
        return Ok((
            format!(
                "wrapped software key (AES key on token '{}')",
                token.label()
            ),
            Box::new(wrapped),
        ));
    }
    let label = token.label().to_owned();
    let on_token = TokenKey::find(token, &key.label)?;
    if !on_token.protection()?.is_hardware_bound() {
        bail!("the token reports the key as readable or extractable; not using it");
    }
    Ok((
        format!("on-token X25519 key (non-extractable, token '{label}')"),
        Box::new(on_token),
    ))
}
