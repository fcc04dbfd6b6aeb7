/// How much work a figure does.
public enum Profile: String, Codable, CaseIterable, Sendable {
    /// CI-sized: minutes on 2 cores, the same quantities at a comparable stage.
    case quick
    /// The paper's protocol.
    case full
}
