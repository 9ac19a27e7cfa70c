//! The card's applications (AP) and their elementary files (EF), as named constants.
//!
//! Facts and their confidence are in `card-protocol.md` §1–§2; files whose purpose is unknown
//! are left out.

use core::fmt;

use serde::{Deserialize, Serialize};

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
    /// Token information, ASCII padded with spaces: what kind of card this is.
    pub const TOKEN: FileId = FileId::new(0x0006);
    /// User-authentication certificate (利用者証明用電子証明書), X.509 DER. Free to read on the
    /// plastic card; behind the user-authentication PIN on smartphone JPKI.
    pub const USER_AUTH_CERTIFICATE: FileId = FileId::new(0x000A);
    /// The CA certificate that issued the user-authentication certificate.
    pub const USER_AUTH_CA_CERTIFICATE: FileId = FileId::new(0x000B);
    /// User-authentication private key, selected before COMPUTE DIGITAL SIGNATURE.
    pub const USER_AUTH_KEY: FileId = FileId::new(0x0017);
    /// User-authentication PIN (利用者証明用暗証番号).
    pub const USER_AUTH_PIN: FileId = FileId::new(0x0018);
    /// Signing private key.
    pub const SIGNING_KEY: FileId = FileId::new(0x001A);
    /// Signing password (署名用パスワード).
    pub const SIGNING_PIN: FileId = FileId::new(0x001B);
    /// Bytes of the token EF that peers read (myna reads 0x20).
    pub const TOKEN_LEN: usize = 0x20;
}

/// Files of the card-info input support AP (券面事項入力補助AP).
pub mod card_info {
    use super::FileId;

    /// The My Number: a 3-byte header and 12 ASCII digits.
    pub const MY_NUMBER: FileId = FileId::new(0x0001);
    /// Basic 4 info (基本4情報): `FF 20 { DF21 offsets, DF22 name, DF23 address, DF24 birth date,
    /// DF25 sex }`.
    pub const BASIC_INFO: FileId = FileId::new(0x0002);
    /// Card-info PIN (券面事項入力補助用暗証番号).
    pub const PIN: FileId = FileId::new(0x0011);
    /// 照合番号A (the My Number) as a PIN.
    pub const VERIFICATION_NUMBER_A: FileId = FileId::new(0x0014);
    /// 照合番号B as a PIN.
    pub const VERIFICATION_NUMBER_B: FileId = FileId::new(0x0015);
}

/// Files of the card-face AP (券面事項確認AP).
pub mod card_face {
    use super::FileId;

    /// Card-face entries: `FF 20 { DF21 …, DF22 birth date, DF23 sex, DF24 public key, DF25 name
    /// image, DF26 address image, DF27 face photo (JPEG 2000), DF28 signature, DF29 expiry, DF2A
    /// security-code image }`.
    pub const ENTRIES: FileId = FileId::new(0x0002);
    /// 照合番号B as a PIN.
    pub const VERIFICATION_NUMBER_B: FileId = FileId::new(0x0012);
    /// 照合番号A (the My Number) as a PIN.
    pub const VERIFICATION_NUMBER_A: FileId = FileId::new(0x0013);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aids_from_the_reference() {
        for app in Application::ALL {
            assert_eq!(Application::from_aid(app.aid()), Some(app));
            assert_eq!(app.aid().len(), 10);
        }
        assert_eq!(Application::from_aid(&[0xD3, 0x92]), None);
    }
}
