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
