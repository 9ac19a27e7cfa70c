//! Face matching: the [`FaceMatcher`] trait a vendor implements with its face-recognition
//! library, the capture and score types, and the [`FacePolicy`] that decides.
//!
//! The chip photo comes from the card-face AP (read with 照合番号B); the live capture comes from
//! the reader's camera. The library never looks at images itself: it asks the matcher for a
//! score and applies the policy.

use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

/// A live capture from the reader's camera (the vendor's format; the library only passes it on).
#[derive(Clone, PartialEq, Eq)]
pub struct FaceCapture {
    image: Vec<u8>,
}

impl FaceCapture {
    /// A capture holding `image`.
    #[must_use]
    pub const fn new(image: Vec<u8>) -> Self {
        Self { image }
    }

    /// The image bytes.
    #[must_use]
    pub fn image(&self) -> &[u8] {
        &self.image
    }
}

/// `Debug` shows the size only: a face image is biometric data and stays out of logs.
impl fmt::Debug for FaceCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaceCapture({} bytes)", self.image.len())
    }
}

/// How alike two faces are, in thousandths: 0 (different) to 1000 (identical).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MatchScore(u16);

impl MatchScore {
    /// The highest score.
    pub const MAX: Self = Self(1000);

    /// A score in thousandths, capped at 1000.
    #[must_use]
    pub const fn from_per_mille(per_mille: u16) -> Self {
        Self(if per_mille > 1000 { 1000 } else { per_mille })
    }

    /// A score from a similarity between 0.0 and 1.0 (clamped; NaN is 0).
    #[must_use]
    pub fn from_unit(similarity: f32) -> Self {
        let clamped = if similarity.is_nan() {
            0.0
        } else {
            similarity.clamp(0.0, 1.0)
        };
        // 0.0..=1000.0 after clamping, so the cast cannot overflow.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Self((clamped * 1000.0 + 0.5) as u16)
    }

    /// The score in thousandths.
    #[must_use]
    pub const fn per_mille(self) -> u16 {
        self.0
    }
}

impl fmt::Display for MatchScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

/// Why a matcher could not give a score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FaceMatchError {
    /// No face found in the capture (the patient looked away, backlight).
    #[error("no face in the capture")]
    NoFaceInCapture,
    /// The chip photo could not be decoded.
    #[error("the chip photo could not be decoded")]
    PhotoUnreadable,
    /// The liveness check failed (a photo held up to the camera).
    #[error("liveness check failed")]
    LivenessFailed,
    /// The matcher itself failed.
    #[error("the face matcher failed")]
    MatcherFailed,
}

/// Compares the chip photo with a live capture.
///
/// Object-safe and synchronous; called by the blocking driver when the visit asks for a match.
pub trait FaceMatcher {
    /// A score for how alike the face in `capture` is to `chip_photo` (JPEG 2000 as stored on
    /// the card, monochrome on real cards).
    ///
    /// # Errors
    ///
    /// A [`FaceMatchError`]; the policy counts it as a failed attempt.
    fn match_faces(
        &mut self,
        chip_photo: &[u8],
        capture: &FaceCapture,
    ) -> Result<MatchScore, FaceMatchError>;
}

impl<M: FaceMatcher + ?Sized> FaceMatcher for &mut M {
    fn match_faces(
        &mut self,
        chip_photo: &[u8],
        capture: &FaceCapture,
    ) -> Result<MatchScore, FaceMatchError> {
        (**self).match_faces(chip_photo, capture)
    }
}

/// When a face match counts, and how many attempts a patient gets before the fallback screen.
///
/// Both numbers are unconfirmed for real readers (the reader requirement document was not
/// read; `domain.md` §4): they are configuration. The defaults are a threshold of 0.800 and 3
/// attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FacePolicy {
    /// The lowest score that accepts the match.
    pub threshold: MatchScore,
    /// Captures a patient may try before the fallback (PIN or staff check) is offered.
    pub attempts_before_fallback: u8,
}

impl Default for FacePolicy {
    fn default() -> Self {
        Self {
            threshold: MatchScore::from_per_mille(800),
            attempts_before_fallback: 3,
        }
    }
}

impl FacePolicy {
    /// Whether a matcher's answer accepts the face.
    #[must_use]
    pub fn accepts(&self, result: Result<MatchScore, FaceMatchError>) -> bool {
        result.is_ok_and(|score| score >= self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    #[test]
    fn scores_and_policy() {
        assert_eq!(MatchScore::from_unit(0.8).per_mille(), 800);
        assert_eq!(MatchScore::from_unit(f32::NAN).per_mille(), 0);
        assert_eq!(MatchScore::from_unit(7.0), MatchScore::MAX);
        assert_eq!(MatchScore::from_per_mille(1500), MatchScore::MAX);
        assert_eq!(MatchScore::from_per_mille(875).to_string(), "0.875");
        let policy = FacePolicy::default();
        assert!(policy.accepts(Ok(MatchScore::from_per_mille(800))));
        assert!(!policy.accepts(Ok(MatchScore::from_per_mille(799))));
        assert!(!policy.accepts(Err(FaceMatchError::NoFaceInCapture)));
        assert_eq!(
            format!("{:?}", FaceCapture::new(vec![1, 2, 3])),
            "FaceCapture(3 bytes)"
        );
    }
}
