use vjp::differentiable;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in x.chunks_exact(2) {
        let w = w[0] + w[1];
        s += w * w;
    }
    s
}

fn main() {}
