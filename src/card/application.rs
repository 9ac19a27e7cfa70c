//! The card's applications (AP) and their elementary files (EF), as named constants.
//!
//! Facts and their confidence are in `card-protocol.md` §1–§2; files whose purpose is unknown
//! are left out.

use core::fmt;

use serde::{Deserialize, Serialize};

use super::PinSlot;
use crate::apdu::FileId;

/// An application on the My Number Card, selected by its AID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Application {
    /// 公的個人認証AP (JPKI-AP): certificates, keys, the user-authentication PIN and the signing
    /// password. The only application on smartphone JPKI.
    Jpki,
    /// 券面事項入力補助AP (card-info input support AP): the My Number and the basic 4 info
    /// (基本4情報) behind the card-info PIN.
    CardInfo,
    /// 券面事項確認AP (券面AP, card-face AP): the card-face entries with the face photo, behind
    /// 照合番号B (or 照合番号A).
    CardFace,
}

impl Application {
    /// Every application, in the order the PIN report visits them.
    pub const ALL: [Self; 3] = [Self::Jpki, Self::CardInfo, Self::CardFace];

    /// The application identifier sent in SELECT.
    #[must_use]
    pub const fn aid(self) -> &'static [u8] {
        match self {
            Self::Jpki => &[0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01],
            Self::CardInfo => &[0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08],
            Self::CardFace => &[0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02],
        }
    }

    /// The application with this AID.
    #[must_use]
    pub fn from_aid(aid: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|app| app.aid() == aid)
    }

    /// The Japanese name, as on official pages.
    #[must_use]
    pub const fn japanese_name(self) -> &'static str {
        match self {
            Self::Jpki => "公的個人認証AP",
            Self::CardInfo => "券面事項入力補助AP",
            Self::CardFace => "券面事項確認AP",
        }
    }
}

impl fmt::Display for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Jpki => "JPKI-AP",
            Self::CardInfo => "card-info AP",
            Self::CardFace => "card-face AP",
        })
    }
}

/// Files of the JPKI-AP.
pub mod jpki {
    use super::FileId;

    /// Signing certificate (署名用電子証明書), X.509 DER; readable only after the signing password.
    pub const SIGNING_CERTIFICATE: FileId = FileId::new(0x0001);
    /// The CA certificate that issued the signing certificate.
    pub const SIGNING_CA_CERTIFICATE: FileId = FileId::new(0x0002);
    /// Token information (160 bytes, PKCS#11 `CK_TOKEN_INFO` with 32-bit big-endian integers);
    /// its label says what kind of card or phone this is.
    pub const TOKEN: FileId = FileId::new(0x0006);
    /// Which certificates the card carries: `8F 8F 00` with both (real-card evidence, fact 6).
    pub const CERTIFICATE_AVAILABILITY: FileId = FileId::new(0x0008);
    /// A protected EF whose purpose and access condition are unknown.
    pub const UNKNOWN_0009: FileId = FileId::new(0x0009);
    /// User-authentication certificate (利用者証明用電子証明書), X.509 DER. Free to read on the
    /// plastic card; behind the user-authentication PIN on smartphone JPKI.
    pub const USER_AUTH_CERTIFICATE: FileId = FileId::new(0x000A);
    /// The CA certificate that issued the user-authentication certificate.
    pub const USER_AUTH_CA_CERTIFICATE: FileId = FileId::new(0x000B);
    /// User-authentication private key; signs after the user-authentication PIN.
    pub const USER_AUTH_KEY: FileId = FileId::new(0x0017);
    /// User-authentication PIN (利用者証明用暗証番号).
    pub const USER_AUTH_PIN: FileId = FileId::new(0x0018);
    /// Signing private key.
    pub const SIGNING_KEY: FileId = FileId::new(0x001A);
    /// Signing password (署名用パスワード).
    pub const SIGNING_PIN: FileId = FileId::new(0x001B);
    /// Bytes of the token EF.
    pub const TOKEN_LEN: usize = 160;
}

/// Files of the card-info input support AP (券面事項入力補助AP).
pub mod card_info {
    use super::FileId;

    /// The My Number: `FF 10 0C` and 12 ASCII digits, then filler (17 bytes on a real card).
    /// Opened by the card-info PIN or 照合番号A, not by 照合番号B.
    pub const MY_NUMBER: FileId = FileId::new(0x0001);
    /// Basic 4 info (基本4情報): `FF 20 { DF21 offsets, DF22 name, DF23 address, DF24 birth date,
    /// DF25 sex }`. Opened by the card-info PIN or 照合番号B, not by 照合番号A.
    pub const BASIC_INFO: FileId = FileId::new(0x0002);
    /// Integrity record `FF 30 { DF31 SHA-256 of the My Number file, DF32 SHA-256 of the basic
    /// 4 info, DF33 issuer signature }`.
    pub const INTEGRITY: FileId = FileId::new(0x0003);
    /// The application's card-verifiable certificate (`7F 21`), certifying the issuer key.
    pub const CERTIFICATE: FileId = FileId::new(0x0004);
    /// AP basic data `FF 40 { DF41, DF42 key id, DF43 }`.
    pub const AP_BASIC_DATA: FileId = FileId::new(0x0005);
    /// The public key a terminal encrypts a secure-messaging session key to (`A1`).
    pub const SESSION_KEY_PUBLIC_KEY: FileId = FileId::new(0x0006);
    /// The application's signing key's public half with the issuer's signature (`FF 50`).
    pub const SIGNED_PUBLIC_KEY: FileId = FileId::new(0x0007);
    /// Card-info PIN (券面事項入力補助用暗証番号).
    pub const PIN: FileId = FileId::new(0x0011);
    /// A key that answers blocked (0 tries) on every card examined; what it opens is unknown.
    pub const BLOCKED_KEY: FileId = FileId::new(0x0012);
    /// 照合番号A (the My Number) as a PIN.
    pub const VERIFICATION_NUMBER_A: FileId = FileId::new(0x0014);
    /// 照合番号B as a PIN.
    pub const VERIFICATION_NUMBER_B: FileId = FileId::new(0x0015);
}

/// Files of the card-face AP (券面事項確認AP).
pub mod card_face {
    use super::FileId;

    /// The age record `FF 10 { DF11 birth date, DF12 card key, DF13 signature }`, opened by the
    /// birth-date key only.
    pub const AGE_RECORD: FileId = FileId::new(0x0001);
    /// Card-face entries (about 3 KB): `FF 20 { DF21 offsets, DF22 birth date, DF23 sex, DF24 the
    /// card's own public key, DF25 name image, DF26 address image, DF27 face photo (JPEG 2000),
    /// DF28 issuer signature, DF29 expiry, DF2A security-code image }`. Opened by 照合番号A or B.
    pub const ENTRIES: FileId = FileId::new(0x0002);
    /// AP basic data `FF 30 { … }`.
    pub const AP_BASIC_DATA: FileId = FileId::new(0x0003);
    /// The application's card-verifiable certificate (`7F 21`), certifying the issuer key.
    pub const CERTIFICATE: FileId = FileId::new(0x0004);
    /// The rendered My Number `FF 40 { DF41 image, DF42 key, DF43 signature }`, opened by
    /// 照合番号A only.
    pub const MY_NUMBER_IMAGE: FileId = FileId::new(0x0005);
    /// Purpose unknown; opened by 照合番号A or B.
    pub const UNKNOWN_0006: FileId = FileId::new(0x0006);
    /// The birth-date key (生年月日, YYMMDD with the era year).
    pub const BIRTH_DATE_KEY: FileId = FileId::new(0x0011);
    /// 照合番号B as a PIN.
    pub const VERIFICATION_NUMBER_B: FileId = FileId::new(0x0012);
    /// 照合番号A (the My Number) as a PIN.
    pub const VERIFICATION_NUMBER_A: FileId = FileId::new(0x0013);
}

/// A file on the card: an application and an EF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CardFile {
    /// The application.
    pub application: Application,
    /// The EF, as its 16-bit ID.
    #[serde(with = "file_id_serde")]
    pub file: FileId,
}

impl CardFile {
    /// The file `file` of `application`.
    #[must_use]
    pub const fn new(application: Application, file: FileId) -> Self {
        Self { application, file }
    }

    /// Who may read the file, as a probed card answers (real-card evidence, facts 2–3, 6, 12).
    /// This is the table the card layer checks before it presents a key: a key is never
    /// presented to a file it does not open.
    ///
    /// Where the evidence is silent the choice is marked: card-info EF 0005 and card-face EF
    /// 0003 are taken as free (the probe read them with no key), card-info EF 0003 and 0006–0007
    /// as opened by the PIN or either 照合番号.
    #[must_use]
    pub fn access(self) -> FileAccess {
        use PinSlot as S;
        match (self.application, self.file) {
            (Application::Jpki, jpki::SIGNING_CERTIFICATE) => FileAccess::AnyOf(&[S::Signing]),
            (Application::Jpki, jpki::UNKNOWN_0009) => FileAccess::Never,
            (Application::Jpki, _) => FileAccess::Free,
            (Application::CardInfo, card_info::MY_NUMBER) => {
                FileAccess::AnyOf(&[S::CardInfo, S::CardInfoVerificationA])
            }
            (Application::CardInfo, card_info::BASIC_INFO) => {
                FileAccess::AnyOf(&[S::CardInfo, S::CardInfoVerificationB])
            }
            (Application::CardInfo, card_info::CERTIFICATE | card_info::AP_BASIC_DATA) => {
                FileAccess::Free
            }
            (Application::CardInfo, _) => FileAccess::AnyOf(&[
                S::CardInfo,
                S::CardInfoVerificationA,
                S::CardInfoVerificationB,
            ]),
            (Application::CardFace, card_face::AGE_RECORD) => {
                FileAccess::AnyOf(&[S::CardFaceBirthDate])
            }
            (Application::CardFace, card_face::AP_BASIC_DATA | card_face::CERTIFICATE) => {
                FileAccess::Free
            }
            (Application::CardFace, card_face::MY_NUMBER_IMAGE) => {
                FileAccess::AnyOf(&[S::CardFaceVerificationA])
            }
            (Application::CardFace, _) => {
                FileAccess::AnyOf(&[S::CardFaceVerificationA, S::CardFaceVerificationB])
            }
        }
    }
}

impl fmt::Display for CardFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.application, self.file)
    }
}

/// Who may read a file ([`CardFile::access`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAccess {
    /// Anyone, with no key.
    Free,
    /// After any one of these keys was verified in the same application session.
    AnyOf(&'static [PinSlot]),
    /// No key the card layer knows opens it.
    Never,
}

impl FileAccess {
    /// Whether verifying `slot` opens the file.
    #[must_use]
    pub fn opened_by(self, slot: PinSlot) -> bool {
        match self {
            Self::Free => true,
            Self::AnyOf(slots) => slots.contains(&slot),
            Self::Never => false,
        }
    }
}

mod file_id_serde {
    use crate::apdu::FileId;

    pub(super) fn serialize<S: serde::Serializer>(id: &FileId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(id.to_u16())
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<FileId, D::Error> {
        <u16 as serde::Deserialize>::deserialize(d).map(FileId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn aids_from_the_reference() {
        for app in Application::ALL {
            assert_eq!(Application::from_aid(app.aid()), Some(app));
            assert_eq!(app.aid().len(), 10);
        }
        assert_eq!(Application::from_aid(&[0xD3, 0x92]), None);
    }

    #[test]
    fn each_key_opens_what_the_probed_card_opens() {
        use PinSlot as S;
        let opened = |app, file: FileId| {
            PinSlot::ALL
                .into_iter()
                .filter(|slot| CardFile::new(app, file).access().opened_by(*slot))
                .collect::<Vec<_>>()
        };
        // Fact 2: A opens the My Number and not the basic 4 info; B the reverse; the PIN both.
        assert_eq!(
            opened(Application::CardInfo, card_info::MY_NUMBER),
            [S::CardInfo, S::CardInfoVerificationA]
        );
        assert_eq!(
            opened(Application::CardInfo, card_info::BASIC_INFO),
            [S::CardInfo, S::CardInfoVerificationB]
        );
        // Fact 3: A opens 0002–0006, B the same but 0005.
        assert_eq!(
            opened(Application::CardFace, card_face::ENTRIES),
            [S::CardFaceVerificationA, S::CardFaceVerificationB]
        );
        assert_eq!(
            opened(Application::CardFace, card_face::MY_NUMBER_IMAGE),
            [S::CardFaceVerificationA]
        );
        assert_eq!(
            opened(Application::CardFace, card_face::AGE_RECORD),
            [S::CardFaceBirthDate]
        );
        assert_eq!(
            CardFile::new(Application::CardFace, card_face::CERTIFICATE).access(),
            FileAccess::Free
        );
        assert_eq!(
            opened(Application::Jpki, jpki::SIGNING_CERTIFICATE),
            [S::Signing]
        );
    }
}
