import Foundation

extension DenseNetwork {
    /// The two factors of every layer's tangent kernel (paper Eq. 9), layer by layer from L down to 1.
    ///
    /// For layer l the body receives A_{l−1} (n × N_{l−1}, row-major; A_0 = the inputs) and
    /// G_l (nk × N_l, row-major), whose row x·k + i is ∂f_i(x)/∂z_l, the gradient of logit i
    /// at sample x with respect to the layer's pre-activations. They come from one forward pass
    /// and one batched backward pass of all k output directions at once:
    ///
    ///     G_L[(x, i), :] = e_iᵀ,   G_{l−1} = (G_l W_l) ⊙ 1[z_{l−1}(x) > 0]  (row (x, i) masked by sample x).
    ///
    /// Then ∇_{W_l} f_i(x) = G_l[(x,i)] ⊗ A_{l−1}[x] and ∇_{b_l} f_i(x) = G_l[(x,i)], so the layer's
    /// tangent kernel is K_l[(x,i),(x′,j)] = (⟨A_{l−1}[x], A_{l−1}[x′]⟩ + [bias]) · ⟨G_l[(x,i)], G_l[(x′,j)]⟩.
    /// The pointers are valid only during the call.
    func forEachLayerTangentFactors(
        inputs: Matrix<Scalar>,
        _ body: (_ layer: Int, _ previousActivations: UnsafePointer<Scalar>, _ outputGradients: UnsafePointer<Scalar>) -> Void
    ) {
        precondition(inputs.columns == architecture.inputDimension,
                     "inputs have \(inputs.columns) columns but the network expects \(architecture.inputDimension)")
        let n = inputs.rows
        guard n > 0 else { return }
        let k = architecture.outputDimension
        let m = n * k
        let sizes = architecture.layerSizes
        let depth = architecture.depth
        let layout = ActivationLayout(architecture: architecture, rows: n)
        let widest = max(architecture.width, k)
        var activations = [Scalar](repeating: 0, count: layout.totalCount)
        var gradients = [Scalar](repeating: 0, count: 2 * m * widest)
        inputs.storage.withUnsafeBufferPointer { input in
            activations.withUnsafeMutableBufferPointer { a in
                forwardPass(input: input.baseAddress!, rows: n, activations: a.baseAddress!)
                gradients.withUnsafeMutableBufferPointer { g in
                    var current = g.baseAddress!
                    var spare = g.baseAddress! + m * widest
                    for r in 0..<m { current[r * k + r % k] = 1 }
                    for l in stride(from: depth, through: 1, by: -1) {
                        let fanIn = sizes[l - 1]
                        let fanOut = sizes[l]
                        let previous: UnsafePointer<Scalar> = l == 1
                            ? input.baseAddress! : UnsafePointer(a.baseAddress! + layout.offset(layer: l - 1))
                        body(l, previous, UnsafePointer(current))
                        guard l > 1 else { break }
                        weights[l - 1].storage.withUnsafeBufferPointer { w in
                            Scalar.gemm(transposeA: false, transposeB: false, m: m, n: fanIn, k: fanOut,
                                        alpha: 1, a: current, lda: fanOut, b: w.baseAddress!, ldb: fanIn,
                                        beta: 0, c: spare, ldc: fanIn)
                        }
                        for r in 0..<m {
                            Elementwise.gate(spare + r * fanIn, by: previous + (r / k) * fanIn, count: fanIn)
                        }
                        swap(&current, &spare)
                    }
                }
            }
        }
    }
}
