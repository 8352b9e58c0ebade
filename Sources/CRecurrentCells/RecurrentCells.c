// See CRecurrentCells.h. The functions are Tensor's VectorMath (Cephes's exp, Eigen's tanh)
// and RecurrentKernel's former Swift loops, operation for operation.
#include "CRecurrentCells.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

// a·b + c stays two roundings, as in Swift, on every CPU.
#pragma clang fp contract(off)

#if !defined(__has_feature)
#define __has_feature(feature) 0
#endif

// ThreadSanitizer builds get one version: target_clones picks its version in an ifunc resolver,
// which the loader runs before the sanitizer's runtime is set up, and instrumented, it crashes.
#if defined(__x86_64__) && defined(__ELF__) && !__has_feature(thread_sanitizer)
#define CPU_VERSIONS __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CPU_VERSIONS
#endif

static inline float clampf(float x, float low, float high) {
    float above = x > low ? x : low;
    return above < high ? above : high;
}

static inline float vm_exp(float x) {
    float clamped = clampf(x, -87.33654475f, 88.02969193f);
    const float magic = 12582912.0f;
    float shifted = clamped * 1.44269504088896341f + magic;
    float n = shifted - magic;
    float r = clamped - n * 0.693359375f - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float exp_r = p * r * r + r + 1;
    uint32_t shifted_bits, magic_bits;
    memcpy(&shifted_bits, &shifted, 4);
    memcpy(&magic_bits, &magic, 4);
    uint32_t bits = (shifted_bits - magic_bits + 127) << 23;
    float two_to_n;
    memcpy(&two_to_n, &bits, 4);
    return x != x ? x : x < -87.33654475f ? 0.0f : exp_r * two_to_n;
}

static inline float vm_sigmoid(float x) { return 1 / (1 + vm_exp(-x)); }

static inline float vm_tanh(float x) {
    float clamped = clampf(x, -7.90531110763549805f, 7.90531110763549805f);
    float x2 = clamped * clamped;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    p = p * clamped;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return !(fabsf(x) >= 0.0004f) ? x : p / q;
}

CPU_VERSIONS
void rc_simple_forward(float *restrict gate, float *restrict state, ptrdiff_t units) {
    for (ptrdiff_t j = 0; j < units; j++) {
        gate[j] = vm_tanh(gate[j]);
        state[j] = gate[j];
    }
}

CPU_VERSIONS
void rc_lstm_forward(float *restrict gates, const float *restrict previous_cell, float *restrict cell,
                     float *restrict state, ptrdiff_t units) {
    float *i = gates, *f = gates + units, *g = gates + 2 * units, *o = gates + 3 * units;
    for (ptrdiff_t j = 0; j < 2 * units; j++) gates[j] = vm_sigmoid(gates[j]);
    for (ptrdiff_t j = 0; j < units; j++) g[j] = vm_tanh(g[j]);
    for (ptrdiff_t j = 0; j < units; j++) o[j] = vm_sigmoid(o[j]);
    if (previous_cell) {
        for (ptrdiff_t j = 0; j < units; j++) cell[j] = i[j] * g[j] + f[j] * previous_cell[j];
    } else {
        for (ptrdiff_t j = 0; j < units; j++) cell[j] = i[j] * g[j];
    }
    for (ptrdiff_t j = 0; j < units; j++) state[j] = vm_tanh(cell[j]) * o[j];
}

CPU_VERSIONS
void rc_gru_forward(float *restrict gates, float *restrict product, const float *restrict recurrent_bias,
                    const float *restrict previous_state, float *restrict candidate_part, float *restrict state,
                    ptrdiff_t units) {
    float *z = gates, *r = gates + units, *candidate = gates + 2 * units;
    if (recurrent_bias) {
        for (ptrdiff_t j = 0; j < 3 * units; j++) product[j] += recurrent_bias[j];
    }
    for (ptrdiff_t j = 0; j < 2 * units; j++) gates[j] = vm_sigmoid(gates[j] + product[j]);
    for (ptrdiff_t j = 0; j < units; j++) {
        candidate_part[j] = product[2 * units + j];
        candidate[j] = vm_tanh(candidate[j] + r[j] * candidate_part[j]);
    }
    if (previous_state) {
        for (ptrdiff_t j = 0; j < units; j++) state[j] = (1 - z[j]) * candidate[j] + z[j] * previous_state[j];
    } else {
        for (ptrdiff_t j = 0; j < units; j++) state[j] = (1 - z[j]) * candidate[j];
    }
}

CPU_VERSIONS
void rc_simple_backward(const float *restrict gate, float *restrict state_gradient, float *restrict gradient,
                        ptrdiff_t units) {
    for (ptrdiff_t j = 0; j < units; j++) {
        gradient[j] = state_gradient[j] * (1 - gate[j] * gate[j]);
        state_gradient[j] = 0;
    }
}

CPU_VERSIONS
void rc_lstm_backward(const float *restrict gates, const float *restrict cell, const float *restrict previous_cell,
                      float *restrict state_gradient, float *restrict cell_gradient, float *restrict gradient,
                      ptrdiff_t units) {
    const float *i = gates, *f = gates + units, *g = gates + 2 * units, *o = gates + 3 * units;
    float *di = gradient, *df = gradient + units, *dg = gradient + 2 * units, *d_o = gradient + 3 * units;
    const float *dh = state_gradient;
    float *dc = cell_gradient;
    for (ptrdiff_t j = 0; j < units; j++) {
        float squashed = vm_tanh(cell[j]);
        dc[j] += dh[j] * o[j] * (1 - squashed * squashed);
        d_o[j] = dh[j] * squashed * o[j] * (1 - o[j]);
    }
    for (ptrdiff_t j = 0; j < units; j++) di[j] = dc[j] * g[j] * i[j] * (1 - i[j]);
    if (previous_cell) {
        for (ptrdiff_t j = 0; j < units; j++) df[j] = dc[j] * previous_cell[j] * f[j] * (1 - f[j]);
    } else {
        for (ptrdiff_t j = 0; j < units; j++) df[j] = 0;
    }
    for (ptrdiff_t j = 0; j < units; j++) dg[j] = dc[j] * i[j] * (1 - g[j] * g[j]);
    for (ptrdiff_t j = 0; j < units; j++) {
        dc[j] *= f[j];
        state_gradient[j] = 0;
    }
}

CPU_VERSIONS
void rc_gru_backward(const float *restrict gates, const float *restrict candidate_part,
                     const float *restrict previous_state, float *restrict state_gradient, float *restrict gradient,
                     float *restrict recurrent_gradient, ptrdiff_t units) {
    const float *z = gates, *r = gates + units, *candidate = gates + 2 * units;
    float *dh = state_gradient, *d_candidate = gradient + 2 * units;
    for (ptrdiff_t j = 0; j < units; j++) d_candidate[j] = dh[j] * (1 - z[j]) * (1 - candidate[j] * candidate[j]);
    if (previous_state) {
        for (ptrdiff_t j = 0; j < units; j++) gradient[j] = dh[j] * (previous_state[j] - candidate[j]) * z[j] * (1 - z[j]);
    } else {
        for (ptrdiff_t j = 0; j < units; j++) gradient[j] = -dh[j] * candidate[j] * z[j] * (1 - z[j]);
    }
    for (ptrdiff_t j = 0; j < units; j++) {
        gradient[units + j] = d_candidate[j] * candidate_part[j] * r[j] * (1 - r[j]);
    }
    for (ptrdiff_t j = 0; j < 2 * units; j++) recurrent_gradient[j] = gradient[j];
    for (ptrdiff_t j = 0; j < units; j++) recurrent_gradient[2 * units + j] = d_candidate[j] * r[j];
    for (ptrdiff_t j = 0; j < units; j++) dh[j] *= z[j];
}
