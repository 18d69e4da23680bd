use vjp::differentiable;

// A row of tuples: the shadow convention covers floats and arrays of floats only.
#[differentiable]
fn f(pairs: &[(f64, f64)]) -> f64 {
    let mut s = 0.0;
    for i in 0..pairs.len() {
        s += pairs[i].0 * pairs[i].1;
    }
    s
}

fn main() {}
