//! The virtual card's fixed test keys and what it signs with them.
//!
//! The keys (`keys/test-*.der`, PKCS#1 DER, RSA-2048) protect nothing: they exist so the virtual
//! card's certificates, card-face signatures and challenge answers are real RSA signatures that
//! verify, under a hierarchy of its own that no real card shares. See `keys/README.md`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Mutex, OnceLock};

use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::EncodePublicKey;
use rsa::sha2::Sha256;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, PrivateKey, Pss};

/// Which test key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum TestKey {
    /// The virtual JPKI CA for user-authentication certificates (self-signed root).
    JpkiAuthCa,
    /// The virtual JPKI CA for signing certificates (self-signed root).
    JpkiSignCa,
    /// The holder's user-authentication key (JPKI EF 0017).
    UserAuth,
    /// The holder's signing key (JPKI EF 001A).
    Signing,
    /// The 証明者 key that certifies the card-face AP's issuer key.
    CvCaFace,
    /// The 証明者 key that certifies the card-info AP's issuer key.
    CvCaInfo,
    /// The root of the MF-level card-verifiable chain.
    CvCaMf,
    /// The issuer key of the card-face AP: signs the card face, the age record and the
    /// rendered My Number.
    FaceIssuer,
    /// The issuer key of the card-info AP: signs the integrity record and EF 0007.
    InfoIssuer,
    /// The card-face AP's own key (`DF24`): answers challenges without a PIN.
    CardFaceKey,
    /// The card-info AP's own key (EF 0007's `DF51`).
    CardInfoKey,
    /// The intermediate of the MF-level chain.
    MfIntermediate,
    /// The secure-messaging session-key encryption key (card-info EF 0006).
    SessionKey,
}

const KEYS: [(TestKey, &[u8]); 13] = [
    (
        TestKey::JpkiAuthCa,
        include_bytes!("keys/test-jpki-auth-ca.der"),
    ),
    (
        TestKey::JpkiSignCa,
        include_bytes!("keys/test-jpki-sign-ca.der"),
    ),
    (TestKey::UserAuth, include_bytes!("keys/test-user-auth.der")),
    (TestKey::Signing, include_bytes!("keys/test-signing.der")),
    (
        TestKey::CvCaFace,
        include_bytes!("keys/test-cv-ca-face.der"),
    ),
    (
        TestKey::CvCaInfo,
        include_bytes!("keys/test-cv-ca-info.der"),
    ),
    (TestKey::CvCaMf, include_bytes!("keys/test-cv-ca-mf.der")),
    (
        TestKey::FaceIssuer,
        include_bytes!("keys/test-face-issuer.der"),
    ),
    (
        TestKey::InfoIssuer,
        include_bytes!("keys/test-info-issuer.der"),
    ),
    (
        TestKey::CardFaceKey,
        include_bytes!("keys/test-card-face-key.der"),
    ),
    (
        TestKey::CardInfoKey,
        include_bytes!("keys/test-card-info-key.der"),
    ),
    (
        TestKey::MfIntermediate,
        include_bytes!("keys/test-mf-intermediate.der"),
    ),
    (
        TestKey::SessionKey,
        include_bytes!("keys/test-session-key.der"),
    ),
];

/// The parsed key (parsed once per process: RSA key checks are not free).
pub(crate) fn key(which: TestKey) -> Option<&'static PrivateKey> {
    static PARSED: OnceLock<Vec<(TestKey, PrivateKey)>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            KEYS.iter()
                .filter_map(|(id, der)| Some((*id, PrivateKey::from_pkcs1_der(der).ok()?)))
                .collect()
        })
        .iter()
        .find(|(id, _)| *id == which)
        .map(|(_, key)| key)
}

pub(crate) use crate::card::authenticity::{
    digest_info_of_sha256 as digest_info_of_hash, sha256, sha256_digest_info,
};

/// PKCS#1 v1.5 signature of `payload` as given (the card adds only the padding). Such a
/// signature is deterministic, so each (key, payload) is signed once per process and the
/// result reused: the RSA private operation dominates the cost of a virtual visit.
pub(crate) fn sign_pkcs1(which: TestKey, payload: &[u8]) -> Option<Vec<u8>> {
    type Signatures = BTreeMap<(TestKey, Vec<u8>), Vec<u8>>;
    static SIGNED: OnceLock<Mutex<Signatures>> = OnceLock::new();
    let cache = SIGNED.get_or_init(|| Mutex::new(BTreeMap::new()));
    let entry = (which, payload.to_vec());
    if let Some(signature) = cache.lock().ok().and_then(|c| c.get(&entry).cloned()) {
        return Some(signature);
    }
    let signature = key(which)?
        .sign(Pkcs1v15Sign::new_unprefixed(), payload)
        .ok()?;
    if let Ok(mut cache) = cache.lock() {
        // Bounded: a fuzzer signs endless distinct payloads.
        if cache.len() >= 4096 {
            cache.clear();
        }
        cache.insert(entry, signature.clone());
    }
    Some(signature)
}

/// An ordinary `sha256WithRSAEncryption` signature over `message`.
pub(crate) fn sign_sha256(which: TestKey, message: &[u8]) -> Option<Vec<u8>> {
    sign_pkcs1(which, &sha256_digest_info(message))
}

/// RSASSA-PSS (SHA-256, salt as long as the hash) of a SHA-256 hash, the salt drawn from
/// `rng`.
pub(crate) fn sign_pss(which: TestKey, hash: &[u8; 32], rng: &mut CardRng) -> Option<Vec<u8>> {
    key(which)?
        .sign_with_rng(rng, Pss::<Sha256>::new(), hash)
        .ok()
}

/// The key's public half as the card encodes it: `90 03 010001 91 82 0100 <modulus>`.
pub(crate) fn card_public_key(which: TestKey) -> Vec<u8> {
    let Some(key) = key(which) else {
        return Vec::new();
    };
    let exponent = key.e_bytes();
    let modulus = key.n_bytes();
    let mut out = Vec::with_capacity(modulus.len() + 12);
    super::der::tlv_into(0x90, &exponent, &mut out);
    super::der::tlv_into(0x91, &modulus, &mut out);
    out
}

/// The key's SubjectPublicKeyInfo (DER), for X.509 certificates.
pub(crate) fn public_key_info(which: TestKey) -> Option<Vec<u8>> {
    Some(
        key(which)?
            .as_ref()
            .to_public_key_der()
            .ok()?
            .as_bytes()
            .to_vec(),
    )
}

/// The virtual card's random source: deterministic (a SHA-256 counter stream from a seed), so
/// tests and traces repeat, and distinct per card.
#[derive(Clone, Debug)]
pub(crate) struct CardRng {
    seed: [u8; 32],
    counter: u64,
    buffer: [u8; 32],
    used: usize,
}

impl CardRng {
    pub(crate) fn new(seed: &[u8]) -> Self {
        Self {
            seed: sha256(seed),
            counter: 0,
            buffer: [0; 32],
            used: 32,
        }
    }

    pub(crate) fn fill(&mut self, out: &mut [u8]) {
        for byte in out {
            if self.used == self.buffer.len() {
                let mut block = self.seed.to_vec();
                block.extend_from_slice(&self.counter.to_be_bytes());
                self.buffer = sha256(&block);
                self.counter = self.counter.wrapping_add(1);
                self.used = 0;
            }
            *byte = self.buffer.get(self.used).copied().unwrap_or(0);
            self.used += 1;
        }
    }
}

impl rsa::rand_core::TryRng for CardRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0; 4];
        self.fill(&mut bytes);
        Ok(u32::from_be_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0; 8];
        self.fill(&mut bytes);
        Ok(u64::from_be_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.fill(dst);
        Ok(())
    }
}

impl rsa::rand_core::TryCryptoRng for CardRng {}
