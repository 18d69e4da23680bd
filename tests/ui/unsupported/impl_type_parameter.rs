use vjp::differentiable;

struct Poly<T> {
    c: [T; 3],
}

impl<T: vjp::Real> Poly<T> {
    #[differentiable]
    fn eval(&self, x: T) -> T {
        let c: [T; 3] = self.c;
        c[0] + x * (c[1] + x * c[2])
    }
}

fn main() {}
