use vjp::differentiable;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in x.windows(2) {
        let pair = w;
        s += pair[0] * pair[1];
    }
    s
}

fn main() {}
