/// libvirt calls made one after the other within one budget, the runner's deadline for them all,
/// so that together they delay a collection by at most one deadline. Each goes through a gate
/// keyed by what it is about: one that overran gets no second call until it returns, and is left
/// out meanwhile.
struct BudgetedCalls {
    let runner: LibvirtCallRunner
    let gate: DomainCallGate
    /// When the budget runs out.
    let end: ContinuousClock.Instant

    /// Starts a budget of one deadline of `runner`, now.
    init(runner: LibvirtCallRunner, gate: DomainCallGate) {
        self.runner = runner
        self.gate = gate
        self.end = ContinuousClock.now + runner.deadline
    }

    /// One call about `key`, which errors name `subject`, with what is left of the budget; `nil`
    /// when it failed (the failure goes into `errors`, and to `failed`), overran, or was skipped.
    func call<Value: Sendable>(
        _ key: String, _ function: String, subject: String, errors: inout [CollectionError],
        failed: (LibvirtError) -> Void = { _ in },
        _ body: @escaping @Sendable () throws(LibvirtError) -> Value
    ) async -> Value? {
        let left = end - ContinuousClock.now
        guard left > .zero else {
            errors.append(
                CollectionError(
                    call: function, reason: CollectionError.deadlineExceeded,
                    message: "\(subject): no time left within \(runner.deadline)"))
            return nil
        }
        switch await gate.call(key, function, on: runner, deadline: left, body) {
        case .success(.finished(.success(let value))):
            return value
        case .success(.finished(.failure(let error))):
            var failure = error.collectionError()
            failure.message = "\(subject): \(error.message)"
            errors.append(failure)
            failed(error)
        case .success(.overran):
            errors.append(
                CollectionError(
                    call: function, reason: CollectionError.deadlineExceeded,
                    message: "\(subject) did not answer within \(left)"))
        case .success(.notStarted):
            errors.append(
                CollectionError(
                    call: function, reason: CollectionError.noThread,
                    message: "\(subject): no call thread was free within \(left)"))
        case .failure:
            // An earlier call about it has not returned: it is left out meanwhile, as documented.
            break
        }
        return nil
    }
}
