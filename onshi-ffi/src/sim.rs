//! The virtual My Number Card on a virtual reader (feature `sim`): hosts run whole visits
//! without a card, with the card's real PIN lockout. The personas' PIN is `1234`.

use std::ffi::c_char;

use onshi::CardReader;
use onshi::face::FaceMatcher;
use onshi::sim::{
    Persona, VirtualFaceMatcher, VirtualReader, capture_of_holder, capture_of_someone_else,
};
use onshi::time::Timestamp;
use zeroize::Zeroizing;

use crate::registry::{self, HandleObject};
use crate::visit::{CARD_EVENTS, transport_code};
use crate::{Failure, FfiResult, OnshiStatus, bytes_in, code_of, entry, str_in, write_out};

/// A virtual reader, with or without a virtual card on it (opaque; a handle).
pub struct OnshiSimReader {
    _private: [u8; 0],
}

struct SimReaderObject {
    reader: VirtualReader,
}

impl HandleObject for SimReaderObject {
    const KIND: &'static str = "virtual reader";
    type Opaque = OnshiSimReader;
}

/// The persona a host names.
///
/// # Safety
///
/// As [`str_in`].
unsafe fn persona(name: *const c_char) -> FfiResult<Persona> {
    // SAFETY: the caller's promise, passed on.
    let name = unsafe { str_in(name, "the persona") }?;
    Persona::from_name(name).ok_or_else(|| {
        Failure::new(
            OnshiStatus::InvalidArgument,
            format!("no persona {name:?} (standard, one-try-left, pin-blocked, face-auth-card, …)"),
        )
    })
}

fn with_reader(
    reader: *mut OnshiSimReader,
    body: impl FnOnce(&mut VirtualReader) -> FfiResult,
) -> OnshiStatus {
    entry(|| registry::with::<SimReaderObject, _>(reader, |object| body(&mut object.reader)))
}

/// Copies `bytes` to the host's buffer, or says how many bytes it needs.
///
/// # Safety
///
/// `buffer` points to `capacity` writable bytes (null when 0); `len` is writable.
unsafe fn copy_out(bytes: &[u8], buffer: *mut u8, capacity: usize, len: *mut usize) -> FfiResult {
    // SAFETY: the caller's promise.
    unsafe { write_out(len, bytes.len(), "the length") }?;
    if capacity < bytes.len() {
        return Err(Failure::new(
            OnshiStatus::BufferTooSmall,
            format!("{} bytes needed, the buffer has {capacity}", bytes.len()),
        ));
    }
    if bytes.is_empty() {
        return Ok(());
    }
    if buffer.is_null() {
        return Err(Failure::new(OnshiStatus::NullPointer, "the buffer is null"));
    }
    // SAFETY: the caller promises `capacity` writable bytes, and `bytes` fits.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buffer, bytes.len()) };
    Ok(())
}

/// A virtual reader with no card on it (short APDUs only).
///
/// # Safety
///
/// `out` points to a writable handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_sim_reader_new(out: *mut *mut OnshiSimReader) -> OnshiStatus {
    entry(|| {
        if out.is_null() {
            return Err(Failure::new(OnshiStatus::NullPointer, "out is null"));
        }
        let handle = registry::insert(SimReaderObject {
            reader: VirtualReader::new(),
        })?;
        // SAFETY: the caller's promise.
        unsafe { write_out(out, handle, "out") }
    })
}

/// Frees a virtual reader (null is a no-op).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_sim_reader_free(reader: *mut OnshiSimReader) -> OnshiStatus {
    entry(|| registry::remove::<SimReaderObject>(reader))
}

/// Places a persona's card, made for the date of `now` in Japan (`standard`, `one-try-left`,
/// `pin-blocked`, `face-auth-card`, `infant-no-photo`, `cert-expired-recently`,
/// `cert-expired-long-ago`, `smartphone-android`, `forged-face`, `cloned-card`,
/// `fake-pin-card`, `test-card`); the reader reports `PLACED`.
///
/// # Safety
///
/// `persona` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_sim_reader_place(
    reader: *mut OnshiSimReader,
    persona: *const c_char,
    now: i64,
) -> OnshiStatus {
    with_reader(reader, |reader| {
        // SAFETY: the caller's promise.
        let persona = unsafe { self::persona(persona) }?;
        reader.insert(persona.card(Timestamp::from_unix_seconds(now).date_in_japan()));
        Ok(())
    })
}

/// Takes the card away; the reader reports `REMOVED`.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_sim_reader_remove(reader: *mut OnshiSimReader) -> OnshiStatus {
    with_reader(reader, |reader| {
        reader.remove();
        Ok(())
    })
}

/// The reader's card event since it last reported (an
/// [`OnshiCardEvent`](crate::OnshiCardEvent)), or 0 for none.
///
/// # Safety
///
/// `out` points to a writable `uint32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_sim_reader_take_card_event(
    reader: *mut OnshiSimReader,
    out: *mut u32,
) -> OnshiStatus {
    with_reader(reader, |reader| {
        let event = reader
            .take_card_event()
            .map_or(0, |event| code_of(event, &CARD_EVENTS));
        // SAFETY: the caller's promise.
        unsafe { write_out(out, event, "out") }
    })
}

/// Sends a command to the virtual card; its answer (data and status word) goes to `response`
/// (`capacity` bytes) and its length to `response_len`. When the transport fails the status
/// is `TRANSPORT` and `transport_error` says how (an
/// [`OnshiTransportError`](crate::OnshiTransportError), for `onshi_visit_transport_failed`).
///
/// # Safety
///
/// `command` points to `command_len` readable bytes, `response` to `capacity` writable bytes;
/// `response_len` and `transport_error` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_sim_reader_transmit(
    reader: *mut OnshiSimReader,
    command: *const u8,
    command_len: usize,
    response: *mut u8,
    capacity: usize,
    response_len: *mut usize,
    transport_error: *mut u32,
) -> OnshiStatus {
    with_reader(reader, |reader| {
        // SAFETY: the caller's promise.
        let command = unsafe { bytes_in(command, command_len) }?;
        if response_len.is_null() || transport_error.is_null() {
            return Err(Failure::new(
                OnshiStatus::NullPointer,
                "response_len or transport_error is null",
            ));
        }
        if capacity > 0 && response.is_null() {
            return Err(Failure::new(
                OnshiStatus::NullPointer,
                "the response buffer is null",
            ));
        }
        let mut answer = Zeroizing::new(vec![0u8; capacity.min(65_538)]);
        // SAFETY: checked non-null above; the caller promises they are writable.
        unsafe {
            transport_error.write(0);
            response_len.write(0);
        }
        match reader.transmit(command, &mut answer) {
            Ok(len) => {
                let bytes = answer.get(..len).unwrap_or(&[]);
                // SAFETY: the caller's promise.
                unsafe { copy_out(bytes, response, capacity, response_len) }
            }
            Err(error) => {
                // SAFETY: checked non-null above.
                unsafe { transport_error.write(transport_code(error)) };
                Err(Failure::new(OnshiStatus::Transport, error.to_string()))
            }
        }
    })
}

/// Begins an exclusive span (`SCardBeginTransaction`): other programs wait.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_sim_reader_begin_exclusive(reader: *mut OnshiSimReader) -> OnshiStatus {
    with_reader(reader, |reader| {
        reader
            .begin_exclusive()
            .map_err(|error| Failure::new(OnshiStatus::Transport, error.to_string()))
    })
}

/// Ends the exclusive span.
#[unsafe(no_mangle)]
pub extern "C" fn onshi_sim_reader_end_exclusive(reader: *mut OnshiSimReader) -> OnshiStatus {
    with_reader(reader, |reader| {
        reader.end_exclusive();
        Ok(())
    })
}

/// 照合番号B printed on a persona's card made for the date of `now`, as the reader's OCR reads
/// it (14 ASCII digits, no NUL), into `buffer`; its length to `len`.
///
/// # Safety
///
/// `persona` is NUL-terminated; `buffer` points to `capacity` writable bytes; `len` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_sim_ocr_verification_number_b(
    persona: *const c_char,
    now: i64,
    buffer: *mut u8,
    capacity: usize,
    len: *mut usize,
) -> OnshiStatus {
    entry(|| {
        // SAFETY: the caller's promise.
        let persona = unsafe { self::persona(persona) }?;
        let pin = persona
            .holder(Timestamp::from_unix_seconds(now).date_in_japan())
            .verification_number_b()
            .map_err(|error| Failure::new(OnshiStatus::InvalidArgument, error.to_string()))?;
        // SAFETY: the caller's promise.
        unsafe { copy_out(pin.secret().expose_secret(), buffer, capacity, len) }
    })
}

/// What the virtual camera captures: the card holder's face when `holder` is non-zero,
/// someone else's otherwise; into `buffer`, its length to `len`.
///
/// # Safety
///
/// `buffer` points to `capacity` writable bytes; `len` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_sim_capture_face(
    holder: u32,
    buffer: *mut u8,
    capacity: usize,
    len: *mut usize,
) -> OnshiStatus {
    entry(|| {
        let capture = if holder != 0 {
            capture_of_holder()
        } else {
            capture_of_someone_else()
        };
        // SAFETY: the caller's promise.
        unsafe { copy_out(capture.image(), buffer, capacity, len) }
    })
}

/// The virtual face matcher: a similarity (‰) for a chip photo and a capture, to feed back
/// with `onshi_visit_face_matched`; `FACE` failures as `INVALID_ARGUMENT` with the reason.
///
/// # Safety
///
/// The buffers point to their lengths' readable bytes; `score_per_mille` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_sim_match_faces(
    chip_photo: *const u8,
    chip_photo_len: usize,
    capture: *const u8,
    capture_len: usize,
    score_per_mille: *mut u16,
) -> OnshiStatus {
    entry(|| {
        // SAFETY: the caller's promises.
        let (photo, capture) = unsafe {
            (
                bytes_in(chip_photo, chip_photo_len)?,
                bytes_in(capture, capture_len)?,
            )
        };
        let capture = onshi::face::FaceCapture::new(capture.to_vec());
        let score = VirtualFaceMatcher
            .match_faces(photo, &capture)
            .map_err(|error| Failure::new(OnshiStatus::InvalidArgument, error.to_string()))?;
        // SAFETY: the caller's promise.
        unsafe { write_out(score_per_mille, score.per_mille(), "score_per_mille") }
    })
}
