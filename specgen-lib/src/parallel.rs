//! Work split over the two cores specgen is measured on, with results in a fixed order so that
//! output never depends on scheduling.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `work` over `items`: on this thread when there are fewer than `min` items, else over each half
/// on two threads (this one takes the first half). The results are in the order of the items.
pub(crate) fn in_two<'i, I: Sync, T: Send>(items: &'i [I], min: usize, work: impl Fn(&'i [I]) -> T + Sync) -> Vec<T> {
    if items.len() < min.max(2) {
        return vec![work(items)];
    }
    let (first, second) = items.split_at(items.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| work(second));
        let first = work(first);
        let second = other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        vec![first, second]
    })
}

/// `work` on each item, on two threads that take the items one at a time, in order, from a shared
/// queue: items of very different cost (a target, a file) keep both threads busy, best when the
/// costly ones come first. The results are in the order of the items. Fewer than two items run
/// on this thread.
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
    let mut done = std::thread::scope(|scope| {
        let other = scope.spawn(worker);
        let mut done = worker();
        done.extend(other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        done
    });
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

    #[test]
    fn in_two_keeps_the_order() {
        let items: Vec<u32> = (0..101).collect();
        let halves = in_two(&items, 10, <[u32]>::to_vec);
        assert_eq!(halves.len(), 2);
        assert_eq!(halves.concat(), items);
        assert_eq!(in_two(&items[..9], 10, <[u32]>::len), vec![9]);
    }
}
