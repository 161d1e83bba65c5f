//! `meldkluis-recovery-key`: the tenant's offline recovery key.
//!
//! Run on an offline machine. `generate` prints the secret in its paper
//! form (to be written down or printed and kept by the advisors'
//! organisation, never by the employer's management) and the public key
//! with its fingerprint for the operator (`meldkluis-server recovery-key
//! set`). `generate --on-token` makes it on a second token instead.
//! `public` reads the paper form back and shows the public key again.
//!
//! Using the recovery key after a token is lost (key grants of every item
//! to the new advisor key) is `meldkluis-advisor recover`, which reads this
//! paper form from standard input.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use meldkluis_crypto_core::{os_rng, StaticKey, StaticSecret, Zeroizing};
use meldkluis_keys::{
    enrolment_text, recovery, Pin, Pkcs11Module, TokenKey, TokenSelector, MODULE_ENV,
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
