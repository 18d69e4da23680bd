use vjp::differentiable;

const N: usize = 3;

// `[x; N]` with an active `x` is written out when `N` is a literal; a named length is not
// known to the macro.
#[differentiable]
fn f(x: f64) -> f64 {
    let a = [x; N];
    a[0] + a[1]
}

fn main() {}
