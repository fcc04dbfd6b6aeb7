import Foundation

extension Trainer {
    /// The trainer of a run's network with fresh He-initialised weights drawn from `generator`
    /// (the run's "init" stream): the one place that turns a specification's ``Architecture``
    /// into a network to train.
    init(spec: RunSpec, generator: inout SeededGenerator) {
        switch spec.architecture {
        case let .dense(shape):
            self.init(network: DenseNetwork<Float>(architecture: shape, generator: &generator),
                      optimizer: spec.optimizer, loss: spec.loss)
        }
    }
}
