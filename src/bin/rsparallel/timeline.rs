//! A picture of a run: one lane per worker, each job a bar from its real start to its real
//! end, coloured by status, written as a self-contained SVG. Jobs too short to see are merged
//! with their neighbours into runs, so that the picture stays small and readable at any number
//! of jobs, and so does the memory behind it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;
use rsparallel::value::describe_item;
use rsparallel::{JobRecord, JobStatus, StatusCounts};

use crate::sinks::Sink;

/// Segments kept before neighbouring ones are merged further.
const MAX_SEGMENTS: usize = 20_000;
const WIDTH: f64 = 1200.0;
const LANE_HEIGHT: f64 = 22.0;
const MARGIN_LEFT: f64 = 90.0;
const MARGIN_TOP: f64 = 30.0;
const AXIS_HEIGHT: f64 = 40.0;

/// `--timeline FILE`: the records drawn into a picture, written to the file when the run ends.
pub struct TimelineFile {
    path: PathBuf,
    file: File,
    timeline: Timeline,
}

impl TimelineFile {
    /// Opens (creating it) the file, so that a path that cannot be written fails before
    /// anything runs. An old picture stays until the run ends: it is cut when the new one is
    /// written.
    pub fn open(path: &Path) -> anyhow::Result<TimelineFile> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("cannot write --timeline {}", path.display()))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            anyhow::bail!("cannot write --timeline {}: it is a folder", path.display());
        }
        Ok(TimelineFile {
            path: path.to_path_buf(),
            file,
            timeline: Timeline::new(),
        })
    }

    fn write(&mut self) -> io::Result<()> {
        if self.file.metadata()?.is_file() {
            self.file.set_len(0)?;
        }
        self.file.write_all(self.timeline.to_svg().as_bytes())?;
        self.file.flush()
    }
}

impl Sink for TimelineFile {
    fn record(&mut self, record: &mut JobRecord) -> io::Result<()> {
        self.timeline.add(record);
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.write()
            .with_context(|| format!("cannot write --timeline {}", self.path.display()))
    }
}

/// One bar of a lane: a job, or a run of adjacent jobs merged together.
#[derive(Clone, Debug)]
struct Segment {
    start: f64,
    end: f64,
    first_seq: u64,
    last_seq: u64,
    jobs: u64,
    counts: StatusCounts,
    /// For a single job: its item, as a short text.
    item: Option<String>,
}

impl Segment {
    fn status(&self) -> JobStatus {
        // A merged run takes the colour of its worst outcome, so failures stay visible.
        for status in [
            JobStatus::Failed,
            JobStatus::TimedOut,
            JobStatus::Cancelled,
            JobStatus::Skipped,
        ] {
            if self.counts.get(status) > 0 {
                return status;
            }
        }
        JobStatus::Completed
    }
}

/// Collects records as they stream and draws them.
#[derive(Debug, Default)]
pub struct Timeline {
    origin: Option<SystemTime>,
    lanes: BTreeMap<usize, Vec<Segment>>,
    segments: usize,
    /// Jobs closer than this (seconds) to their lane neighbour are merged into it.
    merge_gap: f64,
    jobs: u64,
}

impl Timeline {
    /// An empty timeline.
    pub fn new() -> Self {
        Timeline {
            merge_gap: 1e-4,
            ..Timeline::default()
        }
    }

    /// Adds a record; records of jobs no worker ran are not drawn.
    pub fn add(&mut self, record: &JobRecord) {
        let (Some(worker), Some(start), Some(end)) = (record.worker, record.start, record.end)
        else {
            return;
        };
        let origin = *self.origin.get_or_insert(start);
        let seconds = |t: SystemTime| match t.duration_since(origin) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        };
        let mut counts = StatusCounts::default();
        counts.add(record.status);
        let segment = Segment {
            start: seconds(start),
            end: seconds(end),
            first_seq: record.seq,
            last_seq: record.seq,
            jobs: 1,
            counts,
            item: Some(describe_item(&record.item)),
        };
        self.jobs += 1;
        let lane = self.lanes.entry(worker).or_default();
        // Jobs merge as they come only with neighbours of the same outcome, so a failure
        // keeps its own bar until the picture would grow too large.
        if let Some(last) = lane.last_mut()
            && last.status() == segment.status()
            && Self::mergeable(last, &segment, self.merge_gap)
        {
            merge_into(last, &segment);
            return;
        }
        lane.push(segment);
        self.segments += 1;
        if self.segments > MAX_SEGMENTS {
            self.compact();
        }
    }

    fn mergeable(last: &Segment, next: &Segment, gap: f64) -> bool {
        next.start - last.end <= gap
            && next.start >= last.start
            && last.end - last.start <= gap * 4.0
            && next.end - next.start <= gap * 4.0
    }

    /// Doubles the merge gap and merges what it allows, until the segments fit again.
    fn compact(&mut self) {
        while self.segments > MAX_SEGMENTS / 2 {
            self.merge_gap *= 2.0;
            let gap = self.merge_gap;
            let mut total = 0;
            for lane in self.lanes.values_mut() {
                let mut merged: Vec<Segment> = Vec::with_capacity(lane.len() / 2);
                for segment in lane.drain(..) {
                    match merged.last_mut() {
                        Some(last) if Self::mergeable(last, &segment, gap) => {
                            merge_into(last, &segment)
                        }
                        _ => merged.push(segment),
                    }
                }
                total += merged.len();
                *lane = merged;
            }
            self.segments = total;
        }
    }

    /// The drawing, as SVG text.
    pub fn to_svg(&self) -> String {
        let span = self
            .lanes
            .values()
            .flat_map(|lane| lane.iter().map(|s| s.end))
            .fold(0.0_f64, f64::max)
            .max(1e-6);
        let scale = (WIDTH - MARGIN_LEFT - 20.0) / span;
        let lanes = self.lanes.len().max(1) as f64;
        let height = MARGIN_TOP + lanes * LANE_HEIGHT + AXIS_HEIGHT;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(
            svg,
            r#"<text x="{MARGIN_LEFT}" y="18">rsparallel run: {} job{} on {} worker{}, {:.3} s (hover a bar for its jobs)</text>"#,
            self.jobs,
            if self.jobs == 1 { "" } else { "s" },
            self.lanes.len(),
            if self.lanes.len() == 1 { "" } else { "s" },
            span
        );
        for (row, (worker, lane)) in self.lanes.iter().enumerate() {
            let y = MARGIN_TOP + row as f64 * LANE_HEIGHT;
            let _ = writeln!(
                svg,
                r#"<g class="lane" data-worker="{worker}"><text x="8" y="{:.1}">worker {worker}</text>"#,
                y + LANE_HEIGHT * 0.7
            );
            for segment in lane {
                let x = MARGIN_LEFT + segment.start * scale;
                // Failures stay visible however short they were.
                let min_width = if segment.status() == JobStatus::Completed {
                    0.5
                } else {
                    2.0
                };
                let w = ((segment.end - segment.start) * scale).max(min_width);
                let _ = writeln!(
                    svg,
                    r#"<rect x="{x:.2}" y="{:.1}" width="{w:.2}" height="{:.1}" fill="{}"><title>{}</title></rect>"#,
                    y + 2.0,
                    LANE_HEIGHT - 4.0,
                    colour(segment.status()),
                    escape(&describe(segment))
                );
            }
            let _ = writeln!(svg, "</g>");
        }
        let axis_y = MARGIN_TOP + lanes * LANE_HEIGHT + 8.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{MARGIN_LEFT}" y1="{axis_y}" x2="{:.1}" y2="{axis_y}" stroke="black"/>"#,
            MARGIN_LEFT + span * scale
        );
        for tick in 0..=5 {
            let t = span * tick as f64 / 5.0;
            let x = MARGIN_LEFT + t * scale;
            let _ = writeln!(
                svg,
                r#"<line x1="{x:.1}" y1="{axis_y}" x2="{x:.1}" y2="{:.1}" stroke="black"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                axis_y + 5.0,
                axis_y + 20.0,
                format_seconds(t)
            );
        }
        let legend_y = axis_y + 32.0;
        for (i, status) in JobStatus::ALL.iter().enumerate() {
            let x = MARGIN_LEFT + i as f64 * 110.0;
            let _ = writeln!(
                svg,
                r#"<rect x="{x}" y="{:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{legend_y:.1}">{status}</text>"#,
                legend_y - 9.0,
                colour(*status),
                x + 14.0
            );
        }
        svg.push_str("</svg>\n");
        svg.replace(
            &format!(r#"height="{height}" viewBox="0 0 {WIDTH} {height}""#),
            &format!(
                r#"height="{h}" viewBox="0 0 {WIDTH} {h}""#,
                h = height + 12.0
            ),
        )
    }
}

fn merge_into(last: &mut Segment, next: &Segment) {
    last.end = last.end.max(next.end);
    last.first_seq = last.first_seq.min(next.first_seq);
    last.last_seq = last.last_seq.max(next.last_seq);
    last.jobs += next.jobs;
    last.counts.merge(&next.counts);
    last.item = None;
}

fn describe(segment: &Segment) -> String {
    let ms = (segment.end - segment.start) * 1000.0;
    match (&segment.item, segment.jobs) {
        (Some(item), 1) => format!(
            "seq {} item {item}: {} in {ms:.3} ms",
            segment.first_seq,
            segment.status()
        ),
        _ => format!(
            "{} jobs, seq {}–{}: {} in {ms:.3} ms",
            segment.jobs, segment.first_seq, segment.last_seq, segment.counts
        ),
    }
}

fn colour(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Completed => "#4c9a4c",
        JobStatus::Failed => "#d0443e",
        JobStatus::TimedOut => "#e39b2d",
        JobStatus::Cancelled => "#8a8a8a",
        JobStatus::Skipped => "#c8c8c8",
        // A status a later version adds: grey, like the others that never finished.
        _ => "#c8c8c8",
    }
}

fn format_seconds(t: f64) -> String {
    if t < 1.0 {
        format!("{:.1} ms", t * 1000.0)
    } else {
        format!("{t:.2} s")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsparallel::BatchId;
    use std::time::Duration;

    fn record(seq: u64, worker: usize, start_ms: u64, len_us: u64, status: JobStatus) -> JobRecord {
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let start = base + Duration::from_millis(start_ms);
        let mut r = JobRecord::not_run(
            BatchId::default(),
            seq,
            (seq as i64).into(),
            status,
            rsparallel::JobError::new(rsparallel::JobErrorKind::Script, "x"),
        );
        r.worker = Some(worker);
        r.start = Some(start);
        r.end = Some(start + Duration::from_micros(len_us));
        r
    }

    #[test]
    fn one_lane_per_worker_with_hover_text() {
        let mut t = Timeline::new();
        t.add(&record(0, 0, 0, 50_000, JobStatus::Completed));
        t.add(&record(1, 1, 0, 80_000, JobStatus::TimedOut));
        let svg = t.to_svg();
        assert_eq!(svg.matches(r#"class="lane""#).count(), 2);
        assert!(svg.contains("<title>seq 1 item 1: timed_out in 80.000 ms</title>"));
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn many_tiny_jobs_merge_into_few_bars() {
        let mut t = Timeline::new();
        for i in 0..100_000_u64 {
            let status = if i == 500 {
                JobStatus::Failed
            } else {
                JobStatus::Completed
            };
            // 10 µs jobs back to back on two workers.
            t.add(&record(i, (i % 2) as usize, i / 100, 10, status));
        }
        assert!(t.segments <= MAX_SEGMENTS, "{}", t.segments);
        let svg = t.to_svg();
        assert!(svg.len() < 8_000_000, "{}", svg.len());
        assert!(svg.contains("failed"));
    }
}
