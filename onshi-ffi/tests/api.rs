//! The C ABI from Rust, as a host calls it: whole visits, the facility, the card layer, and
//! every function with null, garbage, freed, wrong-kind and out-of-order input.
#![allow(unsafe_code, clippy::undocumented_unsafe_blocks)]

use std::ffi::{CStr, CString, c_char};
use std::ptr::{null, null_mut};

use onshi_ffi::*;

/// Monday 30 November 2026, 09:30 in Japan.
const NOW: i64 = 1_796_085_000;
const PEPPER: &[u8] = b"a pepper of the tests, 32 bytes!";
const PASSWORD: &[u8] = b"correct horse battery staple";

fn last_error() -> String {
    let mut buffer = vec![0u8; 1024];
    let mut needed = 0usize;
    let status =
        unsafe { onshi_last_error_message(buffer.as_mut_ptr().cast(), buffer.len(), &mut needed) };
    assert_eq!(status, OnshiStatus::Ok);
    CStr::from_bytes_until_nul(&buffer)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

#[track_caller]
fn ok(status: OnshiStatus) {
    assert_eq!(status, OnshiStatus::Ok, "{}", last_error());
}

fn text(ptr: *const c_char) -> String {
    assert!(!ptr.is_null());
    unsafe { CStr::from_ptr(ptr) }.to_str().unwrap().to_owned()
}

fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        &[]
    } else {
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

fn facility_in_memory() -> *mut OnshiFacility {
    let mut facility = null_mut();
    ok(unsafe {
        onshi_facility_open_in_memory(
            PEPPER.as_ptr(),
            PEPPER.len(),
            c"admin".as_ptr(),
            PASSWORD.as_ptr(),
            PASSWORD.len(),
            NOW,
            &mut facility,
        )
    });
    facility
}

fn login(facility: *mut OnshiFacility) -> *mut OnshiSession {
    let mut session = null_mut();
    ok(unsafe {
        onshi_facility_login(
            facility,
            c"admin".as_ptr(),
            PASSWORD.as_ptr(),
            PASSWORD.len(),
            NOW,
            &mut session,
        )
    });
    session
}

fn facility_with_reader() -> *mut OnshiFacility {
    let facility = facility_in_memory();
    let admin = login(facility);
    ok(onshi_facility_add_reader(facility, admin, 1, NOW));
    ok(onshi_facility_logout(facility, admin, NOW));
    facility
}

fn sim_reader(persona: &CStr) -> *mut OnshiSimReader {
    let mut reader = null_mut();
    ok(unsafe { onshi_sim_reader_new(&mut reader) });
    ok(unsafe { onshi_sim_reader_place(reader, persona.as_ptr(), NOW) });
    reader
}

/// What the people at the reader do, in the order the screens ask.
struct Script {
    pins: Vec<&'static [u8]>,
    passcodes: Vec<&'static [u8]>,
    method: OnshiMethod,
    persona: &'static CStr,
}

/// What a visit showed and how it ended.
#[derive(Debug, Default)]
struct Transcript {
    screens: Vec<String>,
    audit: Vec<String>,
    outcome: String,
    outcome_text: String,
}

/// Drives a visit through the C API as the C example does.
fn drive(visit: *mut OnshiVisit, reader: *mut OnshiSimReader, mut script: Script) -> Transcript {
    let mut transcript = Transcript::default();
    let mut now = NOW;
    let mut held = false;
    let mut response = vec![0u8; 65_538];
    script.pins.reverse();
    script.passcodes.reverse();
    for _ in 0..10_000 {
        let mut event = 0;
        ok(unsafe { onshi_sim_reader_take_card_event(reader, &mut event) });
        if event != 0 {
            ok(onshi_visit_card_event(visit, now, event));
        }
        let mut out = std::mem::MaybeUninit::<OnshiOutput>::uninit();
        ok(unsafe { onshi_visit_poll(visit, out.as_mut_ptr()) });
        let out = unsafe { out.assume_init() };
        let kind = out.kind;
        let passes = [
            OnshiOutputKind::Show,
            OnshiOutputKind::Audit,
            OnshiOutputKind::StaffNotice,
        ]
        .map(|kind| kind as u32)
        .contains(&kind);
        if held
            && !passes
            && (kind != OnshiOutputKind::Transmit as u32 || out.span == OnshiSpan::Shared as u32)
        {
            ok(onshi_sim_reader_end_exclusive(reader));
            held = false;
        }
        match kind {
            k if k == OnshiOutputKind::Transmit as u32 => {
                if out.span != OnshiSpan::Shared as u32 && !held {
                    ok(onshi_sim_reader_begin_exclusive(reader));
                    held = true;
                }
                let (mut len, mut error) = (0, 0);
                let sent = unsafe {
                    onshi_sim_reader_transmit(
                        reader,
                        out.bytes,
                        out.bytes_len,
                        response.as_mut_ptr(),
                        out.response_capacity,
                        &mut len,
                        &mut error,
                    )
                };
                if held && out.span != OnshiSpan::ExclusiveHold as u32 {
                    ok(onshi_sim_reader_end_exclusive(reader));
                    held = false;
                }
                if sent == OnshiStatus::Transport {
                    ok(onshi_visit_transport_failed(visit, now, error));
                } else {
                    ok(sent);
                    ok(unsafe { onshi_visit_card_response(visit, now, response.as_ptr(), len) });
                }
            }
            k if k == OnshiOutputKind::Show as u32 => transcript.screens.push(text(out.json)),
            k if k == OnshiOutputKind::Audit as u32 => transcript.audit.push(text(out.json)),
            k if k == OnshiOutputKind::StaffNotice as u32 => {}
            k if k == OnshiOutputKind::CaptureFace as u32 => {
                let mut image = vec![0u8; 65_536];
                let mut len = 0;
                ok(unsafe { onshi_sim_capture_face(1, image.as_mut_ptr(), image.len(), &mut len) });
                ok(unsafe { onshi_visit_face_captured(visit, now, image.as_ptr(), len) });
            }
            k if k == OnshiOutputKind::MatchFace as u32 => {
                let mut score = 0;
                ok(unsafe {
                    onshi_sim_match_faces(
                        out.bytes,
                        out.bytes_len,
                        out.capture,
                        out.capture_len,
                        &mut score,
                    )
                });
                ok(onshi_visit_face_matched(visit, now, score));
            }
            k if k == OnshiOutputKind::Wait as u32 => {
                let accepts = |kind: OnshiInputKind| {
                    let mut yes = 0;
                    ok(unsafe { onshi_visit_accepts(visit, kind as u32, &mut yes) });
                    yes == 1
                };
                if accepts(OnshiInputKind::VerificationNumberB) {
                    let mut digits = [0u8; 32];
                    let mut len = 0;
                    ok(unsafe {
                        onshi_sim_ocr_verification_number_b(
                            script.persona.as_ptr(),
                            now,
                            digits.as_mut_ptr(),
                            digits.len(),
                            &mut len,
                        )
                    });
                    ok(unsafe {
                        onshi_visit_verification_number_b(visit, now, digits.as_ptr(), len)
                    });
                } else if accepts(OnshiInputKind::PinEntered) && !script.pins.is_empty() {
                    let pin = script.pins.pop().unwrap_or_default();
                    ok(unsafe { onshi_visit_pin_entered(visit, now, pin.as_ptr(), pin.len()) });
                } else if accepts(OnshiInputKind::StaffPasscode) && !script.passcodes.is_empty() {
                    let passcode = script.passcodes.pop().unwrap_or_default();
                    ok(unsafe {
                        onshi_visit_staff_passcode(
                            visit,
                            now,
                            c"nurse-1".as_ptr(),
                            passcode.as_ptr(),
                            passcode.len(),
                        )
                    });
                } else if accepts(OnshiInputKind::ConsentAnswer) {
                    ok(onshi_visit_consent_answer(visit, now, 1));
                } else if accepts(OnshiInputKind::PrescriptionChosen) {
                    ok(onshi_visit_prescription_chosen(
                        visit,
                        now,
                        OnshiPrescription::Paper as u32,
                    ));
                } else if accepts(OnshiInputKind::Choose)
                    && !transcript.audit.iter().any(|a| a.contains("method_chosen"))
                {
                    ok(onshi_visit_choose(visit, now, script.method as u32));
                } else {
                    assert!(out.until > now, "the deadline moves forward");
                    now = out.until;
                    ok(onshi_visit_tick(visit, now));
                }
            }
            k if k == OnshiOutputKind::Finished as u32 => {
                transcript.outcome = text(out.json);
                transcript.outcome_text = text(out.text);
                return transcript;
            }
            other => panic!("unknown output kind {other}"),
        }
    }
    panic!("the visit did not finish");
}

/// A visit on reader 1 in the unattended mode, without a facility.
fn plain_visit() -> *mut OnshiVisit {
    let mut visit = null_mut();
    let context = cr#"{"reader":1,"mode":"unattended"}"#;
    ok(unsafe { onshi_visit_new(context.as_ptr(), null(), NOW, null(), &mut visit) });
    visit
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn a_whole_visit_wrong_pin_once_then_right_then_consent() {
    let before = live();
    let facility = facility_with_reader();
    let reader = sim_reader(c"standard");
    let mut visit = null_mut();
    ok(unsafe {
        onshi_facility_begin_visit(
            facility,
            1,
            0,
            OnshiTrust::Virtual as u32,
            null(),
            NOW,
            null(),
            &mut visit,
        )
    });
    let transcript = drive(
        visit,
        reader,
        Script {
            pins: vec![b"9999", b"1234"],
            passcodes: vec![],
            method: OnshiMethod::Pin,
            persona: c"standard",
        },
    );
    let pin_screens: Vec<_> = transcript
        .screens
        .iter()
        .map(|screen| json(screen))
        .filter(|screen| screen["screen"] == "enter_pin" || screen["screen"] == "wrong_pin")
        .map(|screen| {
            (
                screen["screen"].as_str().unwrap().to_owned(),
                screen["tries_left"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pin_screens,
        [
            ("enter_pin".to_owned(), 3),
            ("wrong_pin".to_owned(), 2),
            ("enter_pin".to_owned(), 2)
        ]
    );
    let outcome = json(&transcript.outcome);
    assert_eq!(outcome["result"]["result"], "confirmed");
    assert_eq!(outcome["result"]["identity"]["method"], "pin");
    assert_eq!(outcome["result"]["consent"]["consent"], "given");
    assert_eq!(outcome["verification"]["pin_key"], true);
    assert!(
        transcript
            .outcome_text
            .starts_with("confirmed by PIN; consent: all (blanket)")
    );
    ok(onshi_facility_finish(facility, visit, NOW + 60));
    ok(onshi_facility_verify_audit(facility));
    ok(onshi_visit_free(visit));
    ok(onshi_sim_reader_free(reader));
    ok(onshi_facility_free(facility));
    // Other tests run beside this one: only no growth can be asserted here (the C and C#
    // examples check the count returns to 0).
    assert!(live() <= before + 64);
}

#[test]
fn a_face_visit_on_a_visit_made_without_a_facility() {
    let reader = sim_reader(c"standard");
    let mut visit = null_mut();
    let context = cr#"{"reader": 2, "mode": "unattended", "trust": "virtual"}"#;
    ok(unsafe {
        onshi_visit_new(
            context.as_ptr(),
            cr#"{"idle_timeout_seconds": 90}"#.as_ptr(),
            NOW,
            null(),
            &mut visit,
        )
    });
    let transcript = drive(
        visit,
        reader,
        Script {
            pins: vec![],
            passcodes: vec![],
            method: OnshiMethod::Face,
            persona: c"standard",
        },
    );
    let outcome = json(&transcript.outcome);
    assert_eq!(outcome["reader"], 2);
    assert_eq!(outcome["result"]["identity"]["method"], "face");
    // The visit's settings took the host's idle timeout: its first wait is 90 s away.
    ok(onshi_visit_free(visit));
    ok(onshi_sim_reader_free(reader));
}

#[test]
fn settings_are_merged_over_the_defaults_and_the_first_wait_uses_them() {
    let mut visit = null_mut();
    let context = cr#"{"reader": 1, "mode": "pin_only"}"#;
    ok(unsafe {
        onshi_visit_new(
            context.as_ptr(),
            cr#"{"idle_timeout_seconds": 90}"#.as_ptr(),
            NOW,
            null(),
            &mut visit,
        )
    });
    let mut waits = Vec::new();
    for _ in 0..5 {
        let mut out = std::mem::MaybeUninit::<OnshiOutput>::uninit();
        ok(unsafe { onshi_visit_poll(visit, out.as_mut_ptr()) });
        let out = unsafe { out.assume_init() };
        if out.kind == OnshiOutputKind::Wait as u32 {
            waits.push(out.until);
            break;
        }
    }
    assert_eq!(waits, [NOW + 90]);
    let mut stage = null();
    ok(unsafe { onshi_visit_stage_json(visit, &mut stage) });
    assert_eq!(text(stage), r#"{"stage":"awaiting_card"}"#);
    let mut expected = null();
    ok(unsafe { onshi_visit_expected_inputs_json(visit, &mut expected) });
    assert_eq!(
        text(expected),
        r#"["tick","card_placed","verification_number_b","declare_legal_representative"]"#
    );
    ok(onshi_visit_free(visit));
}

fn live() -> usize {
    let mut live = usize::MAX;
    ok(unsafe { onshi_live_handles(&mut live) });
    live
}

#[test]
fn null_freed_garbage_and_wrong_kind_handles_are_errors_never_crashes() {
    let facility = facility_in_memory();
    let visit = plain_visit();
    let freed = {
        let gone = plain_visit();
        ok(onshi_visit_free(gone));
        gone
    };
    let garbage: Vec<*mut OnshiVisit> = [
        1usize,
        0x1001,
        0xdead_beef,
        usize::MAX,
        0x1000 + 16 * 1_000_000,
    ]
    .into_iter()
    .map(std::ptr::without_provenance_mut)
    .collect();
    let wrong_kind: *mut OnshiVisit = facility.cast();
    let mut out = std::mem::MaybeUninit::<OnshiOutput>::uninit();
    let mut flag = 0u32;
    let mut json_out = null();
    for handle in [null_mut(), freed, wrong_kind].into_iter().chain(garbage) {
        let calls: Vec<(&str, OnshiStatus)> = vec![
            ("poll", unsafe {
                onshi_visit_poll(handle, out.as_mut_ptr())
            }),
            ("tick", onshi_visit_tick(handle, NOW)),
            ("card_event", onshi_visit_card_event(handle, NOW, 1)),
            ("card_response", unsafe {
                onshi_visit_card_response(handle, NOW, [0x90, 0].as_ptr(), 2)
            }),
            (
                "transport_failed",
                onshi_visit_transport_failed(handle, NOW, 3),
            ),
            ("vnb", unsafe {
                onshi_visit_verification_number_b(handle, NOW, b"12345".as_ptr(), 5)
            }),
            (
                "vnb_unreadable",
                onshi_visit_verification_number_b_unreadable(handle, NOW),
            ),
            ("choose", onshi_visit_choose(handle, NOW, 1)),
            (
                "legal",
                onshi_visit_declare_legal_representative(handle, NOW),
            ),
            ("last_try", onshi_visit_confirm_last_try(handle, NOW)),
            ("pin", unsafe {
                onshi_visit_pin_entered(handle, NOW, b"1234".as_ptr(), 4)
            }),
            ("capture", unsafe {
                onshi_visit_face_captured(handle, NOW, b"x".as_ptr(), 1)
            }),
            (
                "capture_failed",
                onshi_visit_face_capture_failed(handle, NOW),
            ),
            ("matched", onshi_visit_face_matched(handle, NOW, 900)),
            (
                "match_failed",
                onshi_visit_face_match_failed(handle, NOW, 1),
            ),
            ("passcode", unsafe {
                onshi_visit_staff_passcode(handle, NOW, c"s1".as_ptr(), b"1234".as_ptr(), 4)
            }),
            ("terminal", unsafe {
                onshi_visit_staff_confirmed_on_terminal(
                    handle,
                    NOW,
                    c"s1".as_ptr(),
                    cr#"{"chip_serial":"1","certificate_serial":null}"#.as_ptr(),
                )
            }),
            ("iphone", unsafe {
                onshi_visit_iphone_authenticated(handle, NOW, b"x".as_ptr(), 1)
            }),
            ("consent", onshi_visit_consent_answer(handle, NOW, 1)),
            (
                "not_obtainable",
                onshi_visit_consent_not_obtainable(handle, NOW),
            ),
            (
                "prescription",
                onshi_visit_prescription_chosen(handle, NOW, 1),
            ),
            ("accepts", unsafe {
                onshi_visit_accepts(handle, 1, &mut flag)
            }),
            ("stage", unsafe {
                onshi_visit_stage_json(handle, &mut json_out)
            }),
            ("expected", unsafe {
                onshi_visit_expected_inputs_json(handle, &mut json_out)
            }),
            ("methods", unsafe {
                onshi_visit_available_methods_json(handle, &mut json_out)
            }),
        ];
        for (name, status) in calls {
            assert_eq!(status, OnshiStatus::InvalidHandle, "{name} with {handle:?}");
            assert!(last_error().contains("visit"), "{name}: {}", last_error());
        }
        if !handle.is_null() {
            assert_eq!(onshi_visit_free(handle), OnshiStatus::InvalidHandle);
        }
    }
    // Freeing null is a no-op, as free(NULL) is.
    ok(onshi_visit_free(null_mut()));
    // The other kinds refuse a visit handle.
    let as_facility: *mut OnshiFacility = visit.cast();
    assert_eq!(
        onshi_facility_verify_audit(as_facility),
        OnshiStatus::InvalidHandle
    );
    assert_eq!(onshi_facility_free(as_facility), OnshiStatus::InvalidHandle);
    assert_eq!(onshi_card_free(visit.cast()), OnshiStatus::InvalidHandle);
    assert_eq!(onshi_session_free(visit.cast()), OnshiStatus::InvalidHandle);
    assert_eq!(
        onshi_sim_reader_free(visit.cast()),
        OnshiStatus::InvalidHandle
    );
    // The same handle for both of a two-handle call.
    assert_eq!(
        onshi_facility_finish(facility, facility.cast(), NOW),
        OnshiStatus::InvalidHandle
    );
    ok(onshi_visit_free(visit));
    ok(onshi_facility_free(facility));
    assert_eq!(
        onshi_facility_free(facility),
        OnshiStatus::InvalidHandle,
        "a double free is an error"
    );
}

#[test]
fn null_out_parameters_bad_strings_json_and_enumerations_are_refused() {
    let context = cr#"{"reader":1,"mode":"unattended"}"#;
    assert_eq!(
        unsafe { onshi_visit_new(context.as_ptr(), null(), NOW, null(), null_mut()) },
        OnshiStatus::NullPointer
    );
    assert_eq!(
        unsafe { onshi_visit_new(null(), null(), NOW, null(), &mut null_mut()) },
        OnshiStatus::NullPointer
    );
    let not_utf8 = [0xff_u8, 0xfe, 0];
    assert_eq!(
        unsafe {
            onshi_visit_new(
                not_utf8.as_ptr().cast(),
                null(),
                NOW,
                null(),
                &mut null_mut(),
            )
        },
        OnshiStatus::InvalidUtf8
    );
    for bad in [
        c"{",
        c"[]",
        cr#"{"reader":1}"#,
        cr#"{"reader":1,"mode":"asleep"}"#,
        cr#"{"reader":1,"mode":"unattended","extra":1}"#,
    ] {
        assert_eq!(
            unsafe { onshi_visit_new(bad.as_ptr(), null(), NOW, null(), &mut null_mut()) },
            OnshiStatus::InvalidJson,
            "{bad:?}"
        );
    }
    assert_eq!(
        unsafe {
            onshi_visit_new(
                context.as_ptr(),
                cr#"{"idle_timeout_seconds":"soon"}"#.as_ptr(),
                NOW,
                null(),
                &mut null_mut(),
            )
        },
        OnshiStatus::InvalidJson
    );
    let mut untouched = null_mut();
    assert_eq!(
        unsafe { onshi_visit_new(c"{".as_ptr(), null(), NOW, null(), &mut untouched) },
        OnshiStatus::InvalidJson
    );
    assert!(untouched.is_null(), "a refused call hands out no handle");

    let mut visit = null_mut();
    ok(unsafe { onshi_visit_new(context.as_ptr(), null(), NOW, null(), &mut visit) });
    for (name, status) in [
        ("card event 0", onshi_visit_card_event(visit, NOW, 0)),
        ("card event 4", onshi_visit_card_event(visit, NOW, 4)),
        ("transport 11", onshi_visit_transport_failed(visit, NOW, 11)),
        ("method 0", onshi_visit_choose(visit, NOW, 0)),
        (
            "match error 9",
            onshi_visit_face_match_failed(visit, NOW, 9),
        ),
        ("score 1001", onshi_visit_face_matched(visit, NOW, 1001)),
        (
            "prescription 3",
            onshi_visit_prescription_chosen(visit, NOW, 3),
        ),
        ("input kind 99", unsafe {
            onshi_visit_accepts(visit, 99, &mut 0)
        }),
        ("staff id empty", unsafe {
            onshi_visit_staff_passcode(visit, NOW, c"".as_ptr(), b"1234".as_ptr(), 4)
        }),
        ("vnb letters", unsafe {
            onshi_visit_verification_number_b(visit, NOW, b"abc".as_ptr(), 3)
        }),
    ] {
        assert_eq!(
            status,
            OnshiStatus::InvalidArgument,
            "{name}: {}",
            last_error()
        );
    }
    assert_eq!(
        unsafe { onshi_visit_poll(visit, null_mut()) },
        OnshiStatus::NullPointer
    );
    assert_eq!(
        unsafe { onshi_visit_stage_json(visit, null_mut()) },
        OnshiStatus::NullPointer
    );
    assert_eq!(
        unsafe { onshi_visit_accepts(visit, 1, null_mut()) },
        OnshiStatus::NullPointer
    );
    assert_eq!(
        unsafe { onshi_visit_pin_entered(visit, NOW, null(), 4) },
        OnshiStatus::NullPointer
    );
    assert_eq!(
        unsafe {
            onshi_visit_staff_confirmed_on_terminal(visit, NOW, c"s1".as_ptr(), c"{".as_ptr())
        },
        OnshiStatus::InvalidJson
    );
    ok(onshi_visit_free(visit));
}

#[test]
fn inputs_out_of_order_are_rejected_and_change_nothing() {
    let visit = plain_visit();
    let stage = |visit| {
        let mut stage = null();
        ok(unsafe { onshi_visit_stage_json(visit, &mut stage) });
        text(stage)
    };
    let before = stage(visit);
    for (name, status) in [
        ("answer with no command", unsafe {
            onshi_visit_card_response(visit, NOW, [0x90, 0].as_ptr(), 2)
        }),
        (
            "transport failure with no command",
            onshi_visit_transport_failed(visit, NOW, 3),
        ),
        ("PIN before a card", unsafe {
            onshi_visit_pin_entered(visit, NOW, b"1234".as_ptr(), 4)
        }),
        (
            "consent before a card",
            onshi_visit_consent_answer(visit, NOW, 1),
        ),
        (
            "removal of no card",
            onshi_visit_card_event(visit, NOW, OnshiCardEvent::Removed as u32),
        ),
        (
            "choice before a card",
            onshi_visit_choose(visit, NOW, OnshiMethod::Pin as u32),
        ),
    ] {
        assert_eq!(status, OnshiStatus::InputRejected, "{name}");
        assert!(
            last_error().contains("is not taken"),
            "{name}: {}",
            last_error()
        );
    }
    assert_eq!(stage(visit), before);
    // A visit that timed out takes nothing more.
    ok(onshi_visit_tick(visit, NOW + 3600));
    assert_eq!(
        onshi_visit_consent_answer(visit, NOW + 3601, 1),
        OnshiStatus::InputRejected
    );
    assert!(last_error().contains("over"), "{}", last_error());
    ok(onshi_visit_free(visit));
}

#[test]
fn the_last_error_is_per_thread_and_reports_a_small_buffer() {
    assert_eq!(
        onshi_visit_tick(null_mut(), NOW),
        OnshiStatus::InvalidHandle
    );
    let mut needed = 0;
    let mut small = [0 as c_char; 4];
    assert_eq!(
        unsafe { onshi_last_error_message(small.as_mut_ptr(), small.len(), &mut needed) },
        OnshiStatus::BufferTooSmall
    );
    assert_eq!(needed, "the visit handle is null".len() + 1);
    assert_eq!(last_error(), "the visit handle is null");
    std::thread::spawn(|| assert_eq!(last_error(), "", "another thread has its own"))
        .join()
        .unwrap();
    ok(onshi_visit_free(null_mut()));
    assert_eq!(last_error(), "", "a success clears it");
    assert!(!onshi_version().is_null());
}

#[test]
fn the_facility_through_the_api_logins_admin_actions_and_its_audit() {
    let facility = facility_in_memory();
    let wrong = b"wrong password!!";
    let mut session = null_mut();
    assert_eq!(
        unsafe {
            onshi_facility_login(
                facility,
                c"admin".as_ptr(),
                wrong.as_ptr(),
                wrong.len(),
                NOW,
                &mut session,
            )
        },
        OnshiStatus::Facility
    );
    assert_eq!(last_error(), "unknown account or wrong password");
    assert!(session.is_null());
    let admin = login(facility);
    ok(onshi_facility_add_reader(facility, admin, 1, NOW));
    assert_eq!(
        onshi_facility_add_reader(facility, admin, 1, NOW),
        OnshiStatus::Facility
    );
    assert_eq!(last_error(), "the reader already exists");
    ok(onshi_facility_set_reader_mode(
        facility,
        admin,
        1,
        OnshiReaderMode::PinOnly as u32,
        NOW,
    ));
    assert_eq!(
        onshi_facility_set_reader_mode(facility, admin, 1, 0, NOW),
        OnshiStatus::InvalidArgument
    );
    let mut mode = 0;
    ok(unsafe { onshi_facility_reader_mode(facility, 1, &mut mode) });
    assert_eq!(mode, OnshiReaderMode::PinOnly as u32);
    assert_eq!(
        unsafe { onshi_facility_reader_mode(facility, 7, &mut mode) },
        OnshiStatus::Facility
    );
    ok(unsafe { onshi_facility_set_staff_passcode(facility, admin, b"4321".as_ptr(), 4, NOW) });
    assert_eq!(
        unsafe { onshi_facility_set_staff_passcode(facility, admin, b"43".as_ptr(), 2, NOW) },
        OnshiStatus::Facility
    );
    ok(onshi_facility_unlock_staff_passcode(facility, admin, NOW));
    let staff_password = b"a general password";
    ok(unsafe {
        onshi_facility_issue_account(
            facility,
            admin,
            c"reception".as_ptr(),
            staff_password.as_ptr(),
            staff_password.len(),
            OnshiRole::General as u32,
            NOW,
        )
    });
    let mut general = null_mut();
    ok(unsafe {
        onshi_facility_login(
            facility,
            c"reception".as_ptr(),
            staff_password.as_ptr(),
            staff_password.len(),
            NOW,
            &mut general,
        )
    });
    assert_eq!(
        onshi_facility_add_reader(facility, general, 2, NOW),
        OnshiStatus::Facility
    );
    assert_eq!(last_error(), "an admin account is needed for this");
    ok(unsafe { onshi_facility_revoke_account(facility, admin, c"reception".as_ptr(), NOW) });
    ok(onshi_session_free(general));
    // Logged out: the session handle is gone.
    ok(onshi_facility_logout(facility, admin, NOW));
    assert_eq!(
        onshi_facility_add_reader(facility, admin, 2, NOW),
        OnshiStatus::InvalidHandle
    );
    // A session of another facility is refused.
    let other = facility_in_memory();
    let other_admin = login(other);
    assert_eq!(
        onshi_facility_add_reader(facility, other_admin, 2, NOW),
        OnshiStatus::Facility
    );
    // The audit trail, from the start and from a sequence number.
    let mut audit = null();
    ok(unsafe { onshi_facility_audit_json(facility, 0, &mut audit) });
    let entries = json(&text(audit));
    let actions: Vec<_> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"]["action"].as_str().unwrap_or("?").to_owned())
        .collect();
    assert!(actions.len() >= 10, "{actions:?}");
    assert!(!text(audit).contains("4321") && !text(audit).contains("correct horse"));
    let last_seq = entries.as_array().unwrap().last().unwrap()["seq"]
        .as_u64()
        .unwrap();
    ok(unsafe { onshi_facility_audit_json(facility, last_seq, &mut audit) });
    assert_eq!(json(&text(audit)).as_array().unwrap().len(), 1);
    ok(onshi_facility_verify_audit(facility));
    let mut reminders = null();
    ok(unsafe { onshi_facility_mode_reminders_json(facility, NOW, &mut reminders) });
    assert_eq!(text(reminders), "[]");
    ok(onshi_session_free(other_admin));
    ok(onshi_facility_free(other));
    ok(onshi_facility_free(facility));
}

#[test]
fn the_facility_in_a_file_keeps_its_readers_and_refuses_another_pepper() {
    let dir = std::env::temp_dir().join(format!("onshi-ffi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = CString::new(dir.join("facility.db").to_str().unwrap()).unwrap();
    let open = |pepper: &[u8]| {
        let mut facility = null_mut();
        let status = unsafe {
            onshi_facility_open(
                path.as_ptr(),
                pepper.as_ptr(),
                pepper.len(),
                c"admin".as_ptr(),
                PASSWORD.as_ptr(),
                PASSWORD.len(),
                NOW,
                &mut facility,
            )
        };
        (status, facility)
    };
    let (status, facility) = open(PEPPER);
    ok(status);
    let admin = login(facility);
    ok(onshi_facility_add_reader(facility, admin, 3, NOW));
    ok(onshi_session_free(admin));
    ok(onshi_facility_free(facility));
    let (status, facility) = open(PEPPER);
    ok(status);
    let mut mode = 0;
    ok(unsafe { onshi_facility_reader_mode(facility, 3, &mut mode) });
    assert_eq!(mode, OnshiReaderMode::Unattended as u32);
    ok(onshi_facility_free(facility));
    let (status, facility) = open(b"another pepper of 32 bytes here!");
    assert_eq!(status, OnshiStatus::Facility);
    assert_eq!(last_error(), "the store was created with another pepper");
    assert!(facility.is_null());
    let (status, _) = open(b"short");
    assert_eq!(status, OnshiStatus::Facility);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_visit_is_handed_back_only_to_its_facility_and_only_when_finished() {
    let facility = facility_with_reader();
    let other = facility_with_reader();
    let mut visit = null_mut();
    ok(unsafe {
        onshi_facility_begin_visit(
            facility,
            1,
            0,
            OnshiTrust::Virtual as u32,
            null(),
            NOW,
            null(),
            &mut visit,
        )
    });
    assert_eq!(
        onshi_facility_finish(facility, visit, NOW),
        OnshiStatus::Facility
    );
    assert_eq!(last_error(), "the visit is not finished");
    ok(onshi_visit_tick(visit, NOW + 3600));
    assert_eq!(
        onshi_facility_finish(other, visit, NOW),
        OnshiStatus::Facility
    );
    assert_eq!(
        last_error(),
        "the visit was not begun by this facility or was already finished"
    );
    ok(onshi_facility_finish(facility, visit, NOW + 3600));
    assert_eq!(
        onshi_facility_finish(facility, visit, NOW + 3600),
        OnshiStatus::Facility,
        "handed back once"
    );
    let orphan = plain_visit();
    ok(onshi_visit_tick(orphan, NOW + 3600));
    assert_eq!(
        onshi_facility_finish(facility, orphan, NOW),
        OnshiStatus::Facility
    );
    // Unknown reader, unknown trust.
    let mut none = null_mut();
    assert_eq!(
        unsafe {
            onshi_facility_begin_visit(
                facility,
                9,
                0,
                OnshiTrust::Virtual as u32,
                null(),
                NOW,
                null(),
                &mut none,
            )
        },
        OnshiStatus::Facility
    );
    assert_eq!(
        unsafe { onshi_facility_begin_visit(facility, 1, 0, 0, null(), NOW, null(), &mut none) },
        OnshiStatus::InvalidArgument
    );
    assert!(none.is_null());
    for handle in [visit, orphan] {
        ok(onshi_visit_free(handle));
    }
    ok(onshi_facility_free(facility));
    ok(onshi_facility_free(other));
}

/// Runs the card step loop against the virtual reader until the operation ends.
fn run_card(card: *mut OnshiCard, reader: *mut OnshiSimReader) -> (u32, String, Vec<u8>) {
    let mut response = vec![0u8; 65_538];
    loop {
        let mut step = std::mem::MaybeUninit::<OnshiCardStep>::uninit();
        ok(unsafe { onshi_card_poll(card, step.as_mut_ptr()) });
        let step = unsafe { step.assume_init() };
        if step.kind != OnshiCardStepKind::Transmit as u32 {
            let json = if step.json.is_null() {
                String::new()
            } else {
                text(step.json)
            };
            return (step.kind, json, bytes(step.bytes, step.bytes_len).to_vec());
        }
        let (mut len, mut error) = (0, 0);
        let sent = unsafe {
            onshi_sim_reader_transmit(
                reader,
                step.bytes,
                step.bytes_len,
                response.as_mut_ptr(),
                step.response_capacity,
                &mut len,
                &mut error,
            )
        };
        if sent == OnshiStatus::Transport {
            ok(onshi_card_transport_failed(card, error));
        } else {
            ok(sent);
            ok(unsafe { onshi_card_response(card, response.as_ptr(), len) });
        }
    }
}

#[test]
fn the_card_layer_alone_status_verify_with_the_guard_and_the_certificate() {
    let reader = sim_reader(c"standard");
    let mut event = 0;
    ok(unsafe { onshi_sim_reader_take_card_event(reader, &mut event) });
    let mut card = null_mut();
    ok(unsafe { onshi_card_new(0, &mut card) });
    ok(onshi_card_card_event(card, event));
    let user_auth = OnshiPinSlot::UserAuth as u32;
    // No count yet: the VERIFY is refused before anything is sent.
    assert_eq!(
        unsafe { onshi_card_verify(card, user_auth, b"1234".as_ptr(), 4) },
        OnshiStatus::OutOfOrder
    );
    ok(onshi_card_pin_status(card, user_auth));
    assert_eq!(
        onshi_card_pin_status(card, user_auth),
        OnshiStatus::OutOfOrder,
        "one operation at a time"
    );
    assert_eq!(
        run_card(card, reader),
        (
            OnshiCardStepKind::Done as u32,
            r#"{"status":"remaining","tries":3}"#.to_owned(),
            vec![]
        )
    );
    ok(unsafe { onshi_card_verify(card, user_auth, b"9999".as_ptr(), 4) });
    assert_eq!(
        run_card(card, reader).1,
        r#"{"result":"wrong_pin","tries_left":2}"#
    );
    // The card's answer (63 C2) is a count it reported: the next VERIFY may go on it, and the
    // guard re-reads it in the same exclusive span.
    // A wrongly formatted PIN never reaches the card.
    assert_eq!(
        unsafe { onshi_card_verify(card, user_auth, b"12a4".as_ptr(), 4) },
        OnshiStatus::InvalidArgument
    );
    // After a card event nothing the card said holds: the count must be asked again.
    ok(onshi_card_card_event(card, OnshiCardEvent::Reset as u32));
    assert_eq!(
        unsafe { onshi_card_verify(card, user_auth, b"1234".as_ptr(), 4) },
        OnshiStatus::OutOfOrder
    );
    assert!(
        last_error().contains("ask its status first"),
        "{}",
        last_error()
    );
    ok(onshi_card_pin_status(card, user_auth));
    assert_eq!(
        run_card(card, reader).1,
        r#"{"status":"remaining","tries":2}"#
    );
    ok(unsafe { onshi_card_verify(card, user_auth, b"1234".as_ptr(), 4) });
    assert_eq!(run_card(card, reader).1, r#"{"result":"verified"}"#);
    ok(onshi_card_read_certificate(card));
    let (kind, json_text, der) = run_card(card, reader);
    assert_eq!(kind, OnshiCardStepKind::Done as u32);
    assert_eq!(json(&json_text)["serial"], "227B01");
    assert_eq!(der.first(), Some(&0x30), "DER");
    assert_eq!(
        run_card(card, reader).0,
        OnshiCardStepKind::Idle as u32,
        "a result is given once"
    );
    // Out of order: answers with nothing sent.
    assert_eq!(
        unsafe { onshi_card_response(card, [0x90, 0].as_ptr(), 2) },
        OnshiStatus::OutOfOrder
    );
    assert_eq!(
        onshi_card_transport_failed(card, 3),
        OnshiStatus::OutOfOrder
    );
    assert_eq!(onshi_card_pin_status(card, 0), OnshiStatus::InvalidArgument);
    ok(onshi_card_free(card));
    ok(onshi_sim_reader_free(reader));
}

#[test]
fn the_card_layer_never_tries_a_blocked_pin_and_a_card_event_stops_an_operation() {
    let reader = sim_reader(c"pin-blocked");
    let mut card = null_mut();
    ok(unsafe { onshi_card_new(0, &mut card) });
    let user_auth = OnshiPinSlot::UserAuth as u32;
    ok(onshi_card_pin_status(card, user_auth));
    assert_eq!(run_card(card, reader).1, r#"{"status":"blocked"}"#);
    assert_eq!(
        unsafe { onshi_card_verify(card, user_auth, b"1234".as_ptr(), 4) },
        OnshiStatus::OutOfOrder
    );
    // A card event while an operation waits for its answer: it fails, nothing more is sent.
    ok(onshi_card_pin_status(card, user_auth));
    ok(onshi_card_card_event(card, OnshiCardEvent::Removed as u32));
    let mut step = std::mem::MaybeUninit::<OnshiCardStep>::uninit();
    ok(unsafe { onshi_card_poll(card, step.as_mut_ptr()) });
    let step = unsafe { step.assume_init() };
    assert_eq!(step.kind, OnshiCardStepKind::Failed as u32);
    assert_eq!(json(&text(step.json))["code"], "transport.card_removed");
    ok(onshi_card_free(card));
    ok(onshi_sim_reader_free(reader));
}

#[test]
fn the_virtual_reader_reports_small_buffers_and_transport_failures() {
    let reader = sim_reader(c"standard");
    let select_mf = [0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00];
    let (mut len, mut error) = (0, 0);
    let mut tiny = [0u8; 1];
    assert_eq!(
        unsafe {
            onshi_sim_reader_transmit(
                reader,
                select_mf.as_ptr(),
                select_mf.len(),
                tiny.as_mut_ptr(),
                tiny.len(),
                &mut len,
                &mut error,
            )
        },
        OnshiStatus::Transport
    );
    assert_eq!(error, OnshiTransportError::ResponseTooLong as u32);
    ok(onshi_sim_reader_remove(reader));
    let mut response = [0u8; 258];
    assert_eq!(
        unsafe {
            onshi_sim_reader_transmit(
                reader,
                select_mf.as_ptr(),
                select_mf.len(),
                response.as_mut_ptr(),
                response.len(),
                &mut len,
                &mut error,
            )
        },
        OnshiStatus::Transport
    );
    assert_eq!(error, OnshiTransportError::NoCard as u32);
    let mut digits = [0u8; 4];
    assert_eq!(
        unsafe {
            onshi_sim_ocr_verification_number_b(
                c"standard".as_ptr(),
                NOW,
                digits.as_mut_ptr(),
                digits.len(),
                &mut len,
            )
        },
        OnshiStatus::BufferTooSmall
    );
    assert_eq!(len, 14, "照合番号B has 14 digits");
    assert_eq!(
        unsafe { onshi_sim_reader_place(reader, c"nobody".as_ptr(), NOW) },
        OnshiStatus::InvalidArgument
    );
    ok(onshi_sim_reader_free(reader));
}

#[test]
fn handles_used_from_many_threads_while_one_frees_them_stay_errors_not_crashes() {
    let visit = plain_visit();
    let address = visit.addr();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let visit: *mut OnshiVisit = std::ptr::without_provenance_mut(address);
                let mut statuses = Vec::new();
                for _ in 0..200 {
                    let mut out = std::mem::MaybeUninit::<OnshiOutput>::uninit();
                    statuses.push(unsafe { onshi_visit_poll(visit, out.as_mut_ptr()) });
                    statuses.push(onshi_visit_tick(visit, NOW));
                }
                statuses
            })
        })
        .collect();
    ok(onshi_visit_free(visit));
    for worker in workers {
        for status in worker.join().unwrap() {
            assert!(
                matches!(status, OnshiStatus::Ok | OnshiStatus::InvalidHandle),
                "{status:?}"
            );
        }
    }
}

#[test]
fn the_on_reader_staff_check_counts_wrong_passcodes_in_the_facility() {
    let facility = facility_with_reader();
    let admin = login(facility);
    ok(unsafe { onshi_facility_set_staff_passcode(facility, admin, b"4321".as_ptr(), 4, NOW) });
    let reader = sim_reader(c"standard");
    let mut visit = null_mut();
    ok(unsafe {
        onshi_facility_begin_visit(
            facility,
            1,
            0,
            OnshiTrust::Virtual as u32,
            cr#"{"staff_check": "always"}"#.as_ptr(),
            NOW,
            null(),
            &mut visit,
        )
    });
    let transcript = drive(
        visit,
        reader,
        Script {
            pins: vec![],
            passcodes: vec![b"1111", b"4321"],
            method: OnshiMethod::StaffCheck,
            persona: c"standard",
        },
    );
    let outcome = json(&transcript.outcome);
    assert_eq!(outcome["result"]["identity"]["method"], "staff_check");
    assert_eq!(outcome["result"]["identity"]["staff_id"], "nurse-1");
    assert_eq!(outcome["staff_passcode_failures"], 1);
    assert!(!transcript.outcome.contains("4321") && !transcript.outcome.contains("1111"));
    ok(onshi_facility_finish(facility, visit, NOW + 60));
    let mut audit = null();
    ok(unsafe { onshi_facility_audit_json(facility, 0, &mut audit) });
    let audit = text(audit);
    assert!(
        audit.contains(r#""action":"staff_passcode_rejected","entries":1"#),
        "{audit}"
    );
    assert!(!audit.contains("4321"));
    ok(onshi_visit_free(visit));
    ok(onshi_sim_reader_free(reader));
    ok(onshi_session_free(admin));
    ok(onshi_facility_free(facility));
}

#[test]
fn the_facility_settings_change_key_by_key_within_their_bounds() {
    let facility = facility_in_memory();
    let admin = login(facility);
    ok(unsafe {
        onshi_facility_set_config(
            facility,
            admin,
            cr#"{"staff_passcode_lock_after": 5}"#.as_ptr(),
            NOW,
        )
    });
    let mut config = null();
    ok(unsafe { onshi_facility_config_json(facility, &mut config) });
    let config = json(&text(config));
    assert_eq!(config["staff_passcode_lock_after"], 5);
    assert_eq!(
        config["admin_session_seconds"], 900,
        "the others keep their values"
    );
    assert_eq!(
        unsafe {
            onshi_facility_set_config(facility, admin, cr#"{"audit_retention": 1}"#.as_ptr(), NOW)
        },
        OnshiStatus::Facility
    );
    assert_eq!(last_error(), "a facility setting is out of its bounds");
    assert_eq!(
        unsafe { onshi_facility_set_config(facility, admin, null(), NOW) },
        OnshiStatus::NullPointer
    );
    assert_eq!(
        unsafe { onshi_facility_unlock_account(facility, admin, c"admin".as_ptr(), NOW) },
        OnshiStatus::Facility
    );
    assert_eq!(last_error(), "the account is not locked");
    ok(unsafe { onshi_facility_receive_staff_passcode(facility, b"2468".as_ptr(), 4, NOW) });
    assert_eq!(
        unsafe { onshi_facility_receive_staff_passcode(facility, b"24a8".as_ptr(), 4, NOW) },
        OnshiStatus::Facility
    );
    let mut defaults = null();
    ok(unsafe { onshi_visit_settings_default_json(&mut defaults) });
    assert_eq!(json(&text(defaults))["idle_timeout_seconds"], 120);
    ok(onshi_session_free(admin));
    ok(onshi_facility_free(facility));
}
