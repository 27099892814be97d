//! Percentiles of measured durations.

use std::time::Duration;

/// A set of durations, sorted once, to read percentiles from.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    sorted: Vec<Duration>,
}

impl Latencies {
    pub fn new(mut durations: Vec<Duration>) -> Self {
        durations.sort_unstable();
        Self { sorted: durations }
    }

    /// The duration that `percent` % of the samples do not exceed (nearest rank).
    pub fn percentile(&self, percent: f64) -> Option<Duration> {
        if self.sorted.is_empty() {
            return None;
        }
        let rank = ((percent / 100.0) * self.sorted.len() as f64).ceil() as usize;
        self.sorted
            .get(rank.clamp(1, self.sorted.len()) - 1)
            .copied()
    }

    pub fn max(&self) -> Option<Duration> {
        self.sorted.last().copied()
    }

    pub fn sorted(&self) -> &[Duration] {
        &self.sorted
    }
}

/// Milliseconds with one decimal, or `-` when there is nothing to show.
pub fn millis(duration: Option<Duration>) -> String {
    duration.map_or_else(
        || "-".to_owned(),
        |duration| format!("{:.1}", duration.as_secs_f64() * 1000.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let latencies = Latencies::new((1..=100).rev().map(Duration::from_millis).collect());
        assert_eq!(latencies.percentile(50.0), Some(Duration::from_millis(50)));
        assert_eq!(latencies.percentile(99.0), Some(Duration::from_millis(99)));
        assert_eq!(
            latencies.percentile(100.0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(latencies.percentile(0.0), Some(Duration::from_millis(1)));
        assert_eq!(latencies.max(), Some(Duration::from_millis(100)));
    }

    #[test]
    fn nothing_measured_has_no_percentiles() {
        let latencies = Latencies::new(Vec::new());
        assert_eq!(latencies.percentile(50.0), None);
        assert_eq!(millis(latencies.max()), "-");
    }
}
