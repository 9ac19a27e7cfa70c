//! Whether the card, its data and its certificate are genuine (feature `authenticity`).
//!
//! A copied certificate proves nothing: it is public. What proves a card genuine and present
//! is a signature the card makes now, over a challenge only this visit knows, with a key the
//! issuer vouched for (real-card evidence, fact 4):
//!
//! - **the card face**: the issuer's signature (`DF28`) over the card-face record's three
//!   signed groups, made with the issuer key the application's card-verifiable certificate
//!   (EF 0004) certifies, itself signed by a CA key of the trust anchors named by its
//!   証明者鍵ID ([`verify_card_verifiable_certificate`]);
//! - **the card's presence**: the card-face record's own key (`DF24`) signs a fresh challenge
//!   (`80 2A 00 00`, no PIN), so a copy of the record on another chip does not pass;
//! - **the PIN's key**: right after a PIN, the user-authentication key signs a fresh challenge,
//!   checked with the certificate's key, so a card that answers `90 00` to any PIN without
//!   holding the key does not pass;
//! - **the certificate**: the user-authentication certificate's signature verifies under one
//!   of the anchors' JPKI CA certificates, chosen by signature, never by name.
//!
//! Revocation is not checked here: it is the online eligibility system's job (the reader sends
//! the certificate, the system checks it against J-LIS's revocation list).
//!
//! Which card-face challenge input a real card expects is unconfirmed: the virtual card signs
//! the bytes it is given with PKCS#1 v1.5 padding (`80 2A 00 00`, P1 `00`), and so this module
//! sends a SHA-256 DigestInfo of the challenge, which any card doing PKCS#1 v1.5 accepts.

use alloc::vec::Vec;

use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::{Digest, Sha256};
use rsa::{BoxedUint, Pkcs1v15Sign, PublicKey};
use serde::{Deserialize, Serialize};
use x509_cert::Certificate;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};

use super::{
    CardFaceEntries, CardPublicKey, CardVerifiableCertificate, KeyId, UserAuthCertificate,
};

/// The DigestInfo prefix of SHA-256 (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The DigestInfo prefix the card-face signature uses: SHA-256's algorithm identifier around
/// an OCTET STRING of three SHA-256 digests, 96 bytes (real-card evidence, fact 4).
const CARD_FACE_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x71, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x60,
];

/// The algorithm JPKI certificates are signed with: sha256WithRSAEncryption.
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

/// RSA public exponent 65537, which every CA key of the anchors uses.
const E65537: [u8; 3] = [0x01, 0x00, 0x01];

/// SHA-256 of `data`.
#[must_use]
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The SHA-256 DigestInfo of `message`: what `80 2A` signs with PKCS#1 v1.5 padding.
#[must_use]
pub fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    digest_info_of_sha256(&sha256(message))
}

/// The DigestInfo of a SHA-256 hash (51 bytes).
#[must_use]
pub fn digest_info_of_sha256(hash: &[u8; 32]) -> Vec<u8> {
    let mut out = SHA256_DIGEST_INFO_PREFIX.to_vec();
    out.extend_from_slice(hash);
    out
}

/// The DigestInfo the issuer's card-face signature covers: the three signed groups'
/// SHA-256 digests, in order, inside SHA-256's DigestInfo (115 bytes).
#[must_use]
pub fn card_face_digest_info(entries: &CardFaceEntries) -> Vec<u8> {
    let mut out = CARD_FACE_DIGEST_INFO_PREFIX.to_vec();
    for segment in entries.signed_segments() {
        out.extend_from_slice(&sha256(segment));
    }
    out
}

/// Why something read from a card is not trusted. The card (or whoever made it) is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthenticityError {
    /// No CA key of the trust anchors has this 証明者鍵ID (another hierarchy: a test card
    /// under production anchors, say).
    #[error("no trusted CA key {key_id}")]
    UnknownIssuer {
        /// The 証明者鍵ID the certificate names.
        key_id: KeyId,
    },
    /// The card-verifiable certificate's signature does not verify under its CA key.
    #[error("the card-verifiable certificate's signature does not verify")]
    CertificateSignature,
    /// The issuer's signature over the card face (`DF28`) does not verify: the card-face data
    /// (the photo included) is not what the issuer wrote.
    #[error("the card-face signature does not verify")]
    CardFaceSignature,
    /// The card's own key did not sign this visit's challenge: the card-face data is on
    /// another chip than the one it was issued on (a copy).
    #[error("the card did not prove it holds the card-face key")]
    CardNotPresent,
    /// After the PIN, the user-authentication key did not sign this visit's challenge: the
    /// card accepted the PIN without holding the certificate's key.
    #[error("the card did not prove it holds the user-authentication key")]
    PinKeyNotProven,
    /// The user-authentication certificate verifies under none of the anchors' JPKI CAs.
    #[error("the certificate does not chain to a trusted JPKI CA")]
    UntrustedCertificate,
    /// A key or a certificate cannot be used (not RSA, a modulus out of range, an algorithm
    /// other than sha256WithRSAEncryption).
    #[error("a key or certificate cannot be used for verification")]
    UnusableKey,
}

/// Which hierarchy a set of trust anchors belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Hierarchy {
    /// J-LIS's production keys and CAs: real cards.
    Production,
    /// J-LIS's test hierarchy (`O=JPKI-TEST`, 証明者鍵ID `6000…`): test cards.
    JlisTest,
    /// Anchors the vendor assembled itself (the virtual card's, for tests and demos).
    Custom,
}

/// A CA key for card-verifiable certificates.
#[derive(Clone, Debug)]
struct CvAnchor {
    key_id: KeyId,
    key: PublicKey,
}

/// A JPKI CA certificate's key.
#[derive(Clone, Debug)]
struct JpkiRoot {
    /// The CA's subject key identifier, only to try the likely CA first: the three
    /// generations share one name.
    key_identifier: Option<Vec<u8>>,
    key: PublicKey,
}

/// What a card must chain to: CA keys for card-verifiable certificates, named by 証明者鍵ID,
/// and JPKI CA certificates. The default is J-LIS's production hierarchy; a card from another
/// (a test card, the virtual card) is never accepted by it.
#[derive(Clone, Debug)]
pub struct TrustAnchors {
    hierarchy: Hierarchy,
    cv_keys: Vec<CvAnchor>,
    jpki_roots: Vec<JpkiRoot>,
}

/// A compiled-in CA key file: 16-byte 証明者鍵ID, then the 256-byte modulus.
fn cv_anchor(file: &[u8]) -> Option<CvAnchor> {
    let id: [u8; 16] = file.get(..16)?.try_into().ok()?;
    let modulus = file.get(16..)?;
    Some(CvAnchor {
        key_id: KeyId::new(id),
        key: rsa_key(modulus, &E65537).ok()?,
    })
}

/// A JPKI CA certificate's key.
fn jpki_root(der: &[u8]) -> Option<JpkiRoot> {
    let certificate = Certificate::from_der(der).ok()?;
    let spki = certificate
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .ok()?;
    Some(JpkiRoot {
        key_identifier: certificate
            .tbs_certificate()
            .get_extension::<SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .map(|(_, identifier)| identifier.0.as_bytes().to_vec()),
        key: PublicKey::from_public_key_der(&spki).ok()?,
    })
}

impl TrustAnchors {
    /// J-LIS's production hierarchy: the CA keys `5000020`, `5000023`, `5000033` and the
    /// three generations of the user-authentication CA (`src/card/anchors/`). With `std`, the
    /// keys are parsed once per process (each visit's context takes a copy).
    #[must_use]
    pub fn production() -> Self {
        #[cfg(feature = "std")]
        {
            static PRODUCTION: std::sync::OnceLock<TrustAnchors> = std::sync::OnceLock::new();
            PRODUCTION.get_or_init(Self::parse_production).clone()
        }
        #[cfg(not(feature = "std"))]
        Self::parse_production()
    }

    fn parse_production() -> Self {
        Self::compiled(
            Hierarchy::Production,
            &[
                include_bytes!("anchors/cv-ca-5000020.bin"),
                include_bytes!("anchors/cv-ca-5000023.bin"),
                include_bytes!("anchors/cv-ca-5000033.bin"),
            ],
            &[
                include_bytes!("anchors/authca01.cer"),
                include_bytes!("anchors/authca02.cer"),
                include_bytes!("anchors/authca03.cer"),
            ],
        )
    }

    /// J-LIS's test hierarchy, which JPKI test cards are issued under. Never for production.
    #[must_use]
    pub fn jlis_test() -> Self {
        Self::compiled(
            Hierarchy::JlisTest,
            &[
                include_bytes!("anchors/cv-ca-6000020.bin"),
                include_bytes!("anchors/cv-ca-6000023.bin"),
                include_bytes!("anchors/cv-ca-6000033.bin"),
            ],
            &[
                include_bytes!("anchors/authca-test-2019.cer"),
                include_bytes!("anchors/authca-test-2023.cer"),
            ],
        )
    }

    fn compiled(hierarchy: Hierarchy, cv_keys: &[&[u8]], roots: &[&[u8]]) -> Self {
        Self {
            hierarchy,
            cv_keys: cv_keys.iter().filter_map(|file| cv_anchor(file)).collect(),
            jpki_roots: roots.iter().filter_map(|der| jpki_root(der)).collect(),
        }
    }

    /// Anchors of the vendor's own: CA keys by 証明者鍵ID, and JPKI CA certificates (DER).
    ///
    /// # Errors
    ///
    /// [`AuthenticityError::UnusableKey`] when a key or a certificate cannot be used.
    pub fn custom(
        cv_keys: &[(KeyId, CardPublicKey)],
        jpki_ca_certificates: &[&[u8]],
    ) -> Result<Self, AuthenticityError> {
        let cv_keys = cv_keys
            .iter()
            .map(|(key_id, key)| {
                Ok(CvAnchor {
                    key_id: *key_id,
                    key: card_key(key)?,
                })
            })
            .collect::<Result<Vec<_>, AuthenticityError>>()?;
        let jpki_roots = jpki_ca_certificates
            .iter()
            .map(|der| jpki_root(der).ok_or(AuthenticityError::UnusableKey))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            hierarchy: Hierarchy::Custom,
            cv_keys,
            jpki_roots,
        })
    }

    /// Which hierarchy these are.
    #[must_use]
    pub const fn hierarchy(&self) -> Hierarchy {
        self.hierarchy
    }

    /// These anchors and one more JPKI CA certificate (DER), for a CA J-LIS publishes after
    /// this release, or one that issues smartphone certificates (スマホ用電子証明書) if they
    /// turn out not to chain to the card CAs: unconfirmed, so a choice left to the vendor. The
    /// hierarchy stays what it was; the certificate is still only trusted by signature.
    ///
    /// # Errors
    ///
    /// [`AuthenticityError::UnusableKey`] when the certificate or its key cannot be used.
    pub fn with_jpki_ca_certificate(mut self, der: &[u8]) -> Result<Self, AuthenticityError> {
        self.jpki_roots
            .push(jpki_root(der).ok_or(AuthenticityError::UnusableKey)?);
        Ok(self)
    }

    /// How many CA keys and JPKI CA certificates they hold.
    #[must_use]
    pub fn counts(&self) -> (usize, usize) {
        (self.cv_keys.len(), self.jpki_roots.len())
    }

    fn cv_key(&self, key_id: &KeyId) -> Option<&PublicKey> {
        self.cv_keys
            .iter()
            .find(|anchor| anchor.key_id == *key_id)
            .map(|anchor| &anchor.key)
    }
}

impl Default for TrustAnchors {
    /// [`TrustAnchors::production`].
    fn default() -> Self {
        Self::production()
    }
}

/// An RSA public key from its big-endian modulus and exponent.
fn rsa_key(modulus: &[u8], exponent: &[u8]) -> Result<PublicKey, AuthenticityError> {
    PublicKey::new(
        BoxedUint::from_be_slice_vartime(modulus),
        BoxedUint::from_be_slice_vartime(exponent),
    )
    .map_err(|_| AuthenticityError::UnusableKey)
}

fn card_key(key: &CardPublicKey) -> Result<PublicKey, AuthenticityError> {
    rsa_key(key.modulus(), key.exponent())
}

/// Whether `signature` is `key`'s PKCS#1 v1.5 signature of exactly `digest_info`.
fn signs(key: &PublicKey, digest_info: &[u8], signature: &[u8]) -> bool {
    key.verify(Pkcs1v15Sign::new_unprefixed(), digest_info, signature)
        .is_ok()
}

/// Checks a card-verifiable certificate under the anchors and returns the key it certifies.
///
/// # Errors
///
/// [`AuthenticityError::UnknownIssuer`] when no anchor has its 証明者鍵ID;
/// [`AuthenticityError::CertificateSignature`] when the signature does not verify;
/// [`AuthenticityError::UnusableKey`] when the certified key is not a usable RSA key.
pub fn verify_card_verifiable_certificate(
    anchors: &TrustAnchors,
    certificate: &CardVerifiableCertificate,
) -> Result<CardPublicKey, AuthenticityError> {
    certified_key(anchors, certificate)?;
    Ok(certificate.public_key.clone())
}

/// [`verify_card_verifiable_certificate`], returning the certified key ready to verify with
/// (built once: building an RSA key costs nearly as much as a verification).
fn certified_key(
    anchors: &TrustAnchors,
    certificate: &CardVerifiableCertificate,
) -> Result<PublicKey, AuthenticityError> {
    let issuer =
        anchors
            .cv_key(&certificate.issuer_key_id)
            .ok_or(AuthenticityError::UnknownIssuer {
                key_id: certificate.issuer_key_id,
            })?;
    if !signs(
        issuer,
        &sha256_digest_info(certificate.body()),
        certificate.signature(),
    ) {
        return Err(AuthenticityError::CertificateSignature);
    }
    card_key(&certificate.public_key)
}

/// A host challenge: 32 fresh random bytes the card signs to prove it is present. Make one
/// per visit from the operating system's random source; never reuse one.
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge([u8; 32]);

impl Challenge {
    /// A challenge from 32 fresh random bytes.
    #[must_use]
    pub const fn from_random_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A challenge for one purpose, derived from this one (SHA-256 of a label and the bytes):
    /// the visit signs different challenges with different keys.
    #[must_use]
    pub fn for_purpose(&self, label: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(label.as_bytes());
        hasher.update([0]);
        hasher.update(self.0);
        Self(hasher.finalize().into())
    }

    /// What the card is asked to sign: the SHA-256 DigestInfo of the challenge (51 bytes).
    #[must_use]
    pub fn digest_info(&self) -> Vec<u8> {
        sha256_digest_info(&self.0)
    }
}

impl core::fmt::Debug for Challenge {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Challenge(..)")
    }
}

/// A card face whose data the issuer signed, on the chip it was issued on: its issuer's
/// signature verified under the trust anchors, and the card's own key having signed this
/// visit's challenge. Only [`verify_card_face`] makes one.
#[derive(Clone, Debug)]
pub struct VerifiedCardFace {
    entries: CardFaceEntries,
    hierarchy: Hierarchy,
}

impl VerifiedCardFace {
    /// The verified entries (the photo included).
    #[must_use]
    pub const fn entries(&self) -> &CardFaceEntries {
        &self.entries
    }

    /// The hierarchy it verified under.
    #[must_use]
    pub const fn hierarchy(&self) -> Hierarchy {
        self.hierarchy
    }
}

/// Checks a card face: its card-verifiable certificate (EF 0004) under the anchors, the
/// issuer's signature over the entries with the key it certifies, and the card's answer to
/// `challenge` (`80 2A 00 00` of [`Challenge::digest_info`]) with the entries' own key.
///
/// # Errors
///
/// As [`verify_card_verifiable_certificate`]; [`AuthenticityError::CardFaceSignature`] when
/// the entries are not what the issuer signed; [`AuthenticityError::CardNotPresent`] when the
/// answer is not the card key's signature of the challenge.
pub fn verify_card_face(
    anchors: &TrustAnchors,
    certificate: &CardVerifiableCertificate,
    entries: CardFaceEntries,
    challenge: &Challenge,
    answer: &[u8],
) -> Result<VerifiedCardFace, AuthenticityError> {
    verify_card_face_data(anchors, certificate, &entries)?;
    let card_face_key =
        card_key(&entries.public_key).map_err(|_| AuthenticityError::CardFaceSignature)?;
    if !signs(&card_face_key, &challenge.digest_info(), answer) {
        return Err(AuthenticityError::CardNotPresent);
    }
    Ok(VerifiedCardFace {
        entries,
        hierarchy: anchors.hierarchy,
    })
}

/// Checks the card-face data alone: its card-verifiable certificate under the anchors and the
/// issuer's signature over the entries. Says nothing about the chip they came from: a copy
/// passes; [`verify_card_face`] adds the card's answer to a challenge.
///
/// # Errors
///
/// As [`verify_card_verifiable_certificate`]; [`AuthenticityError::CardFaceSignature`] when
/// the entries are not what the issuer signed.
pub fn verify_card_face_data(
    anchors: &TrustAnchors,
    certificate: &CardVerifiableCertificate,
    entries: &CardFaceEntries,
) -> Result<(), AuthenticityError> {
    let issuer_key = certified_key(anchors, certificate)?;
    if signs(
        &issuer_key,
        &card_face_digest_info(entries),
        entries.signature(),
    ) {
        Ok(())
    } else {
        Err(AuthenticityError::CardFaceSignature)
    }
}

/// Checks that the user-authentication certificate verifies under one of the anchors' JPKI CA
/// certificates (tried in turn; chosen by signature, not by the issuer's name). Validity
/// dates are the caller's to judge (the visit applies the eligibility-only grace).
///
/// # Errors
///
/// [`AuthenticityError::UntrustedCertificate`] when no CA's signature verifies;
/// [`AuthenticityError::UnusableKey`] for an algorithm other than sha256WithRSAEncryption.
pub fn verify_certificate_chain(
    anchors: &TrustAnchors,
    certificate: &UserAuthCertificate,
) -> Result<(), AuthenticityError> {
    let parsed =
        Certificate::from_der(certificate.der()).map_err(|_| AuthenticityError::UnusableKey)?;
    if parsed.signature_algorithm().oid != SHA256_WITH_RSA {
        return Err(AuthenticityError::UnusableKey);
    }
    let tbs = parsed
        .tbs_certificate()
        .to_der()
        .map_err(|_| AuthenticityError::UnusableKey)?;
    let signature = parsed
        .signature()
        .as_bytes()
        .ok_or(AuthenticityError::UnusableKey)?;
    let digest_info = sha256_digest_info(&tbs);
    if candidate_roots(anchors, &parsed).any(|root| signs(&root.key, &digest_info, signature)) {
        Ok(())
    } else {
        Err(AuthenticityError::UntrustedCertificate)
    }
}

/// Checks the card's answer to `challenge` after a PIN (`80 2A 00 97` of
/// [`Challenge::digest_info`]) with the user-authentication certificate's key.
///
/// # Errors
///
/// [`AuthenticityError::PinKeyNotProven`] when it is not that key's signature of the
/// challenge; [`AuthenticityError::UnusableKey`] when the certificate's key is not RSA.
pub fn verify_pin_key(
    certificate: &UserAuthCertificate,
    challenge: &Challenge,
    answer: &[u8],
) -> Result<(), AuthenticityError> {
    let spki = certificate
        .public_key_info_der()
        .map_err(|_| AuthenticityError::UnusableKey)?;
    let key = PublicKey::from_public_key_der(&spki).map_err(|_| AuthenticityError::UnusableKey)?;
    if signs(&key, &challenge.digest_info(), answer) {
        Ok(())
    } else {
        Err(AuthenticityError::PinKeyNotProven)
    }
}

/// The anchors' JPKI CA certificates in the order to try them for `certificate`: the one whose
/// subject key identifier is the certificate's authority key identifier first, then the rest.
/// The identifier only orders the tries (each costs a verification); the signature decides.
fn candidate_roots<'a>(
    anchors: &'a TrustAnchors,
    certificate: &Certificate,
) -> impl Iterator<Item = &'a JpkiRoot> {
    let authority = certificate
        .tbs_certificate()
        .get_extension::<AuthorityKeyIdentifier>()
        .ok()
        .flatten()
        .and_then(|(_, identifier)| identifier.key_identifier)
        .map(|identifier| identifier.as_bytes().to_vec());
    let named = move |root: &&JpkiRoot| authority.is_some() && root.key_identifier == authority;
    let first = anchors.jpki_roots.iter().filter(named.clone());
    let rest = anchors.jpki_roots.iter().filter(move |root| !named(root));
    first.chain(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_card_certificate() -> Certificate {
        let der = include_bytes!("../../tests/vectors/jpki-auth-cert.der");
        Certificate::from_der(der)
            .unwrap_or_else(|error| panic!("the test card's certificate: {error}"))
    }

    #[test]
    fn the_certificates_own_ca_is_tried_first_and_the_others_after_it() {
        // The test card's certificate is issued by the 2023 test CA, the second anchor.
        let anchors = TrustAnchors::jlis_test();
        let order: Vec<Option<Vec<u8>>> = candidate_roots(&anchors, &test_card_certificate())
            .map(|root| root.key_identifier.clone())
            .collect();
        let ca_2023 = vec![
            0x8B, 0x8B, 0x13, 0x7D, 0x21, 0x5E, 0xA6, 0x01, 0x65, 0x3C, 0xAF, 0xB2, 0x66, 0x52,
            0x8C, 0x44, 0xBC, 0x0F, 0x16, 0x64,
        ];
        let ca_2019 = vec![
            0x2B, 0xF3, 0x1B, 0x35, 0x18, 0x50, 0x73, 0x39, 0xED, 0x28, 0x50, 0x25, 0x3B, 0xAD,
            0xA2, 0xAA, 0x79, 0xFF, 0xC5, 0xC8,
        ];
        assert_eq!(order, vec![Some(ca_2023), Some(ca_2019)]);
    }

    #[test]
    fn an_added_ca_certificate_is_trusted_and_keeps_the_hierarchy() {
        let certificate = UserAuthCertificate::from_der(
            include_bytes!("../../tests/vectors/jpki-auth-cert.der").to_vec(),
        )
        .unwrap_or_else(|error| panic!("the test card's certificate: {error}"));
        let production = TrustAnchors::production();
        assert_eq!(
            verify_certificate_chain(&production, &certificate),
            Err(AuthenticityError::UntrustedCertificate)
        );
        let extended = production
            .with_jpki_ca_certificate(include_bytes!("anchors/authca-test-2023.cer"))
            .unwrap_or_else(|error| panic!("a CA certificate: {error}"));
        assert_eq!(extended.counts(), (3, 4));
        assert_eq!(extended.hierarchy(), Hierarchy::Production);
        assert_eq!(verify_certificate_chain(&extended, &certificate), Ok(()));
        assert_eq!(
            TrustAnchors::production()
                .with_jpki_ca_certificate(b"not a certificate")
                .map(|anchors| anchors.counts()),
            Err(AuthenticityError::UnusableKey)
        );
    }

    #[test]
    fn without_a_matching_identifier_every_ca_is_still_tried_in_order() {
        // Production anchors do not know the test CA's identifier: all three, in their order.
        let anchors = TrustAnchors::production();
        assert_eq!(
            candidate_roots(&anchors, &test_card_certificate()).count(),
            3
        );
        let first = candidate_roots(&anchors, &test_card_certificate())
            .next()
            .map(|root| root.key_identifier.clone());
        assert_eq!(
            first,
            anchors
                .jpki_roots
                .first()
                .map(|root| root.key_identifier.clone())
        );
    }
}
