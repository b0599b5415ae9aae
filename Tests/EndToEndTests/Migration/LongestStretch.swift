/// The longest stretch of `samples`, in time order, whose samples match `condition`: from the last
/// sample before it that does not (else its own first) to the first after it that does not (else
/// the last sample); 0 when no sample matches.
func longestStretch<Sample>(
    of samples: [Sample], time: (Sample) -> Double, where condition: (Sample) -> Bool
) -> Double {
    var longest = 0.0
    var lastOutside: Double?
    var start: Double?
    for sample in samples {
        if condition(sample) {
            start = start ?? lastOutside ?? time(sample)
        } else {
            if let start { longest = max(longest, time(sample) - start) }
            start = nil
            lastOutside = time(sample)
        }
    }
    if let start, let last = samples.last { longest = max(longest, time(last) - start) }
    return longest
}
