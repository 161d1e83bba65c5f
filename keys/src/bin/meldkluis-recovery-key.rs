//! `meldkluis-recovery-key`: the tenant's offline recovery key.
//!
//! Run on an offline machine. `generate` prints the secret in its paper
//! form (to be written down or printed and kept by the advisors'
//! organisation, never by the employer's management) and the public key
//! with its fingerprint for the operator (`meldkluis-server recovery-key
//! set`). `generate --on-token` makes it on a second token instead.
//! `public` reads the paper form back and shows the public key again.
//!
//! Using the recovery key after a token is lost (key grants to the new
//! advisor key of the reports sealed to the lost key) is `meldkluis-advisor
//! recover`, which reads this paper form from standard input; or, with the
//! recovery key never on a networked machine, `seal-grants` here, offline,
//! between `recover --export` and `recover --import` (see
//! `meldkluis_keys::ceremony`).

use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use meldkluis_crypto_core::{os_rng, StaticKey, StaticSecret, Zeroizing};
use meldkluis_keys::{
    ceremony, enrolment_text, recovery, Pin, Pkcs11Module, TokenKey, TokenSelector, MODULE_ENV,
};

#[derive(Debug, Parser)]
#[command(
    name = "meldkluis-recovery-key",
    version,
    about = "The tenant's offline recovery key."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make a recovery key and print it for paper (or make it on a token).
    Generate {
        /// Make it on this PKCS#11 module's token instead of printing it.
        #[arg(long)]
        on_token: bool,
        /// The PKCS#11 module (with --on-token).
        #[arg(long, env = MODULE_ENV)]
        module: Option<PathBuf>,
        /// The token's label (with --on-token).
        #[arg(long)]
        token: Option<String>,
        /// Read the PIN from MELDKLUIS_TOKEN_PIN (tests only).
        #[arg(long)]
        pin_from_env: bool,
    },
    /// Read the paper form from standard input and print the public key.
    Public,
    /// The offline recovery ceremony, step 2: read the paper form from
    /// standard input and the grant requests from REQUESTS (written by
    /// `meldkluis-advisor recover --export`), and write the key grants for
    /// the reports that name a lost key to GRANTS (for `recover --import`).
    SealGrants {
        /// The grant requests file.
        requests: PathBuf,
        /// Where to write the sealed grants.
        grants: PathBuf,
        /// Seal without asking (for scripts). Without it, asks at the
        /// terminal, and refuses when there is none.
        #[arg(long)]
        yes: bool,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Generate {
            on_token: false, ..
        } => {
            let secret = StaticSecret::generate(&mut os_rng());
            println!("RECOVERY KEY - SECRET. Write it down or print it; keep it offline, in the advisors'");
            println!("organisation, never with the employer's management. Anyone holding it can read every report.");
            println!();
            print!("{}", recovery::expose_paper_form(&secret).as_str());
            println!();
            print!(
                "{}",
                enrolment_text("offline recovery key", &secret.public_key())
            );
            println!("Set it on the server (operator):");
            println!(
                "  meldkluis-server recovery-key set TENANT {}",
                secret.public_key().to_hex()
            );
            Ok(())
        }
        Command::Generate {
            on_token: true,
            module,
            token,
            pin_from_env,
        } => {
            let Some(module) = module else {
                bail!("no PKCS#11 module: give --module PATH or set {MODULE_ENV}")
            };
            let module = Pkcs11Module::load(&module)?;
            let pin = if pin_from_env {
                Pin::from_env()?
            } else {
                Pin::prompt("Recovery token PIN: ")?
            };
            let token = module.open(
                &token.map_or(TokenSelector::Only, TokenSelector::Label),
                &pin,
            )?;
            let key = TokenKey::generate(token, "meldkluis recovery key")?;
            print!(
                "{}",
                enrolment_text("offline recovery key (on-token X25519)", &key.public_key())
            );
            println!("Set it on the server (operator):");
            println!(
                "  meldkluis-server recovery-key set TENANT {}",
                key.public_key().to_hex()
            );
            Ok(())
        }
        Command::SealGrants {
            requests,
            grants,
            yes,
        } => {
            let text = std::fs::read(&requests)
                .with_context(|| format!("reading {}", requests.display()))?;
            let requests: ceremony::GrantRequests = serde_json::from_slice(&text)
                .with_context(|| format!("{} is not a grant requests file", requests.display()))?;
            eprintln!(
                "Type or paste the recovery key (17 groups of 4), then end the input (Ctrl-D):"
            );
            let mut paper = Zeroizing::new(String::new());
            std::io::stdin()
                .read_to_string(&mut paper)
                .context("reading the recovery key from standard input")?;
            let secret = recovery::parse_paper_form(&paper)?;
            drop(paper);
            let ceremony::RecoverySelection { chosen, left_out } =
                ceremony::choose(&requests, &secret)?;
            for (report_id, items) in &chosen {
                println!("report {report_id}: {items} items");
            }
            println!(
                "reports that name the lost key: {}; listed but not sealed to the lost key \
                 (nothing granted): {}",
                chosen.len(),
                left_out.len()
            );
            if !yes
                && !confirm(&format!(
                    "Seal grants for these {} reports to the new key {}? [y/N] ",
                    chosen.len(),
                    requests.grantee
                ))?
            {
                bail!("nothing sealed");
            }
            let sealed = ceremony::seal_grants(&requests, &secret)?;
            drop(secret);
            std::fs::write(&grants, serde_json::to_vec(&sealed)?)
                .with_context(|| format!("writing {}", grants.display()))?;
            println!(
                "sealed grants for {} reports written to {}; next, online: \
                 meldkluis-advisor recover --import {}",
                sealed.reports.len(),
                grants.display(),
                grants.display()
            );
            Ok(())
        }
        Command::Public => {
            let mut text = Zeroizing::new(String::new());
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading standard input")?;
            let secret = recovery::parse_paper_form(&text)?;
            print!(
                "{}",
                enrolment_text("offline recovery key", &secret.public_key())
            );
            Ok(())
        }
    }
}

/// Asks at the terminal; refuses when there is none (use `--yes`).
fn confirm(question: &str) -> anyhow::Result<bool> {
    use std::io::{IsTerminal as _, Write as _};
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
