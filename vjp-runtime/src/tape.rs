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

#[cfg(test)]
mod tests {
    use super::Tape;

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
