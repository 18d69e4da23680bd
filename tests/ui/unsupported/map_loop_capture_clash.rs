use vjp::differentiable;

#[differentiable]
fn f(xs: &[f64], v: f64) -> f64 {
    let mut s = 0.0;
    // The body reads the parameter `v`; the map's own `v` would hide it in the inlined loop.
    for y in xs.iter().map(|v| v * 2.0) {
        s += y * v;
    }
    s
}

fn main() {}
