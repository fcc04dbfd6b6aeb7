import COpenBLAS
import Foundation

/// Why a symmetric eigen-decomposition failed.
public enum EigenDecompositionError: Error, CustomStringConvertible, Equatable {
    /// The matrix is not square.
    case notSquare(rows: Int, columns: Int)
    /// The matrix has a NaN or infinite entry.
    case nonFiniteEntry
    /// LAPACK's dsyevd reported an error code.
    case lapackFailure(info: Int)

    public var description: String {
        switch self {
        case let .notSquare(rows, columns):
            return "Cannot eigen-decompose a \(rows)×\(columns) matrix; pass a square symmetric matrix."
        case .nonFiniteEntry:
            return "The matrix has a NaN or infinite entry; check the kernel that produced it."
        case let .lapackFailure(info):
            return "LAPACK dsyevd failed with code \(info) (negative: bad argument; positive: no convergence); check that the matrix is symmetric and finite."
        }
    }
}

/// Eigenvalues and eigenvectors of a real symmetric matrix M = V diag(λ) Vᵀ, through LAPACK's
/// divide-and-conquer `dsyevd` in double precision (the single-precision `ssyevd` of Debian 12's
/// OpenBLAS fails with vectors for n ≥ 3000). Only the upper triangle of `m` is read.
///
/// - Returns: the eigenvalues in ascending order, and V whose column j is the unit eigenvector
///   of `values[j]` (so `vectors[i, j]` is its i-th component). A 0 × 0 matrix gives empty results.
/// - Throws: ``EigenDecompositionError``.
public func symmetricEigen(_ m: Matrix<Double>) throws -> (values: [Double], vectors: Matrix<Double>) {
    try decompose(m, wantVectors: true)
}

/// The eigenvalues of a real symmetric matrix in ascending order (`dsyevd` without vectors, faster).
/// - Throws: ``EigenDecompositionError``.
public func symmetricEigenvalues(_ m: Matrix<Double>) throws -> [Double] {
    try decompose(m, wantVectors: false).values
}

private func decompose(_ m: Matrix<Double>, wantVectors: Bool) throws -> (values: [Double], vectors: Matrix<Double>) {
    guard m.rows == m.columns else { throw EigenDecompositionError.notSquare(rows: m.rows, columns: m.columns) }
    let n = m.rows
    guard n > 0 else { return ([], Matrix(rows: 0, columns: 0)) }
    guard m.storage.allSatisfy({ $0.isFinite }) else { throw EigenDecompositionError.nonFiniteEntry }
    var a = m.storage
    var values = [Double](repeating: 0, count: n)
    let info = a.withUnsafeMutableBufferPointer { pa in
        values.withUnsafeMutableBufferPointer { pw in
            LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: wantVectors ? "V" : "N")), CChar(UInt8(ascii: "U")),
                           Int32(n), pa.baseAddress!, Int32(n), pw.baseAddress!)
        }
    }
    guard info == 0 else { throw EigenDecompositionError.lapackFailure(info: Int(info)) }
    return (values, wantVectors ? Matrix(rows: n, columns: n, storage: a) : Matrix(rows: 0, columns: 0))
}
