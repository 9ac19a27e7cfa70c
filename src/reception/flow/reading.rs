//! Reading the card: its kind and chip serial, its certificate (with the validity rules), the
//! PIN's count, and the photo when the offer depends on it (照合番号B first). Also 照合番号B
//! itself, taken whenever it comes, and an iPhone's authentication.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Ctx, Photo, Stage, consent, present_choices, refuse};
use crate::card::Pin;
use crate::card::authenticity::{
    AuthenticityError, VerifiedCardFace, verify_card_face, verify_certificate_chain,
};
use crate::card::{
    Application, CardFaceEntries, CardKey, CardKind, CardVerifiableCertificate, PinKind, PinSlot,
    PinStatus, ReserveOutcome, SmartphonePlatform, UserAuthCertificate, VerifyOutcome,
};
use crate::facility::ReaderMode;
use crate::reception::VisitStage;
use crate::reception::card_io::{CardIdentity, CardTask, TaskResult, serial_hex};
use crate::reception::evidence::{ChipPhoto, IdentityEvidence};
use crate::reception::io::{RejectReason, UserInput};
use crate::reception::outcome::{EligibilityOnlyReason, RefusalReason, VisitEvent};
use crate::reception::screen::Screen;
use crate::time::{Date, Timestamp};

/// What is being read.
#[derive(Debug)]
enum Step {
    Token,
    Certificate,
    PinStatus,
    /// The offer depends on the photo, and 照合番号B has not come yet.
    WaitingForB,
    /// 照合番号B presented if enough tries are left (count and VERIFY in one span).
    VerifyB,
    CardFace,
    /// The card face read; its card-verifiable certificate (EF 0004) is read next.
    CvCertificate(Box<CardFaceEntries>),
    /// The card-face key is answering the visit's presence challenge.
    Presence(Box<(CardFaceEntries, CardVerifiableCertificate)>),
}

/// What the card-face key signs: the visit's challenge, for this purpose.
const PRESENCE: &str = "onshi card-face presence";

/// The card being read.
#[derive(Debug)]
pub(in crate::reception) struct Reading {
    step: Step,
}

impl Reading {
    pub(super) fn public(&self) -> VisitStage {
        match self.step {
            Step::WaitingForB => VisitStage::AwaitingVerificationNumberB,
            Step::VerifyB | Step::CardFace | Step::CvCertificate(_) | Step::Presence(_) => {
                VisitStage::ReadingPhoto
            }
            Step::Token | Step::Certificate | Step::PinStatus => VisitStage::ReadingCard,
        }
    }

    /// Whether the card-face key is answering the presence challenge (a card error now means
    /// it cannot).
    pub(super) const fn proving_presence(&self) -> bool {
        matches!(self.step, Step::Presence(_))
    }

    pub(super) fn user(
        self,
        ctx: &mut Ctx,
        input: UserInput,
    ) -> Result<Stage, (Self, RejectReason)> {
        match input {
            UserInput::DeclareLegalRepresentative => match super::declare_representative(ctx) {
                Ok(()) => Ok(Stage::Reading(self)),
                Err(why) => Err((self, why)),
            },
            _ => Err((self, RejectReason::NotExpected)),
        }
    }

    pub(super) fn card(self, ctx: &mut Ctx, result: TaskResult) -> Stage {
        match (self.step, result) {
            (Step::Token, TaskResult::Token(token)) => {
                let kind = token.kind;
                ctx.audit(VisitEvent::CardKindRead { kind });
                ctx.facts.identity = Some(CardIdentity {
                    chip_serial: token.serial_number.clone(),
                    certificate_serial: None,
                });
                ctx.facts.kind = Some(kind);
                ctx.facts.token = Some(token);
                match kind {
                    CardKind::JukiCard | CardKind::Smartphone(SmartphonePlatform::IPhone) => {
                        // A 住基 card is not a My Number Card; an iPhone authenticates on the
                        // phone and passes its certificate in, not as a card on the reader.
                        refuse(ctx, RefusalReason::NotAMyNumberCard)
                    }
                    _ => next(ctx),
                }
            }
            (Step::Certificate, TaskResult::Certificate(certificate)) => {
                match trusted_certificate(ctx, certificate, false) {
                    Some(reason) => refuse(ctx, reason),
                    None => next(ctx),
                }
            }
            (Step::PinStatus, TaskResult::PinStatus(PinSlot::UserAuth, status)) => {
                ctx.audit(VisitEvent::PinStatusRead { status });
                ctx.facts.user_pin = status;
                next(ctx)
            }
            (Step::VerifyB, TaskResult::Reserve(ReserveOutcome::Sent(outcome))) => {
                if outcome == VerifyOutcome::Verified {
                    ctx.start(CardTask::card_face());
                    Stage::Reading(Self {
                        step: Step::CardFace,
                    })
                } else {
                    photo_unreadable(ctx)
                }
            }
            (Step::VerifyB, TaskResult::Reserve(ReserveOutcome::Withheld(_))) => {
                photo_unreadable(ctx)
            }
            (Step::CardFace, TaskResult::CardFace(entries)) => {
                ctx.start(CardTask::cv_certificate(Application::CardFace));
                Stage::Reading(Self {
                    step: Step::CvCertificate(entries),
                })
            }
            (Step::CvCertificate(entries), TaskResult::CvCertificate(certificate)) => {
                let challenge = ctx.challenge.for_purpose(PRESENCE);
                ctx.start(CardTask::sign(CardKey::CardFace, challenge.digest_info()));
                Stage::Reading(Self {
                    step: Step::Presence(Box::new((*entries, *certificate))),
                })
            }
            (Step::Presence(read), TaskResult::Signature(answer)) => {
                let (entries, certificate) = *read;
                let challenge = ctx.challenge.for_purpose(PRESENCE);
                match verify_card_face(
                    &ctx.context.trust,
                    &certificate,
                    entries,
                    &challenge,
                    &answer,
                ) {
                    Ok(verified) => photo_verified(ctx, &verified),
                    Err(problem) => card_face_not_genuine(ctx, problem),
                }
            }
            // An answer for another step: not what was asked.
            (step, _) => Stage::Reading(Self { step }),
        }
    }

    /// Back after a reset or a failure, with the card's identity checked: read what is still
    /// missing (a photo read starts again from 照合番号B's count).
    pub(super) fn resume(self, ctx: &mut Ctx) -> Stage {
        match self.step {
            Step::WaitingForB => Stage::Reading(self),
            Step::VerifyB | Step::CardFace | Step::CvCertificate(_) | Step::Presence(_) => {
                match read_photo(ctx) {
                    Some(stage) => stage,
                    None => present_choices(ctx),
                }
            }
            Step::Token | Step::Certificate | Step::PinStatus => next(ctx),
        }
    }
}

/// A card was placed: read it from the start.
pub(super) fn start(ctx: &mut Ctx) -> Stage {
    ctx.show(Screen::ReadingCard);
    ctx.start(CardTask::token());
    Stage::Reading(Reading { step: Step::Token })
}

/// The next thing to read, or the choice screen when everything the offer needs is known.
fn next(ctx: &mut Ctx) -> Stage {
    let kind = ctx.facts.card_kind();
    if kind == Some(CardKind::MyNumberCard) && ctx.facts.certificate.is_none() {
        ctx.start(CardTask::certificate());
        return Stage::Reading(Reading {
            step: Step::Certificate,
        });
    }
    let needs_pin = matches!(
        kind,
        Some(CardKind::MyNumberCard | CardKind::Smartphone(SmartphonePlatform::Android))
    ) && ctx.context.mode != ReaderMode::LegacyVisual;
    if needs_pin && ctx.facts.user_pin == PinStatus::Unknown {
        ctx.start(CardTask::pin_status(PinSlot::UserAuth));
        return Stage::Reading(Reading {
            step: Step::PinStatus,
        });
    }
    present_choices(ctx)
}

/// Starts reading the photo, if it is not known and the card has one to read: `None` when
/// there is nothing to read (the photo is known, or cannot be read).
pub(super) fn read_photo(ctx: &mut Ctx) -> Option<Stage> {
    if ctx.facts.photo != Photo::Unknown {
        return None;
    }
    if ctx.facts.b_unreadable {
        ctx.facts.photo = Photo::Unreadable;
        return None;
    }
    let Some(b) = ctx.facts.verification_b.as_ref().map(Pin::duplicate) else {
        // The OCR has not read 照合番号B yet: the offer waits for it.
        return Some(Stage::Reading(Reading {
            step: Step::WaitingForB,
        }));
    };
    ctx.show(Screen::ReadingCard);
    ctx.facts.unlocked = true;
    ctx.start(CardTask::verify_with_reserve(
        PinSlot::CardFaceVerificationB,
        b,
        ctx.settings.verification_number_b_reserve,
    ));
    Some(Stage::Reading(Reading {
        step: Step::VerifyB,
    }))
}

/// The card face verified: its photo (or its absence) is the issuer's, on this chip.
fn photo_verified(ctx: &mut Ctx, verified: &VerifiedCardFace) -> Stage {
    ctx.facts.verification.card_face = true;
    ctx.facts.verification.card_present = true;
    ctx.audit(VisitEvent::CardFaceVerified);
    match ChipPhoto::from_verified(verified) {
        Some(photo) => {
            ctx.audit(VisitEvent::PhotoRead);
            ctx.facts.photo = Photo::Present(photo);
        }
        None => {
            ctx.audit(VisitEvent::NoPhotoOnCard);
            ctx.facts.photo = Photo::Absent;
        }
    }
    present_choices(ctx)
}

/// The card face did not verify (forged, copied, or from another hierarchy): no photo
/// comparison of any kind; the staff are told, and what does not rely on the photo remains.
pub(super) fn card_face_not_genuine(ctx: &mut Ctx, problem: AuthenticityError) -> Stage {
    ctx.audit(VisitEvent::NotAuthentic { problem });
    ctx.facts.verification.card_face = false;
    ctx.facts.verification.card_present = false;
    ctx.facts.photo = Photo::NotGenuine;
    ctx.show(Screen::CardNotVerified);
    present_choices(ctx)
}

/// 照合番号B cannot be used: no photo can be read.
fn photo_unreadable(ctx: &mut Ctx) -> Stage {
    ctx.audit(VisitEvent::VerificationNumberBUnusable);
    ctx.facts.photo = Photo::Unreadable;
    present_choices(ctx)
}

/// Whether the OCR's 照合番号B (or its failure) is taken now: once per card, never for a phone,
/// never in the legacy visual mode (no photo is read there), never after the end.
pub(super) fn takes_verification_number_b(stage: &Stage, ctx: &Ctx) -> bool {
    ctx.facts.verification_b.is_none()
        && !ctx.facts.b_unreadable
        && !ctx.facts.iphone
        && ctx.context.mode != ReaderMode::LegacyVisual
        && !matches!(stage, Stage::Finished)
}

/// 照合番号B from the OCR, taken whenever it comes (once).
pub(super) fn verification_number_b(
    stage: Stage,
    ctx: &mut Ctx,
    pin: Pin,
) -> Result<Stage, (Stage, RejectReason)> {
    if pin.kind() != PinKind::VerificationNumberB || !takes_verification_number_b(&stage, ctx) {
        return Err((stage, RejectReason::VerificationNumberB));
    }
    ctx.audit(VisitEvent::VerificationNumberBRead);
    ctx.facts.verification_b = Some(pin);
    Ok(match stage {
        Stage::Reading(Reading {
            step: Step::WaitingForB,
        }) => read_photo(ctx).unwrap_or_else(|| present_choices(ctx)),
        other => other,
    })
}

/// The OCR could not read 照合番号B: no photo can be read; the choice shows what is left.
pub(super) fn b_unreadable(stage: Stage, ctx: &mut Ctx) -> Result<Stage, (Stage, RejectReason)> {
    if !takes_verification_number_b(&stage, ctx) {
        return Err((stage, RejectReason::VerificationNumberB));
    }
    ctx.audit(VisitEvent::VerificationNumberBUnusable);
    ctx.facts.b_unreadable = true;
    if ctx.facts.photo == Photo::Unknown {
        ctx.facts.photo = Photo::Unreadable;
    }
    Ok(match stage {
        Stage::Reading(Reading {
            step: Step::WaitingForB,
        })
        | Stage::Choosing => present_choices(ctx),
        other => other,
    })
}

/// An iPhone authenticated its holder and passed its certificate: its identity, if the mode
/// lets a phone in and the certificate is valid.
pub(super) fn iphone(
    ctx: &mut Ctx,
    certificate_der: Vec<u8>,
) -> Result<Stage, (Stage, RejectReason)> {
    if ctx.context.mode != ReaderMode::Unattended {
        return Err((Stage::AwaitingCard, RejectReason::IPhone));
    }
    let Ok(certificate) = UserAuthCertificate::from_der(certificate_der) else {
        return Err((Stage::AwaitingCard, RejectReason::IPhone));
    };
    ctx.facts.iphone = true;
    ctx.facts.kind = Some(CardKind::Smartphone(SmartphonePlatform::IPhone));
    ctx.audit(VisitEvent::CardKindRead {
        kind: CardKind::Smartphone(SmartphonePlatform::IPhone),
    });
    ctx.facts.identity = Some(CardIdentity {
        chip_serial: String::new(),
        certificate_serial: Some(serial_hex(certificate.serial())),
    });
    if let Some(reason) = trusted_certificate(ctx, certificate, true) {
        return Ok(refuse(ctx, reason));
    }
    Ok(consent::identity_confirmed(
        ctx,
        IdentityEvidence::iphone(ctx.now),
    ))
}

/// Checks the certificate's chain under the trust anchors, then its validity (see
/// [`accept_certificate`]): `Some(reason)` when the card must be refused.
pub(super) fn trusted_certificate(
    ctx: &mut Ctx,
    certificate: UserAuthCertificate,
    smartphone: bool,
) -> Option<RefusalReason> {
    if let Err(problem) = verify_certificate_chain(&ctx.context.trust, &certificate) {
        ctx.audit(VisitEvent::NotAuthentic { problem });
        ctx.facts.certificate = Some(certificate);
        return Some(RefusalReason::CertificateNotTrusted);
    }
    ctx.facts.verification.certificate_chain = true;
    ctx.audit(VisitEvent::CertificateChainVerified);
    accept_certificate(ctx, certificate, smartphone)
}

/// Records the certificate and applies the validity rules: `Some(reason)` when the card must
/// be refused. An expired certificate of a card still confirms eligibility only, until the
/// end of the third month after the month in which it expired (real-card evidence R1, e.g.
/// expired on 15 September, usable until 31 December); a phone's gets no grace. The renewal
/// alert is on from three months before expiry to three months after (R2).
fn accept_certificate(
    ctx: &mut Ctx,
    certificate: UserAuthCertificate,
    smartphone: bool,
) -> Option<RefusalReason> {
    ctx.audit(VisitEvent::CertificateRead {
        serial: serial_hex(certificate.serial()),
        not_after: certificate.not_after(),
    });
    if let Some(identity) = ctx.facts.identity.as_mut() {
        identity.certificate_serial = Some(serial_hex(certificate.serial()));
    }
    let now = ctx.now;
    let not_after = certificate.not_after();
    let expiry_day = not_after.date_in_japan();
    let alert_from = japan_start_of(expiry_day.add_months(-ctx.settings.renewal_alert_months));
    let alert_until = japan_end_of(expiry_day.add_months(ctx.settings.renewal_alert_months));
    let grace_until = japan_end_of(last_day_of_month(
        expiry_day.add_months(ctx.settings.expired_certificate_grace_months),
    ));
    let refusal = if now < certificate.not_before() {
        Some(RefusalReason::CertificateNotYetValid)
    } else if now <= not_after {
        None
    } else if smartphone {
        Some(RefusalReason::SmartphoneCertificateExpired)
    } else if now <= grace_until {
        ctx.facts.eligibility_only = Some(EligibilityOnlyReason::CertificateExpiredRecently);
        None
    } else {
        Some(RefusalReason::CertificateExpired)
    };
    if refusal.is_none() && alert_from <= now && now <= alert_until {
        ctx.facts.renewal_alert = true;
        ctx.audit(VisitEvent::CertificateRenewalAlert { not_after });
        let notice = crate::reception::io::StaffNotice::CertificateRenewal { not_after };
        ctx.emit(crate::reception::io::Output::StaffNotice(notice));
    }
    ctx.facts.certificate = Some(certificate);
    refusal
}

/// The last day of `date`'s month.
fn last_day_of_month(date: Date) -> Date {
    let first = Date::new(date.year(), date.month(), 1).unwrap_or(date);
    Date::from_days_since_epoch(first.add_months(1).days_since_epoch() - 1)
}

/// 00:00:00 in Japan on `date`.
fn japan_start_of(date: Date) -> Timestamp {
    date.start_utc().saturating_add_seconds(-9 * 3600)
}

/// 23:59:59 in Japan on `date`.
fn japan_end_of(date: Date) -> Timestamp {
    date.start_utc().saturating_add_seconds(15 * 3600 - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grace_runs_to_the_end_of_the_third_month_after_the_expiry_month() {
        let expiry = Date::new(2026, 9, 15).unwrap();
        assert_eq!(
            last_day_of_month(expiry.add_months(3)),
            Date::new(2026, 12, 31).unwrap()
        );
        let end_of_november = Date::new(2026, 11, 30).unwrap();
        assert_eq!(
            last_day_of_month(end_of_november.add_months(3)),
            Date::new(2027, 2, 28).unwrap()
        );
        assert_eq!(
            japan_end_of(Date::new(2026, 12, 31).unwrap()),
            Timestamp::from_date_time(Date::new(2026, 12, 31).unwrap(), 14, 59, 59).unwrap()
        );
    }
}
