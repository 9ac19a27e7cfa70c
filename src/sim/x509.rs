//! The virtual card's X.509 certificates, on the profile of a real card's (real-card evidence,
//! fact 13): a user-authentication certificate of about 1.59 KB with notAfter at 14:59:59Z, key
//! usage digitalSignature, EKU clientAuth, a critical certificate policy, an issuer alternative
//! name, a CRL distribution point by directory name, OCSP, authority and subject key ids; CA
//! certificates of about 1.3 KB. Signed by the virtual hierarchy's own CA keys
//! (`O=onshi virtual JPKI`), never by a real CA's.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use super::der::{attribute, bit_string, extension, integer, name, oid, sequence, time, tlv};
use super::keys::{self, TestKey};
use crate::time::Date;

/// What a certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum CertificateKind {
    /// The user-authentication CA, self-signed.
    UserAuthCa,
    /// The signing CA, self-signed.
    SigningCa,
    /// 利用者証明用: no personal data in the subject.
    UserAuth,
    /// 署名用: the holder's name, address, birth date and sex in the subject alternative name.
    Signing,
}

/// A certificate to build: kind, serial, validity (dates; the end at 14:59:59Z, 23:59:59 in
/// Japan), and for the holder's certificates the subject's id and the holder's data.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct CertificateSpec {
    pub kind: CertificateKind,
    pub serial: u32,
    pub not_before: Date,
    pub not_after: Date,
    /// The subject's common name (an opaque id on real user-authentication certificates).
    pub subject_id: String,
    /// Name, address, birth date (YYYYMMDD), sex code: in the signing certificate only.
    pub holder: Option<[String; 4]>,
}

/// The certificate's DER, built once per spec and process (RSA signing is not free).
pub(crate) fn certificate(spec: &CertificateSpec) -> Option<Vec<u8>> {
    static CACHE: OnceLock<Mutex<BTreeMap<CertificateSpec, Vec<u8>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(BTreeMap::new()));
    if let Some(der) = cache.lock().ok()?.get(spec) {
        return Some(der.clone());
    }
    let der = build_to_size(spec)?;
    cache.lock().ok()?.insert(spec.clone(), der.clone());
    Some(der)
}

/// The size of the real certificate of each kind (the test card's, real-card evidence fact 13
/// and the vectors in `tests/vectors/`), which the virtual card's match exactly so that read
/// counts compare with a real card's.
const fn real_size(kind: CertificateKind) -> usize {
    match kind {
        CertificateKind::UserAuth => 1590,
        CertificateKind::Signing => 1758,
        CertificateKind::UserAuthCa => 1333,
        CertificateKind::SigningCa => 1318,
    }
}

/// Builds the certificate padded to the real size: the CRL distribution point's name and the
/// CPS address take the padding. Length fields grow by a byte at 128 and 256 (several nest),
/// so paddings below the estimate are searched; the closest is kept if none is exact.
fn build_to_size(spec: &CertificateSpec) -> Option<Vec<u8>> {
    let target = real_size(spec.kind);
    let unpadded = build(spec, 0, 0)?;
    let estimate = target.saturating_sub(unpadded.len());
    let mut best = unpadded;
    for padding in (estimate.saturating_sub(24)..=estimate).rev() {
        for fine in 0..3 {
            let der = build(spec, padding, fine)?;
            if der.len() == target {
                return Some(der);
            }
            if der.len().abs_diff(target) < best.len().abs_diff(target) {
                best = der;
            }
        }
    }
    Some(best)
}

const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
/// A certificate policy under the UUID arc: clearly not a JPKI policy.
const VIRTUAL_POLICY: &str = "2.25.329800735698586629295641978511506172918";
const HOLDER_NAME: &str = "2.25.329800735698586629295641978511506172918.1";
const HOLDER_ADDRESS: &str = "2.25.329800735698586629295641978511506172918.2";
const HOLDER_BIRTH_DATE: &str = "2.25.329800735698586629295641978511506172918.3";
const HOLDER_SEX: &str = "2.25.329800735698586629295641978511506172918.4";

fn algorithm() -> Vec<u8> {
    sequence(&[&oid(SHA256_WITH_RSA), &tlv(0x05, &[])])
}

/// The CA's distinguished name; every generation of a real JPKI CA shares one, so a DN never
/// identifies a root.
fn ca_name(kind: CertificateKind) -> Vec<u8> {
    let unit = match kind {
        CertificateKind::UserAuthCa | CertificateKind::UserAuth => "JPKI for user authentication",
        CertificateKind::SigningCa | CertificateKind::Signing => "JPKI for digital signature",
    };
    name(&[
        (attribute::COUNTRY, "JP"),
        (attribute::ORGANIZATION, "onshi virtual JPKI"),
        (attribute::ORGANIZATIONAL_UNIT, unit),
        (
            attribute::ORGANIZATIONAL_UNIT,
            "onshi virtual card, not issued by J-LIS",
        ),
    ])
}

fn ca_key(kind: CertificateKind) -> TestKey {
    match kind {
        CertificateKind::UserAuthCa | CertificateKind::UserAuth => TestKey::JpkiAuthCa,
        CertificateKind::SigningCa | CertificateKind::Signing => TestKey::JpkiSignCa,
    }
}

/// The CA certificate's serial, for the authority key identifier.
const CA_SERIAL: [u8; 3] = [0x0F, 0x42, 0x41];

/// A key identifier: the first 20 bytes of SHA-256 of the key's SubjectPublicKeyInfo.
fn key_id(which: TestKey) -> Option<Vec<u8>> {
    let mut id = keys::sha256(&keys::public_key_info(which)?).to_vec();
    id.truncate(20);
    Some(id)
}

/// A CRL distribution point by directory name: `DistributionPoint { [0] fullName { [4]
/// directoryName } }`.
fn crl_distribution_point(directory_name: &[u8]) -> Vec<u8> {
    extension(
        "2.5.29.31",
        false,
        &sequence(&[&sequence(&[&tlv(
            0xA0,
            &tlv(0xA0, &tlv(0xA4, directory_name)),
        )])]),
    )
}

fn build(spec: &CertificateSpec, padding: usize, fine: usize) -> Option<Vec<u8>> {
    let cps_address = format!(
        "http://jpki.invalid/onshi-virtual{}/cps.html",
        "0".repeat(fine)
    );
    let issuer = ca_name(spec.kind);
    let signer = ca_key(spec.kind);
    let is_ca = matches!(
        spec.kind,
        CertificateKind::UserAuthCa | CertificateKind::SigningCa
    );
    let (subject, subject_key) = if is_ca {
        (issuer.clone(), signer)
    } else {
        let key = match spec.kind {
            CertificateKind::Signing => TestKey::Signing,
            _ => TestKey::UserAuth,
        };
        let mut attributes = vec![(attribute::COUNTRY, "JP")];
        if spec.kind == CertificateKind::Signing {
            attributes.push((attribute::LOCALITY, "Tokyo-to"));
            attributes.push((attribute::LOCALITY, "Kasou-ku"));
        }
        attributes.push((attribute::COMMON_NAME, spec.subject_id.as_str()));
        (name(&attributes), key)
    };
    let public_key = keys::public_key_info(subject_key)?;
    let subject_key_id = key_id(subject_key)?;
    let issuer_key_id = key_id(signer)?;
    let mut extensions = Vec::new();
    if is_ca {
        extensions.push(extension(
            "2.5.29.19",
            true,
            &sequence(&[&tlv(0x01, &[0xFF])]),
        ));
        // keyCertSign, cRLSign.
        extensions.push(extension("2.5.29.15", true, &[0x03, 0x02, 0x01, 0x06]));
        let cps = sequence(&[
            &oid("1.3.6.1.5.5.7.2.1"),
            &tlv(0x16, cps_address.as_bytes()),
        ]);
        extensions.push(extension(
            "2.5.29.32",
            false,
            &sequence(&[&sequence(&[&oid("2.5.29.32.0"), &sequence(&[&cps])])]),
        ));
        let crl_name = format!("ARL{}", "0".repeat(padding));
        let crl_point = name(&[
            (attribute::COUNTRY, "JP"),
            (attribute::ORGANIZATION, "onshi virtual JPKI"),
            (attribute::ORGANIZATIONAL_UNIT, "CRL Distribution Points"),
            (attribute::COMMON_NAME, &crl_name),
        ]);
        extensions.push(crl_distribution_point(&crl_point));
    } else {
        let usage: &[u8] = if spec.kind == CertificateKind::Signing {
            // digitalSignature, nonRepudiation.
            &[0x03, 0x02, 0x06, 0xC0]
        } else {
            // digitalSignature.
            &[0x03, 0x02, 0x07, 0x80]
        };
        extensions.push(extension("2.5.29.15", true, usage));
        if spec.kind == CertificateKind::UserAuth {
            // clientAuth.
            extensions.push(extension(
                "2.5.29.37",
                false,
                &sequence(&[&oid("1.3.6.1.5.5.7.3.2")]),
            ));
        }
        let cps = sequence(&[
            &oid("1.3.6.1.5.5.7.2.1"),
            &tlv(0x16, cps_address.as_bytes()),
        ]);
        extensions.push(extension(
            "2.5.29.32",
            true,
            &sequence(&[&sequence(&[&oid(VIRTUAL_POLICY), &sequence(&[&cps])])]),
        ));
        if let Some([holder_name, address, birth, sex]) = &spec.holder {
            let other_name = |id: &str, value: &str| {
                tlv(
                    0xA0,
                    &[oid(id), tlv(0xA0, &tlv(0x0C, value.as_bytes()))].concat(),
                )
            };
            extensions.push(extension(
                "2.5.29.17",
                false,
                &sequence(&[
                    &other_name(HOLDER_NAME, holder_name),
                    &other_name(HOLDER_ADDRESS, address),
                    &other_name(HOLDER_BIRTH_DATE, birth),
                    &other_name(HOLDER_SEX, sex),
                ]),
            ));
        }
        // The issuer's name in Japanese, as a directory name.
        let alternative = name(&[
            (attribute::COUNTRY, "JP"),
            (attribute::ORGANIZATION, "onshi 仮想公的個人認証サービス"),
        ]);
        extensions.push(extension(
            "2.5.29.18",
            false,
            &sequence(&[&tlv(0xA4, &alternative)]),
        ));
        let crl_name = format!("Kasou-ku CRLDP{}", "0".repeat(padding));
        let crl_point = name(&[
            (attribute::COUNTRY, "JP"),
            (attribute::ORGANIZATION, "onshi virtual JPKI"),
            (
                attribute::ORGANIZATIONAL_UNIT,
                if spec.kind == CertificateKind::Signing {
                    "JPKI for digital signature"
                } else {
                    "JPKI for user authentication"
                },
            ),
            (attribute::ORGANIZATIONAL_UNIT, "CRL Distribution Points"),
            (attribute::ORGANIZATIONAL_UNIT, "Tokyo-to"),
            (attribute::COMMON_NAME, &crl_name),
        ]);
        extensions.push(crl_distribution_point(&crl_point));
        let ocsp = sequence(&[
            &oid("1.3.6.1.5.5.7.48.1"),
            &tlv(0x86, b"http://ocsp.jpki.invalid/onshi-virtual"),
        ]);
        extensions.push(extension("1.3.6.1.5.5.7.1.1", false, &sequence(&[&ocsp])));
        // AuthorityKeyIdentifier { [0] keyid, [1] issuer { [4] directoryName }, [2] serial }
        let authority = [
            tlv(0x80, &issuer_key_id),
            tlv(0xA1, &tlv(0xA4, &issuer)),
            tlv(0x82, &CA_SERIAL),
        ]
        .concat();
        extensions.push(extension("2.5.29.35", false, &tlv(0x30, &authority)));
    }
    extensions.push(extension("2.5.29.14", false, &tlv(0x04, &subject_key_id)));
    let serial = if is_ca {
        integer(&CA_SERIAL)
    } else {
        integer(&spec.serial.to_be_bytes())
    };
    let extensions: Vec<&[u8]> = extensions.iter().map(Vec::as_slice).collect();
    let tbs = sequence(&[
        &tlv(0xA0, &tlv(0x02, &[0x02])),
        &serial,
        &algorithm(),
        &issuer,
        &sequence(&[
            &time(spec.not_before, 1, 35, 42),
            &time(spec.not_after, 14, 59, 59),
        ]),
        &subject,
        &public_key,
        &tlv(0xA3, &sequence(&extensions)),
    ]);
    let signature = keys::sign_sha256(signer, &tbs)?;
    Some(sequence(&[&tbs, &algorithm(), &bit_string(&signature)]))
}
