//! Expansion snapshots: the generated code of example functions, pretty-printed and compared
//! with `vjp-macro/tests/snapshots/NAME.rs`. A change to the generated code shows up as a diff
//! in review; `VJP_BLESS=1 cargo test -p vjp-macro` rewrites the files.

use super::render;
use proc_macro2::TokenStream;
use quote::quote;
use std::path::PathBuf;

fn check(name: &str, item: TokenStream) {
    let actual = render(item);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.rs"));
    if std::env::var_os("VJP_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("snapshot folder"))
            .expect("create snapshot folder");
        std::fs::write(&path, &actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "the expansion of `{name}` differs from {}; rerun with VJP_BLESS=1 to accept it.\n--- actual ---\n{actual}",
        path.display()
    );
}

/// The seed's worked example; `examples/seed.rs` prints this snapshot.
#[test]
fn seed() {
    check(
        "seed",
        quote! {
            pub fn seed(x1: f64, x2: f64) -> (f64, f64, f64) {
                (x1 * x1 + x2, x1.sin(), x1 * x2)
            }
        },
    );
}

/// Shadowing, compound assignment, a rule with two active operands, a constant.
#[test]
fn scalar() {
    check(
        "scalar",
        quote! {
            fn scalar(x: f64, y: f64) -> f64 {
                let mut s = x * y;
                s += x.atan2(y);
                let s = s / 2.0;
                s * std::f64::consts::PI
            }
        },
    );
}

/// A generic function over `T: Real` with a tuple parameter and an inactive integer.
#[test]
fn generic() {
    check(
        "generic",
        quote! {
            fn generic<T: vjp::Real>(p: (T, T), n: i32, #[no_grad] c: T) -> T {
                let (a, b) = p;
                a.powi(n) * c + b.exp() + T::from_f64(0.5)
            }
        },
    );
}

/// Arrays in and out, constant indexing, an element update and a call to another
/// differentiable function.
#[test]
fn arrays() {
    check(
        "arrays",
        quote! {
            fn arrays(x: [f64; 3]) -> [f64; 2] {
                let mut h = [x[0] * x[1], x[2]];
                h[1] = helper(h[1], 2.0);
                h
            }
        },
    );
}

/// A loop that overwrites its state: one value saved per iteration.
#[test]
fn logistic() {
    check(
        "logistic",
        quote! {
            fn logistic(r: f64, x0: f64, n: usize) -> f64 {
                let mut x = x0;
                for _ in 0..n {
                    x = r * x * (1.0 - x);
                }
                x
            }
        },
    );
}

/// `NAME_grad` by forward lanes (two scalar inputs, a loop that `NAME_vjp` tapes): one
/// tangent per lane after each statement (`dot0_`, `dot1_`), a rule's partials computed once
/// for both lanes, the branch and the loop carrying both lanes, one `helper_jvp` call per lane.
#[test]
fn lanes() {
    check(
        "lanes",
        quote! {
            fn lanes(a: f64, b: f64, n: usize) -> f64 {
                let mut x = a;
                for _ in 0..n {
                    if x > b {
                        x = x.atan2(b);
                    } else {
                        x = helper(x, b) + b.sin();
                    }
                }
                x
            }
        },
    );
}

/// An array slot written back from a call: the reverse pops the slot and calls `turn_vjp`
/// only (the call's result takes its zero's shape from the slot's initial value, so `turn` is
/// not called again), and the slot's adjoint is assigned the callee's cotangent.
#[test]
fn array_slot() {
    check(
        "array_slot",
        quote! {
            fn array_slot(x0: f64, r: f64) -> f64 {
                let mut a = [x0, 2.0 * x0];
                for _ in 0..5 {
                    a = turn(a, r);
                }
                a[0] * a[1]
            }
        },
    );
}

/// An accumulation loop: no adjoint reads the accumulator, so nothing is saved.
#[test]
fn accumulate() {
    check(
        "accumulate",
        quote! {
            fn accumulate(c: f64, x: f64, n: usize) -> f64 {
                let mut s = 0.0;
                for i in 0..n {
                    s += c * x * (i as f64);
                }
                s
            }
        },
    );
}

/// A branch on an active value, assigning in both arms.
#[test]
fn branch() {
    check(
        "branch",
        quote! {
            fn branch(x: f64, y: f64) -> f64 {
                let mut z = x * y;
                if x > 0.0 {
                    z = z * x.sin();
                } else {
                    z += y.exp();
                }
                z
            }
        },
    );
}

/// `while` with `break`, an early `return`, and a loop counter used in the body.
#[test]
fn newton() {
    check(
        "newton",
        quote! {
            fn newton_sqrt(a: f64) -> f64 {
                if a == 0.0 {
                    return 0.0;
                }
                let mut x = a;
                let mut k = 0;
                while k < 50 {
                    let next = 0.5 * (x + a / x);
                    if (next - x).abs() < 1e-15 {
                        break;
                    }
                    x = next;
                    k += 1;
                }
                x
            }
        },
    );
}

/// A slice parameter with a shadow: the extended Rosenbrock function.
#[test]
fn rosenbrock() {
    check(
        "rosenbrock",
        quote! {
            fn rosenbrock(x: &[f64]) -> f64 {
                let mut s = 0.0;
                for i in 0..x.len() / 2 {
                    let a = x[2 * i];
                    let b = x[2 * i + 1];
                    s += 100.0 * (b - a * a).powi(2) + (1.0 - a).powi(2);
                }
                s
            }
        },
    );
}

/// The to-be-recorded analysis, stated directly: an accumulation saves nothing (no tape, no
/// trip count: the reverse runs the range backwards); the logistic map saves exactly the one
/// slot its rules read; a `while` loop saves the slot and the counter its condition reads; a
/// product with a constant does not save the other factor.
#[test]
fn tape_holds_only_what_the_reverse_reads() {
    let accumulate = render(quote! {
        fn accumulate(c: f64, x: f64, n: usize) -> f64 {
            let mut s = 0.0;
            for i in 0..n {
                s += c * x * (i as f64);
            }
            s
        }
    });
    assert!(!accumulate.contains("Tape"), "{accumulate}");
    assert!(!accumulate.contains("trips"), "{accumulate}");
    let logistic = render(quote! {
        fn logistic(r: f64, x0: f64, n: usize) -> f64 {
            let mut x = x0;
            for _ in 0..n {
                x = r * x * (1.0 - x);
            }
            x
        }
    });
    // A range: room for its trip count is made when it starts.
    assert_eq!(logistic.matches(".push_reserved(").count(), 1, "{logistic}");
    assert!(logistic.contains("tape.push_reserved(x_1);"), "{logistic}");
    let newton = render(quote! {
        fn f(a: f64) -> f64 {
            let mut x = a;
            let mut k = 0;
            while k < 10 {
                x = 0.5 * (x + a / x);
                k += 1;
            }
            x
        }
    });
    assert!(newton.contains("tape.push((x_1, k_1));"), "{newton}");
    // `0.5 * sq` reads only `0.5` in its reverse: the inner loop's exit value `sq` is not
    // saved, though the outer loop's body is re-run.
    let scaled = render(quote! {
        fn f(p: &[f64], n: usize) -> f64 {
            let mut tot = 0.0;
            for i in 0..n {
                let mut sq = 0.0;
                for j in 0..3 {
                    sq += p[i + j] * p[i + j];
                }
                tot = tot * p[i] + 0.5 * sq;
            }
            tot
        }
    });
    assert!(!scaled.contains("exits"), "{scaled}");
}

/// The loop optimisations together: the outer loop only accumulates, so it is fused (forward
/// and reverse of each iteration in one pass, no tape); `x[c]` does not change in the inner
/// loop, so its adjoint is summed locally; `l` steps by one, so the reverse steps it back
/// instead of saving it, with one counter across the columns (nothing pushed per column); the
/// `tanh` values of a loop inside the fused one are saved on a small tape instead of computed
/// again.
fn fused_source() -> TokenStream {
    quote! {
        fn fused(m: &[f64], x: &[f64], #[no_grad] ys: &[f64]) -> f64 {
            let n = x.len();
            let mut total = 0.0;
            for s in 0..ys.len() {
                let mut y = [0.0; 4];
                let mut l = 0;
                for c in 0..n {
                    for r in c..n {
                        y[r] += m[l] * x[c];
                        l += 1;
                    }
                }
                let mut e = 0.0;
                for r in 0..n {
                    e += y[r].tanh() * ys[s];
                }
                total += e * e;
            }
            total / ys.len() as f64
        }
    }
}

/// See [`fused_source`].
#[test]
fn fused() {
    check("fused", fused_source());
}

/// A fused loop that subtracts a call's result from its accumulator: the forward sweep runs the
/// callee's `_vjp` in place of the call, with the accumulator's adjoint negated as the
/// cotangent, and the reverse of the call reads the cotangents it returned.
#[test]
fn early_call() {
    check(
        "early_call",
        quote! {
            fn nll(theta: [f64; 2], #[no_grad] data: &[f64]) -> f64 {
                let mut s = 0.0;
                for i in 0..data.len() {
                    s -= log_pdf(theta, data[i]);
                }
                s / data.len() as f64
            }
        },
    );
}

/// Reads of a slice parameter at an index that moves with the counter (`w[j * n + i]`) go
/// through a window made before the loop, in each sweep that reads them (see `bounds`).
#[test]
fn hoisted_reads() {
    check(
        "hoisted_reads",
        quote! {
            fn layer(w: &[f64], #[no_grad] x: &[f64], #[no_grad] rows: usize) -> f64 {
                let n = x.len();
                let mut s = 0.0;
                for j in 0..rows {
                    let mut a = 0.0;
                    for i in 0..n {
                        a += w[j * n + i] * x[i];
                    }
                    s += a.tanh();
                }
                s
            }
        },
    );
}

/// A collected `Vec` bound to a name (`let e: Vec<f64> = ..collect();`) shares the collecting
/// loop's adjoint: no second zero `Vec` for `e`, and nothing added from one into the other.
#[test]
fn copy_shares_its_source_adjoint() {
    let code = render(quote! {
        fn ce(z: &[f64]) -> f64 {
            let e: Vec<f64> = z.iter().map(|v| v.exp()).collect();
            let s: f64 = e.iter().sum();
            (e[0] / s).ln()
        }
    });
    let vjp = &code[code.find("fn ce_vjp").expect("ce_vjp")..];
    let vjp = &vjp[..vjp.find("\n}\n").expect("end of ce_vjp")];
    assert!(!vjp.contains("let mut bar_e"), "{vjp}");
    assert!(
        !vjp.contains("accumulate(&mut bar_collected_1, bar_e)"),
        "{vjp}"
    );
    assert!(vjp.contains("accumulate(&mut bar_collected_1[0]"), "{vjp}");
}

/// What each optimisation of [`fused_source`] shows in the generated code, stated directly.
#[test]
fn loop_optimisations_apply() {
    let code = render(fused_source());
    let vjp = &code[code.find("fn fused_vjp").expect("fused_vjp")..];
    let vjp = &vjp[..vjp.find("\n}\n").expect("end of fused_vjp")];
    // Fused: the outer range is never run backwards, and nothing saves its iterations.
    assert!(!vjp.contains("Iterator::rev(0..ys.len())"), "{vjp}");
    assert!(!vjp.contains("let mut tape ="), "{vjp}");
    assert!(vjp.contains("__private::element_zero(&bar_x)"), "{vjp}");
    assert!(vjp.contains("__private::rewind_start(l_"), "{vjp}");
    assert!(
        vjp.contains("save_t") && vjp.contains(".push_reserved(t"),
        "{vjp}"
    );
    // `y`'s adjoint is shared by the loops' slots (no copy in and out of the inner loops), and
    // `y[r] += ..` leaves the element's adjoint in place (no `bar_y[r] = 0`, no add back).
    assert!(!vjp.contains("took_y"), "{vjp}");
    assert!(!vjp.contains("[r] = ::vjp::zero_like"), "{vjp}");
    // A counter stepped in an inner loop and carried by the outer one: stepped back, with one
    // counter for both loops, and nothing saved per outer iteration.
    let rewound = render(quote! {
        fn f(x: &[f64]) -> f64 {
            let n = x.len();
            let mut l = 0;
            let mut s = 0.0;
            for c in 0..n {
                for r in c..n {
                    s = s * x[l % n] + x[r];
                    l += 1;
                }
            }
            s
        }
    });
    let vjp = &rewound[rewound.find("fn f_vjp").expect("f_vjp")..];
    assert_eq!(
        vjp.matches("__private::rewind_start(l_").count(),
        1,
        "{vjp}"
    );
    assert!(vjp.contains("let l_2 = rewind_l_1;"), "{vjp}");
    assert!(!vjp.contains("exits"), "{vjp}");
    // A loop that only accumulates and whose reverse reads no slot (a dot product) runs its
    // reverse forwards.
    let dot = render(quote! {
        fn f(w: &[f64], x: &[f64], #[no_grad] m: usize) -> f64 {
            let n = x.len();
            let mut total = 0.0;
            for s in 0..m {
                let mut a = w[s];
                for i in 0..n {
                    a += w[m + i] * x[i];
                }
                total += a.tanh();
            }
            total
        }
    });
    let vjp = &dot[dot.find("fn f_vjp").expect("f_vjp")..];
    let vjp = &vjp[..vjp.find("\n}\n").expect("end of f_vjp")];
    assert!(!vjp.contains("Iterator::rev(0..n)"), "{vjp}");
    assert_eq!(vjp.matches("for i in 0..n").count(), 2, "{vjp}");
}

/// A `Vec` buffer written element by element in loops.
#[test]
fn vec_buffer() {
    check(
        "vec_buffer",
        quote! {
            fn vec_buffer(x: &[f64], #[no_grad] w: &[f64]) -> f64 {
                let n = x.len();
                let mut h = vec![0.0; n];
                for j in 0..n {
                    h[j] = (x[j] * w[j]).tanh();
                }
                let mut s = 0.0;
                for j in 0..n {
                    s += h[j] * h[j] * w[j];
                }
                s
            }
        },
    );
}

/// A `Vec` written element by element outside loops.
#[test]
fn vec_straight() {
    check(
        "vec_straight",
        quote! {
            fn vec_straight(x: f64) -> f64 {
                let mut h = vec![0.0; 3];
                h[0] = x;
                h[1] = x * x;
                h[2] = h[0] * h[1];
                h[0] + h[2]
            }
        },
    );
}

/// Range loops nested in a range loop: the outer loop makes room for the innermost loop's tape
/// when it starts (`Plan::room`), and the values its two inner loops leave go on one tape, one
/// tuple per iteration (`Plan::frames`).
#[test]
fn nested_tapes() {
    check(
        "nested_tapes",
        quote! {
            fn nested_tapes(a: &[f64], n: usize) -> f64 {
                let mut s = 0.5;
                for i in 0..n {
                    let mut y = s;
                    for j in 0..3 {
                        y = (y * a[j]).sin();
                    }
                    let mut q = [0.0; 2];
                    for j in 0..2 {
                        q[j] = y * a[j + 1] + q[1 - j];
                    }
                    s = (s * q[0] + q[1] * y).tanh() + 0.1 * i as f64;
                }
                s
            }
        },
    );
}

/// A call of a plain function in an `if` whose result the code after it reads, and in a loop
/// that computes no derivative: the forward sweep saves their results (`Plan::saved`), which
/// the reverse pops instead of running them again; a range bounded by a plain call is counted.
#[test]
fn saved_results() {
    check(
        "saved_results",
        quote! {
            fn saved_results(x: &[f64]) -> f64 {
                let mut s = 0.5;
                for i in 0..x.len() {
                    let mut t = s;
                    if i > 1 {
                        t = (t * weight(i)).sin();
                    }
                    let mut k = i;
                    for _ in 0..next_len() {
                        k += 1;
                    }
                    s = t * x[k % x.len()];
                }
                s
            }
        },
    );
}

/// Rust as it is usually written: a closure, a dot product by `zip`/`map`/`sum` and a penalty
/// over `windows(2)`, each written as the loop it stands for before it is lowered.
#[test]
fn idioms() {
    check(
        "idioms",
        quote! {
            fn idioms(a: &[f64], b: &[f64], k: f64) -> f64 {
                let act = |t: f64| (t * k).tanh();
                let dot = a.iter().zip(b).map(|(p, q)| act(p * q)).sum::<f64>();
                let mut rough = 0.0;
                for w in a.windows(2) {
                    rough += (w[1] - w[0]).powi(2);
                }
                dot + 0.1 * rough
            }
        },
    );
}

/// Rows of arrays: `w[i][j]` is read from `w` directly, forward and reverse, and its adjoint
/// goes to `bar_w[i][j]` (no copy of the row, no zero row added back; see `views.rs`); a
/// row bound to a name (`let p = w[i];`) is a copy, as in Rust.
#[test]
fn row_views() {
    check(
        "row_views",
        quote! {
            fn row_views(w: &[[f64; 4]], x: &[f64; 4]) -> f64 {
                let mut s = 0.0;
                for i in 0..w.len() {
                    let mut a = 0.0;
                    for j in 0..4 {
                        a += w[i][j] * x[j];
                    }
                    let p = w[i];
                    s += a.tanh() * p[0];
                }
                s
            }
        },
    );
}

/// Element writes in loops whose reverse reads the aggregate (see `undo.rs`): the forward sweep
/// pushes the overwritten elements (the index `i + 1` the reverse computes before it puts them
/// back), the reverse puts them back in its own copy, `undone_y_1`, writes
/// again in place what its recompute slice reads, and reads the `tanh` it needs from that copy
/// (the forwarded value) instead of computing it again.
#[test]
fn undo_log() {
    check(
        "undo_log",
        quote! {
            fn undo_log(k: &[f64], w: &[f64; 3]) -> f64 {
                let n = k.len();
                let mut y = vec![1.0; n + 1];
                for i in 0..n {
                    y[i + 1] = 0.5 * y[i] + (y[i] * k[i]).sin();
                    let t = y[i + 1] * y[i];
                    y[i] = t.tanh();
                }
                let mut h = [0.5; 3];
                for i in 0..3 {
                    h[i] = (w[i] * h[i] + y[n]).tanh();
                }
                h[0] + h[2] * y[n]
            }
        },
    );
}
