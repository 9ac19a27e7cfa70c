//! Which identity methods a visit offers: one table, the single place to add a mode, a card
//! kind or a condition. Every combination of its inputs is tested.
//!
//! | Method | offered when |
//! |---|---|
//! | face | unattended mode; a card (not a phone); face not failed yet; the chip photo read and the card face verified genuine |
//! | PIN | not the legacy visual mode; not an iPhone; the PIN neither blocked nor missing |
//! | staff photo check | not the legacy visual mode; a card; the facility set a passcode and it is not withdrawn; when face authentication could not be done (by default, [`StaffCheckAvailability`]); a photo to compare (read from the chip and verified, or the printed one when the chip could not be read; never on a card face that did not verify) |
//!
//! Where the answer depends on the photo and the chip has not been read yet, the table says
//! [`Availability::NeedsPhoto`]: the visit reads it before it offers the choice (in the PIN-only
//! mode the PIN is asked first, and the photo is read when a method that needs it is chosen).

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::outcome::MethodChoice;
use super::settings::StaffCheckAvailability;
use crate::card::{CardKind, PinStatus, SmartphonePlatform};
use crate::facility::ReaderMode;

/// What the visit knows about the card's face photo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoKnowledge {
    /// Not read yet.
    Unknown,
    /// Read from the chip.
    Present,
    /// The card has none (a card issued to a baby).
    Absent,
    /// It cannot be read (照合番号B unreadable or refused); the printed card face is all there is.
    Unreadable,
    /// It was read, and the card face is not genuine: its issuer's signature, or the card's
    /// answer to the presence challenge, did not verify. Neither the chip photo nor the printed
    /// one can be relied on.
    NotGenuine,
}

/// Whether the facility's on-reader staff check can be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffCheckState {
    /// The facility has set a passcode (or the terminal fetched one).
    Available,
    /// No passcode: the check is not there.
    NoPasscode,
    /// Too many wrong passcodes in this visit, or the facility's passcode is locked.
    Withdrawn,
}

/// Everything the offer depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Situation {
    /// The reader's mode.
    pub mode: ReaderMode,
    /// The kind of card (or phone).
    pub card: CardKind,
    /// What is known of the photo.
    pub photo: PhotoKnowledge,
    /// The user-authentication PIN as the card last reported it.
    pub pin: PinStatus,
    /// Face authentication failed in this visit.
    pub face_failed: bool,
    /// The on-reader staff check.
    pub staff: StaffCheckState,
    /// When the facility wants the staff check offered.
    pub staff_policy: StaffCheckAvailability,
}

/// Why a method is not offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotOffered {
    /// The reader's mode does not allow it (face in PIN-only mode; any on-reader method in
    /// the legacy visual mode).
    Mode,
    /// Not with this kind of card or phone.
    CardKind,
    /// The card has no photo.
    NoPhoto,
    /// The chip photo cannot be read.
    PhotoUnreadable,
    /// The card face did not verify (a forged or copied card): no photo comparison of any kind.
    NotGenuine,
    /// Face authentication already failed in this visit.
    FaceFailed,
    /// The PIN is blocked.
    PinBlocked,
    /// The card has no PIN (a face-authentication card).
    PinNotSet,
    /// The facility has no staff passcode.
    NoPasscode,
    /// Too many wrong staff passcodes.
    StaffCheckWithdrawn,
    /// Only once face authentication could not be done (the facility's setting).
    NotYet,
    /// The facility turned it off.
    Disabled,
}

/// Whether one method is offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Availability {
    /// Offered.
    Offered,
    /// Not offered, and why.
    NotOffered(NotOffered),
    /// Offered if the chip has a photo: read it before offering.
    NeedsPhoto,
}

/// The table: whether `method` is offered in `situation`.
#[must_use]
pub fn availability(method: MethodChoice, s: &Situation) -> Availability {
    use Availability::{NeedsPhoto, NotOffered as No, Offered};
    let on_a_card = matches!(s.card, CardKind::MyNumberCard);
    let photo = |unreadable_ok: bool| match s.photo {
        PhotoKnowledge::Present => Offered,
        PhotoKnowledge::Unknown => NeedsPhoto,
        PhotoKnowledge::Absent => No(NotOffered::NoPhoto),
        PhotoKnowledge::Unreadable if unreadable_ok => Offered,
        PhotoKnowledge::Unreadable => No(NotOffered::PhotoUnreadable),
        PhotoKnowledge::NotGenuine => No(NotOffered::NotGenuine),
    };
    match method {
        MethodChoice::Face => {
            if s.mode != ReaderMode::Unattended {
                No(NotOffered::Mode)
            } else if !on_a_card {
                No(NotOffered::CardKind)
            } else if s.face_failed {
                No(NotOffered::FaceFailed)
            } else {
                photo(false)
            }
        }
        MethodChoice::Pin => {
            if s.mode == ReaderMode::LegacyVisual {
                No(NotOffered::Mode)
            } else if !matches!(
                s.card,
                CardKind::MyNumberCard | CardKind::Smartphone(SmartphonePlatform::Android)
            ) {
                No(NotOffered::CardKind)
            } else {
                match s.pin {
                    PinStatus::Blocked => No(NotOffered::PinBlocked),
                    PinStatus::NotSet => No(NotOffered::PinNotSet),
                    PinStatus::Remaining(_) | PinStatus::Unknown => Offered,
                }
            }
        }
        MethodChoice::StaffCheck => {
            let face_impossible = s.face_failed
                || matches!(
                    s.photo,
                    PhotoKnowledge::Unreadable | PhotoKnowledge::NotGenuine
                )
                || s.mode == ReaderMode::PinOnly
                || s.pin == PinStatus::Blocked;
            if s.mode == ReaderMode::LegacyVisual {
                No(NotOffered::Mode)
            } else if !on_a_card {
                No(NotOffered::CardKind)
            } else if s.staff == StaffCheckState::NoPasscode {
                No(NotOffered::NoPasscode)
            } else if s.staff == StaffCheckState::Withdrawn {
                No(NotOffered::StaffCheckWithdrawn)
            } else {
                match s.staff_policy {
                    StaffCheckAvailability::Never => No(NotOffered::Disabled),
                    StaffCheckAvailability::AfterFaceFailure if !face_impossible => {
                        No(NotOffered::NotYet)
                    }
                    StaffCheckAvailability::Always | StaffCheckAvailability::AfterFaceFailure => {
                        photo(true)
                    }
                }
            }
        }
    }
}

/// The methods offered in `situation`, in screen order, and whether the photo must be read
/// before anything is offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Offered now.
    pub methods: Vec<MethodChoice>,
    /// A method depends on the photo, which has not been read.
    pub needs_photo: bool,
}

/// Every method's availability in `situation`.
#[must_use]
pub fn offer(situation: &Situation) -> Offer {
    let mut methods = Vec::new();
    let mut needs_photo = false;
    for method in [
        MethodChoice::Face,
        MethodChoice::Pin,
        MethodChoice::StaffCheck,
    ] {
        match availability(method, situation) {
            Availability::Offered => methods.push(method),
            Availability::NeedsPhoto => needs_photo = true,
            Availability::NotOffered(_) => {}
        }
    }
    Offer {
        methods,
        needs_photo,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn every_situation() -> Vec<Situation> {
        let mut all = Vec::new();
        for mode in [
            ReaderMode::Unattended,
            ReaderMode::PinOnly,
            ReaderMode::LegacyVisual,
        ] {
            for card in [
                CardKind::MyNumberCard,
                CardKind::JukiCard,
                CardKind::Smartphone(SmartphonePlatform::Android),
                CardKind::Smartphone(SmartphonePlatform::IPhone),
            ] {
                for photo in [
                    PhotoKnowledge::Unknown,
                    PhotoKnowledge::Present,
                    PhotoKnowledge::Absent,
                    PhotoKnowledge::Unreadable,
                    PhotoKnowledge::NotGenuine,
                ] {
                    for pin in [
                        PinStatus::Remaining(3),
                        PinStatus::Remaining(1),
                        PinStatus::Blocked,
                        PinStatus::NotSet,
                        PinStatus::Unknown,
                    ] {
                        for face_failed in [false, true] {
                            for staff in [
                                StaffCheckState::Available,
                                StaffCheckState::NoPasscode,
                                StaffCheckState::Withdrawn,
                            ] {
                                for staff_policy in [
                                    StaffCheckAvailability::Always,
                                    StaffCheckAvailability::AfterFaceFailure,
                                    StaffCheckAvailability::Never,
                                ] {
                                    all.push(Situation {
                                        mode,
                                        card,
                                        photo,
                                        pin,
                                        face_failed,
                                        staff,
                                        staff_policy,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        all
    }

    #[test]
    fn every_combination_keeps_the_rules() {
        let all = every_situation();
        assert_eq!(all.len(), 3 * 4 * 5 * 5 * 2 * 3 * 3);
        for s in &all {
            let offer = offer(s);
            let face = offer.methods.contains(&MethodChoice::Face);
            let pin = offer.methods.contains(&MethodChoice::Pin);
            let staff = offer.methods.contains(&MethodChoice::StaffCheck);
            // Face: only unattended, only a card, only against a photo read from the chip,
            // never twice.
            if face {
                assert_eq!(s.mode, ReaderMode::Unattended, "{s:?}");
                assert_eq!(s.card, CardKind::MyNumberCard, "{s:?}");
                assert_eq!(s.photo, PhotoKnowledge::Present, "{s:?}");
                assert!(!s.face_failed, "{s:?}");
            }
            // PIN: never blocked or missing, never in the legacy visual mode, never on an
            // iPhone (it authenticates on the phone).
            if pin {
                assert!(
                    matches!(s.pin, PinStatus::Remaining(_) | PinStatus::Unknown),
                    "{s:?}"
                );
                assert_ne!(s.mode, ReaderMode::LegacyVisual, "{s:?}");
                assert_ne!(s.card, CardKind::Smartphone(SmartphonePlatform::IPhone));
            }
            // The staff photo check: never without a photo, never without a passcode, never
            // before face authentication could not be done when the facility says so.
            if staff {
                assert!(
                    matches!(
                        s.photo,
                        PhotoKnowledge::Present | PhotoKnowledge::Unreadable
                    ),
                    "{s:?}"
                );
                assert_eq!(s.staff, StaffCheckState::Available, "{s:?}");
                assert_ne!(s.staff_policy, StaffCheckAvailability::Never, "{s:?}");
                assert_eq!(s.card, CardKind::MyNumberCard, "{s:?}");
                if s.staff_policy == StaffCheckAvailability::AfterFaceFailure {
                    assert!(
                        s.face_failed
                            || s.photo == PhotoKnowledge::Unreadable
                            || s.mode == ReaderMode::PinOnly
                            || s.pin == PinStatus::Blocked,
                        "{s:?}"
                    );
                }
            }
            // A card face that did not verify: no photo comparison of any kind.
            if s.photo == PhotoKnowledge::NotGenuine {
                assert!(!face && !staff, "{s:?}");
            }
            // The legacy visual mode offers nothing on the reader; a 住基 card nothing.
            if s.mode == ReaderMode::LegacyVisual || s.card == CardKind::JukiCard {
                assert!(offer.methods.is_empty(), "{s:?}");
            }
            // The photo is asked for only while it is unknown, and then it would change the
            // offer: with it present the offer grows.
            if offer.needs_photo {
                assert_eq!(s.photo, PhotoKnowledge::Unknown, "{s:?}");
                let present = super::offer(&Situation {
                    photo: PhotoKnowledge::Present,
                    ..*s
                });
                assert!(present.methods.len() > offer.methods.len(), "{s:?}");
            }
        }
    }

    #[test]
    fn the_defaults_of_a_morning() {
        let standard = Situation {
            mode: ReaderMode::Unattended,
            card: CardKind::MyNumberCard,
            photo: PhotoKnowledge::Present,
            pin: PinStatus::Remaining(3),
            face_failed: false,
            staff: StaffCheckState::Available,
            staff_policy: StaffCheckAvailability::default(),
        };
        // The staff check comes after face authentication could not be done.
        assert_eq!(
            offer(&standard).methods,
            vec![MethodChoice::Face, MethodChoice::Pin]
        );
        let failed = Situation {
            face_failed: true,
            ..standard
        };
        assert_eq!(
            offer(&failed).methods,
            vec![MethodChoice::Pin, MethodChoice::StaffCheck]
        );
        assert_eq!(
            availability(MethodChoice::Face, &failed),
            Availability::NotOffered(NotOffered::FaceFailed)
        );
        // A baby's card: no photo, so the PIN only.
        let infant = Situation {
            photo: PhotoKnowledge::Absent,
            ..failed
        };
        assert_eq!(offer(&infant).methods, vec![MethodChoice::Pin]);
        // Not read yet: read first.
        let unread = Situation {
            photo: PhotoKnowledge::Unknown,
            ..standard
        };
        assert_eq!(
            offer(&unread),
            Offer {
                methods: vec![MethodChoice::Pin],
                needs_photo: true
            }
        );
    }
}
