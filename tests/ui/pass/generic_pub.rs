#![deny(warnings)]
//! A `pub` generic function over `T: vjp::Real`; the generated functions are `pub` too and work
//! for both float types.
use vjp::differentiable;

pub mod model {
    use vjp::differentiable;

    #[differentiable]
    pub fn cube<T: vjp::Real>(x: T) -> T {
        x * x * x
    }
}

#[differentiable]
pub fn scaled<T>(x: T, y: T) -> (T, T)
where
    T: vjp::Real,
{
    (x * y, y)
}

fn main() {
    assert_eq!(model::cube_grad(2.0_f64), (12.0,));
    assert_eq!(model::cube_grad(2.0_f32), (12.0,));
    let (out, (dx, dy)) = scaled_vjp(2.0_f32, 3.0, (1.0, 1.0));
    assert_eq!(out, (6.0, 3.0));
    assert_eq!((dx, dy), (3.0, 3.0));
}
