//! Layers in a row, and training them.

use ndarray::{Array1, Array2, ArrayView1, Axis};
use rand::Rng;

use super::flat::{Part, grads_of, params_of, set_params_of};
use super::loss::check_one_target_per_row;
use super::{Activation, Init, Layer, Linear, no_forward_yet, softmax_cross_entropy};
use crate::error::{Error, Result, check_finite};
use crate::optim::{Optimizer, shuffled_batches};

/// Layers applied one after the other: the output of each is the input of
/// the next, and backward runs them in reverse order (the chain rule).
///
/// Errors from a layer say which one: `layer 2 (Linear(16 → 2)) of the
/// network: shape mismatch in Linear.forward: …`.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::{Activation, Init, Layer, Linear, Sequential, softmax_cross_entropy};
/// let mut rng = seeded_rng(0);
/// let mut net = Sequential::new()
///     .push(Linear::init(&mut rng, 2, 8, Init::He)?)
///     .push(Activation::relu())
///     .push(Linear::init(&mut rng, 8, 2, Init::Xavier)?);
/// let logits = net.forward(&array![[0.0, 1.0], [1.0, 0.0]])?;
/// let loss = softmax_cross_entropy(&logits, &[1, 1])?;
/// net.backward(&loss.grad)?;
/// let mut sgd = Sgd::new(0.5)?;
/// net.step(&mut sgd)?;
/// let after = softmax_cross_entropy(&net.predict(&array![[0.0, 1.0], [1.0, 0.0]])?, &[1, 1])?;
/// assert!(after.value < loss.value);
/// # Ok::<(), llm_math::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Layer>>,
    /// Whether the last forward pass went through every layer: after a
    /// failed one, the layers before the failure hold the new pass and
    /// those after it an older one, and backward must not mix them.
    forward_done: bool,
}

impl Sequential {
    /// A network with no layers yet (it passes its input through).
    pub fn new() -> Self {
        Sequential { layers: Vec::new(), forward_done: false }
    }

    /// The network with `layer` added at the end.
    pub fn push(mut self, layer: impl Layer + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self.forward_done = false; // the new layer has seen no pass
        self
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[Box<dyn Layer>] {
        &self.layers
    }

    /// The layers numbered as in errors, for flattening.
    fn parts(&self) -> Vec<Part<'_>> {
        self.layers.iter().map(|l| l.as_ref()).enumerate().collect()
    }

    /// Every layer's output for the batch `x`, first to last (the last is
    /// the network's output), remembering nothing: to look inside.
    ///
    /// # Errors
    /// As [`Layer::predict`], naming the layer.
    pub fn activations(&self, x: &Array2<f64>) -> Result<Vec<Array2<f64>>> {
        let mut outputs: Vec<Array2<f64>> = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            let input = outputs.last().unwrap_or(x);
            let y = layer.predict(input).map_err(|e| in_layer(i, layer.as_ref(), e))?;
            outputs.push(y);
        }
        Ok(outputs)
    }

    /// One step of `optimizer` on every parameter, from the gradients of
    /// the last [`backward`](Layer::backward).
    ///
    /// # Errors
    /// Those of [`Layer::grads`] (no backward yet) and of
    /// [`Optimizer::step`]; on error no parameter changes.
    pub fn step<O: Optimizer + ?Sized>(&mut self, optimizer: &mut O) -> Result<()> {
        let mut params = self.params();
        let grads = self.grads()?;
        optimizer.step(&mut params, &grads)?;
        self.set_params(params.view())
    }

    /// One training step of a classifier on the batch `x` with integer
    /// `targets`: forward, [`softmax_cross_entropy`] on the output (the
    /// logits), backward, and one step of `optimizer`. Returns the loss
    /// before the step.
    ///
    /// # Errors
    /// Those of the four parts; on error no parameter changes.
    pub fn train_step<O: Optimizer + ?Sized>(&mut self, x: &Array2<f64>, targets: &[usize], optimizer: &mut O) -> Result<f64> {
        let logits = self.forward(x)?;
        let loss = softmax_cross_entropy(&logits, targets)?;
        self.backward(&loss.grad)?;
        self.step(optimizer)?;
        Ok(loss.value)
    }

    /// Trains a classifier for `steps` steps of mini-batch gradient descent
    /// (the loop runs here, compiled with optimisation, not in a cell):
    /// each epoch visits the examples once in a shuffled order, in batches
    /// of `batch_size` (the last may be smaller). Returns the loss of every
    /// step, `(steps,)`.
    ///
    /// Shapes: `x: (n, d_in)`, `targets: (n,)`, classes `0..d_out`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for 0 steps or more than 1 000 000, or a
    /// `batch_size` of 0; [`Error::ShapeMismatch`] unless there is one
    /// target per row; those of [`train_step`](Sequential::train_step). On
    /// error the parameters are those of the last good step.
    ///
    /// # Examples
    /// ```
    /// use llm_math::prelude::*;
    /// use llm_math::nn::{Layer, accuracy, mlp, xor_data};
    /// let (x, y) = xor_data();
    /// let mut net = mlp(&mut seeded_rng(1), &[2, 8, 2], Activation::tanh())?;
    /// let losses = net.train_classifier(&x, &y, &mut Adam::new(0.05)?, 300, 4, &mut seeded_rng(2))?;
    /// assert!(losses[299] < 0.05 && losses[299] < losses[0]);
    /// assert_eq!(accuracy(&net.predict(&x)?, &y)?, 1.0);
    /// # Ok::<(), llm_math::Error>(())
    /// ```
    pub fn train_classifier<O: Optimizer + ?Sized, R: Rng + ?Sized>(
        &mut self,
        x: &Array2<f64>,
        targets: &[usize],
        optimizer: &mut O,
        steps: usize,
        batch_size: usize,
        rng: &mut R,
    ) -> Result<Array1<f64>> {
        if steps == 0 || steps > 1_000_000 {
            return Err(Error::invalid("steps", steps, "train for 1 to 1 000 000 steps"));
        }
        check_one_target_per_row("train_classifier", x, targets)?;
        let mut losses = Vec::with_capacity(steps);
        let mut batches: Vec<Vec<usize>> = Vec::new();
        while losses.len() < steps {
            if batches.is_empty() {
                batches = shuffled_batches(rng, x.nrows(), batch_size)?;
                batches.reverse(); // popped from the end: the shuffled order
            }
            let batch = batches.pop().unwrap_or_default();
            let xb = x.select(Axis(0), &batch); // (b, d_in)
            let yb: Vec<usize> = batch.iter().map(|&i| targets[i]).collect();
            losses.push(self.train_step(&xb, &yb, optimizer)?);
        }
        Ok(Array1::from(losses))
    }
}

/// An error of layer `i`, saying which layer it was.
pub(crate) fn in_layer(index: usize, layer: &dyn Layer, error: Error) -> Error {
    match error {
        // A nested network already named its layer.
        e @ Error::InLayer { .. } => e,
        e => Error::InLayer { index, layer: layer.name(), error: Box::new(e) },
    }
}

impl Layer for Sequential {
    fn name(&self) -> String {
        let names: Vec<String> = self.layers.iter().map(|l| l.name()).collect();
        format!("Sequential[{}]", names.join(", "))
    }

    fn forward(&mut self, x: &Array2<f64>) -> Result<Array2<f64>> {
        self.forward_done = false;
        if self.layers.is_empty() {
            check_finite("Sequential.forward", &x.view())?;
        }
        let mut h: Option<Array2<f64>> = None; // None: still the input itself, not copied
        for (i, layer) in self.layers.iter_mut().enumerate() {
            let y = layer.forward(h.as_ref().unwrap_or(x)).map_err(|e| in_layer(i, layer.as_ref(), e))?;
            h = Some(y);
        }
        self.forward_done = true;
        Ok(h.unwrap_or_else(|| x.clone()))
    }

    fn predict(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        if self.layers.is_empty() {
            check_finite("Sequential.forward", &x.view())?;
        }
        let mut h: Option<Array2<f64>> = None;
        for (i, layer) in self.layers.iter().enumerate() {
            let y = layer.predict(h.as_ref().unwrap_or(x)).map_err(|e| in_layer(i, layer.as_ref(), e))?;
            h = Some(y);
        }
        Ok(h.unwrap_or_else(|| x.clone()))
    }

    fn backward(&mut self, grad_output: &Array2<f64>) -> Result<Array2<f64>> {
        if !self.forward_done {
            return Err(no_forward_yet("Sequential"));
        }
        let mut g: Option<Array2<f64>> = None;
        for (i, layer) in self.layers.iter_mut().enumerate().rev() {
            let dx = layer.backward(g.as_ref().unwrap_or(grad_output)).map_err(|e| in_layer(i, layer.as_ref(), e))?;
            g = Some(dx);
        }
        match g {
            Some(g) => Ok(g),
            None => {
                check_finite("Sequential.backward", &grad_output.view())?;
                Ok(grad_output.clone())
            }
        }
    }

    fn num_params(&self) -> usize {
        self.layers.iter().map(|l| l.num_params()).sum()
    }

    fn params(&self) -> Array1<f64> {
        params_of(&self.parts())
    }

    fn grads(&self) -> Result<Array1<f64>> {
        grads_of(&self.parts())
    }

    fn set_params(&mut self, params: ArrayView1<f64>) -> Result<()> {
        let mut parts: Vec<(usize, &mut dyn Layer)> = self.layers.iter_mut().map(|l| l.as_mut() as &mut dyn Layer).enumerate().collect();
        set_params_of("Sequential.set_params", "one value per parameter of every layer", &mut parts, params)
    }

    fn clone_box(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

/// A multi-layer perceptron: `Linear` layers of the given `sizes` (input
/// first, output last) with `activation` between them and none after the
/// last, so the output is logits (or a regression value). Weights are
/// drawn with [`Init::He`] for ReLU and GELU and [`Init::Xavier`] for tanh
/// and sigmoid; biases start at 0.
///
/// # Errors
/// [`Error::InvalidArgument`] for fewer than two sizes or a size of 0.
///
/// # Examples
/// ```
/// use llm_math::prelude::*;
/// use llm_math::nn::{Layer, mlp};
/// let net = mlp(&mut seeded_rng(0), &[2, 16, 16, 3], Activation::relu())?;
/// assert_eq!(net.layers().len(), 5); // Linear, ReLU, Linear, ReLU, Linear
/// assert_eq!(net.num_params(), (2 * 16 + 16) + (16 * 16 + 16) + (16 * 3 + 3));
/// # Ok::<(), llm_math::Error>(())
/// ```
pub fn mlp<R: Rng + ?Sized>(rng: &mut R, sizes: &[usize], activation: Activation) -> Result<Sequential> {
    if sizes.len() < 2 {
        return Err(Error::invalid("sizes", format!("{sizes:?}"), "an MLP needs at least an input and an output size"));
    }
    if let Some(i) = sizes.iter().position(|&d| d == 0) {
        return Err(Error::invalid("sizes", format!("{sizes:?}"), format!("sizes[{i}] is 0: every layer needs at least one unit")));
    }
    let init = if activation.is_relu_like() { Init::He } else { Init::Xavier };
    let mut net = Sequential::new();
    for (i, pair) in sizes.windows(2).enumerate() {
        net = net.push(Linear::init(rng, pair[0], pair[1], init)?);
        if i + 2 < sizes.len() {
            net = net.push(activation.clone());
        }
    }
    Ok(net)
}
