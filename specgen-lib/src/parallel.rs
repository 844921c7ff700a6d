//! Work split over the two cores specgen is measured on, with results in a fixed order so that
//! output never depends on scheduling.
//!
//! Parallel sections do not nest while both of their threads are busy: inside one, another runs
//! on the calling thread alone. The outer section's two threads already keep both cores busy;
//! nested ones (a target splitting its own work while the render queue runs targets on two
//! threads) put three or four threads on two cores, which cost CPU time (4 % of it with the REST
//! targets of the benchmark) without saving wall time. A section still splits wherever it is the
//! outermost: the pydantic target splits `schemas.py` in a models-only run, where it is the only
//! target.
//!
//! Once one thread of a section has finished its share, its core is free, and the work still
//! running on the other thread takes it: a nested queue ([`each_in_two`]) that is still going
//! gets a helper thread that takes items from the same queue, and a nested [`join`] or
//! [`in_two`] that starts then splits. In the render queue the last target (fastapi, whose
//! files are such a queue) so no longer runs alone for its last 10–15 ms while the other core
//! idles.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

thread_local! {
    /// The parallel section this thread is working for, if any.
    static SECTION: RefCell<Option<Arc<Section>>> = const { RefCell::new(None) };
}

/// What the threads of one parallel section share.
#[derive(Default)]
struct Section {
    /// Whether one of the section's two cores is free: a thread of the section finished its
    /// share (or its help) and no other thread has taken the core since.
    free_core: AtomicBool,
}

impl Section {
    /// Takes the free core, if there is one: the caller then starts one thread.
    fn take_free_core(&self) -> bool {
        self.free_core.load(Ordering::Relaxed) && self.free_core.swap(false, Ordering::AcqRel)
    }
}

/// The section this thread works for.
fn current_section() -> Option<Arc<Section>> {
    SECTION.with(|section| section.borrow().clone())
}

/// Whether work may be split over two threads here: outside a parallel section, or inside one
/// whose other core is free (see the module's documentation).
pub(crate) fn may_split() -> bool {
    current_section().is_none_or(|section| section.free_core.load(Ordering::Relaxed))
}

/// Marks this thread as working for `section` until dropped (also when unwinding), and then
/// gives its core back to the section when `frees_core`.
struct InSection {
    was: Option<Arc<Section>>,
    frees_core: bool,
}

impl InSection {
    fn enter(section: &Arc<Section>, frees_core: bool) -> InSection {
        let was = SECTION.with(|current| current.replace(Some(Arc::clone(section))));
        InSection { was, frees_core }
    }
}

impl Drop for InSection {
    fn drop(&mut self) {
        let section = SECTION.with(|current| current.replace(self.was.take()));
        if let (true, Some(section)) = (self.frees_core, section) {
            section.free_core.store(true, Ordering::Release);
        }
    }
}

/// `here` on this thread and `there` on another, at the same time, as a new parallel section
/// when this thread works for none; inside one (whose free core the caller took), as part of
/// it. Each thread frees its core for the section when its closure returns.
fn split<A, B: Send>(here: impl FnOnce() -> A, there: impl FnOnce() -> B + Send) -> (A, B) {
    let section = current_section().unwrap_or_default();
    std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            let _section = InSection::enter(&section, true);
            there()
        });
        let here = {
            let _section = InSection::enter(&section, true);
            here()
        };
        let there = other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (here, there)
    })
}

/// Whether a split may start here, taking the section's free core when inside one.
fn take_split() -> bool {
    current_section().is_none_or(|section| section.take_free_core())
}

/// `a` and `b`, on two threads at the same time where work may be split ([`may_split`]), else
/// one after the other on this one.
pub(crate) fn join<A, B: Send>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
    match take_split() {
        true => split(a, b),
        false => (a(), b()),
    }
}

/// `work` over `items`: on this thread when there are fewer than `min` items or work may not be
/// split here ([`may_split`]), else over each half on two threads (this one takes the first
/// half). The results are in the order of the items.
pub(crate) fn in_two<'i, I: Sync, T: Send>(items: &'i [I], min: usize, work: impl Fn(&'i [I]) -> T + Sync) -> Vec<T> {
    if items.len() < min.max(2) || !take_split() {
        return vec![work(items)];
    }
    let (first, second) = items.split_at(items.len() / 2);
    let (first, second) = split(|| work(first), || work(second));
    vec![first, second]
}

/// `work` on each item, on two threads that take the items one at a time, in order, from a shared
/// queue: items of very different cost (a target, a file) keep both threads busy, best when the
/// costly ones come first. The results are in the order of the items. Fewer than two items run
/// on this thread; so do items inside a parallel section, until its other core is free: a
/// second thread then joins the queue (see the module's documentation).
pub(crate) fn each_in_two<I: Sync, T: Send>(items: &[I], work: impl Fn(&I) -> T + Sync) -> Vec<T> {
    if items.len() < 2 {
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
    let mut done = match current_section() {
        None => {
            let (mut done, other) = split(worker, worker);
            done.extend(other);
            done
        }
        Some(section) => std::thread::scope(|scope| {
            // This thread takes items one at a time, and looks for a free core before each.
            let mut helper = None;
            let mut done = Vec::new();
            loop {
                if helper.is_none() && section.take_free_core() {
                    helper = Some(scope.spawn(|| {
                        let _section = InSection::enter(&section, true);
                        worker()
                    }));
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(index) else { break };
                done.push((index, work(item)));
            }
            if let Some(helper) = helper {
                done.extend(helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            }
            done
        }),
    };
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

    /// Inside a section, while its other thread is busy, a nested one runs on the calling
    /// thread; after it, work splits again, also when the section panicked.
    #[test]
    fn sections_do_not_nest_while_both_threads_are_busy() {
        let thread = || std::thread::current().id();
        // Neither outer item ends before both have done their nested work: no core is free.
        let started = AtomicUsize::new(0);
        let outer: Vec<u32> = (0..2).collect();
        let nested_on_the_caller = each_in_two(&outer, |_| {
            started.fetch_add(1, Ordering::SeqCst);
            while started.load(Ordering::SeqCst) < 2 {
                std::thread::yield_now();
            }
            let here = thread();
            let inner: Vec<u32> = (0..8).collect();
            let mut ids = each_in_two(&inner, |_| thread());
            ids.extend(in_two(&inner, 2, |_| thread()));
            ids.extend(in_parts(&inner, 4, |_| thread()).into_iter().map(|(_, id)| id));
            let (a, b) = join(thread, thread);
            ids.extend([a, b]);
            let alone = !may_split() && ids.iter().all(|&id| id == here);
            started.fetch_add(1, Ordering::SeqCst);
            while started.load(Ordering::SeqCst) < 4 {
                std::thread::yield_now();
            }
            alone
        });
        assert_eq!(nested_on_the_caller, vec![true, true]);
        assert!(may_split());
        let (a, b) = join(thread, thread);
        assert_ne!(a, b, "outside a section, join uses two threads");

        let panicked = std::panic::catch_unwind(|| in_two(&outer, 2, |_| -> u32 { panic!("work failed") }));
        assert!(panicked.is_err());
        assert!(may_split(), "a panic left this thread marked as inside a section");
    }

    /// Once one thread of a section is done, a nested queue still running on the other gets a
    /// second thread, and a nested join starting then splits; results stay in order.
    #[test]
    fn a_free_core_joins_nested_work() {
        let thread = || std::thread::current().id();
        let outer: Vec<u32> = (0..2).collect();
        let first_done = AtomicBool::new(false);
        let results = each_in_two(&outer, |&i| {
            if i == 1 {
                first_done.store(true, Ordering::SeqCst);
                return None;
            }
            // Item 0: wait until the other thread has taken item 1 and run out of items.
            let waited = std::time::Instant::now();
            while !may_split() && waited.elapsed() < std::time::Duration::from_secs(20) {
                std::thread::yield_now();
            }
            let here = thread();
            let helped = AtomicBool::new(false);
            let inner: Vec<u64> = (0..64).collect();
            let squares = each_in_two(&inner, |&n| {
                if thread() != here {
                    helped.store(true, Ordering::SeqCst);
                }
                // The caller's items wait (boundedly) for the helper to take one.
                let waited = std::time::Instant::now();
                while thread() == here && n > 0 && !helped.load(Ordering::SeqCst) {
                    if waited.elapsed() > std::time::Duration::from_secs(20) {
                        break;
                    }
                    std::thread::yield_now();
                }
                n * n
            });
            // The helper is done and freed the core again: a join now splits.
            let (a, b) = join(thread, thread);
            Some((helped.load(Ordering::SeqCst), squares, a != b))
        });
        assert!(first_done.load(Ordering::SeqCst));
        let (helped, squares, joined_in_two) = results[0].clone().expect("item 0 ran nested work");
        assert!(helped, "no second thread joined the nested queue");
        assert_eq!(squares, (0..64u64).map(|n| n * n).collect::<Vec<_>>());
        assert!(joined_in_two, "a join with a free core ran on one thread");
        assert!(results[1].is_none());
        assert!(may_split());
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
