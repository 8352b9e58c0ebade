import Layers
import Tensor

/// A layer that knows its ONNX form: it appends its operators to the graph, reading the
/// graph's current value and leaving its own output as the current value.
protocol ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws
}

extension ActivationFunction {
    /// The operator after a layer with this activation (none for `.linear`).
    func exportONNX(into graph: inout ONNXGraphBuilder, name: String) {
        switch self {
        case .linear: break
        case .relu: graph.activate("Relu", name: name + "_relu")
        case let .leakyReLU(alpha): graph.activate("LeakyRelu", alpha: alpha, name: name + "_leaky_relu")
        case let .elu(alpha): graph.activate("Elu", alpha: alpha, name: name + "_elu")
        case .sigmoid: graph.activate("Sigmoid", name: name + "_sigmoid")
        case .tanh: graph.activate("Tanh", name: name + "_tanh")
        case .softmax:
            // Over the last axis as the model sees it: channels of NHWC images.
            graph.requireModelLayout()
            graph.apply("Softmax", name: name + "_softmax", attributes: [.int("axis", -1)])
        case .softplus: graph.activate("Softplus", name: name + "_softplus")
        case .hardSigmoid:
            graph.apply("HardSigmoid", name: name + "_hard_sigmoid", attributes: [.float("alpha", 1.0 / 6), .float("beta", 0.5)])
        case .swish:
            let x = graph.value
            graph.activate("Sigmoid", name: name + "_silu_sigmoid")
            graph.merge("Mul", [x, graph.value], name: name + "_silu", shape: x.shape)
        case let .gelu(approximate):
            // Opset 13 has no Gelu: 0.5·x·(1 + erf(x/√2)), or the tanh form, from elementary operators.
            let x = graph.value
            let stem = name + "_gelu"
            func scalar(_ value: Float, _ suffix: String) -> String { graph.constant("\(stem).\(suffix)", dims: [], floats: [value]) }
            if approximate {
                graph.merge("Mul", [x, x], name: stem, shape: x.shape)
                graph.merge("Mul", [graph.value, x], name: stem, shape: x.shape)                      // x³
                graph.apply("Mul", name: stem, extraInputs: [scalar(0.044715, "c")])
                graph.merge("Add", [graph.value, x], name: stem, shape: x.shape)
                graph.apply("Mul", name: stem, extraInputs: [scalar(0.79788456080286536, "sqrt_2_over_pi")])
                graph.activate("Tanh", name: stem + "_tanh")
            } else {
                graph.apply("Mul", name: stem, extraInputs: [scalar(0.70710678118654752, "one_over_sqrt_2")])
                graph.apply("Erf", name: stem + "_erf")
            }
            graph.apply("Add", name: stem, extraInputs: [scalar(1, "one")])
            graph.merge("Mul", [graph.value, x], name: stem, shape: x.shape)
            graph.apply("Mul", name: stem, extraInputs: [scalar(0.5, "half")])
        }
    }
}

/// Kernel shape, strides, dilations and explicit pads (`[top, left, bottom, right]`, the extra
/// cell of `.same` at the bottom and right, as Keras pads) of a window over an NHWC shape.
func windowAttributes(_ shape: [Int], window: Size2D, strides: Size2D, dilation: Size2D = 1, padding: Padding) throws
    -> [Onnx_AttributeProto] {
    let geometry = try WindowGeometry(
        inputHeight: shape[0], inputWidth: shape[1], windowHeight: window.height, windowWidth: window.width,
        strideHeight: strides.height, strideWidth: strides.width,
        dilationHeight: dilation.height, dilationWidth: dilation.width, padding: padding)
    let dilations: [Onnx_AttributeProto] = dilation == 1 ? [] : [.ints("dilations", [dilation.height, dilation.width])]
    return [.ints("kernel_shape", [window.height, window.width]), .ints("strides", [strides.height, strides.width]),
            .ints("pads", [geometry.padTop, geometry.padLeft, geometry.padBottom, geometry.padRight])] + dilations
}

/// A kernel `[kh, kw, in, out]` in ONNX's `[out, in, kh, kw]` order.
private func channelsFirstKernel(_ kernel: Tensor) -> [Float] {
    let (kh, kw, inputs, outputs) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
    let source = kernel.scalars
    var weights = [Float](repeating: 0, count: source.count)
    for o in 0..<outputs {
        for i in 0..<inputs {
            for y in 0..<kh {
                for x in 0..<kw { weights[((o * inputs + i) * kh + y) * kw + x] = source[((y * kw + x) * inputs + i) * outputs + o] }
            }
        }
    }
    return weights
}

extension Conv2D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        let attributes = try windowAttributes(graph.shape, window: kernelSize, strides: strides, dilation: dilationRate,
                                              padding: padding)
        graph.requireChannelsFirst()
        let (kh, kw, inputs, outputs) = (kernel.value.shape[0], kernel.value.shape[1], kernel.value.shape[2], kernel.value.shape[3])
        var extra = [graph.constant("\(name).kernel", dims: [outputs, inputs, kh, kw], floats: channelsFirstKernel(kernel.value))]
        if useBias { extra.append(graph.constant("\(name).bias", bias.value)) }
        graph.apply("Conv", name: name, extraInputs: extra, attributes: attributes, shape: outputShape)
        activation.exportONNX(into: &graph, name: name)
    }
}

extension Conv2DTranspose: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        // The pads of the convolution this one transposes; output_padding adds the rows and
        // columns no window reaches (a kernel smaller than its stride).
        let (kh, kw, outputs, inputs) = (kernel.value.shape[0], kernel.value.shape[1], kernel.value.shape[2], kernel.value.shape[3])
        let geometry = try WindowGeometry(inputHeight: outputShape[0], inputWidth: outputShape[1], windowHeight: kh,
                                          windowWidth: kw, strideHeight: strides.height, strideWidth: strides.width,
                                          padding: padding)
        let reached = [(geometry.outputHeight - 1) * strides.height + kh - geometry.padTop - geometry.padBottom,
                       (geometry.outputWidth - 1) * strides.width + kw - geometry.padLeft - geometry.padRight]
        graph.requireChannelsFirst()
        // [kh, kw, out, in] to ONNX's [in, out, kh, kw]: the same reordering as a convolution's, roles swapped.
        var extra = [graph.constant("\(name).kernel", dims: [inputs, outputs, kh, kw], floats: channelsFirstKernel(kernel.value))]
        if useBias { extra.append(graph.constant("\(name).bias", bias.value)) }
        let attributes: [Onnx_AttributeProto] = [
            .ints("kernel_shape", [kh, kw]), .ints("strides", [strides.height, strides.width]),
            .ints("pads", [geometry.padTop, geometry.padLeft, geometry.padBottom, geometry.padRight]),
            .ints("output_padding", [outputShape[0] - reached[0], outputShape[1] - reached[1]]),
        ]
        graph.apply("ConvTranspose", name: name, extraInputs: extra, attributes: attributes, shape: outputShape)
        activation.exportONNX(into: &graph, name: name)
    }
}

/// A depthwise convolution as ONNX's grouped Conv (one group per input channel): the weights
/// `[kh, kw, C, m]` as `[C·m, 1, kh, kw]`, output channel `c·m + j` from input channel `c` in both.
private func exportDepthwise(
    into graph: inout ONNXGraphBuilder, name: String, kernel: Tensor, bias: Tensor?, window: Size2D, strides: Size2D,
    dilation: Size2D, padding: Padding, outputShape: [Int]
) throws {
    let attributes = try windowAttributes(graph.shape, window: window, strides: strides, dilation: dilation, padding: padding)
    graph.requireChannelsFirst()
    let (kh, kw, channels, multiplier) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
    // [kh, kw, C, m] is [kh, kw, 1, C·m] with the same scalars: reorder as a 1-input-channel kernel.
    let weights = channelsFirstKernel(try kernel.reshaped([kh, kw, 1, channels * multiplier]))
    var extra = [graph.constant("\(name).kernel", dims: [channels * multiplier, 1, kh, kw], floats: weights)]
    if let bias { extra.append(graph.constant("\(name).bias", bias)) }
    graph.apply("Conv", name: name, extraInputs: extra, attributes: attributes + [.int("group", channels)], shape: outputShape)
}

extension DepthwiseConv2D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        try exportDepthwise(into: &graph, name: name, kernel: kernel.value, bias: useBias ? bias.value : nil, window: kernelSize,
                            strides: strides, dilation: dilationRate, padding: padding, outputShape: outputShape)
        activation.exportONNX(into: &graph, name: name)
    }
}

extension SeparableConv2D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        let depthwise = depthwiseKernel.value
        let channels = depthwise.shape[2] * depthwise.shape[3]
        try exportDepthwise(into: &graph, name: name + "_depthwise", kernel: depthwise, bias: nil, window: kernelSize,
                            strides: strides, dilation: dilationRate, padding: padding,
                            outputShape: Array(outputShape.dropLast()) + [channels])
        var extra = [graph.constant("\(name).pointwise_kernel", dims: [filters, channels, 1, 1],
                                    floats: channelsFirstKernel(pointwiseKernel.value))]
        if useBias { extra.append(graph.constant("\(name).bias", bias.value)) }
        graph.apply("Conv", name: name, extraInputs: extra, attributes: [.ints("kernel_shape", [1, 1])], shape: outputShape)
        activation.exportONNX(into: &graph, name: name)
    }
}

/// The 1-D window attributes (`kernel_shape`, `strides`, `pads` as `[start, end]`, `dilations`)
/// over sequences `[steps, channels]`.
private func sequenceWindowAttributes(_ shape: [Int], window: Int, strides: Int, dilation: Int = 1, padding: Padding) throws
    -> [Onnx_AttributeProto] {
    let geometry = try WindowGeometry(inputHeight: 1, inputWidth: shape[0], windowHeight: 1, windowWidth: window,
                                      strideWidth: strides, dilationWidth: dilation, padding: padding)
    return [.ints("kernel_shape", [window]), .ints("strides", [strides]), .ints("pads", [geometry.padLeft, geometry.padRight]),
            .ints("dilations", [dilation])]
}

extension ONNXGraphBuilder {
    /// Adds a 1-D operator (Conv, MaxPool, AveragePool) over the current sequences
    /// `[steps, channels]`, which ONNX takes as `[N, channels, steps]`: transposed in and out.
    mutating func applyOverSteps(_ operation: String, name: String, extraInputs: [String] = [],
                                 attributes: [Onnx_AttributeProto], outputShape: [Int]) {
        requireModelLayout()
        apply("Transpose", name: name + "_to_ncl", attributes: [.ints("perm", [0, 2, 1])])
        apply(operation, name: name, extraInputs: extraInputs, attributes: attributes)
        apply("Transpose", name: name + "_to_nlc", attributes: [.ints("perm", [0, 2, 1])], shape: outputShape)
    }
}

extension Conv1D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        let attributes = try sequenceWindowAttributes(graph.shape, window: kernelSize, strides: strides,
                                                      dilation: dilationRate, padding: padding)
        let (width, inputs, outputs) = (kernel.value.shape[0], kernel.value.shape[1], kernel.value.shape[2])
        let weights = channelsFirstKernel(try kernel.value.reshaped([1, width, inputs, outputs]))
        var extra = [graph.constant("\(name).kernel", dims: [outputs, inputs, width], floats: weights)]
        if useBias { extra.append(graph.constant("\(name).bias", bias.value)) }
        graph.applyOverSteps("Conv", name: name, extraInputs: extra, attributes: attributes, outputShape: outputShape)
        activation.exportONNX(into: &graph, name: name)
    }
}

extension MaxPooling1D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        let attributes = try sequenceWindowAttributes(graph.shape, window: poolSize, strides: strides ?? poolSize,
                                                      padding: padding)
        graph.applyOverSteps("MaxPool", name: name, attributes: attributes, outputShape: outputShape)
    }
}

extension AveragePooling1D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        let attributes = try sequenceWindowAttributes(graph.shape, window: poolSize, strides: strides ?? poolSize,
                                                      padding: padding)
        // Padded steps never count, as in Keras; ONNX's AveragePool has no dilations.
        graph.applyOverSteps("AveragePool", name: name, attributes: attributes.dropLast() + [.int("count_include_pad", 0)],
                             outputShape: outputShape)
    }
}

extension Dense: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        let weights = graph.constant("\(name).kernel", kernel.value)  // [in, units]: Y = X W + b
        if useBias, outputShape.count == 1 {
            graph.apply("Gemm", name: name, extraInputs: [weights, graph.constant("\(name).bias", bias.value)], shape: outputShape)
        } else {
            // On the last axis of samples of higher rank: MatMul broadcasts over the leading axes.
            graph.requireModelLayout()
            graph.apply("MatMul", name: name, extraInputs: [weights], shape: outputShape)
            if useBias { graph.apply("Add", name: name + "_bias", extraInputs: [graph.constant("\(name).bias", bias.value)]) }
        }
        activation.exportONNX(into: &graph, name: name)
    }
}

extension Embedding: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        guard !maskZero else {
            throw ONNXExportError.unsupportedLayer(
                name: name, type: "Embedding",
                reason: "maskZero makes a mask that the layers after it follow; ONNX graphs carry no masks. "
                    + "Export a model built with maskZero: false and the same weights")
        }
        // The indices arrive as floats: Cast to int64, then Gather rows of the table.
        graph.requireModelLayout()
        let table = ONNXGraphBuilder.Value(name: graph.constant("\(name).embeddings", embeddings.value),
                                           shape: embeddings.value.shape, layout: .nhwc)
        graph.apply("Cast", name: name + "_indices", attributes: [.int("to", Int(Onnx_TensorProto.DataType.int64.rawValue))])
        graph.merge("Gather", [table, graph.value], name: name, shape: outputShape) { _ in [.int("axis", 0)] }
    }
}

extension BatchNormalization: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        // ONNX normalises axis 1: the channels once images are NCHW, the features of flat values.
        guard graph.shape.count == 3 || graph.shape.count == 1 else {
            throw ONNXExportError.unsupportedLayer(
                name: name, type: "BatchNormalization",
                reason: "only images [h, w, c] and flat features are supported, found per-sample shape \(graph.shape)")
        }
        graph.requireChannelsFirst()
        let inputs = [("gamma", gamma), ("beta", beta), ("moving_mean", movingMean), ("moving_variance", movingVariance)]
            .map { graph.constant("\(name).\($0.0)", $0.1.value) }
        graph.apply("BatchNormalization", name: name, extraInputs: inputs, attributes: [.float("epsilon", epsilon)],
                    shape: outputShape)
    }
}

extension LayerNormalization: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        // Opset 13 has no LayerNormalization: (x − mean) / √(mean((x − mean)²) + ε) · γ + β over the last axis.
        graph.requireModelLayout()
        let x = graph.value
        let mean = [Onnx_AttributeProto.ints("axes", [-1]), .int("keepdims", 1)]
        graph.apply("ReduceMean", name: name + "_mean", attributes: mean, shape: x.shape.dropLast() + [1])
        graph.merge("Sub", [x, graph.value], name: name + "_centered", shape: x.shape)
        let centered = graph.value
        graph.merge("Mul", [centered, centered], name: name + "_squared", shape: x.shape)
        graph.apply("ReduceMean", name: name + "_variance", attributes: mean, shape: x.shape.dropLast() + [1])
        graph.apply("Add", name: name + "_epsilon", extraInputs: [graph.constant("\(name).epsilon", dims: [], floats: [epsilon])])
        graph.apply("Sqrt", name: name + "_std")
        graph.merge("Div", [centered, graph.value], name: name + "_normalized", shape: x.shape)
        if scale { graph.apply("Mul", name: name + "_gamma", extraInputs: [graph.constant("\(name).gamma", gamma.value)]) }
        if center { graph.apply("Add", name: name + "_beta", extraInputs: [graph.constant("\(name).beta", beta.value)]) }
    }
}

extension MaxPooling2D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        let attributes = try windowAttributes(graph.shape, window: poolSize, strides: strides ?? poolSize, padding: padding)
        graph.requireChannelsFirst()
        graph.apply("MaxPool", name: name, attributes: attributes, shape: outputShape)
    }
}

extension AveragePooling2D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        let attributes = try windowAttributes(graph.shape, window: poolSize, strides: strides ?? poolSize, padding: padding)
        graph.requireChannelsFirst()
        // Padded cells never count, as in Keras.
        graph.apply("AveragePool", name: name, attributes: attributes + [.int("count_include_pad", 0)], shape: outputShape)
    }
}

extension GlobalAveragePooling2D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        graph.requireChannelsFirst()
        graph.apply("GlobalAveragePool", name: name)  // [N, C, 1, 1]
        graph.apply("Flatten", name: name + "_flatten", attributes: [.int("axis", 1)], shape: outputShape)
        graph.setLayout(.nhwc)
    }
}

extension GlobalAveragePooling1D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        graph.requireModelLayout()
        graph.apply("ReduceMean", name: name, attributes: [.ints("axes", [1]), .int("keepdims", 0)], shape: outputShape)
    }
}

extension GlobalMaxPooling1D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        graph.requireModelLayout()
        graph.apply("ReduceMax", name: name, attributes: [.ints("axes", [1]), .int("keepdims", 0)], shape: outputShape)
    }
}

extension GlobalMaxPooling2D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        graph.requireChannelsFirst()
        graph.apply("GlobalMaxPool", name: name)  // [N, C, 1, 1]
        graph.apply("Flatten", name: name + "_flatten", attributes: [.int("axis", 1)], shape: outputShape)
        graph.setLayout(.nhwc)
    }
}

extension ZeroPadding2D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        // Pad in whichever layout the images are: [N, H, W, C] or [N, C, H, W].
        let (p, channelsFirst) = (padding, graph.layout == .nchw)
        let pads = channelsFirst ? [0, 0, p.top, p.left, 0, 0, p.bottom, p.right] : [0, p.top, p.left, 0, 0, p.bottom, p.right, 0]
        graph.apply("Pad", name: name, extraInputs: [graph.constant("\(name).pads", int64s: pads.map(Int64.init))],
                    attributes: [.string("mode", "constant")], shape: outputShape)
    }
}

extension Cropping2D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        let (c, shape) = (cropping, graph.shape)
        let axes: [Int64] = graph.layout == .nchw ? [2, 3] : [1, 2]
        let starts = graph.constant("\(name).starts", int64s: [Int64(c.top), Int64(c.left)])
        let ends = graph.constant("\(name).ends", int64s: [Int64(shape[0] - c.bottom), Int64(shape[1] - c.right)])
        graph.apply("Slice", name: name, extraInputs: [starts, ends, graph.constant("\(name).axes", int64s: axes)],
                    shape: outputShape)
    }
}

extension UpSampling2D: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        graph.requireChannelsFirst()
        let scales = graph.constant("\(name).scales", dims: [4], floats: [1, 1, Float(size.height), Float(size.width)])
        let attributes: [Onnx_AttributeProto] = interpolation == .nearest
            ? [.string("mode", "nearest"), .string("coordinate_transformation_mode", "asymmetric"),
               .string("nearest_mode", "floor")]
            : [.string("mode", "linear"), .string("coordinate_transformation_mode", "half_pixel")]
        // Resize's inputs: X, roi (unused, empty), scales.
        graph.apply("Resize", name: name, extraInputs: ["", scales], attributes: attributes, shape: outputShape)
    }
}

extension Flatten: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        graph.requireModelLayout()  // Keras flattens NHWC row by row
        graph.apply("Flatten", name: name, attributes: [.int("axis", 1)], shape: outputShape)
    }
}

extension Reshape: ONNXExportable {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        graph.requireModelLayout()
        let target = graph.constant("\(name).shape", int64s: [-1] + outputShape.map(Int64.init))
        graph.apply("Reshape", name: name, extraInputs: [target], shape: outputShape)
        graph.setLayout(.nhwc)
    }
}

/// Layers that are the identity at inference: dropout and augmentation (which only act while
/// training) and the input marker. They add nothing to the graph.
protocol InferenceIdentity: ONNXExportable {}

extension InferenceIdentity {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {}
}

extension Dropout: InferenceIdentity {}
extension Input: InferenceIdentity {}
extension RandomFlip: InferenceIdentity {}
extension RandomRotation: InferenceIdentity {}
extension RandomTranslation: InferenceIdentity {}
extension RandomZoom: InferenceIdentity {}

/// The activation layers (`Activation`, `ReLU`, `LeakyReLU`, `ELU`, `Sigmoid`, `Tanh`, `Softmax`).
extension Activation: ONNXExportable {}
extension ReLU: ONNXExportable {}
extension LeakyReLU: ONNXExportable {}
extension ELU: ONNXExportable {}
extension Sigmoid: ONNXExportable {}
extension Tanh: ONNXExportable {}
extension Softmax: ONNXExportable {}

extension ONNXExportable where Self: ActivationLayer {
    func exportONNX(into graph: inout ONNXGraphBuilder, outputShape: [Int]) throws {
        activation.exportONNX(into: &graph, name: name)
    }
}
