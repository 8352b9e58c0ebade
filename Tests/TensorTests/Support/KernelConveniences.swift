import Tensor

// Returning forms of the kernels' `into:` calls, to keep the tests' expressions short.

/// The pooling kernels' contract, so that their returning forms are written once.
protocol PoolingKernel {
    mutating func forward(_ input: Tensor, into output: inout Tensor) throws
    func backward(outputGradient: Tensor, into inputGradient: inout Tensor) throws
}

extension MaxPool2DKernel: PoolingKernel {}
extension AveragePool2DKernel: PoolingKernel {}

extension PoolingKernel {
    mutating func forward(_ input: Tensor) throws -> Tensor {
        var output = Tensor([])
        try forward(input, into: &output)
        return output
    }

    func backward(outputGradient: Tensor) throws -> Tensor {
        var inputGradient = Tensor([])
        try backward(outputGradient: outputGradient, into: &inputGradient)
        return inputGradient
    }
}

extension Conv2DKernel {
    mutating func forward(_ input: Tensor, weights: Tensor, bias: Tensor?) throws -> Tensor {
        var output = Tensor([])
        try forward(input, weights: weights, bias: bias, into: &output)
        return output
    }

    mutating func backward(input: Tensor, outputGradient: Tensor, weights: Tensor, inputGradient: Bool = true) throws -> Gradients {
        var gradients = Gradients()
        try backward(input: input, outputGradient: outputGradient, weights: weights, inputGradient: inputGradient, into: &gradients)
        return gradients
    }
}
