//! The [`Tape`]: a stack of values saved by the forward sweep of a loop for its reverse sweep.
//!
//! A loop body that overwrites a variable loses the value its derivative needs. The generated
//! forward sweep pushes that value before each overwrite; the reverse sweep runs the iterations
//! backwards and pops them in the opposite order, so the stack discipline (last in, first out)
//! is exactly the reversal.

/// The message of the panic when the reverse sweep pops from an empty tape.
const UNDERFLOW: &str = "vjp tape underflow: the reverse sweep popped more values than the \
                         forward sweep pushed (a bug in vjp)";

/// A last-in, first-out stack of saved values, backed by a `Vec`.
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
#[derive(Debug, Clone, PartialEq)]
pub struct Tape<T> {
    /// The saved values; the top of the stack is the end of the vector.
    values: Vec<T>,
}

impl<T> Tape<T> {
    /// An empty tape that has not allocated yet.
    pub fn new() -> Self {
        Tape { values: Vec::new() }
    }

    /// An empty tape with room for `n` values before it reallocates (use the trip count of the
    /// loop when it is known).
    pub fn with_capacity(n: usize) -> Self {
        Tape {
            values: Vec::with_capacity(n),
        }
    }

    /// Makes room for at least `additional` more values.
    pub fn reserve(&mut self, additional: usize) {
        self.values.reserve(additional);
    }

    /// Saves `value` on top of the tape.
    #[inline]
    pub fn push(&mut self, value: T) {
        self.values.push(value);
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
        match self.values.pop() {
            Some(value) => value,
            None => panic!("{UNDERFLOW}"),
        }
    }

    /// The number of values on the tape.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the tape holds no values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The number of values the tape can hold without reallocating.
    pub fn capacity(&self) -> usize {
        self.values.capacity()
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
#[derive(Debug, Clone)]
pub struct SmallTape<T> {
    /// The first values, by position; those at `len` and above are placeholders.
    inline: [T; SMALL_TAPE],
    /// The number of values on the tape.
    len: usize,
    /// The values beyond the first [`SMALL_TAPE`], in order.
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
        if end > SMALL_TAPE {
            self.spill.reserve(end - self.len.max(SMALL_TAPE));
        }
    }

    /// Saves `value` on top of the tape.
    #[inline]
    pub fn push(&mut self, value: T) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = value,
            None => self.spill.push(value),
        }
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
            None => match self.spill.pop() {
                Some(value) => value,
                None => panic!("{UNDERFLOW}"),
            },
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
