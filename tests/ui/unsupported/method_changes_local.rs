//! A method that may change a `mut` local in place: the sweeps would not see the change (here
//! the reverse would read `idx`'s final length in every iteration). calls as a function of a shared
//! reference (`Rng::peek(&rng)`), and methods known to leave their receiver unchanged, pass.
use vjp::differentiable;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn peek(&self) -> f64 {
        self.0 as f64
    }
}

#[differentiable]
fn gathered(x: &[f64], n: usize) -> f64 {
    let mut idx: Vec<usize> = vec![0; 1];
    let mut s = 1.0;
    for i in 0..n {
        idx.push((i * 2 + 1) % x.len());
        idx[0] = i % x.len();
        s = (s * x[idx[idx.len() - 1]]).sin();
    }
    s
}

#[differentiable]
fn noisy(x: f64, #[no_grad] mut rng: Rng) -> f64 {
    let p = Rng::peek(&rng);
    x * rng.next() + p
}

fn main() {}
