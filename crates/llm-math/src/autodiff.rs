//! A small reverse-mode automatic differentiation engine on scalars.
//!
//! Taught in `notebooks/02-calculus.ipynb`.
//!
//! Every arithmetic operation on a [`Value`] returns a new `Value` that
//! remembers which values it was made from and the *local* derivative of the
//! result with respect to each of them. Together these nodes form a graph.
//! [`Value::backward`] then walks that graph from the output back to the
//! inputs and applies the chain rule once per edge:
//!
//! ```text
//! ∂L/∂a += ∂L/∂out · ∂out/∂a        for every input a of every node out
//! ```
//!
//! The `+=` matters: a value used in two places receives gradient from both.
//!
//! **Why scalars.** Every node holds one number, so each operation is a few
//! lines (compute `out`, record its local derivatives, return) and the chain
//! rule is visible in each of them. An engine on arrays would compute the same
//! thing, but hide it behind shape bookkeeping (broadcasting, transposes,
//! summing over batch axes). The notebooks' networks are tiny, so the speed an
//! array engine would buy does not matter here. This follows Karpathy's
//! micrograd.
//!
//! **Why numbers, not closures.** micrograd stores a `_backward` closure in
//! each node. Here each op stores the local derivative as a number, computed
//! in the forward pass; that is the same information (the backward rule of
//! every op below only ever multiplies by it), and it avoids a closure that
//! holds a reference to its own node, which in Rust would be an `Rc` cycle and
//! a memory leak.
//!
//! # Examples
//! One neuron, `y = tanh(w·x + b)`, and its gradients:
//! ```
//! use llm_math::autodiff::*;
//!
//! let (x, w, b) = (Value::new(2.0), Value::new(-0.5), Value::new(0.25));
//! let y = (&w * &x + &b).tanh(); // tanh(−0.75)
//! y.backward();
//!
//! let dy = 1.0 - y.data().powi(2); // d tanh(z)/dz = 1 − tanh²(z)
//! assert!((w.grad() - dy * 2.0).abs() < 1e-12); // ∂y/∂w = (1 − y²)·x
//! assert!((x.grad() - dy * -0.5).abs() < 1e-12); // ∂y/∂x = (1 − y²)·w
//! assert!((b.grad() - dy).abs() < 1e-12); // ∂y/∂b = (1 − y²)
//! ```

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::ops::{Add, Div, Mul, Neg, Sub};
use std::rc::Rc;

use crate::display::Readable;
use crate::error::{Error, Result};

/// What a [`Value`] points at: its number, its gradient, and the inputs it was
/// made from, each with the local derivative `∂self/∂input`.
struct Node {
    data: f64,
    grad: f64,
    inputs: Vec<(Value, f64)>,
}

impl Drop for Node {
    // A long chain (`x = &x + 1.0` a hundred thousand times) would otherwise be
    // dropped recursively, node by node, and overflow the stack. Unlink it
    // with an explicit stack instead.
    fn drop(&mut self) {
        let mut stack = std::mem::take(&mut self.inputs);
        while let Some((value, _)) = stack.pop() {
            // Only unlink nodes nobody else holds; the rest stay alive.
            if let Ok(cell) = Rc::try_unwrap(value.0) {
                let mut node = cell.into_inner();
                stack.append(&mut node.inputs);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The node
// ---------------------------------------------------------------------------

/// A node in the computation graph: a value, its gradient, and how it was made.
///
/// Cloning a `Value` clones a handle to the same node (it is an
/// `Rc<RefCell<…>>`), so a clone sees the same gradient after
/// [`backward`](Value::backward). Single-threaded by design.
///
/// # Examples
/// ```
/// use llm_math::autodiff::*;
///
/// let a = Value::new(3.0);
/// let b = Value::new(4.0);
/// let c = &a * &b; // c = ab
/// c.backward();
/// assert_eq!(c.data(), 12.0);
/// assert_eq!(a.grad(), 4.0); // ∂c/∂a = b
/// assert_eq!(b.grad(), 3.0); // ∂c/∂b = a
/// assert_eq!(format!("{a:?}"), "Value(data=3.0000, grad=4.0000)");
/// ```
///
/// # Operators
/// `+ - * /` take a `Value`, a `&Value` or an `f64` on either side, and unary
/// `-` a `Value` or a `&Value`, so a formula reads like the maths. Borrow
/// (`&x`) a value used again later; an owned one is moved into the result.
/// A plain number becomes a leaf. `a - b` is built as `a + (−1)·b` and
/// `a / b` as `a · b⁻¹` (see [`pow`](Value::pow)).
///
/// ```
/// use llm_math::autodiff::*;
///
/// let x = Value::new(-4.0);
/// let z = 2.0 * &x + 2.0 + &x; // z = 3x + 2
/// let y = &z * &z / 2.0 - &x; // y = z²/2 − x
/// y.backward();
/// assert_eq!((z.data(), y.data()), (-10.0, 54.0));
/// assert_eq!(x.grad(), -31.0); // ∂y/∂x = z·3 − 1
/// ```
///
/// # Panics
/// `a / b` panics if `1/b` is not a finite number (`b` = 0, say), or its
/// slope `−1/b²` is not (`|b|` below about 1e-154): an operator cannot return
/// an [`Error`]. Write `a * b.pow(-1.0)?` to get the error instead.
#[derive(Clone)]
pub struct Value(Rc<RefCell<Node>>);

impl Value {
    /// A leaf: a number that was not computed from other values (an input, a
    /// weight or a constant). Its gradient starts at 0.
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// let w = Value::new(0.5);
    /// assert_eq!((w.data(), w.grad()), (0.5, 0.0));
    /// ```
    pub fn new(data: f64) -> Value {
        Value::from_op(data, Vec::new())
    }

    /// The result of an operation: `data`, made from `inputs`, each paired with
    /// the local derivative `∂data/∂input`.
    fn from_op(data: f64, inputs: Vec<(Value, f64)>) -> Value {
        Value(Rc::new(RefCell::new(Node { data, grad: 0.0, inputs })))
    }

    /// The number this node holds.
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// assert_eq!(Value::new(2.5).data(), 2.5);
    /// ```
    pub fn data(&self) -> f64 {
        self.0.borrow().data
    }

    /// `∂L/∂self`, where `L` is the value [`backward`](Value::backward) was last
    /// called on; 0 before any call.
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// let a = Value::new(2.5);
    /// assert_eq!(a.grad(), 0.0);
    /// a.backward(); // ∂a/∂a = 1
    /// assert_eq!(a.grad(), 1.0);
    /// ```
    pub fn grad(&self) -> f64 {
        self.0.borrow().grad
    }

    // -----------------------------------------------------------------------
    // Operations: each one computes `out`, records its local derivatives,
    // and returns.
    // -----------------------------------------------------------------------

    /// Sum of two values.
    ///
    /// ```text
    /// out = a + b,   ∂out/∂a = 1,   ∂out/∂b = 1
    /// ```
    ///
    /// Also available as `a + b`, with a `Value`, `&Value` or `f64` on either
    /// side.
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// let (a, b) = (Value::new(2.0), Value::new(-3.0));
    /// let c = a.add(&b);
    /// c.backward();
    /// assert_eq!((c.data(), a.grad(), b.grad()), (-1.0, 1.0, 1.0));
    /// ```
    pub fn add(&self, other: &Value) -> Value {
        let (a, b) = (self.data(), other.data());
        let out = a + b;
        // A sum passes its gradient through unchanged to both inputs.
        Value::from_op(out, vec![(self.clone(), 1.0), (other.clone(), 1.0)])
    }

    /// Product of two values.
    ///
    /// ```text
    /// out = a · b,   ∂out/∂a = b,   ∂out/∂b = a
    /// ```
    ///
    /// Also available as `a * b`, with a `Value`, `&Value` or `f64` on either
    /// side.
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// let (a, b) = (Value::new(2.0), Value::new(-3.0));
    /// let c = a.mul(&b);
    /// c.backward();
    /// assert_eq!((c.data(), a.grad(), b.grad()), (-6.0, -3.0, 2.0));
    /// ```
    pub fn mul(&self, other: &Value) -> Value {
        let (a, b) = (self.data(), other.data());
        let out = a * b;
        // Each input's gradient is scaled by the *other* input.
        Value::from_op(out, vec![(self.clone(), b), (other.clone(), a)])
    }

    /// This value raised to a constant power (the exponent is a plain number,
    /// not a node, so it gets no gradient). `pow(-1.0)` is division's building
    /// block: the operator `a / b` is `a · b⁻¹`.
    ///
    /// ```text
    /// out = aⁿ,   ∂out/∂a = n · aⁿ⁻¹
    /// ```
    ///
    /// At `a = 0` with `0 < n < 1` (a square root, say) the slope is truly
    /// infinite, and is recorded as `inf`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] (named `exponent`) if `n` is not a finite
    /// number (`a^∞` has no slope to pass back), if `aⁿ` is not a finite
    /// number, e.g. `(−1)^0.5` (NaN) or `0^−1` (infinity), or if the slope
    /// `n·aⁿ⁻¹` is beyond the largest f64 though `a ≠ 0`, e.g. `a⁻¹` at
    /// `a = 1e-200` (slope −1e400): its gradient would be an infinity.
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// use llm_math::Error;
    ///
    /// let a = Value::new(3.0);
    /// let c = a.pow(2.0)?;
    /// c.backward();
    /// assert_eq!((c.data(), a.grad()), (9.0, 6.0)); // 2·3
    ///
    /// let err = Value::new(-1.0).pow(0.5).unwrap_err();
    /// assert!(matches!(err, Error::InvalidArgument { name: "exponent", .. }));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn pow(&self, exponent: f64) -> Result<Value> {
        let (a, n) = (self.data(), exponent);
        if !n.is_finite() {
            return Err(Error::invalid("exponent", n, "the exponent must be a finite number (a^∞ has no slope to pass back)"));
        }
        let out = a.powf(n);
        if !out.is_finite() {
            return Err(Error::invalid(
                "exponent",
                n,
                format!("{a}^{n} is {out}, not a finite number (a negative base needs a whole exponent, and 0 a positive one)"),
            ));
        }
        // n = 0 is the constant 1: its slope is 0 even at a = 0, where the
        // formula would give 0 · 0⁻¹ = NaN.
        let mut local = if n == 0.0 { 0.0 } else { n * a.powf(n - 1.0) };
        if !local.is_finite() && a != 0.0 {
            // aⁿ⁻¹ overflows for a tiny a and n < 1 even where n·aⁿ⁻¹ does
            // not: at a = n = 5e-324 the slope is (n/a)·aⁿ = 1·1.
            local = (n / a) * out;
        }
        if !local.is_finite() && a != 0.0 {
            return Err(Error::invalid(
                "exponent",
                n,
                format!(
                    "the slope of a^n at a = {a}, n·a^(n − 1), is beyond the largest f64, so its gradient would be infinite \
                     (keep a further from 0)",
                    a = a.readable()
                ),
            ));
        }
        Ok(Value::from_op(out, vec![(self.clone(), local)]))
    }

    /// The exponential `eᵃ`. Not checked: `exp(1000)` is `inf`, which is what
    /// it is in `f64`.
    ///
    /// ```text
    /// out = eᵃ,   ∂out/∂a = eᵃ
    /// ```
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// let a = Value::new(0.0);
    /// let c = a.exp();
    /// c.backward();
    /// assert_eq!((c.data(), a.grad()), (1.0, 1.0));
    /// ```
    pub fn exp(&self) -> Value {
        let a = self.data();
        let out = a.exp();
        // eᵃ is its own derivative: reuse `out`.
        Value::from_op(out, vec![(self.clone(), out)])
    }

    /// The natural logarithm `ln a`.
    ///
    /// ```text
    /// out = ln a,   ∂out/∂a = 1 / a
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] (named `self`) if `a ≤ 0` (or NaN): the
    /// logarithm is only defined for positive numbers; and if `a` is so close
    /// to 0 (below about 5.6e-309, a subnormal) that the slope `1/a` is
    /// beyond the largest f64: its gradient would be infinite.
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// use llm_math::Error;
    ///
    /// let a = Value::new(4.0);
    /// let c = a.log()?;
    /// c.backward();
    /// assert_eq!(a.grad(), 0.25); // 1/4
    ///
    /// let err = Value::new(0.0).log().unwrap_err();
    /// assert!(matches!(err, Error::InvalidArgument { name: "self", .. }));
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn log(&self) -> Result<Value> {
        let a = self.data();
        // NaN is refused too: it would only spread through the graph.
        if a.is_nan() || a <= 0.0 {
            return Err(Error::invalid(
                "self",
                a,
                "the logarithm is only defined for positive numbers (add a small epsilon, or clamp, before taking it)",
            ));
        }
        let slope = 1.0 / a;
        if !slope.is_finite() {
            return Err(Error::invalid(
                "self",
                a,
                format!(
                    "the slope of ln a there, 1/a, is beyond the largest f64 (a is below 1/f64::MAX ≈ {}), so its gradient \
                     would be infinite (add a small epsilon, or clamp, before taking the logarithm)",
                    (1.0 / f64::MAX).readable()
                ),
            ));
        }
        let out = a.ln();
        Ok(Value::from_op(out, vec![(self.clone(), slope)]))
    }

    /// The hyperbolic tangent, an activation squashing any number into (−1, 1).
    ///
    /// ```text
    /// out = tanh a,   ∂out/∂a = 1 − tanh² a
    /// ```
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// let a = Value::new(0.0);
    /// let c = a.tanh();
    /// c.backward();
    /// assert_eq!((c.data(), a.grad()), (0.0, 1.0));
    /// ```
    pub fn tanh(&self) -> Value {
        let a = self.data();
        let out = a.tanh();
        // The derivative is written in terms of the output: reuse `out`.
        Value::from_op(out, vec![(self.clone(), 1.0 - out * out)])
    }

    /// The logistic sigmoid, an activation squashing any number into (0, 1).
    ///
    /// ```text
    /// out = σ(a) = 1 / (1 + e⁻ᵃ),   ∂out/∂a = σ(a) (1 − σ(a))
    /// ```
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// let a = Value::new(0.0);
    /// let c = a.sigmoid();
    /// c.backward();
    /// assert_eq!((c.data(), a.grad()), (0.5, 0.25));
    /// // Saturates cleanly instead of giving NaN for large |a|.
    /// assert_eq!(Value::new(-1000.0).sigmoid().data(), 0.0);
    /// ```
    pub fn sigmoid(&self) -> Value {
        let a = self.data();
        // Only ever exponentiate a non-positive number, so exp cannot overflow.
        let out = if a >= 0.0 { 1.0 / (1.0 + (-a).exp()) } else { a.exp() / (1.0 + a.exp()) };
        // Like tanh, the derivative is written in terms of the output.
        Value::from_op(out, vec![(self.clone(), out * (1.0 - out))])
    }

    /// The rectified linear unit: `a` if positive, else 0.
    ///
    /// ```text
    /// out = max(0, a),   ∂out/∂a = 1 if a > 0 else 0
    /// ```
    ///
    /// At `a = 0` the slope is taken as 0, as PyTorch does.
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// let a = Value::new(-2.0);
    /// let c = a.relu();
    /// c.backward();
    /// assert_eq!((c.data(), a.grad()), (0.0, 0.0));
    /// ```
    pub fn relu(&self) -> Value {
        let a = self.data();
        let out = a.max(0.0);
        // Gradient flows only through units that were active.
        Value::from_op(out, vec![(self.clone(), if a > 0.0 { 1.0 } else { 0.0 })])
    }

    /// The sine (of an angle in radians).
    ///
    /// ```text
    /// out = sin a,   ∂out/∂a = cos a
    /// ```
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// let x = Value::new(0.0);
    /// let c = x.sin();
    /// c.backward();
    /// assert_eq!((c.data(), x.grad()), (0.0, 1.0)); // cos 0 = 1
    ///
    /// // The chain rule through the engine: d/dx sin(x²) = cos(x²) · 2x.
    /// let x = Value::new(1.5);
    /// let y = x.pow(2.0)?.sin();
    /// y.backward();
    /// assert!((x.grad() - 2.25f64.cos() * 2.0 * 1.5).abs() < 1e-12);
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn sin(&self) -> Value {
        let a = self.data();
        let out = a.sin();
        Value::from_op(out, vec![(self.clone(), a.cos())])
    }

    /// The cosine (of an angle in radians).
    ///
    /// ```text
    /// out = cos a,   ∂out/∂a = −sin a
    /// ```
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// let a = Value::new(0.0);
    /// let c = a.cos();
    /// c.backward();
    /// assert_eq!((c.data(), a.grad()), (1.0, 0.0)); // −sin 0 = 0
    /// ```
    pub fn cos(&self) -> Value {
        let a = self.data();
        let out = a.cos();
        Value::from_op(out, vec![(self.clone(), -a.sin())])
    }

    // -----------------------------------------------------------------------
    // Backpropagation
    // -----------------------------------------------------------------------

    /// Sets this node's gradient to 1 and applies the chain rule to every node
    /// it depends on, in reverse topological order. Zeroes all gradients in
    /// the graph first, so calling it twice (a notebook cell rerun) gives the
    /// same gradients, not doubled ones.
    ///
    /// ```text
    /// ∂L/∂L = 1
    /// ∂L/∂a += ∂L/∂out · ∂out/∂a    for each node out, outputs before inputs
    /// ```
    ///
    /// # Examples
    /// ```
    /// use llm_math::autodiff::*;
    /// let a = Value::new(3.0);
    /// let y = &a * &a; // a used twice: both uses contribute, ∂y/∂a = 2a
    /// y.backward();
    /// y.backward(); // a rerun does not double it
    /// assert_eq!(a.grad(), 6.0);
    /// ```
    pub fn backward(&self) {
        let order = self.topological_order();
        for value in &order {
            value.0.borrow_mut().grad = 0.0;
        }
        self.0.borrow_mut().grad = 1.0;
        // Outputs before inputs: by the time a node is reached, every node that
        // uses it has already added its share to its gradient.
        for value in order.iter().rev() {
            let node = value.0.borrow();
            for (input, local) in &node.inputs {
                input.0.borrow_mut().grad += local * node.grad;
            }
        }
    }

    /// Every node this one depends on (itself included), each after all of its
    /// inputs. An explicit stack instead of recursion, so a graph 100 000 nodes
    /// deep does not overflow the call stack.
    fn topological_order(&self) -> Vec<Value> {
        let mut order = Vec::new();
        let mut visited = HashSet::new();
        // (node, inputs already pushed?): a node is emitted on its second visit,
        // after everything above it on the stack (its inputs) has been emitted.
        let mut stack = vec![(self.clone(), false)];
        while let Some((value, inputs_done)) = stack.pop() {
            if inputs_done {
                order.push(value);
                continue;
            }
            // Identify nodes by address: two different nodes may hold equal numbers.
            if !visited.insert(Rc::as_ptr(&value.0)) {
                continue;
            }
            let inputs: Vec<Value> = value.0.borrow().inputs.iter().map(|(input, _)| input.clone()).collect();
            stack.push((value, true));
            stack.extend(inputs.into_iter().map(|input| (input, false)));
        }
        order
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value(data={:.4}, grad={:.4})", self.data(), self.grad())
    }
}

// ---------------------------------------------------------------------------
// Operator sugar: each operator is defined once, on `&Value ∘ &Value`, in terms
// of the operations above, so the backward rules live in one place. The macro
// lends that definition to every other mix of `Value`, `&Value` and `f64`; a
// plain `f64` operand becomes a leaf `Value`.
// ---------------------------------------------------------------------------

/// `impl $Trait` for `&Value ∘ &Value` with `$body`, and for the seven other
/// operand mixes by forwarding to it.
macro_rules! binary_operator {
    ($Trait:ident, $method:ident, $doc:literal, |$a:ident, $b:ident| $body:expr) => {
        impl $Trait<&Value> for &Value {
            type Output = Value;
            #[doc = $doc]
            fn $method(self, rhs: &Value) -> Value {
                let ($a, $b) = (self, rhs);
                $body
            }
        }
        binary_operator!(@forward $Trait, $method, $doc, Value, Value, |a, b| (&a, &b));
        binary_operator!(@forward $Trait, $method, $doc, Value, &Value, |a, b| (&a, b));
        binary_operator!(@forward $Trait, $method, $doc, &Value, Value, |a, b| (a, &b));
        binary_operator!(@forward $Trait, $method, $doc, Value, f64, |a, b| (&a, &Value::new(b)));
        binary_operator!(@forward $Trait, $method, $doc, &Value, f64, |a, b| (a, &Value::new(b)));
        binary_operator!(@forward $Trait, $method, $doc, f64, Value, |a, b| (&Value::new(a), &b));
        binary_operator!(@forward $Trait, $method, $doc, f64, &Value, |a, b| (&Value::new(a), b));
    };
    (@forward $Trait:ident, $method:ident, $doc:literal, $Lhs:ty, $Rhs:ty, |$a:ident, $b:ident| ($x:expr, $y:expr)) => {
        impl $Trait<$Rhs> for $Lhs {
            type Output = Value;
            #[doc = $doc]
            fn $method(self, rhs: $Rhs) -> Value {
                let ($a, $b) = (self, rhs);
                <&Value as $Trait<&Value>>::$method($x, $y)
            }
        }
    };
}

binary_operator!(Add, add, "`a + b`, see [`Value::add`].", |a, b| Value::add(a, b));
binary_operator!(Sub, sub, "`a - b = a + (−1)·b`, see [`Value::add`] and [`Value::mul`].", |a, b| Value::add(a, &-b));
binary_operator!(Mul, mul, "`a * b`, see [`Value::mul`].", |a, b| Value::mul(a, b));
binary_operator!(Div, div, "`a / b = a · b⁻¹`, see [`Value::mul`] and [`Value::pow`]. Panics if `1/b` or its slope is not finite.", |a, b| {
    let reciprocal = b.pow(-1.0).unwrap_or_else(|err| panic!("a / b needs a finite 1/b (b.pow(-1.0)? returns this as an Error): {err}"));
    Value::mul(a, &reciprocal)
});

impl Neg for &Value {
    type Output = Value;
    /// `-a = (−1)·a`, see [`Value::mul`].
    fn neg(self) -> Value {
        Value::mul(self, &Value::new(-1.0))
    }
}

impl Neg for Value {
    type Output = Value;
    /// `-a = (−1)·a`, see [`Value::mul`].
    fn neg(self) -> Value {
        -&self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    /// Central finite difference (the calculus module's), the independent
    /// reference for every gradient: it never looks at the graph.
    /// Error O(h²) from truncation plus O(ε/h) from rounding; h = 1e-5 balances them.
    fn central_difference(f: impl Fn(f64) -> f64, x: f64) -> f64 {
        crate::calculus::central_difference(f, x, 1e-5).expect("finite test functions")
    }

    /// Checks `op` at each point: its forward value against `plain`, and its
    /// gradient against both a finite difference of `plain` and `closed_form`.
    fn check_unary(
        op: impl Fn(&Value) -> Value,
        plain: impl Fn(f64) -> f64,
        closed_form: impl Fn(f64) -> f64,
        points: &[f64],
    ) {
        for &x in points {
            let a = Value::new(x);
            let out = op(&a);
            out.backward();
            assert_abs_diff_eq!(out.data(), plain(x), epsilon = 1e-12);
            assert_abs_diff_eq!(a.grad(), central_difference(&plain, x), epsilon = 1e-6);
            assert_abs_diff_eq!(a.grad(), closed_form(x), epsilon = 1e-12);
        }
    }

    /// Like [`check_unary`] for two inputs: `closed_form` returns (∂/∂a, ∂/∂b).
    fn check_binary(
        op: impl Fn(&Value, &Value) -> Value,
        plain: impl Fn(f64, f64) -> f64,
        closed_form: impl Fn(f64, f64) -> (f64, f64),
        points: &[(f64, f64)],
    ) {
        for &(x, y) in points {
            let (a, b) = (Value::new(x), Value::new(y));
            let out = op(&a, &b);
            out.backward();
            let (da, db) = closed_form(x, y);
            assert_abs_diff_eq!(out.data(), plain(x, y), epsilon = 1e-12);
            assert_abs_diff_eq!(a.grad(), central_difference(|x| plain(x, y), x), epsilon = 1e-6);
            assert_abs_diff_eq!(b.grad(), central_difference(|y| plain(x, y), y), epsilon = 1e-6);
            assert_abs_diff_eq!(a.grad(), da, epsilon = 1e-12);
            assert_abs_diff_eq!(b.grad(), db, epsilon = 1e-12);
        }
    }

    const PAIRS: [(f64, f64); 4] = [(2.0, -3.0), (-0.5, 0.25), (1.5, 1.5), (0.0, 4.0)];
    const POINTS: [f64; 5] = [-2.0, -0.3, 0.1, 0.7, 3.0];

    #[test]
    fn add_gradient() {
        check_binary(|a, b| a + b, |a, b| a + b, |_, _| (1.0, 1.0), &PAIRS);
        check_binary(|a, b| a.add(b), |a, b| a + b, |_, _| (1.0, 1.0), &PAIRS);
        check_unary(|a| a + 2.5, |a| a + 2.5, |_| 1.0, &POINTS);
        check_unary(|a| 2.5 + a, |a| 2.5 + a, |_| 1.0, &POINTS);
    }

    #[test]
    fn mul_gradient() {
        check_binary(|a, b| a * b, |a, b| a * b, |a, b| (b, a), &PAIRS);
        check_binary(|a, b| a.mul(b), |a, b| a * b, |a, b| (b, a), &PAIRS);
        check_unary(|a| a * -1.5, |a| a * -1.5, |_| -1.5, &POINTS);
        check_unary(|a| -1.5 * a, |a| -1.5 * a, |_| -1.5, &POINTS);
    }

    #[test]
    fn sub_gradient() {
        check_binary(|a, b| a - b, |a, b| a - b, |_, _| (1.0, -1.0), &PAIRS);
        check_unary(|a| a - 2.5, |a| a - 2.5, |_| 1.0, &POINTS);
        check_unary(|a| 2.5 - a, |a| 2.5 - a, |_| -1.0, &POINTS);
    }

    #[test]
    fn div_gradient() {
        // PAIRS and POINTS have no zero divisor.
        check_binary(|a, b| a / b, |a, b| a / b, |a, b| (1.0 / b, -a / (b * b)), &PAIRS);
        check_unary(|a| a / -4.0, |a| a / -4.0, |_| -0.25, &POINTS);
        // Not at 0.1: 2.5/a bends so fast there that the finite difference is off by 2.5e-6.
        check_unary(|a| 2.5 / a, |a| 2.5 / a, |a| -2.5 / (a * a), &[-2.0, -0.3, 0.7, 3.0]);
    }

    #[test]
    fn neg_gradient() {
        check_unary(|a| -a, |a| -a, |_| -1.0, &POINTS);
        check_unary(|a| -a.clone(), |a| -a, |_| -1.0, &POINTS);
    }

    /// `(out.data(), ∂out/∂a, ∂out/∂b)` for `out = build(a, b)` on fresh leaves
    /// `a = x` and `b = y`.
    fn evaluate(x: f64, y: f64, build: impl Fn(&Value, &Value) -> Value) -> (f64, f64, f64) {
        let (a, b) = (Value::new(x), Value::new(y));
        let out = build(&a, &b);
        out.backward();
        (out.data(), a.grad(), b.grad())
    }

    /// Asserts that every operand mix of `$op` (owned, borrowed, `f64` on
    /// either side) gives bit for bit the value and gradients of `$reference`,
    /// the same expression written with the methods. An `f64` operand is not a
    /// node, so its gradient reads 0.
    macro_rules! assert_every_operand_mix_is {
        ($op:tt, $reference:expr) => {
            for &(x, y) in &PAIRS {
                let expected = evaluate(x, y, $reference);
                let (data, da, db) = expected;
                let forms: [(&str, (f64, f64, f64), (f64, f64, f64)); 8] = [
                    ("&a ∘ &b", evaluate(x, y, |a, b| a $op b), expected),
                    ("a ∘ b", evaluate(x, y, |a, b| a.clone() $op b.clone()), expected),
                    ("a ∘ &b", evaluate(x, y, |a, b| a.clone() $op b), expected),
                    ("&a ∘ b", evaluate(x, y, |a, b| a $op b.clone()), expected),
                    ("&a ∘ y", evaluate(x, y, |a, _| a $op y), (data, da, 0.0)),
                    ("a ∘ y", evaluate(x, y, |a, _| a.clone() $op y), (data, da, 0.0)),
                    ("x ∘ &b", evaluate(x, y, |_, b| x $op b), (data, 0.0, db)),
                    ("x ∘ b", evaluate(x, y, |_, b| x $op b.clone()), (data, 0.0, db)),
                ];
                for (form, got, want) in forms {
                    assert_eq!(got, want, "{form} with ∘ = {} at ({x}, {y})", stringify!($op));
                }
            }
        };
    }

    #[test]
    fn add_has_every_operand_mix() {
        assert_every_operand_mix_is!(+, |a, b| a.add(b));
    }

    #[test]
    fn sub_has_every_operand_mix() {
        // a − b is built as a + (−1)·b ...
        assert_every_operand_mix_is!(-, |a, b| a.add(&b.mul(&Value::new(-1.0))));
        // ... which for a plain number gives exactly a + (−y), the leaf `&a - y` used to build.
        for &(x, y) in &PAIRS {
            let folded = evaluate(x, y, |a, _| a.add(&Value::new(-y)));
            assert_eq!(evaluate(x, y, |a, _| a - y), folded);
        }
    }

    #[test]
    fn mul_has_every_operand_mix() {
        assert_every_operand_mix_is!(*, |a, b| a.mul(b));
    }

    #[test]
    fn div_has_every_operand_mix() {
        assert_every_operand_mix_is!(/, |a, b| a.mul(&b.pow(-1.0).unwrap()));
    }

    #[test]
    fn neg_has_both_operand_forms() {
        for &x in &POINTS {
            let expected = evaluate(x, 0.0, |a, _| a.mul(&Value::new(-1.0)));
            assert_eq!(evaluate(x, 0.0, |a, _| -a), expected);
            assert_eq!(evaluate(x, 0.0, |a, _| -a.clone()), expected);
        }
    }

    #[test]
    fn operators_read_like_the_maths() {
        // 2x + 2 + x, the form micrograd writes, against the methods.
        let x = Value::new(-4.0);
        let z = 2.0 * &x + 2.0 + &x;
        z.backward();
        let x_ref = Value::new(-4.0);
        let z_ref = Value::new(2.0).mul(&x_ref).add(&Value::new(2.0)).add(&x_ref);
        z_ref.backward();
        assert_eq!((z.data(), x.grad()), (z_ref.data(), x_ref.grad()));
        assert_eq!((z.data(), x.grad()), (-10.0, 3.0));
    }

    #[test]
    #[should_panic(expected = "a / b needs a finite 1/b")]
    fn dividing_by_zero_panics() {
        let _ = Value::new(1.0) / 0.0;
    }

    #[test]
    fn pow_gradient() {
        check_unary(|a| a.pow(3.0).unwrap(), |a| a.powi(3), |a| 3.0 * a * a, &POINTS);
        check_unary(|a| a.pow(-1.0).unwrap(), |a| 1.0 / a, |a| -1.0 / (a * a), &POINTS);
        check_unary(|a| a.pow(0.5).unwrap(), f64::sqrt, |a| 0.5 / a.sqrt(), &[0.1, 0.7, 3.0]);
        // x⁰ = 1 is flat, including at 0 where n·aⁿ⁻¹ would be NaN.
        check_unary(|a| a.pow(0.0).unwrap(), |_| 1.0, |_| 0.0, &[0.0, 2.0]);
    }

    #[test]
    fn exp_gradient() {
        check_unary(|a| a.exp(), f64::exp, f64::exp, &POINTS);
    }

    #[test]
    fn log_gradient() {
        check_unary(|a| a.log().unwrap(), f64::ln, |a| 1.0 / a, &[0.1, 0.7, 3.0]);
    }

    #[test]
    fn tanh_gradient() {
        check_unary(|a| a.tanh(), f64::tanh, |a| 1.0 - a.tanh().powi(2), &POINTS);
    }

    #[test]
    fn sigmoid_gradient() {
        let sigmoid = |a: f64| 1.0 / (1.0 + (-a).exp());
        check_unary(|a| a.sigmoid(), sigmoid, |a| sigmoid(a) * (1.0 - sigmoid(a)), &POINTS);
    }

    #[test]
    fn sigmoid_is_stable_for_large_inputs() {
        // The naive e⁻ᵃ would overflow to inf at a = −1000 (giving 0, luckily)
        // and e^a/(1+e^a) would give inf/inf = NaN at a = +1000.
        for (x, expected) in [(-1000.0, 0.0), (1000.0, 1.0), (-40.0, 4.248354255291589e-18)] {
            let a = Value::new(x);
            let s = a.sigmoid();
            s.backward();
            assert_abs_diff_eq!(s.data(), expected, epsilon = 1e-30);
            assert!(a.grad().is_finite() && a.grad() >= 0.0);
        }
    }

    #[test]
    fn relu_gradient() {
        // Finite differences only away from the kink at 0.
        check_unary(|a| a.relu(), |a| a.max(0.0), |a| if a > 0.0 { 1.0 } else { 0.0 }, &POINTS);
        let a = Value::new(0.0);
        a.relu().backward();
        assert_eq!(a.grad(), 0.0);
    }

    #[test]
    fn sin_gradient() {
        check_unary(|a| a.sin(), f64::sin, f64::cos, &POINTS);
    }

    #[test]
    fn cos_gradient() {
        check_unary(|a| a.cos(), f64::cos, |a| -a.sin(), &POINTS);
    }

    #[test]
    fn sin_of_x_squared_follows_the_chain_rule() {
        // d/dx sin(x²) = cos(x²) · 2x, with x² as a power and as a node used twice.
        let closed_form = |x: f64| (x * x).cos() * 2.0 * x;
        check_unary(|a| a.pow(2.0).unwrap().sin(), |x| (x * x).sin(), closed_form, &POINTS);
        check_unary(|a| (a * a).sin(), |x| (x * x).sin(), closed_form, &POINTS);
    }

    #[test]
    fn sin_squared_plus_cos_squared_is_flat() {
        // sin²x + cos²x = 1 for every x, so its gradient is 0.
        let one = |a: &Value| a.sin().pow(2.0).unwrap() + a.cos().pow(2.0).unwrap();
        check_unary(one, |x| x.sin().powi(2) + x.cos().powi(2), |_| 0.0, &POINTS);
        check_unary(one, |_| 1.0, |_| 0.0, &POINTS);
    }

    #[test]
    fn a_node_used_twice_accumulates() {
        let a = Value::new(3.0);
        (&a * &a).backward();
        assert_abs_diff_eq!(a.grad(), 6.0, epsilon = 1e-12); // 2a
        (&a + &a).backward();
        assert_abs_diff_eq!(a.grad(), 2.0, epsilon = 1e-12);
    }

    /// micrograd's `test_sanity_check` expression, which reuses x, z and q.
    fn micrograd_expression(x: &Value) -> Value {
        let z = 2.0 * x + 2.0 + x;
        let q = z.relu() + &z * x;
        let h = (&z * &z).relu();
        h + &q + &q * x
    }

    fn micrograd_expression_plain(x: f64) -> f64 {
        let z = 2.0 * x + 2.0 + x;
        let q = z.max(0.0) + z * x;
        let h = (z * z).max(0.0);
        h + q + q * x
    }

    #[test]
    fn micrograd_sanity_check() {
        let x = Value::new(-4.0);
        let y = micrograd_expression(&x);
        y.backward();
        // Values PyTorch gives in micrograd's test.
        assert_abs_diff_eq!(y.data(), -20.0, epsilon = 1e-12);
        assert_abs_diff_eq!(x.grad(), 46.0, epsilon = 1e-12);
        assert_abs_diff_eq!(x.grad(), central_difference(micrograd_expression_plain, -4.0), epsilon = 1e-6);
    }

    #[test]
    fn backward_twice_gives_the_same_gradients() {
        let x = Value::new(-4.0);
        let y = micrograd_expression(&x);
        y.backward();
        let first = x.grad();
        y.backward();
        assert_eq!(x.grad(), first);
    }

    #[test]
    fn fifty_nested_tanh() {
        let plain = |x: f64| (0..50).fold(x, |t, _| t.tanh());
        let x = Value::new(0.8);
        let y = (0..50).fold(x.clone(), |t, _| t.tanh());
        y.backward();
        assert_abs_diff_eq!(y.data(), plain(0.8), epsilon = 1e-12);
        assert_abs_diff_eq!(x.grad(), central_difference(plain, 0.8), epsilon = 1e-8);
    }

    #[test]
    fn a_chain_of_100_000_additions_does_not_overflow_the_stack() {
        let x0 = Value::new(0.0);
        let mut x = x0.clone();
        for _ in 0..100_000 {
            x = &x + 1.0;
        }
        x.backward();
        assert_eq!(x.data(), 100_000.0);
        assert_eq!(x0.grad(), 1.0);
        // Dropping the chain must not overflow either.
        drop(x);
    }

    /// The notebook's 2-layer network written with plain f64, for finite differences.
    fn two_layer_loss_plain(x: [f64; 2], w1: [[f64; 2]; 2], w2: [f64; 2]) -> f64 {
        let sigmoid = |a: f64| 1.0 / (1.0 + (-a).exp());
        let h: Vec<f64> = (0..2).map(|j| sigmoid(x[0] * w1[0][j] + x[1] * w1[1][j])).collect();
        let y_hat = sigmoid(h[0] * w2[0] + h[1] * w2[1]);
        (y_hat - 1.0).powi(2)
    }

    #[test]
    fn two_layer_sigmoid_network_matches_finite_differences() {
        let x = [1.0, 2.0];
        let w1 = [[0.5, 0.3], [0.2, 0.8]];
        let w2 = [1.0, 0.5];

        let xv: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
        let w1v: Vec<Vec<Value>> = w1.iter().map(|row| row.iter().map(|&v| Value::new(v)).collect()).collect();
        let w2v: Vec<Value> = w2.iter().map(|&v| Value::new(v)).collect();
        // h_j = σ(Σᵢ xᵢ W1[i][j]), inputs on rows
        let h: Vec<Value> = (0..2).map(|j| (&xv[0] * &w1v[0][j] + &xv[1] * &w1v[1][j]).sigmoid()).collect();
        let y_hat = (&h[0] * &w2v[0] + &h[1] * &w2v[1]).sigmoid();
        let loss = (&y_hat - 1.0).pow(2.0).unwrap();
        loss.backward();

        assert_abs_diff_eq!(loss.data(), two_layer_loss_plain(x, w1, w2), epsilon = 1e-15);
        println!("loss = {:.10}", loss.data());
        for i in 0..2 {
            for j in 0..2 {
                let numeric = central_difference(
                    |w| {
                        let mut w1 = w1;
                        w1[i][j] = w;
                        two_layer_loss_plain(x, w1, w2)
                    },
                    w1[i][j],
                );
                println!("dloss/dW1[{i}][{j}] = {:.10}", w1v[i][j].grad());
                assert_abs_diff_eq!(w1v[i][j].grad(), numeric, epsilon = 1e-8);
            }
        }
        for j in 0..2 {
            let numeric = central_difference(
                |w| {
                    let mut w2 = w2;
                    w2[j] = w;
                    two_layer_loss_plain(x, w1, w2)
                },
                w2[j],
            );
            println!("dloss/dW2[{j}] = {:.10}", w2v[j].grad());
            assert_abs_diff_eq!(w2v[j].grad(), numeric, epsilon = 1e-8);
        }
    }

    #[test]
    fn log_of_zero_is_invalid_argument() {
        let err = Value::new(0.0).log().unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "self", .. }));
    }

    #[test]
    fn log_of_negative_is_invalid_argument() {
        let err = Value::new(-1.0).log().unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "self", .. }));
        assert!(err.to_string().contains("only defined for positive numbers"));
    }

    #[test]
    fn pow_giving_nan_is_invalid_argument() {
        let err = Value::new(-1.0).pow(0.5).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "exponent", .. }));
        assert!(err.to_string().contains("NaN"));
    }

    #[test]
    fn pow_giving_infinity_is_invalid_argument() {
        let err = Value::new(0.0).pow(-1.0).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "exponent", .. }));
    }

    #[test]
    fn pow_with_an_exponent_that_is_not_finite_is_invalid_argument() {
        // 0^∞ = 0 and 1^NaN = 1 as f64, but ∞·0^∞ and NaN·1 are no slopes.
        for (a, n) in [(0.0, f64::INFINITY), (0.5, f64::INFINITY), (2.0, f64::NEG_INFINITY), (1.0, f64::NAN)] {
            let err = Value::new(a).pow(n).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { name: "exponent", .. }), "{a}^{n}: {err}");
            assert!(err.to_string().contains("finite"), "{err}");
        }
    }

    #[test]
    fn pow_of_a_tiny_base_has_its_finite_slope() {
        // n·aⁿ⁻¹, where aⁿ⁻¹ alone overflows: against the closed form (n/a)·aⁿ
        // and, relative to its size, a central difference with a step scaled to a.
        for (x, n) in [(5e-324, 5e-324), (1e-320, 1e-20), (1e-310, 0.001)] {
            let a = Value::new(x);
            let p = a.pow(n).unwrap();
            p.backward();
            let closed_form = n / x * x.powf(n);
            assert!(a.grad().is_finite(), "slope of a^{n} at {x}: {}", a.grad());
            assert_abs_diff_eq!(a.grad() / closed_form, 1.0, epsilon = 1e-12);
            if x > 1e-315 {
                let h = x * 1e-3;
                let numeric = ((x + h).powf(n) - (x - h).powf(n)) / (2.0 * h);
                assert_abs_diff_eq!(a.grad() / numeric, 1.0, epsilon = 1e-5);
            }
        }
        // At a = n = 5e-324 the slope is 1·1: ((5e-324)^(5e-324) = 1 in f64).
        let a = Value::new(5e-324);
        a.pow(5e-324).unwrap().backward();
        assert_eq!(a.grad(), 1.0);
        // Ordinary points are computed as before, n·aⁿ⁻¹.
        let a = Value::new(0.7);
        a.pow(2.5).unwrap().backward();
        assert_eq!(a.grad(), 2.5 * 0.7f64.powf(1.5));
    }

    #[test]
    fn pow_whose_slope_is_beyond_f64_is_invalid_argument() {
        // d(a⁻¹)/da = −1/a² = −1e400 at a = 1e-200; d(a^0.5)/da = 0.5/√a ≈ 2e161 at 5e-324 is fine.
        let err = Value::new(1e-200).pow(-1.0).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "exponent", .. }), "{err}");
        assert!(err.to_string().contains("slope") && err.to_string().contains("1.0e-200"), "{err}");
        assert!(Value::new(5e-324).pow(0.5).is_ok());
        // At 0 the slope of a square root is truly infinite: recorded as such.
        let a = Value::new(0.0);
        a.pow(0.5).unwrap().backward();
        assert_eq!(a.grad(), f64::INFINITY);
    }

    #[test]
    fn log_whose_slope_is_beyond_f64_is_invalid_argument() {
        // 1/a overflows below 1/f64::MAX ≈ 5.6e-309; just above it the slope is finite.
        let err = Value::new(5e-324).log().unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "self", .. }), "{err}");
        assert!(err.to_string().contains("slope"), "{err}");
        let a = Value::new(1e-308);
        a.log().unwrap().backward();
        assert_abs_diff_eq!(a.grad() / 1e308, 1.0, epsilon = 1e-15);
    }

    #[test]
    fn debug_format() {
        let a = Value::new(3.0);
        a.backward();
        assert_eq!(format!("{a:?}"), "Value(data=3.0000, grad=1.0000)");
    }
}
