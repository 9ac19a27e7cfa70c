//! Personas: virtual cards a test or an example picks by name.
//!
//! All share the same fictitious holder and secrets ([`secrets`]) unless the persona says
//! otherwise; each has its own certificate serial, chip serial and card number, so two
//! personas are two different cards. Certificate validity is set relative to the `today` the
//! card is made for, so "expired two months ago" stays true whenever the tests run.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};

use super::card::{
    CardGeneration, CardInterface, FileLock, Quirks, SigningKeyRef, VirtualCard, VirtualFile,
    VirtualPin,
};
use super::keys::TestKey;
use super::records::{self, HolderData, key_ids, yyyymmdd};
use super::x509::{self, CertificateKind, CertificateSpec};
use crate::apdu::FileId;
use crate::card::authenticity::TrustAnchors;
use crate::card::{
    Application, BirthYearForm, CardFile, CardPublicKey, KeyId, Pin, PinFormatError, Sex,
    card_face, card_info, data_object, jpki,
};
use crate::time::{Date, Timestamp};

/// The fixed secrets of every persona (fictitious; for tests and demos only).
pub mod secrets {
    /// User-authentication PIN (利用者証明用暗証番号).
    pub const USER_AUTH_PIN: &str = "1234";
    /// Signing password (署名用パスワード).
    pub const SIGNING_PASSWORD: &str = "ABC123";
    /// Card-info PIN (券面事項入力補助用暗証番号).
    pub const CARD_INFO_PIN: &str = "1234";
    /// The My Number (a sample number with a valid check digit).
    pub const MY_NUMBER: &str = "123456789018";
    /// The 4-digit security code printed under the photo.
    pub const SECURITY_CODE: &str = "5678";
}

/// Tries the virtual card gives 照合番号A, 照合番号B and the birth-date key. 10 for B is
/// confirmed (real-card evidence, fact 1); A and the birth-date key get the same, unconfirmed.
pub const VERIFICATION_NUMBER_TRIES: u8 = 10;

/// The municipality code the virtual cards carry (not a real one).
const MUNICIPALITY: &str = "13999";

/// A virtual card persona.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Persona {
    /// `standard`: a My Number Card with every PIN at its maximum and a valid certificate.
    Standard,
    /// `one-try-left`: the user-authentication PIN has 1 try left.
    OneTryLeft,
    /// `pin-blocked`: the user-authentication PIN is blocked.
    PinBlocked,
    /// `face-auth-card`: a 顔認証マイナンバーカード. No PIN is set (SELECT of a PIN EF answers
    /// `6A 82`; whether real ones answer that or a blocked `63 C0` is unknown, R5), no signing
    /// certificate or key; the user-authentication certificate and the card-face AP are there.
    FaceAuthCard,
    /// `infant-no-photo`: a card issued to a baby, born eight months before `today`, valid
    /// until the 5th birthday: no face photo (`DF27` present and empty — unconfirmed), and no
    /// signing certificate (none is issued under fifteen; EF 0008 `00 8F 00`).
    InfantNoPhoto,
    /// `cert-expired-recently`: the user-authentication certificate expired two months ago.
    CertExpiredRecently,
    /// `cert-expired-long-ago`: the user-authentication certificate expired a year ago.
    CertExpiredLongAgo,
    /// `smartphone-android`: smartphone JPKI (token `JPKIAPGPSETOKEN`): only the JPKI-AP, and
    /// the user-authentication certificate is read after the PIN.
    SmartphoneAndroid,
    /// `forged-face`: a standard card whose photo was changed after the issuer signed the card
    /// face: the card-face signature does not verify.
    ForgedFace,
    /// `cloned-card`: a standard card's data and certificate copied onto a chip of its own: its
    /// keys are not the certified ones, so the presence challenge and the PIN-key proof fail
    /// (it accepts the holder's PIN).
    ClonedCard,
    /// `fake-pin-card`: answers `90 00` to any PIN and holds no key (every signature `69 85`):
    /// confirmed by PIN only if nobody checks the key.
    FakePinCard,
    /// `test-card`: a card issued under J-LIS's test hierarchy (the card face, card-verifiable
    /// certificate and user-authentication certificate of a real JPKI test card): refused by
    /// the production trust anchors. Its private keys are unknown, so it fails the presence and
    /// PIN-key checks under the test anchors too.
    TestCard,
}

impl Persona {
    /// Every persona.
    pub const ALL: [Self; 12] = [
        Self::Standard,
        Self::OneTryLeft,
        Self::PinBlocked,
        Self::FaceAuthCard,
        Self::InfantNoPhoto,
        Self::CertExpiredRecently,
        Self::CertExpiredLongAgo,
        Self::SmartphoneAndroid,
        Self::ForgedFace,
        Self::ClonedCard,
        Self::FakePinCard,
        Self::TestCard,
    ];

    /// The personas that are not what they claim (for authenticity tests).
    pub const COUNTERFEIT: [Self; 4] = [
        Self::ForgedFace,
        Self::ClonedCard,
        Self::FakePinCard,
        Self::TestCard,
    ];

    /// The name to pick it by.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::OneTryLeft => "one-try-left",
            Self::PinBlocked => "pin-blocked",
            Self::FaceAuthCard => "face-auth-card",
            Self::InfantNoPhoto => "infant-no-photo",
            Self::CertExpiredRecently => "cert-expired-recently",
            Self::CertExpiredLongAgo => "cert-expired-long-ago",
            Self::SmartphoneAndroid => "smartphone-android",
            Self::ForgedFace => "forged-face",
            Self::ClonedCard => "cloned-card",
            Self::FakePinCard => "fake-pin-card",
            Self::TestCard => "test-card",
        }
    }

    /// The persona with this name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|persona| persona.name() == name)
    }

    /// This persona's number, from 1: its serials are made from it.
    fn number(self) -> u32 {
        Self::ALL
            .iter()
            .position(|persona| *persona == self)
            .map_or(0, |i| u32::try_from(i + 1).unwrap_or(0))
    }

    /// The holder printed on this persona's card, for a card made for `today`.
    #[must_use]
    pub fn holder(self, today: Date) -> Holder {
        let standard_birth = Date::new(1985, 4, 1).unwrap_or(today);
        let standard_expiry = Date::new(2035, 4, 1).unwrap_or(today);
        let infant = self == Self::InfantNoPhoto;
        let (birth_date, card_expiry) = if infant {
            let birth = today.add_months(-8);
            (birth, birth.add_months(60))
        } else {
            (standard_birth, standard_expiry)
        };
        Holder {
            // A full-width space between family and given name, as on a real card.
            name: if infant {
                "音資　花子"
            } else {
                "音資　太郎"
            },
            // Full-width digits, as on a real card.
            address: "東京都架空区見本町一丁目２番３号",
            birth_date,
            sex: if infant { Sex::Female } else { Sex::Male },
            card_expiry,
        }
    }

    /// The generation this persona's card is (its contact ATR).
    #[must_use]
    pub const fn generation(self) -> CardGeneration {
        match self {
            Self::CertExpiredLongAgo | Self::OneTryLeft => CardGeneration::First,
            _ => CardGeneration::Issued2024,
        }
    }

    /// This persona's card, made for `today` (certificate validity is relative to it), on a
    /// contact reader.
    #[must_use]
    pub fn card(self, today: Date) -> VirtualCard {
        // Building signs a dozen records with RSA: build each card once per process. A
        // BTreeMap, whose nodes are held by their first byte: valgrind counts the cache as
        // still reachable, not "possibly lost", in hosts' leak checks (the C ABI's examples).
        static CARDS: OnceLock<Mutex<BTreeMap<(Persona, Date), VirtualCard>>> = OnceLock::new();
        let cards = CARDS.get_or_init(|| Mutex::new(BTreeMap::new()));
        if let Some(card) = cards
            .lock()
            .ok()
            .and_then(|cards| cards.get(&(self, today)).cloned())
        {
            return card;
        }
        let card = build(self, today);
        if let Ok(mut cards) = cards.lock() {
            cards.insert((self, today), card.clone());
        }
        card
    }

    /// This persona's card on a contact or contactless reader.
    #[must_use]
    pub fn card_on(self, today: Date, interface: CardInterface) -> VirtualCard {
        let mut card = self.card(today);
        card.set_interface(interface);
        card
    }

    /// This persona's card, made for today's date in Japan by the system clock.
    #[must_use]
    pub fn card_for_today(self) -> VirtualCard {
        self.card(system_date_in_japan())
    }
}

/// Today's date in Japan, by the system clock (the virtual card may read a clock; the core
/// never does).
#[must_use]
pub fn system_date_in_japan() -> Date {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    Timestamp::from_unix_seconds(seconds).date_in_japan()
}

impl fmt::Display for Persona {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a persona.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "no such persona; the personas are standard, one-try-left, pin-blocked, face-auth-card, infant-no-photo, cert-expired-recently, cert-expired-long-ago, smartphone-android"
)]
pub struct UnknownPersona;

impl FromStr for Persona {
    type Err = UnknownPersona;

    fn from_str(name: &str) -> Result<Self, UnknownPersona> {
        Self::from_name(name).ok_or(UnknownPersona)
    }
}

/// What is printed on a persona's card face (fictitious).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// Name.
    pub name: &'static str,
    /// Address.
    pub address: &'static str,
    /// Birth date.
    pub birth_date: Date,
    /// Sex.
    pub sex: Sex,
    /// Card expiry date.
    pub card_expiry: Date,
}

impl Holder {
    /// 照合番号B as the reader's OCR reads it from the card face and the card wants it: birth
    /// date YYMMDD with the Japanese era year, expiry year, security code.
    ///
    /// # Errors
    ///
    /// Never for the personas' data.
    pub fn verification_number_b(&self) -> Result<Pin, PinFormatError> {
        self.verification_number_b_in(BirthYearForm::JapaneseEra)
    }

    /// 照合番号B with the birth year in `form`: the Western form is not what a card wants, and
    /// a card spends a try on it.
    ///
    /// # Errors
    ///
    /// Never for the personas' data.
    pub fn verification_number_b_in(&self, form: BirthYearForm) -> Result<Pin, PinFormatError> {
        let expiry_year = u16::try_from(self.card_expiry.year()).unwrap_or(0);
        Pin::verification_number_b(self.birth_date, expiry_year, secrets::SECURITY_CODE, form)
    }

    /// The birth-date key of the card-face AP (era YYMMDD).
    ///
    /// # Errors
    ///
    /// Never for the personas' data.
    pub fn birth_date_key(&self) -> Result<Pin, PinFormatError> {
        Pin::birth_date_key(self.birth_date)
    }

    fn data(&self) -> HolderData<'_> {
        HolderData {
            name: self.name,
            address: self.address,
            birth_date: self.birth_date,
            sex: self.sex,
            card_expiry: self.card_expiry,
        }
    }
}

fn data(content: Vec<u8>, keys: &[FileId]) -> VirtualFile {
    VirtualFile::Data {
        content,
        lock: if keys.is_empty() {
            FileLock::Free
        } else {
            FileLock::AnyOf(keys.to_vec())
        },
    }
}

fn pin(value: &[u8], max: u8) -> VirtualFile {
    VirtualFile::Pin(VirtualPin::new(value, max))
}

fn build(persona: Persona, today: Date) -> VirtualCard {
    let holder = persona.holder(today);
    let number = persona.number();
    let mut card = VirtualCard::empty();
    card.set_generation(persona.generation());
    card.seed_random(persona.name().as_bytes());
    let smartphone = persona == Persona::SmartphoneAndroid;
    let face_auth = persona == Persona::FaceAuthCard;
    let signing_certificate = !face_auth && persona != Persona::InfantNoPhoto;

    build_jpki(&mut card, persona, today, &holder, signing_certificate);
    if smartphone {
        return card;
    }
    build_card_info(&mut card, &holder, face_auth);
    build_card_face(&mut card, persona, &holder);
    counterfeit(&mut card, persona);

    // MF level: GET DATA objects.
    card.set_data_object(
        data_object::CARD_IDENTIFICATION,
        format!("ONSHI{number:011}").into_bytes(),
    );
    card.set_data_object(
        data_object::MUNICIPALITY_CODE,
        MUNICIPALITY.as_bytes().to_vec(),
    );
    card.set_data_object(
        data_object::EXPIRY,
        yyyymmdd(holder.card_expiry).into_bytes(),
    );
    card.set_data_object(
        data_object::CHAIN_UPPER,
        records::cv_certificate_data_object(
            id(key_ids::MF_ROOT),
            id(key_ids::MF_INTERMEDIATE),
            TestKey::MfIntermediate,
            TestKey::CvCaMf,
        ),
    );
    card.set_data_object(
        data_object::CHAIN_LOWER,
        records::cv_certificate_data_object(
            id(key_ids::MF_INTERMEDIATE),
            id(key_ids::CARD_INFO_KEY),
            TestKey::CardInfoKey,
            TestKey::MfIntermediate,
        ),
    );
    card
}

/// What makes the counterfeit personas counterfeit, on top of a standard card.
fn counterfeit(card: &mut VirtualCard, persona: Persona) {
    let keys = [
        (Application::Jpki, jpki::USER_AUTH_KEY),
        (Application::Jpki, jpki::SIGNING_KEY),
        (Application::CardFace, CARD_FACE_KEY),
    ];
    let replace_keys = |card: &mut VirtualCard, with: SigningKeyRef| {
        for (app, id) in keys {
            if let Some(VirtualFile::Key { unlocked_by, .. }) = card.file(app, id).cloned() {
                card.set_file(
                    app,
                    id,
                    VirtualFile::Key {
                        key: with,
                        unlocked_by,
                    },
                );
            }
        }
    };
    let replace_data = |card: &mut VirtualCard, app, id, bytes: &[u8]| {
        if let Some(VirtualFile::Data { lock, .. }) = card.file(app, id).cloned() {
            card.set_file(
                app,
                id,
                VirtualFile::Data {
                    content: bytes.to_vec(),
                    lock,
                },
            );
        }
    };
    match persona {
        Persona::ForgedFace => {
            // One byte in the middle of the photo, after the issuer signed it.
            let photo = records::face_photo();
            if let Some(VirtualFile::Data { mut content, lock }) = card
                .file(Application::CardFace, card_face::ENTRIES)
                .cloned()
                && let Some(at) = content
                    .windows(photo.len())
                    .position(|window| window == photo.as_slice())
                && let Some(byte) = content.get_mut(at + photo.len() / 2)
            {
                *byte ^= 0x5A;
                card.set_file(
                    Application::CardFace,
                    card_face::ENTRIES,
                    VirtualFile::Data { content, lock },
                );
            }
        }
        Persona::ClonedCard => replace_keys(card, SigningKeyRef::Impostor),
        Persona::FakePinCard => {
            replace_keys(card, SigningKeyRef::Absent);
            card.set_quirks(Quirks {
                accept_any_pin: true,
                ..Quirks::default()
            });
        }
        Persona::TestCard => {
            replace_keys(card, SigningKeyRef::Impostor);
            replace_data(
                card,
                Application::CardFace,
                card_face::ENTRIES,
                include_bytes!("vectors/surface-0002.bin"),
            );
            replace_data(
                card,
                Application::CardFace,
                card_face::CERTIFICATE,
                include_bytes!("vectors/surface-0004.bin"),
            );
            replace_data(
                card,
                Application::Jpki,
                jpki::USER_AUTH_CERTIFICATE,
                include_bytes!("vectors/jpki-auth-cert.der"),
            );
            replace_data(
                card,
                Application::Jpki,
                jpki::USER_AUTH_CA_CERTIFICATE,
                include_bytes!("vectors/authca-test-2023.cer"),
            );
        }
        _ => {}
    }
}

fn id((name, version): (&str, &str)) -> [u8; 16] {
    records::key_id(name, version)
}

/// The virtual hierarchy's JPKI CA certificates: valid 2023-07-15 to 2033-07-15, like J-LIS's
/// third generation.
fn ca_certificate_spec(kind: CertificateKind) -> CertificateSpec {
    let day = |year| Date::new(year, 7, 15).unwrap_or(Date::from_days_since_epoch(0));
    CertificateSpec {
        kind,
        serial: 0,
        not_before: day(2023),
        not_after: day(2033),
        subject_id: String::new(),
        holder: None,
    }
}

/// The virtual card's trust anchors: the CA keys of its card-verifiable certificates
/// (`9000020`, `9000023`, `9000033`) and its JPKI CA certificate. Only what the virtual card
/// issues verifies under them, and nothing it issues verifies under J-LIS's: a test or demo
/// on the virtual card chooses them explicitly.
#[must_use]
pub fn trust_anchors() -> TrustAnchors {
    static ANCHORS: OnceLock<TrustAnchors> = OnceLock::new();
    ANCHORS
        .get_or_init(|| {
            let file = CardFile::new(Application::CardFace, card_face::CERTIFICATE);
            let cv_keys: Vec<(KeyId, CardPublicKey)> = [
                (key_ids::MF_ROOT, TestKey::CvCaMf),
                (key_ids::CARD_FACE_CA, TestKey::CvCaFace),
                (key_ids::CARD_INFO_CA, TestKey::CvCaInfo),
            ]
            .into_iter()
            .filter_map(|(key_id, key)| {
                let key = CardPublicKey::parse(file, &super::keys::card_public_key(key)).ok()?;
                Some((KeyId::new(id(key_id)), key))
            })
            .collect();
            let root = x509::certificate(&ca_certificate_spec(CertificateKind::UserAuthCa))
                .unwrap_or_default();
            TrustAnchors::custom(&cv_keys, &[&root]).unwrap_or_default()
        })
        .clone()
}

fn build_jpki(
    card: &mut VirtualCard,
    persona: Persona,
    today: Date,
    holder: &Holder,
    signing_certificate: bool,
) {
    let number = persona.number();
    let smartphone = persona == Persona::SmartphoneAndroid;
    let face_auth = persona == Persona::FaceAuthCard;
    let label = if smartphone {
        "JPKIAPGPSETOKEN"
    } else {
        "JPKIAPICCTOKEN2"
    };
    let chip_serial = format!("{:016}", 99_000_000 + u64::from(number));
    card.set_file(
        Application::Jpki,
        jpki::TOKEN,
        data(records::token(label, &chip_serial), &[]),
    );
    let availability = if signing_certificate {
        vec![0x8F, 0x8F, 0x00]
    } else {
        vec![0x00, 0x8F, 0x00]
    };
    card.set_file(
        Application::Jpki,
        jpki::CERTIFICATE_AVAILABILITY,
        data(availability, &[]),
    );
    card.set_file(
        Application::Jpki,
        jpki::UNKNOWN_0009,
        VirtualFile::Data {
            content: vec![0xFF; 16],
            lock: FileLock::Never,
        },
    );

    let not_after = match persona {
        Persona::CertExpiredRecently => today.add_months(-2),
        Persona::CertExpiredLongAgo => today.add_months(-12),
        _ => today.add_months(48),
    };
    let user_auth = CertificateSpec {
        kind: CertificateKind::UserAuth,
        serial: 0x0022_7B00 + number,
        not_before: not_after.add_months(-60),
        not_after,
        subject_id: format!("ONSHIVIRTUAL{number:04}AUTH13999"),
        holder: None,
    };
    let ca = ca_certificate_spec;
    let auth_cert_lock: &[FileId] = if smartphone {
        &[jpki::USER_AUTH_PIN]
    } else {
        &[]
    };
    if let Some(der) = x509::certificate(&user_auth) {
        card.set_file(
            Application::Jpki,
            jpki::USER_AUTH_CERTIFICATE,
            data(der, auth_cert_lock),
        );
    }
    if let Some(der) = x509::certificate(&ca(CertificateKind::UserAuthCa)) {
        card.set_file(
            Application::Jpki,
            jpki::USER_AUTH_CA_CERTIFICATE,
            data(der, &[]),
        );
    }
    card.set_file(
        Application::Jpki,
        jpki::USER_AUTH_KEY,
        VirtualFile::Key {
            key: SigningKeyRef::UserAuth,
            unlocked_by: Some(jpki::USER_AUTH_PIN),
        },
    );
    if !face_auth {
        card.set_file(
            Application::Jpki,
            jpki::USER_AUTH_PIN,
            pin(secrets::USER_AUTH_PIN.as_bytes(), 3),
        );
    }
    if signing_certificate {
        if let Some(der) = x509::certificate(&ca(CertificateKind::SigningCa)) {
            card.set_file(
                Application::Jpki,
                jpki::SIGNING_CA_CERTIFICATE,
                data(der, &[]),
            );
        }
        let signing = CertificateSpec {
            kind: CertificateKind::Signing,
            serial: 0x0033_8C00 + number,
            not_before: today.add_months(-12),
            not_after: today.add_months(48),
            subject_id: format!("ONSHIVIRTUAL{number:04}SIGN13999"),
            holder: Some([
                holder.name.to_owned(),
                holder.address.to_owned(),
                yyyymmdd(holder.birth_date),
                char::from(holder.sex.code()).to_string(),
            ]),
        };
        if let Some(der) = x509::certificate(&signing) {
            card.set_file(
                Application::Jpki,
                jpki::SIGNING_CERTIFICATE,
                data(der, &[jpki::SIGNING_PIN]),
            );
        }
        card.set_file(
            Application::Jpki,
            jpki::SIGNING_KEY,
            VirtualFile::Key {
                key: SigningKeyRef::Signing,
                unlocked_by: Some(jpki::SIGNING_PIN),
            },
        );
        card.set_file(
            Application::Jpki,
            jpki::SIGNING_PIN,
            pin(secrets::SIGNING_PASSWORD.as_bytes(), 5),
        );
    }
    match persona {
        Persona::OneTryLeft => card.set_pin_remaining(crate::card::PinSlot::UserAuth, 1),
        Persona::PinBlocked => card.set_pin_remaining(crate::card::PinSlot::UserAuth, 0),
        _ => {}
    }
}

/// The card-info AP's own key's EF (P2 `00` names it).
const CARD_INFO_KEY: FileId = FileId::new(0x0013);
/// The card-face AP's own key's EF: not known on a real card (P2 `00` names it); the virtual
/// card keeps it at 0007.
const CARD_FACE_KEY: FileId = FileId::new(0x0007);

fn build_card_info(card: &mut VirtualCard, holder: &Holder, face_auth: bool) {
    let app = Application::CardInfo;
    let b = holder
        .verification_number_b()
        .map(|pin| pin.secret().expose_secret().to_vec())
        .unwrap_or_default();
    let my_number = records::my_number_file(secrets::MY_NUMBER);
    let basic = records::basic_info(&holder.data());
    let any_key = [
        card_info::PIN,
        card_info::VERIFICATION_NUMBER_A,
        card_info::VERIFICATION_NUMBER_B,
    ];
    card.set_file(
        app,
        card_info::INTEGRITY,
        data(records::integrity_record(&my_number, &basic), &any_key),
    );
    card.set_file(
        app,
        card_info::MY_NUMBER,
        data(
            my_number,
            &[card_info::PIN, card_info::VERIFICATION_NUMBER_A],
        ),
    );
    card.set_file(
        app,
        card_info::BASIC_INFO,
        data(basic, &[card_info::PIN, card_info::VERIFICATION_NUMBER_B]),
    );
    card.set_file(
        app,
        card_info::CERTIFICATE,
        data(
            records::cv_certificate(
                id(key_ids::CARD_INFO_CA),
                id(key_ids::INFO_ISSUER),
                TestKey::InfoIssuer,
                TestKey::CvCaInfo,
            ),
            &[],
        ),
    );
    card.set_file(
        app,
        card_info::AP_BASIC_DATA,
        data(records::card_info_ap_basic_data(), &[]),
    );
    card.set_file(
        app,
        card_info::SESSION_KEY_PUBLIC_KEY,
        data(records::session_key_file(), &any_key),
    );
    card.set_file(
        app,
        card_info::SIGNED_PUBLIC_KEY,
        data(records::signed_public_key_file(), &any_key),
    );
    card.set_file(app, FileId::new(0x0008), data(vec![0xFF; 16], &any_key));
    if !face_auth {
        card.set_file(
            app,
            card_info::PIN,
            pin(secrets::CARD_INFO_PIN.as_bytes(), 3),
        );
    }
    card.set_file(
        app,
        card_info::BLOCKED_KEY,
        VirtualFile::Pin(VirtualPin::blocked()),
    );
    card.set_file(
        app,
        CARD_INFO_KEY,
        VirtualFile::Key {
            key: SigningKeyRef::CardInfo,
            unlocked_by: None,
        },
    );
    card.set_file(
        app,
        card_info::VERIFICATION_NUMBER_A,
        pin(secrets::MY_NUMBER.as_bytes(), VERIFICATION_NUMBER_TRIES),
    );
    card.set_file(
        app,
        card_info::VERIFICATION_NUMBER_B,
        pin(&b, VERIFICATION_NUMBER_TRIES),
    );
}

fn build_card_face(card: &mut VirtualCard, persona: Persona, holder: &Holder) {
    let app = Application::CardFace;
    let b = holder
        .verification_number_b()
        .map(|pin| pin.secret().expose_secret().to_vec())
        .unwrap_or_default();
    let birth_key = holder
        .birth_date_key()
        .map(|pin| pin.secret().expose_secret().to_vec())
        .unwrap_or_default();
    let photo = if persona == Persona::InfantNoPhoto {
        Vec::new()
    } else {
        records::face_photo()
    };
    let a_or_b = [
        card_face::VERIFICATION_NUMBER_A,
        card_face::VERIFICATION_NUMBER_B,
    ];
    card.set_file(
        app,
        card_face::AGE_RECORD,
        data(
            records::age_record(holder.birth_date),
            &[card_face::BIRTH_DATE_KEY],
        ),
    );
    card.set_file(
        app,
        card_face::ENTRIES,
        data(
            records::card_face(&holder.data(), &photo, TestKey::FaceIssuer),
            &a_or_b,
        ),
    );
    card.set_file(
        app,
        card_face::AP_BASIC_DATA,
        data(records::card_face_ap_basic_data(MUNICIPALITY), &[]),
    );
    card.set_file(
        app,
        card_face::CERTIFICATE,
        data(
            records::cv_certificate(
                id(key_ids::CARD_FACE_CA),
                id(key_ids::FACE_ISSUER),
                TestKey::FaceIssuer,
                TestKey::CvCaFace,
            ),
            &[],
        ),
    );
    card.set_file(
        app,
        card_face::MY_NUMBER_IMAGE,
        data(
            records::my_number_image(),
            &[card_face::VERIFICATION_NUMBER_A],
        ),
    );
    card.set_file(app, card_face::UNKNOWN_0006, data(vec![0xFF; 16], &a_or_b));
    card.set_file(
        app,
        CARD_FACE_KEY,
        VirtualFile::Key {
            key: SigningKeyRef::CardFace,
            unlocked_by: None,
        },
    );
    card.set_file(
        app,
        card_face::BIRTH_DATE_KEY,
        pin(&birth_key, VERIFICATION_NUMBER_TRIES),
    );
    card.set_file(
        app,
        card_face::VERIFICATION_NUMBER_B,
        pin(&b, VERIFICATION_NUMBER_TRIES),
    );
    card.set_file(
        app,
        card_face::VERIFICATION_NUMBER_A,
        pin(secrets::MY_NUMBER.as_bytes(), VERIFICATION_NUMBER_TRIES),
    );
}

/// The face photo of every persona that has one (what the virtual camera sees).
pub(crate) fn face_photo() -> Vec<u8> {
    records::face_photo()
}

/// Facility keys for tests and demos: a fixed pepper everyone can read, with the OS's random
/// source. A product keeps its pepper in the OS key store.
#[cfg(feature = "reception")]
#[must_use]
pub fn facility_keys() -> crate::facility::FacilityKeys {
    crate::facility::FacilityKeys::demo()
}
