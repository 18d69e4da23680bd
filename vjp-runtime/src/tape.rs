//! The [`Tape`]: a stack of values saved by the forward sweep of a loop for its reverse sweep.
//!
//! A loop body that overwrites a variable loses the value its derivative needs. The generated
//! forward sweep pushes that value before each overwrite; the reverse sweep runs the iterations
//! backwards and pops them in the opposite order, so the stack discipline (last in, first out)
//! is exactly the reversal.

/// The message of the panic when the reverse sweep pops from an empty tape.
const UNDERFLOW: &str = "vjp tape underflow: the reverse sweep popped more values than the \
                         forward sweep pushed (a bug in vjp)";

/// The message of the panic when a value is pushed with [`Tape::push_reserved`] beyond the
/// room made by [`Tape::reserve`].
const OVERFLOW: &str = "vjp tape overflow: the forward sweep pushed more values than it \
                        reserved room for (a bug in vjp)";

/// A last-in, first-out stack of saved values.
///
/// The values live in a `Vec` of slots that only grows: popping a value empties its slot and
/// keeps it, so a loop nested in another one fills and empties the same slots on every outer
/// iteration. A loop whose trip count is known when it starts makes room for all of its
/// values once ([`Tape::reserve`]) and then saves each with [`Tape::push_reserved`], which
/// cannot reallocate: the compiler then keeps the tape's length and buffer in registers
/// across the loop. Each slot is an `Option<T>`, so that popping can move a value out without
/// unsafe code; this costs a tag per value, which is why a loop that saves one float per
/// iteration uses a [`SmallTape`] instead (plain values, for `Copy + Default` types).
///
/// ```
/// use vjp_runtime::Tape;
///
/// let mut tape = Tape::new();
/// for i in 0..3 {
///     tape.push(i as f64);
/// }
/// assert_eq!(tape.pop(), 2.0);
/// assert_eq!(tape.pop(), 1.0);
/// assert_eq!(tape.len(), 1);
/// ```
#[derive(Clone)]
pub struct Tape<T> {
    /// The slots: those below `len` hold the saved values (the top of the stack at
    /// `len - 1`), those above are empty.
    slots: Vec<Option<T>>,
    /// The number of values on the tape.
    len: usize,
}

/// `slots` with at least `needed` slots (and at least twice as many as before, so that pushing
/// one value at a time costs amortised constant time). Taken and returned by value, and kept
/// out of line, so that the tape's fields never have their address taken.
#[cold]
#[inline(never)]
fn grow<S>(mut slots: Vec<S>, needed: usize, empty: impl FnMut() -> S) -> Vec<S> {
    let size = needed.max(2 * slots.len()).max(4);
    slots.resize_with(size, empty);
    slots
}

impl<T> Tape<T> {
    /// An empty tape that has not allocated yet.
    pub fn new() -> Self {
        Tape {
            slots: Vec::new(),
            len: 0,
        }
    }

    /// An empty tape with room for `n` values before it reallocates (use the trip count of the
    /// loop when it is known).
    ///
    /// The buffer is allocated here, inline, rather than by the out-of-line growth of
    /// [`Tape::reserve`]: a loop that only calls [`Tape::push_reserved`] and [`Tape::pop`] on it
    /// then works on a buffer the compiler knows aliases nothing else.
    #[inline]
    pub fn with_capacity(n: usize) -> Self {
        Tape {
            slots: (0..n).map(|_| None).collect(),
            len: 0,
        }
    }

    /// Makes room for at least `additional` more values: that many calls to
    /// [`Tape::push_reserved`] (or [`Tape::push`]) follow without a reallocation.
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        let needed = self.len.saturating_add(additional);
        if needed > self.slots.len() {
            self.slots = grow(core::mem::take(&mut self.slots), needed, || None);
        }
    }

    /// Saves `value` on top of the tape, making room for it when there is none.
    #[inline]
    pub fn push(&mut self, value: T) {
        self.reserve(1);
        self.push_reserved(value);
    }

    /// Saves `value` on top of the tape, in room made before by [`Tape::reserve`].
    ///
    /// # Panics
    /// When there is no room left, with the message "vjp tape overflow: the forward sweep
    /// pushed more values than it reserved room for (a bug in vjp)". Generated code reserves
    /// room for a loop's trip count before its first iteration and pushes once per iteration,
    /// so this only happens when `vjp` itself is wrong.
    #[inline]
    #[track_caller]
    pub fn push_reserved(&mut self, value: T) {
        match self.slots.get_mut(self.len) {
            Some(slot) => *slot = Some(value),
            None => panic!("{OVERFLOW}"),
        }
        self.len += 1;
    }

    /// Removes and returns the value pushed last.
    ///
    /// # Panics
    /// When the tape is empty, with the message "vjp tape underflow: the reverse sweep popped
    /// more values than the forward sweep pushed (a bug in vjp)". Generated code pushes and pops
    /// in matching numbers, so this only happens when `vjp` itself is wrong.
    #[inline]
    #[track_caller]
    pub fn pop(&mut self) -> T {
        let value = match self.len.checked_sub(1) {
            Some(top) => {
                self.len = top;
                self.slots[top].take()
            }
            None => None,
        };
        match value {
            Some(value) => value,
            None => panic!("{UNDERFLOW}"),
        }
    }

    /// The number of values on the tape.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tape holds no values.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of values the tape can hold without reallocating.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The saved values, from the first pushed to the top of the stack.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots[..self.len].iter().flatten()
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for Tape<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for Tape<T> {
    /// Two tapes are equal when they hold equal values in the same order, whatever their
    /// capacities.
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T> Default for Tape<T> {
    /// An empty tape, the same as [`Tape::new`] (no `T: Default` needed).
    fn default() -> Self {
        Tape::new()
    }
}

/// How many values a [`SmallTape`] holds in place before it spills to the heap.
pub const SMALL_TAPE: usize = 32;

/// A [`Tape`] that keeps its first [`SMALL_TAPE`] values in place (inside the struct, on the
/// stack) and only the rest in a `Vec`: a short loop of a function called many times (a
/// `logsumexp` over 25 components, once per data point) then saves its values without an
/// allocation per call. The generated code uses it for a loop that saves one float per
/// iteration.
///
/// ```
/// use vjp_runtime::tape::SmallTape;
///
/// let mut tape = SmallTape::new();
/// for i in 0..40 {
///     tape.push(i as f64);
/// }
/// assert_eq!(tape.pop(), 39.0);
/// assert_eq!(tape.len(), 39);
/// ```
#[derive(Clone)]
pub struct SmallTape<T> {
    /// The first values, by position; those at `len` and above are placeholders.
    inline: [T; SMALL_TAPE],
    /// The number of values on the tape.
    len: usize,
    /// The room beyond the first [`SMALL_TAPE`] values: the value at position `p` is at
    /// `spill[p - SMALL_TAPE]`; the slots at and above `len` hold stale values or defaults.
    spill: Vec<T>,
}

impl<T: Copy + Default> SmallTape<T> {
    /// An empty tape; it allocates only when it holds more than [`SMALL_TAPE`] values.
    #[inline]
    pub fn new() -> Self {
        SmallTape {
            inline: [T::default(); SMALL_TAPE],
            len: 0,
            spill: Vec::new(),
        }
    }

    /// Makes room for at least `additional` more values (allocates only for those that do not
    /// fit in place).
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        let end = self.len.saturating_add(additional);
        if end > SMALL_TAPE + self.spill.len() {
            self.spill = grow(
                core::mem::take(&mut self.spill),
                end - SMALL_TAPE,
                T::default,
            );
        }
    }

    /// Saves `value` on top of the tape.
    #[inline]
    pub fn push(&mut self, value: T) {
        self.reserve(1);
        self.push_reserved(value);
    }

    /// Saves `value` on top of the tape, in room made before by [`SmallTape::reserve`] (as
    /// [`Tape::push_reserved`]: it never reallocates).
    ///
    /// # Panics
    /// When the value does not fit in place and there is no room left, as
    /// [`Tape::push_reserved`].
    #[inline]
    #[track_caller]
    pub fn push_reserved(&mut self, value: T) {
        let slot = match self.inline.get_mut(self.len) {
            Some(slot) => slot,
            None => match self.spill.get_mut(self.len - SMALL_TAPE) {
                Some(slot) => slot,
                None => panic!("{OVERFLOW}"),
            },
        };
        *slot = value;
        self.len += 1;
    }

    /// Removes and returns the value pushed last.
    ///
    /// # Panics
    /// When the tape is empty, as [`Tape::pop`].
    #[inline]
    #[track_caller]
    pub fn pop(&mut self) -> T {
        let Some(last) = self.len.checked_sub(1) else {
            panic!("{UNDERFLOW}");
        };
        self.len = last;
        match self.inline.get(last) {
            Some(value) => *value,
            None => self.spill[last - SMALL_TAPE],
        }
    }

    /// The number of values on the tape.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tape holds no values.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<T: Copy + core::fmt::Debug> core::fmt::Debug for SmallTape<T> {
    /// The saved values, from the first pushed to the top of the stack.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let spilled = self.len.saturating_sub(SMALL_TAPE);
        let values = self.inline.iter().take(self.len);
        f.debug_list()
            .entries(values.chain(&self.spill[..spilled]))
            .finish()
    }
}

impl<T: Copy + Default> Default for SmallTape<T> {
    /// An empty tape, the same as [`SmallTape::new`].
    fn default() -> Self {
        SmallTape::new()
    }
}

#[cfg(test)]
mod tests {
    use super::{SmallTape, Tape, SMALL_TAPE};

    #[test]
    fn small_tape_spills_and_comes_back_in_order() {
        let mut tape = SmallTape::new();
        tape.reserve(3 * SMALL_TAPE);
        for i in 0..3 * SMALL_TAPE {
            tape.push(i);
        }
        assert_eq!(tape.len(), 3 * SMALL_TAPE);
        for i in (0..3 * SMALL_TAPE).rev() {
            assert_eq!(tape.pop(), i);
        }
        assert!(tape.is_empty());
        // Refilled after emptying, across the boundary and back.
        for round in 0..3 {
            for i in 0..SMALL_TAPE + 5 {
                tape.push(round * 1000 + i);
            }
            for i in (SMALL_TAPE - 3..SMALL_TAPE + 5).rev() {
                assert_eq!(tape.pop(), round * 1000 + i);
            }
            tape.push(7);
            assert_eq!(tape.pop(), 7);
            for i in (0..SMALL_TAPE - 3).rev() {
                assert_eq!(tape.pop(), round * 1000 + i);
            }
            assert!(tape.is_empty());
        }
    }

    #[test]
    fn small_tape_reserved_pushes_in_place_and_beyond() {
        let mut tape: SmallTape<u32> = SmallTape::new();
        for n in [3, SMALL_TAPE, SMALL_TAPE + 7, 2 * SMALL_TAPE + 1] {
            tape.push(1000);
            tape.reserve(n);
            for i in 0..n as u32 {
                tape.push_reserved(i);
            }
            for i in (0..n as u32).rev() {
                assert_eq!(tape.pop(), i);
            }
            assert_eq!(tape.pop(), 1000);
            assert!(tape.is_empty());
        }
    }

    #[test]
    fn small_tape_debug_shows_the_saved_values() {
        let mut tape: SmallTape<usize> = SmallTape::new();
        for i in 0..SMALL_TAPE + 2 {
            tape.push(i);
        }
        tape.pop();
        let expected: Vec<usize> = (0..SMALL_TAPE + 1).collect();
        assert_eq!(format!("{tape:?}"), format!("{expected:?}"));
    }

    #[test]
    #[should_panic(expected = "vjp tape overflow")]
    fn small_tape_pushing_beyond_the_reserved_room_panics() {
        let mut tape: SmallTape<f64> = SmallTape::new();
        tape.reserve(SMALL_TAPE + 1);
        for i in 0..SMALL_TAPE + 100 {
            tape.push_reserved(i as f64);
        }
    }

    #[test]
    #[should_panic(expected = "vjp tape underflow")]
    fn small_tape_underflow_panics() {
        let mut tape: SmallTape<f64> = SmallTape::default();
        tape.push(1.0);
        tape.pop();
        tape.pop();
    }

    #[test]
    fn pops_in_reverse_push_order() {
        let mut tape = Tape::new();
        for i in 0..100 {
            tape.push(i);
        }
        assert_eq!(tape.len(), 100);
        for i in (0..100).rev() {
            assert_eq!(tape.pop(), i);
        }
        assert!(tape.is_empty());
    }

    #[test]
    fn holds_compound_values() {
        let mut tape: Tape<([f64; 2], f32)> = Tape::default();
        tape.push(([1.0, 2.0], 3.0));
        tape.push(([4.0, 5.0], 6.0));
        assert_eq!(tape.pop(), ([4.0, 5.0], 6.0));
        assert_eq!(tape.pop(), ([1.0, 2.0], 3.0));
    }

    #[test]
    fn capacity_and_reserve() {
        let mut tape: Tape<f64> = Tape::with_capacity(10);
        assert!(tape.capacity() >= 10);
        assert!(tape.is_empty());
        tape.reserve(50);
        assert!(tape.capacity() >= 50);
        assert_eq!(Tape::<f64>::new().capacity(), 0);
    }

    #[test]
    fn reserved_pushes_refill_the_same_slots() {
        let mut tape: Tape<[f64; 3]> = Tape::new();
        for round in 0..4 {
            tape.reserve(5);
            let capacity = tape.capacity();
            assert!(capacity >= 5);
            for i in 0..5 {
                tape.push_reserved([f64::from(round), f64::from(i), 0.5]);
            }
            assert_eq!(tape.capacity(), capacity, "no reallocation after reserve");
            for i in (0..5).rev() {
                assert_eq!(tape.pop(), [f64::from(round), f64::from(i), 0.5]);
            }
            assert!(tape.is_empty());
        }
        // Nested: an outer value, then an inner loop's values on top of it.
        tape.push([9.0; 3]);
        tape.reserve(2);
        tape.push_reserved([1.0; 3]);
        tape.push_reserved([2.0; 3]);
        assert_eq!(tape.len(), 3);
        assert_eq!(tape.pop(), [2.0; 3]);
        assert_eq!(tape.pop(), [1.0; 3]);
        assert_eq!(tape.pop(), [9.0; 3]);
    }

    #[test]
    #[should_panic(expected = "vjp tape overflow")]
    fn pushing_beyond_the_reserved_room_panics() {
        let mut tape: Tape<f64> = Tape::new();
        tape.reserve(2);
        let room = tape.capacity();
        for i in 0..=room {
            tape.push_reserved(i as f64);
        }
    }

    #[test]
    fn equality_debug_and_drop_see_only_the_saved_values() {
        let mut a: Tape<Vec<f64>> = Tape::with_capacity(10);
        let mut b: Tape<Vec<f64>> = Tape::new();
        for tape in [&mut a, &mut b] {
            tape.push(vec![1.0]);
            tape.push(vec![2.0, 3.0]);
            tape.push(vec![4.0]);
            assert_eq!(tape.pop(), vec![4.0]);
        }
        assert_eq!(a, b);
        assert_eq!(format!("{a:?}"), "[[1.0], [2.0, 3.0]]");
        assert_eq!(a.clone().pop(), vec![2.0, 3.0]);
        assert_eq!(a.len(), 2);
        b.pop();
        assert_ne!(a, b);
    }

    #[test]
    fn interleaved_push_and_pop() {
        let mut tape = Tape::new();
        tape.push(1.0);
        tape.push(2.0);
        assert_eq!(tape.pop(), 2.0);
        tape.push(3.0);
        assert_eq!(tape.pop(), 3.0);
        assert_eq!(tape.pop(), 1.0);
        assert_eq!(tape.len(), 0);
    }

    #[test]
    #[should_panic(
        expected = "vjp tape underflow: the reverse sweep popped more values than the forward sweep pushed (a bug in vjp)"
    )]
    fn popping_an_empty_tape_panics() {
        let mut tape: Tape<f64> = Tape::new();
        tape.push(1.0);
        tape.pop();
        tape.pop();
    }
}

/// What the reverse sweep of a running maximum or minimum (`m = m.max(e)` in a loop, `m` read
/// nowhere else in it) needs instead of a tape of `m`'s values: the forward sweep records,
/// per step, whether `e` won strictly and whether `m` was NaN, and the reverse sweep rebuilds
/// from that a value of `m` at the start of each step ([`RunningExtremum::old`]) with which the
/// rule of `max` (or `min`) gives the same partial derivatives, bit for bit, as with the true
/// value:
/// - after the last step `e` won strictly (and at every step when it never did), `m` equals
///   the final value in every comparison (it can only have tied with it since);
/// - at that step the rule gives `(0, 1)`, as it does for a NaN `m` and a number `e`;
/// - before it, the adjoint that reaches `m` is `w · 0` (zero, or NaN when `w` is not finite),
///   so any finite partials give the same products: the final value serves;
/// - while `m` is still NaN (a NaN start, and NaN `e`s), NaN is the true value.
///
/// ```
/// use vjp_runtime::tape::RunningExtremum;
///
/// let values = [1.0_f64, 3.0, 2.0, 3.0];
/// let mut m = values[0];
/// let mut record = RunningExtremum::new();
/// for &e in &values[1..] {
///     let old = m;
///     m = m.max(e);
///     record.record_max(old, e, m);
/// }
/// assert_eq!(record.old(), 3.0); // the tie with 3.0 at the last step
/// assert_eq!(record.old(), 3.0); // 2.0 lost to 3.0
/// assert!(record.old().is_nan()); // 3.0 won strictly: the rule gives (0, 1)
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RunningExtremum<T> {
    /// The steps recorded and not yet taken back.
    steps: usize,
    /// The last step (counting from 1) at which the operand won strictly; 0 if none did.
    won: usize,
    /// The last step at whose start `m` was NaN; 0 if none.
    nan: usize,
    /// `m` after the last step recorded.
    last: T,
}

impl<T: crate::Real> RunningExtremum<T> {
    /// No steps recorded.
    #[inline]
    pub fn new() -> Self {
        RunningExtremum {
            steps: 0,
            won: 0,
            nan: 0,
            last: T::zero(),
        }
    }

    /// Records `new = old.max(operand)`.
    #[inline]
    pub fn record_max(&mut self, old: T, operand: T, new: T) {
        self.record(old, operand > old, new);
    }

    /// Records `new = old.min(operand)`.
    #[inline]
    pub fn record_min(&mut self, old: T, operand: T, new: T) {
        self.record(old, operand < old, new);
    }

    #[inline]
    fn record(&mut self, old: T, beats: bool, new: T) {
        self.steps += 1;
        let old_nan = old.is_nan();
        // The rule's `(0, 1)`: the operand is larger (smaller), or `old` alone is NaN.
        if beats || (old_nan && !new.is_nan()) {
            self.won = self.steps;
        }
        if old_nan {
            self.nan = self.steps;
        }
        self.last = new;
    }

    /// A value of `m` at the start of the last step not yet taken back, with which the rule
    /// gives that step's partial derivatives (see the type's documentation); takes the step
    /// back.
    ///
    /// # Panics
    /// When every recorded step was taken back already (a bug in vjp).
    #[inline]
    #[track_caller]
    pub fn old(&mut self) -> T {
        let step = self.steps;
        self.steps = match step.checked_sub(1) {
            Some(s) => s,
            None => panic!("{UNDERFLOW}"),
        };
        if step <= self.nan || step == self.won {
            T::NAN
        } else {
            self.last
        }
    }
}

impl<T: crate::Real> Default for RunningExtremum<T> {
    fn default() -> Self {
        Self::new()
    }
}
