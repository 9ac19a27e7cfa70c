//! The C ABI driven by random call sequences, as a buggy host would drive it: any function in
//! any order, on live, freed, garbage and wrong-kind handles, with random bytes for strings,
//! JSON, PINs, card answers and enumeration values. Pointers are always valid (a host that
//! passes a wild pointer breaks the ABI's contract, and nothing can catch that), handles never
//! need to be. Whatever the sequence:
//!
//! - no call crashes and none returns `PANIC` (a panic caught at the boundary is still a bug);
//! - a failing call sets a message, a succeeding one clears it;
//! - a handle out-parameter is written only on success;
//! - after everything is freed, no handle of this input is left (freeing is complete).
//!
//! Input: a sequence of `[op, args…]`; see `fuzz_target!` below.
#![no_main]

use std::ffi::{CString, c_char};
use std::ptr::{null, null_mut};

use libfuzzer_sys::fuzz_target;
use onshi_ffi::*;

const NOW: i64 = 1_796_085_000;
const PEPPER: &[u8] = b"a pepper of the fuzzer, 32 bytes";

/// Reads the input front to back; runs dry as zeros.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
        self.0 = rest;
        first
    }
    fn take(&mut self, max: usize) -> Vec<u8> {
        let len = usize::from(self.byte()).min(max).min(self.0.len());
        let (taken, rest) = self.0.split_at(len);
        self.0 = rest;
        taken.to_vec()
    }
    /// A C string of random bytes (not always UTF-8, never with a NUL inside).
    fn c_string(&mut self) -> CString {
        let bytes: Vec<u8> = self.take(40).into_iter().filter(|&b| b != 0).collect();
        CString::new(bytes).unwrap_or_default()
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Default)]
struct Handles {
    visits: Vec<*mut OnshiVisit>,
    facilities: Vec<*mut OnshiFacility>,
    sessions: Vec<*mut OnshiSession>,
    cards: Vec<*mut OnshiCard>,
    readers: Vec<*mut OnshiSimReader>,
    /// Freed handles, kept to be used again.
    freed: Vec<usize>,
}

fn pick<T>(list: &[*mut T], freed: &[usize], selector: u8) -> *mut T {
    match selector % 8 {
        // A live one, usually.
        0..=4 if !list.is_empty() => list[usize::from(selector) % list.len()],
        5 if !freed.is_empty() => {
            std::ptr::without_provenance_mut(freed[usize::from(selector) % freed.len()])
        }
        6 => null_mut(),
        _ => std::ptr::without_provenance_mut(usize::from(selector).wrapping_mul(0x1010) | 1),
    }
}

fn checked(status: OnshiStatus) {
    assert_ne!(
        status,
        OnshiStatus::Panic,
        "a panic was caught at the boundary"
    );
    let mut needed = 0usize;
    let mut buffer = [0 as c_char; 1];
    let _ = unsafe { onshi_last_error_message(buffer.as_mut_ptr(), buffer.len(), &mut needed) };
    if status == OnshiStatus::Ok {
        assert_eq!(needed, 1, "a success clears the message");
    } else {
        assert!(needed > 1, "a failure ({status:?}) sets a message");
    }
}

fn made<T>(status: OnshiStatus, handle: *mut T, list: &mut Vec<*mut T>) {
    checked(status);
    if status == OnshiStatus::Ok {
        assert!(!handle.is_null());
        list.push(handle);
    } else {
        assert!(handle.is_null(), "a failed call hands out no handle");
    }
}

fn free_all(handles: &mut Handles) {
    for visit in handles.visits.drain(..) {
        let _ = onshi_visit_free(visit);
    }
    for session in handles.sessions.drain(..) {
        let _ = onshi_session_free(session);
    }
    for facility in handles.facilities.drain(..) {
        let _ = onshi_facility_free(facility);
    }
    for card in handles.cards.drain(..) {
        let _ = onshi_card_free(card);
    }
    for reader in handles.readers.drain(..) {
        let _ = onshi_sim_reader_free(reader);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let mut h = Handles::default();
    let mut live_before = 0usize;
    checked(unsafe { onshi_live_handles(&mut live_before) });
    let mut steps = 0;
    while !input.is_empty() && steps < 200 {
        steps += 1;
        let op = input.byte();
        let sel = input.byte();
        let now = NOW + i64::from(input.byte()) * 30;
        let visit = pick(&h.visits, &h.freed, sel);
        match op % 32 {
            0 => {
                let contexts: [&[u8]; 4] = [
                    br#"{"reader":1,"mode":"unattended","trust":"virtual"}"#,
                    br#"{"reader":1,"mode":"pin_only","trust":"virtual"}"#,
                    br#"{"reader":1,"mode":"legacy_visual","trust":"virtual"}"#,
                    b"",
                ];
                let context = match sel % 5 {
                    4 => input.c_string(),
                    n => CString::new(contexts[usize::from(n)]).unwrap_or_default(),
                };
                let settings = if sel & 0x80 != 0 {
                    input.c_string()
                } else {
                    CString::default()
                };
                let challenge = [sel; 32];
                let mut out = null_mut();
                let status = unsafe {
                    onshi_visit_new(
                        context.as_ptr(),
                        settings.as_ptr(),
                        now,
                        challenge.as_ptr(),
                        &mut out,
                    )
                };
                made(status, out, &mut h.visits);
            }
            1 => {
                let mut out = std::mem::MaybeUninit::<OnshiOutput>::uninit();
                let status = unsafe { onshi_visit_poll(visit, out.as_mut_ptr()) };
                checked(status);
                if status == OnshiStatus::Ok {
                    let out = unsafe { out.assume_init() };
                    // The pointers handed out are readable until the next call.
                    if out.bytes_len > 0 {
                        let bytes = unsafe { std::slice::from_raw_parts(out.bytes, out.bytes_len) };
                        std::hint::black_box(bytes.iter().map(|&b| u32::from(b)).sum::<u32>());
                    }
                    if !out.json.is_null() {
                        let json = unsafe { std::ffi::CStr::from_ptr(out.json) };
                        assert!(json.to_str().is_ok(), "JSON is UTF-8");
                    }
                    assert!((1..=8).contains(&out.kind), "a known output kind");
                }
            }
            2 => checked(onshi_visit_tick(visit, now)),
            3 => checked(onshi_visit_card_event(
                visit,
                now,
                u32::from(input.byte() % 5),
            )),
            4 => {
                let answer = input.take(64);
                checked(unsafe {
                    onshi_visit_card_response(visit, now, answer.as_ptr(), answer.len())
                });
            }
            5 => checked(onshi_visit_transport_failed(
                visit,
                now,
                u32::from(input.byte() % 12),
            )),
            6 => {
                let digits = input.take(16);
                checked(unsafe {
                    onshi_visit_verification_number_b(visit, now, digits.as_ptr(), digits.len())
                });
            }
            7 => checked(onshi_visit_choose(visit, now, u32::from(input.byte() % 5))),
            8 => {
                let pin = input.take(8);
                checked(unsafe { onshi_visit_pin_entered(visit, now, pin.as_ptr(), pin.len()) });
            }
            9 => {
                let image = input.take(16);
                checked(unsafe {
                    onshi_visit_face_captured(visit, now, image.as_ptr(), image.len())
                });
            }
            10 => checked(onshi_visit_face_matched(
                visit,
                now,
                u16::from(input.byte()) * 5,
            )),
            11 => {
                let id = input.c_string();
                let passcode = input.take(6);
                checked(unsafe {
                    onshi_visit_staff_passcode(
                        visit,
                        now,
                        id.as_ptr(),
                        passcode.as_ptr(),
                        passcode.len(),
                    )
                });
            }
            12 => {
                let id = input.c_string();
                let card = input.c_string();
                checked(unsafe {
                    onshi_visit_staff_confirmed_on_terminal(visit, now, id.as_ptr(), card.as_ptr())
                });
            }
            13 => checked(onshi_visit_consent_answer(
                visit,
                now,
                u32::from(input.byte() % 2),
            )),
            14 => checked(onshi_visit_prescription_chosen(
                visit,
                now,
                u32::from(input.byte() % 4),
            )),
            15 => {
                let mut yes = 7u32;
                let status =
                    unsafe { onshi_visit_accepts(visit, u32::from(input.byte() % 21), &mut yes) };
                checked(status);
                assert!(status != OnshiStatus::Ok || yes <= 1);
            }
            16 => {
                let mut json = null();
                checked(unsafe { onshi_visit_expected_inputs_json(visit, &mut json) });
                checked(unsafe { onshi_visit_stage_json(visit, &mut json) });
            }
            17 => {
                let status = onshi_visit_free(visit);
                checked(status);
                if status == OnshiStatus::Ok && !visit.is_null() {
                    h.visits.retain(|v| *v != visit);
                    h.freed.push(visit.addr());
                }
            }
            18 => {
                let mut out = null_mut();
                let password = b"correct horse battery staple";
                let status = unsafe {
                    onshi_facility_open_in_memory(
                        PEPPER.as_ptr(),
                        PEPPER.len(),
                        c"admin".as_ptr(),
                        password.as_ptr(),
                        password.len(),
                        now,
                        &mut out,
                    )
                };
                made(status, out, &mut h.facilities);
            }
            19 => {
                let facility = pick(&h.facilities, &h.freed, sel);
                let password: &[u8] = if sel & 1 == 0 {
                    b"correct horse battery staple"
                } else {
                    b"wrong password!!"
                };
                let name = if sel & 2 == 0 {
                    c"admin".to_owned()
                } else {
                    input.c_string()
                };
                let mut out = null_mut();
                let status = unsafe {
                    onshi_facility_login(
                        facility,
                        name.as_ptr(),
                        password.as_ptr(),
                        password.len(),
                        now,
                        &mut out,
                    )
                };
                made(status, out, &mut h.sessions);
            }
            20 => {
                let facility = pick(&h.facilities, &h.freed, sel);
                let session = pick(&h.sessions, &h.freed, input.byte());
                match input.byte() % 5 {
                    0 => checked(onshi_facility_add_reader(
                        facility,
                        session,
                        u16::from(sel % 3),
                        now,
                    )),
                    1 => checked(onshi_facility_set_reader_mode(
                        facility,
                        session,
                        u16::from(sel % 3),
                        u32::from(input.byte() % 5),
                        now,
                    )),
                    2 => {
                        let passcode = input.take(6);
                        checked(unsafe {
                            onshi_facility_set_staff_passcode(
                                facility,
                                session,
                                passcode.as_ptr(),
                                passcode.len(),
                                now,
                            )
                        });
                    }
                    3 => checked(onshi_facility_unlock_staff_passcode(facility, session, now)),
                    _ => {
                        let status = onshi_facility_logout(facility, session, now);
                        checked(status);
                        if status == OnshiStatus::Ok {
                            h.sessions.retain(|s| *s != session);
                            h.freed.push(session.addr());
                        }
                    }
                }
            }
            21 => {
                let facility = pick(&h.facilities, &h.freed, sel);
                let mut out = null_mut();
                let status = unsafe {
                    onshi_facility_begin_visit(
                        facility,
                        u16::from(input.byte() % 3),
                        0,
                        u32::from(input.byte() % 4),
                        null(),
                        now,
                        null(),
                        &mut out,
                    )
                };
                made(status, out, &mut h.visits);
            }
            22 => {
                let facility = pick(&h.facilities, &h.freed, sel);
                checked(onshi_facility_finish(facility, visit, now));
            }
            23 => {
                let facility = pick(&h.facilities, &h.freed, sel);
                let mut json = null();
                checked(unsafe {
                    onshi_facility_audit_json(facility, u64::from(input.byte()), &mut json)
                });
                checked(onshi_facility_verify_audit(facility));
            }
            24 => {
                let mut out = null_mut();
                let status = unsafe { onshi_card_new(u32::from(sel % 2), &mut out) };
                made(status, out, &mut h.cards);
            }
            25 => {
                let card = pick(&h.cards, &h.freed, sel);
                let slot = u32::from(input.byte() % 10);
                match input.byte() % 3 {
                    0 => checked(onshi_card_pin_status(card, slot)),
                    1 => {
                        let pin = input.take(8);
                        checked(unsafe { onshi_card_verify(card, slot, pin.as_ptr(), pin.len()) });
                    }
                    _ => checked(onshi_card_read_certificate(card)),
                }
            }
            26 => {
                let card = pick(&h.cards, &h.freed, sel);
                let mut step = std::mem::MaybeUninit::<OnshiCardStep>::uninit();
                checked(unsafe { onshi_card_poll(card, step.as_mut_ptr()) });
                match input.byte() % 3 {
                    0 => {
                        let answer = input.take(64);
                        checked(unsafe {
                            onshi_card_response(card, answer.as_ptr(), answer.len())
                        });
                    }
                    1 => checked(onshi_card_transport_failed(
                        card,
                        u32::from(input.byte() % 12),
                    )),
                    _ => checked(onshi_card_card_event(card, u32::from(input.byte() % 5))),
                }
            }
            27 => {
                let mut out = null_mut();
                let status = unsafe { onshi_sim_reader_new(&mut out) };
                made(status, out, &mut h.readers);
                if status == OnshiStatus::Ok {
                    checked(unsafe { onshi_sim_reader_place(out, c"standard".as_ptr(), now) });
                }
            }
            28 => {
                // The virtual card answers the command the visit asks for: deep into the flow.
                let reader = pick(&h.readers, &h.freed, sel);
                let mut out = std::mem::MaybeUninit::<OnshiOutput>::uninit();
                if unsafe { onshi_visit_poll(visit, out.as_mut_ptr()) } == OnshiStatus::Ok {
                    let out = unsafe { out.assume_init() };
                    if out.kind == OnshiOutputKind::Transmit as u32 {
                        let mut response = vec![0u8; out.response_capacity];
                        let (mut len, mut error) = (0, 0);
                        let sent = unsafe {
                            onshi_sim_reader_transmit(
                                reader,
                                out.bytes,
                                out.bytes_len,
                                response.as_mut_ptr(),
                                response.len(),
                                &mut len,
                                &mut error,
                            )
                        };
                        checked(sent);
                        if sent == OnshiStatus::Ok {
                            checked(unsafe {
                                onshi_visit_card_response(visit, now, response.as_ptr(), len)
                            });
                        } else if sent == OnshiStatus::Transport {
                            checked(onshi_visit_transport_failed(visit, now, error));
                        }
                    }
                }
            }
            29 => {
                let reader = pick(&h.readers, &h.freed, sel);
                let mut event = 0;
                let status = unsafe { onshi_sim_reader_take_card_event(reader, &mut event) };
                checked(status);
                if status == OnshiStatus::Ok && event != 0 {
                    checked(onshi_visit_card_event(visit, now, event));
                }
            }
            30 => {
                let persona = input.c_string();
                let reader = pick(&h.readers, &h.freed, sel);
                checked(unsafe { onshi_sim_reader_place(reader, persona.as_ptr(), now) });
            }
            _ => {
                // Frees of any kind, through any kind's free function.
                let handle: *mut u8 = match sel % 3 {
                    0 => visit.cast(),
                    1 => pick(&h.facilities, &h.freed, input.byte()).cast(),
                    _ => pick(&h.cards, &h.freed, input.byte()).cast(),
                };
                checked(onshi_card_free(handle.cast()));
                checked(onshi_session_free(handle.cast()));
            }
        }
    }
    free_all(&mut h);
    let mut live_after = 0usize;
    checked(unsafe { onshi_live_handles(&mut live_after) });
    assert_eq!(live_after, live_before, "every handle made here was freed");
});
