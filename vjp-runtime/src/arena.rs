//! The [`Arena`]: one buffer for all the tapes of a call, so that a generated adjoint makes
//! at most one allocation for the values its loops save.
//!
//! Each tape of the call is a [`Lane`]: a stack of its own (last in, first out), in a region
//! of the arena's buffer. The values are stored as 64-bit words ([`Word`]), so that lanes of
//! different types share one buffer without unsafe code. The generated code makes the buffer
//! once, when the function starts, as large as the trip counts of the loops that the
//! parameters fix require ([`Arena::with_capacity`]). A loop makes room for its lane when it
//! starts ([`Arena::reserve`]): in the buffer when it is there, else by growing the buffer, so
//! that a wrong size costs an allocation, never a value. Regions are not given back during a
//! call: a lane that outgrows its region moves to a new one after the last. A dropped arena
//! leaves its buffer to the next one made on the same thread, which keeps up to [`SPARES`] of
//! them (of up to [`SPARE_LIMIT`] words), one per arena alive at once, so that a function
//! called again and again allocates on its first call only.
//!
//! ```
//! use vjp_runtime::arena::{Arena, Lane};
//!
//! let (mut floats, mut pairs) = (Lane::new(), Lane::new());
//! let mut arena = Arena::with_capacity(floats.words(3) + pairs.words(1));
//! arena.reserve(&mut floats, 3);
//! for i in 0..3 {
//!     arena.push_reserved(&mut floats, i as f64);
//! }
//! arena.push(&mut pairs, ([1.0_f32, 2.0], 7_usize));
//! assert_eq!(arena.pop(&mut floats), 2.0);
//! assert_eq!(arena.pop(&mut pairs), ([1.0, 2.0], 7));
//! assert_eq!(floats.len(), 2);
//! assert!(arena.capacity() >= 6);
//! ```

use core::cell::Cell;
use core::marker::PhantomData;

/// The message of the panic when a value is pushed with [`Arena::push_reserved`] beyond the
/// room made by [`Arena::reserve`].
const OVERFLOW: &str = "vjp tape overflow: the forward sweep pushed more values than it \
                        reserved room for (a bug in vjp)";

/// The message of the panic when the reverse sweep takes back more than was saved.
const UNDERFLOW: &str = "vjp tape underflow: the reverse sweep popped more values than the \
                         forward sweep pushed (a bug in vjp)";

/// The largest size, in words, that [`Arena::with_capacity`] allocates (128 MiB): beyond it,
/// the buffer grows as values come, so that a loop that is never run costs no huge
/// allocation.
pub const PRESIZE_LIMIT: usize = 1 << 24;

/// The most fields a tuple implementing [`Word`] has.
pub const TUPLE_ARITY: usize = 32;

/// A value that an [`Arena`] can save: a fixed number of 64-bit words that give the value back
/// exactly. Implemented for `f32` and `f64` (by their bits), the primitive integers, `bool`,
/// and arrays, `Option`s and tuples (up to [`TUPLE_ARITY`] fields) of these. A `Copy` type of
/// your own that a differentiable loop saves (a value it overwrites and its reverse reads) goes
/// on a [`Spill`]: implementing `Word` for it, field by field, puts it in the arena instead of
/// a `Vec` allocated by each call.
pub trait Word: Copy {
    /// How many words a value takes.
    const WORDS: usize;

    /// Writes the value into `out`, which has exactly [`Word::WORDS`] words.
    fn put(self, out: &mut [u64]);

    /// The value that [`Word::put`] wrote into `src`.
    fn take(src: &[u64]) -> Self;
}

impl Word for f64 {
    const WORDS: usize = 1;
    #[inline(always)]
    fn put(self, out: &mut [u64]) {
        out[0] = self.to_bits();
    }
    #[inline(always)]
    fn take(src: &[u64]) -> Self {
        f64::from_bits(src[0])
    }
}

impl Word for f32 {
    const WORDS: usize = 1;
    #[inline(always)]
    fn put(self, out: &mut [u64]) {
        out[0] = u64::from(self.to_bits());
    }
    #[inline(always)]
    fn take(src: &[u64]) -> Self {
        f32::from_bits(src[0] as u32)
    }
}

impl Word for bool {
    const WORDS: usize = 1;
    #[inline(always)]
    fn put(self, out: &mut [u64]) {
        out[0] = u64::from(self);
    }
    #[inline(always)]
    fn take(src: &[u64]) -> Self {
        src[0] != 0
    }
}

/// `Word` for integers of at most 64 bits, through `as` (which gives the value back exactly).
macro_rules! word_int {
    ($($t:ty),*) => {$(
        impl Word for $t {
            const WORDS: usize = 1;
            #[inline(always)]
            fn put(self, out: &mut [u64]) {
                out[0] = self as u64;
            }
            #[inline(always)]
            fn take(src: &[u64]) -> Self {
                src[0] as $t
            }
        }
    )*};
}
word_int!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

/// `Word` for 128-bit integers: two words, the low one first.
macro_rules! word_wide {
    ($($t:ty),*) => {$(
        impl Word for $t {
            const WORDS: usize = 2;
            #[inline(always)]
            fn put(self, out: &mut [u64]) {
                out[0] = self as u64;
                out[1] = (self as u128 >> 64) as u64;
            }
            #[inline(always)]
            fn take(src: &[u64]) -> Self {
                (u128::from(src[0]) | u128::from(src[1]) << 64) as $t
            }
        }
    )*};
}
word_wide!(u128, i128);

impl<T: Word, const N: usize> Word for [T; N] {
    const WORDS: usize = N * T::WORDS;
    #[inline(always)]
    fn put(self, out: &mut [u64]) {
        // One check of the length up front, none per element.
        let out = &mut out[..N * T::WORDS];
        for (i, value) in self.into_iter().enumerate() {
            value.put(&mut out[i * T::WORDS..(i + 1) * T::WORDS]);
        }
    }
    #[inline(always)]
    fn take(src: &[u64]) -> Self {
        let src = &src[..N * T::WORDS];
        core::array::from_fn(|i| T::take(&src[i * T::WORDS..(i + 1) * T::WORDS]))
    }
}

/// An `Option` is a word saying which it is, then its value's words (left as they were for
/// `None`): an undo log's entry for a write in a branch that may not have run.
impl<T: Word> Word for Option<T> {
    const WORDS: usize = 1 + T::WORDS;
    #[inline(always)]
    fn put(self, out: &mut [u64]) {
        let out = &mut out[..Self::WORDS];
        match self {
            Some(value) => {
                out[0] = 1;
                value.put(&mut out[1..]);
            }
            None => out[0] = 0,
        }
    }
    #[inline(always)]
    fn take(src: &[u64]) -> Self {
        let src = &src[..Self::WORDS];
        (src[0] != 0).then(|| T::take(&src[1..]))
    }
}

impl Word for () {
    const WORDS: usize = 0;
    #[inline(always)]
    fn put(self, _: &mut [u64]) {}
    #[inline(always)]
    fn take(_: &[u64]) -> Self {}
}

/// `Word` for a tuple: its fields one after the other.
macro_rules! word_tuple {
    ($($t:ident $v:ident),+) => {
        impl<$($t: Word),+> Word for ($($t,)+) {
            const WORDS: usize = 0 $(+ $t::WORDS)+;
            #[inline(always)]
            fn put(self, out: &mut [u64]) {
                let ($($v,)+) = self;
                // One check of the length up front, none per field.
                let out = &mut out[..Self::WORDS];
                let mut at = 0;
                $(
                    $v.put(&mut out[at..at + $t::WORDS]);
                    at += $t::WORDS;
                )+
                let _ = at;
            }
            #[inline(always)]
            fn take(src: &[u64]) -> Self {
                let src = &src[..Self::WORDS];
                let mut at = 0;
                $(
                    let $v = $t::take(&src[at..at + $t::WORDS]);
                    at += $t::WORDS;
                )+
                let _ = at;
                ($($v,)+)
            }
        }
    };
}
word_tuple!(T0 v0);
word_tuple!(T0 v0, T1 v1);
word_tuple!(T0 v0, T1 v1, T2 v2);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25, T26 v26);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25, T26 v26, T27 v27);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25, T26 v26, T27 v27, T28 v28);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25, T26 v26, T27 v27, T28 v28, T29 v29);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25, T26 v26, T27 v27, T28 v28, T29 v29, T30 v30);
word_tuple!(T0 v0, T1 v1, T2 v2, T3 v3, T4 v4, T5 v5, T6 v6, T7 v7, T8 v8, T9 v9, T10 v10, T11 v11, T12 v12, T13 v13, T14 v14, T15 v15, T16 v16, T17 v17, T18 v18, T19 v19, T20 v20, T21 v21, T22 v22, T23 v23, T24 v24, T25 v25, T26 v26, T27 v27, T28 v28, T29 v29, T30 v30, T31 v31);

/// One tape of an [`Arena`]: a stack of values of type `T` in a region of the arena's buffer.
/// It holds the region's place and its own length; the values are in the arena.
pub struct Lane<T> {
    /// Where the region starts in the arena's buffer, in words.
    start: usize,
    /// The words in use, from `start`.
    len: usize,
    /// The words of the region.
    cap: usize,
    /// The type of the values.
    values: PhantomData<fn(T) -> T>,
}

impl<T> Lane<T> {
    /// An empty lane, for any `T` (a [`Spill`]'s, whose type may not be [`Word`]).
    #[inline(always)]
    const fn empty() -> Self {
        Lane {
            start: 0,
            len: 0,
            cap: 0,
            values: PhantomData,
        }
    }
}

impl<T: Word> Lane<T> {
    /// An empty lane, with no region yet.
    #[inline(always)]
    pub const fn new() -> Self {
        Lane::empty()
    }

    /// The words that `n` values of this lane take (saturating).
    #[inline(always)]
    pub const fn words(&self, n: usize) -> usize {
        n.saturating_mul(T::WORDS)
    }

    /// The number of values on the lane.
    pub fn len(&self) -> usize {
        self.len.checked_div(T::WORDS).unwrap_or(0)
    }

    /// Whether the lane holds no values.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<T: Word> Default for Lane<T> {
    /// An empty lane, the same as [`Lane::new`].
    fn default() -> Self {
        Lane::new()
    }
}

impl<T> core::fmt::Debug for Lane<T> {
    /// The region and the words in use.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Lane")
            .field("start", &self.start)
            .field("len", &self.len)
            .field("cap", &self.cap)
            .finish()
    }
}

/// A tape of a call with an [`Arena`] whose values' type the macro could not name (an
/// integer returned by a call, an element of a `Vec`, a user's type): its values go on a
/// [`Lane`] of the arena when their type is [`Word`], and into a `Vec` of its own otherwise.
/// The compiler makes that choice from the type, where the generated code pushes and pops
/// (`vjp_runtime::__private::Stow`); implementing [`Word`] for a `Copy` type of your own puts
/// its values in the arena too.
///
/// Room is made at the next push ([`Spill::reserve`]), when the type is known.
pub struct Spill<T> {
    /// The values, when their type is [`Word`].
    pub(crate) lane: Lane<T>,
    /// The values, when it is not.
    pub(crate) own: Vec<T>,
    /// The room asked for since the last push, in values.
    pub(crate) pending: usize,
}

impl<T> Spill<T> {
    /// An empty tape, with no region and no allocation.
    #[inline(always)]
    pub const fn new() -> Self {
        Spill {
            lane: Lane::empty(),
            own: Vec::new(),
            pending: 0,
        }
    }

    /// Asks for room for `n` more values (a loop about to run `n` iterations), made at the
    /// next push. Asking twice before a push keeps the larger: a push without room still
    /// makes room, so this only saves growing one value at a time.
    #[inline(always)]
    pub fn reserve(&mut self, n: usize) {
        self.pending = self.pending.max(n);
    }

    /// Whether the tape holds no values.
    pub fn is_empty(&self) -> bool {
        self.own.is_empty() && self.lane.len == 0
    }

    /// Saves `value` in the tape's own `Vec`, making the room asked for first.
    #[inline(always)]
    pub(crate) fn push_apart(&mut self, value: T) {
        if self.pending != 0 {
            self.own.reserve(core::mem::take(&mut self.pending));
        }
        self.own.push(value);
    }

    /// Takes back the value on top of the tape's own `Vec`.
    #[inline(always)]
    pub(crate) fn pop_apart(&mut self) -> T {
        match self.own.pop() {
            Some(value) => value,
            None => panic!("{UNDERFLOW}"),
        }
    }
}

impl<T> Default for Spill<T> {
    /// An empty tape, the same as [`Spill::new`].
    fn default() -> Self {
        Spill::new()
    }
}

impl<T> core::fmt::Debug for Spill<T> {
    /// The lane and the number of values kept apart.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Spill")
            .field("lane", &self.lane)
            .field("apart", &self.own.len())
            .finish()
    }
}

impl<T: Word> Spill<T> {
    /// Saves `value` on the tape's lane of `arena`, making the room asked for first.
    #[inline(always)]
    pub(crate) fn push_words(&mut self, arena: &mut Arena, value: T) {
        if self.pending != 0 {
            let n = core::mem::take(&mut self.pending);
            arena.reserve(&mut self.lane, n);
        }
        arena.push(&mut self.lane, value);
    }

    /// Takes back the value on top of the tape's lane of `arena`.
    #[inline(always)]
    pub(crate) fn pop_words(&mut self, arena: &mut Arena) -> T {
        arena.pop(&mut self.lane)
    }
}

/// The saved values of all the tapes of one call, each tape a [`Lane`] (see the [module
/// docs](self)), in one buffer on the heap.
pub struct Arena {
    /// All the words: the lanes' regions below `top`, then room.
    heap: Vec<u64>,
    /// The end of the last region, in words.
    top: usize,
}

/// A lane's place in the arena's buffer, in words: where its region starts, the words in
/// use, the words of the region.
type Region = (usize, usize, usize);

/// `heap` with the lane at `region` grown in place into a region of at least `cap` words, or
/// moved to one (see [`Arena::reserve`]); returns the buffer, the new end of the last region,
/// and the lane's new start and region size. Taken and returned by value, and kept out of line,
/// so that neither the arena's fields nor the lane's ever have their address taken: the
/// compiler keeps them in registers across a loop.
#[cold]
#[inline(never)]
fn regrow(
    mut heap: Vec<u64>,
    top: usize,
    region: Region,
    cap: usize,
) -> (Vec<u64>, usize, usize, usize) {
    let (start, len, old) = region;
    // The last region grows in place, by what it needs; another one moves after the last, to a
    // region at least twice as large, so that a lane that grows again and again is copied an
    // amortised constant number of times per value.
    let (new_start, cap) = if start + old == top {
        (start, cap)
    } else {
        (top, cap.max(old.saturating_mul(2)))
    };
    let end = new_start.saturating_add(cap);
    if end > heap.len() {
        // At least twice the buffer, so that growing one value at a time costs amortised
        // constant time, and at least `FIRST_GROWTH` words, so that short loops whose room is
        // only known when they start make one allocation between them.
        heap.resize(end.max(2 * heap.len()).max(FIRST_GROWTH), 0);
    }
    heap.copy_within(start..start + len, new_start);
    (heap, end, new_start, cap)
}

/// The fewest words (2 KiB) of a buffer that is allocated: short loops whose room is only
/// known when they start then find it in the buffer made when the function started.
pub const FIRST_GROWTH: usize = 256;

/// The most words (8 MiB) of a buffer that a thread keeps, when an arena is dropped, for the
/// next arena made on it: a larger one is freed.
pub const SPARE_LIMIT: usize = 1 << 20;

/// How many buffers a thread keeps: one per arena that can be alive at once on it (a
/// differentiable function calling another one), up to this many.
pub const SPARES: usize = 4;

std::thread_local! {
    /// The buffers of the arenas dropped on this thread (empty `Vec`s are free slots).
    static SPARE: Cell<[Vec<u64>; SPARES]> = const { Cell::new([const { Vec::new() }; SPARES]) };
}

/// The smallest of the thread's spare buffers that has at least `words` words, else a new one
/// of `words` words, and at least [`FIRST_GROWTH`]. Out of line, by value.
#[inline(never)]
fn take_spare(words: usize) -> Vec<u64> {
    // `try_with`: an arena may be made while the thread is being torn down.
    let spare = SPARE.try_with(|spare| {
        let mut kept = spare.take();
        let fits = kept
            .iter_mut()
            .filter(|b| !b.is_empty() && b.len() >= words)
            .min_by_key(|b| b.len())
            .map(core::mem::take);
        spare.set(kept);
        fits
    });
    match spare.ok().flatten() {
        Some(buffer) => buffer,
        None if words == 0 => Vec::new(),
        None => vec![0; words.max(FIRST_GROWTH)],
    }
}

/// Keeps `heap` among the thread's spare buffers, in a free slot or in place of the smallest
/// when that is smaller, unless it is larger than [`SPARE_LIMIT`]. Out of line, by value.
#[inline(never)]
fn give_back(heap: Vec<u64>) {
    if heap.is_empty() || heap.len() > SPARE_LIMIT {
        return;
    }
    let _ = SPARE.try_with(|spare| {
        let mut kept = spare.take();
        if let Some(slot) = kept.iter_mut().min_by_key(|b| b.len()) {
            if slot.len() < heap.len() {
                *slot = heap;
            }
        }
        spare.set(kept);
    });
}

impl Arena {
    /// An empty arena, with no buffer yet.
    #[inline]
    pub fn new() -> Self {
        Arena {
            heap: Vec::new(),
            top: 0,
        }
    }

    /// An arena with room for `words` words (at most [`PRESIZE_LIMIT`]): the sum of
    /// [`Lane::words`] over the values the call will save, computed when the function starts.
    /// It takes the smallest buffer large enough among those the arenas dropped on this thread
    /// left (see [`SPARES`]), and allocates only when there is none: a function called again
    /// and again allocates on its first call only.
    #[inline]
    pub fn with_capacity(words: usize) -> Self {
        Arena {
            heap: take_spare(words.min(PRESIZE_LIMIT)),
            top: 0,
        }
    }

    /// Makes room on `lane` for `n` more values (a loop about to run `n` iterations, each
    /// pushing one with [`Arena::push_reserved`]).
    #[inline]
    pub fn reserve<T: Word>(&mut self, lane: &mut Lane<T>, n: usize) {
        let needed = lane.len.saturating_add(lane.words(n));
        if needed > lane.cap {
            self.resize(lane, needed);
        }
    }

    /// Gives `lane` a region of `cap` words, in the room left or in a grown buffer.
    #[inline(always)]
    fn resize<T>(&mut self, lane: &mut Lane<T>, cap: usize) {
        let region = (lane.start, lane.len, lane.cap);
        let heap = core::mem::take(&mut self.heap);
        let (heap, top, start, cap) = regrow(heap, self.top, region, cap);
        (self.heap, self.top, lane.start, lane.cap) = (heap, top, start, cap);
    }

    /// Saves `value` on top of `lane`; moves the lane to a bigger region when it has no room.
    #[inline(always)]
    pub fn push<T: Word>(&mut self, lane: &mut Lane<T>, value: T) {
        let needed = lane.len + T::WORDS;
        if needed > lane.cap {
            self.resize(lane, needed.max(2 * lane.cap));
        }
        self.push_reserved(lane, value);
    }

    /// Saves `value` on top of `lane`, in room made before by [`Arena::reserve`]: it never
    /// allocates.
    ///
    /// # Panics
    /// When the lane has no room left, with the message "vjp tape overflow: the forward sweep
    /// pushed more values than it reserved room for (a bug in vjp)".
    #[inline(always)]
    #[track_caller]
    pub fn push_reserved<T: Word>(&mut self, lane: &mut Lane<T>, value: T) {
        let needed = lane.len + T::WORDS;
        if needed > lane.cap {
            panic!("{OVERFLOW}");
        }
        let at = lane.start + lane.len;
        value.put(&mut self.heap[at..at + T::WORDS]);
        lane.len = needed;
    }

    /// Removes and returns the value on top of `lane`.
    ///
    /// # Panics
    /// When the lane is empty, with the message "vjp tape underflow: the reverse sweep popped
    /// more values than the forward sweep pushed (a bug in vjp)". Generated code takes back
    /// exactly what it saved, so this only happens when `vjp` itself is wrong.
    #[inline(always)]
    #[track_caller]
    pub fn pop<T: Word>(&mut self, lane: &mut Lane<T>) -> T {
        let Some(len) = lane.len.checked_sub(T::WORDS) else {
            panic!("{UNDERFLOW}");
        };
        lane.len = len;
        let at = lane.start + len;
        T::take(&self.heap[at..at + T::WORDS])
    }

    /// The number of words the lanes' regions take.
    pub fn used(&self) -> usize {
        self.top
    }

    /// The number of words the arena holds without another allocation.
    pub fn capacity(&self) -> usize {
        self.heap.len()
    }
}

impl Drop for Arena {
    /// Leaves the buffer to the next arena made on this thread (see [`SPARES`]).
    #[inline]
    fn drop(&mut self) {
        give_back(core::mem::take(&mut self.heap));
    }
}

impl Default for Arena {
    /// An empty arena, the same as [`Arena::new`].
    fn default() -> Self {
        Arena::new()
    }
}

impl core::fmt::Debug for Arena {
    /// The words the regions take and the capacity.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Arena")
            .field("used", &self.used())
            .field("capacity", &self.capacity())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::{Arena, Lane, Word, FIRST_GROWTH, SPARES, SPARE_LIMIT};

    /// The value saved as words and read back.
    fn round_trip<T: Word + PartialEq + core::fmt::Debug>(value: T) {
        let mut words = vec![0; T::WORDS];
        value.put(&mut words);
        assert_eq!(T::take(&words), value);
    }

    #[test]
    fn words_give_values_back_exactly() {
        round_trip(-0.0_f64);
        round_trip(f64::MIN_POSITIVE / 3.0);
        round_trip(1.0e-40_f32);
        round_trip(usize::MAX);
        round_trip(-5_i32);
        round_trip(i64::MIN);
        round_trip(-7_i128 << 70);
        round_trip(u128::MAX - 3);
        round_trip(true);
        round_trip([[1.5_f64, -2.0], [3.0, 4.25]]);
        round_trip((1.0_f32, [2_usize, 3], (4.0_f64, false)));
        round_trip(Some(((3_usize,), -2.5_f64)));
        round_trip(None::<[f64; 3]>);
        assert_eq!(<Option<(usize, f64)>>::WORDS, 3);
        let nan = f64::from_bits(0x7ff8_0000_dead_beef);
        let mut words = [0];
        nan.put(&mut words);
        assert_eq!(f64::take(&words).to_bits(), nan.to_bits());
        assert_eq!(<([f64; 3], (f32, u8))>::WORDS, 5);
    }

    /// Lanes filled and emptied in any order (not last in, first out across lanes), and grown
    /// one value at a time: each gives its own values back.
    #[test]
    fn lanes_are_independent_stacks() {
        let mut arena = Arena::new();
        let (mut a, mut b) = (Lane::new(), Lane::new());
        for round in 0..3 {
            for i in 0..40 {
                arena.push(&mut a, (round * 100 + i) as f64);
                if i % 3 == 0 {
                    arena.push(&mut b, [i, round]);
                }
            }
            // `a` first, although `b` pushed last.
            for i in (0..40).rev() {
                assert_eq!(arena.pop(&mut a), (round * 100 + i) as f64);
            }
            for i in (0..40).rev().filter(|i| i % 3 == 0) {
                assert_eq!(arena.pop(&mut b), [i, round]);
            }
            assert!(a.is_empty() && b.is_empty());
        }
    }

    #[test]
    fn room_made_at_the_start_is_not_grown() {
        let (mut a, mut b) = (Lane::new(), Lane::new());
        let mut arena = Arena::with_capacity(a.words(1000) + b.words(100));
        assert_eq!(arena.capacity(), 1000 + 100 * 3);
        arena.reserve(&mut a, 1000);
        for i in 0..1000 {
            arena.push_reserved(&mut a, i as f64);
        }
        arena.reserve(&mut b, 100);
        for i in 0..100 {
            arena.push_reserved(&mut b, (i as f32, i, true));
        }
        assert_eq!(arena.capacity(), 1300);
        assert_eq!(arena.used(), 1300);
        // Room made again for values that fit moves nothing.
        arena.reserve(&mut a, 0);
        assert_eq!(arena.used(), 1300);
        assert_eq!(arena.pop(&mut b), (99.0, 99, true));
        assert_eq!(arena.pop(&mut a), 999.0);
        // A small buffer is made with room for short loops to come.
        assert_eq!(Arena::with_capacity(3).capacity(), FIRST_GROWTH);
    }

    /// A lane that grows while another one comes after it moves, with its values.
    #[test]
    fn a_lane_outgrowing_its_region_moves() {
        let mut arena = Arena::new();
        let (mut a, mut b) = (Lane::new(), Lane::new());
        arena.reserve(&mut a, 2);
        arena.push_reserved(&mut a, 1.0_f64);
        arena.push_reserved(&mut a, 2.0);
        arena.push(&mut b, 3.0_f64);
        arena.reserve(&mut a, 3);
        arena.push_reserved(&mut a, 4.0);
        // Moved after `b`'s region, to one of twice the room it had at least.
        assert_eq!(arena.used(), 2 + 1 + 5);
        assert_eq!(arena.pop(&mut a), 4.0);
        assert_eq!(arena.pop(&mut a), 2.0);
        assert_eq!(arena.pop(&mut b), 3.0);
        assert_eq!(arena.pop(&mut a), 1.0);
        // The last region grows in place.
        arena.reserve(&mut a, 10);
        assert_eq!(arena.used(), 2 + 1 + 10);
    }

    /// A dropped arena's buffer goes to the next one made on the thread, when large enough.
    #[test]
    fn the_next_arena_takes_the_last_buffer() {
        std::thread::spawn(|| {
            drop(Arena::with_capacity(1000));
            assert_eq!(Arena::with_capacity(10).capacity(), 1000);
            // Arenas alive at once (a function calling another) each find their own: the
            // smallest that is large enough.
            {
                let outer = Arena::with_capacity(2000);
                let inner = Arena::with_capacity(300);
                assert_eq!((outer.capacity(), inner.capacity()), (2000, 1000));
            }
            let outer = Arena::with_capacity(1500);
            let inner = Arena::with_capacity(300);
            assert_eq!((outer.capacity(), inner.capacity()), (2000, 1000));
            drop((outer, inner));
            // A small arena takes the smallest buffer large enough; a new size gets a slot of
            // its own; a buffer beyond the limit is freed, not kept.
            for words in [100, 200, 3000] {
                drop(Arena::with_capacity(words));
            }
            drop(Arena::with_capacity(SPARE_LIMIT + 1));
            let held: Vec<Arena> = (0..SPARES).map(|_| Arena::with_capacity(1)).collect();
            let mut sizes: Vec<usize> = held.iter().map(Arena::capacity).collect();
            sizes.sort();
            assert_eq!(sizes, [FIRST_GROWTH, 1000, 2000, 3000]);
            drop(held);
            // With every slot taken, the smallest makes way for a larger buffer.
            drop(Arena::with_capacity(5000));
            let held: Vec<Arena> = (0..SPARES).map(|_| Arena::with_capacity(1)).collect();
            let mut sizes: Vec<usize> = held.iter().map(Arena::capacity).collect();
            sizes.sort();
            assert_eq!(sizes, [1000, 2000, 3000, 5000]);
        })
        .join()
        .unwrap();
    }

    /// Two lanes that make room in turn, one value more each time (inner loops of an outer
    /// loop, their trip counts known only when they start): each move doubles a lane's region,
    /// so the regions left behind stay a constant factor of the values.
    #[test]
    fn lanes_growing_in_turn_move_a_few_times() {
        let mut arena = Arena::new();
        let (mut a, mut b) = (Lane::new(), Lane::new());
        for i in 0..1000 {
            arena.reserve(&mut a, 1);
            arena.push_reserved(&mut a, i as f64);
            arena.reserve(&mut b, 1);
            arena.push_reserved(&mut b, i);
        }
        assert!(arena.used() <= 8 * 2000, "{}", arena.used());
        for i in (0..1000).rev() {
            assert_eq!(arena.pop(&mut b), i);
            assert_eq!(arena.pop(&mut a), i as f64);
        }
    }

    #[test]
    #[should_panic(expected = "vjp tape overflow")]
    fn pushing_beyond_the_room_made_panics() {
        let mut arena = Arena::with_capacity(8);
        let (mut a, mut b) = (Lane::new(), Lane::<f64>::new());
        arena.reserve(&mut a, 1);
        arena.reserve(&mut b, 1);
        arena.push_reserved(&mut a, 1.0_f64);
        // Into `b`'s region, were it not checked.
        arena.push_reserved(&mut a, 2.0_f64);
    }

    #[test]
    #[should_panic(expected = "vjp tape underflow")]
    fn popping_an_empty_lane_panics() {
        let mut arena = Arena::new();
        let _: f64 = arena.pop(&mut Lane::new());
    }

    /// A user's type made of words, which a spill puts on its lane.
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Pair(f64, u32);

    impl Word for Pair {
        const WORDS: usize = 2;
        fn put(self, out: &mut [u64]) {
            self.0.put(&mut out[..1]);
            self.1.put(&mut out[1..]);
        }
        fn take(words: &[u64]) -> Self {
            Pair(f64::take(&words[..1]), u32::take(&words[1..]))
        }
    }

    /// Pushes `values` on a spill, as generated code does, and checks that they come back in
    /// reverse; returns the words the arena's lanes took.
    fn spill_round_trip<T: Clone + PartialEq + core::fmt::Debug>(
        values: &[T],
        push: impl Fn(&mut Arena, &mut super::Spill<T>, T),
        pop: impl Fn(&mut Arena, &mut super::Spill<T>) -> T,
    ) -> usize {
        let mut arena = Arena::new();
        let mut spill = super::Spill::new();
        spill.reserve(values.len());
        for v in values {
            push(&mut arena, &mut spill, v.clone());
        }
        let used = arena.used();
        for v in values.iter().rev() {
            assert_eq!(&pop(&mut arena, &mut spill), v);
        }
        assert!(spill.is_empty());
        used
    }

    /// The dispatch of generated code: `(&Stow::of(&v)).by()`, with both traits in scope.
    macro_rules! spill_round_trip {
        ($values:expr) => {{
            #[allow(unused_imports)]
            use crate::__private::{Stow, StowValues as _, StowWords as _};
            spill_round_trip(
                &$values,
                |arena, spill, v| (&Stow::of(&v)).by().push(arena, spill, v),
                |arena, spill| (&Stow::of_spill(spill)).by().pop(arena, spill),
            )
        }};
    }

    #[test]
    fn spills_of_words_go_on_a_lane_and_others_apart() {
        // Words, a user's `Word` type among them: on the lane, two words a pair.
        assert_eq!(spill_round_trip!([1_usize, 2, 3]), 3);
        assert_eq!(spill_round_trip!([(1.5_f64, 7_i32), (-2.0, 8)]), 4);
        assert_eq!(spill_round_trip!([Pair(0.5, 1), Pair(-0.25, 2)]), 4);
        // Not words: a `Vec`, a `String`; the arena is not touched.
        assert_eq!(spill_round_trip!([vec![1.0_f64, 2.0], vec![3.0]]), 0);
        assert_eq!(spill_round_trip!([String::from("a"), String::new()]), 0);
    }

    #[test]
    #[should_panic(expected = "vjp tape underflow")]
    fn popping_an_empty_spill_apart_panics() {
        #[allow(unused_imports)]
        use crate::__private::{Stow, StowValues as _, StowWords as _};
        let (mut arena, mut spill) = (Arena::new(), super::Spill::<Vec<f64>>::new());
        let _ = (&Stow::of_spill(&spill)).by().pop(&mut arena, &mut spill);
    }
}
