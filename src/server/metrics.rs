//! Request counts and latencies, rendered in Prometheus' text exposition format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Map, Value};

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    /// Requests at or below each bound of [`BUCKETS`] (cumulative, as Prometheus wants them).
    buckets: [u64; BUCKETS.len()],
}

/// Requests by method, route and status, and latencies by route.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Series>,
}

impl Metrics {
    /// Counts one request of `route` (its pattern, not the path: ids never become labels).
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *inner
            .requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let series = inner.latency.entry(route.to_string()).or_default();
        series.count += 1;
        series.sum += seconds;
        for (bound, count) in BUCKETS.iter().zip(&mut series.buckets) {
            if seconds <= *bound {
                *count += 1;
            }
        }
    }

    /// The metrics as Prometheus text, with the index's numeric statistics as gauges.
    pub fn render(&self, index: &Map<String, Value>) -> String {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str("# HELP reprint_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE reprint_requests_total counter\n");
        for ((method, route, status), n) in &inner.requests {
            let _ = writeln!(
                out,
                "reprint_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                label(route)
            );
        }
        out.push_str("# HELP reprint_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE reprint_request_duration_seconds histogram\n");
        for (route, s) in &inner.latency {
            let route = label(route);
            for (bound, n) in BUCKETS.iter().zip(&s.buckets) {
                let _ = writeln!(
                    out,
                    "reprint_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "reprint_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "reprint_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "reprint_request_duration_seconds_count{{route=\"{route}\"}} {}",
                s.count
            );
        }
        for (name, value) in index {
            if let Some(v) = value.as_f64() {
                let name: String = name
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                let _ = writeln!(
                    out,
                    "# TYPE reprint_index_{name} gauge\nreprint_index_{name} {v}"
                );
            }
        }
        out
    }
}

/// A label value with Prometheus' three escapes.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_counts_by_status() {
        let m = Metrics::default();
        m.record("POST", "/v1/check", 200, Duration::from_micros(800));
        m.record("POST", "/v1/check", 200, Duration::from_millis(30));
        m.record("POST", "/v1/check", 401, Duration::from_micros(10));
        let mut index = Map::new();
        index.insert("documents".into(), Value::from(12));
        let text = m.render(&index);
        assert!(text.contains(
            "reprint_requests_total{method=\"POST\",route=\"/v1/check\",status=\"200\"} 2"
        ));
        assert!(text.contains("status=\"401\"} 1"));
        assert!(text.contains("route=\"/v1/check\",le=\"0.0005\"} 1"));
        assert!(text.contains("route=\"/v1/check\",le=\"0.001\"} 2"));
        assert!(text.contains("route=\"/v1/check\",le=\"0.05\"} 3"));
        assert!(text.contains("reprint_request_duration_seconds_count{route=\"/v1/check\"} 3"));
        assert!(text.contains("reprint_index_documents 12"));
    }
}
