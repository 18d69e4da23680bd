//! Items that generated code uses and users do not: not part of the public API.

/// The cotangents a callee's `_vjp` returns, one per float argument of the call: a call from
/// differentiable code takes them apart by position, so their number must match.
#[diagnostic::on_unimplemented(
    message = "the `_vjp` of this call returns `{Self}`, which is not one cotangent per float argument",
    label = "one cotangent per float argument expected here",
    note = "vjp passes every float argument's cotangent back by position; a callee whose float parameter is `#[no_grad]` cannot be called from differentiable code with a float argument there: drop `#[no_grad]` from that parameter (its cotangent is then computed, and ignored where the argument is constant)"
)]
pub trait Cotangents<const N: usize> {}

macro_rules! cotangents {
    ($($n:literal: ($($t:ident),*)),* $(,)?) => {
        $( impl<$($t),*> Cotangents<$n> for ($($t,)*) {} )*
    };
}

cotangents!(
    0: (),
    1: (A),
    2: (A, B),
    3: (A, B, C),
    4: (A, B, C, D),
    5: (A, B, C, D, E),
    6: (A, B, C, D, E, F),
    7: (A, B, C, D, E, F, G),
    8: (A, B, C, D, E, F, G, H),
    9: (A, B, C, D, E, F, G, H, I),
    10: (A, B, C, D, E, F, G, H, I, J),
    11: (A, B, C, D, E, F, G, H, I, J, K),
    12: (A, B, C, D, E, F, G, H, I, J, K, L),
);

/// `grads`, checked to hold `N` cotangents.
#[inline(always)]
pub fn cotangents<const N: usize, G: Cotangents<N>>(grads: G) -> G {
    grads
}

/// Containers whose elements have a zero that can be made without reading an element (which
/// might not exist): arrays, slices, `Vec`s, and references to them.
pub trait ElementZero {
    /// The element type.
    type Element;
    /// A zero of the element type.
    fn element_zero(&self) -> Self::Element;
}

impl<T: crate::Tangent> ElementZero for [T] {
    type Element = T;
    #[inline(always)]
    fn element_zero(&self) -> T {
        T::zero()
    }
}

impl<T: crate::Tangent, const N: usize> ElementZero for [T; N] {
    type Element = T;
    #[inline(always)]
    fn element_zero(&self) -> T {
        T::zero()
    }
}

impl<T: crate::Tangent> ElementZero for Vec<T> {
    type Element = T;
    #[inline(always)]
    fn element_zero(&self) -> T {
        T::zero()
    }
}

impl<C: ElementZero + ?Sized> ElementZero for &C {
    type Element = C::Element;
    #[inline(always)]
    fn element_zero(&self) -> C::Element {
        (**self).element_zero()
    }
}

impl<C: ElementZero + ?Sized> ElementZero for &mut C {
    type Element = C::Element;
    #[inline(always)]
    fn element_zero(&self) -> C::Element {
        (**self).element_zero()
    }
}

/// A zero of the element type of `container`, without indexing it: the start of a local sum
/// of the contributions to one element's adjoint inside a loop, which is added to the element
/// after the loop (only when non-zero, so that an index the loop never used is not evaluated).
#[inline(always)]
pub fn element_zero<C: ElementZero + ?Sized>(container: &C) -> C::Element {
    container.element_zero()
}

/// The one of `value`'s float type: the seed of a local Jacobian's column (see the forward
/// mode's preaccumulated loops).
#[inline(always)]
pub fn one_like<T: crate::Real>(_value: &T) -> T {
    T::one()
}

/// True when `value` is not exactly zero (a NaN is not zero).
#[inline(always)]
pub fn nonzero<T: crate::Real>(value: T) -> bool {
    value != T::zero()
}

/// The primitive integer types: a loop counter that the reverse sweep steps back instead of
/// saving (`l += 1` in the forward sweep, `l -= 1` in the reverse) must be one, so that the
/// step back undoes the step exactly.
#[diagnostic::on_unimplemented(
    message = "vjp steps this loop variable back in the reverse sweep, but `{Self}` is not a primitive integer",
    note = "a variable updated with `v = v + 1` (an integer literal) in a loop must be a primitive integer"
)]
pub trait Integer: Copy {
    /// `self` before `trips` steps of `step` (`+` when `up`), in the wrapping arithmetic
    /// that the steps themselves use when they do not panic.
    fn before_steps(self, step: Self, trips: usize, up: bool) -> Self;
}

macro_rules! integers {
    ($($t:ty),*) => { $(
        impl Integer for $t {
            #[inline(always)]
            fn before_steps(self, step: Self, trips: usize, up: bool) -> Self {
                // `trips as $t` keeps `trips` modulo 2^bits, which is all the wrapping
                // product needs.
                let total = step.wrapping_mul(trips as $t);
                if up {
                    self.wrapping_sub(total)
                } else {
                    self.wrapping_add(total)
                }
            }
        }
    )* };
}

integers!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

/// `value`, checked to be a primitive integer: where the reverse sweep starts stepping a loop
/// variable back from its value after the loop.
#[inline(always)]
pub fn rewind_start<T: Integer>(value: T) -> T {
    value
}

/// `value` before the iterations of `range`, the range of an inner loop that steps it by
/// `step` at each (`+` when `up`): where the reverse sweep of an outer loop finds the value at
/// which its iteration started, when the inner loop's reverse steps it forwards again from
/// there. The range's length comes from its size hint, exact for the ranges of integers that
/// the macro accepts here (`lo..hi`, `lo..=hi`, `.rev()`; checked).
#[inline(always)]
#[track_caller]
pub fn rewind_span<T: Integer, R: Iterator>(value: T, step: T, range: &R, up: bool) -> T {
    let (trips, upper) = range.size_hint();
    assert!(
        upper == Some(trips),
        "vjp: the trip count of an inner loop's range is not known exactly"
    );
    value.before_steps(step, trips, up)
}

/// The position in a slice of element `j` of its window (or exact chunk) that starts at
/// `start` and holds `len` elements: `start + j`, after the check that indexing the window
/// itself makes. `for w in xs.windows(m)` over floats is differentiated as an index loop that
/// reads `xs[window_index(i, j, m)]` for `w[j]`.
///
/// # Panics
/// When `j >= len`, with the message of an out-of-bounds index into the window.
#[inline(always)]
#[track_caller]
pub fn window_index(start: usize, j: usize, len: usize) -> usize {
    if j >= len {
        panic!("index out of bounds: the len is {len} but the index is {j}");
    }
    start + j
}

/// The number of windows `xs.windows(size)` yields for `xs.len() == len`.
///
/// # Panics
/// When `size` is 0, as `windows` does.
#[inline]
#[track_caller]
pub fn window_count(len: usize, size: usize) -> usize {
    assert!(size != 0, "window size must be non-zero");
    if len >= size {
        len - size + 1
    } else {
        0
    }
}

/// The number of chunks `xs.chunks_exact(size)` yields for `xs.len() == len`.
///
/// # Panics
/// When `size` is 0, as `chunks_exact` does.
#[inline]
#[track_caller]
pub fn chunk_count(len: usize, size: usize) -> usize {
    assert!(size != 0, "chunk size must be non-zero");
    len / size
}

/// The length of `xs[start..end]` for `xs.len() == len`: `end - start`, after the checks that
/// slicing makes. A loop over `xs[a..b].iter()` over floats is differentiated as an index loop
/// over `0..slice_len(xs.len(), a, b)` that reads `xs[a + k]`.
///
/// # Panics
/// When `start > end` or `end > len`, with the messages of slicing.
#[inline]
#[track_caller]
pub fn slice_len(len: usize, start: usize, end: usize) -> usize {
    if start > end {
        panic!("slice index starts at {start} but ends at {end}");
    }
    if end > len {
        panic!("range end index {end} out of range for slice of length {len}");
    }
    end - start
}

/// The end of a half-open range for the inclusive end `end` of `xs[a..=end]`.
///
/// # Panics
/// When `end` is `usize::MAX`, as slicing does.
#[inline]
#[track_caller]
pub fn inclusive_end(end: usize) -> usize {
    match end.checked_add(1) {
        Some(end) => end,
        None => panic!("attempted to index slice up to maximum usize"),
    }
}

/// The length of `xs[start..]` for `xs.len() == len`, after the check that slicing makes.
///
/// # Panics
/// When `start > len`, with the message of slicing.
#[inline]
#[track_caller]
pub fn slice_len_from(len: usize, start: usize) -> usize {
    if start > len {
        panic!("range start index {start} out of range for slice of length {len}");
    }
    len - start
}

/// The number of elements `step_by(step)` yields from an iterator of `count` elements (the
/// first, then every `step`-th).
///
/// # Panics
/// When `step` is 0, as `step_by` does.
#[inline]
#[track_caller]
pub fn step_count(count: usize, step: usize) -> usize {
    assert!(step != 0, "assertion failed: step != 0");
    count.div_ceil(step)
}

/// The primitive integer types, in which the trip count of a loop is estimated at the top of
/// a generated function (see [`hoist_span`]): arithmetic that saturates or gives 0 instead of
/// panicking, so that the estimate never panics where the loop itself would not.
pub trait HoistInt: Copy + PartialOrd {
    /// `self + other`, saturating.
    fn hoist_add(self, other: Self) -> Self;
    /// `self - other`, saturating.
    fn hoist_sub(self, other: Self) -> Self;
    /// `self * other`, saturating.
    fn hoist_mul(self, other: Self) -> Self;
    /// `self / other`, 0 when `other` is 0 or the quotient overflows.
    fn hoist_div(self, other: Self) -> Self;
    /// `self % other`, 0 when `other` is 0 or the remainder overflows.
    fn hoist_rem(self, other: Self) -> Self;
    /// `hi - self` when `hi > self`, else 0, saturating at `usize::MAX`.
    fn hoist_span(self, hi: Self) -> usize;
}

macro_rules! hoist_ints {
    ($($t:ty),*) => { $(
        impl HoistInt for $t {
            #[inline]
            fn hoist_add(self, other: Self) -> Self {
                self.saturating_add(other)
            }
            #[inline]
            fn hoist_sub(self, other: Self) -> Self {
                self.saturating_sub(other)
            }
            #[inline]
            fn hoist_mul(self, other: Self) -> Self {
                self.saturating_mul(other)
            }
            #[inline]
            fn hoist_div(self, other: Self) -> Self {
                self.checked_div(other).unwrap_or(0)
            }
            #[inline]
            fn hoist_rem(self, other: Self) -> Self {
                self.checked_rem(other).unwrap_or(0)
            }
            #[inline]
            fn hoist_span(self, hi: Self) -> usize {
                if hi > self {
                    // `abs_diff` is the unsigned difference, which cannot overflow.
                    usize::try_from(hi.abs_diff(self)).unwrap_or(usize::MAX)
                } else {
                    0
                }
            }
        }
    )* };
}

hoist_ints!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

/// `a + b`, saturating.
#[inline]
pub fn hoist_add<T: HoistInt>(a: T, b: T) -> T {
    a.hoist_add(b)
}

/// `a - b`, saturating.
#[inline]
pub fn hoist_sub<T: HoistInt>(a: T, b: T) -> T {
    a.hoist_sub(b)
}

/// `a * b`, saturating.
#[inline]
pub fn hoist_mul<T: HoistInt>(a: T, b: T) -> T {
    a.hoist_mul(b)
}

/// `a / b`, 0 when `b` is 0 or the quotient overflows (`MIN / -1`).
#[inline]
pub fn hoist_div<T: HoistInt>(a: T, b: T) -> T {
    a.hoist_div(b)
}

/// `a % b`, 0 when `b` is 0 or the remainder overflows (`MIN % -1`).
#[inline]
pub fn hoist_rem<T: HoistInt>(a: T, b: T) -> T {
    a.hoist_rem(b)
}

/// `x` itself, typed `T`: a `let n: T = e;` read by a loop's range, rewritten for the top of
/// the function, gives `e` the same type as the user's code did.
#[inline]
pub fn hoist_as<T>(x: T) -> T {
    x
}

/// The length of `lo..hi`: `hi - lo` when `hi > lo`, else 0, saturating at `usize::MAX`.
#[inline]
pub fn hoist_span<T: HoistInt>(lo: T, hi: T) -> usize {
    lo.hoist_span(hi)
}

/// The length of `lo..=hi`: `hi - lo + 1` when `hi >= lo`, else 0, saturating at `usize::MAX`.
#[inline]
pub fn hoist_span_inclusive<T: HoistInt>(lo: T, hi: T) -> usize {
    if hi >= lo {
        lo.hoist_span(hi).saturating_add(1)
    } else {
        0
    }
}

/// The type of the values of a [`Spill`](crate::arena::Spill), for choosing where they go:
/// `(&Stow::of(&value)).by()` is [`ByWords`] when the type is
/// [`Word`](crate::arena::Word) and [`ByValue`] otherwise (the method found first, on
/// `&Stow<T>`, needs `T: Word`; the other one, on `&&Stow<T>`, needs nothing). The choice is
/// made by the compiler where the type is known; it costs nothing at run time.
pub struct Stow<T>(core::marker::PhantomData<fn() -> T>);

impl<T> Stow<T> {
    /// The type of `value`.
    #[inline(always)]
    pub fn of(value: &T) -> Self {
        let _ = value;
        Stow(core::marker::PhantomData)
    }

    /// The type of `spill`'s values.
    #[inline(always)]
    pub fn of_spill(spill: &crate::arena::Spill<T>) -> Self {
        let _ = spill;
        Stow(core::marker::PhantomData)
    }
}

/// Values made of words go on the spill's lane of the arena (see [`Stow`]).
pub trait StowWords {
    /// [`ByWords`].
    #[inline(always)]
    fn by(&self) -> ByWords {
        ByWords
    }
}

impl<T: crate::arena::Word> StowWords for Stow<T> {}

/// Other values go into the spill's own `Vec` (see [`Stow`]).
pub trait StowValues {
    /// [`ByValue`].
    #[inline(always)]
    fn by(&self) -> ByValue {
        ByValue
    }
}

impl<T> StowValues for &Stow<T> {}

/// A [`Spill`](crate::arena::Spill) whose values are words: they go on its lane.
pub struct ByWords;

impl ByWords {
    /// Saves `value` on `spill`.
    #[inline(always)]
    pub fn push<T: crate::arena::Word>(
        self,
        arena: &mut crate::arena::Arena,
        spill: &mut crate::arena::Spill<T>,
        value: T,
    ) {
        spill.push_words(arena, value);
    }

    /// Takes back the value on top of `spill`.
    #[inline(always)]
    pub fn pop<T: crate::arena::Word>(
        self,
        arena: &mut crate::arena::Arena,
        spill: &mut crate::arena::Spill<T>,
    ) -> T {
        spill.pop_words(arena)
    }
}

/// A [`Spill`](crate::arena::Spill) whose values are not words: they go into its own `Vec`.
pub struct ByValue;

impl ByValue {
    /// Saves `value` on `spill`.
    #[inline(always)]
    pub fn push<T>(
        self,
        arena: &mut crate::arena::Arena,
        spill: &mut crate::arena::Spill<T>,
        value: T,
    ) {
        let _ = arena;
        spill.push_apart(value);
    }

    /// Takes back the value on top of `spill`.
    #[inline(always)]
    pub fn pop<T>(self, arena: &mut crate::arena::Arena, spill: &mut crate::arena::Spill<T>) -> T {
        let _ = arena;
        spill.pop_apart()
    }
}

#[cfg(test)]
mod tests {
    use super::rewind_span;

    /// Stepping `start` forwards `trips` times and then back with `rewind_span` gives `start`
    /// again, also where the steps wrap (in release builds) and where `trips` does not fit
    /// the integer type.
    #[test]
    fn rewind_span_undoes_the_steps() {
        fn check<T: super::Integer + PartialEq + std::fmt::Debug>(
            start: T,
            step: T,
            trips: usize,
            add: impl Fn(T, T) -> T,
            sub: impl Fn(T, T) -> T,
        ) {
            let (mut up, mut down) = (start, start);
            for _ in 0..trips {
                up = add(up, step);
                down = sub(down, step);
            }
            assert_eq!(rewind_span(up, step, &(0..trips), true), start);
            assert_eq!(rewind_span(down, step, &(0..trips), false), start);
        }
        check(7usize, 1, 45, usize::wrapping_add, usize::wrapping_sub);
        check(250u8, 3, 300, u8::wrapping_add, u8::wrapping_sub);
        check(-5i8, 2, 1000, i8::wrapping_add, i8::wrapping_sub);
        check(0i64, -4, 17, i64::wrapping_add, i64::wrapping_sub);
        assert_eq!(rewind_span(100usize, 2, &(1..=10), true), 80);
        assert_eq!(rewind_span(80usize, 2, &(0..10).rev(), false), 100);
        let empty = 3..std::hint::black_box(1);
        assert_eq!(rewind_span(7i32, 1, &empty, true), 7);
    }

    /// The spans are the lengths of the ranges, 0 for empty ones, saturating at `usize::MAX`;
    /// unsuffixed literals infer their type from the other argument, or default to `i32`.
    #[test]
    fn hoist_spans() {
        use super::{hoist_span, hoist_span_inclusive};
        let n: usize = 7;
        assert_eq!(hoist_span(0, n), 7);
        assert_eq!(hoist_span(0, 10), 10);
        assert_eq!(hoist_span_inclusive(1, 10), 10);
        assert_eq!((1..=10).count(), 10);
        // Empty and backwards ranges.
        assert_eq!(hoist_span(5, 5), 0);
        assert_eq!(hoist_span(9u8, 3), 0);
        assert_eq!(hoist_span(-2i32, -7), 0);
        assert_eq!(hoist_span_inclusive(5, 5), 1);
        assert_eq!(hoist_span_inclusive(6usize, 5), 0);
        assert_eq!(hoist_span_inclusive(-3i8, -4), 0);
        // Negative bounds.
        assert_eq!(hoist_span(-5i64, 3), 8);
        assert_eq!(hoist_span_inclusive(-5i64, -5), 1);
        assert_eq!(hoist_span(i8::MIN, i8::MAX), 255);
        assert_eq!(hoist_span_inclusive(i8::MIN, i8::MAX), 256);
        // Saturation.
        assert_eq!(
            hoist_span(i64::MIN, i64::MAX) as u128,
            (u64::MAX as u128).min(usize::MAX as u128)
        );
        assert_eq!(hoist_span(i128::MIN, i128::MAX), usize::MAX);
        assert_eq!(hoist_span(0, u128::MAX), usize::MAX);
        assert_eq!(hoist_span_inclusive(0, usize::MAX), usize::MAX);
        assert_eq!(hoist_span_inclusive(isize::MIN, isize::MAX), usize::MAX);
        assert_eq!(hoist_span_inclusive(u128::MIN, u128::MAX), usize::MAX);
    }

    /// The arithmetic saturates, and division and remainder give 0 instead of panicking.
    #[test]
    fn hoist_arithmetic() {
        use super::{hoist_add, hoist_div, hoist_mul, hoist_rem, hoist_sub};
        assert_eq!(hoist_add(2, 3), 5);
        assert_eq!(hoist_add(usize::MAX, 1), usize::MAX);
        assert_eq!(hoist_add(i32::MIN, -1), i32::MIN);
        assert_eq!(hoist_sub(3usize, 5), 0);
        assert_eq!(hoist_sub(-100i8, 100), i8::MIN);
        assert_eq!(hoist_mul(6u8, 7), 42);
        assert_eq!(hoist_mul(u64::MAX, 2), u64::MAX);
        assert_eq!(hoist_mul(i16::MIN, 2), i16::MIN);
        assert_eq!(hoist_div(17usize, 5), 3);
        assert_eq!(hoist_rem(17usize, 5), 2);
        assert_eq!(hoist_div(-7i32, 2), -3);
        assert_eq!(hoist_rem(-7i32, 2), -1);
        // Division by zero.
        assert_eq!(hoist_div(17usize, 0), 0);
        assert_eq!(hoist_rem(17usize, 0), 0);
        assert_eq!(hoist_div(i64::MIN, 0), 0);
        assert_eq!(hoist_rem(0u128, 0), 0);
        // `MIN / -1` overflows.
        assert_eq!(hoist_div(i32::MIN, -1), 0);
        assert_eq!(hoist_rem(i32::MIN, -1), 0);
        assert_eq!(hoist_div(isize::MIN, -1), 0);
        assert_eq!(hoist_div(i8::MIN, std::hint::black_box(-1)), 0);
    }
}
