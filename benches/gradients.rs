//! How fast are the gradients `#[differentiable]` generates?
//!
//! `cargo bench --bench gradients` times, for each problem, the primal function, the gradient
//! `vjp` generates for it, a hand-written gradient, and the same gradient computed by peer
//! crates: `num-dual` (forward mode, one pass per input), `echidna` and `reverse` (reverse
//! mode on a runtime tape). Before timing, every tool's gradient is checked against the
//! hand-written one. Options after `--`: `--quick` (fewer, shorter batches: a smoke test), and
//! words that select problems by name (`cargo bench --bench gradients -- gmm logistic`).
//!
//! Timing: each tool is warmed up and given a batch size that takes about 20 ms; then the
//! tools of a problem are timed in rounds, one batch of each per round, in a rotating order (the
//! machine may be shared, so its speed drifts over the rounds; interleaving spreads that drift
//! over all tools alike). The table gives the median time per call over the rounds, and the
//! spread as half the interquartile range over the median.

#[path = "gradients/gmm.rs"]
mod gmm;
#[path = "gradients/logistic.rs"]
mod logistic;
#[path = "gradients/network.rs"]
mod network;
#[path = "gradients/peers.rs"]
mod peers;
#[path = "gradients/rosenbrock.rs"]
mod rosenbrock;
#[path = "gradients/rows.rs"]
mod rows;
#[path = "gradients/softmax.rs"]
mod softmax;
#[path = "gradients/straight_line.rs"]
mod straight_line;
#[path = "gradients/writes.rs"]
mod writes;

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Writes one tool's gradient of a problem with data `D` into the buffer (overwriting it).
type GradientFn<D> = Box<dyn Fn(&D, &mut [f64])>;

/// One way of computing a problem's gradient.
pub struct Tool<D> {
    /// The name in the table.
    pub name: String,
    /// Computes the gradient (or, when `only` is set, those components of it).
    pub run: GradientFn<D>,
    /// When set, `run` computes only these components, and its time is multiplied by `scale`
    /// to estimate a whole gradient (forward mode, where each component is one pass).
    pub only: Option<Vec<usize>>,
    /// See `only`; 1 otherwise.
    pub scale: f64,
}

/// A function of data `D`, its gradient by every tool, and what to call it.
pub struct Problem<D> {
    /// Its name, matched by the command-line filter.
    pub name: &'static str,
    /// What is computed, with the sizes.
    pub about: String,
    /// The inputs: the point at which the gradient is taken, and any constant data.
    pub data: D,
    /// The number of gradient components.
    pub n: usize,
    /// The primal function.
    pub primal: fn(&D) -> f64,
    /// The gradients; the first is `vjp`'s, the second the hand-written one.
    pub tools: Vec<Tool<D>>,
}

impl<D> Problem<D> {
    /// Adds a tool that computes the whole gradient.
    pub fn tool(mut self, name: &str, run: impl Fn(&D, &mut [f64]) + 'static) -> Self {
        self.tools.push(Tool {
            name: name.to_string(),
            run: Box::new(run),
            only: None,
            scale: 1.0,
        });
        self
    }

    /// Adds a forward-mode tool that computes only the components `only`, one pass each; its
    /// time is scaled up to the `n` passes of a whole gradient.
    pub fn partial_tool(
        mut self,
        name: &str,
        only: Vec<usize>,
        run: impl Fn(&D, &mut [f64]) + 'static,
    ) -> Self {
        let scale = self.n as f64 / only.len() as f64;
        self.tools.push(Tool {
            name: name.to_string(),
            run: Box::new(run),
            only: Some(only),
            scale,
        });
        self
    }
}

/// How long and how often to measure.
#[derive(Clone, Copy)]
struct Plan {
    /// The duration a batch of calls should take.
    batch: Duration,
    /// How many batches of each tool to time.
    rounds: usize,
}

const FULL: Plan = Plan {
    batch: Duration::from_millis(20),
    rounds: 15,
};

const QUICK: Plan = Plan {
    batch: Duration::from_millis(3),
    rounds: 5,
};

/// Largest allowed relative difference between two tools' gradients.
const AGREEMENT: f64 = 1e-8;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `cargo bench` passes `--bench`; every other word selects problems.
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let plan = if quick { QUICK } else { FULL };

    println!("{}", header(plan, quick));
    println!(
        "time/call: median over the batches; spread: half the interquartile range / median; \
         /primal: time / the primal's time;\nvjp/tool: vjp's time / this tool's time (below 1: \
         vjp is faster); max rel diff: largest relative difference from the hand-written gradient"
    );
    let selected =
        |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    if selected("rosenbrock") {
        run(rosenbrock::problem(quick), plan);
    }
    if selected("network") {
        run(network::problem(quick), plan);
    }
    if selected("logistic") {
        run(logistic::problem(quick), plan);
    }
    if selected("gmm") {
        run(gmm::problem(quick), plan);
    }
    if selected("straight_line") {
        run(straight_line::problem(quick), plan);
    }
    if selected("rows") {
        run(rows::problem(quick), plan);
        run(rows::writes_problem(quick), plan);
    }
    if selected("softmax") {
        run(softmax::cross_entropy_problem(quick), plan);
        run(softmax::logsumexp_problem(quick), plan);
    }
    if selected("writes") {
        run(writes::trajectory_problem(quick), plan);
        run(writes::recurrent_problem(quick), plan);
        run(writes::relu_problem(quick), plan);
    }
}

/// The machine, the date and the plan.
fn header(plan: Plan, quick: bool) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|model| model.trim().to_string())
        })
        .unwrap_or_else(|| "CPU model unknown".to_string());
    format!(
        "vjp gradient benchmark, {} UTC; {cores} cores, {cpu}; median of {} batches of ~{} ms per tool{}",
        utc_now(),
        plan.rounds,
        plan.batch.as_millis(),
        if quick { " (--quick)" } else { "" }
    )
}

/// The current UTC date and time, `YYYY-MM-DD HH:MM`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian; eras of 400 years).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Checks that the tools agree, then times them and prints the table.
fn run<D>(problem: Problem<D>, plan: Plan) {
    println!("\n== {}: {}", problem.name, problem.about);
    let differences = check_agreement(&problem);

    let data = &problem.data;
    let primal = problem.primal;
    let mut timed: Vec<Timed> = vec![Timed::new(
        Box::new(move || {
            black_box(primal(black_box(data)));
        }),
        plan,
    )];
    for tool in &problem.tools {
        let mut gradient = vec![0.0; problem.n];
        let run = &tool.run;
        timed.push(Timed::new(
            Box::new(move || {
                run(black_box(data), black_box(&mut gradient));
                black_box(&gradient);
            }),
            plan,
        ));
    }
    let times = time_interleaved(&mut timed, plan.rounds);
    drop(timed);

    let (primal_time, primal_spread) = times[0];
    let vjp_time = times[1].0 * problem.tools[0].scale;
    println!(
        "  {:<36} {:>11} {:>7} {:>8} {:>9} {:>13}",
        "tool", "time/call", "spread", "/primal", "vjp/tool", "max rel diff"
    );
    println!(
        "  {:<36} {:>11} {:>6.1}% {:>8.2}",
        "primal (f64)",
        format_time(primal_time),
        100.0 * primal_spread,
        1.0
    );
    for (tool, (&(median, spread), difference)) in
        problem.tools.iter().zip(times[1..].iter().zip(differences))
    {
        let time = median * tool.scale;
        let name = match tool.only {
            Some(_) => format!("{} [est.]", tool.name),
            None => tool.name.clone(),
        };
        println!(
            "  {:<36} {:>11} {:>6.1}% {:>8.2} {:>9.2} {:>13.1e}",
            name,
            format_time(time),
            100.0 * spread,
            time / primal_time,
            vjp_time / time,
            difference
        );
    }
    for tool in &problem.tools {
        if let Some(only) = &tool.only {
            println!(
                "  [est.] {}: {} of its {} passes timed (one pass per input), time x {:.1}; \
                 agreement checked on those {} components",
                tool.name,
                only.len(),
                problem.n,
                tool.scale,
                only.len()
            );
        }
    }
}

/// Computes every tool's gradient once and compares it with the hand-written one (the second
/// tool); panics if any differs by more than [`AGREEMENT`]. Returns each tool's largest
/// relative difference.
fn check_agreement<D>(problem: &Problem<D>) -> Vec<f64> {
    let n = problem.n;
    let gradients: Vec<Vec<f64>> = problem
        .tools
        .iter()
        .map(|tool| {
            let mut g = vec![f64::NAN; n];
            (tool.run)(&problem.data, &mut g);
            g
        })
        .collect();
    let reference = &gradients[1];
    let scale = reference.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    problem
        .tools
        .iter()
        .zip(&gradients)
        .map(|(tool, g)| {
            let components: Vec<usize> = match &tool.only {
                Some(only) => only.clone(),
                None => (0..n).collect(),
            };
            let worst = components
                .iter()
                .map(|&i| relative_difference(g[i], reference[i], scale))
                .fold(0.0f64, f64::max);
            assert!(
                worst < AGREEMENT,
                "{}: the gradient by {} differs from the hand-written one by {worst:e} (relative)",
                problem.name,
                tool.name
            );
            worst
        })
        .collect()
}

/// `|a - b|` relative to the larger of `|a|`, `|b|`, and `1e-6 * scale` (the gradient's largest
/// component), so that components that cancel to almost nothing are compared with the
/// gradient's size rather than with their own rounding noise. NaN compares as infinitely far.
fn relative_difference(a: f64, b: f64, scale: f64) -> f64 {
    let d = (a - b).abs()
        / a.abs()
            .max(b.abs())
            .max(1e-6 * scale)
            .max(f64::MIN_POSITIVE);
    if d.is_nan() {
        f64::INFINITY
    } else {
        d
    }
}

/// A closure to time, with its batch size.
struct Timed<'a> {
    call: Box<dyn FnMut() + 'a>,
    batch: usize,
    /// Seconds per call, one per round.
    samples: Vec<f64>,
}

impl<'a> Timed<'a> {
    /// Warms `call` up and sizes its batch to take about `plan.batch`.
    fn new(mut call: Box<dyn FnMut() + 'a>, plan: Plan) -> Timed<'a> {
        let mut batch = 1;
        loop {
            let start = Instant::now();
            for _ in 0..batch {
                call();
            }
            let elapsed = start.elapsed();
            if elapsed >= plan.batch / 4 || batch >= 1 << 30 {
                let per_call = elapsed.as_secs_f64() / batch as f64;
                batch = ((plan.batch.as_secs_f64() / per_call).ceil() as usize).max(1);
                break;
            }
            batch *= 2;
        }
        Timed {
            call,
            batch,
            samples: Vec::new(),
        }
    }

    fn sample(&mut self) {
        let start = Instant::now();
        for _ in 0..self.batch {
            (self.call)();
        }
        self.samples
            .push(start.elapsed().as_secs_f64() / self.batch as f64);
    }
}

/// Runs `rounds` rounds of one batch of each closure, starting each round at the next closure,
/// and returns each closure's median time per call and its relative spread.
fn time_interleaved(timed: &mut [Timed], rounds: usize) -> Vec<(f64, f64)> {
    let count = timed.len();
    for round in 0..rounds {
        for k in 0..count {
            timed[(round + k) % count].sample();
        }
    }
    timed
        .iter()
        .map(|t| {
            let mut s = t.samples.clone();
            s.sort_by(f64::total_cmp);
            let median = quantile(&s, 0.5);
            let spread = (quantile(&s, 0.75) - quantile(&s, 0.25)) / 2.0 / median;
            (median, spread)
        })
        .collect()
}

/// The `q`-quantile of sorted samples, interpolating linearly.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (position.floor() as usize, position.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo as f64)
}

/// `1.23 µs`, `45.6 ms`, ...
fn format_time(seconds: f64) -> String {
    let (value, unit) = if seconds < 1e-6 {
        (seconds * 1e9, "ns")
    } else if seconds < 1e-3 {
        (seconds * 1e6, "µs")
    } else if seconds < 1.0 {
        (seconds * 1e3, "ms")
    } else {
        (seconds, "s")
    };
    format!("{value:.3} {unit}")
}

/// A small deterministic generator (SplitMix64), so every run benchmarks the same inputs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * unit
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.uniform(0.0, 1.0);
        let v = self.uniform(0.0, 1.0);
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    /// `n` values from `draw`.
    pub fn vec(&mut self, n: usize, mut draw: impl FnMut(&mut Rng) -> f64) -> Vec<f64> {
        (0..n).map(|_| draw(self)).collect()
    }
}
