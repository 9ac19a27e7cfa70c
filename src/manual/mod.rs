//! Design chapters, rendered on docs.rs. No code lives here.

#[doc = include_str!("lockout_safety.md")]
pub mod _01_lockout_safety {}

#[doc = include_str!("modes.md")]
pub mod _02_modes_and_the_staff_check {}

#[doc = include_str!("integrating.md")]
pub mod _03_integrating_a_reader_and_a_face_matcher {}

#[doc = include_str!("apdus.md")]
pub mod _04_the_apdus {}

#[doc = include_str!("authenticity.md")]
pub mod _05_is_the_card_genuine {}

#[doc = include_str!("model_check.md")]
pub mod _06_every_reachable_state_checked {}
