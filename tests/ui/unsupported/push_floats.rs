use vjp::differentiable;

// Growing a `Vec` of floats by `push`: the help names the forms vjp follows.
#[differentiable]
fn f(x: &[f64]) -> f64 {
    let mut squares = Vec::new();
    for v in x.iter() {
        squares.push(v * v);
    }
    squares[0]
}

fn main() {}
