//! Test certificates and keys for the virtual card: real RSA-2048 keys (fixed, for tests only)
//! and X.509 certificates built here in DER, signed with sha256WithRSAEncryption.
//!
//! The certificates are built by hand with the crate's own TLV encoder and parsed back by
//! `x509-cert` in the card layer, so the two check each other. Their length is padded to that
//! of the real certificate in the reference traces (1312 bytes, `30 82 05 1C`), so APDU counts
//! compare with the peers'.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::EncodePublicKey;
use rsa::sha2::{Digest, Sha256};
use rsa::{Pkcs1v15Sign, PrivateKey};

use crate::apdu::tlv::{self, Tag};
use crate::time::Date;

/// DER of the test keys (PKCS#1). They protect nothing: they exist so the virtual card makes
/// real signatures that verify against the certificates it serves.
const CA_KEY: &[u8] = include_bytes!("keys/ca.der");
const USER_AUTH_KEY: &[u8] = include_bytes!("keys/user_auth.der");
const SIGNING_KEY: &[u8] = include_bytes!("keys/signing.der");

/// Length of the real user-authentication certificate in the reference traces.
pub(crate) const REAL_CERTIFICATE_LEN: usize = 1312;

/// The DigestInfo prefix of SHA-256 (RFC 8017 §9.2 note 1).
pub(crate) const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// Which test key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TestKey {
    Ca,
    UserAuth,
    Signing,
}

/// The parsed test key (parsed once per process: RSA key checks are not free).
pub(crate) fn key(which: TestKey) -> Option<&'static PrivateKey> {
    static KEYS: OnceLock<Option<[PrivateKey; 3]>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        Some([
            PrivateKey::from_pkcs1_der(CA_KEY).ok()?,
            PrivateKey::from_pkcs1_der(USER_AUTH_KEY).ok()?,
            PrivateKey::from_pkcs1_der(SIGNING_KEY).ok()?,
        ])
    });
    let [ca, user_auth, signing] = keys.as_ref()?;
    Some(match which {
        TestKey::Ca => ca,
        TestKey::UserAuth => user_auth,
        TestKey::Signing => signing,
    })
}

/// PKCS#1 v1.5 signature of a DigestInfo, as the card computes it (it adds the padding).
pub(crate) fn sign_digest_info(which: TestKey, digest_info: &[u8]) -> Option<Vec<u8>> {
    key(which)?
        .sign(Pkcs1v15Sign::new_unprefixed(), digest_info)
        .ok()
}

/// The SHA-256 DigestInfo of `message`.
#[must_use]
pub fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    let mut out = SHA256_DIGEST_INFO_PREFIX.to_vec();
    out.extend_from_slice(&Sha256::digest(message));
    out
}

/// What a certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum CertificateKind {
    /// The issuing CA, self-signed.
    Ca,
    /// 利用者証明用: no personal data in the subject.
    UserAuth,
    /// 署名用: the holder's name in the subject.
    Signing,
}

/// A certificate request: kind and validity (dates at 00:00:00 UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CertificateSpec {
    pub kind: CertificateKind,
    pub serial: u32,
    pub not_before: Date,
    pub not_after: Date,
}

/// The certificate's DER, built once per spec and process.
pub(crate) fn certificate(spec: CertificateSpec) -> Option<Vec<u8>> {
    static CACHE: OnceLock<Mutex<HashMap<CertificateSpec, Vec<u8>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(der) = cache.lock().ok()?.get(&spec) {
        return Some(der.clone());
    }
    let der = build_padded(spec)?;
    cache.lock().ok()?.insert(spec, der.clone());
    Some(der)
}

fn build_padded(spec: CertificateSpec) -> Option<Vec<u8>> {
    if spec.kind == CertificateKind::Ca {
        return build(spec, 0);
    }
    // Pad the CRL distribution point to reach the real certificate's length. Length fields
    // can grow by a byte at 128 and 256, so adjust a few times.
    let mut padding = 0usize;
    for _ in 0..6 {
        let der = build(spec, padding)?;
        if der.len() == REAL_CERTIFICATE_LEN {
            return Some(der);
        }
        let adjusted = (padding + REAL_CERTIFICATE_LEN).checked_sub(der.len());
        match adjusted {
            Some(next) if next != padding => padding = next,
            // Too long even unpadded, or a length field boundary: take the nearest.
            _ => return Some(der),
        }
    }
    build(spec, padding)
}

fn der(raw_tag: u32, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 4);
    // Every tag used here is a valid one-byte tag and every value is far below 2^24 bytes.
    if let Some(tag) = Tag::from_u32(raw_tag) {
        let _ = tlv::encode(tag, content, &mut out);
    }
    out
}

fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    der(0x30, &parts.concat())
}

fn oid(encoded: &[u8]) -> Vec<u8> {
    der(0x06, encoded)
}

const SHA256_WITH_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B];
const COUNTRY: &[u8] = &[0x55, 0x04, 0x06];
const ORGANIZATION: &[u8] = &[0x55, 0x04, 0x0A];
const ORGANIZATIONAL_UNIT: &[u8] = &[0x55, 0x04, 0x0B];
const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const KEY_USAGE: &[u8] = &[0x55, 0x1D, 0x0F];
const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1D, 0x13];
const CRL_DISTRIBUTION_POINTS: &[u8] = &[0x55, 0x1D, 0x1F];
const SUBJECT_KEY_IDENTIFIER: &[u8] = &[0x55, 0x1D, 0x0E];

/// The minimal DER content of a non-negative INTEGER given big-endian bytes.
fn positive_integer(bytes: &[u8]) -> Vec<u8> {
    let start = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    let mut out = bytes.get(start..).unwrap_or(&[0]).to_vec();
    if out.first().is_none_or(|&b| b & 0x80 != 0) {
        out.insert(0, 0);
    }
    out
}

fn algorithm() -> Vec<u8> {
    sequence(&[&oid(SHA256_WITH_RSA), &der(0x05, &[])])
}

fn name(attributes: &[(&[u8], &str)]) -> Vec<u8> {
    let rdns: Vec<Vec<u8>> = attributes
        .iter()
        .map(|(attribute, value)| {
            // PrintableString for ASCII, UTF8String otherwise.
            let string_tag = if value.is_ascii() { 0x13 } else { 0x0C };
            der(
                0x31,
                &sequence(&[&oid(attribute), &der(string_tag, value.as_bytes())]),
            )
        })
        .collect();
    der(0x30, &rdns.concat())
}

fn time(date: Date) -> Vec<u8> {
    let year = date.year();
    if (1950..2050).contains(&year) {
        let text = format!(
            "{:02}{:02}{:02}000000Z",
            year % 100,
            date.month(),
            date.day()
        );
        der(0x17, text.as_bytes())
    } else {
        let text = format!("{:04}{:02}{:02}000000Z", year, date.month(), date.day());
        der(0x18, text.as_bytes())
    }
}

fn extension(id: &[u8], critical: bool, value: &[u8]) -> Vec<u8> {
    let critical = if critical {
        der(0x01, &[0xFF])
    } else {
        Vec::new()
    };
    sequence(&[&oid(id), &critical, &der(0x04, value)])
}

fn build(spec: CertificateSpec, padding: usize) -> Option<Vec<u8>> {
    let issuer = name(&[
        (COUNTRY, "JP"),
        (ORGANIZATION, "JPKI"),
        (ORGANIZATIONAL_UNIT, "onshi virtual card (not real)"),
    ]);
    let (subject, subject_key, key_usage, is_ca) = match spec.kind {
        CertificateKind::Ca => (issuer.clone(), TestKey::Ca, [0x03, 0x02, 0x01, 0x06], true),
        CertificateKind::UserAuth => (
            name(&[
                (COUNTRY, "JP"),
                (COMMON_NAME, "ONSHI VIRTUAL USER AUTH 0001"),
            ]),
            TestKey::UserAuth,
            [0x03, 0x02, 0x07, 0x80],
            false,
        ),
        CertificateKind::Signing => (
            name(&[(COUNTRY, "JP"), (COMMON_NAME, "音資 太郎")]),
            TestKey::Signing,
            [0x03, 0x02, 0x06, 0xC0],
            false,
        ),
    };
    let public_key = key(subject_key)?.as_ref().to_public_key_der().ok()?;
    let mut key_id = Sha256::digest(public_key.as_bytes()).to_vec();
    key_id.truncate(20);
    let mut extensions = vec![
        extension(KEY_USAGE, true, &key_usage),
        extension(SUBJECT_KEY_IDENTIFIER, false, &der(0x04, &key_id)),
    ];
    if is_ca {
        extensions.push(extension(
            BASIC_CONSTRAINTS,
            true,
            &sequence(&[&der(0x01, &[0xFF])]),
        ));
    } else {
        let uri = format!("http://crl.jpki.invalid/onshi/{}", "0".repeat(padding));
        // DistributionPoint { [0] fullName { [6] URI } }
        let point = sequence(&[&der(0xA0, &der(0xA0, &der(0x86, uri.as_bytes())))]);
        extensions.push(extension(
            CRL_DISTRIBUTION_POINTS,
            false,
            &sequence(&[&point]),
        ));
    }
    let serial = der(0x02, &positive_integer(&spec.serial.to_be_bytes()));
    let tbs = sequence(&[
        &der(0xA0, &der(0x02, &[0x02])),
        &serial,
        &algorithm(),
        &issuer,
        &sequence(&[&time(spec.not_before), &time(spec.not_after)]),
        &subject,
        public_key.as_bytes(),
        &der(
            0xA3,
            &sequence(&extensions.iter().map(Vec::as_slice).collect::<Vec<_>>()),
        ),
    ]);
    let signature = sign_digest_info(TestKey::Ca, &sha256_digest_info(&tbs))?;
    let mut bit_string = vec![0x00];
    bit_string.extend_from_slice(&signature);
    Some(sequence(&[&tbs, &algorithm(), &der(0x03, &bit_string)]))
}
