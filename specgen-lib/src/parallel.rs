//! Work split over the two cores specgen is measured on, with results in a fixed order so that
//! output never depends on scheduling.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_two_keeps_the_order() {
        let items: Vec<u32> = (0..101).collect();
        let halves = in_two(&items, 10, <[u32]>::to_vec);
        assert_eq!(halves.len(), 2);
        assert_eq!(halves.concat(), items);
        assert_eq!(in_two(&items[..9], 10, <[u32]>::len), vec![9]);
    }
}
