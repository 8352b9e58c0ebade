import Tensor

// Returning forms of the kernels' `into:` calls, to keep the tests' expressions short.

extension MaxPool2DKernel {
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

extension AveragePool2DKernel {
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
