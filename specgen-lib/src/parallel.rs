//! Work split over the two cores specgen is measured on, with results in a fixed order so that
//! output never depends on scheduling.
//!
//! Parallel sections do not nest: inside one, on either of its threads, another runs on the
//! calling thread alone. The outer section's two threads already keep both cores busy; nested
//! ones (a target splitting its own work while the render queue runs targets on two threads)
//! put three or four threads on two cores, which cost CPU time (4 % of it with the REST targets
//! of the benchmark) without saving wall time. A section still splits wherever it is the
//! outermost: the pydantic target splits `schemas.py` in a models-only run, where it is the only
//! target.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

thread_local! {
    /// Whether this thread is working for a parallel section.
    static IN_SECTION: Cell<bool> = const { Cell::new(false) };
}

/// Whether work may be split over two threads here: not inside a parallel section.
pub(crate) fn may_split() -> bool {
    !IN_SECTION.with(Cell::get)
}

/// Marks this thread as working for a parallel section until dropped (also when unwinding).
struct InSection {
    was: bool,
}

impl InSection {
    fn enter() -> InSection {
        InSection { was: IN_SECTION.with(|flag| flag.replace(true)) }
    }
}

impl Drop for InSection {
    fn drop(&mut self) {
        IN_SECTION.with(|flag| flag.set(self.was));
    }
}

/// `here` on this thread and `there` on another, at the same time, as one parallel section.
/// Callers check [`may_split`] first.
fn split<A, B: Send>(here: impl FnOnce() -> A, there: impl FnOnce() -> B + Send) -> (A, B) {
    std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            let _section = InSection::enter();
            there()
        });
        let here = {
            let _section = InSection::enter();
            here()
        };
        let there = other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (here, there)
    })
}

/// `a` and `b`, on two threads at the same time where work may be split ([`may_split`]), else
/// one after the other on this one.
pub(crate) fn join<A, B: Send>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
    match may_split() {
        true => split(a, b),
        false => (a(), b()),
    }
}

/// `work` over `items`: on this thread when there are fewer than `min` items or work may not be
/// split here ([`may_split`]), else over each half on two threads (this one takes the first
/// half). The results are in the order of the items.
pub(crate) fn in_two<'i, I: Sync, T: Send>(items: &'i [I], min: usize, work: impl Fn(&'i [I]) -> T + Sync) -> Vec<T> {
    if items.len() < min.max(2) || !may_split() {
        return vec![work(items)];
    }
    let (first, second) = items.split_at(items.len() / 2);
    let (first, second) = split(|| work(first), || work(second));
    vec![first, second]
}

/// `work` on each item, on two threads that take the items one at a time, in order, from a shared
/// queue: items of very different cost (a target, a file) keep both threads busy, best when the
/// costly ones come first. The results are in the order of the items. Fewer than two items, or
/// items where work may not be split ([`may_split`]), run on this thread.
pub(crate) fn each_in_two<I: Sync, T: Send>(items: &[I], work: impl Fn(&I) -> T + Sync) -> Vec<T> {
    if items.len() < 2 || !may_split() {
        return items.iter().map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else { return done };
            done.push((index, work(item)));
        }
    };
    let (mut done, other) = split(worker, worker);
    done.extend(other);
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

/// `work` over `parts` contiguous parts of `items` of about equal length, on two threads that
/// take the parts one at a time from a shared queue, as [`each_in_two`] does with items. Unlike
/// [`in_two`]'s halves, a thread that is done early takes more parts, so that neither waits when
/// equal parts cost unequally (a new thread's first allocations fault in fresh memory, which the
/// calling thread may have to spare). Results are in the order of the parts, each with its part.
pub(crate) fn in_parts<'i, I: Sync, T: Send>(
    items: &'i [I],
    parts: usize,
    work: impl Fn(&'i [I]) -> T + Sync,
) -> Vec<(&'i [I], T)> {
    let part_len = items.len().div_ceil(parts.max(1)).max(1);
    let parts: Vec<&'i [I]> = items.chunks(part_len).collect();
    each_in_two(&parts, |&part| (part, work(part)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_in_two_keeps_the_order() {
        let items: Vec<u64> = (0..200).collect();
        // Uneven costs, so the threads interleave.
        let squares = each_in_two(&items, |&i| {
            std::thread::sleep(std::time::Duration::from_micros(i % 7 * 50));
            i * i
        });
        assert_eq!(squares, items.iter().map(|i| i * i).collect::<Vec<_>>());
        assert_eq!(each_in_two(&items[..1], |&i| i + 1), vec![1]);
        assert!(each_in_two(&items[..0], |&i| i).is_empty());
    }

    #[test]
    fn in_parts_keeps_the_order() {
        let items: Vec<u32> = (0..101).collect();
        let parts = in_parts(&items, 8, |part| part.iter().sum::<u32>());
        assert_eq!(parts.len(), 8);
        assert_eq!(parts.iter().flat_map(|(part, _)| part.iter().copied()).collect::<Vec<_>>(), items);
        assert!(parts.iter().all(|(part, sum)| part.iter().sum::<u32>() == *sum));
        assert_eq!(in_parts(&items[..3], 8, <[u32]>::len).len(), 3);
        assert!(in_parts(&items[..0], 8, <[u32]>::len).is_empty());
    }

    /// Inside a section, on either of its threads, a nested one runs on the calling thread; after
    /// it, work splits again, also when the section panicked.
    #[test]
    fn sections_do_not_nest() {
        let thread = || std::thread::current().id();
        let outer: Vec<u32> = (0..8).collect();
        let nested_on_the_caller = each_in_two(&outer, |_| {
            let here = thread();
            let inner: Vec<u32> = (0..8).collect();
            let mut ids = each_in_two(&inner, |_| thread());
            ids.extend(in_two(&inner, 2, |_| thread()));
            ids.extend(in_parts(&inner, 4, |_| thread()).into_iter().map(|(_, id)| id));
            let (a, b) = join(thread, thread);
            ids.extend([a, b]);
            !may_split() && ids.iter().all(|&id| id == here)
        });
        assert!(nested_on_the_caller.into_iter().all(|nested| nested));
        assert!(may_split());
        let (a, b) = join(thread, thread);
        assert_ne!(a, b, "outside a section, join uses two threads");

        let panicked = std::panic::catch_unwind(|| in_two(&outer, 2, |_| -> u32 { panic!("work failed") }));
        assert!(panicked.is_err());
        assert!(may_split(), "a panic left this thread marked as inside a section");
    }

    #[test]
    fn in_two_keeps_the_order() {
        let items: Vec<u32> = (0..101).collect();
        let halves = in_two(&items, 10, <[u32]>::to_vec);
        assert_eq!(halves.len(), 2);
        assert_eq!(halves.concat(), items);
        assert_eq!(in_two(&items[..9], 10, <[u32]>::len), vec![9]);
    }
}
