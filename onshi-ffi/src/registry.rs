//! The live handles: a handle is a number the registry looks up, never a pointer the library
//! dereferences, so a null, freed, never-issued or wrong-kind handle is an error code.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::{Failure, FfiResult, OnshiStatus};

/// Something a handle stands for.
pub(crate) trait HandleObject: Send + 'static {
    /// Its kind's name, for error messages.
    const KIND: &'static str;
    /// The opaque type the host sees (`OnshiVisit`, …).
    type Opaque;
}

type Entry = Arc<Mutex<Box<dyn std::any::Any + Send>>>;

struct Registry {
    next: usize,
    entries: BTreeMap<usize, (&'static str, Entry)>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next: 0,
    entries: BTreeMap::new(),
});

/// Handles are spaced this far apart (they look like aligned pointers), from this first one.
const STEP: usize = 16;
const FIRST: usize = 0x1000;

fn registry() -> MutexGuard<'static, Registry> {
    // Nothing runs while the registry is locked that can panic and leave it half-changed.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Registers `object` and returns its new handle.
pub(crate) fn insert<T: HandleObject>(object: T) -> FfiResult<*mut T::Opaque> {
    let mut registry = registry();
    let id = if registry.next == 0 {
        FIRST
    } else {
        registry.next
    };
    let next = id.checked_add(STEP).ok_or_else(|| {
        Failure::new(
            OnshiStatus::InvalidArgument,
            "this process has used up its handle numbers",
        )
    })?;
    registry.next = next;
    let entry: Entry = Arc::new(Mutex::new(Box::new(object)));
    registry.entries.insert(id, (T::KIND, entry));
    Ok(std::ptr::without_provenance_mut(id))
}

fn entry<T: HandleObject>(handle: *const T::Opaque) -> FfiResult<Entry> {
    let id = handle.addr();
    if id == 0 {
        return Err(Failure::new(
            OnshiStatus::InvalidHandle,
            format!("the {} handle is null", T::KIND),
        ));
    }
    match registry().entries.get(&id) {
        Some((kind, entry)) if *kind == T::KIND => Ok(Arc::clone(entry)),
        Some((kind, _)) => Err(Failure::new(
            OnshiStatus::InvalidHandle,
            format!("a {kind} handle was passed where a {} handle goes", T::KIND),
        )),
        None => Err(Failure::new(
            OnshiStatus::InvalidHandle,
            format!("the {} handle was freed or never issued", T::KIND),
        )),
    }
}

/// Runs `body` on the object behind `handle`, the object locked for the call.
pub(crate) fn with<T: HandleObject, R>(
    handle: *const T::Opaque,
    body: impl FnOnce(&mut T) -> FfiResult<R>,
) -> FfiResult<R> {
    let entry = entry::<T>(handle)?;
    let mut guard = entry.lock().map_err(|_| poisoned::<T>())?;
    let object = guard
        .downcast_mut::<T>()
        .ok_or_else(|| Failure::new(OnshiStatus::InvalidHandle, "handle of another kind"))?;
    body(object)
}

/// Runs `body` on two objects of different kinds, locked in the order given.
pub(crate) fn with_two<A: HandleObject, B: HandleObject, R>(
    first: *const A::Opaque,
    second: *const B::Opaque,
    body: impl FnOnce(&mut A, &mut B) -> FfiResult<R>,
) -> FfiResult<R> {
    let first_entry = entry::<A>(first)?;
    let second_entry = entry::<B>(second)?;
    if Arc::ptr_eq(&first_entry, &second_entry) {
        return Err(Failure::new(
            OnshiStatus::InvalidHandle,
            "the same handle twice",
        ));
    }
    let mut first_guard = first_entry.lock().map_err(|_| poisoned::<A>())?;
    let mut second_guard = second_entry.lock().map_err(|_| poisoned::<B>())?;
    let a = first_guard
        .downcast_mut::<A>()
        .ok_or_else(|| Failure::new(OnshiStatus::InvalidHandle, "handle of another kind"))?;
    let b = second_guard
        .downcast_mut::<B>()
        .ok_or_else(|| Failure::new(OnshiStatus::InvalidHandle, "handle of another kind"))?;
    body(a, b)
}

fn poisoned<T: HandleObject>() -> Failure {
    Failure::new(
        OnshiStatus::Panic,
        format!(
            "the {} is unusable after an internal error; free it",
            T::KIND
        ),
    )
}

/// Frees the object behind `handle` (null is a no-op). It is dropped once no other thread's
/// call is using it.
pub(crate) fn remove<T: HandleObject>(handle: *const T::Opaque) -> FfiResult {
    if handle.is_null() {
        return Ok(());
    }
    entry::<T>(handle)?;
    let removed = registry().entries.remove(&handle.addr());
    drop(removed);
    Ok(())
}

/// How many handles are live.
pub(crate) fn live_handles() -> usize {
    registry().entries.len()
}
