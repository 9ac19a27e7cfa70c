//! Signatures with the user-authentication key verify against the certificate the card serves.

mod common;

use common::{card, hex, traffic};
use onshi::Error;
use onshi::card::{Pin, PinKind, PinSlot, SignWithUserAuthKey};
use onshi::error::UsageError;
use onshi::sim::{Persona, secrets, sha256_digest_info};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, PublicKey};

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
    // The tail of the exchange: query, VERIFY, SELECT key EF, sign (never repeated).
    let sent = traffic(&card);
    let tail = &sent[sent.len() - 5..];
    assert_eq!(tail[0], hex("00 A4 02 0C 02 00 18"));
    assert_eq!(tail[1], hex("00 20 00 80"));
    assert_eq!(tail[2], hex("00 20 00 80 04 31 32 33 34"));
    assert_eq!(tail[3], hex("00 A4 02 0C 02 00 17"));
    let mut sign = hex("80 2A 00 80 33");
    sign.extend_from_slice(&digest_info);
    sign.push(0x00);
    assert_eq!(tail[4], sign);
}

#[test]
fn signing_without_the_pin_is_refused_before_sending() {
    let mut card = card(Persona::Standard);
    let result = card.run(SignWithUserAuthKey::new(sha256_digest_info(b"x")));
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
    card.respond(&hex("00 A4 02 0C 02 00 17"));
    let mut sign = hex("80 2A 00 80 33");
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
