//! Personas: virtual cards a test or an example picks by name.
//!
//! All share the same fixed, fictitious holder and secrets ([`secrets`]) unless the persona
//! says otherwise. Certificate validity is set relative to the `today` the card is made for, so
//! "expired two months ago" stays true whenever the tests run.

use std::fmt;
use std::str::FromStr;

use super::card::{SigningKeyRef, VirtualCard, VirtualFile, VirtualPin};
use super::certificate::{self, CertificateKind, CertificateSpec};
use crate::apdu::FileId;
use crate::apdu::tlv::{self, Tag};
use crate::card::{
    Application, BirthYearForm, Pin, PinFormatError, Sex, card_face, card_info, jpki,
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

/// Tries the virtual card gives 照合番号A and B. Unconfirmed on real cards (one low-quality
/// source says 10 for B); 10 is the virtual card's choice.
pub const VERIFICATION_NUMBER_TRIES: u8 = 10;

/// A virtual card persona.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Persona {
    /// `standard`: a My Number Card with every PIN at its maximum and a valid certificate.
    Standard,
    /// `one-try-left`: the user-authentication PIN has 1 try left.
    OneTryLeft,
    /// `pin-blocked`: the user-authentication PIN is blocked.
    PinBlocked,
    /// `face-auth-card`: a 顔認証マイナンバーカード. No PIN is set (SELECT of a PIN EF answers
    /// `6A 82` — unconfirmed on real cards), no signing certificate or key; the
    /// user-authentication certificate and the card-face AP are there.
    FaceAuthCard,
    /// `infant-no-photo`: a card issued to a baby: no face photo (DF27 present and empty —
    /// unconfirmed), born eight months before `today`, valid until the 5th birthday.
    InfantNoPhoto,
    /// `cert-expired-recently`: the user-authentication certificate expired two months ago.
    CertExpiredRecently,
    /// `cert-expired-long-ago`: the user-authentication certificate expired a year ago.
    CertExpiredLongAgo,
    /// `smartphone-android`: smartphone JPKI (token `JPKIAPGPSETOKEN`): only the JPKI-AP, and
    /// the user-authentication certificate is read after the PIN.
    SmartphoneAndroid,
}

impl Persona {
    /// Every persona.
    pub const ALL: [Self; 8] = [
        Self::Standard,
        Self::OneTryLeft,
        Self::PinBlocked,
        Self::FaceAuthCard,
        Self::InfantNoPhoto,
        Self::CertExpiredRecently,
        Self::CertExpiredLongAgo,
        Self::SmartphoneAndroid,
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
        }
    }

    /// The persona with this name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|persona| persona.name() == name)
    }

    /// The holder printed on this persona's card, for a card made for `today`.
    #[must_use]
    pub fn holder(self, today: Date) -> Holder {
        let standard_birth = Date::new(1985, 4, 1).unwrap_or(today);
        let standard_expiry = Date::new(2035, 4, 1).unwrap_or(today);
        let (birth_date, card_expiry) = match self {
            Self::InfantNoPhoto => {
                let birth = today.add_months(-8);
                (birth, birth.add_months(60))
            }
            _ => (standard_birth, standard_expiry),
        };
        Holder {
            name: if self == Self::InfantNoPhoto {
                "音資 花子"
            } else {
                "音資 太郎"
            },
            address: "東京都架空区見本町一丁目2番3号",
            birth_date,
            sex: if self == Self::InfantNoPhoto {
                Sex::Female
            } else {
                Sex::Male
            },
            card_expiry,
        }
    }

    /// This persona's card, made for `today` (certificate validity is relative to it).
    #[must_use]
    pub fn card(self, today: Date) -> VirtualCard {
        build(self, today)
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
    /// 照合番号B as the reader's OCR reads it from the card face: birth date YYMMDD (Western
    /// year, the default [`BirthYearForm`]), expiry year, security code.
    ///
    /// # Errors
    ///
    /// Never for the personas' data.
    pub fn verification_number_b(&self) -> Result<Pin, PinFormatError> {
        let expiry_year = u16::try_from(self.card_expiry.year()).unwrap_or(0);
        Pin::verification_number_b(
            self.birth_date,
            expiry_year,
            secrets::SECURITY_CODE,
            BirthYearForm::Western,
        )
    }
}

fn data(content: Vec<u8>, unlocked_by: &[FileId]) -> VirtualFile {
    VirtualFile::Data {
        content,
        unlocked_by: unlocked_by.to_vec(),
    }
}

fn yyyymmdd(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), date.month(), date.day())
}

fn build(persona: Persona, today: Date) -> VirtualCard {
    let holder = persona.holder(today);
    let mut card = VirtualCard::empty();
    let smartphone = persona == Persona::SmartphoneAndroid;
    let face_auth = persona == Persona::FaceAuthCard;

    // JPKI-AP.
    let token = if smartphone {
        "JPKIAPGPSETOKEN"
    } else {
        "JPKIAPICCTOKEN2"
    };
    let mut token = token.as_bytes().to_vec();
    token.resize(jpki::TOKEN_LEN, b' ');
    card.set_file(Application::Jpki, jpki::TOKEN, data(token, &[]));

    let not_after = match persona {
        Persona::CertExpiredRecently => today.add_months(-2),
        Persona::CertExpiredLongAgo => today.add_months(-12),
        _ => today.add_months(48),
    };
    let user_auth = CertificateSpec {
        kind: CertificateKind::UserAuth,
        serial: 0x0001_0001,
        not_before: not_after.add_months(-60),
        not_after,
    };
    let ca = CertificateSpec {
        kind: CertificateKind::Ca,
        serial: 1,
        not_before: Date::new(2023, 7, 15).unwrap_or(today),
        not_after: Date::new(2033, 7, 15).unwrap_or(today),
    };
    let auth_cert_lock: &[FileId] = if smartphone {
        &[jpki::USER_AUTH_PIN]
    } else {
        &[]
    };
    if let Some(der) = certificate::certificate(user_auth) {
        card.set_file(
            Application::Jpki,
            jpki::USER_AUTH_CERTIFICATE,
            data(der, auth_cert_lock),
        );
    }
    if let Some(der) = certificate::certificate(ca) {
        card.set_file(
            Application::Jpki,
            jpki::USER_AUTH_CA_CERTIFICATE,
            data(der.clone(), &[]),
        );
        if !face_auth {
            card.set_file(
                Application::Jpki,
                jpki::SIGNING_CA_CERTIFICATE,
                data(der, &[]),
            );
        }
    }
    card.set_file(
        Application::Jpki,
        jpki::USER_AUTH_KEY,
        VirtualFile::Key {
            key: SigningKeyRef::UserAuth,
            unlocked_by: jpki::USER_AUTH_PIN,
        },
    );
    if !face_auth {
        let pin = VirtualPin::new(secrets::USER_AUTH_PIN.as_bytes(), 3);
        card.set_file(
            Application::Jpki,
            jpki::USER_AUTH_PIN,
            VirtualFile::Pin(pin),
        );
        let signing = CertificateSpec {
            kind: CertificateKind::Signing,
            serial: 0x0002_0001,
            not_before: today.add_months(-12),
            not_after: today.add_months(48),
        };
        if let Some(der) = certificate::certificate(signing) {
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
                unlocked_by: jpki::SIGNING_PIN,
            },
        );
        card.set_file(
            Application::Jpki,
            jpki::SIGNING_PIN,
            VirtualFile::Pin(VirtualPin::new(secrets::SIGNING_PASSWORD.as_bytes(), 5)),
        );
    }
    match persona {
        Persona::OneTryLeft => card.set_pin_remaining(crate::card::PinSlot::UserAuth, 1),
        Persona::PinBlocked => card.set_pin_remaining(crate::card::PinSlot::UserAuth, 0),
        _ => {}
    }
    if smartphone {
        return card;
    }

    // Card-info input support AP.
    // What the card stores is what the reader's OCR reads: the same composition.
    let b_text = holder
        .verification_number_b()
        .map(|pin| pin.secret().expose_secret().to_vec())
        .unwrap_or_default();
    let mut my_number = vec![0xFF, 0x10, 0x0C];
    my_number.extend_from_slice(secrets::MY_NUMBER.as_bytes());
    my_number.extend_from_slice(&[0xFF, 0xFF]);
    card.set_file(
        Application::CardInfo,
        card_info::MY_NUMBER,
        data(my_number, &[card_info::PIN]),
    );
    let basic = basic_info(&holder);
    card.set_file(
        Application::CardInfo,
        card_info::BASIC_INFO,
        data(basic, &[card_info::PIN]),
    );
    if !face_auth {
        card.set_file(
            Application::CardInfo,
            card_info::PIN,
            VirtualFile::Pin(VirtualPin::new(secrets::CARD_INFO_PIN.as_bytes(), 3)),
        );
    }
    card.set_file(
        Application::CardInfo,
        card_info::VERIFICATION_NUMBER_A,
        VirtualFile::Pin(VirtualPin::new(
            secrets::MY_NUMBER.as_bytes(),
            VERIFICATION_NUMBER_TRIES,
        )),
    );
    card.set_file(
        Application::CardInfo,
        card_info::VERIFICATION_NUMBER_B,
        VirtualFile::Pin(VirtualPin::new(&b_text, VERIFICATION_NUMBER_TRIES)),
    );

    // Card-face AP.
    let with_photo = persona != Persona::InfantNoPhoto;
    card.set_file(
        Application::CardFace,
        card_face::ENTRIES,
        data(
            card_face_entries(&holder, with_photo),
            &[
                card_face::VERIFICATION_NUMBER_B,
                card_face::VERIFICATION_NUMBER_A,
            ],
        ),
    );
    card.set_file(
        Application::CardFace,
        card_face::VERIFICATION_NUMBER_B,
        VirtualFile::Pin(VirtualPin::new(&b_text, VERIFICATION_NUMBER_TRIES)),
    );
    card.set_file(
        Application::CardFace,
        card_face::VERIFICATION_NUMBER_A,
        VirtualFile::Pin(VirtualPin::new(
            secrets::MY_NUMBER.as_bytes(),
            VERIFICATION_NUMBER_TRIES,
        )),
    );
    card
}

/// `FF 20 { DF21 offsets, DF22 … }` with the tags in order. DF21 holds the 16-bit absolute
/// file offsets of the TLVs that follow it (the reference's two readings of DF21 disagree;
/// readers parse by tag).
fn record(fields: &[(u32, &[u8])]) -> Vec<u8> {
    let mut tail = Vec::new();
    let mut positions = Vec::new();
    for (tag, value) in fields {
        positions.push(tail.len());
        if let Some(tag) = Tag::from_u32(*tag) {
            let _ = tlv::encode(tag, value, &mut tail);
        }
    }
    let offsets_len = 2 * fields.len();
    // The DF21 TLV: 3 header bytes (tag 2, length 1) plus the offsets.
    let df21_len = 3 + offsets_len;
    let content_len = df21_len + tail.len();
    // Container header: FF 20 and the length field.
    let container_header = 2 + match content_len {
        0..=0x7F => 1,
        0x80..=0xFF => 2,
        _ => 3,
    };
    let mut offsets = Vec::with_capacity(offsets_len);
    for position in positions {
        let absolute = u16::try_from(container_header + df21_len + position).unwrap_or(u16::MAX);
        offsets.extend_from_slice(&absolute.to_be_bytes());
    }
    let mut content = Vec::with_capacity(content_len);
    if let Some(tag) = Tag::from_u32(0xDF21) {
        let _ = tlv::encode(tag, &offsets, &mut content);
    }
    content.extend_from_slice(&tail);
    let mut out = Vec::with_capacity(content.len() + 4);
    if let Some(tag) = Tag::from_u32(0xFF20) {
        let _ = tlv::encode(tag, &content, &mut out);
    }
    out
}

fn basic_info(holder: &Holder) -> Vec<u8> {
    record(&[
        (0xDF22, holder.name.as_bytes()),
        (0xDF23, holder.address.as_bytes()),
        (0xDF24, yyyymmdd(holder.birth_date).as_bytes()),
        (0xDF25, &[holder.sex.code()]),
    ])
}

/// Deterministic filler bytes, different per seed.
fn filler(seed: u32, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect()
}

/// A PNG-looking image: the PNG signature, then filler.
fn png(seed: u32, len: usize) -> Vec<u8> {
    let mut image = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    image.extend(filler(seed, len.saturating_sub(8)));
    image
}

/// The face photo: a JPEG 2000 signature box, then filler (the chip photo is ~3 KB).
pub(crate) fn face_photo() -> Vec<u8> {
    let mut photo = vec![
        0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A,
    ];
    photo.extend(filler(27, 3_000));
    photo
}

fn card_face_entries(holder: &Holder, with_photo: bool) -> Vec<u8> {
    let photo = if with_photo { face_photo() } else { Vec::new() };
    record(&[
        (0xDF22, yyyymmdd(holder.birth_date).as_bytes()),
        (0xDF23, &[holder.sex.code()]),
        (0xDF24, &filler(24, 270)),
        (0xDF25, &png(25, 1_200)),
        (0xDF26, &png(26, 1_500)),
        (0xDF27, &photo),
        (0xDF28, &filler(28, 256)),
        (0xDF29, yyyymmdd(holder.card_expiry).as_bytes()),
        (0xDF2A, &png(42, 300)),
    ])
}
