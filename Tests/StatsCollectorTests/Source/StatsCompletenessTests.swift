import Testing

@testable import StatsCollector

/// When a running domain's record counts as whole: a record with fewer fields than the domain's
/// last complete one is incomplete once, although the domain's control interface was free (another
/// client may have held its job at that moment), and the new baseline when it comes so twice in a
/// row (a device was removed).
@Suite struct StatsCompletenessTests {
    private static func accepts(_ completeness: inout StatsCompleteness, _ record: DomainStats) -> Bool {
        completeness.accept(record)
    }

    @Test func aRecordShortOnceIsIncompleteAndShortTwiceInARowIsTheNewBaseline() {
        var completeness = StatsCompleteness()
        let whole = runningDomain("db")
        let short = runningDomain("db", partial: true)
        #expect(completeness.judge(whole) == .askControlInterface, "a first record has no baseline")
        #expect(Self.accepts(&completeness, whole), "a first record with the control interface free is whole")
        #expect(completeness.judge(whole) == .complete)
        #expect(completeness.judge(short) == .askControlInterface)
        #expect(!Self.accepts(&completeness, short), "short once: flagged, not taken as whole with fewer series")
        #expect(completeness.judge(whole) == .complete, "whole again")
        #expect(completeness.judge(short) == .askControlInterface)
        #expect(!Self.accepts(&completeness, short), "short once more, but not twice in a row")
        #expect(completeness.judge(short) == .askControlInterface)
        #expect(Self.accepts(&completeness, short), "short twice in a row: the domain has fewer devices now")
        #expect(completeness.judge(short) == .complete)
        #expect(completeness.mayBePartial(whole) == false && completeness.mayBePartial(short) == false)
    }
}
