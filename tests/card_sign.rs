//! Signatures with the user-authentication key verify against the certificate the card serves.

mod common;

use common::{card, hex, traffic};
use onshi::Error;
use onshi::card::{CardKey, Pin, PinKind, PinSlot, Sign, SignatureScheme};
use onshi::error::UsageError;
use onshi::sim::{Persona, secrets, sha256_digest_info};
use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::{Digest, Sha256};
use rsa::{Pkcs1v15Sign, Pss, PublicKey};

#[test]
fn signature_verifies_with_the_certificate_key() {
    let mut card = card(Persona::Standard);
    let certificate = card.user_auth_certificate().unwrap();
    let digest_info = sha256_digest_info(b"eligibility check 2026-11-27");
    let pin = Pin::new(PinKind::UserAuth, secrets::USER_AUTH_PIN).unwrap();
    let signature = card.sign_with_user_auth_key(pin, &digest_info).unwrap();
    assert_eq!(signature.len(), 256);
    let key = PublicKey::from_public_key_der(&certificate.public_key_info_der().unwrap()).unwrap();
    key.verify(Pkcs1v15Sign::new_unprefixed(), &digest_info, &signature)
        .unwrap();
    // A different message does not verify.
    let other = sha256_digest_info(b"something else");
    assert!(
        key.verify(Pkcs1v15Sign::new_unprefixed(), &other, &signature)
            .is_err()
    );
    // The tail of the exchange: the count; then, in one exclusive span, SELECT of the
    // application, the count again and the VERIFY; then the signature with the key named by
    // its short EF id in P2 (`97` = 80 | 17, no SELECT of the key EF), never repeated.
    let sent = traffic(&card);
    let tail = &sent[sent.len() - 5..];
    assert_eq!(tail[0], hex("00 20 00 98"));
    assert_eq!(tail[1], hex("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"));
    assert_eq!(tail[2], hex("00 20 00 98"));
    assert_eq!(tail[3], hex("00 20 00 98 04 31 32 33 34"));
    let mut sign = hex("80 2A 00 97 33");
    sign.extend_from_slice(&digest_info);
    sign.push(0x00);
    assert_eq!(tail[4], sign);
}

#[test]
fn each_of_the_six_schemes_makes_the_signature_it_names() {
    let mut card = card(Persona::Standard);
    let certificate = card.user_auth_certificate().unwrap();
    let key = PublicKey::from_public_key_der(&certificate.public_key_info_der().unwrap()).unwrap();
    assert_eq!(
        card.pin_status(PinSlot::UserAuth).unwrap().tries_left(),
        Some(3)
    );
    let pin = Pin::new(PinKind::UserAuth, secrets::USER_AUTH_PIN).unwrap();
    let count = card.state().fresh_count(PinSlot::UserAuth).unwrap();
    card.verify(count, pin).unwrap();
    let message = b"reception 2026-11-27".as_slice();
    let hash = Sha256::digest(message).to_vec();
    let digest_info = sha256_digest_info(message);
    for scheme in SignatureScheme::ALL {
        let input: &[u8] = match scheme {
            SignatureScheme::Verbatim => &digest_info,
            SignatureScheme::PrehashedDigestInfo | SignatureScheme::PrehashedPss => &hash,
            _ => message,
        };
        let signature = card.sign(CardKey::UserAuth, scheme, input).unwrap();
        assert_eq!(signature.len(), 256, "{scheme:?}");
        let verified = match scheme {
            SignatureScheme::Verbatim
            | SignatureScheme::PrehashedDigestInfo
            | SignatureScheme::Sha256DigestInfo => {
                key.verify(Pkcs1v15Sign::new_unprefixed(), &digest_info, &signature)
            }
            SignatureScheme::Sha256Bare => {
                key.verify(Pkcs1v15Sign::new_unprefixed(), &hash, &signature)
            }
            SignatureScheme::PrehashedPss | SignatureScheme::Sha256Pss => {
                key.verify(Pss::<Sha256>::new(), &hash, &signature)
            }
        };
        assert!(verified.is_ok(), "{scheme:?}");
        let sent = traffic(&card);
        assert_eq!(
            sent.last().unwrap()[..4],
            [0x80, 0x2A, scheme.p1(), 0x97],
            "{scheme:?}"
        );
    }
    // Inputs the scheme does not take are refused before anything is sent.
    let before = traffic(&card).len();
    assert_eq!(
        card.sign(CardKey::UserAuth, SignatureScheme::PrehashedPss, &[0; 31]),
        Err(Error::Usage(UsageError::SigningInputLength {
            scheme: SignatureScheme::PrehashedPss,
            len: 31
        }))
    );
    assert_eq!(traffic(&card).len(), before);
}

#[test]
fn the_card_face_key_signs_a_challenge_without_a_pin() {
    let mut card = card(Persona::Standard);
    let challenge = card.challenge(16).unwrap();
    assert_eq!(challenge.len(), 16);
    let signature = card
        .sign(
            CardKey::CardFace,
            SignatureScheme::Sha256DigestInfo,
            &challenge,
        )
        .unwrap();
    assert_eq!(signature.len(), 256);
    let sent = traffic(&card);
    assert_eq!(sent[0], hex("00 84 00 00 10"));
    assert_eq!(sent[1], hex("00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 02"));
    assert_eq!(sent[2][..5], hex("80 2A 03 00 10"));
    assert_eq!(common::pin_verifications(&card), 0);
    // Two challenges differ.
    assert_ne!(card.challenge(16).unwrap(), challenge);
}

#[test]
fn the_virtual_card_refuses_an_unknown_scheme() {
    let mut card = Persona::Standard.card(common::today());
    card.respond(&hex("00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 02"));
    assert_eq!(card.respond(&hex("80 2A 06 00 01 00 00")), [0x6A, 0x86]);
    assert_eq!(
        card.respond(&hex("80 2A 00 00 01 00 00"))[256..],
        [0x90, 0x00]
    );
}

#[test]
fn signing_without_the_pin_is_refused_before_sending() {
    let mut card = card(Persona::Standard);
    let result = card.run(Sign::new(
        CardKey::UserAuth,
        SignatureScheme::Verbatim,
        sha256_digest_info(b"x"),
    ));
    assert_eq!(
        result,
        Err(Error::Usage(UsageError::PinNotVerified(PinSlot::UserAuth)))
    );
    assert!(traffic(&card).is_empty());
}

#[test]
fn the_virtual_card_refuses_to_sign_before_the_pin() {
    let mut card = Persona::Standard.card(common::today());
    card.respond(&hex("00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"));
    let mut sign = hex("80 2A 00 97 33");
    sign.extend_from_slice(&sha256_digest_info(b"x"));
    sign.push(0x00);
    assert_eq!(card.respond(&sign), [0x69, 0x82]);
}

#[test]
fn face_auth_card_cannot_sign() {
    let mut card = card(Persona::FaceAuthCard);
    let pin = Pin::new(PinKind::UserAuth, "1234").unwrap();
    assert!(
        card.sign_with_user_auth_key(pin, &sha256_digest_info(b"x"))
            .is_err()
    );
    assert_eq!(common::pin_verifications(&card), 0);
}
