//! The trait [`Tangent`]: values that can hold a cotangent (or tangent) and be summed into.
//!
//! The reverse sweep starts every cotangent at [`Tangent::zero`] and adds each contribution
//! with [`Tangent::accumulate`]; the cotangent of a by-value parameter has the parameter's own
//! type, so the trait is implemented for the scalars and for arrays and tuples of them.

use crate::real::Real;

/// The type of the cotangent (reverse mode) or tangent (forward mode) of a by-value value.
///
/// Implemented for every [`Real`], for arrays `[A; N]` and for tuples of 1 to 8 elements
/// (and `()`) whose elements are `Tangent`, nested to any depth.
///
/// ```
/// use vjp_runtime::Tangent;
///
/// let mut bar: ([f64; 2], f32) = Tangent::zero();
/// bar.accumulate(([1.0, 2.0], 0.5));
/// bar.accumulate(([1.0, 0.0], 0.25));
/// assert_eq!(bar, ([2.0, 2.0], 0.75));
/// ```
pub trait Tangent: Clone {
    /// The additive identity: every component 0.
    fn zero() -> Self;
    /// A zero of the same shape as `self` (for a `Vec`, of the same length).
    fn zero_shaped(&self) -> Self {
        Self::zero()
    }
    /// Adds `other` into `self`, component by component (`*self += other`).
    fn accumulate(&mut self, other: Self);
}

/// A zero of the same type (and, for a `Vec`, length) as `value`, for when the type is not
/// written out.
///
/// ```
/// let x = [1.5_f64, -2.0];
/// assert_eq!(vjp_runtime::zero_like(&x), [0.0, 0.0]);
/// ```
#[inline]
pub fn zero_like<A: Tangent>(value: &A) -> A {
    value.zero_shaped()
}

impl<T: Real> Tangent for T {
    #[inline]
    fn zero() -> Self {
        <T as Real>::zero()
    }
    #[inline]
    fn accumulate(&mut self, other: Self) {
        *self += other;
    }
}

impl<A: Tangent, const N: usize> Tangent for [A; N] {
    #[inline]
    fn zero() -> Self {
        core::array::from_fn(|_| A::zero())
    }
    #[inline]
    fn zero_shaped(&self) -> Self {
        core::array::from_fn(|i| self[i].zero_shaped())
    }
    #[inline]
    fn accumulate(&mut self, other: Self) {
        for (mine, theirs) in self.iter_mut().zip(other) {
            mine.accumulate(theirs);
        }
    }
}

/// A local buffer: its cotangent is a `Vec` of the same length. `accumulate` adds element by
/// element, growing `self` if it is shorter (a zero made by `zero()` is empty).
impl<A: Tangent> Tangent for Vec<A> {
    #[inline]
    fn zero() -> Self {
        Vec::new()
    }
    #[inline]
    fn zero_shaped(&self) -> Self {
        self.iter().map(Tangent::zero_shaped).collect()
    }
    #[inline]
    fn accumulate(&mut self, other: Self) {
        for (i, theirs) in other.into_iter().enumerate() {
            match self.get_mut(i) {
                Some(mine) => mine.accumulate(theirs),
                None => self.push(theirs),
            }
        }
    }
}

/// Integers and `bool` carry no derivative: their cotangent is always zero, so a tuple that
/// mixes floats and integers (`(f64, usize)`) still has a cotangent of its own type, with the
/// integer components left at zero.
macro_rules! impl_tangent_inactive {
    ($($ty:ty = $zero:expr),* $(,)?) => {
        $(
            impl Tangent for $ty {
                #[inline]
                fn zero() -> Self {
                    $zero
                }
                #[inline]
                fn accumulate(&mut self, _other: Self) {}
            }
        )*
    };
}

impl_tangent_inactive!(
    i8 = 0,
    i16 = 0,
    i32 = 0,
    i64 = 0,
    i128 = 0,
    isize = 0,
    u8 = 0,
    u16 = 0,
    u32 = 0,
    u64 = 0,
    u128 = 0,
    usize = 0,
    bool = false,
);

/// `value` converted to the float type of `like`: the cotangent of `x as F` flows back to `x`
/// through this conversion (`f32` ↔ `f64`, or the identity).
#[inline]
pub fn cast_like<A: Real, B: Real>(_like: &A, value: B) -> A {
    A::from_f64(value.to_f64())
}

impl Tangent for () {
    #[inline]
    fn zero() -> Self {}
    #[inline]
    fn accumulate(&mut self, _: Self) {}
}

/// Implements [`Tangent`] for the tuple of the given element type names and their indices.
macro_rules! impl_tangent_tuple {
    ($($name:ident $index:tt),+) => {
        impl<$($name: Tangent),+> Tangent for ($($name,)+) {
            #[inline]
            fn zero() -> Self {
                ($($name::zero(),)+)
            }
            #[inline]
            fn zero_shaped(&self) -> Self {
                ($(self.$index.zero_shaped(),)+)
            }
            #[inline]
            fn accumulate(&mut self, other: Self) {
                $(self.$index.accumulate(other.$index);)+
            }
        }
    };
}

impl_tangent_tuple!(A 0);
impl_tangent_tuple!(A 0, B 1);
impl_tangent_tuple!(A 0, B 1, C 2);
impl_tangent_tuple!(A 0, B 1, C 2, D 3);
impl_tangent_tuple!(A 0, B 1, C 2, D 3, E 4);
impl_tangent_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
impl_tangent_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
impl_tangent_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

#[cfg(test)]
mod tests {
    use super::{zero_like, Tangent};

    #[test]
    fn scalars_use_the_blanket_impl() {
        let mut x: f64 = Tangent::zero();
        x.accumulate(1.5);
        x.accumulate(-0.25);
        assert_eq!(x, 1.25);
        let mut y = <f32 as Tangent>::zero();
        y.accumulate(2.0);
        assert_eq!(y, 2.0);
    }

    #[test]
    fn arrays_accumulate_componentwise_without_default() {
        // 40 elements: longer than the arrays that implement `Default`.
        let mut bar = <[f64; 40]>::zero();
        let mut one = [0.0; 40];
        one[39] = 1.0;
        bar.accumulate(one);
        bar.accumulate(one);
        assert_eq!(bar[39], 2.0);
        assert_eq!(bar[..39].iter().sum::<f64>(), 0.0);
        let empty: [f32; 0] = Tangent::zero();
        assert_eq!(empty.len(), 0);
    }

    #[test]
    fn nested_arrays_and_tuples() {
        let mut bar: ([f64; 3], (f32, f64)) = Tangent::zero();
        assert_eq!(bar, ([0.0; 3], (0.0, 0.0)));
        bar.accumulate(([1.0, 2.0, 3.0], (0.5, -1.0)));
        bar.accumulate(([1.0, 1.0, 1.0], (0.25, 3.0)));
        assert_eq!(bar, ([2.0, 3.0, 4.0], (0.75, 2.0)));
        let mut grid = <[[f64; 2]; 2]>::zero();
        grid.accumulate([[1.0, 2.0], [3.0, 4.0]]);
        assert_eq!(grid, [[1.0, 2.0], [3.0, 4.0]]);
    }

    #[test]
    fn tuples_of_one_to_eight() {
        let mut one: (f64,) = Tangent::zero();
        one.accumulate((2.0,));
        assert_eq!(one, (2.0,));
        type Eight = (f64, f32, f64, f32, f64, f32, f64, [f64; 1]);
        let mut eight = Eight::zero();
        eight.accumulate((1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, [8.0]));
        eight.accumulate((1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, [1.0]));
        assert_eq!(eight, (2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, [9.0]));
        let mut with_unit: ((), f64) = Tangent::zero();
        with_unit.accumulate(((), 1.0));
        assert_eq!(with_unit.1, 1.0);
    }

    #[test]
    fn zero_like_matches_the_shape() {
        let x = ([1.0_f64, 2.0], (3.0_f32,));
        assert_eq!(zero_like(&x), ([0.0, 0.0], (0.0,)));
        assert_eq!(zero_like(&7.0_f64), 0.0);
    }
}

#[cfg(test)]
mod inactive_tests {
    use super::*;

    #[test]
    fn mixed_tuples_keep_integer_components_at_zero() {
        let mut t = <(f64, usize) as Tangent>::zero();
        t.accumulate((1.5, 7));
        assert_eq!(t, (1.5, 0));
    }

    #[test]
    fn cast_like_converts_between_float_types() {
        assert_eq!(cast_like(&1.0f32, 2.5f64), 2.5f32);
        assert_eq!(cast_like(&1.0f64, 0.25f32), 0.25f64);
    }
}

#[cfg(test)]
mod vec_tests {
    use super::*;

    #[test]
    fn vec_zeros_have_the_length_of_their_model() {
        let v = vec![1.0, 2.0, 3.0];
        assert_eq!(zero_like(&v), vec![0.0; 3]);
        let mut acc: Vec<f64> = Tangent::zero();
        acc.accumulate(vec![1.0, 2.0]);
        acc.accumulate(vec![0.5, 0.5, 4.0]);
        assert_eq!(acc, vec![1.5, 2.5, 4.0]);
    }
}
