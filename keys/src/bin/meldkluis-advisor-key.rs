//! `meldkluis-advisor-key`: makes and checks an advisor's key on a PKCS#11
//! token, and prints its public key and fingerprint for enrolment.
//!
//! The module comes from `--module` or `MELDKLUIS_PKCS11_MODULE`; the PIN is
//! asked for at the terminal (or read from `--pin-fd`, or from
//! `MELDKLUIS_TOKEN_PIN` with `--pin-from-env`, for scripts and tests) and
//! never stored.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use meldkluis_crypto_core::challenge::{answer_challenge, ServerChallenge};
use meldkluis_crypto_core::{
    open_item, os_rng, seal_item, Expect, ItemId, ItemKind, SealParams, StaticKey, StaticSecret,
    TenantId,
};
use meldkluis_keys::{
    enrolment_text, InsecureDemoKey, Pin, Pkcs11Module, Token, TokenKey, TokenSelector, WrappedKey,
    DEFAULT_KEY_LABEL, MODULE_ENV,
};

const INSECURE: &str =
    "INSECURE DEMO KEY (plain file; demo and tests only, never for real reports)";

#[derive(Debug, Parser)]
#[command(
    name = "meldkluis-advisor-key",
    version,
    about = "An advisor's key on a hardware token (PKCS#11)."
)]
struct Cli {
    /// The PKCS#11 module (.so) of the token, e.g. /usr/lib/x86_64-linux-gnu/libykcs11.so.
    #[arg(long, env = MODULE_ENV, global = true)]
    module: Option<PathBuf>,
    /// The token's label (needed when the module shows several tokens).
    #[arg(long, env = "MELDKLUIS_TOKEN_LABEL", global = true)]
    token: Option<String>,
    /// Read the PIN from this open file descriptor (first line) instead of the terminal.
    #[arg(long, global = true, conflicts_with = "pin_from_env")]
    pin_fd: Option<u32>,
    /// Read the PIN from MELDKLUIS_TOKEN_PIN (tests and automation only).
    #[arg(long, global = true)]
    pin_from_env: bool,
    #[command(subcommand)]
    command: Command,
}

/// Which key: on the token (by label, the default), wrapped in a file by the
/// token, or a plain demo file.
#[derive(Debug, Args)]
struct KeyArgs {
    /// The key's label on the token.
    #[arg(long, default_value = DEFAULT_KEY_LABEL)]
    label: String,
    /// A software key wrapped by an AES key on the token, for tokens without X25519.
    #[arg(long, conflicts_with = "insecure_demo_file")]
    wrapped_file: Option<PathBuf>,
    /// A plain key file. INSECURE: demo and tests only.
    #[arg(long)]
    insecure_demo_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the module's tokens and what each can hold.
    Tokens,
    /// Make a new key: on the token (default), wrapped (--wrapped-file) or a demo file.
    Generate(KeyArgs),
    /// Print the public key and fingerprint, for the operator to enrol.
    Export(KeyArgs),
    /// Check the key works: key agreement, opening an item sealed to it,
    /// sealing as sender, answering a log-in challenge.
    SelfTest(KeyArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match &cli.command {
        Command::Tokens => tokens(&cli),
        Command::Generate(key) => {
            let (kind, loaded) = generate(&cli, key)?;
            println!("New key made.");
            print_enrolment(&kind, loaded.as_ref());
            Ok(())
        }
        Command::Export(key) => {
            let (kind, loaded) = load(&cli, key)?;
            print_enrolment(&kind, loaded.as_ref());
            Ok(())
        }
        Command::SelfTest(key) => {
            let (kind, loaded) = load(&cli, key)?;
            self_test(loaded.as_ref())?;
            println!("self-test passed: {kind}");
            println!("public key:   {}", loaded.public_key().to_hex());
            Ok(())
        }
    }
}

fn module(cli: &Cli) -> anyhow::Result<Pkcs11Module> {
    let Some(path) = &cli.module else {
        bail!("no PKCS#11 module: give --module PATH or set {MODULE_ENV}");
    };
    Ok(Pkcs11Module::load(path)?)
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

fn open_token(cli: &Cli) -> anyhow::Result<Token> {
    let module = module(cli)?;
    let selector = cli
        .token
        .clone()
        .map_or(TokenSelector::Only, TokenSelector::Label);
    let pin = pin(cli)?;
    module.open(&selector, &pin).context("opening the token")
}

fn tokens(cli: &Cli) -> anyhow::Result<()> {
    let module = module(cli)?;
    for token in module.list_tokens()? {
        let kind = if token.x25519 {
            "on-token X25519 key"
        } else if token.aes_gcm {
            "wrapped key only (no X25519 on the token)"
        } else {
            "unusable (neither X25519 nor AES-GCM)"
        };
        println!("'{}' ({}): {kind}", token.label, token.description);
    }
    Ok(())
}

type Kind = String;

fn generate(cli: &Cli, key: &KeyArgs) -> anyhow::Result<(Kind, Box<dyn StaticKey>)> {
    if let Some(path) = &key.insecure_demo_file {
        let demo = InsecureDemoKey::generate(path)
            .with_context(|| format!("writing {}", path.display()))?;
        return Ok((INSECURE.into(), Box::new(demo)));
    }
    let token = open_token(cli)?;
    if let Some(path) = &key.wrapped_file {
        let wrapped = WrappedKey::create(&token, &key.label, path)?;
        return Ok((wrapped_kind(token.label()), Box::new(wrapped)));
    }
    let label = token.label().to_owned();
    let on_token = TokenKey::generate(token, &key.label)?;
    Ok((on_token_kind(&label), Box::new(on_token)))
}

fn load(cli: &Cli, key: &KeyArgs) -> anyhow::Result<(Kind, Box<dyn StaticKey>)> {
    if let Some(path) = &key.insecure_demo_file {
        let demo = InsecureDemoKey::load(path)?;
        return Ok((INSECURE.into(), Box::new(demo)));
    }
    let token = open_token(cli)?;
    if let Some(path) = &key.wrapped_file {
        let wrapped = WrappedKey::unwrap(&token, path)?;
        return Ok((wrapped_kind(token.label()), Box::new(wrapped)));
    }
    let label = token.label().to_owned();
    let on_token = TokenKey::find(token, &key.label)?;
    let protection = on_token.protection()?;
    if !protection.is_hardware_bound() {
        bail!(
            "the token reports the key as readable or extractable ({protection:?}); not using it"
        );
    }
    let mut kind = on_token_kind(&label);
    if !protection.is_born_on_token() {
        kind.push_str(" [the token does not confirm it was generated on it]");
    }
    Ok((kind, Box::new(on_token)))
}

fn on_token_kind(token: &str) -> Kind {
    format!("on-token X25519 key (non-extractable, token '{token}')")
}

fn wrapped_kind(token: &str) -> Kind {
    format!("wrapped software key (AES key on token '{token}'; in memory while in use)")
}

fn print_enrolment(kind: &str, key: &dyn StaticKey) {
    let public = key.public_key();
    let mut text = enrolment_text(kind, &public);
    if kind == INSECURE {
        text.push_str("Enrol it on a DEMO tenant only (operator):\n");
    } else {
        text.push_str("Enrol it on the server (operator):\n");
    }
    text.push_str(&format!(
        "  meldkluis-server advisor add TENANT --public-key {} --name NAME\n\
         then compare the fingerprint aloud with the operator.\n",
        public.to_hex()
    ));
    for line in text.lines() {
        if kind == INSECURE {
            println!("{line}   [INSECURE DEMO KEY]");
        } else {
            println!("{line}");
        }
    }
}

fn self_test(key: &dyn StaticKey) -> anyhow::Result<()> {
    let mut rng = os_rng();
    let peer = StaticSecret::generate(&mut rng);
    let ours = key
        .agree(&peer.public_key())
        .context("key agreement on the key")?;
    let theirs = peer.agree(&key.public_key())?;
    if ours.expose_secret_bytes() != theirs.expose_secret_bytes() {
        bail!(
            "the key's agreement does not match X25519: the key is not the one its public key says"
        );
    }
    let tenant = TenantId::new("self-test")?;
    let id = ItemId::random(&mut rng);
    let params = SealParams {
        kind: ItemKind::Report,
        tenant: &tenant,
        item_id: id,
        report_id: id,
        sender: &peer,
        recipients: &[key.public_key()],
    };
    let item = seal_item(&params, b"meldkluis self-test", &mut rng)?;
    let opened = open_item(
        &item,
        key,
        &Expect {
            tenant: &tenant,
            senders: &[peer.public_key()],
        },
    )
    .context("opening an item sealed to the key")?;
    if opened.content.as_slice() != b"meldkluis self-test" {
        bail!("opened item differs");
    }
    let reply_id = ItemId::random(&mut rng);
    let reply = SealParams {
        kind: ItemKind::Message,
        tenant: &tenant,
        item_id: reply_id,
        report_id: id,
        sender: key,
        recipients: &[peer.public_key()],
    };
    let item = seal_item(&reply, b"reply", &mut rng).context("sealing as sender")?;
    open_item(
        &item,
        &peer,
        &Expect {
            tenant: &tenant,
            senders: &[key.public_key()],
        },
    )?;
    let (challenge, message) = ServerChallenge::new(&mut rng, b"self-test");
    let answer = answer_challenge(key, &message, b"self-test")?;
    if !challenge.verify(&key.public_key(), &answer) {
        bail!("log-in challenge answer rejected");
    }
    Ok(())
}
