//! Authenticity checks against a real test card's bytes (`tests/vectors/`) and the virtual
//! card: card-verifiable certificates under the right anchors only, the card-face signature,
//! the card's presence, the PIN's key, the certificate chain.

mod common;

use common::{card, today};
use onshi::Error;
use onshi::card::authenticity::{
    AuthenticityError, Challenge, Hierarchy, TrustAnchors, verify_card_face, verify_card_face_data,
    verify_card_verifiable_certificate, verify_certificate_chain,
};
use onshi::card::{
    Application, CardFaceEntries, CardFile, CardVerifiableCertificate, Pin, PinKind, PinSlot,
    UserAuthCertificate, card_face, card_info,
};
use onshi::sim::{Persona, secrets, trust_anchors};

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn test_card_face() -> (CardFaceEntries, CardVerifiableCertificate) {
    let entries = CardFaceEntries::parse(&vector("surface-0002.bin")).unwrap();
    let certificate = CardVerifiableCertificate::parse(
        CardFile::new(Application::CardFace, card_face::CERTIFICATE),
        &vector("surface-0004.bin"),
    )
    .unwrap();
    (entries, certificate)
}

fn challenge(seed: u8) -> Challenge {
    Challenge::from_random_bytes([seed; 32])
}

#[test]
fn the_compiled_anchors_load() {
    assert_eq!(TrustAnchors::production().counts(), (3, 3));
    assert_eq!(
        TrustAnchors::production().hierarchy(),
        Hierarchy::Production
    );
    assert_eq!(TrustAnchors::jlis_test().counts(), (3, 2));
    assert_eq!(TrustAnchors::default().hierarchy(), Hierarchy::Production);
    assert_eq!(trust_anchors().counts(), (3, 1));
    assert_eq!(trust_anchors().hierarchy(), Hierarchy::Custom);
}

#[test]
fn the_test_cards_card_face_verifies_under_the_test_hierarchy_only() {
    let (entries, certificate) = test_card_face();
    let certified = verify_card_verifiable_certificate(&TrustAnchors::jlis_test(), &certificate)
        .expect("the test card's EF 0004 under 6000023");
    assert_eq!(certified.bits(), 2048);
    verify_card_face_data(&TrustAnchors::jlis_test(), &certificate, &entries).unwrap();
    // Production anchors do not know 6000023: a test card is never taken for a real one.
    assert_eq!(
        verify_card_face_data(&TrustAnchors::production(), &certificate, &entries),
        Err(AuthenticityError::UnknownIssuer {
            key_id: certificate.issuer_key_id
        })
    );
    assert_eq!(
        verify_card_face_data(&trust_anchors(), &certificate, &entries),
        Err(AuthenticityError::UnknownIssuer {
            key_id: certificate.issuer_key_id
        })
    );
}

#[test]
fn an_altered_card_face_or_certificate_does_not_verify() {
    let anchors = TrustAnchors::jlis_test();
    let (_, certificate) = test_card_face();
    // One bit of the photo, of the name image, of the birth date.
    let original = vector("surface-0002.bin");
    for at in [2000, 700, 40] {
        let mut bytes = original.clone();
        bytes[at] ^= 0x01;
        if let Ok(forged) = CardFaceEntries::parse(&bytes) {
            assert_eq!(
                verify_card_face_data(&anchors, &certificate, &forged),
                Err(AuthenticityError::CardFaceSignature),
                "byte {at}"
            );
        }
    }
    // The card-info AP's certificate (a valid one, under 6000033) does not certify the
    // card-face issuer's key.
    let (entries, _) = test_card_face();
    let other = CardVerifiableCertificate::parse(
        CardFile::new(Application::CardInfo, card_info::CERTIFICATE),
        &vector("text-0004.bin"),
    )
    .unwrap();
    assert!(verify_card_verifiable_certificate(&anchors, &other).is_ok());
    assert_eq!(
        verify_card_face_data(&anchors, &other, &entries),
        Err(AuthenticityError::CardFaceSignature)
    );
    // A certificate whose body was changed.
    let mut bytes = vector("surface-0004.bin");
    let last = bytes.len() - 300;
    bytes[last] ^= 0x01;
    let altered = CardVerifiableCertificate::parse(
        CardFile::new(Application::CardFace, card_face::CERTIFICATE),
        &bytes,
    )
    .unwrap();
    assert_eq!(
        verify_card_verifiable_certificate(&anchors, &altered),
        Err(AuthenticityError::CertificateSignature)
    );
}

#[test]
fn certificates_chain_by_signature_to_their_own_hierarchy() {
    let test_card = UserAuthCertificate::from_der(vector("jpki-auth-cert.der")).unwrap();
    verify_certificate_chain(&TrustAnchors::jlis_test(), &test_card).unwrap();
    assert_eq!(
        verify_certificate_chain(&TrustAnchors::production(), &test_card),
        Err(AuthenticityError::UntrustedCertificate)
    );
    // A production CA certificate is self-signed: it verifies under the production anchors.
    let root = UserAuthCertificate::from_der(vector("certs/authca03.cer")).unwrap();
    verify_certificate_chain(&TrustAnchors::production(), &root).unwrap();
    // A certificate whose signature was changed.
    let mut bytes = vector("jpki-auth-cert.der");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let altered = UserAuthCertificate::from_der(bytes).unwrap();
    assert_eq!(
        verify_certificate_chain(&TrustAnchors::jlis_test(), &altered),
        Err(AuthenticityError::UntrustedCertificate)
    );
    // The virtual card's certificate chains to its own anchors, and to no J-LIS ones.
    let mut virtual_card = card(Persona::Standard);
    let virtual_certificate = virtual_card.user_auth_certificate().unwrap();
    verify_certificate_chain(&trust_anchors(), &virtual_certificate).unwrap();
    for anchors in [TrustAnchors::production(), TrustAnchors::jlis_test()] {
        assert_eq!(
            verify_certificate_chain(&anchors, &virtual_certificate),
            Err(AuthenticityError::UntrustedCertificate)
        );
    }
}

#[test]
fn the_virtual_card_proves_its_card_face_and_its_presence() {
    let mut card = card(Persona::Standard);
    let b = Persona::Standard
        .holder(today())
        .verification_number_b()
        .unwrap();
    let verified = card
        .verified_card_face(b, &trust_anchors(), &challenge(7))
        .unwrap();
    assert_eq!(verified.hierarchy(), Hierarchy::Custom);
    assert!(verified.entries().photo.is_some());
    // The challenge went to the card-face key: `80 2A 00 00`, the DigestInfo, Le 00.
    let log = card.reader().card().unwrap().log();
    let sign = log.last().unwrap();
    let mut expected = vec![0x80, 0x2A, 0x00, 0x00, 0x33];
    expected.extend_from_slice(&challenge(7).digest_info());
    expected.push(0x00);
    assert_eq!(sign.bytes().as_slice(), expected.as_slice());
    assert!(sign.status().is_success());
}

#[test]
fn an_answer_to_another_challenge_is_not_presence() {
    let mut card = card(Persona::Standard);
    let b = Persona::Standard
        .holder(today())
        .verification_number_b()
        .unwrap();
    let entries = card.card_face(b).unwrap();
    let certificate = card
        .card_verifiable_certificate(Application::CardFace)
        .unwrap();
    // A recorded answer (to yesterday's challenge) replayed today.
    let recorded = card
        .sign(
            onshi::card::CardKey::CardFace,
            onshi::card::SignatureScheme::Verbatim,
            &challenge(1).digest_info(),
        )
        .unwrap();
    assert_eq!(
        verify_card_face(
            &trust_anchors(),
            &certificate,
            entries.clone(),
            &challenge(2),
            &recorded
        )
        .map(drop),
        Err(AuthenticityError::CardNotPresent)
    );
    assert!(
        verify_card_face(
            &trust_anchors(),
            &certificate,
            entries,
            &challenge(1),
            &recorded
        )
        .is_ok()
    );
}

#[test]
fn the_pin_key_is_proven_only_after_the_pin() {
    let mut card = card(Persona::Standard);
    let certificate = card.user_auth_certificate().unwrap();
    // Before the PIN the card refuses to sign: no proof.
    let before = card.prove_pin_key(&certificate, &challenge(3));
    assert!(before.is_err(), "{before:?}");
    let count = card.fresh_count(PinSlot::UserAuth).unwrap();
    let pin = Pin::new(PinKind::UserAuth, secrets::USER_AUTH_PIN).unwrap();
    card.verify(count, pin).unwrap();
    card.prove_pin_key(&certificate, &challenge(3)).unwrap();
    // Another key's certificate (the real test card's): the signature does not verify. (The
    // virtual personas share one test key, so another persona's certificate would.)
    let other = UserAuthCertificate::from_der(vector("jpki-auth-cert.der")).unwrap();
    assert_eq!(
        card.prove_pin_key(&other, &challenge(3)),
        Err(Error::NotAuthentic(AuthenticityError::PinKeyNotProven))
    );
}

#[test]
fn challenges_for_different_purposes_differ() {
    let base = challenge(9);
    assert_ne!(
        base.for_purpose("card face").digest_info(),
        base.for_purpose("pin key").digest_info()
    );
    assert_eq!(
        base.for_purpose("card face").digest_info(),
        challenge(9).for_purpose("card face").digest_info()
    );
    assert_eq!(base.digest_info().len(), 51);
}

fn b_of(persona: Persona) -> Pin {
    persona.holder(today()).verification_number_b().unwrap()
}

#[test]
fn the_counterfeit_personas_fail_where_they_should() {
    // forged-face: the card face is not what the issuer signed.
    let mut forged = card(Persona::ForgedFace);
    assert_eq!(
        forged
            .verified_card_face(b_of(Persona::ForgedFace), &trust_anchors(), &challenge(4))
            .map(drop),
        Err(Error::NotAuthentic(AuthenticityError::CardFaceSignature))
    );
    // cloned-card: genuine data on another chip: no presence, no PIN key.
    let mut clone = card(Persona::ClonedCard);
    assert_eq!(
        clone
            .verified_card_face(b_of(Persona::ClonedCard), &trust_anchors(), &challenge(4))
            .map(drop),
        Err(Error::NotAuthentic(AuthenticityError::CardNotPresent))
    );
    let certificate = clone.user_auth_certificate().unwrap();
    verify_certificate_chain(&trust_anchors(), &certificate).expect("a copied certificate");
    let count = clone.fresh_count(PinSlot::UserAuth).unwrap();
    let pin = Pin::new(PinKind::UserAuth, secrets::USER_AUTH_PIN).unwrap();
    clone.verify(count, pin).unwrap();
    assert_eq!(
        clone.prove_pin_key(&certificate, &challenge(5)),
        Err(Error::NotAuthentic(AuthenticityError::PinKeyNotProven))
    );
    // fake-pin-card: any PIN is "right", and no key signs anything.
    let mut fake = card(Persona::FakePinCard);
    let certificate = fake.user_auth_certificate().unwrap();
    let count = fake.fresh_count(PinSlot::UserAuth).unwrap();
    let wrong = Pin::new(PinKind::UserAuth, "0000").unwrap();
    assert_eq!(
        fake.verify(count, wrong),
        Ok(onshi::card::VerifyOutcome::Verified)
    );
    assert!(matches!(
        fake.prove_pin_key(&certificate, &challenge(5)),
        Err(Error::CardMisbehaved(_))
    ));
    // test-card: a real test card's data, refused by the production anchors.
    let mut test_card = card(Persona::TestCard);
    let certificate = test_card.user_auth_certificate().unwrap();
    assert_eq!(
        verify_certificate_chain(&TrustAnchors::production(), &certificate),
        Err(AuthenticityError::UntrustedCertificate)
    );
    verify_certificate_chain(&TrustAnchors::jlis_test(), &certificate).unwrap();
    let cv = test_card
        .card_verifiable_certificate(Application::CardFace)
        .unwrap();
    assert!(matches!(
        verify_card_verifiable_certificate(&TrustAnchors::production(), &cv),
        Err(AuthenticityError::UnknownIssuer { .. })
    ));
    assert_eq!(
        test_card
            .verified_card_face(
                b_of(Persona::TestCard),
                &TrustAnchors::jlis_test(),
                &challenge(4)
            )
            .map(drop),
        Err(Error::NotAuthentic(AuthenticityError::CardNotPresent)),
        "genuine test data, but not its chip's key"
    );
}
