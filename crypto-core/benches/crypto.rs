//! Seal and open items at 1 KiB, 1 MiB and 64 MiB with 3 recipients (format
//! version 2, and version 1 for comparison: version 2 also hashes the sealed
//! payload with SHA-256 for the recipient tags), next to raw one-shot
//! ChaCha20-Poly1305 over the same bytes in the same run; one
//! HPKE auth-mode seal (one recipient's stanza); the Argon2id mailbox
//! derivation with the version 1 parameters.
//!
//! `cargo bench -p meldkluis-crypto-core --bench crypto`

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use meldkluis_crypto_core::primitives::hpke;
use meldkluis_crypto_core::{
    open_item, seal_item, seal_item_with_version, Expect, ItemId, ItemKind, ItemOpener, ItemSealer,
    LoginCode, MailboxKeys, SealParams, StaticKey, StaticSecret, TenantId, Version,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::hint::black_box;
use std::time::Duration;

const SIZES: [(usize, &str); 3] = [(1 << 10, "1KiB"), (1 << 20, "1MiB"), (64 << 20, "64MiB")];

fn items(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let tenant = TenantId::new("acme").unwrap();
    let sender = StaticSecret::generate(&mut rng);
    let readers: Vec<StaticSecret> = (0..3).map(|_| StaticSecret::generate(&mut rng)).collect();
    let recipients: Vec<_> = readers.iter().map(|r| r.public_key()).collect();
    let id = ItemId([1; 16]);
    let params = SealParams {
        kind: ItemKind::Attachment,
        tenant: &tenant,
        item_id: id,
        report_id: id,
        sender: &sender,
        recipients: &recipients,
    };
    let senders = [sender.public_key()];
    let expect = Expect {
        tenant: &tenant,
        senders: &senders,
    };

    for (size, name) in SIZES {
        let mut group = c.benchmark_group(format!("item-{name}"));
        group.throughput(Throughput::Bytes(size as u64));
        if size > 1 << 20 {
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(8));
        }
        let content = vec![0x5au8; size];
        let aead = ChaCha20Poly1305::new(&[7u8; 32].into());
        let mut buffer = Vec::with_capacity(size + 16);
        group.bench_function(BenchmarkId::new("raw-chacha20poly1305-seal", name), |b| {
            b.iter(|| {
                buffer.clear();
                buffer.extend_from_slice(&content);
                aead.encrypt_in_place(&[0u8; 12].into(), b"", &mut buffer)
                    .unwrap();
                black_box(buffer.len())
            })
        });
        group.bench_function(BenchmarkId::new("seal-3-recipients", name), |b| {
            b.iter(|| black_box(seal_item(&params, &content, &mut rng).unwrap().len()))
        });
        group.bench_function(BenchmarkId::new("seal-v1-3-recipients", name), |b| {
            b.iter(|| {
                black_box(
                    seal_item_with_version(&params, Version::V1, &content, &mut rng)
                        .unwrap()
                        .len(),
                )
            })
        });
        let item = seal_item(&params, &content, &mut rng).unwrap();
        let item_v1 = seal_item_with_version(&params, Version::V1, &content, &mut rng).unwrap();
        group.bench_function(BenchmarkId::new("open-v1", name), |b| {
            b.iter(|| {
                black_box(
                    open_item(&item_v1, &readers[1], &expect)
                        .unwrap()
                        .content
                        .len(),
                )
            })
        });
        group.bench_function(BenchmarkId::new("raw-chacha20poly1305-open", name), |b| {
            let mut sealed = content.clone();
            aead.encrypt_in_place(&[0u8; 12].into(), b"", &mut sealed)
                .unwrap();
            b.iter(|| {
                buffer.clear();
                buffer.extend_from_slice(&sealed);
                aead.decrypt_in_place(&[0u8; 12].into(), b"", &mut buffer)
                    .unwrap();
                black_box(buffer.len())
            })
        });
        group.bench_function(BenchmarkId::new("open", name), |b| {
            b.iter(|| {
                black_box(
                    open_item(&item, &readers[1], &expect)
                        .unwrap()
                        .content
                        .len(),
                )
            })
        });
        // The streaming path large attachments take (file to network and
        // back), writing into a reused buffer exactly like the raw baseline.
        let mut out = Vec::with_capacity(item.len());
        group.bench_function(BenchmarkId::new("seal-streaming-3-recipients", name), |b| {
            b.iter(|| {
                out.clear();
                let (mut sealer, header) = ItemSealer::new(&params, size as u64, &mut rng).unwrap();
                out.extend_from_slice(&header);
                sealer.update_into(&content, &mut out).unwrap();
                sealer.finish_into(&mut out).unwrap();
                black_box(out.len())
            })
        });
        group.bench_function(BenchmarkId::new("open-streaming", name), |b| {
            b.iter(|| {
                out.clear();
                let (mut opener, header_len) =
                    ItemOpener::new(&item, &readers[1], &expect).unwrap();
                opener.update_into(&item[header_len..], &mut out).unwrap();
                opener.finish().unwrap();
                black_box(out.len())
            })
        });
        group.finish();
    }
}

fn hpke_and_argon2(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let sender = StaticSecret::generate(&mut rng);
    let recipient = StaticSecret::generate(&mut rng).public_key();
    c.bench_function("hpke-auth-seal-per-recipient", |b| {
        b.iter(|| {
            black_box(
                hpke::seal_auth(&recipient, &sender, b"info", b"aad", &[1u8; 32], &[9u8; 32])
                    .unwrap(),
            )
        })
    });
    let mut group = c.benchmark_group("mailbox");
    group.sample_size(10);
    let code = LoginCode::generate(&mut rng);
    let tenant = TenantId::new("acme").unwrap();
    group.bench_function("argon2id-derive-v1", |b| {
        b.iter(|| black_box(MailboxKeys::derive(&code, &tenant).mailbox_id()))
    });
    group.finish();
}

criterion_group!(benches, items, hpke_and_argon2);
criterion_main!(benches);
