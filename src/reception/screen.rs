//! Screens the reader shows, with everything they need, and their text in Japanese and
//! English.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::outcome::{EligibilityOnlyReason, EndReason, MethodChoice, RefusalReason};
use super::settings::ConsentItem;

/// A screen to show. Screens that wait for the patient say which inputs they take.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "screen", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Screen {
    /// Place the card.
    PlaceCard,
    /// Legacy visual mode: waiting for staff to confirm on the terminal.
    WaitingForStaff,
    /// Reading the card.
    ReadingCard,
    /// The card's data could not be verified as genuine: no photo comparison; ask the staff.
    CardNotVerified,
    /// Choose how to confirm identity.
    ChooseMethod {
        /// The methods offered.
        options: Vec<MethodChoice>,
        /// The PIN's tries left, as the card last reported, when the PIN is offered.
        pin_tries_left: Option<u8>,
    },
    /// Look at the camera.
    FaceCapture {
        /// Attempt number, from 1.
        attempt: u8,
        /// Attempts allowed.
        of: u8,
    },
    /// Face authentication failed; choose another way.
    FaceFailed {
        /// The methods offered.
        options: Vec<MethodChoice>,
    },
    /// The card has no photo: face and visual checks are impossible.
    NoPhotoOnCard {
        /// The methods offered.
        options: Vec<MethodChoice>,
    },
    /// Enter the PIN.
    EnterPin {
        /// Tries left, as the card last reported.
        tries_left: u8,
    },
    /// The PIN entered is not 4 digits; nothing was sent to the card.
    PinFormatInvalid {
        /// Tries left, unchanged.
        tries_left: u8,
    },
    /// The PIN's count changed since it was shown (another program used the card): nothing
    /// was sent; the entry shows the count now.
    PinCountChanged {
        /// Tries left, as the card reported.
        tries_left: u8,
    },
    /// The PIN was wrong.
    WrongPin {
        /// Tries left, as the card reported.
        tries_left: u8,
    },
    /// One try left: a wrong PIN now locks it. Confirm, or choose another way.
    LastTryWarning {
        /// The other ways the patient can choose instead (possibly none).
        other_ways: Vec<MethodChoice>,
    },
    /// The PIN is locked.
    PinBlocked {
        /// The methods offered.
        options: Vec<MethodChoice>,
    },
    /// Staff: enter the facility's visual-check passcode.
    StaffPasscode {
        /// Wrong entries still allowed.
        attempts_left: u8,
    },
    /// Wrong staff passcode.
    StaffPasscodeWrong {
        /// Wrong entries still allowed.
        attempts_left: u8,
    },
    /// One consent screen: the blanket question, or one item.
    Consent {
        /// The item, or `None` for the blanket (包括同意) question.
        item: Option<ConsentItem>,
        /// Position among the screens, from 1.
        index: usize,
        /// Number of screens.
        of: usize,
    },
    /// After consent: an electronic or a paper prescription (電子処方箋 / 紙の処方箋)?
    ChoosePrescription,
    /// Identity confirmed; reception done.
    Done {
        /// Set when only eligibility was confirmed.
        eligibility_only: Option<EligibilityOnlyReason>,
        /// Whether the consent was completed.
        consent_given: bool,
        /// The certificate expires within three months (or expired recently): renew it.
        renewal_alert: bool,
    },
    /// The card cannot be used.
    Refused {
        /// Why.
        reason: RefusalReason,
    },
    /// The visit ended without identity.
    Ended {
        /// Why.
        reason: EndReason,
    },
}

/// A screen's text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenText {
    /// Japanese.
    pub ja: String,
    /// English.
    pub en: String,
}

/// Japanese, then English: `本人確認の方法を選んでください / Choose how to confirm your identity`.
impl core::fmt::Display for ScreenText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} / {}", self.ja, self.en)
    }
}

fn text(ja: impl Into<String>, en: impl Into<String>) -> ScreenText {
    ScreenText {
        ja: ja.into(),
        en: en.into(),
    }
}

fn options_text(options: &[MethodChoice]) -> ScreenText {
    let mut ja = Vec::new();
    let mut en = Vec::new();
    for option in options {
        let (j, e) = match option {
            MethodChoice::Face => ("顔認証", "face"),
            MethodChoice::Pin => ("暗証番号", "PIN"),
            MethodChoice::StaffCheck => ("職員による顔写真確認", "staff photo check"),
        };
        ja.push(j);
        en.push(e);
    }
    text(ja.join(" / "), en.join(" / "))
}

/// " 他の方法: 顔認証 / …" after a sentence, or nothing when there is no other way.
fn other_ways_text(options: &[MethodChoice]) -> ScreenText {
    if options.is_empty() {
        return text("", "");
    }
    let list = options_text(options);
    text(
        format!(" 他の方法: {}", list.ja),
        format!(" Other ways: {}", list.en),
    )
}

/// "1 try left", "2 tries left".
fn tries_en(n: u8) -> String {
    if n == 1 {
        String::from("1 try left")
    } else {
        format!("{n} tries left")
    }
}

const PIN_RESET_JA: &str = "暗証番号は市区町村の窓口、またはコンビニのキオスク端末（JPKI暗証番号リセット）で初期化できます。";
const PIN_RESET_EN: &str = "The PIN can be reset at the municipal office or at a convenience-store kiosk (JPKI PIN reset).";

impl Screen {
    /// The screen's text, Japanese with English beside it.
    #[must_use]
    pub fn text(&self) -> ScreenText {
        match self {
            Self::PlaceCard => text(
                "マイナンバーカードを置いてください",
                "Please place your My Number Card",
            ),
            Self::WaitingForStaff => text(
                "職員が本人確認を行います。しばらくお待ちください",
                "A staff member will check your identity. Please wait",
            ),
            Self::ReadingCard => text("カードを読み取っています", "Reading the card"),
            Self::CardNotVerified => text(
                "カードの券面情報を確認できませんでした。窓口の職員にお声がけください",
                "The card's data could not be verified. Please ask the staff",
            ),
            Self::ChooseMethod {
                options,
                pin_tries_left,
            } => {
                let choices = options_text(options);
                let tries = pin_tries_left.map_or_else(
                    || (String::new(), String::new()),
                    |n| {
                        (
                            format!("（暗証番号 残り{n}回）"),
                            format!(" (PIN: {})", tries_en(n)),
                        )
                    },
                );
                text(
                    format!("本人確認の方法を選んでください: {}{}", choices.ja, tries.0),
                    format!(
                        "Choose how to confirm your identity: {}{}",
                        choices.en, tries.1
                    ),
                )
            }
            Self::FaceCapture { attempt, of } => text(
                format!("カメラを見てください（{attempt}/{of}回目）"),
                format!("Please look at the camera (attempt {attempt} of {of})"),
            ),
            Self::FaceFailed { options } => {
                let choices = options_text(options);
                text(
                    format!(
                        "顔認証ができませんでした。別の方法を選んでください: {}",
                        choices.ja
                    ),
                    format!(
                        "Face authentication failed. Choose another way: {}",
                        choices.en
                    ),
                )
            }
            Self::NoPhotoOnCard { options } => {
                let choices = options_text(options);
                text(
                    format!(
                        "このカードには顔写真がありません。{}で確認します",
                        choices.ja
                    ),
                    format!("This card has no photo. Use: {}", choices.en),
                )
            }
            Self::EnterPin { tries_left } => text(
                format!("暗証番号（4桁）を入力してください（残り{tries_left}回）"),
                format!("Enter your 4-digit PIN ({})", tries_en(*tries_left)),
            ),
            Self::PinFormatInvalid { tries_left } => text(
                format!("4桁の数字を入力してください（残り{tries_left}回、回数は減っていません）"),
                format!(
                    "Enter 4 digits ({}; no try was used)",
                    tries_en(*tries_left)
                ),
            ),
            Self::PinCountChanged { tries_left } => text(
                format!(
                    "暗証番号の残り回数が変わりました（残り{tries_left}回）。もう一度入力してください"
                ),
                format!(
                    "The PIN's count changed ({}). Please enter it again",
                    tries_en(*tries_left)
                ),
            ),
            Self::WrongPin { tries_left } => text(
                format!("暗証番号が違います（残り{tries_left}回）"),
                format!("Wrong PIN ({})", tries_en(*tries_left)),
            ),
            Self::LastTryWarning { other_ways } => {
                let others = other_ways_text(other_ways);
                text(
                    format!(
                        "残り1回です。間違えるとロックされます。続けますか？{}",
                        others.ja
                    ),
                    format!("1 try left: a wrong PIN locks it. Continue?{}", others.en),
                )
            }
            Self::PinBlocked { options } => {
                let others = other_ways_text(options);
                text(
                    format!("暗証番号がロックされています。{PIN_RESET_JA}{}", others.ja),
                    format!("The PIN is locked. {PIN_RESET_EN}{}", others.en),
                )
            }
            Self::StaffPasscode { attempts_left } => text(
                format!("職員の方: 目視確認パスコードを入力してください（残り{attempts_left}回）"),
                format!("Staff: enter the visual-check passcode ({attempts_left} attempts left)"),
            ),
            Self::StaffPasscodeWrong { attempts_left } => text(
                format!("パスコードが違います（残り{attempts_left}回）"),
                format!("Wrong passcode ({attempts_left} attempts left)"),
            ),
            Self::Consent {
                item: None,
                index,
                of,
            } => text(
                format!(
                    "（{index}/{of}）過去の医療情報等をまとめて提供することに同意しますか？（包括同意）"
                ),
                format!(
                    "({index}/{of}) Do you agree to share all your medical information? (blanket consent)"
                ),
            ),
            Self::Consent {
                item: Some(item),
                index,
                of,
            } => text(
                format!("（{index}/{of}）{}の提供に同意しますか？", item.label_ja()),
                format!(
                    "({index}/{of}) Do you agree to share your {}?",
                    item.label_en()
                ),
            ),
            Self::ChoosePrescription => text(
                "処方箋の発行方法を選んでください（電子処方箋／紙の処方箋）",
                "Choose how to receive your prescription: electronic or paper",
            ),
            Self::Done {
                eligibility_only,
                consent_given,
                renewal_alert,
            } => {
                let done = match (eligibility_only, consent_given) {
                    (Some(_), _) => text(
                        "受付が完了しました（電子証明書の有効期限切れのため資格確認のみ）",
                        "Reception done (eligibility only: the certificate has expired)",
                    ),
                    (None, true) => text("受付が完了しました", "Reception done"),
                    (None, false) => text(
                        "受付が完了しました（同意は未確認です）",
                        "Reception done (consent not given)",
                    ),
                };
                if *renewal_alert {
                    text(
                        format!(
                            "{}。電子証明書の有効期限が近づいています（または切れています）。市区町村の窓口で更新してください",
                            done.ja
                        ),
                        format!(
                            "{}. The certificate expires soon (or has expired): please renew it at the municipal office",
                            done.en
                        ),
                    )
                } else {
                    done
                }
            }
            Self::Refused { reason } => match reason {
                RefusalReason::CertificateExpired => text(
                    "電子証明書の有効期限が切れています。市区町村の窓口で更新してください",
                    "The certificate has expired. Please renew it at the municipal office",
                ),
                RefusalReason::CertificateNotYetValid => text(
                    "電子証明書がまだ有効ではありません",
                    "The certificate is not valid yet",
                ),
                RefusalReason::SmartphoneCertificateExpired => text(
                    "スマートフォンの電子証明書の有効期限が切れています",
                    "The smartphone's certificate has expired",
                ),
                RefusalReason::NotAMyNumberCard => text(
                    "このカードはご利用いただけません",
                    "This card cannot be used",
                ),
                RefusalReason::CertificateNotTrusted | RefusalReason::NotAuthentic => text(
                    "このカードは確認できませんでした。窓口の職員にお声がけください",
                    "This card could not be verified. Please ask the staff",
                ),
            },
            Self::Ended { reason } => match reason {
                EndReason::CardRemoved => text("カードが取り外されました", "The card was removed"),
                EndReason::TimedOut => text("操作がなかったため終了しました", "Ended: no input"),
                EndReason::NoMethodLeft => text(
                    "本人確認ができませんでした。窓口の職員にお声がけください",
                    "Identity could not be confirmed. Please ask the staff",
                ),
                EndReason::CardOrReaderError => text(
                    "カードを読み取れませんでした。もう一度置いてください",
                    "The card could not be read. Please place it again",
                ),
            },
        }
    }
}
