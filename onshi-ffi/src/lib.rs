#![doc = include_str!("../README.md")]

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

mod card;
mod facility;
mod registry;
#[cfg(feature = "sim")]
mod sim;
mod visit;

pub use card::*;
pub use facility::*;
#[cfg(feature = "sim")]
pub use sim::*;
pub use visit::*;

/// What a call did. `0` is success; every other value is a failure whose message is
/// `onshi_last_error_message`. The numbers are stable: new ones are only ever added.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnshiStatus {
    /// Done.
    Ok = 0,
    /// A pointer that must not be null was null.
    NullPointer = 1,
    /// The handle is null, was freed, was never issued, or is of another kind.
    InvalidHandle = 2,
    /// The buffer is too small: the size needed (with the terminating NUL for text) was written
    /// to the length out-parameter.
    BufferTooSmall = 3,
    /// A string is not UTF-8.
    InvalidUtf8 = 4,
    /// A JSON argument is not JSON, or not what the function takes.
    InvalidJson = 5,
    /// An argument is out of its range (an unknown enumeration value, a length, a format).
    InvalidArgument = 6,
    /// The visit does not take this input now (nothing changed; see
    /// `onshi_visit_expected_inputs_json`).
    InputRejected = 7,
    /// The call is out of order (a card answer with no command pending, a VERIFY without a
    /// fresh count, an operation while another runs).
    OutOfOrder = 8,
    /// The facility refused (wrong login, no such reader, the store failed, …).
    Facility = 9,
    /// The card or the reader failed, or the card's answer was wrong (card layer).
    Card = 10,
    /// The virtual reader's transport failed: the failure is in the out-parameter, to feed
    /// back with `onshi_visit_transport_failed`.
    Transport = 11,
    /// This build does not have the feature (the virtual card without `sim`).
    Unsupported = 12,
    /// A bug in onshi: a panic was caught. The handle it happened on is unusable; free it.
    Panic = 13,
}

/// A failure on its way out to the host: its status and message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: OnshiStatus,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: OnshiStatus, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

pub(crate) type FfiResult<T = ()> = Result<T, Failure>;

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// Runs one entry point: clears the thread's last error, catches any panic, records the
/// failure's message.
pub(crate) fn entry(body: impl FnOnce() -> FfiResult) -> OnshiStatus {
    LAST_ERROR.with(|last| last.borrow_mut().take());
    let result = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        Err(Failure::new(
            OnshiStatus::Panic,
            "internal error (a bug in onshi): the handle is unusable, free it",
        ))
    });
    match result {
        Ok(()) => OnshiStatus::Ok,
        Err(failure) => {
            let message = CString::new(failure.message.replace('\0', " ")).unwrap_or_default();
            LAST_ERROR.with(|last| *last.borrow_mut() = Some(message));
            failure.status
        }
    }
}

/// Copies the message of the last failure on this thread (NUL-terminated UTF-8, empty when
/// the last call succeeded) into `buffer` of `capacity` bytes, and writes its size with the NUL
/// to `needed`. It does not change the last error.
///
/// # Safety
///
/// `buffer` points to `capacity` writable bytes (it may be null when `capacity` is 0);
/// `needed` is null or points to a writable `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_last_error_message(
    buffer: *mut c_char,
    capacity: usize,
    needed: *mut usize,
) -> OnshiStatus {
    let message = LAST_ERROR.with(|last| last.borrow().clone().unwrap_or_default());
    let bytes = message.as_bytes_with_nul();
    if !needed.is_null() {
        // SAFETY: non-null, and the caller promises it is writable.
        unsafe { needed.write(bytes.len()) };
    }
    if capacity < bytes.len() {
        return OnshiStatus::BufferTooSmall;
    }
    if buffer.is_null() {
        return OnshiStatus::NullPointer;
    }
    // SAFETY: the caller promises `capacity` writable bytes at `buffer`, and bytes.len() fits.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr().cast(), buffer, bytes.len()) };
    OnshiStatus::Ok
}

/// The library's version, a static NUL-terminated string (never freed).
#[unsafe(no_mangle)]
pub extern "C" fn onshi_version() -> *const c_char {
    c"0.1.0".as_ptr()
}

/// A borrowed byte buffer from the host: empty for a null pointer with length 0.
///
/// # Safety
///
/// `ptr` points to `len` readable bytes that outlive `'a`, or is null.
pub(crate) unsafe fn bytes_in<'a>(ptr: *const u8, len: usize) -> FfiResult<&'a [u8]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::new(
                OnshiStatus::NullPointer,
                "a null buffer with a length",
            ))
        };
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(
            OnshiStatus::InvalidArgument,
            "a length over isize::MAX",
        ));
    }
    // SAFETY: non-null, and the caller promises `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A borrowed NUL-terminated UTF-8 string from the host.
///
/// # Safety
///
/// `ptr` is null or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn str_in<'a>(ptr: *const c_char, what: &str) -> FfiResult<&'a str> {
    if ptr.is_null() {
        return Err(Failure::new(
            OnshiStatus::NullPointer,
            format!("{what} is null"),
        ));
    }
    // SAFETY: non-null, and the caller promises a NUL-terminated string.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str()
        .map_err(|_| Failure::new(OnshiStatus::InvalidUtf8, format!("{what} is not UTF-8")))
}

/// An optional JSON argument: null or empty is `None`.
///
/// # Safety
///
/// As [`str_in`].
pub(crate) unsafe fn json_in(
    ptr: *const c_char,
    what: &str,
) -> FfiResult<Option<serde_json::Value>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller's promise, passed on.
    let text = unsafe { str_in(ptr, what) }?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(text)
        .map(Some)
        .map_err(|error| Failure::new(OnshiStatus::InvalidJson, format!("{what}: {error}")))
}

/// Writes a value to a host's out-parameter.
///
/// # Safety
///
/// `ptr` is null or points to writable memory for a `T`.
pub(crate) unsafe fn write_out<T>(ptr: *mut T, value: T, what: &str) -> FfiResult {
    if ptr.is_null() {
        return Err(Failure::new(
            OnshiStatus::NullPointer,
            format!("{what} is null"),
        ));
    }
    // SAFETY: non-null, and the caller promises it is writable; `write` reads nothing there.
    unsafe { ptr.write(value) };
    Ok(())
}

/// `T::default()` with the keys of `overrides` put over it: a host gives only the settings it
/// changes.
pub(crate) fn merged<T>(overrides: Option<serde_json::Value>, what: &str) -> FfiResult<T>
where
    T: Default + serde::Serialize + serde::de::DeserializeOwned,
{
    merged_over(&T::default(), overrides, what)
}

/// `base` with the keys of `overrides` put over it, objects merged key by key.
pub(crate) fn merged_over<T>(
    base: &T,
    overrides: Option<serde_json::Value>,
    what: &str,
) -> FfiResult<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    fn merge(base: &mut serde_json::Value, over: serde_json::Value) {
        match (base, over) {
            (serde_json::Value::Object(base), serde_json::Value::Object(over)) => {
                for (key, value) in over {
                    match base.get_mut(&key) {
                        Some(slot) => merge(slot, value),
                        None => {
                            base.insert(key, value);
                        }
                    }
                }
            }
            (slot, value) => *slot = value,
        }
    }
    let mut value = serde_json::to_value(base)
        .map_err(|error| Failure::new(OnshiStatus::Panic, error.to_string()))?;
    if let Some(overrides) = overrides {
        merge(&mut value, overrides);
    }
    serde_json::from_value(value)
        .map_err(|error| Failure::new(OnshiStatus::InvalidJson, format!("{what}: {error}")))
}

/// JSON of a serde value, as a C string (JSON escapes every NUL, so this does not fail for
/// onshi's types).
pub(crate) fn json_out(value: &impl serde::Serialize) -> FfiResult<CString> {
    let text = serde_json::to_string(value)
        .map_err(|error| Failure::new(OnshiStatus::Panic, error.to_string()))?;
    text_out(text)
}

/// A string as a C string (a NUL inside becomes a space).
pub(crate) fn text_out(text: impl Into<String>) -> FfiResult<CString> {
    let text: String = text.into();
    CString::new(text.replace('\0', " "))
        .map_err(|error| Failure::new(OnshiStatus::Panic, error.to_string()))
}

/// A host's enumeration value, checked.
pub(crate) fn choice<T: Copy>(value: u32, table: &[(u32, T)], what: &str) -> FfiResult<T> {
    table
        .iter()
        .find(|(code, _)| *code == value)
        .map(|(_, item)| *item)
        .ok_or_else(|| {
            Failure::new(
                OnshiStatus::InvalidArgument,
                format!("{value} is not a valid {what}"),
            )
        })
}

/// The host's code for a value of one of the tables [`choice`] reads (0 for none).
pub(crate) fn code_of<T: Copy + PartialEq>(value: T, table: &[(u32, T)]) -> u32 {
    table
        .iter()
        .find(|(_, item)| *item == value)
        .map_or(0, |(code, _)| *code)
}

/// The visit's challenge: the host's 32 bytes, or 32 fresh bytes from the OS for null.
///
/// # Safety
///
/// `challenge` is null or points to 32 readable bytes.
pub(crate) unsafe fn challenge_in(
    challenge: *const u8,
) -> FfiResult<onshi::card::authenticity::Challenge> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    if challenge.is_null() {
        getrandom::fill(bytes.as_mut())
            .map_err(|_| Failure::new(OnshiStatus::Facility, "no secure random bytes available"))?;
    } else {
        // SAFETY: the caller promises 32 readable bytes.
        let given = unsafe { bytes_in(challenge, 32) }?;
        bytes.copy_from_slice(given);
    }
    Ok(onshi::card::authenticity::Challenge::from_random_bytes(
        *bytes,
    ))
}

/// The pointer and length of an output buffer (null and 0 for an empty one).
pub(crate) fn out_ptr(bytes: &[u8]) -> (*const u8, usize) {
    if bytes.is_empty() {
        (std::ptr::null(), 0)
    } else {
        (bytes.as_ptr(), bytes.len())
    }
}

/// The pointer of an optional output C string (null for none).
pub(crate) fn out_str(text: Option<&CString>) -> *const c_char {
    text.map_or(std::ptr::null(), |text| text.as_ptr())
}

/// How many handles of every kind are live (not freed) in this process, into `out`: a host's
/// tests check it returns to where it was, so that nothing leaks.
///
/// # Safety
///
/// `out` points to a writable `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn onshi_live_handles(out: *mut usize) -> OnshiStatus {
    // SAFETY: the caller's promise.
    entry(|| unsafe { write_out(out, registry::live_handles(), "out") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_caught_and_reported_never_unwound_into_the_host() {
        let status = entry(|| panic!("a bug"));
        assert_eq!(status, OnshiStatus::Panic);
        let mut buffer = [0 as c_char; 128];
        let mut needed = 0;
        // SAFETY: a local buffer of its length, a local out-parameter.
        let copied =
            unsafe { onshi_last_error_message(buffer.as_mut_ptr(), buffer.len(), &mut needed) };
        assert_eq!(copied, OnshiStatus::Ok);
        // SAFETY: the library wrote a NUL-terminated message of `needed` bytes.
        let message = unsafe { CStr::from_ptr(buffer.as_ptr()) };
        assert!(
            message
                .to_str()
                .is_ok_and(|m| m.starts_with("internal error"))
        );
    }

    #[test]
    fn settings_json_is_merged_key_by_key_over_the_defaults() {
        let over = serde_json::json!({"face": {"attempts_before_fallback": 2}, "idle_timeout_seconds": 60});
        let settings: onshi::reception::VisitSettings =
            merged(Some(over), "settings").unwrap_or_default();
        let defaults = onshi::reception::VisitSettings::default();
        assert_eq!(settings.idle_timeout_seconds, 60);
        assert_eq!(settings.face.attempts_before_fallback, 2);
        assert_eq!(settings.face.threshold, defaults.face.threshold);
        assert_eq!(settings.consent, defaults.consent);
    }
}
