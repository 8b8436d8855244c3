//! Work shared by two threads, only where each thread computes exactly what
//! one thread would: a split never depends on how many cores produced it.

/// From this many recipients on, work that does not wait for other work
/// runs on a second thread: half of the normal form's leaves, the payout
/// lines (and their targets, which need only the weights: ~80 MB to fill at
/// a million) while the levels are searched, the minimum-payout search's
/// bookkeeping beside its sort and its next likely trial beside the current
/// one. Below it a thread costs more than it saves.
pub(crate) const PARALLEL_FROM: usize = 50_000;

/// `(a(), b())`, with `b` on a second thread when `parallel`; a panic in
/// either is resumed here.
pub(crate) fn join<A, B: Send>(parallel: bool, a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
    if !parallel {
        return (a(), b());
    }
    std::thread::scope(|s| {
        let b = s.spawn(b);
        let a = a();
        (a, b.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}

/// Which of `sizes` (work per part) a second thread takes: all but the
/// largest, which stays on the calling thread (ties to the first).
pub(crate) fn second_thread(sizes: &[usize]) -> Vec<bool> {
    let largest = (0..sizes.len()).max_by_key(|&k| (sizes[k], std::cmp::Reverse(k)));
    (0..sizes.len()).map(|k| Some(k) != largest).collect()
}

/// `f(k)` for every part `k`, the parts `second` marks on a second thread
/// when `parallel`; in part order either way.
pub(crate) fn each<T: Send>(second: &[bool], parallel: bool, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let on = |side: bool| -> Vec<(usize, T)> {
        (0..second.len()).filter(|&k| second[k] == side).map(|k| (k, f(k))).collect()
    };
    let (mut mine, theirs) = join(parallel, || on(false), || on(true));
    mine.extend(theirs);
    mine.sort_by_key(|&(k, _)| k);
    mine.into_iter().map(|(_, t)| t).collect()
}

/// A list built in two halves on two threads, kept in them: joining them
/// would copy the second into fresh memory (72 MB of leaves at a million).
/// Below `PARALLEL_FROM` everything is in the first.
#[derive(Clone, Debug)]
pub(crate) struct Halves<T> {
    first: Vec<T>,
    second: Vec<T>,
}

impl<T> Halves<T> {
    pub fn new(first: Vec<T>, second: Vec<T>) -> Self {
        Self { first, second }
    }

    pub fn len(&self) -> usize {
        self.first.len() + self.second.len()
    }

    /// The two halves.
    pub fn halves(&self) -> (&[T], &[T]) {
        (&self.first, &self.second)
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + Clone {
        self.first.iter().chain(&self.second)
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.first.iter_mut().chain(&mut self.second)
    }
}

impl<T> std::ops::Index<usize> for Halves<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        match i.checked_sub(self.first.len()) {
            None => &self.first[i],
            Some(j) => &self.second[j],
        }
    }
}

impl<T> std::ops::IndexMut<usize> for Halves<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        match i.checked_sub(self.first.len()) {
            None => &mut self.first[i],
            Some(j) => &mut self.second[j],
        }
    }
}
