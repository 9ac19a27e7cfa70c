//! A stand-in for the face matcher and the camera: a capture "of the holder" matches the
//! persona's chip photo, any other capture does not.

use super::persona::face_photo;
use crate::face::{FaceCapture, FaceMatchError, FaceMatcher, MatchScore};

/// The score the virtual matcher gives the holder's face.
pub const HOLDER_SCORE: MatchScore = MatchScore::from_per_mille(930);
/// The score it gives anyone else (or the holder in bad light).
pub const OTHER_SCORE: MatchScore = MatchScore::from_per_mille(120);

/// A capture of the personas' holder, as the virtual camera takes it.
#[must_use]
pub fn capture_of_holder() -> FaceCapture {
    FaceCapture::new(face_photo())
}

/// A capture of someone else (or of the holder against the light).
#[must_use]
pub fn capture_of_someone_else() -> FaceCapture {
    FaceCapture::new(b"someone else".to_vec())
}

/// A face matcher for the virtual card: [`HOLDER_SCORE`] when the capture shows the chip
/// photo's face, [`OTHER_SCORE`] otherwise, and no face for an empty capture.
#[derive(Clone, Copy, Debug, Default)]
pub struct VirtualFaceMatcher;

impl FaceMatcher for VirtualFaceMatcher {
    fn match_faces(
        &mut self,
        chip_photo: &[u8],
        capture: &FaceCapture,
    ) -> Result<MatchScore, FaceMatchError> {
        if capture.image().is_empty() {
            return Err(FaceMatchError::NoFaceInCapture);
        }
        if chip_photo.is_empty() {
            return Err(FaceMatchError::PhotoUnreadable);
        }
        Ok(if capture.image() == chip_photo {
            HOLDER_SCORE
        } else {
            OTHER_SCORE
        })
    }
}
