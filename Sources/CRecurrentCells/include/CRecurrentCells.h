// The arithmetic of one recurrent step for one sample (one row of the batch): gate
// activations and state updates, forward and backward, for RecurrentKernel.
//
// It is C, not Swift, only for the CPU's vector width: each function is compiled for AVX-512,
// AVX2 and baseline x86-64, and the dynamic loader picks the widest the CPU has. Floating-point
// contraction is off, so every version gives the same bits as the others and as Tensor's
// Swift VectorMath (the same operations in the same order).
//
// Gates are Keras's, `units` floats each: LSTM i, f, g, o; GRU z, r, h̃; a simple cell's one.
// A null `previous_*` pointer means the first step (zero states before it).
#ifndef SWIFT_LAYERS_CRECURRENTCELLS_H
#define SWIFT_LAYERS_CRECURRENTCELLS_H
#include <stddef.h>

/// `state = tanh(gate)`; the gate keeps its activation.
void rc_simple_forward(float *gate, float *state, ptrdiff_t units);

/// Activates the gates in place, then `cell = i·g + f·previous_cell` and `state = o·tanh(cell)`.
void rc_lstm_forward(float *gates, const float *previous_cell, float *cell, float *state, ptrdiff_t units);

/// `product` is the step's `h₋₁·U` (3 units wide); adds `recurrent_bias` to it when not null,
/// keeps its candidate part `h₋₁·U_h + b'_h` in `candidate_part`, activates the gates in place
/// (h̃ = tanh(x·W_h + b_h + r·candidate_part)) and writes `state = z·previous_state + (1 − z)·h̃`.
void rc_gru_forward(float *gates, float *product, const float *recurrent_bias, const float *previous_state,
                    float *candidate_part, float *state, ptrdiff_t units);

/// From dLoss/dh in `state_gradient`, writes the gate's pre-activation gradient and zeroes
/// `state_gradient` (the product with Uᵀ adds dh₋₁ to it).
void rc_simple_backward(const float *gate, float *state_gradient, float *gradient, ptrdiff_t units);

/// From dh in `state_gradient` and dc₊₁·f₊₁ in `cell_gradient`, writes the four gates'
/// pre-activation gradients, leaves dc·f in `cell_gradient` and zeroes `state_gradient`.
void rc_lstm_backward(const float *gates, const float *cell, const float *previous_cell, float *state_gradient,
                      float *cell_gradient, float *gradient, ptrdiff_t units);

/// From dh in `state_gradient`, writes the input side's gate gradients (`gradient`) and the
/// recurrent side's (`recurrent_gradient`: z's and r's, then r·dh̃), and leaves the direct
/// path `z·dh` in `state_gradient`.
void rc_gru_backward(const float *gates, const float *candidate_part, const float *previous_state,
                     float *state_gradient, float *gradient, float *recurrent_gradient, ptrdiff_t units);

#endif
