//! RFC 9180 Appendix A.2 test vectors (DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, ChaCha20-Poly1305), all four modes, byte for byte.

use meldkluis_crypto_core::primitives::hpke::{self, Mode, Psk};
use meldkluis_crypto_core::{PublicKey, StaticKey};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    mode: u8,
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    info: String,
    #[serde(rename = "ikmE")]
    ikm_e: String,
    #[serde(rename = "pkEm")]
    pk_em: String,
    #[serde(rename = "ikmR")]
    ikm_r: String,
    #[serde(rename = "pkRm")]
    pk_rm: String,
    #[serde(rename = "skRm")]
    sk_rm: String,
    #[serde(rename = "ikmS", default)]
    ikm_s: Option<String>,
    #[serde(rename = "pkSm", default)]
    pk_sm: Option<String>,
    #[serde(default)]
    psk: Option<String>,
    #[serde(default)]
    psk_id: Option<String>,
    enc: String,
    shared_secret: String,
    key_schedule_context: String,
    key: String,
    base_nonce: String,
    exporter_secret: String,
    encryptions: Vec<Encryption>,
    exports: Vec<Export>,
}

#[derive(Deserialize)]
struct Encryption {
    sequence_number: u64,
    pt: String,
    aad: String,
    ct: String,
}

#[derive(Deserialize)]
struct Export {
    exporter_context: String,
    #[serde(rename = "L")]
    len: usize,
    exported_value: String,
}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).expect("vector hex")
}

fn vectors() -> Vec<Vector> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/vectors/hpke-rfc9180-x25519-sha256-chacha20poly1305.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).expect("vector JSON")
}

#[test]
fn all_modes_reproduce_the_vectors_byte_for_byte() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 4);
    let mut modes_seen = Vec::new();
    for v in &vectors {
        assert_eq!((v.kem_id, v.kdf_id, v.aead_id), (0x20, 1, 3));
        modes_seen.push(v.mode);
        let mode = match v.mode {
            0 => Mode::Base,
            1 => Mode::Psk,
            2 => Mode::Auth,
            3 => Mode::AuthPsk,
            other => panic!("unknown mode {other}"),
        };
        // DeriveKeyPair reproduces every public key from its ikm.
        let ephemeral = hpke::derive_key_pair(&h(&v.ikm_e));
        assert_eq!(
            ephemeral.public_key().to_hex(),
            v.pk_em,
            "pkEm, mode {}",
            v.mode
        );
        let recipient = hpke::derive_key_pair(&h(&v.ikm_r));
        assert_eq!(
            recipient.public_key().to_hex(),
            v.pk_rm,
            "pkRm, mode {}",
            v.mode
        );
        assert_eq!(
            hex::encode(*recipient.expose_secret_bytes()),
            v.sk_rm,
            "skRm, mode {}",
            v.mode
        );
        let sender = v.ikm_s.as_ref().map(|ikm| hpke::derive_key_pair(&h(ikm)));
        if let Some(sender) = &sender {
            assert_eq!(
                Some(sender.public_key().to_hex()),
                v.pk_sm,
                "pkSm, mode {}",
                v.mode
            );
        }
        let (psk_bytes, psk_id_bytes) = (v.psk.as_deref().map(h), v.psk_id.as_deref().map(h));
        let psk = match (&psk_bytes, &psk_id_bytes) {
            (Some(psk), Some(psk_id)) => Some(Psk { psk, psk_id }),
            _ => None,
        };
        let info = h(&v.info);
        let recipient_public = PublicKey::from_hex(&v.pk_rm).unwrap();

        let (enc, mut sender_ctx) = hpke::setup_sender(
            mode,
            &recipient_public,
            &info,
            psk,
            sender.as_ref().map(|s| s as &dyn StaticKey),
            &h(&v.ikm_e),
        )
        .unwrap();
        assert_eq!(hex::encode(enc), v.enc, "enc, mode {}", v.mode);
        assert_eq!(
            hex::encode(sender_ctx.expose_shared_secret()),
            v.shared_secret,
            "shared_secret, mode {}",
            v.mode
        );
        let schedule = sender_ctx.key_schedule();
        assert_eq!(
            hex::encode(&schedule.context),
            v.key_schedule_context,
            "key_schedule_context"
        );
        assert_eq!(
            hex::encode(schedule.expose_key()),
            v.key,
            "key, mode {}",
            v.mode
        );
        assert_eq!(
            hex::encode(schedule.base_nonce()),
            v.base_nonce,
            "base_nonce, mode {}",
            v.mode
        );
        assert_eq!(
            hex::encode(schedule.expose_exporter_secret()),
            v.exporter_secret,
            "exporter_secret"
        );

        let sender_public = sender.as_ref().map(|s| s.public_key());
        let mut recipient_ctx =
            hpke::setup_recipient(mode, &enc, &recipient, &info, psk, sender_public.as_ref())
                .unwrap();
        assert_eq!(
            hex::encode(recipient_ctx.expose_shared_secret()),
            v.shared_secret
        );

        // Every encryption: sealing at its sequence number gives `ct`, and
        // opening `ct` gives `pt`. Skipped sequence numbers are consumed by
        // sealing and opening throw-away messages, as a long session would.
        let mut sequence = 0u64;
        let mut opener_seq = 0u64;
        for e in &v.encryptions {
            while sequence < e.sequence_number {
                sender_ctx.seal(b"", b"").unwrap();
                sequence += 1;
            }
            let ct = sender_ctx.seal(&h(&e.aad), &h(&e.pt)).unwrap();
            sequence += 1;
            assert_eq!(
                hex::encode(&ct),
                e.ct,
                "ct seq {} mode {}",
                e.sequence_number,
                v.mode
            );
            // The recipient context has to reach the same sequence number.
            while opener_seq < e.sequence_number {
                let filler = {
                    // A throw-away message at that sequence number, made by a
                    // second sender context that runs alongside.
                    let (_, mut ctx) = hpke::setup_sender(
                        mode,
                        &recipient_public,
                        &info,
                        psk,
                        sender.as_ref().map(|s| s as &dyn StaticKey),
                        &h(&v.ikm_e),
                    )
                    .unwrap();
                    for _ in 0..opener_seq {
                        ctx.seal(b"", b"").unwrap();
                    }
                    ctx.seal(b"", b"").unwrap()
                };
                recipient_ctx.open(b"", &filler).unwrap();
                opener_seq += 1;
            }
            let pt = recipient_ctx.open(&h(&e.aad), &h(&e.ct)).unwrap();
            opener_seq += 1;
            assert_eq!(
                hex::encode(&*pt),
                e.pt,
                "pt seq {} mode {}",
                e.sequence_number,
                v.mode
            );
        }

        for x in &v.exports {
            let mut out = vec![0u8; x.len];
            sender_ctx
                .export(&h(&x.exporter_context), &mut out)
                .unwrap();
            assert_eq!(
                hex::encode(&out),
                x.exported_value,
                "export, mode {}",
                v.mode
            );
            recipient_ctx
                .export(&h(&x.exporter_context), &mut out)
                .unwrap();
            assert_eq!(
                hex::encode(&out),
                x.exported_value,
                "export (recipient), mode {}",
                v.mode
            );
        }
    }
    modes_seen.sort_unstable();
    assert_eq!(modes_seen, [0, 1, 2, 3]);
}

#[test]
fn auth_mode_refuses_the_wrong_sender_and_tampering() {
    let v = vectors().into_iter().find(|v| v.mode == 2).unwrap();
    let recipient = hpke::derive_key_pair(&h(&v.ikm_r));
    let sender = PublicKey::from_hex(v.pk_sm.as_ref().unwrap()).unwrap();
    let e = &v.encryptions[0];
    let info = h(&v.info);
    // The vector opens with the right sender...
    let pt = hpke::open_auth(
        &h(&v.enc),
        &recipient,
        &sender,
        &info,
        &h(&e.aad),
        &h(&e.ct),
    )
    .unwrap();
    assert_eq!(hex::encode(&*pt), e.pt);
    // ...and with no other: a forged sender key, a changed info, aad, enc or ct.
    let impostor = hpke::derive_key_pair(b"an impostor's key material, 32+ bytes").public_key();
    assert!(hpke::open_auth(
        &h(&v.enc),
        &recipient,
        &impostor,
        &info,
        &h(&e.aad),
        &h(&e.ct)
    )
    .is_err());
    assert!(hpke::open_auth(
        &h(&v.enc),
        &recipient,
        &sender,
        b"other",
        &h(&e.aad),
        &h(&e.ct)
    )
    .is_err());
    assert!(hpke::open_auth(&h(&v.enc), &recipient, &sender, &info, b"other", &h(&e.ct)).is_err());
    let mut enc = h(&v.enc);
    enc[0] ^= 1;
    assert!(hpke::open_auth(&enc, &recipient, &sender, &info, &h(&e.aad), &h(&e.ct)).is_err());
    let mut ct = h(&e.ct);
    ct[3] ^= 0x80;
    assert!(hpke::open_auth(&h(&v.enc), &recipient, &sender, &info, &h(&e.aad), &ct).is_err());
    assert!(hpke::open_auth(
        &h(&v.enc)[..31],
        &recipient,
        &sender,
        &info,
        &h(&e.aad),
        &h(&e.ct)
    )
    .is_err());
    assert!(hpke::open_auth(
        &h(&v.enc),
        &recipient,
        &sender,
        &info,
        &h(&e.aad),
        &h(&e.ct)[..15]
    )
    .is_err());
    // A low-order ephemeral key gives the all-zero agreement and is refused.
    assert!(hpke::open_auth(
        &[0u8; 32],
        &recipient,
        &sender,
        &info,
        &h(&e.aad),
        &h(&e.ct)
    )
    .is_err());
}
