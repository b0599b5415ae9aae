import Foundation

/// Instant queries to a Prometheus server of a test, through its HTTP API.
public enum PrometheusQuery {
    /// The result vector of `promQL` on the Prometheus at `port`: each series' labels and value.
    public static func instant(_ promQL: String, port: UInt16) throws -> [(labels: [String: String], value: Double)] {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "query", value: promQL)]
        let encoded = components.percentEncodedQuery!.replacingOccurrences(of: "+", with: "%2B")
        let reply = try HTTPReply.fetch(port: port, path: "/api/v1/query?\(encoded)")
        guard reply.status == 200,
            let json = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any],
            let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]]
        else { throw HTTPTestError("query \(promQL): \(reply.status) \(reply.text)") }
        return result.compactMap { series in
            guard let metric = series["metric"] as? [String: String], let value = series["value"] as? [Any],
                let text = value.last as? String, let number = Double(text)
            else { return nil }
            return (metric, number)
        }
    }
}
